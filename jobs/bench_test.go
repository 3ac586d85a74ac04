package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"channelbot/models"
)

// The scale benchmarks: 100 managers, 1,000 reps, 50,000 customers, 200 products,
// 1,000,000 stock counts, 200,000 visits, 100,000 deliveries and a busy day, on
// SQLite and (with TEST_DATABASE_URL) PostgreSQL. Seeding takes a while; run them
// once each:
//
//	go test -run '^$' -bench Scale -benchtime 1x ./jobs

// benchNow is when the benchmarks run: Monday 2026-11-23 10:01 in Shanghai.
var benchNow = time.Date(2026, 11, 23, 2, 1, 0, 0, time.UTC)

// seedTime is an SQL expression for benchNow minus days and hours (SQL expressions).
func seedTime(dialect, days, hours string) string {
	if dialect == "postgres" {
		return fmt.Sprintf("(TIMESTAMPTZ '2026-11-23 02:00:00+00' - make_interval(days => (%s)::int, hours => (%s)::int))", days, hours)
	}
	return fmt.Sprintf("strftime('%%Y-%%m-%%d %%H:%%M:%%S+00:00', '2026-11-23 02:00:00', '-' || (%s) || ' days', '-' || (%s) || ' hours')", days, hours)
}

func seedScale(b *testing.B, open storeOpener) *models.Store {
	b.Helper()
	start := time.Now()
	ctx := context.Background()
	store := open(b, func() time.Time { return benchNow })
	dir := b.TempDir()
	var users, products, customers strings.Builder
	users.WriteString("id,name,role,manager,wecom_userid\n")
	for m := range 100 {
		fmt.Fprintf(&users, "M%03d,经理%d,manager,,wm%03d\n", m, m, m)
	}
	for r := range 1000 {
		fmt.Fprintf(&users, "R%04d,业务员%d,rep,M%03d,wr%04d\n", r, r, r%100, r)
	}
	products.WriteString("code,name,aliases,pack_size,safety_factor,floor_price\n")
	for p := range 200 {
		fmt.Fprintf(&products, "P%03d,饮料%d号,货%d,12,1.5,40\n", p, p, p)
	}
	customers.WriteString("code,name,aliases,tier,owner,visit_days\n")
	cadences := []string{"10|25", "7d", "14d", "30d"}
	for c := range 50000 {
		fmt.Fprintf(&customers, "C%05d,客户%d商行,老板%d,%c,R%04d,%s\n", c, c, c, "ABC"[c%3], c%1000, cadences[c%4])
	}
	for name, body := range map[string]string{"users.csv": users.String(), "products.csv": products.String(), "customers.csv": customers.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := store.ImportDir(ctx, dir); err != nil {
		b.Fatal(err)
	}
	d := store.Dialect()
	slots := func(n int) string {
		var parts []string
		for i := range n {
			parts = append(parts, fmt.Sprintf("SELECT %d AS k", i))
		}
		return "(" + strings.Join(parts, " UNION ALL ") + ")"
	}
	today := "2026-11-23"
	created := seedTime(d, "0", "0")
	stmts := []string{
		// 200,000 visits: four per customer in the last eight weeks.
		`INSERT INTO reports (kind, user_id, customer_id, reported_at, created_at)
		 SELECT 'visit', c.owner_id, c.id, ` + seedTime(d, "s.k * 14 + c.id % 14 + 1", "0") + `, ` + created + `
		 FROM customers c, ` + slots(4) + ` s`,
		// 250,000 counts of four products each: 1,000,000 stock counts over ten weeks.
		`INSERT INTO reports (kind, user_id, customer_id, reported_at, created_at)
		 SELECT 'stock_count', c.owner_id, c.id, ` + seedTime(d, "s.k * 14 + c.id % 14 + 1", "0") + `, ` + created + `
		 FROM customers c, ` + slots(5) + ` s`,
		`INSERT INTO stock_counts (report_id, customer_id, product_id, pieces, counted_at)
		 SELECT r.id, r.customer_id, (r.customer_id * 7 + s.k * 13) % 200 + 1,
		        CASE WHEN (r.id + s.k) % 211 = 0 THEN 0 ELSE 12 * (5 + (r.id * 7 + s.k * 11) % 40) END, r.reported_at
		 FROM reports r, ` + slots(4) + ` s WHERE r.kind = 'stock_count'`,
		// 100,000 deliveries, between counts.
		`INSERT INTO reports (kind, user_id, customer_id, reported_at, created_at)
		 SELECT 'purchase', c.owner_id, c.id, ` + seedTime(d, "s.k * 14 + c.id % 14 + 8", "0") + `, ` + created + `
		 FROM customers c, ` + slots(2) + ` s`,
		`INSERT INTO deliveries (report_id, customer_id, product_id, pieces, received_at)
		 SELECT r.id, r.customer_id, (r.customer_id * 7 + (r.id % 4) * 13) % 200 + 1, 240, r.reported_at
		 FROM reports r WHERE r.kind = 'purchase'`,
		// Today: visits, counts, orders, prices, complaints, cross-region goods.
		`INSERT INTO reports (kind, user_id, customer_id, reported_at, created_at)
		 SELECT 'visit', c.owner_id, c.id, ` + seedTime(d, "0", "1") + `, ` + created + ` FROM customers c WHERE c.id % 10 = 0`,
		`INSERT INTO reports (kind, user_id, customer_id, reported_at, created_at)
		 SELECT 'stock_count', c.owner_id, c.id, ` + seedTime(d, "0", "1") + `, ` + created + ` FROM customers c WHERE c.id % 20 = 0`,
		`INSERT INTO stock_counts (report_id, customer_id, product_id, pieces, counted_at)
		 SELECT r.id, r.customer_id, (r.customer_id * 7) % 200 + 1, 12 * (r.id % 30), r.reported_at
		 FROM reports r WHERE r.kind = 'stock_count' AND r.reported_at >= ` + seedTime(d, "0", "2"),
		`INSERT INTO reports (kind, user_id, customer_id, reported_at, created_at)
		 SELECT 'order', c.owner_id, c.id, ` + seedTime(d, "0", "1") + `, ` + created + ` FROM customers c WHERE c.id % 15 = 0`,
		`INSERT INTO reports (kind, user_id, customer_id, price, flagged, reported_at, created_at)
		 SELECT 'price_report', c.owner_id, c.id, 3500 + 1000 * (c.id % 2), c.id % 2 = 0, ` + seedTime(d, "0", "1") + `, ` + created + `
		 FROM customers c WHERE c.id % 97 = 0`,
		`INSERT INTO reports (kind, user_id, customer_id, note, reported_at, created_at)
		 SELECT 'complaint', c.owner_id, c.id, '送货慢', ` + seedTime(d, "0", "1") + `, ` + created + ` FROM customers c WHERE c.id % 151 = 0`,
		`INSERT INTO reports (kind, user_id, place, reported_at, created_at)
		 SELECT 'cross_region', c.owner_id, '北郊', ` + seedTime(d, "0", "1") + `, ` + created + ` FROM customers c WHERE c.id % 499 = 0`,
		`INSERT INTO report_items (report_id, customer_id, product_id, pieces)
		 SELECT r.id, r.customer_id, (r.customer_id * 7 + s.k * 13) % 200 + 1, CASE WHEN r.kind = 'order' THEN 60 ELSE NULL END
		 FROM reports r, ` + slots(2) + ` s WHERE r.kind IN ('order', 'price_report', 'cross_region') AND r.reported_at >= ` + seedTime(d, "0", "2"),
		// Plans for today, open promises, near-expiry goods.
		`INSERT INTO reports (kind, user_id, customer_id, on_date, reported_at, created_at)
		 SELECT 'plan', c.owner_id, c.id, '` + today + `', ` + seedTime(d, "1", "0") + `, ` + created + ` FROM customers c WHERE c.id <= 1000`,
		`INSERT INTO report_items (report_id, customer_id)
		 SELECT r.id, r.customer_id + 1000 * s.k FROM reports r, ` + slots(3) + ` s WHERE r.kind = 'plan'`,
		`INSERT INTO reports (kind, user_id, customer_id, note, on_date, reported_at, created_at)
		 SELECT 'promise', c.owner_id, c.id, '换货', CASE WHEN c.id % 20 = 3 THEN '2026-11-20' ELSE '2026-11-30' END, ` + seedTime(d, "5", "0") + `, ` + created + `
		 FROM customers c WHERE c.id % 10 = 3`,
		`INSERT INTO reports (kind, user_id, customer_id, on_date, reported_at, created_at)
		 SELECT 'near_expiry', c.owner_id, c.id, '2026-11-27', ` + seedTime(d, "3", "0") + `, ` + created + ` FROM customers c WHERE c.id % 25 = 7`,
		`INSERT INTO report_items (report_id, customer_id, product_id, pieces)
		 SELECT r.id, r.customer_id, (r.customer_id * 7) % 200 + 1, 60 FROM reports r WHERE r.kind = 'near_expiry'`,
	}
	for _, s := range stmts {
		if err := store.Exec(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	if d == "postgres" {
		if err := store.Exec(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	} else if err := store.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %s in %v", d, time.Since(start).Round(time.Second))
	return store
}

func BenchmarkScale(b *testing.B) {
	for _, db := range []struct {
		name string
		open storeOpener
	}{{"sqlite", openSQLite}, {"postgres", openPostgres}} {
		b.Run(db.name, func(b *testing.B) {
			store := seedScale(b, db.open)
			j := New(store, testSettings(), shanghai, []string{models.PlatformWeCom}, nil)
			for _, job := range []struct{ name, when string }{
				{NameVisitReminders, "2026-11-23 08:31"},
				{NameWeeklyDigest, "2026-11-23 08:46"},
				{NameStockWarnings, "2026-11-23 10:01"},
				{NameStockOuts, "2026-11-23 10:02"},
				{NameDailyDigest, "2026-11-23 18:31"},
			} {
				b.Run(job.name, func(b *testing.B) {
					now := at(b, job.when)
					d, _ := j.Def(job.name)
					var queued int
					sink := func(ctx context.Context, batch *models.JobBatch) ([]*models.Message, error) {
						q, err := store.CommitJobBatch(ctx, batch)
						queued += len(q)
						return q, err
					}
					d, _ = j.WithSink(sink).Def(job.name)
					ctx, stmts := store.CountStatements(context.Background())
					for b.Loop() {
						if err := d.Run(ctx, now); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(stmts.Load())/float64(b.N), "queries/op")
					b.ReportMetric(float64(queued)/float64(b.N), "messages/op")
				})
			}
		})
	}
}

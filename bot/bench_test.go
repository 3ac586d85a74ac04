package bot_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"channelbot/bot"
	"channelbot/bot/state"
	"channelbot/models"
)

// writeCSV writes a header and rows to dir/name.
func writeCSV(tb testing.TB, dir, name, header string, rows func(w *strings.Builder)) {
	tb.Helper()
	var b strings.Builder
	b.WriteString(header + "\n")
	rows(&b)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// seedScale builds a SQLite database with 2,000 products, 50,000 customers, 1,000 reps
// and 1,000,000 earlier stock counts.
func seedScale(b *testing.B) *models.Store {
	ctx := context.Background()
	dir := b.TempDir()
	writeCSV(b, dir, "users.csv", "id,name,role,manager", func(w *strings.Builder) {
		for m := range 100 {
			fmt.Fprintf(w, "M%03d,经理%d,manager,\n", m, m)
		}
		for r := range 1000 {
			fmt.Fprintf(w, "R%04d,业务员%d,rep,M%03d\n", r, r, r%100)
		}
	})
	writeCSV(b, dir, "products.csv", "code,name,aliases,pack_size,safety_factor", func(w *strings.Builder) {
		for p := range 2000 {
			fmt.Fprintf(w, "P%04d,饮料%d号,货%d,12,1.5\n", p, p, p)
		}
	})
	writeCSV(b, dir, "customers.csv", "code,name,aliases,owner,visit_days", func(w *strings.Builder) {
		for c := range 50000 {
			fmt.Fprintf(w, "C%05d,客户%d商行,老板%d,R%04d,10|25\n", c, c, c, c%1000)
		}
	})
	store, err := models.Open(ctx, "sqlite", filepath.Join(dir, "scale.db"), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := store.ImportDir(ctx, dir); err != nil {
		b.Fatal(err)
	}
	// 1,000,000 counts: 20 per customer, spread over products and the past year.
	err = store.Exec(ctx, `
		WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 999999)
		INSERT INTO reports (kind, user_id, customer_id, reported_at, created_at)
		SELECT 'stock_count', 'R0000', 1 + x % 50000, datetime('2025-11-01', '+' || (x / 50000) || ' days'), datetime('now')
		FROM n`)
	if err != nil {
		b.Fatal(err)
	}
	err = store.Exec(ctx, `
		INSERT INTO stock_counts (report_id, customer_id, product_id, pieces, counted_at)
		SELECT id, customer_id, 1 + (id * 7) % 2000, 120, reported_at FROM reports`)
	if err != nil {
		b.Fatal(err)
	}
	return store
}

// BenchmarkStockCount saves a two-product count and builds its reply, through Handle,
// at 50,000 customers, 2,000 products and 1,000,000 earlier counts.
func BenchmarkStockCount(b *testing.B) {
	store := seedScale(b)
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	bt, err := bot.New(ctx, store, state.NewMemory("bench", nil), nil, loc)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, loc)
	out, err := bt.Handle(ctx, bot.Inbound{Platform: models.PlatformConsole, From: "R0007", Text: "盘点 老板7 货14 120 货15 30", At: at})
	if err != nil || len(out.Replies) != 1 || !strings.Contains(out.Replies[0], "盘点已记录") {
		b.Fatalf("first count: %v %q", err, out)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		c := 7 + (i%40)*1000 // customers owned by R0007
		text := fmt.Sprintf("盘点 老板%d 货%d %d 货%d 30", c, i%2000, 60+i%50, (i+1)%2000)
		at = at.Add(time.Second)
		if _, err := bt.Handle(ctx, bot.Inbound{Platform: models.PlatformConsole, From: "R0007", Text: text, At: at}); err != nil {
			b.Fatal(err)
		}
	}
}

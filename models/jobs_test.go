package models

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

// clock is a settable time for stores under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// forEachClockedStore runs fn on a migrated SQLite store and, when TEST_DATABASE_URL
// is set, a PostgreSQL one, both reading the time from c.
func forEachClockedStore(t *testing.T, c *clock, fn func(t *testing.T, s *Store)) {
	t.Helper()
	open := map[string]func(t *testing.T) *Store{
		"sqlite": func(t *testing.T) *Store {
			s, err := Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "jobs.db"), nil, c.Now)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		"postgres": func(t *testing.T) *Store {
			s, err := Open(context.Background(), "postgres", postgresTestDSN(t), nil, c.Now)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			s := open[name](t)
			if _, err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			fn(t, s)
		})
	}
}

func TestClaimJobRun(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 23, 0, 30, 0, 0, time.UTC)}
	forEachClockedStore(t, c, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c.Set(time.Date(2026, 11, 23, 0, 30, 0, 0, time.UTC))
		r, err := s.ClaimJobRun(ctx, "visit-reminders", "2026-11-23", time.Minute, false)
		if err != nil || r.Status != JobRunning || r.Attempts != 1 || r.ID == 0 {
			t.Fatalf("first claim = %+v, %v", r, err)
		}
		if _, err := s.ClaimJobRun(ctx, "visit-reminders", "2026-11-23", time.Minute, false); !errors.Is(err, ErrJobBusy) {
			t.Fatalf("claim while leased = %v, want ErrJobBusy", err)
		}
		// Another job, or another day, is a run of its own.
		if _, err := s.ClaimJobRun(ctx, "daily-digest", "2026-11-23", time.Minute, false); err != nil {
			t.Fatalf("other job: %v", err)
		}
		if _, err := s.ClaimJobRun(ctx, "visit-reminders", "2026-11-24", time.Minute, false); err != nil {
			t.Fatalf("other day: %v", err)
		}
		// The runner dies: once its lease is out, the run is resumed.
		c.Set(c.Now().Add(2 * time.Minute))
		r2, err := s.ClaimJobRun(ctx, "visit-reminders", "2026-11-23", time.Minute, false)
		if err != nil || r2.ID != r.ID || r2.Attempts != 2 {
			t.Fatalf("resume = %+v, %v", r2, err)
		}
		if err := s.FinishJobRun(ctx, r2.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimJobRun(ctx, "visit-reminders", "2026-11-23", time.Minute, false); !errors.Is(err, ErrJobDone) {
			t.Fatalf("claim when done = %v, want ErrJobDone", err)
		}
		r3, err := s.ClaimJobRun(ctx, "visit-reminders", "2026-11-23", time.Minute, true)
		if err != nil || r3.Attempts != 3 {
			t.Fatalf("forced claim = %+v, %v", r3, err)
		}
		if err := s.FinishJobRun(ctx, r3.ID, errors.New("boom")); err != nil {
			t.Fatal(err)
		}
		got, err := s.JobRun(ctx, "visit-reminders", "2026-11-23")
		if err != nil || got.Status != JobFailed || got.LastError != "boom" || got.LeaseUntil != nil || got.FinishedAt == nil {
			t.Fatalf("failed run = %+v, %v", got, err)
		}
		// A failed run may be tried again at once.
		if _, err := s.ClaimJobRun(ctx, "visit-reminders", "2026-11-23", time.Minute, false); err != nil {
			t.Fatalf("claim after failure: %v", err)
		}
		runs, err := s.JobRunsOn(ctx, "2026-11-23")
		if err != nil || len(runs) != 2 || runs[0].Name != "daily-digest" {
			t.Fatalf("JobRunsOn = %+v, %v", runs, err)
		}
		if _, err := s.JobRun(ctx, "nope", "2026-11-23"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("JobRun(nope) = %v", err)
		}
	})
}

// TestClaimJobRunRace: of many runners claiming one run at once, exactly one wins.
func TestClaimJobRunRace(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 23, 0, 30, 0, 0, time.UTC)}
	forEachClockedStore(t, c, func(t *testing.T, s *Store) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 8 {
			wg.Go(func() {
				_, err := s.ClaimJobRun(context.Background(), "stock-warnings", "2026-11-23", time.Minute, false)
				switch {
				case err == nil:
					mu.Lock()
					wins++
					mu.Unlock()
				case !errors.Is(err, ErrJobBusy):
					t.Errorf("claim: %v", err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d runners won the claim, want 1", wins)
		}
	})
}

func jobMsg(platform, to, key, text string) *Message {
	return &Message{Platform: platform, Peer: "peer-" + to, UserID: to, Text: text, PlatformMsgID: &key, Markdown: true}
}

func TestCommitJobBatch(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	c := &clock{t: t0}
	forEachClockedStore(t, c, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c.Set(t0)
		run, err := s.ClaimJobRun(ctx, "stock-warnings", "2026-11-23", time.Minute, false)
		if err != nil {
			t.Fatal(err)
		}
		b := &JobBatch{RunID: run.ID,
			Messages: []*Message{
				jobMsg(PlatformWeCom, "R01", "job:stock-warnings:2026-11-23:R01:0", "a"),
				jobMsg(PlatformFeishu, "R02", "job:stock-warnings:2026-11-23:R02:0", "b"),
				jobMsg(PlatformConsole, "R03", "job:stock-warnings:2026-11-23:R03:0", "c"),
			},
			Warnings: []Warning{
				{CustomerID: 1, ProductID: 10, Kind: "stock", Level: 1, LastJob: "stock-warnings:2026-11-23"},
				{CustomerID: 1, ProductID: 10, Kind: "stock", Level: 2, LastJob: "stock-warnings:2026-11-23"}, // same key: the worse wins
				{CustomerID: 2, ProductID: 0, Kind: "overdue", Level: 1},
			}}
		queued, err := s.CommitJobBatch(ctx, b)
		if err != nil || len(queued) != 3 {
			t.Fatalf("commit = %d, %v", len(queued), err)
		}
		for _, m := range queued {
			if m.ID == 0 || m.Direction != Outbound || !m.CreatedAt.Equal(t0) {
				t.Errorf("queued %+v", m)
			}
			wantStatus := StatusPending
			if m.Platform == PlatformConsole {
				wantStatus = ""
			}
			if m.Status != wantStatus {
				t.Errorf("%s message status %q, want %q", m.Platform, m.Status, wantStatus)
			}
		}
		out, err := s.Outbound(ctx, Peer{Platform: PlatformWeCom, Peer: "peer-R01"})
		if err != nil || len(out) != 1 || out[0].Status != StatusPending || !out[0].Markdown || out[0].NextAttemptAt == nil {
			t.Fatalf("outbox = %+v, %v", out, err)
		}

		// Resumed: the same keys again, plus one new message.
		c.Set(t0.Add(time.Hour))
		b2 := &JobBatch{RunID: run.ID, Messages: []*Message{
			jobMsg(PlatformWeCom, "R01", "job:stock-warnings:2026-11-23:R01:0", "a again"),
			jobMsg(PlatformWeCom, "R04", "job:stock-warnings:2026-11-23:R04:0", "d"),
			jobMsg(PlatformWeCom, "R04", "job:stock-warnings:2026-11-23:R04:0", "d twice in one batch"),
		}, Warnings: []Warning{{CustomerID: 1, ProductID: 10, Kind: "stock", Level: 3, LastJob: "x"}}}
		queued, err = s.CommitJobBatch(ctx, b2)
		if err != nil || len(queued) != 1 || queued[0].UserID != "R04" {
			t.Fatalf("resumed commit = %+v, %v", queued, err)
		}
		got, _ := s.JobRun(ctx, "stock-warnings", "2026-11-23")
		if got.Sent != 4 {
			t.Errorf("sent = %d, want 4", got.Sent)
		}

		ws, err := s.OpenWarnings(ctx, []string{"stock", "overdue"}, nil)
		if err != nil || len(ws) != 2 {
			t.Fatalf("open warnings = %+v, %v", ws, err)
		}
		w := ws[0]
		if w.CustomerID != 1 || w.Level != 3 || !w.FirstSeen.Equal(t0) || !w.LastSent.Equal(t0.Add(time.Hour)) || w.LastJob != "x" {
			t.Errorf("stock warning = %+v", w)
		}
		// Resolved, then back: it starts afresh.
		c.Set(t0.Add(2 * time.Hour))
		if _, err := s.CommitJobBatch(ctx, &JobBatch{Resolved: []int64{w.ID}}); err != nil {
			t.Fatal(err)
		}
		if ws, _ := s.OpenWarnings(ctx, []string{"stock", "overdue"}, []int64{1}); len(ws) != 0 {
			t.Fatalf("resolved warning still open: %+v", ws)
		}
		c.Set(t0.Add(3 * time.Hour))
		if _, err := s.CommitJobBatch(ctx, &JobBatch{Warnings: []Warning{{CustomerID: 1, ProductID: 10, Kind: "stock", Level: 1}}}); err != nil {
			t.Fatal(err)
		}
		ws, _ = s.OpenWarnings(ctx, []string{"stock"}, nil)
		if len(ws) != 1 || ws[0].ID != w.ID || !ws[0].FirstSeen.Equal(t0.Add(3*time.Hour)) || ws[0].Level != 1 {
			t.Fatalf("reopened warning = %+v", ws)
		}

		// A message without a key is refused, and nothing of its batch is stored.
		_, err = s.CommitJobBatch(ctx, &JobBatch{Messages: []*Message{{Platform: PlatformWeCom, Peer: "x", Text: "no key"}},
			Warnings: []Warning{{CustomerID: 9, Kind: "stock", Level: 1}}})
		if err == nil {
			t.Fatal("commit of a message without a key succeeded")
		}
		if ws, _ := s.OpenWarnings(ctx, []string{"stock"}, nil); len(ws) != 1 {
			t.Fatalf("a failed batch stored warnings: %+v", ws)
		}
	})
}

// seedJobData stores a few reports, counts and deliveries of two customers.
func seedJobData(t *testing.T, s *Store, t0 time.Time) {
	t.Helper()
	ctx := context.Background()
	day := func(d int, h int) time.Time { return t0.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour) }
	type rep struct {
		r      Report
		items  []ReportItem
		counts []StockCount
		deliv  []Delivery
		delete bool
	}
	c1, c2, p1, p2 := int64(1), int64(2), int64(10), int64(11)
	on := func(s string) *string { return &s }
	pieces := func(n int64) *int64 { return &n }
	reps := []rep{
		{r: Report{Kind: KindVisit, UserID: "R01", CustomerID: &c1, ReportedAt: day(0, 1)}},
		{r: Report{Kind: KindVisit, UserID: "R01", CustomerID: &c1, ReportedAt: day(5, 1)}},
		{r: Report{Kind: KindVisit, UserID: "R01", CustomerID: &c1, ReportedAt: day(9, 1)}, delete: true},
		{r: Report{Kind: KindVisit, UserID: "R02", CustomerID: &c2, ReportedAt: day(3, 1)}},
		{r: Report{Kind: KindVisit, UserID: "R02", CustomerID: &c2, ReportedAt: day(30, 1)}}, // after "now"
		{r: Report{Kind: KindPlan, UserID: "R01", CustomerID: &c1, OnDate: on("2026-11-23"), ReportedAt: day(1, 1)},
			items: []ReportItem{{CustomerID: &c1}, {CustomerID: &c2}}},
		{r: Report{Kind: KindPromise, UserID: "R01", CustomerID: &c1, OnDate: on("2026-11-20"), Note: "换货", ReportedAt: day(2, 1)}},
		{r: Report{Kind: KindPriceReport, UserID: "R02", CustomerID: &c2, Flagged: true, ReportedAt: day(10, 2)},
			items: []ReportItem{{CustomerID: &c2, ProductID: &p1}}},
		{r: Report{Kind: KindOrder, UserID: "R01", CustomerID: &c1, ReportedAt: day(10, 3)},
			items: []ReportItem{{CustomerID: &c1, ProductID: &p1, Pieces: pieces(24)}, {CustomerID: &c1, ProductID: &p2, Pieces: pieces(6)}}},
		{r: Report{Kind: KindOrder, UserID: "R01", CustomerID: &c2, ReportedAt: day(10, 4)},
			items: []ReportItem{{CustomerID: &c2, ProductID: &p1, Pieces: pieces(12)}}},
		{r: Report{Kind: KindStockCount, UserID: "R01", CustomerID: &c1, ReportedAt: day(0, 1)},
			counts: []StockCount{{CustomerID: c1, ProductID: p1, Pieces: 100}, {CustomerID: c1, ProductID: p2, Pieces: 0}}},
		{r: Report{Kind: KindPurchase, UserID: "R01", CustomerID: &c1, ReportedAt: day(2, 1)},
			deliv: []Delivery{{CustomerID: c1, ProductID: p1, Pieces: 50}}},
		{r: Report{Kind: KindStockCount, UserID: "R01", CustomerID: &c1, ReportedAt: day(5, 1)},
			counts: []StockCount{{CustomerID: c1, ProductID: p1, Pieces: 120}}},
		{r: Report{Kind: KindStockCount, UserID: "R01", CustomerID: &c1, ReportedAt: day(9, 1)},
			counts: []StockCount{{CustomerID: c1, ProductID: p1, Pieces: 80}}},
		{r: Report{Kind: KindStockCount, UserID: "R02", CustomerID: &c2, ReportedAt: day(10, 1)},
			counts: []StockCount{{CustomerID: c2, ProductID: p1, Pieces: 0}, {CustomerID: c2, ProductID: p2, Pieces: 0}}},
		{r: Report{Kind: KindPurchase, UserID: "R02", CustomerID: &c2, ReportedAt: day(10, 2)},
			deliv: []Delivery{{CustomerID: c2, ProductID: p2, Pieces: 30}}},
		{r: Report{Kind: KindStockCount, UserID: "R02", CustomerID: &c2, ReportedAt: day(10, 5)},
			counts: []StockCount{{CustomerID: c2, ProductID: p1, Pieces: 7}}, delete: true},
	}
	for _, x := range reps {
		msg := &Message{Platform: PlatformConsole, Peer: x.r.UserID, Text: "x", CreatedAt: x.r.ReportedAt}
		r := x.r
		ex := &Exchange{In: msg, Report: &r, Items: x.items, Counts: x.counts, Deliveries: x.deliv}
		if err := s.SaveExchange(ctx, ex); err != nil {
			t.Fatal(err)
		}
		if x.delete {
			if err := s.db.Transaction(func(tx *gorm.DB) error { return softDeleteReport(tx, r.ID) }); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestJobQueries(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 13, 0, 0, 0, 0, time.UTC)
	now := t0.AddDate(0, 0, 10).Add(12 * time.Hour) // 2026-11-23 12:00 UTC
	c := &clock{t: now}
	forEachClockedStore(t, c, func(t *testing.T, s *Store) {
		ctx := context.Background()
		seedJobData(t, s, t0)

		visits, err := s.LastVisits(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(visits) != 2 || !visits[1].Equal(t0.AddDate(0, 0, 5).Add(time.Hour)) || !visits[2].Equal(t0.AddDate(0, 0, 3).Add(time.Hour)) {
			t.Errorf("LastVisits = %v", visits)
		}

		plans, err := s.FindReports(ctx, ReportFilter{Kinds: []ReportKind{KindPlan}, OnFrom: "2026-11-23", OnTo: "2026-11-23"})
		if err != nil || len(plans) != 1 || len(plans[0].Items) != 2 {
			t.Fatalf("plans = %+v, %v", plans, err)
		}
		promises, err := s.FindReports(ctx, ReportFilter{Kinds: []ReportKind{KindPromise}, Open: true, OnTo: "2026-11-22"})
		if err != nil || len(promises) != 1 || promises[0].Note != "换货" {
			t.Fatalf("promises = %+v, %v", promises, err)
		}
		day10 := ReportFilter{From: t0.AddDate(0, 0, 10), To: t0.AddDate(0, 0, 11)}
		all, err := s.FindReports(ctx, day10)
		if err != nil || len(all) != 5 { // price, 2 orders, count, purchase (the undone count left out)
			t.Fatalf("day's reports = %d, %v", len(all), err)
		}
		flagged := day10
		flagged.Kinds, flagged.Flagged = []ReportKind{KindPriceReport, KindOrder}, true
		if got, err := s.FindReports(ctx, flagged); err != nil || len(got) != 1 || got[0].Kind != KindPriceReport {
			t.Fatalf("flagged = %+v, %v", got, err)
		}

		hist, err := s.CountHistory(ctx, t0.AddDate(0, 0, -1), now, 2, CountFilter{})
		if err != nil {
			t.Fatal(err)
		}
		type cp struct {
			c, p, n int64
			d       int
		}
		var got []cp
		for _, h := range hist {
			got = append(got, cp{h.CustomerID, h.ProductID, h.Pieces, int(h.At.Sub(t0).Hours() / 24)})
		}
		want := []cp{{1, 10, 120, 5}, {1, 10, 80, 9}, {1, 11, 0, 0}, {2, 10, 0, 10}, {2, 11, 0, 10}}
		if !slices.Equal(got, want) {
			t.Errorf("CountHistory = %v, want %v", got, want)
		}
		one, err := s.CountHistory(ctx, t0.AddDate(0, 0, -1), now, 5, CountFilter{CustomerIDs: []int64{1}, ProductIDs: []int64{10}})
		if err != nil || len(one) != 3 {
			t.Errorf("CountHistory(one) = %+v, %v", one, err)
		}

		zero, err := s.ZeroCounts(ctx, t0, now, CountFilter{})
		if err != nil {
			t.Fatal(err)
		}
		// c1/p11 and c2/p10 are out; c2/p11 received goods after its count.
		if len(zero) != 2 || zero[0].CustomerID != 1 || zero[0].ProductID != 11 || zero[1].CustomerID != 2 || zero[1].ProductID != 10 || zero[1].UserID != "R02" {
			t.Errorf("ZeroCounts = %+v", zero)
		}
		if z, _ := s.ZeroCounts(ctx, t0, now, CountFilter{CustomerIDs: []int64{2}}); len(z) != 1 {
			t.Errorf("ZeroCounts(customer 2) = %+v", z)
		}

		dl, err := s.DeliveryHistory(ctx, t0, now, CountFilter{})
		if err != nil || len(dl) != 2 || dl[0].Pieces != 50 || dl[1].Pieces != 30 {
			t.Errorf("DeliveryHistory = %+v, %v", dl, err)
		}

		kc, err := s.KindCounts(ctx, t0.AddDate(0, 0, 10), t0.AddDate(0, 0, 11))
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int64{}
		for _, k := range kc {
			counts[k.UserID+"/"+string(k.Kind)] = k.Reports
			if k.UserID == "R01" && k.Kind == KindOrder && k.Customers != 2 {
				t.Errorf("R01 ordered for %d customers, want 2", k.Customers)
			}
		}
		if counts["R01/order"] != 2 || counts["R02/price_report"] != 1 || counts["R02/stock_count"] != 1 || counts["R02/purchase"] != 1 || len(counts) != 4 {
			t.Errorf("KindCounts = %v", counts)
		}
		ord, err := s.OrderedPieces(ctx, t0.AddDate(0, 0, 10), t0.AddDate(0, 0, 11))
		if err != nil {
			t.Fatal(err)
		}
		sum := map[int64]int64{}
		for _, o := range ord {
			sum[o.ProductID] += o.Pieces
		}
		if sum[10] != 36 || sum[11] != 6 {
			t.Errorf("OrderedPieces = %+v", ord)
		}
		del, err := s.DeliveredPieces(ctx, t0, now)
		if err != nil || len(del) != 2 {
			t.Errorf("DeliveredPieces = %+v, %v", del, err)
		}
	})
}

func TestCountStatements(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)}
	forEachClockedStore(t, c, func(t *testing.T, s *Store) {
		ctx, n := s.CountStatements(context.Background())
		if _, err := s.LastVisits(ctx, c.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindReports(ctx, ReportFilter{Kinds: []ReportKind{KindPlan}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.JobRunsOn(ctx, "2026-11-23"); err != nil {
			t.Fatal(err)
		}
		if got := n.Load(); got != 3 {
			t.Errorf("counted %d statements, want 3", got)
		}
		ctx2, n2 := s.CountStatements(context.Background())
		_, _ = s.JobRunsOn(ctx2, "2026-11-23")
		_, _ = s.JobRunsOn(context.Background(), "2026-11-23")
		if n.Load() != 3 || n2.Load() != 1 {
			t.Errorf("counters = %d, %d; want 3, 1", n.Load(), n2.Load())
		}
	})
}

func TestDBTimeScan(t *testing.T) {
	t.Parallel()
	want := time.Date(2026, 11, 23, 1, 2, 3, 500_000_000, time.UTC)
	for _, src := range []any{want, want.In(time.FixedZone("CST", 8*3600)), "2026-11-23 01:02:03.5+00:00",
		"2026-11-23T09:02:03.5+08:00", []byte("2026-11-23 01:02:03.5"), "2026-11-23T01:02:03.5Z"} {
		var d dbTime
		if err := d.Scan(src); err != nil || !d.Equal(want) {
			t.Errorf("Scan(%v) = %v, %v", src, d.Time, err)
		}
	}
	var d dbTime
	if err := d.Scan("yesterday"); err == nil {
		t.Error("Scan(yesterday) succeeded")
	}
	if err := d.Scan(nil); err != nil || !d.IsZero() {
		t.Errorf("Scan(nil) = %v, %v", d.Time, err)
	}
}

func TestFastTimeScan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  any
		want time.Time
	}{
		{"2026-11-23 01:02:03+00:00", time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC)},
		{"2026-11-23 01:02:03.5+00:00", time.Date(2026, 11, 23, 1, 2, 3, 500_000_000, time.UTC)},
		{[]byte("2026-11-23 01:02:03.123456789+00:00"), time.Date(2026, 11, 23, 1, 2, 3, 123456789, time.UTC)},
		{"2026-11-23 09:02:03+08:00", time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC)}, // not the stored form: the slow path
		{"2026-11-23 01:02:03", time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC)},
		{float64(time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC).Unix()) + 0.25, time.Date(2026, 11, 23, 1, 2, 3, 250_000_000, time.UTC)},
	}
	for _, tt := range tests {
		var f fastTimeScan
		if err := f.Scan(tt.src); err != nil || !f.Equal(tt.want) {
			t.Errorf("Scan(%v) = %v, %v; want %v", tt.src, f.Time, err, tt.want)
		}
	}
	var f fastTimeScan
	if err := f.Scan("2026-13-45 99:99:99+00:00x"); err == nil {
		t.Error("garbage scanned")
	}
}

func TestSortCounts(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for _, spread := range []int64{7, 1 << 40} { // dense customer IDs: buckets; sparse: one sort
		var cs []CountPoint
		for i := range 500 {
			n := int64(i*7919) % 500
			cs = append(cs, CountPoint{ID: n, CustomerID: 1 + (n%37)*spread, ProductID: n % 3, At: t0.Add(time.Duration(n%5) * time.Hour)})
		}
		want := slices.Clone(cs)
		slices.SortFunc(want, compareCounts)
		sortCounts(cs)
		if !slices.Equal(cs, want) {
			t.Errorf("spread %d: sortCounts differs from a plain sort", spread)
		}
	}
}

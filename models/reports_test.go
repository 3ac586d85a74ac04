package models

import (
	"context"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"
)

// seedHistory stores a few reports, counts and deliveries of two customers.
func seedHistory(t *testing.T, s *Store, t0 time.Time) {
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
			if err := s.db.Transaction(func(tx *gorm.DB) error { _, err := softDeleteReport(tx, r.ID); return err }); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestHistoryQueries(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 13, 0, 0, 0, 0, time.UTC)
	now := t0.AddDate(0, 0, 10).Add(12 * time.Hour) // 2026-11-23 12:00 UTC
	c := &clock{t: now}
	forEachClockedStore(t, c, func(t *testing.T, s *Store) {
		ctx := context.Background()
		seedHistory(t, s, t0)

		visits, err := s.LastVisits(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		// Orders, counts and deliveries at a customer are visits too: the orders of
		// day 10 are the last (the deleted visit of day 9 is none).
		if len(visits) != 2 || !visits[1].Equal(t0.AddDate(0, 0, 10).Add(3*time.Hour)) || !visits[2].Equal(t0.AddDate(0, 0, 10).Add(4*time.Hour)) {
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

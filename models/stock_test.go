package models

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestStockBasis(t *testing.T) {
	t.Parallel()
	const (
		cust, other     = int64(1), int64(2)
		prod, otherProd = int64(10), int64(11)
		never           = int64(12)
		subCust         = int64(3)
	)
	t0 := time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)
	h := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }
	s0 := time.Date(2026, 11, 20, 1, 2, 3, 0, time.UTC) // whole second
	ms := func(n int) time.Time { return s0.Add(time.Duration(n) * time.Millisecond) }

	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		sh := shanghai(t)
		counts := []StockCount{
			{CustomerID: cust, ProductID: prod, Pieces: 100, CountedAt: h(0)},  // t1
			{CustomerID: cust, ProductID: prod, Pieces: 120, CountedAt: h(48)}, // t3
			{CustomerID: cust, ProductID: prod, Pieces: 888, CountedAt: h(54)}, // deleted below
			{CustomerID: other, ProductID: prod, Pieces: 999, CountedAt: h(50)},
			{CustomerID: cust, ProductID: otherProd, Pieces: 555, CountedAt: h(50)},
			{CustomerID: subCust, ProductID: prod, Pieces: 10, CountedAt: ms(0)},
			{CustomerID: subCust, ProductID: prod, Pieces: 20, CountedAt: ms(300)},
		}
		deliveries := []Delivery{
			{CustomerID: cust, ProductID: prod, Pieces: 50, ReceivedAt: h(24)},  // t2
			{CustomerID: cust, ProductID: prod, Pieces: 10, ReceivedAt: h(72)},  // t4
			{CustomerID: cust, ProductID: prod, Pieces: 666, ReceivedAt: h(78)}, // deleted below
			{CustomerID: other, ProductID: prod, Pieces: 777, ReceivedAt: h(60)},
			{CustomerID: cust, ProductID: otherProd, Pieces: 333, ReceivedAt: h(60)},
			{CustomerID: subCust, ProductID: prod, Pieces: 5, ReceivedAt: ms(150)},
			{CustomerID: subCust, ProductID: prod, Pieces: 7, ReceivedAt: ms(1300)},
		}
		for i := range counts {
			counts[i].ReportID = 1
		}
		for i := range deliveries {
			deliveries[i].ReportID = 1
		}
		if err := s.db.Create(&counts).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.db.Create(&deliveries).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.db.Delete(&counts[2]).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.db.Delete(&deliveries[2]).Error; err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name     string
			customer int64
			product  int64
			at       time.Time
			want     Basis
		}{
			{"before any count", cust, prod, h(-1), Basis{}},
			{"never counted", cust, never, h(100), Basis{}},
			{"at t1", cust, prod, h(0), Basis{HasLast: true, LastAt: h(0), Last: 100}},
			{"between t1 and t2", cust, prod, h(12), Basis{HasLast: true, LastAt: h(0), Last: 100}},
			{"at t2", cust, prod, h(24), Basis{HasLast: true, LastAt: h(0), Last: 100, Delivered: 50}},
			{"between t2 and t3", cust, prod, h(36), Basis{HasLast: true, LastAt: h(0), Last: 100, Delivered: 50}},
			{"at t3", cust, prod, h(48), Basis{HasLast: true, LastAt: h(48), Last: 120}},
			{"between t3 and t4, past a deleted count", cust, prod, h(60), Basis{HasLast: true, LastAt: h(48), Last: 120}},
			{"after t4, past a deleted delivery", cust, prod, h(84), Basis{HasLast: true, LastAt: h(48), Last: 120, Delivered: 10}},
			{"in Shanghai", cust, prod, h(84).In(sh), Basis{HasLast: true, LastAt: h(48), Last: 120, Delivered: 10}},
			{"other customer", other, prod, h(84), Basis{HasLast: true, LastAt: h(50), Last: 999, Delivered: 777}},
			{"other product", cust, otherProd, h(84), Basis{HasLast: true, LastAt: h(50), Last: 555, Delivered: 333}},
			{"just after a whole-second count", subCust, prod, ms(100).In(sh), Basis{HasLast: true, LastAt: ms(0), Last: 10}},
			{"with a sub-second delivery", subCust, prod, ms(299).In(sh), Basis{HasLast: true, LastAt: ms(0), Last: 10, Delivered: 5}},
			{"at a sub-second count", subCust, prod, ms(300).In(sh), Basis{HasLast: true, LastAt: ms(300), Last: 20}},
			{"a second later", subCust, prod, ms(1000).In(sh), Basis{HasLast: true, LastAt: ms(300), Last: 20}},
			{"the next second's delivery", subCust, prod, ms(1300).In(sh), Basis{HasLast: true, LastAt: ms(300), Last: 20, Delivered: 7}},
			{"just before a sub-second count", subCust, prod, ms(0).Add(-time.Millisecond).In(sh), Basis{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.StockBasis(ctx, tt.customer, []int64{tt.product}, tt.at)
				if err != nil {
					t.Fatalf("StockBasis: %v", err)
				}
				b, ok := got[tt.product]
				if !ok || len(got) != 1 {
					t.Fatalf("StockBasis(%d, [%d], %v) = %+v, want one entry for the product", tt.customer, tt.product, tt.at, got)
				}
				if b.HasLast != tt.want.HasLast || b.Last != tt.want.Last || b.Delivered != tt.want.Delivered ||
					!b.LastAt.Equal(tt.want.LastAt) {
					t.Errorf("StockBasis(%d, [%d], %v) = %+v, want %+v", tt.customer, tt.product, tt.at, b, tt.want)
				}
			})
		}

		t.Run("several products", func(t *testing.T) {
			got, err := s.StockBasis(ctx, cust, []int64{prod, otherProd, never}, h(84))
			if err != nil {
				t.Fatal(err)
			}
			want := map[int64]int64{prod: 130, otherProd: 888, never: 0} // Last + Delivered
			if len(got) != len(want) {
				t.Fatalf("StockBasis = %+v, want products %v", got, want)
			}
			for pid, sum := range want {
				if b := got[pid]; b.Last+b.Delivered != sum || b.HasLast != (pid != never) {
					t.Errorf("product %d: %+v, want last + delivered %d", pid, b, sum)
				}
			}
		})
		t.Run("no products", func(t *testing.T) {
			got, err := s.StockBasis(ctx, cust, nil, h(84))
			if err != nil || len(got) != 0 {
				t.Errorf("StockBasis(no products) = %v, %v, want empty", got, err)
			}
		})
	})
}

// TestStockBasisAfterSaveExchange goes through the path the bot uses: reports saved
// with Shanghai times, the basis asked for in Shanghai time.
func TestStockBasisAfterSaveExchange(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		sh := shanghai(t)
		day := func(d, hour int) time.Time { return time.Date(2026, 11, d, hour, 0, 0, 0, sh) }
		save := func(id string, at time.Time, counts []StockCount, dels []Delivery) {
			t.Helper()
			kind := KindStockCount
			if len(dels) > 0 {
				kind = KindPurchase
			}
			ex := &Exchange{
				In:         &Message{Platform: PlatformConsole, PlatformMsgID: ptr(id), Text: id, CreatedAt: at},
				Report:     &Report{Kind: kind, UserID: "R01", CustomerID: ptr[int64](1), ReportedAt: at},
				Counts:     counts,
				Deliveries: dels,
			}
			if err := s.SaveExchange(ctx, ex); err != nil {
				t.Fatalf("SaveExchange(%s): %v", id, err)
			}
		}
		save("count1", day(10, 10), []StockCount{{CustomerID: 1, ProductID: 1, Pieces: 1200}}, nil)
		save("purchase", day(12, 15), nil, []Delivery{{CustomerID: 1, ProductID: 1, Pieces: 600}})
		// 07:00 in Shanghai is still the day before in UTC.
		b, err := s.StockBasis(ctx, 1, []int64{1}, day(25, 7))
		if err != nil {
			t.Fatal(err)
		}
		want := Basis{HasLast: true, LastAt: day(10, 10), Last: 1200, Delivered: 600}
		if got := b[1]; got.HasLast != want.HasLast || got.Last != want.Last || got.Delivered != want.Delivered || !got.LastAt.Equal(want.LastAt) {
			t.Errorf("StockBasis = %+v, want %+v", got, want)
		}
		save("count2", day(25, 7), []StockCount{{CustomerID: 1, ProductID: 1, Pieces: 1440}}, nil)
		b, err = s.StockBasis(ctx, 1, []int64{1}, day(25, 8))
		if err != nil {
			t.Fatal(err)
		}
		if got := b[1]; got.Last != 1440 || got.Delivered != 0 || !got.LastAt.Equal(day(25, 7)) {
			t.Errorf("StockBasis after the second count = %+v, want last 1440 at %v, nothing delivered", got, day(25, 7))
		}
	})
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

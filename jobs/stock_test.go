package jobs

import (
	"math"
	"strings"
	"testing"
	"time"

	"channelbot/config"
	"channelbot/models"
)

func TestEstimateAndJudge(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai
	dayN := func(n float64) time.Time { return t0.Add(time.Duration(n * 24 * float64(time.Hour))) }
	type cnt struct {
		d float64
		n int64
	}
	type del struct {
		d float64
		n int64
	}
	p := &models.Product{ID: 1, Name: "苹果汁1L", Unit: "箱", PackSize: 12, PackUnit: "瓶", SafetyFactor: 1500}
	cu := &models.Customer{ID: 1, Name: "张记商贸", VisitDays: "10|25"} // a 15-day cycle
	j := &Jobs{cfg: config.DefaultJobs(), loc: shanghai, cal: NewCalendar(config.DefaultJobs())}
	tests := []struct {
		name     string
		counts   []cnt
		dels     []del
		now      float64 // days after t0
		toVisit  int     // days to the next visit
		enough   bool
		periods  int
		dropped  int
		rate     float64 // pieces a day
		level    int     // 0: no warning
		why      string
		suggest  int64 // cases
		coverMax float64
	}{
		{name: "not enough data: one period", counts: []cnt{{0, 120}, {7, 60}}, now: 8, toVisit: 10,
			periods: 1},
		{name: "not enough data: under 10 days", counts: []cnt{{0, 100}, {3, 80}, {6, 60}}, now: 7, toVisit: 10,
			periods: 2},
		{name: "not enough data, but zero is a stock-out", counts: []cnt{{0, 0}}, now: 1, toVisit: 10,
			level: levelOut, why: "11月1日盘点为0，之后没到货", suggest: -1},
		{name: "zero with a period: the count reply's safety stock", counts: []cnt{{0, 120}, {7, 0}}, now: 8, toVisit: 10,
			dropped: 1, level: levelOut, suggest: 15}, // 实销 120 × 1.5 = 180 pieces
		{name: "zero after a delivery is no stock-out", counts: []cnt{{0, 0}}, dels: []del{{0.5, 120}}, now: 1, toVisit: 10},
		{name: "censored periods dropped", counts: []cnt{{0, 100}, {7, 0}, {8, 120}, {15, 90}, {22, 60}}, dels: []del{{7.5, 120}},
			now: 22, toVisit: 5, enough: true, periods: 2, dropped: 2, rate: 60.0 / 14},
		{name: "impossible periods dropped", counts: []cnt{{0, 100}, {7, 150}, {14, 120}, {21, 90}}, now: 21, toVisit: 5,
			enough: true, periods: 2, dropped: 1, rate: 60.0 / 14},
		{name: "deliveries count into consumption", counts: []cnt{{0, 100}, {7, 100}, {14, 100}}, dels: []del{{3, 70}, {10, 70}},
			now: 14, toVisit: 30, enough: true, periods: 2, rate: 10, level: levelLow, suggest: 20}, // cover 10 < 33; 330 − 100 pieces
		{name: "runs out before goods can arrive", counts: []cnt{{0, 300}, {10, 200}, {20, 100}}, now: 28, toVisit: 5,
			enough: true, periods: 2, rate: 10, level: levelCritical, why: "只够卖2天（日均0.8箱），不够到货要的3天", suggest: 18, coverMax: 2},
		{name: "sold out by now", counts: []cnt{{0, 300}, {10, 200}, {20, 100}}, now: 31, toVisit: 5,
			enough: true, periods: 2, rate: 10, level: levelCritical, why: "按日均0.8箱估算已卖完（11月21日盘点8箱4瓶）", suggest: 19},
		{name: "runs out before the next visit", counts: []cnt{{0, 300}, {10, 200}, {20, 100}}, now: 22, toVisit: 12,
			enough: true, periods: 2, rate: 10, level: levelLow, suggest: 13, coverMax: 8},
		{name: "under the count reply's safety stock, nothing received", counts: []cnt{{0, 300}, {10, 200}, {20, 100}}, now: 21, toVisit: 2,
			enough: true, periods: 2, rate: 10, level: levelLow, why: "11月21日盘点8箱4瓶，低于安全库存12箱6瓶，之后没到货", suggest: 12},
		{name: "fine once the order arrived", counts: []cnt{{0, 300}, {10, 200}, {20, 100}}, dels: []del{{20.5, 120}}, now: 22, toVisit: 2,
			enough: true, periods: 2, rate: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := history{customer: 1, product: 1}
			for i, c := range tt.counts {
				h.counts = append(h.counts, models.CountPoint{ID: int64(i + 1), CustomerID: 1, ProductID: 1, Pieces: c.n, At: dayN(c.d)})
			}
			for _, d := range tt.dels {
				h.deliveries = append(h.deliveries, models.DeliveryPoint{CustomerID: 1, ProductID: 1, Pieces: d.n, At: dayN(d.d)})
			}
			now := dayN(tt.now)
			e := estimate(h, now)
			if e.Enough != tt.enough || e.Periods != tt.periods || e.Dropped != tt.dropped || math.Abs(e.Rate-tt.rate) > 1e-9 && tt.enough {
				t.Errorf("estimate = enough %v, %d periods, %d dropped, rate %v; want %v, %d, %d, %v",
					e.Enough, e.Periods, e.Dropped, e.Rate, tt.enough, tt.periods, tt.dropped, tt.rate)
			}
			today := DayOf(now, shanghai)
			a, warn := j.judge(e, cu, p, today, today+Day(tt.toVisit))
			if tt.level == 0 {
				if warn {
					t.Errorf("warning %+v, want none", a)
				}
				return
			}
			if !warn || a.Level != tt.level || a.Suggest != tt.suggest {
				t.Errorf("judge = %v level %d suggest %d (%s); want level %d suggest %d", warn, a.Level, a.Suggest, a.Why, tt.level, tt.suggest)
			}
			if tt.why != "" && a.Why != tt.why {
				t.Errorf("why = %q, want %q", a.Why, tt.why)
			}
			if tt.coverMax > 0 && a.Cover > tt.coverMax+1e-9 {
				t.Errorf("cover = %v, want at most %v", a.Cover, tt.coverMax)
			}
		})
	}
}

func TestHistories(t *testing.T) {
	t.Parallel()
	c := func(cu, p int64) models.CountPoint { return models.CountPoint{CustomerID: cu, ProductID: p} }
	d := func(cu, p int64) models.DeliveryPoint { return models.DeliveryPoint{CustomerID: cu, ProductID: p} }
	hs := histories(
		[]models.CountPoint{c(1, 1), c(1, 1), c(1, 2), c(3, 1)},
		[]models.DeliveryPoint{d(1, 0), d(1, 1), d(2, 1), d(2, 1), d(3, 1), d(3, 2)})
	want := []struct {
		c, p      int64
		nc, ndels int
	}{{1, 1, 2, 1}, {1, 2, 1, 0}, {3, 1, 1, 1}}
	if len(hs) != len(want) {
		t.Fatalf("%d histories, want %d", len(hs), len(want))
	}
	for i, w := range want {
		h := hs[i]
		if h.customer != w.c || h.product != w.p || len(h.counts) != w.nc || len(h.deliveries) != w.ndels {
			t.Errorf("history %d = %d/%d with %d counts, %d deliveries; want %+v", i, h.customer, h.product, len(h.counts), len(h.deliveries), w)
		}
	}
}

// TestStockWarnings runs the daily scan over a fortnight: warnings to the owner rep,
// stock-outs also to the manager, repeats only when worse or after the repeat days,
// resolution when goods arrive.
func TestStockWarnings(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, opener storeOpener) {
		f := newFixture(t, opener)
		for i, n := range []int64{30, 20, 10} { // 10 cases a week
			when := time.Date(2026, 11, 1+7*i, 10, 0, 0, 0, shanghai).Format("2006-01-02 15:04")
			f.visit("R01", "C001", when)
			f.count("R01", "C001", when, map[string]int64{"P01": n, "P02": 50})
		}
		f.count("R01", "C002", "2026-11-20 10:00", map[string]int64{"P02": 0})
		f.count("R02", "C003", "2026-11-10 10:00", map[string]int64{"P01": 20})
		f.count("R02", "C003", "2026-11-20 10:00", map[string]int64{"P01": 2}) // one period: not enough data
		f.nearExpiry("R01", "C001", "2026-11-20 11:00", "2026-11-27", "P03", 5)
		f.nearExpiry("R01", "C005", "2026-11-20 11:00", "2026-12-20", "P03", 5) // not yet

		f.run(NameStockWarnings, "2026-11-23 10:01")
		r01 := f.sentBy("R01", NameStockWarnings)
		if len(r01) != 1 {
			t.Fatalf("R01 got %q", r01)
		}
		inOrder(t, r01[0], "**📦 库存预警 11月23日（周一） · 2条**",
			"🔴 **宏城超市** · 矿泉水550ml 断货", "11月20日盘点为0，之后没到货",
			"🟠 **张记商贸** · 苹果汁1L", "按日均1.4箱估算已卖完（11月15日盘点10箱）", "👉 建议进货",
			"**⏳ 即期提醒 · 1家**", "张记商贸 · 乳酸菌100ml 5箱 11月27日到期（还有4天）")
		mustNotContain(t, r01[0], "矿泉水550ml 可售", "陈记烟酒")
		if got := f.sentBy("R02", NameStockWarnings); len(got) != 0 {
			t.Errorf("R02 (not enough data) got %q", got)
		}
		m01 := f.sentBy("M01", NameStockWarnings)
		if len(m01) != 1 || !strings.Contains(m01[0], "**🔴 断货 · 1个**") || !strings.Contains(m01[0], "宏城超市") || strings.Contains(m01[0], "张记商贸") {
			t.Fatalf("M01 got %q", m01)
		}

		// The next day: nothing new, nothing worse.
		f.run(NameStockWarnings, "2026-11-24 10:01")
		if n := len(f.sentBy("R01", NameStockWarnings)) + len(f.sentBy("M01", NameStockWarnings)); n != 2 {
			t.Errorf("repeated the next day: %d messages", n)
		}
		// Worse: 张记商贸 counts zero. Better: 宏城超市 receives goods.
		f.count("R01", "C001", "2026-11-24 15:00", map[string]int64{"P01": 0, "P02": 50})
		f.deliver("R01", "C002", "2026-11-24 16:00", "P02", 20)
		f.run(NameStockWarnings, "2026-11-25 10:01")
		r01 = f.sentBy("R01", NameStockWarnings)
		if len(r01) != 2 || !strings.Contains(r01[1], "🔴 **张记商贸** · 苹果汁1L 断货") || strings.Contains(r01[1], "宏城超市") || strings.Contains(r01[1], "即期") {
			t.Errorf("after it got worse: %q", r01)
		}
		if m01 = f.sentBy("M01", NameStockWarnings); len(m01) != 2 || !strings.Contains(m01[1], "张记商贸") {
			t.Errorf("M01 after it got worse: %q", m01)
		}
		open, err := f.store.OpenWarnings(f.ctx, []string{warnStock}, []int64{f.customer("C002").ID})
		if err != nil || len(open) != 0 {
			t.Errorf("宏城超市 still warned: %+v, %v", open, err)
		}
		// Unresolved for three days: the expiry is said again, the stock-out (worse two
		// days ago) not yet.
		f.run(NameStockWarnings, "2026-11-27 10:01")
		r01 = f.sentBy("R01", NameStockWarnings)
		if len(r01) != 3 || strings.Contains(r01[2], "断货") || !strings.Contains(r01[2], "乳酸菌100ml 5箱 11月27日到期（今天到期）") {
			t.Errorf("after three days: %q", r01)
		}
		// A stock-out that comes back after it was resolved is new again.
		f.count("R01", "C002", "2026-11-27 15:00", map[string]int64{"P02": 0})
		f.run(NameStockWarnings, "2026-11-30 10:01")
		r01 = f.sentBy("R01", NameStockWarnings)
		if len(r01) != 4 || !strings.Contains(r01[3], "宏城超市** · 矿泉水550ml 断货") || !strings.Contains(r01[3], "张记商贸** · 苹果汁1L 断货") {
			t.Errorf("the stock-out back: %q", r01)
		}
		open, _ = f.store.OpenWarnings(f.ctx, []string{warnStock}, []int64{f.customer("C002").ID})
		if len(open) != 1 || !open[0].FirstSeen.Equal(at(t, "2026-11-30 10:01")) {
			t.Errorf("the stock-out back = %+v", open)
		}
	})
}

// TestStockOuts: a count of zero reaches the manager at once, once, whether through
// AfterCount or the watcher; the daily scan does not repeat it.
func TestStockOuts(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, opener storeOpener) {
		f := newFixture(t, opener)
		f.count("R01", "C001", "2026-11-09 10:00", map[string]int64{"P01": 40})
		f.count("R01", "C001", "2026-11-16 10:00", map[string]int64{"P01": 30})
		f.count("R01", "C001", "2026-11-23 10:05", map[string]int64{"P01": 0, "P02": 0, "P03": 5})
		f.clock.Set(at(t, "2026-11-23 10:05"))
		c001 := f.customer("C001").ID
		ids := []int64{f.product("P01").ID, f.product("P02").ID, f.product("P03").ID}
		if err := f.jobs.AfterCount(f.ctx, c001, ids); err != nil {
			t.Fatal(err)
		}
		m01 := f.sentBy("M01", NameStockOuts)
		if len(m01) != 1 {
			t.Fatalf("M01 got %q", m01)
		}
		inOrder(t, m01[0], "**🔴 断货 · 张记商贸**", "李明 11月23日 10:05盘点为0：", "苹果汁1L · 👉 建议进货 45箱", "矿泉水550ml")
		mustNotContain(t, m01[0], "乳酸菌")
		if got := f.sentBy("R01", NameStockOuts); len(got) != 0 {
			t.Errorf("the rep (told in the count reply) got %q", got)
		}
		// Again, and the watcher: nothing new.
		if err := f.jobs.AfterCount(f.ctx, c001, ids); err != nil {
			t.Fatal(err)
		}
		f.run(NameStockOuts, "2026-11-23 10:06")
		if got := f.sentBy("M01", NameStockOuts); len(got) != 1 {
			t.Errorf("told twice: %q", got)
		}
		// A count of zero the watcher finds.
		f.count("R02", "C003", "2026-11-23 10:30", map[string]int64{"P01": 0})
		f.run(NameStockOuts, "2026-11-23 10:31")
		m01 = f.sentBy("M01", NameStockOuts)
		if len(m01) != 2 || !strings.Contains(m01[1], "王记批发") || !strings.Contains(m01[1], "赵强 11月23日 10:30盘点为0") {
			t.Errorf("the watcher: %q", m01)
		}
		// The daily scan does not tell anyone again.
		f.run(NameStockWarnings, "2026-11-23 10:35")
		if got := f.sentBy("M01", NameStockWarnings); len(got) != 0 {
			t.Errorf("the daily scan repeated the stock-outs: %q", got)
		}
		for _, m := range f.sentBy("R01", NameStockWarnings) {
			mustNotContain(t, m, "断货")
		}
	})
}

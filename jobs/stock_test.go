package jobs

import (
	"strings"
	"testing"
	"time"
)

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
		f.count("R02", "C003", "2026-11-20 10:00", map[string]int64{"P01": 2}) // one clean period: 1.8箱 a day
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
		// One clean period is a rate (the count reply used it too): 2箱 on the 20th at
		// 1.8箱 a day is sold out by the 23rd; the next visit (14d) is on 12月4日.
		if got := f.sentBy("R02", NameStockWarnings); len(got) != 1 || !strings.Contains(got[0], "按日均1.8箱估算已卖完（11月20日盘点2箱） · 👉 建议进货 36箱") {
			t.Errorf("R02 got %q", got)
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
		// 苹果汁: 10箱 in the clean week (1.43箱 a day); the week that ended at zero is
		// censored. Next visit 12月10日, 17 days: 1.43 × 17 × 1.5 → 37箱.
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
		inOrder(t, m01[0], "**🔴 断货 · 张记商贸**", "李明 11月23日 10:05盘点为0：", "苹果汁1L · 👉 建议进货 37箱", "矿泉水550ml")
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

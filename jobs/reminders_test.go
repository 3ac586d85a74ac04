package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"channelbot/models"
)

type fakePolicies map[string][]string // customer code → lines

func (p fakePolicies) source(f *fixture) PolicySource {
	return policyFunc(func(_ context.Context, ids []int64, _ time.Time) (map[int64][]string, error) {
		out := map[int64][]string{}
		for code, lines := range p {
			out[f.customer(code).ID] = lines
		}
		return out, nil
	})
}

type policyFunc func(ctx context.Context, ids []int64, at time.Time) (map[int64][]string, error)

func (f policyFunc) Unacknowledged(ctx context.Context, ids []int64, at time.Time) (map[int64][]string, error) {
	return f(ctx, ids, at)
}

// scriptReminders is the history behind TestVisitReminders.
func scriptReminders(f *fixture) {
	f.visit("R01", "C001", "2026-11-10 10:00") // 10|25: due the 25th
	f.visit("R01", "C002", "2026-11-13 10:00") // 7d: due the 20th, 3 days late
	f.visit("R01", "C005", "2026-10-26 10:00") // 10|25: the 25th was a Sunday; due the 10th, 13 days late
	f.visit("R01", "C006", "2026-11-02 10:00") // 7d: due the 9th, 14 days late: two cycles
	f.visit("R02", "C008", "2026-11-02 10:00") // no cadence: never due
	f.count("R01", "C002", "2026-11-06 10:00", map[string]int64{"P01": 100, "P02": 10})
	f.count("R01", "C002", "2026-11-13 10:00", map[string]int64{"P01": 20, "P02": 10})
	f.promise("R01", "C002", "2026-11-13 10:05", "2026-11-20", "换两箱破损")
	f.promise("R01", "C001", "2026-11-13 10:06", "2026-11-23", "送海报")
	f.nearExpiry("R01", "C002", "2026-11-13 10:07", "2026-11-28", "P03", 5)
	f.plan("R01", "2026-11-22 20:00", "2026-11-23", "C003", "C001")
}

func TestVisitReminders(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, opener storeOpener) {
		f := newFixture(t, opener)
		f.jobs.Policies = fakePolicies{"C002": {"#7 苹果汁1L 出厂价 40元（11月25日起）"}}.source(f)
		scriptReminders(f)
		f.run(NameVisitReminders, "2026-11-23 08:31")

		r01 := f.sentBy("R01", NameVisitReminders)
		if len(r01) != 1 {
			t.Fatalf("R01 got %d reminders, want 1: %q", len(r01), r01)
		}
		text := r01[0]
		mustContain(t, text, "**📅 今日拜访 11月23日（周一） · 5家**")
		// Overdue first, the most late first; then by tier.
		inOrder(t, text, "1. **好又多**（A类） ⏰逾期14天", "2. **陈记烟酒**（C类） ⏰逾期13天",
			"3. **宏城超市**（B类） ⏰逾期3天", "4. **张记商贸**（A类） 🗓计划", "5. **王记批发**（B类） 🗓计划")
		// What the rep needs at each.
		inOrder(t, text, "**宏城超市**", "上次拜访 11月13日（10天前）", "上次盘点 11月13日\n👉 建议进货 苹果汁1L 100箱",
			"🤝 换两箱破损 · 已过期3天", "⏳ 即期 乳酸菌100ml 5箱 11月28日到期",
			"📢 价格政策未确认\n#7 苹果汁1L 出厂价\n\u300040元（11月25日起）")
		inOrder(t, text, "**张记商贸**", "上次拜访 11月10日", "还没盘点过", "🤝 送海报 · 今天到期")
		inOrder(t, text, "**王记批发**", "还没拜访过")
		mustNotContain(t, text, "北郊批发", "到期的承诺") // no cadence; the promise is on the list

		// R02's own overdue customer; R03 on Feishu; R04 on no platform gets nothing.
		r02 := f.sentBy("R02", NameVisitReminders)
		if len(r02) != 1 || !strings.Contains(r02[0], "**王记批发**（B类） ⏰逾期46天") {
			t.Errorf("R02 reminders = %q", r02)
		}
		if m := f.sent("R03"); len(m) != 1 || m[0].Platform != models.PlatformFeishu || m[0].Peer != "ou_r03" || !m[0].Markdown {
			t.Errorf("R03 messages = %+v", m)
		}
		if m := f.sent("R01"); m[0].Platform != models.PlatformWeCom || m[0].Peer != "liming" || m[0].Status != models.StatusPending {
			t.Errorf("R01 message = %+v", m[0])
		}
		if m := f.sent("R04"); len(m) != 0 {
			t.Errorf("R04 (no platform) got %+v", m)
		}

		// Overdue by more than a cycle: to the manager, the most late first.
		m01 := f.sentBy("M01", NameVisitReminders)
		if len(m01) != 1 {
			t.Fatalf("M01 got %q", m01)
		}
		inOrder(t, m01[0], "**⏰ 超过一个周期没拜访 · 2家**", "王记批发 逾期46天（周期14天） · 赵强", "好又多 逾期14天（周期7天） · 李明")
		mustNotContain(t, m01[0], "陈记烟酒", "宏城超市")

		// Run again the same day: nothing new.
		f.run(NameVisitReminders, "2026-11-23 09:00")
		if n := len(f.sent("R01")) + len(f.sent("M01")); n != 2 {
			t.Errorf("a second run sent again: %d messages", n)
		}

		// The next day: the escalation is neither new nor worse: not repeated.
		f.run(NameVisitReminders, "2026-11-24 08:31")
		if got := f.sentBy("M01", NameVisitReminders); len(got) != 1 {
			t.Errorf("escalation repeated the next day: %q", got)
		}
		if got := f.sentBy("R01", NameVisitReminders); len(got) != 2 {
			t.Errorf("R01 has %d reminders after two days, want 2", len(got))
		}
		// Three days unresolved: repeated. Meanwhile 好又多 was visited and drops out.
		f.visit("R01", "C006", "2026-11-25 15:00")
		f.run(NameVisitReminders, "2026-11-26 08:31")
		got := f.sentBy("M01", NameVisitReminders)
		if len(got) != 2 || !strings.Contains(got[1], "王记批发 逾期49天") || strings.Contains(got[1], "好又多") {
			t.Errorf("escalations after three days = %q", got)
		}
		still, err := f.store.OpenWarnings(f.ctx, []string{warnOverdue}, []int64{f.customer("C003").ID, f.customer("C006").ID})
		if err != nil || len(still) != 1 || still[0].CustomerID != f.customer("C003").ID {
			t.Errorf("open overdue warnings = %+v, %v", still, err)
		}
	})
}

// TestOverdueWorse: another cycle missed makes the escalation worse: sent at once.
func TestOverdueWorse(t *testing.T) {
	t.Parallel()
	f := newFixture(t, openSQLite)
	f.jobs.cfg.RepeatDays = 30
	f.visit("R01", "C006", "2026-11-02 10:00") // 7d: due the 9th
	for _, d := range []string{"2026-11-17", "2026-11-18", "2026-11-23", "2026-11-24"} {
		f.run(NameVisitReminders, d+" 08:31")
	}
	got := f.sentBy("M01", NameVisitReminders)
	// The 17th: 8 days late (1 cycle); the 23rd: 14 (2 cycles).
	if len(got) != 2 || !strings.Contains(got[0], "逾期8天") || !strings.Contains(got[1], "逾期14天") {
		t.Errorf("escalations = %q", got)
	}
}

// TestRemindersCalendar runs the reminders as scheduled around holidays: the 25th
// on 中秋 moves to the next working day, a working Saturday (调休) has its run and
// its visits, a 31st is the month's last day.
func TestRemindersCalendar(t *testing.T) {
	t.Parallel()
	f := newFixture(t, openSQLite)
	s := NewScheduler(f.jobs, newMemoryLock(f.clock), nil)
	s.now = f.clock.Now
	f.visit("R01", "C001", "2026-09-10 10:00") // 10|25
	f.visit("R04", "C007", "2026-11-16 10:00") // 15|31
	f.jobs.platforms = nil                     // R04 reachable on the console
	run := func(when string) Result {
		t.Helper()
		f.clock.Set(at(t, when))
		res, err := s.RunScheduled(f.ctx, NameVisitReminders, at(t, when))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := run("2026-09-25 08:31"); res.Skipped != "not a run day" {
		t.Errorf("中秋: %+v", res)
	}
	if res := run("2026-09-26 08:31"); res.Skipped != "not a run day" {
		t.Errorf("a holiday Saturday: %+v", res)
	}
	run("2026-09-28 08:31")
	got := f.sentBy("R01", NameVisitReminders)
	if len(got) != 1 || !strings.Contains(got[0], "1. 张记商贸（A类） 📌今天该去") {
		t.Fatalf("the 25th moved to Monday the 28th: %q", got)
	}
	f.visit("R01", "C001", "2026-09-28 15:00")
	if res := run("2026-10-10 08:31"); res.Skipped != "" {
		t.Errorf("the 调休 Saturday did not run: %+v", res)
	}
	got = f.sentBy("R01", NameVisitReminders)
	if len(got) != 2 || !strings.Contains(got[1], "张记商贸（A类） 📌今天该去") || !strings.Contains(got[1], "10月10日（周六）") {
		t.Errorf("on the 调休 Saturday: %q", got)
	}
	run("2026-11-30 08:31")
	if got := f.sentBy("R04", NameVisitReminders); len(got) != 1 || !strings.Contains(got[0], "华联（B类） 📌今天该去") {
		t.Errorf("the 31st in November: %q", got)
	}
	if res := run("2026-11-29 08:31"); res.Skipped != "not a run day" {
		t.Errorf("a Sunday: %+v", res)
	}
}

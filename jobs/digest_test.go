package jobs

import (
	"strings"
	"testing"

	"channelbot/models"
)

// scriptDay is a Monday of a small team: M01 leads 李明 (R01) and 赵强 (R02), M02
// leads 陈静 (R03) and 孙磊 (R04).
func scriptDay(f *fixture) {
	// Before the day: what makes the morning's lists.
	f.visit("R01", "C002", "2026-11-16 10:00") // 7d: due today
	f.visit("R01", "C006", "2026-11-09 10:00") // 7d: 7 days late
	f.visit("R01", "C001", "2026-11-10 10:00") // 10|25: not due
	f.visit("R01", "C005", "2026-11-10 11:00") // 10|25: not due
	f.visit("R02", "C003", "2026-11-09 10:00") // 14d: due today
	f.visit("R03", "C004", "2026-11-10 10:00") // 10|25: not due
	f.plan("R01", "2026-11-22 21:00", "2026-11-23", "C001", "C005")
	f.promise("R01", "C001", "2026-11-13 10:00", "2026-11-20", "换货")
	f.promise("R01", "C002", "2026-11-13 10:00", "2026-11-30", "送海报") // not due
	// The day.
	f.visit("R01", "C002", "2026-11-23 09:30")
	f.count("R01", "C002", "2026-11-23 09:35", map[string]int64{"P01": 10})
	f.order("R01", "C002", "2026-11-23 09:40", "P01", 5)
	f.visit("R01", "C001", "2026-11-23 11:00")
	f.deliver("R01", "C001", "2026-11-23 11:05", "P01", 20)
	f.price("R01", "C001", "2026-11-23 11:10", "P01", 3500)
	f.price("R01", "C001", "2026-11-23 11:11", "P02", 2500) // above the floor: no violation
	f.complaint("R01", "C001", "2026-11-23 11:15", "送货慢")
	f.crossRegion("R03", "北郊", "2026-11-23 14:00", "P02")
	f.count("R03", "C004", "2026-11-23 14:05", map[string]int64{"P01": 0})
	// The next day does not count.
	f.visit("R02", "C003", "2026-11-24 09:00")
}

func TestDailyDigest(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, opener storeOpener) {
		f := newFixture(t, opener)
		scriptDay(f)
		f.run(NameDailyDigest, "2026-11-23 18:31")

		m01 := f.sentBy("M01", NameDailyDigest)
		if len(m01) != 1 {
			t.Fatalf("M01 got %q", m01)
		}
		want := strings.Join([]string{
			"**📊 日报 11月23日（周一）**",
			"王经理组 2人",
			"",
			"**⚠️ 异常**",
			"🔇 没报 1人：赵强",
			"💰 乱价 1",
			"张记商贸 苹果汁1L 35元/箱 · 李明",
			"📣 客诉 1",
			"张记商贸：送货慢 · 李明",
			"🚶 漏拜访 3家",
			"好又多 逾期7天 · 李明",
			"陈记烟酒 计划内 · 李明",
			"王记批发 今天到期 · 赵强",
			"🤝 承诺逾期 1",
			"张记商贸：换货 · 已过期3天 · 李明",
			"",
			"**👥 各人**（订货、到货按箱）",
			"赵强 R02 🔇 拜访0/1 · 盘点0",
			"李明 R01 ⚠️ 拜访2/4 · 盘点1 · 订货5",
			"\u3000到货20",
			"**合计 拜访2/5 · 盘点1 · 订货5**",
			"\u3000**到货20**",
		}, "\n")
		if m01[0] != want {
			t.Errorf("M01's digest:\n%s\n\nwant:\n%s", m01[0], want)
		}
		m02 := f.sentBy("M02", NameDailyDigest)
		if len(m02) != 1 {
			t.Fatalf("M02 got %q", m02)
		}
		inOrder(t, m02[0], "**📊 日报 11月23日（周一）**\n刘经理组 2人", "🔇 没报 1人：孙磊",
			"🔴 断货 1\n永辉城西店 苹果汁1L 👉按经验补货\n\u3000陈静", "🚨 冲货 1\n北郊 矿泉水550ml · 陈静", "🚶 漏拜访 1家\n华联 逾期39天 · 孙磊",
			"**👥 各人**", "孙磊 R04 🔇 拜访0/1 · 盘点0", "陈静 R03 ✅ 计划外拜访1 · 盘点1", "**合计 拜访0/1 · 计划外1 · 盘点1**") // the count is a visit, not on the list
		mustNotContain(t, m02[0], "乱价", "客诉", "承诺逾期")
		// Reps get no digest.
		if got := f.sentBy("R01", NameDailyDigest); len(got) != 0 {
			t.Errorf("R01 got %q", got)
		}
	})
}

// TestDigestConsole: without a platform the digest is plain text.
func TestDigestConsole(t *testing.T) {
	t.Parallel()
	f := newFixture(t, openSQLite)
	f.jobs.platforms = nil
	col := &Collector{}
	f.jobs = f.jobs.WithSink(col.Commit)
	scriptDay(f)
	f.run(NameDailyDigest, "2026-11-23 18:31")
	if len(col.Messages) != 2 {
		t.Fatalf("collected %d messages", len(col.Messages))
	}
	m := col.Messages[0]
	if m.UserID != "M01" || m.Platform != models.PlatformConsole || m.Markdown || strings.Contains(m.Text, "**") {
		t.Errorf("console message = %+v", m)
	}
	mustContain(t, m.Text, "📊 日报 11月23日（周一）\n王经理组 2人\n\n⚠️ 异常\n🔇 没报 1人：赵强")
	if got := f.sent("M01"); len(got) != 0 {
		t.Errorf("the collector stored messages: %+v", got)
	}
}

func TestWeeklyDigest(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, opener storeOpener) {
		f := newFixture(t, opener)
		f.visit("R01", "C001", "2026-11-10 10:00") // the week before
		f.count("R01", "C001", "2026-11-11 10:00", map[string]int64{"P01": 30})
		f.deliver("R01", "C001", "2026-11-12 10:00", "P01", 10)
		f.complaint("R02", "C003", "2026-11-12 10:00", "太贵")
		for _, d := range []string{"16", "17", "18"} { // the week
			f.visit("R01", "C001", "2026-11-"+d+" 10:00")
		}
		f.order("R01", "C001", "2026-11-18 10:30", "P01", 10)
		f.order("R01", "C001", "2026-11-22 23:59", "P02", 6) // Sunday night: still the week
		f.price("R02", "C003", "2026-11-20 10:00", "P01", 3000)
		f.order("R01", "C001", "2026-11-23 09:00", "P01", 99) // this week: not yet

		s := NewScheduler(f.jobs, newMemoryLock(f.clock), nil)
		s.now = f.clock.Now
		for _, when := range []string{"2026-11-24 08:46", "2026-11-23 08:46"} { // a Tuesday: not its day
			f.clock.Set(at(t, when))
			if _, err := s.RunScheduled(f.ctx, NameWeeklyDigest, at(t, when)); err != nil {
				t.Fatal(err)
			}
		}
		m01 := f.sentBy("M01", NameWeeklyDigest)
		if len(m01) != 1 {
			t.Fatalf("M01 got %q", m01)
		}
		want := strings.Join([]string{
			"**📊 周报 11/16–11/22**",
			"王经理组 2人 · 前一周 11/9–11/15",
			"",
			"**⚠️ 异常** 上周／前一周",
			"💰 乱价 1／0",
			"🚨 冲货 0／0",
			"📣 客诉 0／1",
			"",
			"**👥 各人**（订货、到货按箱）",
			"赵强 R02 拜访0 · 盘点0",
			"李明 R01 拜访4 · 盘点0 · 订货16", // 3 visits, and the order at C001 on Sunday
			"",
			"**📈 合计** 上周（比前一周）",
			"拜访 4（+1）", // the week before: a visit, a count and a delivery, on three days
			"盘点 0（−1）",
			"订货 16（+16）",
			"到货 0（−10）",
		}, "\n")
		if m01[0] != want {
			t.Errorf("M01's weekly digest:\n%s\n\nwant:\n%s", m01[0], want)
		}
	})
}

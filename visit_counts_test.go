package main

import (
	"testing"
)

// TestWeeklyDigestCountsVisits: the weekly digest counts a visit as the daily
// digest and the visit lists do: any count, delivery, order, expiry or damage
// report at a customer is a visit there, one per rep, customer and day however
// many reports; an undone report is none.
func TestWeeklyDigestCountsVisits(t *testing.T) {
	db := tempDB(t)
	for i, r := range chatScript(t, db,
		// The week before (11/9–11/15): one typed visit.
		say{"R01", "2026-11-10T10:00:00+08:00", "拜访 张老板"},
		// The week (11/16–11/22).
		say{"R01", "2026-11-16T09:00:00+08:00", "拜访 张老板"},
		say{"R01", "2026-11-16T09:10:00+08:00", "盘点 苹果汁 120"}, // same customer, same day: the same visit
		say{"R01", "2026-11-16T15:00:00+08:00", "订货 张老板 橙汁 5"},
		say{"R01", "2026-11-17T10:00:00+08:00", "盘点 宏城超市 苹果汁 30"}, // no 拜访 typed: a visit
		say{"R01", "2026-11-17T11:00:00+08:00", "盘点 宏城超市 橙汁 12"},
		say{"R01", "2026-11-18T10:00:00+08:00", "进货 张老板 苹果汁 50"},
		say{"R01", "2026-11-19T10:00:00+08:00", "破损 宏城超市 橙汁 2"},
		say{"R01", "2026-11-20T10:00:00+08:00", "即期 张老板 苹果汁 3 12月1日"},
		say{"R01", "2026-11-20T10:01:00+08:00", "撤销"},         // undone: no visit on 11/20
		say{"R01", "2026-11-21T10:00:00+08:00", "客诉 张老板 送货慢"}, // a complaint is no visit
	) {
		if len(r) == 0 {
			t.Fatalf("line %d: no reply", i)
		}
	}
	m01 := linesTo(runJobs(t, env(), "run", "--db", db, "--now", "2026-11-23T08:46:00+08:00", "weekly-digest"), "M01")
	if len(m01) != 1 {
		t.Fatalf("M01's weekly digests: %+v", m01)
	}
	// 11/16 张老板, 11/17 宏城超市, 11/18 张老板, 11/19 宏城超市: 4 visits; the week before 1.
	mustContain(t, []string{m01[0].Text}, "李明 R01 拜访4 · 盘点3", "拜访 4（+3）", "盘点 3（+3）")
	checkPhone(t, "weekly digest", m01[0].Text)

	// The daily digest of 11/16 counts the same day the same way: one visit at 张老板.
	day := linesTo(runJobs(t, env(), "run", "--db", db, "--now", "2026-11-16T18:31:00+08:00", "daily-digest"), "M01")
	if len(day) != 1 {
		t.Fatalf("M01's daily digests: %+v", day)
	}
	// 张老板 was visited on 11/10 and is not due: the visit is off the list (计划外),
	// while 宏城超市 is due that day and not yet visited; no ratio over zero is shown.
	mustContain(t, []string{day[0].Text}, "李明 R01 ⚠️ 拜访0/1 · 计划外1\n\u3000盘点1 · 订货5", "合计 拜访0/2 · 计划外1 · 盘点1\n\u3000订货5")
	mustContain(t, []string{day[0].Text}, "赵强 R02 🔇 拜访0/1 · 盘点0")
	mustNotContain(t, []string{day[0].Text}, "/0", "计划外拜访2")
	checkPhone(t, "daily digest", day[0].Text)
}

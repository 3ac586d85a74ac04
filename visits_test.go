package main

import (
	"context"
	"strings"
	"testing"
)

// These tests follow section A of the visit issue: a visit is where the rep reported
// from, for as long as the rep is there.

// importDemoAt gives db the demo company, imported at now.
func importDemoAt(t *testing.T, db, now string) {
	t.Helper()
	if _, errOut, err := runCmd(t, "", "import", "--db", db, "--now", now, "models/demo"); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
}

// stopOf returns the lines of a visit list about the customer named, up to the next
// numbered stop.
func stopOf(list, name string) string {
	var out []string
	in := false
	for _, l := range strings.Split(list, "\n") {
		numbered := len(l) > 0 && l[0] >= '0' && l[0] <= '9'
		switch {
		case numbered && strings.Contains(l, name):
			in = true
		case numbered, strings.HasPrefix(l, "🤝"):
			in = false
		}
		if in {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestCountIsAVisit: counts at 宏城超市 (no 拜访 typed) are visits: the morning list
// shows the last one, not 还没拜访过; the manager's digest lists no missed visit for
// a customer counted that morning.
func TestCountIsAVisit(t *testing.T) {
	db := tempDB(t)
	importDemoAt(t, db, "2026-11-02T09:00:00+08:00")
	chatScript(t, db,
		say{"R01", "2026-11-13T10:00:00+08:00", "盘点 宏城超市 苹果汁 30"},
		say{"R01", "2026-11-16T10:00:00+08:00", "盘点 宏城超市 苹果汁 20"},
	)
	lines := runJobs(t, env(), "run", "--db", db, "--now", "2026-11-23T08:31:00+08:00", "visit-reminders")
	r01 := linesTo(lines, "R01")
	if len(r01) != 1 {
		t.Fatalf("R01 got %+v", lines)
	}
	hc := stopOf(r01[0].Text, "宏城超市")
	mustContain(t, []string{hc}, "宏城超市", "上次拜访 11月16日（7天前）")
	mustNotContain(t, []string{hc}, "还没拜访过")

	out := chatFull(t, db, say{"R01", "2026-11-23T09:30:00+08:00", "盘点 宏城超市 苹果汁 10"})
	mustContain(t, out[0].Replies, "盘点已记录", "宏城超市")
	lines = runJobs(t, env(), "run", "--db", db, "--now", "2026-11-23T18:31:00+08:00", "daily-digest")
	m01 := linesTo(lines, "M01")
	if len(m01) != 1 {
		t.Fatalf("M01 got %+v", lines)
	}
	for _, l := range strings.Split(m01[0].Text, "\n") {
		if strings.Contains(l, "漏拜访") && strings.Contains(l, "宏城超市") {
			t.Errorf("digest lists 宏城超市 as missed, counted at 09:30:\n%s", m01[0].Text)
		}
	}
}

// TestVisitMovesToAnotherStore: 90 minutes after 拜访 张老板 the rep counts at 宏城超市;
// the next count without a customer is 宏城超市's, and the reply says so.
func TestVisitMovesToAnotherStore(t *testing.T) {
	db := tempDB(t)
	at := func(hm string) string { return "2026-11-10T" + hm + ":00+08:00" }
	out := chatFull(t, db,
		say{"R01", at("09:00"), "拜访 张老板"},
		say{"R01", at("09:10"), "盘点 苹果汁 100"},
		say{"R01", at("10:30"), "盘点 宏城超市 苹果汁 30"},
		say{"R01", at("10:35"), "盘点 橙汁 20"},
	)
	mustContain(t, out[1].Replies, "盘点已记录 #2 · 张记商贸", "📍 没写客户，按正在拜访的 张记商贸 记")
	mustContain(t, out[2].Replies, "盘点已记录 #3 · 宏城超市")
	mustNotContain(t, out[2].Replies, "按正在拜访的")
	mustContain(t, out[3].Replies, "盘点已记录 #4 · 宏城超市", "📍 没写客户，按正在拜访的 宏城超市 记")
	if n, ok := lastCount(t, db, "C004", "P02", mustTime(t, at("11:00"))); !ok || n != 240 {
		t.Errorf("橙汁 at 宏城超市 = %d (%v), want 240 pieces", n, ok)
	}
	if _, ok := lastCount(t, db, "C001", "P02", mustTime(t, at("11:00"))); ok {
		t.Error("橙汁 was filed under 张记商贸")
	}
}

// TestVisitLastsPastTwoHours: at 12:30 the rep is still at the dealer visited at
// 09:00: the count is the dealer's.
func TestVisitLastsPastTwoHours(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"R01", "2026-11-10T09:00:00+08:00", "拜访 张老板"},
		say{"R01", "2026-11-10T12:30:00+08:00", "盘点 苹果汁 100"},
	)
	mustContain(t, out[0].Replies, "今天接下来不写客户的上报都记在这家")
	mustContain(t, out[1].Replies, "盘点已记录 #2 · 张记商贸", "按正在拜访的 张记商贸 记")
	mustNotContain(t, out[1].Replies, "没保存")
	if n, ok := lastCount(t, db, "C001", "P01", mustTime(t, "2026-11-10T13:00:00+08:00")); !ok || n != 1200 {
		t.Errorf("count at 张记商贸 = %d (%v), want 1200 pieces", n, ok)
	}
}

// TestVisitEndsWithWorkingDay: after 20:00, and the next morning, a count without a
// customer is asked about, not filed under yesterday's dealer.
func TestVisitEndsWithWorkingDay(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"R01", "2026-11-10T09:00:00+08:00", "拜访 张老板"},
		say{"R01", "2026-11-10T19:50:00+08:00", "盘点 橙汁 30"},
		say{"R01", "2026-11-10T20:10:00+08:00", "盘点 苹果汁 100"},
		say{"R01", "2026-11-11T08:30:00+08:00", "盘点 苹果汁 90"},
	)
	mustContain(t, out[1].Replies, "盘点已记录 #2 · 张记商贸")
	for _, o := range out[2:] {
		mustContain(t, o.Replies, "这条没保存", "没写客户")
	}
	if _, ok := lastCount(t, db, "C001", "P01", mustTime(t, "2026-11-12T00:00:00+08:00")); ok {
		t.Error("a count after the working day went to 张记商贸")
	}
}

// TestImportedCustomersNotOverdue: a company imports its customers on Monday; on
// Tuesday's list nobody is 逾期. A last_visit column says when each was last seen:
// one last visited two weeks ago on a 7-day rhythm is overdue, with that day shown.
func TestImportedCustomersNotOverdue(t *testing.T) {
	db := tempDB(t)
	importDemoAt(t, db, "2026-11-23T17:00:00+08:00")
	lines := runJobs(t, env(), "run", "--db", db, "--now", "2026-11-24T08:31:00+08:00", "visit-reminders")
	for _, l := range lines {
		mustNotContain(t, []string{l.Text}, "逾期", "⏰")
	}

	csv := writeFile(t, "customers.csv", "code,name,owner,visit_days,上次拜访\n"+
		"C101,城北老店,R01,7d,2026-11-10\n"+
		"C102,城北新店,R01,7d,\n")
	if _, errOut, err := runCmd(t, "", "import", "--db", db, "--now", "2026-11-23T17:30:00+08:00", "--kind", "customers", csv); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
	lines = runJobs(t, env(), "run", "--db", db, "--now", "2026-11-24T08:31:00+08:00", "visit-reminders")
	r01 := linesTo(lines, "R01")
	if len(r01) != 1 {
		t.Fatalf("R01 got %+v", lines)
	}
	mustContain(t, []string{stopOf(r01[0].Text, "城北老店")}, "逾期7天", "上次拜访 11月10日")
	mustNotContain(t, []string{r01[0].Text}, "城北新店")
	v := openDB(t, db)
	cat, err := v.s.LoadCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cat.Customers {
		if c.Code == "C101" && c.LastVisit != "2026-11-10" {
			t.Errorf("C101 last_visit = %q", c.LastVisit)
		}
	}
	// The new one comes due within its first week, not all at once on day 2.
	due := 0
	for _, d := range []string{"2026-11-25", "2026-11-26", "2026-11-27", "2026-11-30", "2026-12-01", "2026-12-02"} {
		for _, l := range linesTo(runJobs(t, env(), "run", "--db", db, "--now", d+"T08:31:00+08:00", "visit-reminders"), "R01") {
			if strings.Contains(l.Text, "城北新店") {
				due++
				mustNotContain(t, []string{stopOf(l.Text, "城北新店")}, "逾期")
				break
			}
		}
		if due > 0 {
			break
		}
	}
	if due == 0 {
		t.Error("城北新店 never came due in its first cycle")
	}
}

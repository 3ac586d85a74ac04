package main

import (
	"path/filepath"
	"testing"
)

// TestWeeklyDigestLabels: the weekly digest names the week it reports, and the week
// before, by their real Monday-to-Sunday dates in Asia/Shanghai, across a month and
// a year boundary: an order at 23:30 on the Sunday is in the week, one at 00:10 on
// the next Monday (still Sunday in UTC) is not.
func TestWeeklyDigestLabels(t *testing.T) {
	for _, c := range []struct {
		name                       string
		before, sunday, monday, at string
		wants                      []string
	}{
		{"month", "2026-11-25T10:00:00+08:00", "2026-12-06T23:30:00+08:00", "2026-12-07T00:10:00+08:00", "2026-12-07T08:46:00+08:00",
			[]string{"📊 周报 11/30–12/6\n王建华组 2人 · 前一周 11/23–11/29", "李明 R01 拜访1 · 盘点0 · 订货6\n", "订货 6（−4）"}},
		{"year", "2026-12-23T10:00:00+08:00", "2027-01-03T23:30:00+08:00", "2027-01-04T00:10:00+08:00", "2027-01-04T08:46:00+08:00",
			[]string{"📊 周报 2026/12/28–2027/1/3\n王建华组 2人 · 前一周 12/21–12/27", "李明 R01 拜访1 · 盘点0 · 订货6\n", "订货 6（−4）"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "weeks.db")
			chatScript(t, db,
				say{"R01", c.before, "订货 张老板 苹果汁 10"},
				say{"R01", c.sunday, "订货 张老板 橙汁 6"},
				say{"R01", c.monday, "订货 张老板 橙汁 99"},
			)
			m01 := linesTo(runJobs(t, env(), "run", "--db", db, "--now", c.at, "weekly-digest"), "M01")
			if len(m01) != 1 {
				t.Fatalf("M01's weekly digests: %+v", m01)
			}
			mustContain(t, []string{m01[0].Text}, c.wants...)
			mustNotContain(t, []string{m01[0].Text}, "本周", "99", "105")
			checkPhone(t, "weekly digest", m01[0].Text)
		})
	}
}

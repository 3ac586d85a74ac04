package jobs

import (
	"testing"
	"time"

	"channelbot/config"
)

func day(t testing.TB, s string) Day {
	t.Helper()
	d, err := ParseDay(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDay(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	// 2026-11-22 17:30 UTC is already Monday the 23rd in Shanghai.
	d := DayOf(time.Date(2026, 11, 22, 17, 30, 0, 0, time.UTC), loc)
	if d.String() != "2026-11-23" || d.Weekday() != time.Monday || d.Label() != "11月23日（周一）" {
		t.Errorf("DayOf = %s %s %s", d, d.Weekday(), d.Label())
	}
	if got := d.Start(loc); !got.Equal(time.Date(2026, 11, 22, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("Start = %v", got)
	}
	for _, s := range []string{"1969-12-31", "1970-01-01", "2026-11-29", "2026-11-30"} {
		x := day(t, s)
		if x.Weekday() != x.Time().Weekday() {
			t.Errorf("%s: Weekday %s, want %s", s, x.Weekday(), x.Time().Weekday())
		}
	}
	if m := day(t, "2026-11-29").Monday(); m.String() != "2026-11-23" {
		t.Errorf("Monday of Sunday 29th = %s", m)
	}
	if m := d.Monday(); m != d {
		t.Errorf("Monday of a Monday = %s", m)
	}
}

func TestCalendar(t *testing.T) {
	t.Parallel()
	cn := NewCalendar(config.DefaultJobs())
	plain := NewCalendar(config.Jobs{Calendar: config.CalendarWeekdays})
	over := NewCalendar(config.Jobs{Calendar: config.CalendarChina, Holidays: []string{"2026-11-24"}, Workdays: []string{"2026-10-03", "2026-11-29"}})
	tests := []struct {
		day          string
		cn, plain, o bool
	}{
		{"2026-11-23", true, true, true},    // a Monday
		{"2026-11-24", true, true, false},   // overridden off
		{"2026-11-28", false, false, false}, // a Saturday
		{"2026-11-29", false, false, true},  // a Sunday, overridden on
		{"2026-10-01", false, true, false},  // 国庆
		{"2026-10-03", false, false, true},  // 国庆 (a Saturday), overridden on
		{"2026-10-10", true, false, true},   // 调休: a working Saturday
		{"2026-09-20", true, false, true},   // 调休: a working Sunday
		{"2026-09-25", false, true, false},  // 中秋, a Friday
		{"2026-02-28", true, false, true},   // 春节调休, a Saturday
		{"2026-01-01", false, true, false},  // 元旦
		{"2027-01-04", true, true, true},    // a year the table lacks: Monday to Friday
		{"2027-01-02", false, false, false},
	}
	for _, tt := range tests {
		d := day(t, tt.day)
		if got := cn.Workday(d); got != tt.cn {
			t.Errorf("china Workday(%s) = %v, want %v", tt.day, got, tt.cn)
		}
		if got := plain.Workday(d); got != tt.plain {
			t.Errorf("weekdays Workday(%s) = %v, want %v", tt.day, got, tt.plain)
		}
		if got := over.Workday(d); got != tt.o {
			t.Errorf("overridden Workday(%s) = %v, want %v", tt.day, got, tt.o)
		}
	}
	if !cn.Covers(2026) || cn.Covers(2099) || !plain.Covers(2099) {
		t.Errorf("Covers: 2026 %v, 2099 %v, plain 2099 %v", cn.Covers(2026), cn.Covers(2099), plain.Covers(2099))
	}
	if got := cn.OnOrAfter(day(t, "2026-09-25")); got.String() != "2026-09-28" {
		t.Errorf("OnOrAfter(中秋) = %s, want 2026-09-28", got)
	}
	if got := cn.OnOrAfter(day(t, "2026-10-01")); got.String() != "2026-10-08" {
		t.Errorf("OnOrAfter(国庆) = %s, want 2026-10-08", got)
	}
	for _, tt := range []struct {
		day   string
		first bool
	}{
		{"2026-11-23", true},  // a Monday
		{"2026-11-24", false}, // a Tuesday
		{"2026-10-08", true},  // Thursday after 国庆
		{"2026-10-10", false}, // the 调休 Saturday of the same week
		{"2026-10-05", false}, // a holiday Monday
		{"2026-09-20", false}, // a working Sunday, after a working week
	} {
		if got := cn.FirstWorkdayOfWeek(day(t, tt.day)); got != tt.first {
			t.Errorf("FirstWorkdayOfWeek(%s) = %v, want %v", tt.day, got, tt.first)
		}
	}
}

func TestParseCadence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		days  []int
		every int
		ok    bool
		cycle int
	}{
		{"10|25", []int{10, 25}, 0, true, 15},
		{"25|10|10", []int{10, 25}, 0, true, 15},
		{"7d", nil, 7, true, 7},
		{" 14D ", nil, 14, true, 14},
		{"31", []int{31}, 0, true, 30},
		{"", nil, 0, false, defaultCycle},
		{"0d", nil, 0, false, defaultCycle},
		{"32", nil, 0, false, defaultCycle},
		{"weekly", nil, 0, false, defaultCycle},
	}
	for _, tt := range tests {
		c, ok := ParseCadence(tt.in)
		if ok != tt.ok || c.Every != tt.every || len(c.Days) != len(tt.days) || c.CycleDays() != tt.cycle {
			t.Errorf("ParseCadence(%q) = %+v %v, cycle %d", tt.in, c, ok, c.CycleDays())
			continue
		}
		for i := range tt.days {
			if c.Days[i] != tt.days[i] {
				t.Errorf("ParseCadence(%q).Days = %v, want %v", tt.in, c.Days, tt.days)
			}
		}
	}
}

// TestCadenceDue covers the edges: month ends, a scheduled day on a holiday, a
// working Saturday (调休), late and early visits, customers never visited.
func TestCadenceDue(t *testing.T) {
	t.Parallel()
	cal := NewCalendar(config.DefaultJobs())
	created := day(t, "2026-01-05")
	tests := []struct {
		name, cadence, last, created, want string
		cycle                              int
	}{
		{"visited on the day", "10|25", "2026-11-10", "", "2026-11-25", 15},
		{"visited a day early", "10|25", "2026-11-09", "", "2026-11-25", 15},
		{"visited late counts for its day", "10|25", "2026-11-16", "", "2026-11-25", 15},
		{"visited nearer the next day", "10|25", "2026-11-19", "", "2026-12-10", 15},
		{"across the year end", "10|25", "2026-12-24", "", "2027-01-11", 14}, // 2027-01-10 is a Sunday
		{"month end: 31 in November", "15|31", "2026-11-16", "", "2026-11-30", 15},
		{"month end: 31 in February", "15|31", "2027-02-14", "", "2027-03-01", 14}, // Feb 28 2027 is a Sunday
		{"the 25th on 中秋 moves to the next working day", "10|25", "2026-09-10", "", "2026-09-28", 12},
		{"the 10th on a working Saturday (调休) stays", "10|25", "2026-09-28", "", "2026-10-10", 16},
		{"the 1st in 国庆 moves past it", "1|15", "2026-09-15", "", "2026-10-08", 7},
		{"interval", "7d", "2026-11-16", "", "2026-11-23", 7},
		{"interval ending on a Sunday", "7d", "2026-11-15", "", "2026-11-23", 7},
		{"interval ending in 国庆", "7d", "2026-09-28", "", "2026-10-08", 7},
		{"never visited, days", "10|25", "", "2026-11-12", "2026-11-25", 15},
		{"never visited, on the day", "10|25", "", "2026-11-10", "2026-11-10", 15},
		{"never visited, interval", "14d", "", "2026-11-21", "2026-11-23", 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := ParseCadence(tt.cadence)
			if !ok {
				t.Fatal("bad cadence")
			}
			cr := created
			if tt.created != "" {
				cr = day(t, tt.created)
			}
			var last Day
			if tt.last != "" {
				last = day(t, tt.last)
			}
			due := c.Due(cal, last, tt.last != "", cr)
			if due.String() != tt.want {
				t.Errorf("Due = %s, want %s", due, tt.want)
			}
			if got := c.Cycle(cal, due); got != tt.cycle {
				t.Errorf("Cycle(%s) = %d, want %d", due, got, tt.cycle)
			}
		})
	}
}

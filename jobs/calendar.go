package jobs

import (
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"

	"channelbot/config"
)

// Day is a calendar day, counted from 1970-01-01: cheap to compare, add and subtract.
type Day int32

// DayOf returns the day t falls on in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	return DayFor(y, m, d)
}

// DayFor returns the day y-m-d; days out of range roll over as time.Date does.
func DayFor(y int, m time.Month, d int) Day {
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ParseDay reads YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, err
	}
	return Day(t.Unix() / 86400), nil
}

// Time returns the day at midnight UTC, for its date parts.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// Start returns when the day begins in loc.
func (d Day) Start(loc *time.Location) time.Time {
	y, m, dd := d.Time().Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc)
}

// String is YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

// Weekday returns the day of the week.
func (d Day) Weekday() time.Weekday { return time.Weekday((int(d)%7 + 11) % 7) } // 1970-01-01 was a Thursday

// Monday returns the Monday of d's week (weeks run Monday to Sunday).
func (d Day) Monday() Day { return d - Day((int(d.Weekday())+6)%7) }

// Label writes the day as people say it: 11月23日（周一）.
func (d Day) Label() string {
	t := d.Time()
	return t.Format("1月2日") + "（周" + weekdayNames[t.Weekday()] + "）"
}

// Short writes the day as 11月23日.
func (d Day) Short() string { return d.Time().Format("1月2日") }

var weekdayNames = [...]string{"日", "一", "二", "三", "四", "五", "六"}

// daysIn returns how many days month m of year y has.
func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }

// Calendar tells working days from days off: the Chinese calendar with its public
// holidays and make-up working days (调休), or plain Monday to Friday, with single
// days overridden by settings. It is safe for concurrent use.
type Calendar struct {
	china   bool
	off, on map[Day]bool

	mu    sync.Mutex
	years map[int]map[Day]bool // the holiday table by year: day → is a working day
}

// NewCalendar returns the calendar the settings describe: config.CalendarChina or
// config.CalendarWeekdays, with JOBS_HOLIDAYS and JOBS_WORKDAYS applied. Dates that do
// not parse are ignored (config has checked them).
func NewCalendar(s config.Jobs) *Calendar {
	c := &Calendar{china: s.Calendar != config.CalendarWeekdays, off: map[Day]bool{}, on: map[Day]bool{}, years: map[int]map[Day]bool{}}
	for _, v := range s.Holidays {
		if d, err := ParseDay(v); err == nil {
			c.off[d] = true
		}
	}
	for _, v := range s.Workdays {
		if d, err := ParseDay(v); err == nil {
			c.on[d] = true
		}
	}
	return c
}

// Workday reports whether d is a working day.
func (c *Calendar) Workday(d Day) bool {
	switch {
	case c.off[d]:
		return false
	case c.on[d]:
		return true
	}
	if c.china {
		if work, ok := c.table(d.Time().Year())[d]; ok {
			return work
		}
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// table returns the special days of year from the holiday table, loading it once.
func (c *Calendar) table(year int) map[Day]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.years[year]; ok {
		return t
	}
	t := map[Day]bool{}
	for e := HolidayUtil.GetHolidaysByYear(year).Front(); e != nil; e = e.Next() {
		h := e.Value.(*HolidayUtil.Holiday)
		if d, err := ParseDay(h.GetDay()); err == nil {
			t[d] = h.IsWork()
		}
	}
	c.years[year] = t
	return t
}

// Covers reports whether the calendar knows year's holidays: always for plain
// weekdays, and for the Chinese calendar when the table has the year (the State
// Council publishes each year's holidays late in the year before). Without it,
// working days are Monday to Friday plus the overrides.
func (c *Calendar) Covers(year int) bool {
	return !c.china || len(c.table(year)) > 0
}

// OnOrAfter returns the first working day on or after d; d itself when none comes
// within 60 days.
func (c *Calendar) OnOrAfter(d Day) Day {
	for i := Day(0); i < 60; i++ {
		if c.Workday(d + i) {
			return d + i
		}
	}
	return d
}

// FirstWorkdayOfWeek reports whether d is the first working day of its week.
func (c *Calendar) FirstWorkdayOfWeek(d Day) bool {
	if !c.Workday(d) {
		return false
	}
	for x := d.Monday(); x < d; x++ {
		if c.Workday(x) {
			return false
		}
	}
	return true
}

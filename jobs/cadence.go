package jobs

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Cadence is how often a customer is visited (Customer.VisitDays): on days of the
// month ("10|25"), or every so many days ("7d"). A scheduled day that is not a
// working day moves to the next working day; a day past the month's end (31 in
// November) is the month's last day.
type Cadence struct {
	Days  []int // days of the month, ascending
	Every int   // days between visits
}

// defaultCycle is the visit cycle assumed for customers with no cadence, in days.
const defaultCycle = 14

// ParseCadence reads a VisitDays value. ok is false for an empty or unreadable one.
func ParseCadence(s string) (c Cadence, ok bool) {
	s = strings.TrimSpace(strings.ToLower(s))
	if n, isEvery := strings.CutSuffix(s, "d"); isEvery {
		v, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || v < 1 || v > 365 {
			return Cadence{}, false
		}
		return Cadence{Every: v}, true
	}
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == '、' || r == ',' || r == '，' }) {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 1 || v > 31 {
			return Cadence{}, false
		}
		if !slices.Contains(c.Days, v) {
			c.Days = append(c.Days, v)
		}
	}
	slices.Sort(c.Days)
	return c, len(c.Days) > 0
}

// CycleDays is the usual number of days between two visits.
func (c Cadence) CycleDays() int {
	switch {
	case c.Every > 0:
		return c.Every
	case len(c.Days) > 0:
		return max(1, 30/len(c.Days))
	}
	return defaultCycle
}

// occurrences returns the scheduled days (moved to working days) of the months from
// the one before d to the one after, in order.
func (c Cadence) occurrences(cal *Calendar, d Day) []Day {
	t := d.Time()
	var out []Day
	for dm := -1; dm <= 1; dm++ {
		first := time.Date(t.Year(), t.Month()+time.Month(dm), 1, 0, 0, 0, 0, time.UTC)
		y, m := first.Year(), first.Month()
		last := daysIn(y, m)
		for _, day := range c.Days {
			x := cal.OnOrAfter(DayFor(y, m, min(day, last)))
			if len(out) == 0 || out[len(out)-1] != x {
				out = append(out, x)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// after returns the first scheduled day after d.
func (c Cadence) after(cal *Calendar, d Day) Day {
	for _, x := range c.occurrences(cal, d) {
		if x > d {
			return x
		}
	}
	return d + Day(c.CycleDays()) // unreachable: the next month always has one
}

// onOrAfter returns the first scheduled day on or after d.
func (c Cadence) onOrAfter(cal *Calendar, d Day) Day { return c.after(cal, d-1) }

// nearest returns the scheduled day nearest to d, the earlier one on a tie: a visit
// is taken as the visit of the scheduled day nearest to it, so one made a few days
// late still counts for its day.
func (c Cadence) nearest(cal *Calendar, d Day) Day {
	occ := c.occurrences(cal, d)
	prev, next := Day(-1<<30), Day(1<<30)
	for _, x := range occ {
		if x <= d {
			prev = x
		} else if next == 1<<30 {
			next = x
		}
	}
	if d-prev <= next-d {
		return prev
	}
	return next
}

// Due returns the day a customer's next visit is due: after the last visit (visited
// false for a customer never visited, who is due from its first scheduled day on or
// after created).
func (c Cadence) Due(cal *Calendar, last Day, visited bool, created Day) Day {
	switch {
	case c.Every > 0 && visited:
		return cal.OnOrAfter(last + Day(c.Every))
	case c.Every > 0:
		return cal.OnOrAfter(created)
	case !visited:
		return c.onOrAfter(cal, created)
	}
	return c.after(cal, c.nearest(cal, last))
}

// Cycle returns the length of the visit cycle that begins on the due day: to the
// next scheduled day, or the interval.
func (c Cadence) Cycle(cal *Calendar, due Day) int {
	if c.Every > 0 {
		return c.Every
	}
	return int(c.after(cal, due) - due)
}

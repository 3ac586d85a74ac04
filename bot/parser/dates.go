package parser

import "time"

// Date is a calendar day in the bot's time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// In returns midnight of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

func dateOf(t time.Time) Date { return Date{t.Year(), t.Month(), t.Day()} }

type dateKind uint8

const (
	dateNone      dateKind = iota
	dateRelDays            // 今天 +0, 明天 +1, 后天 +2
	dateWeekday            // 周三: this week's, or next week's once past
	dateNextWeek           // 下周三, 下下周三
	dateMonthEnd           // 月底
	dateNextMonth          // 下月: with a day after it (下月15号)
	dateThisMonth          // 本月: with a day after it (本月5号), even when past
	dateYear               // 今年 +0, 明年 +1: with a month and day after it (明年1月5日)
)

// dateWord is a word that names a day, or a part of one.
type dateWord struct {
	kind dateKind
	n    int // days for dateRelDays; weekday (1=Mon … 7=Sun) for weekdays, +7 the week after next
}

var dateWords = func() map[string]dateWord {
	m := map[string]dateWord{
		"今天": {dateRelDays, 0}, "今日": {dateRelDays, 0}, "明天": {dateRelDays, 1}, "明日": {dateRelDays, 1},
		"后天": {dateRelDays, 2}, "大后天": {dateRelDays, 3}, "昨天": {dateRelDays, -1}, "昨日": {dateRelDays, -1}, "前天": {dateRelDays, -2},
		"今早": {dateRelDays, 0}, "今晚": {dateRelDays, 0}, "明早": {dateRelDays, 1}, "明晚": {dateRelDays, 1},
		"月底": {dateMonthEnd, 0}, "月末": {dateMonthEnd, 0}, "本月底": {dateMonthEnd, 0},
		"下月": {dateNextMonth, 0}, "下个月": {dateNextMonth, 0},
		"本月": {dateThisMonth, 0}, "这个月": {dateThisMonth, 0}, "这月": {dateThisMonth, 0},
		"今年": {dateYear, 0}, "明年": {dateYear, 1}, "来年": {dateYear, 1},
	}
	days := []string{"一", "二", "三", "四", "五", "六", "日"}
	for i := range 7 {
		days = append(days, string(rune('1'+i))) // 周5
	}
	for i, d := range days {
		i %= 7
		for _, p := range []string{"周", "星期", "礼拜"} {
			m[p+d] = dateWord{dateWeekday, i + 1}
			m["本"+p+d] = dateWord{dateWeekday, i + 1}
			m["这"+p+d] = dateWord{dateWeekday, i + 1}
			m["下"+p+d] = dateWord{dateNextWeek, i + 1}
			m["下个"+p+d] = dateWord{dateNextWeek, i + 1}
			m["下下"+p+d] = dateWord{dateNextWeek, i + 8}
		}
	}
	for _, p := range []string{"周", "星期", "礼拜"} {
		m[p+"天"] = dateWord{dateWeekday, 7}
		m["下"+p+"天"] = dateWord{dateNextWeek, 7}
		m["下下"+p+"天"] = dateWord{dateNextWeek, 14}
	}
	// A part of the day alone is today's (下午 拜访 张老板); after a day it is part of it.
	for _, p := range dayParts {
		m[p] = dateWord{dateRelDays, 0}
	}
	// 周末: the weekend's Saturday.
	m["周末"], m["这周末"], m["本周末"] = dateWord{dateWeekday, 6}, dateWord{dateWeekday, 6}, dateWord{dateWeekday, 6}
	m["下周末"], m["下个周末"] = dateWord{dateNextWeek, 6}, dateWord{dateNextWeek, 6}
	return m
}()

// dayParts are the parts of a day: 明天下午 is 明天.
var dayParts = []string{"上午", "下午", "中午", "晚上", "早上", "傍晚", "早晨", "凌晨"}

// weekdayNum is Monday 1 … Sunday 7.
func weekdayNum(t time.Time) int {
	w := int(t.Weekday())
	if w == 0 {
		return 7
	}
	return w
}

// resolve turns a date word into a day, relative to now.
func (w dateWord) resolve(now time.Time) (Date, bool) {
	today := time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, now.Location())
	switch w.kind {
	case dateRelDays:
		return dateOf(today.AddDate(0, 0, w.n)), true
	case dateWeekday:
		d := w.n - weekdayNum(today)
		if d < 0 {
			d += 7
		}
		return dateOf(today.AddDate(0, 0, d)), true
	case dateNextWeek:
		monday := today.AddDate(0, 0, 8-weekdayNum(today))
		return dateOf(monday.AddDate(0, 0, w.n-1)), true
	case dateMonthEnd:
		return dateOf(time.Date(now.Year(), now.Month()+1, 0, 12, 0, 0, 0, now.Location())), true
	}
	return Date{}, false
}

// dayOfMonth resolves "25号": this month's, or next month's once past.
func dayOfMonth(now time.Time, day int, nextMonth bool) (Date, bool) {
	y, m := now.Year(), now.Month()
	if nextMonth || day < now.Day() {
		m++
	}
	return validDate(y, m, day)
}

// yearMonthDay resolves "明年1月5日": the given year, however far from now.
func yearMonthDay(year, month, day int) (Date, bool) {
	if month < 1 || month > 12 {
		return Date{}, false
	}
	return validDate(year, time.Month(month), day)
}

// monthDay resolves "12月1日": this year's, or next year's when the month is past.
func monthDay(now time.Time, month, day int) (Date, bool) {
	if month < 1 || month > 12 {
		return Date{}, false
	}
	y := now.Year()
	if time.Month(month) < now.Month() {
		y++
	}
	return validDate(y, time.Month(month), day)
}

// validDate normalizes year/month overflow and rejects days the month lacks (2月30日).
func validDate(y int, m time.Month, day int) (Date, bool) {
	t := time.Date(y, m, day, 12, 0, 0, 0, time.UTC)
	first := time.Date(y, m, 1, 12, 0, 0, 0, time.UTC)
	if t.Month() != first.Month() {
		return Date{}, false
	}
	return dateOf(t), true
}

// after reports whether d is a later day than e.
func (d Date) after(e Date) bool {
	if d.Year != e.Year {
		return d.Year > e.Year
	}
	if d.Month != e.Month {
		return d.Month > e.Month
	}
	return d.Day > e.Day
}

package models

import (
	"fmt"
	"strings"
	"time"
)

// dbTime scans a time as the drivers return it: a time.Time, or text from SQLite
// when the column's type is lost (aggregates, window functions).
type dbTime struct{ time.Time }

var sqliteTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// Scan implements sql.Scanner.
func (t *dbTime) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case time.Time:
		t.Time = v.UTC()
		return nil
	case nil:
		t.Time = time.Time{}
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("models: time from %T", src)
	}
	s = strings.TrimSuffix(s, "Z")
	for _, l := range sqliteTimeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("models: time from %q", s)
}

// fastTime is the SQL for reading a time column in bulk: Unix seconds on PostgreSQL,
// the stored text on SQLite, both scanned by fastTimeScan, far cheaper than the
// drivers' parsing of a time for every row.
func (s *Store) fastTime(col string) string {
	if s.dialect == "postgres" {
		return "EXTRACT(EPOCH FROM " + col + ")::float8"
	}
	return "CAST(" + col + " AS TEXT)"
}

// fastTimeScan scans what fastTime selects.
type fastTimeScan struct{ time.Time }

// Scan implements sql.Scanner.
func (t *fastTimeScan) Scan(src any) error {
	switch v := src.(type) {
	case float64:
		sec := int64(v)
		t.Time = time.Unix(sec, int64((v-float64(sec))*1e6+0.5)*1000).UTC()
		return nil
	case string:
		if p, ok := parseStoredTime(v); ok {
			t.Time = p
			return nil
		}
	case []byte:
		if p, ok := parseStoredTime(string(v)); ok {
			t.Time = p
			return nil
		}
	}
	var d dbTime
	err := d.Scan(src)
	t.Time = d.Time
	return err
}

// parseStoredTime reads the form SQLite stores times in, "2006-01-02 15:04:05.999999999+00:00",
// by hand. ok is false for any other form.
func parseStoredTime(s string) (time.Time, bool) {
	if len(s) < 25 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(a, b int) (int, bool) {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	se, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	i, nsec := 19, 0
	if s[i] == '.' {
		i++
		scale := 100000000
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			nsec += int(s[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	if s[i:] != "+00:00" {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, se, nsec, time.UTC), true
}

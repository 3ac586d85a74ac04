package config

import (
	"strings"
	"testing"
	"time"
)

func TestVisitDayEnd(t *testing.T) {
	t.Parallel()
	c, err := Load(env{}.get)
	if err != nil {
		t.Fatal(err)
	}
	if c.VisitDayEnd != 20*time.Hour {
		t.Errorf("default VisitDayEnd = %s, want 20h", c.VisitDayEnd)
	}
	for raw, want := range map[string]time.Duration{
		"18:30":  18*time.Hour + 30*time.Minute,
		"9:05":   9*time.Hour + 5*time.Minute,
		" 22:00": 22 * time.Hour,
		"24:00":  24 * time.Hour,
		"00:01":  time.Minute,
	} {
		c, err := Load(env{EnvVisitDayEnd: raw}.get)
		if err != nil {
			t.Errorf("%s=%q: %v", EnvVisitDayEnd, raw, err)
			continue
		}
		if c.VisitDayEnd != want {
			t.Errorf("%s=%q: VisitDayEnd = %s, want %s", EnvVisitDayEnd, raw, c.VisitDayEnd, want)
		}
	}
	for _, raw := range []string{"20", "20h", "8pm", "25:00", "24:01", "00:00", "12:60", "-1:00", "12:5", "123:00", "１８:００"} {
		_, err := Load(env{EnvVisitDayEnd: raw}.get)
		if err == nil {
			t.Errorf("%s=%q: no error", EnvVisitDayEnd, raw)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, EnvVisitDayEnd) || !strings.Contains(msg, raw) {
			t.Errorf("%s=%q: error %q does not name the variable and the value", EnvVisitDayEnd, raw, msg)
		}
	}
	d := Default()
	d.VisitDayEnd = 25 * time.Hour
	if err := d.Validate(); err == nil || !strings.Contains(err.Error(), EnvVisitDayEnd) {
		t.Errorf("Validate() with VisitDayEnd 25h = %v, want an error naming %s", err, EnvVisitDayEnd)
	}
	if got := FormatClock(18*time.Hour + 5*time.Minute); got != "18:05" {
		t.Errorf("FormatClock(18h5m) = %q", got)
	}
}

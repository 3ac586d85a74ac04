package models

import (
	"testing"
	"time"
)

func TestDBTimeScan(t *testing.T) {
	t.Parallel()
	want := time.Date(2026, 11, 23, 1, 2, 3, 500_000_000, time.UTC)
	for _, src := range []any{want, want.In(time.FixedZone("CST", 8*3600)), "2026-11-23 01:02:03.5+00:00",
		"2026-11-23T09:02:03.5+08:00", []byte("2026-11-23 01:02:03.5"), "2026-11-23T01:02:03.5Z"} {
		var d dbTime
		if err := d.Scan(src); err != nil || !d.Equal(want) {
			t.Errorf("Scan(%v) = %v, %v", src, d.Time, err)
		}
	}
	var d dbTime
	if err := d.Scan("yesterday"); err == nil {
		t.Error("Scan(yesterday) succeeded")
	}
	if err := d.Scan(nil); err != nil || !d.IsZero() {
		t.Errorf("Scan(nil) = %v, %v", d.Time, err)
	}
}

func TestFastTimeScan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  any
		want time.Time
	}{
		{"2026-11-23 01:02:03+00:00", time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC)},
		{"2026-11-23 01:02:03.5+00:00", time.Date(2026, 11, 23, 1, 2, 3, 500_000_000, time.UTC)},
		{[]byte("2026-11-23 01:02:03.123456789+00:00"), time.Date(2026, 11, 23, 1, 2, 3, 123456789, time.UTC)},
		{"2026-11-23 09:02:03+08:00", time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC)}, // not the stored form: the slow path
		{"2026-11-23 01:02:03", time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC)},
		{float64(time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC).Unix()) + 0.25, time.Date(2026, 11, 23, 1, 2, 3, 250_000_000, time.UTC)},
	}
	for _, tt := range tests {
		var f fastTimeScan
		if err := f.Scan(tt.src); err != nil || !f.Equal(tt.want) {
			t.Errorf("Scan(%v) = %v, %v; want %v", tt.src, f.Time, err, tt.want)
		}
	}
	var f fastTimeScan
	if err := f.Scan("2026-13-45 99:99:99+00:00x"); err == nil {
		t.Error("garbage scanned")
	}
}

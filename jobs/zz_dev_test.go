package jobs

import (
	"context"
	"os"
	"testing"
	"time"

	"channelbot/models"
)

func BenchmarkDev(b *testing.B) {
	path := "/tmp/scale.db"
	if _, err := os.Stat(path); err != nil {
		seedScale(b, func(t testing.TB, now func() time.Time) *models.Store {
			s, err := models.Open(context.Background(), "sqlite", path, nil, now)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			return s
		})
	}
	data, _ := os.ReadFile(path)
	work := b.TempDir() + "/w.db"
	os.WriteFile(work, data, 0o600)
	store, err := models.Open(context.Background(), "sqlite", work, nil, func() time.Time { return benchNow })
	if err != nil {
		b.Fatal(err)
	}
	j := New(store, testSettings(), shanghai, []string{models.PlatformWeCom}, nil)
	name := os.Getenv("JOB")
	d, _ := j.Def(name)
	when := map[string]string{NameVisitReminders: "2026-11-23 08:31", NameStockWarnings: "2026-11-23 10:01", NameDailyDigest: "2026-11-23 18:31", NameWeeklyDigest: "2026-11-23 08:46"}[name]
	now := at(b, when)
	for b.Loop() {
		if err := d.Run(context.Background(), now); err != nil {
			b.Fatal(err)
		}
	}
}

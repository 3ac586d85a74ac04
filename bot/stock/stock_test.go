package stock

import (
	"testing"
	"time"

	"channelbot/models"
)

func TestAssess(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("CST", 8*3600)
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, loc) }
	p := &models.Product{ID: 1, Name: "苹果汁1L", Unit: "箱", PackSize: 12, SafetyFactor: 1500}
	cnt := func(d int, cases int64) models.CountPoint {
		return models.CountPoint{ID: int64(d), CustomerID: 1, ProductID: 1, Pieces: cases * 12, At: day(d)}
	}
	del := func(d int, cases int64) models.DeliveryPoint {
		return models.DeliveryPoint{CustomerID: 1, ProductID: 1, Pieces: cases * 12, At: day(d)}
	}
	tests := []struct {
		name     string
		counts   []models.CountPoint
		dels     []models.DeliveryPoint
		next     int // day of the next visit; 0 unknown
		now      int
		similar  float64
		source   Source
		safety   int64 // cases × 12 pieces
		suggest  int64
		level    Level
		order    int64
		censored bool
	}{
		{name: "seed: next visit one period away", counts: []models.CountPoint{cnt(10, 100), cnt(25, 120)}, dels: []models.DeliveryPoint{del(12, 50)},
			next: 0, now: 25, source: SourceOwn, safety: 45 * 12, suggest: 0, order: -1},
		{name: "censored period uses the clean rate", counts: []models.CountPoint{cnt(1, 100), cnt(11, 70), cnt(21, 0), cnt(26, 0)},
			next: 0, now: 26, source: SourceOwn, safety: 24 * 12, suggest: 24, level: LevelOut, order: 24, censored: true}, // 30箱 in 10 clean days: 3 × max(5 × 1.5, 5 + 3) = 24箱
		{name: "no data at zero: unknown, never no order", counts: []models.CountPoint{cnt(10, 0), cnt(25, 0)},
			now: 25, source: SourceNone, suggest: -1, level: LevelOut, order: -1, censored: true},
		{name: "similar customers", counts: []models.CountPoint{cnt(10, 0), cnt(25, 0)}, similar: 24,
			now: 25, source: SourceSimilar, safety: 45 * 12, suggest: 45, level: LevelOut, order: 45, censored: true},
		{name: "no new data the next day: the same order", counts: []models.CountPoint{cnt(10, 100), cnt(25, 40)},
			now: 26, source: SourceOwn, safety: 90 * 12, suggest: 50, level: LevelLow, order: 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{History: History{CustomerID: 1, ProductID: 1, Counts: tt.counts, Deliveries: tt.dels}, Product: p,
				Now: day(tt.now), Loc: loc, LeadDays: 3, Similar: tt.similar}
			if tt.next > 0 {
				in.NextVisit = day(tt.next)
			}
			r := Assess(in)
			if r.Source != tt.source || tt.source != SourceNone && r.Safety != tt.safety || r.Suggest != tt.suggest ||
				r.Level != tt.level || r.Order != tt.order || r.Censored != tt.censored {
				t.Errorf("Assess = source %v safety %d suggest %d level %v order %d censored %v; want %v %d %d %v %d %v",
					r.Source, r.Safety, r.Suggest, r.Level, r.Order, r.Censored, tt.source, tt.safety, tt.suggest, tt.level, tt.order, tt.censored)
			}
		})
	}
}

func TestSimilarRatesMedian(t *testing.T) {
	t.Parallel()
	h := func(c int64, sold int64) History {
		return History{CustomerID: c, ProductID: 1, Counts: []models.CountPoint{
			{CustomerID: c, ProductID: 1, Pieces: 100, At: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
			{CustomerID: c, ProductID: 1, Pieces: 100 - sold, At: time.Date(2026, 11, 11, 10, 0, 0, 0, time.UTC)}}}
	}
	got := SimilarRates([]History{h(1, 10), h(2, 30), h(3, 90), h(4, 50)}, func(id int64) string {
		if id == 4 {
			return "超市"
		}
		return "经销商"
	}, time.UTC)
	if r := got[SimilarKey{"经销商", 1}]; r != 3 {
		t.Errorf("median rate = %v, want 3 (of 1, 3, 9)", r)
	}
	if r := got[SimilarKey{"超市", 1}]; r != 5 {
		t.Errorf("超市 rate = %v, want 5", r)
	}
}

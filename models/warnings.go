package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Warning is what was last said about a problem at a customer (and product): its
// kind and level, when it was first seen and last sent, and by which job run.
// There is one row per customer, product and kind; a resolved warning that comes
// back starts afresh.
type Warning struct {
	ID         int64
	CustomerID int64
	ProductID  int64 // 0 for warnings about the customer as a whole
	Kind       string
	Level      int
	FirstSeen  time.Time
	LastSent   time.Time
	LastJob    string // the job run that last sent it, "stock-warnings:2026-11-23"
	ResolvedAt *time.Time
}

// OpenWarnings returns the unresolved warnings of the given kinds, about the given
// customers (nil for all).
func (s *Store) OpenWarnings(ctx context.Context, kinds []string, customerIDs []int64) ([]Warning, error) {
	var out []Warning
	q := s.db.WithContext(ctx).Where("resolved_at IS NULL AND kind IN ?", kinds)
	if customerIDs != nil {
		q = q.Where("customer_id IN ?", customerIDs)
	}
	err := q.Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: open warnings: %w", err)
	}
	return out, nil
}

// upsertWarnings stores warnings sent at now: new ones are inserted, open ones
// updated, resolved ones opened again as new.
func upsertWarnings(tx *gorm.DB, ws []Warning, now time.Time) error {
	if len(ws) == 0 {
		return nil
	}
	type key struct {
		c, p int64
		k    string
	}
	byKey := map[key]int{}
	var rows []Warning
	for _, w := range ws {
		k := key{w.CustomerID, w.ProductID, w.Kind}
		w.ID, w.LastSent, w.ResolvedAt = 0, now, nil
		if w.FirstSeen.IsZero() {
			w.FirstSeen = now
		}
		if i, ok := byKey[k]; ok {
			rows[i].Level = max(rows[i].Level, w.Level)
			continue
		}
		byKey[k] = len(rows)
		rows = append(rows, w)
	}
	err := tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "customer_id"}, {Name: "product_id"}, {Name: "kind"}},
		DoUpdates: clause.Assignments(map[string]any{
			"level":       gorm.Expr("excluded.level"),
			"last_sent":   gorm.Expr("excluded.last_sent"),
			"last_job":    gorm.Expr("excluded.last_job"),
			"first_seen":  gorm.Expr("CASE WHEN warnings.resolved_at IS NULL THEN warnings.first_seen ELSE excluded.first_seen END"),
			"resolved_at": nil,
		}),
	}).CreateInBatches(rows, 2000).Error
	if err != nil {
		return fmt.Errorf("store warnings: %w", err)
	}
	return nil
}

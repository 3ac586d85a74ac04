package models

import (
	"context"
	"fmt"
	"time"
)

// Customer is a dealer, store or other outlet that reps visit.
type Customer struct {
	ID        int64
	Code      string
	Name      string
	Aliases   string // "|"-separated
	Type      string // 经销商, 分销商, 批发商, 超市, 零售店, 大客户
	Tier      string // A, B, C
	Region    string
	OwnerID   string // the owner rep's user ID
	VisitDays string // "10|25" (days of the month) or "7d" (an interval)
	// LastVisit is the day of the last visit before the bot knew the customer
	// (YYYY-MM-DD, from an import), or "".
	LastVisit string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// LastVisits returns, for every customer visited at or before at, the time of the
// last visit: the last report of one of VisitKinds made there.
func (s *Store) LastVisits(ctx context.Context, at time.Time) (map[int64]time.Time, error) {
	rows, err := s.db.WithContext(ctx).Raw(`
		SELECT customer_id, MAX(reported_at) FROM reports
		WHERE kind IN ? AND customer_id IS NOT NULL AND reported_at <= ? AND deleted_at IS NULL
		GROUP BY customer_id`, VisitKinds, at.UTC()).Rows()
	if err != nil {
		return nil, fmt.Errorf("models: last visits: %w", err)
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var id int64
		var t dbTime
		if err := rows.Scan(&id, &t); err != nil {
			return nil, fmt.Errorf("models: last visits: %w", err)
		}
		out[id] = t.Time
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("models: last visits: %w", err)
	}
	return out, nil
}

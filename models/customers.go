package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
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

// Visit is one visit: a rep at a customer on a day. However many reports of
// VisitKinds the rep made there that day, it is one visit.
type Visit struct {
	UserID     string
	CustomerID int64
	Day        string // YYYY-MM-DD in the time zone Visits was given
}

// Visits returns the visits made in [from, to), one per rep, customer and day in
// loc, ordered by day, rep and customer: the one rule every visit count (the
// digests, the visit lists) reads.
func (s *Store) Visits(ctx context.Context, from, to time.Time, loc *time.Location) ([]Visit, error) {
	rows, err := s.db.WithContext(ctx).Raw(`
		SELECT user_id, customer_id, `+s.fastTime("reported_at")+` FROM reports
		WHERE kind IN ? AND customer_id IS NOT NULL AND reported_at >= ? AND reported_at < ? AND deleted_at IS NULL`,
		VisitKinds, from.UTC(), to.UTC()).Rows()
	if err != nil {
		return nil, fmt.Errorf("models: visits: %w", err)
	}
	defer rows.Close()
	seen := map[Visit]bool{}
	var out []Visit
	for rows.Next() {
		var v Visit
		var t fastTimeScan
		if err := rows.Scan(&v.UserID, &v.CustomerID, &t); err != nil {
			return nil, fmt.Errorf("models: visits: %w", err)
		}
		v.Day = t.In(loc).Format(time.DateOnly)
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("models: visits: %w", err)
	}
	slices.SortFunc(out, func(a, b Visit) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.UserID, b.UserID), cmp.Compare(a.CustomerID, b.CustomerID))
	})
	return out, nil
}

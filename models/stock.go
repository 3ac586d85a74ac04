package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// StockCount is one product's stock at a customer at a moment (本存), in pieces.
type StockCount struct {
	ID         int64
	ReportID   int64
	CustomerID int64
	ProductID  int64
	Pieces     int64
	CountedAt  time.Time
	DeletedAt  gorm.DeletedAt
}

// Delivery is goods a customer received (上进), in pieces.
type Delivery struct {
	ID         int64
	ReportID   int64
	CustomerID int64
	ProductID  int64
	Pieces     int64
	ReceivedAt time.Time
	DeletedAt  gorm.DeletedAt
}

// TableName keeps GORM's pluralisation out of the way.
func (Delivery) TableName() string { return "deliveries" }

// Basis is what a new stock count of one product at one customer is measured against.
type Basis struct {
	HasLast   bool      // false for the first count of this product here
	LastAt    time.Time // when the last count was taken
	Last      int64     // 上存: pieces at the last count
	Delivered int64     // 上进: pieces received after the last count, up to at
}

// StockBasis returns, per product, the last count before at and the deliveries
// received since it. Products never counted have HasLast false.
func (s *Store) StockBasis(ctx context.Context, customerID int64, productIDs []int64, at time.Time) (map[int64]Basis, error) {
	at = at.UTC()
	out := make(map[int64]Basis, len(productIDs))
	db := s.db.WithContext(ctx)
	for _, pid := range productIDs {
		// The last count and what arrived since, in one query.
		var rows []struct {
			Pieces    int64
			CountedAt time.Time
			Delivered int64
		}
		err := db.Raw(`
			SELECT sc.pieces, sc.counted_at,
			       (SELECT COALESCE(SUM(d.pieces), 0) FROM deliveries d
			        WHERE d.customer_id = sc.customer_id AND d.product_id = sc.product_id
			          AND d.received_at > sc.counted_at AND d.received_at <= ? AND d.deleted_at IS NULL) AS delivered
			FROM stock_counts sc
			WHERE sc.customer_id = ? AND sc.product_id = ? AND sc.counted_at <= ? AND sc.deleted_at IS NULL
			ORDER BY sc.counted_at DESC, sc.id DESC LIMIT 1`, at, customerID, pid, at).Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("models: stock basis: %w", err)
		}
		if len(rows) == 0 {
			out[pid] = Basis{}
			continue
		}
		out[pid] = Basis{HasLast: true, LastAt: rows[0].CountedAt, Last: rows[0].Pieces, Delivered: rows[0].Delivered}
	}
	return out, nil
}

// LatestCounts returns the latest stock count of each product at a customer, as of at.
func (s *Store) LatestCounts(ctx context.Context, customerID int64, at time.Time) ([]StockCount, error) {
	var out []StockCount
	err := s.db.WithContext(ctx).Raw(`
		SELECT sc.* FROM stock_counts sc
		WHERE sc.customer_id = ? AND sc.deleted_at IS NULL AND sc.counted_at <= ?
		  AND sc.id = (SELECT s2.id FROM stock_counts s2
		               WHERE s2.customer_id = sc.customer_id AND s2.product_id = sc.product_id
		                 AND s2.deleted_at IS NULL AND s2.counted_at <= ?
		               ORDER BY s2.counted_at DESC, s2.id DESC LIMIT 1)
		ORDER BY sc.product_id`, customerID, at.UTC(), at.UTC()).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: latest counts: %w", err)
	}
	return out, nil
}

// ReportCounts returns the stock counts of a report, undone ones included.
func (s *Store) ReportCounts(ctx context.Context, reportID int64) ([]StockCount, error) {
	var out []StockCount
	if err := s.db.WithContext(ctx).Unscoped().Where("report_id = ?", reportID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: counts of report %d: %w", reportID, err)
	}
	return out, nil
}

// The history queries below read whole periods at once: each is set-based, a fixed
// number of statements however many reps, customers and products there are.

// CountPoint is one stock count, for the stock analysis.
type CountPoint struct {
	ID         int64
	CustomerID int64
	ProductID  int64
	Pieces     int64
	At         time.Time
	UserID     string // who counted
}

// CountFilter selects stock counts (and deliveries) of some customers and some
// products; nil selects all.
type CountFilter struct {
	CustomerIDs []int64
	ProductIDs  []int64
}

func (f CountFilter) where(alias string) (string, []any) {
	var sql strings.Builder
	var args []any
	if f.CustomerIDs != nil {
		sql.WriteString(" AND " + alias + ".customer_id IN ?")
		args = append(args, f.CustomerIDs)
	}
	if f.ProductIDs != nil {
		sql.WriteString(" AND " + alias + ".product_id IN ?")
		args = append(args, f.ProductIDs)
	}
	return sql.String(), args
}

// CountHistory returns, for every customer and product counted in [since, until],
// its latest perPair counts in that time, ordered by customer, product and time.
// It reads the counts in one scan and keeps the latest in memory: cheaper, on
// SQLite, than a window function over a million rows.
func (s *Store) CountHistory(ctx context.Context, since, until time.Time, perPair int, f CountFilter) ([]CountPoint, error) {
	cond, args := f.where("sc")
	args = append([]any{since.UTC(), until.UTC()}, args...)
	rows, err := s.db.WithContext(ctx).Raw(`
		SELECT sc.id, sc.customer_id, sc.product_id, sc.pieces, `+s.fastTime("sc.counted_at")+`
		FROM stock_counts sc
		WHERE sc.deleted_at IS NULL AND sc.counted_at >= ? AND sc.counted_at <= ?`+cond, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("models: count history: %w", err)
	}
	defer rows.Close()
	var out []CountPoint
	for rows.Next() {
		var c CountPoint
		var t fastTimeScan
		if err := rows.Scan(&c.ID, &c.CustomerID, &c.ProductID, &c.Pieces, &t); err != nil {
			return nil, fmt.Errorf("models: count history: %w", err)
		}
		c.At = t.Time
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("models: count history: %w", err)
	}
	sortCounts(out)
	// Keep the last perPair of each customer and product.
	kept := out[:0]
	for i := 0; i < len(out); {
		k := i
		for k < len(out) && out[k].CustomerID == out[i].CustomerID && out[k].ProductID == out[i].ProductID {
			k++
		}
		kept = append(kept, out[max(i, k-perPair):k]...)
		i = k
	}
	return kept, nil
}

func compareCounts(a, b CountPoint) int {
	return cmp.Or(cmp.Compare(a.CustomerID, b.CustomerID), cmp.Compare(a.ProductID, b.ProductID), a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
}

// sortCounts orders counts by customer, product, time and ID. Customer IDs are
// dense (they count up), so it buckets by customer first and sorts each small
// bucket: several times faster than one sort of a million counts.
func sortCounts(cs []CountPoint) {
	if len(cs) < 2 {
		return
	}
	lo, hi := cs[0].CustomerID, cs[0].CustomerID
	for _, c := range cs {
		lo, hi = min(lo, c.CustomerID), max(hi, c.CustomerID)
	}
	span := int(min(hi-lo+1, int64(1)<<40))
	if span > 4*len(cs)+1024 {
		slices.SortFunc(cs, compareCounts)
		return
	}
	start := make([]int, span+1)
	for _, c := range cs {
		start[c.CustomerID-lo+1]++
	}
	for i := 1; i <= span; i++ {
		start[i] += start[i-1]
	}
	pos := slices.Clone(start[:span])
	out := make([]CountPoint, len(cs))
	for _, c := range cs {
		k := c.CustomerID - lo
		out[pos[k]] = c
		pos[k]++
	}
	for k := range span {
		if b := out[start[k]:start[k+1]]; len(b) > 1 {
			slices.SortFunc(b, compareCounts)
		}
	}
	copy(cs, out)
}

// ZeroCounts returns the counts of zero (stock-outs) made in [since, until] that are
// still the latest count of their customer and product at until, with nothing
// delivered after them: stock-outs not yet over.
func (s *Store) ZeroCounts(ctx context.Context, since, until time.Time, f CountFilter) ([]CountPoint, error) {
	cond, args := f.where("sc")
	u := until.UTC()
	args = append([]any{since.UTC(), u}, args...)
	args = append(args, u, u)
	rows, err := s.db.WithContext(ctx).Raw(`
		SELECT sc.id, sc.customer_id, sc.product_id, sc.counted_at, r.user_id
		FROM stock_counts sc JOIN reports r ON r.id = sc.report_id
		WHERE sc.pieces = 0 AND sc.counted_at >= ? AND sc.counted_at <= ? AND sc.deleted_at IS NULL`+cond+`
		  AND NOT EXISTS (SELECT 1 FROM stock_counts s2
		                  WHERE s2.customer_id = sc.customer_id AND s2.product_id = sc.product_id
		                    AND s2.deleted_at IS NULL AND s2.counted_at <= ?
		                    AND (s2.counted_at > sc.counted_at OR s2.counted_at = sc.counted_at AND s2.id > sc.id))
		  AND NOT EXISTS (SELECT 1 FROM deliveries d
		                  WHERE d.customer_id = sc.customer_id AND d.product_id = sc.product_id
		                    AND d.deleted_at IS NULL AND d.received_at > sc.counted_at AND d.received_at <= ?)
		ORDER BY sc.counted_at, sc.id`, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("models: zero counts: %w", err)
	}
	defer rows.Close()
	var out []CountPoint
	for rows.Next() {
		var c CountPoint
		var t dbTime
		if err := rows.Scan(&c.ID, &c.CustomerID, &c.ProductID, &t, &c.UserID); err != nil {
			return nil, fmt.Errorf("models: zero counts: %w", err)
		}
		c.At = t.Time
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("models: zero counts: %w", err)
	}
	return out, nil
}

// DeliveryPoint is goods received, for the stock analysis.
type DeliveryPoint struct {
	CustomerID int64
	ProductID  int64
	Pieces     int64
	At         time.Time
}

// DeliveryHistory returns the deliveries received in (since, until], ordered by
// customer, product and time.
func (s *Store) DeliveryHistory(ctx context.Context, since, until time.Time, f CountFilter) ([]DeliveryPoint, error) {
	cond, args := f.where("d")
	args = append([]any{since.UTC(), until.UTC()}, args...)
	rows, err := s.db.WithContext(ctx).Raw(`
		SELECT d.id, d.customer_id, d.product_id, d.pieces, `+s.fastTime("d.received_at")+` FROM deliveries d
		WHERE d.deleted_at IS NULL AND d.received_at > ? AND d.received_at <= ?`+cond, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("models: delivery history: %w", err)
	}
	defer rows.Close()
	var out []DeliveryPoint
	var ids []int64
	for rows.Next() {
		var d DeliveryPoint
		var id int64
		var t fastTimeScan
		if err := rows.Scan(&id, &d.CustomerID, &d.ProductID, &d.Pieces, &t); err != nil {
			return nil, fmt.Errorf("models: delivery history: %w", err)
		}
		d.At = t.Time
		out = append(out, d)
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("models: delivery history: %w", err)
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := out[i], out[j]
		return cmp.Or(cmp.Compare(a.CustomerID, b.CustomerID), cmp.Compare(a.ProductID, b.ProductID), a.At.Compare(b.At), cmp.Compare(ids[i], ids[j]))
	})
	sorted := make([]DeliveryPoint, len(out))
	for i, k := range order {
		sorted[i] = out[k]
	}
	return sorted, nil
}

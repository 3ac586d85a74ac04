package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// ReportKind names what a report is.
type ReportKind string

// Report kinds: one per kind of report a rep makes.
const (
	KindStockCount  ReportKind = "stock_count"
	KindPurchase    ReportKind = "purchase"
	KindOrder       ReportKind = "order"
	KindVisit       ReportKind = "visit"
	KindPlan        ReportKind = "plan"
	KindNearExpiry  ReportKind = "near_expiry"
	KindDamage      ReportKind = "damage"
	KindPriceReport ReportKind = "price_report"
	KindCrossRegion ReportKind = "cross_region"
	KindCompetitor  ReportKind = "competitor"
	KindComplaint   ReportKind = "complaint"
	KindFeedback    ReportKind = "feedback"
	KindPromise     ReportKind = "promise"
)

// VisitKinds are the kinds of report that, made at a customer, are a visit to it:
// a rep who counts, takes in goods, orders, or finds near-expiry or damaged goods
// there was there, whether or not they also wrote 拜访.
var VisitKinds = []ReportKind{KindVisit, KindStockCount, KindPurchase, KindOrder, KindNearExpiry, KindDamage}

// IsVisit reports whether a report of kind k at a customer is a visit to it.
func (k ReportKind) IsVisit() bool { return slices.Contains(VisitKinds, k) }

// Report is one thing a user reported, with its lines in the kind's table.
// Undoing a report soft-deletes it with its lines.
type Report struct {
	ID         int64
	Kind       ReportKind
	UserID     string
	CustomerID *int64
	MessageID  *int64
	Note       string
	Price      *Money   // reported market price per case, or a competitor's price
	OnDate     *string  // YYYY-MM-DD: the planned day, the expiry day, a promise's due day
	Place      string   // where, when it is not a customer (冲货 北郊)
	Brand      string   // the competitor's brand
	Flagged    bool     // a price below the floor price (乱价)
	Lat, Lng   *float64 // where a check-in was made
	ResolvedAt *time.Time
	ReportedAt time.Time
	CreatedAt  time.Time
	DeletedAt  gorm.DeletedAt
}

// ReportItem is a line of a report kind without a table of its own: a product with
// or without a quantity (orders, near-expiry and damaged goods, prices), or a
// customer (plans).
type ReportItem struct {
	ID         int64
	ReportID   int64
	CustomerID *int64
	ProductID  *int64
	Pieces     *int64
	DeletedAt  gorm.DeletedAt
}

// Attachment is a photo or file attached to a report as evidence.
type Attachment struct {
	ID        int64
	ReportID  int64
	Platform  string
	MediaID   string
	URL       string
	CreatedAt time.Time
}

// softDeleteReport marks a report and all its lines deleted. It returns false, and
// deletes nothing, when the report was deleted already (or never existed).
func softDeleteReport(tx *gorm.DB, id int64) (bool, error) {
	res := tx.Where("id = ?", id).Delete(&Report{})
	if res.Error != nil || res.RowsAffected == 0 {
		return false, res.Error
	}
	for _, m := range []any{&StockCount{}, &Delivery{}, &ReportItem{}} {
		if err := tx.Where("report_id = ?", id).Delete(m).Error; err != nil {
			return false, err
		}
	}
	return true, nil
}

// LastReport returns the user's latest report filed at or after since, not undone.
// It returns ErrNotFound if there is none.
func (s *Store) LastReport(ctx context.Context, userID string, since time.Time) (*Report, error) {
	var r Report
	err := s.db.WithContext(ctx).Where("user_id = ? AND reported_at >= ?", userID, since.UTC()).
		Order("id DESC").Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("models: last report of %s: %w", userID, err)
	}
	return &r, nil
}

// LastReportOfKind returns a customer's latest report of kind as of at, or ErrNotFound.
func (s *Store) LastReportOfKind(ctx context.Context, customerID int64, kind ReportKind, at time.Time) (*Report, error) {
	var r Report
	err := s.db.WithContext(ctx).Where("customer_id = ? AND kind = ? AND reported_at <= ?", customerID, kind, at.UTC()).
		Order("reported_at DESC, id DESC").Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("models: last %s: %w", kind, err)
	}
	return &r, nil
}

// ReportsOf returns every report userID filed, oldest first, undone ones included
// (their DeletedAt is set): for audits and tests.
func (s *Store) ReportsOf(ctx context.Context, userID string) ([]Report, error) {
	var out []Report
	if err := s.db.WithContext(ctx).Unscoped().Where("user_id = ?", userID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: reports of %s: %w", userID, err)
	}
	return out, nil
}

// ReportItems returns the lines of a report, undone ones included.
func (s *Store) ReportItems(ctx context.Context, reportID int64) ([]ReportItem, error) {
	var out []ReportItem
	if err := s.db.WithContext(ctx).Unscoped().Where("report_id = ?", reportID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: items of report %d: %w", reportID, err)
	}
	return out, nil
}

// ReportFilter selects reports for FindReports. Empty fields select everything.
type ReportFilter struct {
	Kinds    []ReportKind
	From, To time.Time // reported in [From, To)
	// OnFrom and OnTo bound OnDate (YYYY-MM-DD), both included; reports without
	// one are left out when either is set.
	OnFrom, OnTo string
	Open         bool // not resolved
	Flagged      bool // price violations only
}

// ReportWithItems is a report with its lines.
type ReportWithItems struct {
	Report
	Items []ReportItem
}

func (f ReportFilter) apply(db *gorm.DB) *gorm.DB {
	q := db.Model(&Report{})
	if len(f.Kinds) > 0 {
		q = q.Where("kind IN ?", f.Kinds)
	}
	if !f.From.IsZero() {
		q = q.Where("reported_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("reported_at < ?", f.To.UTC())
	}
	if f.OnFrom != "" {
		q = q.Where("on_date >= ?", f.OnFrom)
	}
	if f.OnTo != "" {
		q = q.Where("on_date <= ?", f.OnTo)
	}
	if f.Open {
		q = q.Where("resolved_at IS NULL")
	}
	if f.Flagged {
		q = q.Where("flagged")
	}
	return q
}

// FindReports returns the reports f selects, not undone, oldest first, with their
// lines: two queries.
func (s *Store) FindReports(ctx context.Context, f ReportFilter) ([]ReportWithItems, error) {
	db := s.db.WithContext(ctx)
	var reports []Report
	if err := f.apply(db).Order("reported_at, id").Find(&reports).Error; err != nil {
		return nil, fmt.Errorf("models: find reports: %w", err)
	}
	if len(reports) == 0 {
		return nil, nil
	}
	var items []ReportItem
	err := db.Where("report_id IN (?)", f.apply(db).Select("id")).Order("id").Find(&items).Error
	if err != nil {
		return nil, fmt.Errorf("models: find report items: %w", err)
	}
	out := make([]ReportWithItems, len(reports))
	at := make(map[int64]int, len(reports))
	for i, r := range reports {
		out[i].Report = r
		at[r.ID] = i
	}
	for _, it := range items {
		if i, ok := at[it.ReportID]; ok {
			out[i].Items = append(out[i].Items, it)
		}
	}
	return out, nil
}

// KindCount is how many reports of a kind a user filed, about how many customers.
type KindCount struct {
	UserID    string
	Kind      ReportKind
	Reports   int64
	Customers int64
}

// KindCounts counts the reports filed in [from, to), by user and kind.
func (s *Store) KindCounts(ctx context.Context, from, to time.Time) ([]KindCount, error) {
	var out []KindCount
	err := s.db.WithContext(ctx).Raw(`
		SELECT user_id, kind, COUNT(*) AS reports, COUNT(DISTINCT customer_id) AS customers FROM reports
		WHERE reported_at >= ? AND reported_at < ? AND deleted_at IS NULL
		GROUP BY user_id, kind ORDER BY user_id, kind`, from.UTC(), to.UTC()).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: kind counts: %w", err)
	}
	return out, nil
}

// ProductPieces is a quantity of one product a user reported, in pieces.
type ProductPieces struct {
	UserID    string
	ProductID int64
	Pieces    int64
}

// OrderedPieces sums the orders reported in [from, to), by user and product.
func (s *Store) OrderedPieces(ctx context.Context, from, to time.Time) ([]ProductPieces, error) {
	var out []ProductPieces
	err := s.db.WithContext(ctx).Raw(`
		SELECT r.user_id, i.product_id, SUM(i.pieces) AS pieces
		FROM report_items i JOIN reports r ON r.id = i.report_id
		WHERE r.kind = 'order' AND r.reported_at >= ? AND r.reported_at < ? AND r.deleted_at IS NULL
		  AND i.deleted_at IS NULL AND i.product_id IS NOT NULL AND i.pieces IS NOT NULL
		GROUP BY r.user_id, i.product_id`, from.UTC(), to.UTC()).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: ordered pieces: %w", err)
	}
	return out, nil
}

// DeliveredPieces sums the deliveries reported in [from, to), by reporting user and
// product.
func (s *Store) DeliveredPieces(ctx context.Context, from, to time.Time) ([]ProductPieces, error) {
	var out []ProductPieces
	err := s.db.WithContext(ctx).Raw(`
		SELECT r.user_id, d.product_id, SUM(d.pieces) AS pieces
		FROM deliveries d JOIN reports r ON r.id = d.report_id
		WHERE d.received_at >= ? AND d.received_at < ? AND d.deleted_at IS NULL
		GROUP BY r.user_id, d.product_id`, from.UTC(), to.UTC()).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: delivered pieces: %w", err)
	}
	return out, nil
}

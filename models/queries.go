package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrDuplicate is returned when a platform message was stored before.
var ErrDuplicate = errors.New("models: duplicate message")

// Platform names used in messages.
const (
	PlatformConsole = "console"
	PlatformWeCom   = "wecom"
	PlatformFeishu  = "feishu"
)

// UserByPlatformID finds the user behind a platform identity: the user ID itself on the
// console, the WeCom userid, or the Feishu open_id. It returns ErrNotFound if none matches.
func (s *Store) UserByPlatformID(ctx context.Context, platform, id string) (*User, error) {
	col := map[string]string{
		PlatformConsole: "id",
		PlatformWeCom:   "wecom_userid",
		PlatformFeishu:  "feishu_open_id",
	}[platform]
	if col == "" || id == "" {
		return nil, ErrNotFound
	}
	var u User
	// The "<> ''" lets the database use the partial unique index on the column.
	err := s.db.WithContext(ctx).Where(col+" = ? AND "+col+" <> ''", id).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("models: user %s/%s: %w", platform, id, err)
	}
	return &u, nil
}

// Catalog is the master data the bot keeps in memory.
type Catalog struct {
	Version   string
	Products  []Product
	Customers []Customer
	Users     []User
}

const metaCatalogVersion = "catalog_version"

// LoadCatalog reads all products, customers and users.
func (s *Store) LoadCatalog(ctx context.Context) (*Catalog, error) {
	c := &Catalog{}
	db := s.db.WithContext(ctx)
	var err error
	if c.Version, err = s.CatalogVersion(ctx); err != nil {
		return nil, err
	}
	if err := db.Order("id").Find(&c.Products).Error; err != nil {
		return nil, fmt.Errorf("models: load products: %w", err)
	}
	if err := db.Order("id").Find(&c.Customers).Error; err != nil {
		return nil, fmt.Errorf("models: load customers: %w", err)
	}
	if err := db.Order("id").Find(&c.Users).Error; err != nil {
		return nil, fmt.Errorf("models: load users: %w", err)
	}
	return c, nil
}

// CatalogVersion returns a value that changes whenever master data is imported.
func (s *Store) CatalogVersion(ctx context.Context) (string, error) {
	var m Meta
	err := s.db.WithContext(ctx).Where("key = ?", metaCatalogVersion).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "0", nil
	}
	if err != nil {
		return "", fmt.Errorf("models: catalog version: %w", err)
	}
	return m.Value, nil
}

// bumpCatalogVersion marks master data as changed, inside tx.
func bumpCatalogVersion(tx *gorm.DB, now time.Time) error {
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	v := strconv.FormatInt(now.UnixNano(), 36) + "-" + hex.EncodeToString(rnd[:])
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value"}),
	}).Create(&Meta{Key: metaCatalogVersion, Value: v}).Error
}

// IsEmpty reports whether the database has no users, products and customers yet.
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	for _, m := range []any{&User{}, &Product{}, &Customer{}} {
		var n int64
		if err := s.db.WithContext(ctx).Model(m).Limit(1).Count(&n).Error; err != nil {
			return false, fmt.Errorf("models: count: %w", err)
		}
		if n > 0 {
			return false, nil
		}
	}
	return true, nil
}

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

// softDeleteReport marks a report and all its lines deleted.
func softDeleteReport(tx *gorm.DB, id int64) error {
	for _, m := range []any{&StockCount{}, &Delivery{}, &ReportItem{}} {
		if err := tx.Where("report_id = ?", id).Delete(m).Error; err != nil {
			return err
		}
	}
	return tx.Where("id = ?", id).Delete(&Report{}).Error
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

// ReportCounts returns the stock counts of a report, undone ones included.
func (s *Store) ReportCounts(ctx context.Context, reportID int64) ([]StockCount, error) {
	var out []StockCount
	if err := s.db.WithContext(ctx).Unscoped().Where("report_id = ?", reportID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: counts of report %d: %w", reportID, err)
	}
	return out, nil
}

// MessageByID returns one message of the audit log, or ErrNotFound.
func (s *Store) MessageByID(ctx context.Context, id int64) (*Message, error) {
	var m Message
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("models: message %d: %w", id, err)
	}
	return &m, nil
}

// MessagesOf returns the audit log of a user, oldest first: the messages the user
// sent and the replies and notices sent to the user.
func (s *Store) MessagesOf(ctx context.Context, userID string) ([]Message, error) {
	var out []Message
	err := s.db.WithContext(ctx).Where("user_id = ?", userID).Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: messages of %s: %w", userID, err)
	}
	return out, nil
}

// InstallID returns a random name for this database, made on first use: it keeps
// idempotency keys sent to platforms apart between databases (a test and a
// production system on one app, or a database started afresh).
func (s *Store) InstallID(ctx context.Context) (string, error) {
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	db := s.db.WithContext(ctx)
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&Meta{Key: "install_id", Value: hex.EncodeToString(rnd[:])}).Error; err != nil {
		return "", fmt.Errorf("models: install id: %w", err)
	}
	var m Meta
	if err := db.Where("key = ?", "install_id").Take(&m).Error; err != nil {
		return "", fmt.Errorf("models: install id: %w", err)
	}
	return m.Value, nil
}

// ResolvePromise marks a promise kept: the report with reportID, or else the user's
// latest open promise to the customer. Only the user's own promises, or any when all
// is set (managers, admins), can be resolved. It returns ErrNotFound when there is
// no such open promise.
func (s *Store) ResolvePromise(ctx context.Context, userID string, all bool, reportID, customerID int64, at time.Time) (*Report, error) {
	q := s.db.WithContext(ctx).Where("kind = ? AND resolved_at IS NULL", KindPromise)
	if !all {
		q = q.Where("user_id = ?", userID)
	}
	switch {
	case reportID != 0:
		q = q.Where("id = ?", reportID)
	case customerID != 0:
		q = q.Where("customer_id = ?", customerID)
	default:
		return nil, ErrNotFound
	}
	var r Report
	err := q.Order("id DESC").Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("models: resolve promise: %w", err)
	}
	at = at.UTC()
	if err := s.db.WithContext(ctx).Model(&Report{}).Where("id = ? AND resolved_at IS NULL", r.ID).Update("resolved_at", at).Error; err != nil {
		return nil, fmt.Errorf("models: resolve promise: %w", err)
	}
	r.ResolvedAt = &at
	return &r, nil
}

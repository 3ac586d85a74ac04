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
	err := s.db.WithContext(ctx).Where(col+" = ?", id).Take(&u).Error
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
		var last StockCount
		err := db.Where("customer_id = ? AND product_id = ? AND counted_at <= ?", customerID, pid, at).
			Order("counted_at DESC, id DESC").Limit(1).Take(&last).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			out[pid] = Basis{}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("models: last count: %w", err)
		}
		var delivered int64
		err = db.Model(&Delivery{}).Select("COALESCE(SUM(pieces), 0)").
			Where("customer_id = ? AND product_id = ? AND received_at > ? AND received_at <= ?", customerID, pid, last.CountedAt, at).
			Scan(&delivered).Error
		if err != nil {
			return nil, fmt.Errorf("models: deliveries: %w", err)
		}
		out[pid] = Basis{HasLast: true, LastAt: last.CountedAt, Last: last.Pieces, Delivered: delivered}
	}
	return out, nil
}

// Exchange is one inbound message and everything the bot stores for it: the audit
// entry, the report with its lines, and the replies. SaveExchange writes it whole or not at all.
type Exchange struct {
	In         *Message
	Report     *Report
	Counts     []StockCount
	Deliveries []Delivery
	Items      []ReportItem
	// Undo is a report of the sender to soft-delete with its lines.
	Undo *Report
	// Replies renders the reply texts once the report has its ID (0 when there is no report).
	Replies func(reportID int64) []string
	// Notices renders messages to other users, such as the sender's manager.
	Notices func(reportID int64) []Notice
	// Out holds the stored replies after SaveExchange, and NoticesOut the notices.
	Out        []*Message
	NoticesOut []*Message
}

// Notice is a message to a user other than the sender.
type Notice struct {
	UserID string
	Text   string
}

// SaveExchange stores ex in one transaction. It returns ErrDuplicate, storing nothing,
// if the inbound platform message was stored before.
func (s *Store) SaveExchange(ctx context.Context, ex *Exchange) error {
	now := s.Now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ex.In.Direction = Inbound
		ex.In.CreatedAt = ex.In.CreatedAt.UTC()
		if err := tx.Create(ex.In).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrDuplicate
			}
			return err
		}
		var reportID int64
		if r := ex.Report; r != nil {
			if r.MessageID == nil {
				r.MessageID = &ex.In.ID
			}
			r.ReportedAt = r.ReportedAt.UTC()
			if err := tx.Create(r).Error; err != nil {
				return err
			}
			reportID = r.ID
			for i := range ex.Counts {
				ex.Counts[i].ReportID, ex.Counts[i].CountedAt = r.ID, r.ReportedAt
			}
			for i := range ex.Deliveries {
				ex.Deliveries[i].ReportID, ex.Deliveries[i].ReceivedAt = r.ID, r.ReportedAt
			}
			if len(ex.Counts) > 0 {
				if err := tx.Create(&ex.Counts).Error; err != nil {
					return err
				}
			}
			if len(ex.Deliveries) > 0 {
				if err := tx.Create(&ex.Deliveries).Error; err != nil {
					return err
				}
			}
			for i := range ex.Items {
				ex.Items[i].ReportID = r.ID
			}
			if len(ex.Items) > 0 {
				if err := tx.Create(&ex.Items).Error; err != nil {
					return err
				}
			}
		}
		if ex.Undo != nil {
			if err := softDeleteReport(tx, ex.Undo.ID); err != nil {
				return err
			}
		}
		ex.NoticesOut = ex.NoticesOut[:0]
		if ex.Notices != nil {
			for _, n := range ex.Notices(reportID) {
				m := &Message{Direction: Outbound, Platform: ex.In.Platform, UserID: n.UserID,
					Peer: n.UserID, Text: n.Text, ReplyTo: &ex.In.ID, CreatedAt: now}
				if err := tx.Create(m).Error; err != nil {
					return err
				}
				ex.NoticesOut = append(ex.NoticesOut, m)
			}
		}
		ex.Out = ex.Out[:0]
		if ex.Replies == nil {
			return nil
		}
		for _, text := range ex.Replies(reportID) {
			m := &Message{Direction: Outbound, Platform: ex.In.Platform, UserID: ex.In.UserID,
				Peer: ex.In.Peer, Text: text, ReplyTo: &ex.In.ID, CreatedAt: now}
			if err := tx.Create(m).Error; err != nil {
				return err
			}
			ex.Out = append(ex.Out, m)
		}
		return nil
	})
	if errors.Is(err, ErrDuplicate) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("models: save exchange: %w", err)
	}
	return nil
}

// MessageSeen reports whether an inbound platform message was stored before.
func (s *Store) MessageSeen(ctx context.Context, platform, msgID string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Message{}).
		Where("direction = ? AND platform = ? AND platform_msg_id = ?", Inbound, platform, msgID).
		Limit(1).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("models: message seen: %w", err)
	}
	return n > 0, nil
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

// Package models holds channelbot's records, their migrations and the queries on them.
// It runs on SQLite (pure Go, the embedded default) and PostgreSQL, through GORM.
// All times are stored in UTC.
package models

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// User is a person the bot knows: a rep, a manager, a dealer or an admin.
type User struct {
	ID           string `gorm:"primaryKey"`
	Name         string
	Role         Role
	ManagerID    string
	WeComUserID  string `gorm:"column:wecom_userid"`
	FeishuOpenID string
	CustomerID   *int64 // the customer a dealer belongs to
	Region       string
	Phone        string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

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
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Product is a sellable item, counted in cases (Unit) of PackSize pieces (PackUnit).
type Product struct {
	ID            int64
	Code          string
	Name          string
	Aliases       string // "|"-separated
	Unit          string // 箱
	PackSize      int    // pieces per case
	PackUnit      string // 瓶, 罐
	ShelfLifeDays int
	FactoryPrice  Money  // 出厂价 per case
	FloorPrice    Money  // 最低限价 per case
	SafetyFactor  Factor // 安全库存 = 实销 × SafetyFactor
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Direction tells inbound messages from outbound replies in the audit log.
type Direction string

// Directions.
const (
	Inbound  Direction = "in"
	Outbound Direction = "out"
)

// Message is one entry of the audit log: every message received and every reply sent.
type Message struct {
	ID            int64
	Direction     Direction
	Platform      string  // console, wecom, feishu
	PlatformMsgID *string // the platform's message ID; nil when it has none
	UserID        string  // the known user, empty when the sender is unknown
	Peer          string  // the platform's ID of the sender or recipient
	Text          string
	ReplyTo       *int64
	CreatedAt     time.Time

	// Delivery: inbound messages from a platform are StatusQueued until processed;
	// outbound ones are StatusPending until sent. Console messages have no status.
	Status        string
	Attempts      int
	NextAttemptAt *time.Time
	LeaseUntil    *time.Time
	LastError     string
	SentAt        *time.Time
	Markdown      bool
	Buttons       Buttons
	Quote         string // the platform message ID a reply quotes
	Payload       string // what a non-text message carries (location, media), as JSON
}

// Delivery statuses of messages.
const (
	StatusQueued  = "queued"  // inbound, waiting to be processed
	StatusDone    = "done"    // inbound, processed
	StatusPending = "pending" // outbound, waiting to be sent
	StatusSent    = "sent"    // outbound, delivered
	StatusFailed  = "failed"  // outbound, refused for good
)

// Button is a choice offered with a message; a click answers as if Key were typed.
type Button struct {
	Text string `json:"text"`
	Key  string `json:"key"`
}

// Buttons is stored as JSON text.
type Buttons []Button

// Value implements driver.Valuer.
func (b Buttons) Value() (driver.Value, error) {
	if len(b) == 0 {
		return "", nil
	}
	j, err := json.Marshal([]Button(b))
	return string(j), err
}

// Scan implements sql.Scanner.
func (b *Buttons) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("models: buttons from %T", src)
	}
	if s == "" {
		*b = nil
		return nil
	}
	return json.Unmarshal([]byte(s), (*[]Button)(b))
}

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

// Attachment is a photo or file attached to a report as evidence.
type Attachment struct {
	ID        int64
	ReportID  int64
	Platform  string
	MediaID   string
	URL       string
	CreatedAt time.Time
}

// Meta is a key/value setting kept in the database, such as the catalog version.
type Meta struct {
	Key   string `gorm:"primaryKey"`
	Value string
}

// TableName is "meta".
func (Meta) TableName() string { return "meta" }

// AllModels lists every model, for schema checks.
func AllModels() []any {
	return []any{&User{}, &Customer{}, &Product{}, &Message{}, &Report{}, &StockCount{}, &Delivery{}, &ReportItem{}, &Attachment{}, &Meta{},
		&Policy{}, &PolicyProduct{}, &PolicyCustomer{}, &PolicyRecipient{}, &JobRun{}, &Warning{}}
}

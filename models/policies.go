package models

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Price types a policy can change.
const (
	PriceFactory     = "出厂价"
	PriceWholesale   = "批发价"
	PriceRetailLimit = "零售限价" // the floor under which a market price is 乱价
)

// PriceTypes lists the price types, in the order people name them.
var PriceTypes = []string{PriceFactory, PriceWholesale, PriceRetailLimit}

// Audience is who a policy is for: customers matching every list that is filled.
type Audience struct {
	Regions   []string `json:"regions,omitempty" yaml:"regions"`
	Tiers     []string `json:"tiers,omitempty" yaml:"tiers"`
	Types     []string `json:"types,omitempty" yaml:"types"`
	Customers []string `json:"customers,omitempty" yaml:"customers"` // customer codes
}

// Empty reports whether the audience names nobody.
func (a Audience) Empty() bool {
	return len(a.Regions)+len(a.Tiers)+len(a.Types)+len(a.Customers) == 0
}

// Matches reports whether a customer is in the audience.
func (a Audience) Matches(c *Customer) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	return !a.Empty() && in(a.Regions, c.Region) && in(a.Tiers, c.Tier) && in(a.Types, c.Type) && in(a.Customers, c.Code)
}

// Value implements driver.Valuer.
func (a Audience) Value() (driver.Value, error) {
	b, err := json.Marshal(a)
	return string(b), err
}

// Scan implements sql.Scanner.
func (a *Audience) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), a)
	case []byte:
		return json.Unmarshal(v, a)
	}
	return fmt.Errorf("models: audience from %T", src)
}

// Policy is a price change announced to dealers.
type Policy struct {
	ID        int64
	PriceType string
	Price     Money
	Effective string // YYYY-MM-DD
	Audience  Audience
	Text      string
	CreatedBy string
	CreatedAt time.Time
}

// PolicyProduct is a product a policy changes.
type PolicyProduct struct {
	PolicyID  int64 `gorm:"primaryKey;autoIncrement:false"`
	ProductID int64 `gorm:"primaryKey;autoIncrement:false"`
}

// PolicyCustomer is a customer a policy applies to.
type PolicyCustomer struct {
	PolicyID   int64 `gorm:"primaryKey;autoIncrement:false"`
	CustomerID int64 `gorm:"primaryKey;autoIncrement:false"`
}

// PolicyRecipient is a dealer user told of a policy.
type PolicyRecipient struct {
	ID             int64
	PolicyID       int64
	CustomerID     int64
	UserID         string
	MessageID      *int64 // the outbox message; nil when the user cannot be reached
	Failed         string // why it could not be sent
	AckedAt        *time.Time
	Reminders      int
	LastRemindedAt *time.Time
}

// PolicyDraft is a policy as written, before it is checked.
type PolicyDraft struct {
	Products  []string `json:"products" yaml:"products"` // codes or names
	PriceType string   `json:"price_type" yaml:"price_type"`
	Price     Number   `json:"price" yaml:"price"`
	Effective string   `json:"effective" yaml:"effective"`
	Audience  Audience `json:"audience" yaml:"audience"`
	Text      string   `json:"text" yaml:"text"`
	CreatedBy string   `json:"created_by,omitempty" yaml:"created_by"`
}

// Number is a number as written, given in JSON either as a number or a string.
type Number string

// UnmarshalJSON accepts 39, 39.5 and "39".
func (n *Number) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*n = Number(s)
		return nil
	}
	var f json.Number
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("price: %w", err)
	}
	*n = Number(f.String())
	return nil
}

// PolicyCode says what is wrong with a field of a policy draft.
type PolicyCode string

// Policy problem codes. The Value of a PolicyProblem is noted where it has one.
const (
	PolicyNoProducts       PolicyCode = "no_products"
	PolicyUnknownProduct   PolicyCode = "unknown_product"    // Value: the product as written
	PolicyBadPriceType     PolicyCode = "bad_price_type"     // Value: the price type as written
	PolicyBadPrice         PolicyCode = "bad_price"          // Value: the price as written
	PolicyPriceNotPositive PolicyCode = "price_not_positive" // Value: the price as written
	PolicyBadEffective     PolicyCode = "bad_effective"      // Value: the date as written
	PolicyPastEffective    PolicyCode = "past_effective"     // Value: the date, YYYY-MM-DD
	PolicyNoAudience       PolicyCode = "no_audience"
	PolicyUnknownCustomer  PolicyCode = "unknown_customer" // Value: the customer code
	PolicyNoText           PolicyCode = "no_text"
)

// PolicyProblem is one thing wrong with a policy draft.
type PolicyProblem struct {
	Field string // the draft's field, named as in JSON: products, price_type, price, effective, audience, text
	Code  PolicyCode
	Value string // the value at fault; empty when the field is missing
}

// String describes the problem in English, for logs.
func (p PolicyProblem) String() string {
	if p.Value == "" {
		return p.Field + ": " + string(p.Code)
	}
	return fmt.Sprintf("%s %q: %s", p.Field, p.Value, p.Code)
}

// PolicyError lists what is wrong with a draft, in the order of the draft's fields.
// Package bot words each problem for whoever wrote the draft.
type PolicyError struct{ Problems []PolicyProblem }

func (e *PolicyError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "models: invalid policy: " + strings.Join(parts, "; ")
}

// CheckPolicy validates a draft against the catalog as of today and returns the
// policy and its products. It returns a *PolicyError listing every problem.
func CheckPolicy(d PolicyDraft, cat *Catalog, today string) (*Policy, []*Product, error) {
	var probs []PolicyProblem
	fail := func(field string, code PolicyCode, value string) {
		probs = append(probs, PolicyProblem{Field: field, Code: code, Value: value})
	}
	p := &Policy{PriceType: strings.TrimSpace(d.PriceType), Effective: strings.TrimSpace(d.Effective),
		Audience: d.Audience, Text: strings.TrimSpace(d.Text), CreatedBy: d.CreatedBy}
	var prods []*Product
	if len(d.Products) == 0 {
		fail("products", PolicyNoProducts, "")
	}
	for _, name := range d.Products {
		if pr := cat.FindProduct(name); pr != nil {
			prods = append(prods, pr)
		} else {
			fail("products", PolicyUnknownProduct, name)
		}
	}
	if !slices.Contains(PriceTypes, p.PriceType) {
		fail("price_type", PolicyBadPriceType, d.PriceType)
	}
	price, err := ParseMoney(strings.TrimSuffix(strings.TrimSpace(string(d.Price)), "元"))
	switch {
	case err != nil:
		fail("price", PolicyBadPrice, string(d.Price))
	case price <= 0:
		fail("price", PolicyPriceNotPositive, string(d.Price))
	}
	p.Price = price
	if t, err := time.Parse(time.DateOnly, p.Effective); err != nil {
		fail("effective", PolicyBadEffective, d.Effective)
	} else if p.Effective = t.Format(time.DateOnly); p.Effective < today {
		fail("effective", PolicyPastEffective, p.Effective)
	}
	if p.Audience.Empty() {
		fail("audience", PolicyNoAudience, "")
	}
	for _, code := range p.Audience.Customers {
		if cat.CustomerByCode(code) == nil {
			fail("audience", PolicyUnknownCustomer, code)
		}
	}
	if p.Text == "" {
		fail("text", PolicyNoText, "")
	}
	if len(probs) > 0 {
		return nil, nil, &PolicyError{Problems: probs}
	}
	return p, prods, nil
}

// AudienceOf returns the customers a policy applies to and the dealer users of them.
func (c *Catalog) AudienceOf(a Audience) ([]*Customer, []*User) {
	var cs []*Customer
	ids := map[int64]bool{}
	for i := range c.Customers {
		if cu := &c.Customers[i]; a.Matches(cu) {
			cs = append(cs, cu)
			ids[cu.ID] = true
		}
	}
	var us []*User
	for i := range c.Users {
		if u := &c.Users[i]; u.Role == RoleDealer && u.CustomerID != nil && ids[*u.CustomerID] {
			us = append(us, u)
		}
	}
	return cs, us
}

// policyBatch is how many rows a broadcast inserts per statement.
const policyBatch = 200

// CreatePolicy stores a checked policy and queues it to every dealer user of its
// audience, all in one transaction: either every recipient is queued exactly once
// or nothing is. message renders what a user is sent; unreachable is recorded as the
// failure of a dealer user with neither a WeCom nor a Feishu account. It returns the
// policy's ID.
func (s *Store) CreatePolicy(ctx context.Context, p *Policy, products []*Product, cat *Catalog,
	message func(p *Policy) (text string, buttons Buttons), unreachable string) (int64, error) {
	customers, users := cat.AudienceOf(p.Audience)
	now := s.Now()
	p.CreatedAt = now
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(p).Error; err != nil {
			return err
		}
		var pps []PolicyProduct
		for _, pr := range products {
			pps = append(pps, PolicyProduct{PolicyID: p.ID, ProductID: pr.ID})
		}
		if err := tx.Create(&pps).Error; err != nil {
			return err
		}
		var pcs []PolicyCustomer
		for _, c := range customers {
			pcs = append(pcs, PolicyCustomer{PolicyID: p.ID, CustomerID: c.ID})
		}
		if len(pcs) > 0 {
			if err := tx.CreateInBatches(&pcs, policyBatch).Error; err != nil {
				return err
			}
		}
		text, buttons := message(p)
		var msgs []Message
		var recs []PolicyRecipient
		for _, u := range users {
			rec := PolicyRecipient{PolicyID: p.ID, CustomerID: *u.CustomerID, UserID: u.ID}
			platform, peer := u.Reach("")
			if peer == "" {
				rec.Failed = unreachable
			} else {
				key := fmt.Sprintf("policy:%d:%s", p.ID, u.ID)
				m := Message{Direction: Outbound, Platform: platform, PlatformMsgID: &key, UserID: u.ID, Peer: peer,
					Text: text, Buttons: buttons, CreatedAt: now}
				m.deliverFrom(now)
				msgs = append(msgs, m)
			}
			recs = append(recs, rec)
		}
		if len(msgs) > 0 {
			if err := tx.CreateInBatches(&msgs, policyBatch).Error; err != nil {
				return err
			}
		}
		byUser := map[string]*int64{}
		for i := range msgs {
			byUser[msgs[i].UserID] = &msgs[i].ID
		}
		for i := range recs {
			recs[i].MessageID = byUser[recs[i].UserID]
		}
		if len(recs) > 0 {
			if err := tx.CreateInBatches(&recs, policyBatch).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("models: create policy: %w", err)
	}
	return p.ID, nil
}

// PolicyStatus is how far a broadcast got.
type PolicyStatus struct {
	ID           int64    `json:"id"`
	Targeted     int      `json:"targeted"`
	Sent         int      `json:"sent"`
	Acknowledged int      `json:"acknowledged"`
	Failed       int      `json:"failed"`
	Missing      []string `json:"missing"` // codes of customers not all of whose dealers confirmed
	Failures     []string `json:"failures,omitempty"`
}

// PolicyByID returns a policy, or ErrNotFound.
func (s *Store) PolicyByID(ctx context.Context, id int64) (*Policy, error) {
	var p Policy
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("models: policy %d: %w", id, err)
	}
	return &p, nil
}

// StatusOf counts a policy's recipients: targeted, sent (delivered), acknowledged,
// failed, and the customers still missing a confirmation. It returns ErrNotFound
// for an unknown policy.
func (s *Store) StatusOf(ctx context.Context, id int64) (*PolicyStatus, error) {
	if _, err := s.PolicyByID(ctx, id); err != nil {
		return nil, err
	}
	var rows []struct {
		Code   string
		UserID string
		Failed string
		Acked  bool
		Status string
		Reason string
	}
	err := s.db.WithContext(ctx).Raw(`
		SELECT c.code, r.user_id, r.failed, r.acked_at IS NOT NULL AS acked,
		       COALESCE(m.status, '') AS status, COALESCE(m.last_error, '') AS reason
		FROM policy_recipients r
		JOIN customers c ON c.id = r.customer_id
		LEFT JOIN messages m ON m.id = r.message_id
		WHERE r.policy_id = ? ORDER BY c.code, r.user_id`, id).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: policy status %d: %w", id, err)
	}
	st := &PolicyStatus{ID: id, Missing: []string{}}
	for _, r := range rows {
		st.Targeted++
		switch {
		case r.Failed != "" || r.Status == StatusFailed:
			st.Failed++
			st.Failures = append(st.Failures, fmt.Sprintf("%s/%s: %s%s", r.Code, r.UserID, r.Failed, r.Reason))
		case r.Status == StatusSent || r.Acked:
			st.Sent++
		}
		if r.Acked {
			st.Acknowledged++
		} else if !slices.Contains(st.Missing, r.Code) {
			st.Missing = append(st.Missing, r.Code)
		}
	}
	return st, nil
}

// Acknowledge records that a dealer user confirmed a policy: the one given, or the
// latest they have not confirmed when policyID is 0. It returns the policy, or
// ErrNotFound when there is nothing to confirm.
func (s *Store) Acknowledge(ctx context.Context, userID string, policyID int64, at time.Time) (*Policy, error) {
	q := s.db.WithContext(ctx).Model(&PolicyRecipient{}).Where("user_id = ? AND acked_at IS NULL", userID)
	if policyID != 0 {
		q = q.Where("policy_id = ?", policyID)
	}
	var rec PolicyRecipient
	err := q.Order("policy_id DESC").Take(&rec).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("models: acknowledge: %w", err)
	}
	at = at.UTC()
	if err := s.db.WithContext(ctx).Model(&PolicyRecipient{}).Where("id = ? AND acked_at IS NULL", rec.ID).
		Update("acked_at", at).Error; err != nil {
		return nil, fmt.Errorf("models: acknowledge: %w", err)
	}
	return s.PolicyByID(ctx, rec.PolicyID)
}

// PoliciesFor returns the latest policies that apply to a customer, newest first.
func (s *Store) PoliciesFor(ctx context.Context, customerID int64, limit int) ([]Policy, error) {
	var out []Policy
	err := s.db.WithContext(ctx).Where("id IN (SELECT policy_id FROM policy_customers WHERE customer_id = ?)", customerID).
		Order("id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: policies for %d: %w", customerID, err)
	}
	return out, nil
}

// PriceInForce returns a product's price of a type at a customer on a day: the
// latest policy in effect by then that applies to the customer (customerID 0: to
// everyone), else fallback. ok is false when no policy applies.
func (s *Store) PriceInForce(ctx context.Context, productID, customerID int64, priceType, day string) (Money, bool, error) {
	var ps []Policy
	q := s.db.WithContext(ctx).Where("price_type = ? AND effective <= ? AND id IN (SELECT policy_id FROM policy_products WHERE product_id = ?)",
		priceType, day, productID)
	if customerID != 0 {
		q = q.Where("id IN (SELECT policy_id FROM policy_customers WHERE customer_id = ?)", customerID)
	}
	if err := q.Order("effective DESC, id DESC").Limit(1).Find(&ps).Error; err != nil {
		return 0, false, fmt.Errorf("models: price in force: %w", err)
	}
	if len(ps) == 0 {
		return 0, false, nil
	}
	return ps[0].Price, true, nil
}

// AckedPolicies returns the policies a user has confirmed.
func (s *Store) AckedPolicies(ctx context.Context, userID string) (map[int64]bool, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&PolicyRecipient{}).Where("user_id = ? AND acked_at IS NOT NULL", userID).
		Pluck("policy_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("models: acked policies: %w", err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// NextPrice returns the first policy price of a type for a product at a customer
// that takes effect after day and by until.
func (s *Store) NextPrice(ctx context.Context, productID, customerID int64, priceType, day, until string) (*Policy, bool, error) {
	var ps []Policy
	err := s.db.WithContext(ctx).Where("price_type = ? AND effective > ? AND effective <= ?", priceType, day, until).
		Where("id IN (SELECT policy_id FROM policy_products WHERE product_id = ?)", productID).
		Where("id IN (SELECT policy_id FROM policy_customers WHERE customer_id = ?)", customerID).
		Order("effective, id DESC").Limit(1).Find(&ps).Error
	if err != nil {
		return nil, false, fmt.Errorf("models: next price: %w", err)
	}
	if len(ps) == 0 {
		return nil, false, nil
	}
	return &ps[0], true, nil
}

// RemindPolicies queues a reminder to every dealer user who has not confirmed a
// policy within after of it (or of the last reminder), at most max reminders each, in
// one transaction. A reminder is keyed by its number, so a run repeated after a
// crash queues nothing twice. reminder renders what a user is sent. It returns how
// many it queued.
func (s *Store) RemindPolicies(ctx context.Context, after time.Duration, max int,
	reminder func(p *Policy) (text string, buttons Buttons)) (int, error) {
	now := s.Now()
	cutoff := now.Add(-after)
	queued := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var recs []PolicyRecipient
		err := tx.Where(`acked_at IS NULL AND failed = '' AND reminders < ?
			AND COALESCE(last_reminded_at, (SELECT p.created_at FROM policies p WHERE p.id = policy_recipients.policy_id)) < ?`,
			max, cutoff).Order("policy_id, id").Find(&recs).Error
		if err != nil {
			return err
		}
		users := map[string]*User{}
		policies := map[int64]*Policy{}
		var uids []string
		var pids []int64
		for _, r := range recs {
			uids = append(uids, r.UserID)
			pids = append(pids, r.PolicyID)
		}
		for chunk := range slices.Chunk(uids, 500) {
			var us []User
			if err := tx.Where("id IN ?", chunk).Find(&us).Error; err != nil {
				return err
			}
			for i := range us {
				users[us[i].ID] = &us[i]
			}
		}
		var ps []Policy
		if len(pids) > 0 {
			if err := tx.Where("id IN ?", slices.Compact(pids)).Find(&ps).Error; err != nil {
				return err
			}
		}
		for i := range ps {
			policies[ps[i].ID] = &ps[i]
		}
		for _, r := range recs {
			p, u := policies[r.PolicyID], users[r.UserID]
			if p == nil || u == nil {
				continue
			}
			platform, peer := u.Reach("")
			if peer == "" {
				continue
			}
			text, buttons := reminder(p)
			key := fmt.Sprintf("policy:%d:%s:r%d", r.PolicyID, r.UserID, r.Reminders+1)
			m := Message{Direction: Outbound, Platform: platform, PlatformMsgID: &key, UserID: u.ID, Peer: peer,
				Text: text, Buttons: buttons, CreatedAt: now}
			m.deliverFrom(now)
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&m)
			if res.Error != nil {
				return res.Error
			}
			if err := tx.Model(&PolicyRecipient{}).Where("id = ?", r.ID).
				Updates(map[string]any{"reminders": r.Reminders + 1, "last_reminded_at": now}).Error; err != nil {
				return err
			}
			queued += int(res.RowsAffected)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("models: remind policies: %w", err)
	}
	return queued, nil
}

// UnconfirmedPolicies returns, per customer, the policies its dealers still have not
// confirmed after every reminder: for the owner rep to raise at the next visit.
func (s *Store) UnconfirmedPolicies(ctx context.Context, maxReminders int) (map[int64][]Policy, error) {
	var rows []struct {
		CustomerID int64
		Policy
	}
	err := s.db.WithContext(ctx).Raw(`
		SELECT DISTINCT r.customer_id, p.* FROM policy_recipients r JOIN policies p ON p.id = r.policy_id
		WHERE r.acked_at IS NULL AND r.reminders >= ? ORDER BY r.customer_id, p.id`, maxReminders).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: unconfirmed policies: %w", err)
	}
	out := map[int64][]Policy{}
	for _, r := range rows {
		out[r.CustomerID] = append(out[r.CustomerID], r.Policy)
	}
	return out, nil
}

// OpenPolicy is a policy some dealers have not confirmed yet.
type OpenPolicy struct {
	ID        int64
	Text      string
	Effective string
	Missing   int // customers still to confirm
}

// OpenPolicies lists the policies not yet confirmed by every dealer, oldest first.
func (s *Store) OpenPolicies(ctx context.Context) ([]OpenPolicy, error) {
	var out []OpenPolicy
	err := s.db.WithContext(ctx).Raw(`
		SELECT p.id, p.text, p.effective, COUNT(DISTINCT r.customer_id) AS missing
		FROM policies p JOIN policy_recipients r ON r.policy_id = p.id
		WHERE r.acked_at IS NULL
		GROUP BY p.id, p.text, p.effective ORDER BY p.id`).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: open policies: %w", err)
	}
	return out, nil
}

// PolicyMaxReminders is how often a dealer is reminded of a policy before the owner
// rep is asked to raise it at the next visit.
const PolicyMaxReminders = 2

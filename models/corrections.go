package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// ChangeAction names what was done to a report.
type ChangeAction string

// What can be done to a report after it was stored. Create, Edit and Resolve are
// actions a user may undo (撤销); Supersede happens with a Create (a count
// corrected within the correction window) and is undone with it.
const (
	ChangeCreate    ChangeAction = "create"    // the report was stored
	ChangeSupersede ChangeAction = "supersede" // a count line was replaced by a later count (RefID)
	ChangeEdit      ChangeAction = "edit"      // a line's quantity was changed (改 #N)
	ChangeResolve   ChangeAction = "resolve"   // a promise was kept (兑现)
	ChangeUndo      ChangeAction = "undo"      // an action was undone (RefID: the change undone, or 0 for 撤销 #N)
)

// ReportChange is one entry of the audit trail of reports: who did what to which
// report, in which conversation, with the value before and after. Entries are
// never deleted; an undone action gets UndoneAt.
type ReportChange struct {
	ID        int64
	ReportID  int64
	UserID    string
	Action    ChangeAction
	Platform  string
	Peer      string
	MessageID *int64
	LineID    *int64 // the line changed: a stock count, delivery or report item
	RefID     *int64 // Supersede: the report that replaced the line; Undo: the change undone
	OldValue  string // pieces before, as a decimal
	NewValue  string // pieces after
	At        time.Time
	UndoneAt  *time.Time
}

// Line tables a change may touch.
const (
	LineCount    = "stock_counts"
	LineDelivery = "deliveries"
	LineItem     = "report_items"
)

// Op is a change to stored reports that SaveExchange applies in the exchange's
// transaction, after the exchange's own report is created, with its audit entry.
type Op interface {
	apply(tx *gorm.DB, c opContext) error
}

// opContext is what an Op needs to know about its exchange.
type opContext struct {
	reportID int64 // the exchange's new report, 0 for none
	in       *Message
}

func (c opContext) change(reportID int64, action ChangeAction) ReportChange {
	id := c.in.ID
	return ReportChange{ReportID: reportID, UserID: c.in.UserID, Action: action,
		Platform: c.in.Platform, Peer: c.in.Peer, MessageID: &id, At: c.in.CreatedAt.UTC()}
}

// Supersede replaces earlier stock counts with the exchange's new count of the same
// products: a correction made within the correction window. Each count is
// soft-deleted, and so is its report once none of its counts is left.
type Supersede struct {
	Counts []StockCount // the counts replaced
	New    map[int64]int64
}

func (o Supersede) apply(tx *gorm.DB, c opContext) error {
	if c.reportID == 0 {
		return errors.New("supersede without a new report")
	}
	for _, sc := range o.Counts {
		res := tx.Where("id = ?", sc.ID).Delete(&StockCount{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("count %d was changed meanwhile", sc.ID)
		}
		ch := c.change(sc.ReportID, ChangeSupersede)
		line, ref := sc.ID, c.reportID
		ch.LineID, ch.RefID = &line, &ref
		ch.OldValue = strconv.FormatInt(sc.Pieces, 10)
		ch.NewValue = strconv.FormatInt(o.New[sc.ProductID], 10)
		if err := tx.Create(&ch).Error; err != nil {
			return err
		}
		var left int64
		if err := tx.Model(&StockCount{}).Where("report_id = ?", sc.ReportID).Count(&left).Error; err != nil {
			return err
		}
		if left == 0 {
			if err := tx.Where("id = ?", sc.ReportID).Delete(&Report{}).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

// LineEdit is a new quantity for one line of a report.
type LineEdit struct {
	Table  string // LineCount, LineDelivery or LineItem
	LineID int64
	Old    int64
	New    int64
}

// Edit changes quantities of a report's lines (改 #N), keeping the old values in
// the audit trail.
type Edit struct {
	ReportID int64
	Lines    []LineEdit
}

func (o Edit) apply(tx *gorm.DB, c opContext) error {
	for _, l := range o.Lines {
		if err := setPieces(tx, l.Table, l.LineID, l.Old, l.New); err != nil {
			return err
		}
		ch := c.change(o.ReportID, ChangeEdit)
		line := l.LineID
		ch.LineID = &line
		ch.OldValue, ch.NewValue = l.Table+":"+strconv.FormatInt(l.Old, 10), strconv.FormatInt(l.New, 10)
		if err := tx.Create(&ch).Error; err != nil {
			return err
		}
	}
	return nil
}

// setPieces changes a live line's pieces from old to new; it fails when the line
// is gone or holds another value (changed meanwhile).
func setPieces(tx *gorm.DB, table string, id, old, new int64) error {
	switch table {
	case LineCount, LineDelivery, LineItem:
	default:
		return fmt.Errorf("no line table %q", table)
	}
	res := tx.Table(table).Where("id = ? AND pieces = ? AND deleted_at IS NULL", id, old).Update("pieces", new)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%s %d was changed meanwhile", table, id)
	}
	return nil
}

// Resolve marks a promise kept (兑现).
type Resolve struct{ ReportID int64 }

func (o Resolve) apply(tx *gorm.DB, c opContext) error {
	res := tx.Model(&Report{}).Where("id = ? AND resolved_at IS NULL", o.ReportID).Update("resolved_at", c.in.CreatedAt.UTC())
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("promise %d was resolved meanwhile", o.ReportID)
	}
	ch := c.change(o.ReportID, ChangeResolve)
	return tx.Create(&ch).Error
}

// Undo undoes an action: the changes of Action (all of one message), or, with
// Action empty, the report ReportID itself (撤销 #N).
type Undo struct {
	Action   *Action
	ReportID int64
}

func (o Undo) apply(tx *gorm.DB, c opContext) error {
	at := c.in.CreatedAt.UTC()
	if o.Action == nil {
		if err := undoReport(tx, o.ReportID, at); err != nil {
			return err
		}
		ch := c.change(o.ReportID, ChangeUndo)
		return tx.Create(&ch).Error
	}
	for _, ch := range o.Action.Changes {
		// Claim the change first: an action is undone once.
		res := tx.Model(&ReportChange{}).Where("id = ? AND undone_at IS NULL", ch.ID).Update("undone_at", at)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("change %d was undone meanwhile", ch.ID)
		}
		var err error
		switch ch.Action {
		case ChangeCreate:
			err = undoReport(tx, ch.ReportID, at)
		case ChangeEdit:
			err = undoEdit(tx, ch)
		case ChangeResolve:
			err = tx.Model(&Report{}).Where("id = ?", ch.ReportID).Update("resolved_at", nil).Error
		default:
			err = fmt.Errorf("cannot undo %s", ch.Action)
		}
		if err != nil {
			return err
		}
		u := c.change(ch.ReportID, ChangeUndo)
		ref := ch.ID
		u.RefID = &ref
		if err := tx.Create(&u).Error; err != nil {
			return err
		}
	}
	return nil
}

// undoReport soft-deletes a report with its lines, marks its creation undone, and
// brings back the counts it had replaced (a correction undone restores what it
// corrected).
func undoReport(tx *gorm.DB, id int64, at time.Time) error {
	switch ok, err := softDeleteReport(tx, id); {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("report %d was undone meanwhile", id)
	}
	if err := tx.Model(&ReportChange{}).Where("report_id = ? AND action = ? AND undone_at IS NULL", id, ChangeCreate).
		Update("undone_at", at).Error; err != nil {
		return err
	}
	var replaced []ReportChange
	if err := tx.Where("ref_id = ? AND action = ? AND undone_at IS NULL", id, ChangeSupersede).Find(&replaced).Error; err != nil {
		return err
	}
	for _, ch := range replaced {
		if err := tx.Unscoped().Model(&StockCount{}).Where("id = ?", *ch.LineID).Update("deleted_at", nil).Error; err != nil {
			return err
		}
		if err := tx.Unscoped().Model(&Report{}).Where("id = ?", ch.ReportID).Update("deleted_at", nil).Error; err != nil {
			return err
		}
		if err := tx.Model(&ReportChange{}).Where("id = ?", ch.ID).Update("undone_at", at).Error; err != nil {
			return err
		}
	}
	return nil
}

// undoEdit puts back the value a line had before an edit.
func undoEdit(tx *gorm.DB, ch ReportChange) error {
	table, old, ok := cutValue(ch.OldValue)
	if !ok || ch.LineID == nil {
		return fmt.Errorf("change %d: unreadable old value %q", ch.ID, ch.OldValue)
	}
	now, err := strconv.ParseInt(ch.NewValue, 10, 64)
	if err != nil {
		return fmt.Errorf("change %d: unreadable new value %q", ch.ID, ch.NewValue)
	}
	return setPieces(tx, table, *ch.LineID, now, old)
}

func cutValue(s string) (table string, v int64, ok bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			n, err := strconv.ParseInt(s[i+1:], 10, 64)
			return s[:i], n, err == nil
		}
	}
	return "", 0, false
}

// Action is a user's action in a conversation: the changes one message made.
type Action struct {
	Kind    ChangeAction
	At      time.Time
	Changes []ReportChange
}

// LastAction returns the latest action of userID in the conversation (platform,
// peer) made at or after since: a report created, an edit, a promise kept, or an
// undo. Undone actions are skipped. It returns ErrNotFound when there is none.
func (s *Store) LastAction(ctx context.Context, userID, platform, peer string, since time.Time) (*Action, error) {
	return s.lastAction(ctx, userID, platform, peer, since, ChangeCreate, ChangeEdit, ChangeResolve, ChangeUndo)
}

// LastUndoable is LastAction skipping undos: the latest action 撤销 would undo.
func (s *Store) LastUndoable(ctx context.Context, userID, platform, peer string, since time.Time) (*Action, error) {
	return s.lastAction(ctx, userID, platform, peer, since, ChangeCreate, ChangeEdit, ChangeResolve)
}

func (s *Store) lastAction(ctx context.Context, userID, platform, peer string, since time.Time, kinds ...ChangeAction) (*Action, error) {
	db := s.db.WithContext(ctx)
	var last ReportChange
	// Changes to a report undone since (by 撤销 #N, or replaced by a correction)
	// are over.
	err := db.Where("user_id = ? AND platform = ? AND peer = ? AND at >= ? AND undone_at IS NULL AND action IN ?",
		userID, platform, peer, since.UTC(), kinds).
		Where("(action = ? OR report_id NOT IN (?))", ChangeUndo, db.Unscoped().Model(&Report{}).Select("id").Where("deleted_at IS NOT NULL")).
		Order("at DESC, id DESC").Take(&last).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("models: last action of %s: %w", userID, err)
	}
	a := &Action{Kind: last.Action, At: last.At}
	q := db.Where("action = ? AND undone_at IS NULL AND user_id = ?", last.Action, userID)
	if last.MessageID != nil {
		q = q.Where("message_id = ?", *last.MessageID)
	} else {
		q = q.Where("id = ?", last.ID)
	}
	if err := q.Order("id").Find(&a.Changes).Error; err != nil {
		return nil, fmt.Errorf("models: last action of %s: %w", userID, err)
	}
	return a, nil
}

// ReportByID returns a report that is not undone, or ErrNotFound.
func (s *Store) ReportByID(ctx context.Context, id int64) (*Report, error) {
	var r Report
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("models: report %d: %w", id, err)
	}
	return &r, nil
}

// RecentReports returns userID's latest reports, not undone, filed at or after
// since from the conversation (platform, peer), newest first, at most n.
func (s *Store) RecentReports(ctx context.Context, userID, platform, peer string, since time.Time, n int) ([]Report, error) {
	var out []Report
	err := s.db.WithContext(ctx).Where("user_id = ? AND reported_at >= ? AND id IN (?)", userID, since.UTC(),
		s.db.Model(&ReportChange{}).Select("report_id").Where("action = ? AND platform = ? AND peer = ?", ChangeCreate, platform, peer)).
		Order("id DESC").Limit(n).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: recent reports of %s: %w", userID, err)
	}
	return out, nil
}

// ReportChanges returns the audit trail of a report, oldest first.
func (s *Store) ReportChanges(ctx context.Context, reportID int64) ([]ReportChange, error) {
	var out []ReportChange
	if err := s.db.WithContext(ctx).Where("report_id = ?", reportID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: changes of report %d: %w", reportID, err)
	}
	return out, nil
}

// LiveLines returns a report's lines that are not undone, by table: its counts,
// deliveries and items.
func (s *Store) LiveLines(ctx context.Context, reportID int64) ([]StockCount, []Delivery, []ReportItem, error) {
	db := s.db.WithContext(ctx)
	var cs []StockCount
	var ds []Delivery
	var is []ReportItem
	if err := db.Where("report_id = ?", reportID).Order("id").Find(&cs).Error; err != nil {
		return nil, nil, nil, fmt.Errorf("models: lines of %d: %w", reportID, err)
	}
	if err := db.Where("report_id = ?", reportID).Order("id").Find(&ds).Error; err != nil {
		return nil, nil, nil, fmt.Errorf("models: lines of %d: %w", reportID, err)
	}
	if err := db.Where("report_id = ?", reportID).Order("id").Find(&is).Error; err != nil {
		return nil, nil, nil, fmt.Errorf("models: lines of %d: %w", reportID, err)
	}
	return cs, ds, is, nil
}

// RecentCounts returns the live stock counts of the products at a customer taken
// in [since, at]: the counts a new count within the correction window replaces.
func (s *Store) RecentCounts(ctx context.Context, customerID int64, productIDs []int64, since, at time.Time) ([]StockCount, error) {
	var out []StockCount
	err := s.db.WithContext(ctx).Where("customer_id = ? AND product_id IN ? AND counted_at >= ? AND counted_at <= ?",
		customerID, productIDs, since.UTC(), at.UTC()).Order("counted_at, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: recent counts: %w", err)
	}
	return out, nil
}

// OpenPromise returns the promise 兑现 would keep: the report with reportID, or else
// the user's latest open promise to the customer; only the user's own unless all
// is set. It returns ErrNotFound when there is no such open promise.
func (s *Store) OpenPromise(ctx context.Context, userID string, all bool, reportID, customerID int64) (*Report, error) {
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
		return nil, fmt.Errorf("models: open promise: %w", err)
	}
	return &r, nil
}

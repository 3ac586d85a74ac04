package models

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// Exchange is one inbound message and everything the bot stores for it: the audit
// entry, the report with its lines, and the replies. SaveExchange writes it whole or not at all.
type Exchange struct {
	In         *Message
	Report     *Report
	Counts     []StockCount
	Deliveries []Delivery
	Items      []ReportItem
	// Ops change stored reports (corrections, edits, 兑现, 撤销), after Report is
	// created, each with its audit entry.
	Ops []Op
	// Attach is evidence for an earlier report.
	Attach *Attachment
	// Replies renders the reply texts once the report has its ID (0 when there is no report).
	Replies func(reportID int64) []string
	// ReplyButtons go with the last reply: the answers to the question it asks.
	ReplyButtons Buttons
	// Notices renders messages to other users, such as the sender's manager.
	Notices func(reportID int64) []Notice
	// Out holds the stored replies after SaveExchange, and NoticesOut the notices.
	Out        []*Message
	NoticesOut []*Message
}

// Notice is a message to a user other than the sender, on the platform where that
// user is reached.
type Notice struct {
	UserID   string
	Platform string
	Peer     string // the user's identity on Platform
	Text     string
}

// saveInbound stores a message received directly, or marks one from the inbox done.
// It returns ErrDuplicate when the message was stored or processed before.
func saveInbound(tx *gorm.DB, in *Message) error {
	if in.ID != 0 {
		res := tx.Model(&Message{}).Where("id = ? AND status = ?", in.ID, StatusQueued).
			Updates(map[string]any{"status": StatusDone, "lease_until": nil, "user_id": in.UserID})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrDuplicate
		}
		return nil
	}
	in.Direction = Inbound
	in.CreatedAt = in.CreatedAt.UTC()
	err := tx.Create(in).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrDuplicate
	}
	return err
}

// SaveExchange stores ex in one transaction. It returns ErrDuplicate, storing nothing,
// if the inbound platform message was stored before.
func (s *Store) SaveExchange(ctx context.Context, ex *Exchange) error {
	now := s.Now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := saveInbound(tx, ex.In); err != nil {
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
			created := opContext{in: ex.In}.change(r.ID, ChangeCreate)
			if err := tx.Create(&created).Error; err != nil {
				return err
			}
			for i := range ex.Counts {
				ex.Counts[i].ReportID, ex.Counts[i].CountedAt = r.ID, r.ReportedAt
			}
			for i := range ex.Deliveries {
				ex.Deliveries[i].ReportID = r.ID
				if at := ex.Deliveries[i].ReceivedAt; at.IsZero() || at.After(r.ReportedAt) {
					ex.Deliveries[i].ReceivedAt = r.ReportedAt // when reported, unless said earlier
				} else {
					ex.Deliveries[i].ReceivedAt = at.UTC()
				}
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
		if ex.Attach != nil {
			if err := tx.Create(ex.Attach).Error; err != nil {
				return err
			}
		}
		for _, op := range ex.Ops {
			if err := op.apply(tx, opContext{reportID: reportID, in: ex.In}); err != nil {
				return err
			}
		}
		ex.NoticesOut = ex.NoticesOut[:0]
		if ex.Notices != nil {
			for _, n := range ex.Notices(reportID) {
				m := &Message{Direction: Outbound, Platform: n.Platform, UserID: n.UserID,
					Peer: n.Peer, Text: n.Text, ReplyTo: &ex.In.ID, CreatedAt: now}
				m.deliverFrom(now)
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
		replies := ex.Replies(reportID)
		for i, text := range replies {
			m := &Message{Direction: Outbound, Platform: ex.In.Platform, UserID: ex.In.UserID,
				Peer: ex.In.Peer, Text: text, ReplyTo: &ex.In.ID, CreatedAt: now}
			if i == len(replies)-1 {
				m.Buttons = ex.ReplyButtons
			}
			m.deliverFrom(now)
			if ex.In.PlatformMsgID != nil {
				m.Quote = *ex.In.PlatformMsgID
			}
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

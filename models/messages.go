package models

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

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
	// FirstAttemptAt is when the first send that may have reached the platform
	// began (nil while none has: a refusal the platform answered does not count);
	// LastAttemptAt is when the latest send began. Both are written before the
	// request goes out (StartAttempt), so a resend after a crash is recognised.
	FirstAttemptAt *time.Time
	LastAttemptAt  *time.Time
	LeaseUntil     *time.Time
	LastError      string
	SentAt         *time.Time
	Markdown       bool
	Buttons        Buttons
	Quote          string // the platform message ID a reply quotes
	Payload        string // what a non-text message carries (location, media), as JSON
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

// Platform names used in messages.
const (
	PlatformConsole = "console"
	PlatformWeCom   = "wecom"
	PlatformFeishu  = "feishu"
)

// ErrDuplicate is returned when a platform message was stored before.
var ErrDuplicate = errors.New("models: duplicate message")

// deliverFrom marks an outbound message for delivery from now, unless it is for the
// console, where it is printed instead.
func (m *Message) deliverFrom(now time.Time) {
	if m.Platform == PlatformConsole || m.Platform == "" {
		return
	}
	m.Status, m.NextAttemptAt = StatusPending, &now
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

// The messages table is also the inbox and the outbox. Work is handed out with
// leases: a claimed row is not claimed again until its lease runs out, so a replica
// that dies mid-way leaves its work to the others.

// Peer is a sender or recipient on a platform.
type Peer struct {
	Platform string
	Peer     string
}

// EnqueueInbound stores a platform message to be processed, already claimed for lease
// by the caller, who should hand it to a worker. It returns ErrDuplicate, storing
// nothing, if the platform delivered it before.
func (s *Store) EnqueueInbound(ctx context.Context, m *Message, lease time.Duration) error {
	until := s.Now().Add(lease)
	m.ID, m.Direction, m.Status, m.Attempts, m.LeaseUntil = 0, Inbound, StatusQueued, 1, &until
	m.CreatedAt = m.CreatedAt.UTC()
	err := s.db.WithContext(ctx).Create(m).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("models: enqueue inbound: %w", err)
	}
	return nil
}

// ClaimInbound leases the oldest queued message of a sender, unless another of theirs
// is being processed: so one sender's messages are handled one at a time, in order,
// across replicas. It returns ErrNotFound when there is nothing to claim.
func (s *Store) ClaimInbound(ctx context.Context, p Peer, lease time.Duration) (*Message, error) {
	now := s.Now()
	var out []Message
	err := s.db.WithContext(ctx).Raw(`
		UPDATE messages SET lease_until = ?, attempts = attempts + 1
		WHERE id = (SELECT m.id FROM messages m
		            WHERE m.status = 'queued' AND m.platform = ? AND m.peer = ? AND m.direction = 'in'
		            ORDER BY m.id LIMIT 1)
		  AND (lease_until IS NULL OR lease_until < ?)
		RETURNING *`, now.Add(lease), p.Platform, p.Peer, now).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: claim inbound: %w", err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// FirstQueued returns the ID of the sender's oldest queued message, or 0 when there is none.
func (s *Store) FirstQueued(ctx context.Context, p Peer) (int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&Message{}).
		Where("status = 'queued' AND platform = ? AND peer = ? AND direction = 'in'", p.Platform, p.Peer).
		Order("id").Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return 0, fmt.Errorf("models: first queued: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// ReleaseInbound gives up a claim on a queued message, so that whoever processes the
// sender's earlier messages goes on with it.
func (s *Store) ReleaseInbound(ctx context.Context, id int64) error {
	err := s.db.WithContext(ctx).Model(&Message{}).Where("id = ? AND status = 'queued'", id).
		Update("lease_until", nil).Error
	if err != nil {
		return fmt.Errorf("models: release inbound %d: %w", id, err)
	}
	return nil
}

// QueuedPeers lists up to limit senders with queued messages that no one is
// processing: the work a restarted or overloaded replica left.
func (s *Store) QueuedPeers(ctx context.Context, limit int) ([]Peer, error) {
	now := s.Now()
	var out []Peer
	err := s.db.WithContext(ctx).Model(&Message{}).Distinct("platform", "peer").
		Where("status = 'queued' AND direction = 'in' AND (lease_until IS NULL OR lease_until < ?)", now).
		Limit(limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: queued peers: %w", err)
	}
	return out, nil
}

// FailInbound gives up on a queued message that could not be processed. An
// apology, when not empty, is queued to the sender in the same transaction, so that
// they know to send again.
func (s *Store) FailInbound(ctx context.Context, m *Message, reason, apology string) error {
	now := s.Now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Message{}).Where("id = ? AND status = ?", m.ID, StatusQueued).
			Updates(map[string]any{"status": StatusFailed, "last_error": truncate(reason, 500), "lease_until": nil})
		if res.Error != nil || res.RowsAffected == 0 || apology == "" {
			return res.Error
		}
		out := &Message{Direction: Outbound, Platform: m.Platform, UserID: m.UserID, Peer: m.Peer, Text: apology,
			ReplyTo: &m.ID, CreatedAt: now}
		out.deliverFrom(now)
		return tx.Create(out).Error
	})
	if err != nil {
		return fmt.Errorf("models: fail inbound %d: %w", m.ID, err)
	}
	return nil
}

// ClaimOutbound leases up to n pending messages that are due, on the given
// platforms, at most one per recipient (their oldest), so each recipient gets
// messages in order. On PostgreSQL, rows locked by another replica are skipped.
func (s *Store) ClaimOutbound(ctx context.Context, platforms []string, n int, lease time.Duration) ([]Message, error) {
	if len(platforms) == 0 || n < 1 {
		return nil, nil
	}
	now := s.Now()
	skipLocked := ""
	if s.dialect == "postgres" {
		skipLocked = "FOR UPDATE SKIP LOCKED"
	}
	var out []Message
	err := s.db.WithContext(ctx).Raw(`
		UPDATE messages SET lease_until = ?, attempts = attempts + 1
		WHERE id IN (
			SELECT m.id FROM messages m
			WHERE m.status = 'pending' AND m.next_attempt_at <= ? AND m.platform IN ? AND m.direction = 'out'
			  AND (m.lease_until IS NULL OR m.lease_until < ?)
			  AND NOT EXISTS (SELECT 1 FROM messages p
			                  WHERE p.status = 'pending' AND p.platform = m.platform AND p.peer = m.peer
			                    AND p.id < m.id AND p.direction = 'out')
			ORDER BY m.id LIMIT ? `+skipLocked+`)
		RETURNING *`, now.Add(lease), now, platforms, now, n).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: claim outbound: %w", err)
	}
	return out, nil
}

// StartAttempt records, before the request goes out, that a claimed outbound
// message is being sent now: last_attempt_at is now, and first_attempt_at too
// unless an earlier send may already have reached the platform. It returns
// ErrNotFound when the message is no longer pending (settled by another).
func (s *Store) StartAttempt(ctx context.Context, id int64) error {
	now := s.Now()
	res := s.db.WithContext(ctx).Model(&Message{}).Where("id = ? AND status = ?", id, StatusPending).
		Updates(map[string]any{"last_attempt_at": now, "first_attempt_at": gorm.Expr("COALESCE(first_attempt_at, ?)", now)})
	if res.Error != nil {
		return fmt.Errorf("models: start attempt %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// MarkSent records a delivered message.
func (s *Store) MarkSent(ctx context.Context, id int64) error {
	return s.settle(ctx, id, map[string]any{"status": StatusSent, "sent_at": s.Now(), "lease_until": nil, "last_error": ""})
}

// MarkFailed records a message the platform refused for good.
func (s *Store) MarkFailed(ctx context.Context, id int64, reason string) error {
	return s.settle(ctx, id, map[string]any{"status": StatusFailed, "lease_until": nil, "last_error": truncate(reason, 500)})
}

// Retry puts a claimed message back to be tried again at next. countAttempt false
// means the try did not happen (held back by a rate limit).
func (s *Store) Retry(ctx context.Context, id int64, next time.Time, reason string, countAttempt bool) error {
	up := map[string]any{"next_attempt_at": next.UTC(), "lease_until": nil, "last_error": truncate(reason, 500)}
	if !countAttempt {
		up["attempts"] = gorm.Expr("attempts - 1")
	}
	return s.settle(ctx, id, up)
}

// Held puts back a message whose attempt was recorded (StartAttempt) but not made,
// held by a rate limit: the try is not counted, and when it was the first, the
// duplicate-check window has not started (first_attempt_at is cleared again).
func (s *Store) Held(ctx context.Context, id int64, next time.Time) error {
	return s.settle(ctx, id, map[string]any{"next_attempt_at": next.UTC(), "lease_until": nil, "last_error": "",
		"attempts":         gorm.Expr("attempts - 1"),
		"first_attempt_at": gorm.Expr("CASE WHEN first_attempt_at = last_attempt_at THEN NULL ELSE first_attempt_at END")})
}

// RetryRefused is Retry for a send the platform answered with a refusal: the
// message did not reach it, so when this send was the first that might have
// (first_attempt_at = last_attempt_at), the duplicate-check window has not
// started after all and first_attempt_at is cleared.
func (s *Store) RetryRefused(ctx context.Context, id int64, next time.Time, reason string) error {
	return s.settle(ctx, id, map[string]any{"next_attempt_at": next.UTC(), "lease_until": nil,
		"last_error":       truncate(reason, 500),
		"first_attempt_at": gorm.Expr("CASE WHEN first_attempt_at = last_attempt_at THEN NULL ELSE first_attempt_at END")})
}

func (s *Store) settle(ctx context.Context, id int64, up map[string]any) error {
	err := s.db.WithContext(ctx).Model(&Message{}).Where("id = ? AND status = ?", id, StatusPending).Updates(up).Error
	if err != nil {
		return fmt.Errorf("models: settle message %d: %w", id, err)
	}
	return nil
}

// OutboxDepth counts messages waiting to be delivered.
func (s *Store) OutboxDepth(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Message{}).Where("status = 'pending' AND direction = 'out'").Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("models: outbox depth: %w", err)
	}
	return n, nil
}

// Outbound returns the outbound messages to a peer, oldest first, for tests and
// the admin view.
func (s *Store) Outbound(ctx context.Context, p Peer) ([]Message, error) {
	var out []Message
	err := s.db.WithContext(ctx).Where("direction = ? AND platform = ? AND peer = ?", Outbound, p.Platform, p.Peer).
		Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: outbound: %w", err)
	}
	return out, nil
}

package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"channelbot/bot"
	"channelbot/models"
)

// The intake contract: a callback is answered 200 only when its message is
// durably stored, by this request or provably by an earlier one. The proof is the
// database's unique key on the platform message ID; a dedup mark in shared state
// (Redis) is only a hint:
//
//   - "storing:<token>" (storingTTL) says someone is storing the message now. A
//     request that finds it waits, at most Wait, for the stored row; the row
//     appears: 200; the mark goes (the holder failed): it stores the message
//     itself; neither in time: 5xx, and the platform retries.
//   - "stored" (dedupTTL) says it was stored. It saves an insert, but a request
//     that finds it still reads the row; a mark without its row (the database
//     was restored from a backup, say) is dropped and the message stored.
//   - No shared state (Redis down): the insert alone deduplicates, by the unique
//     key; a duplicate key is the proof that it is stored.
const (
	// dedupTTL keeps "stored" marks past the platforms' retries (WeCom's
	// minutes, Feishu's 7.1 hours) and a day of restarts.
	dedupTTL = 25 * time.Hour
	// storeTimeout bounds the insert, so that the platform gets an answer
	// (WeCom waits 5 s, Feishu 3 s).
	storeTimeout = 3 * time.Second
	// storingTTL outlives the insert of the request holding the mark, so a
	// mark left by a crashed replica is gone by the platform's next retries.
	storingTTL = storeTimeout + 2*time.Second
	// DefaultDedupWait bounds how long a request waits for a message someone
	// else is storing: well under the platforms' timeouts.
	DefaultDedupWait = 1500 * time.Millisecond
	// dedupPoll is how often a waiting request looks for the row.
	dedupPoll = 50 * time.Millisecond
)

var (
	storingPrefix = []byte("storing:")
	storedMark    = []byte("stored")
)

// errInFlight is returned when another request held the message's mark for the
// whole wait without storing it: answer 5xx, so the platform retries.
var errInFlight = errors.New("message being stored by another request")

// Marker holds dedup marks in shared state (Redis), shared by replicas. *state.Redis,
// *state.Memory and *state.Failover are Markers.
type Marker interface {
	SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error)
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	CompareAndDelete(ctx context.Context, key string, val []byte) (bool, error)
}

// InboxStore stores platform messages in the inbox. *models.Store is one.
type InboxStore interface {
	// EnqueueInbound stores m, or returns models.ErrDuplicate if its platform
	// message ID is stored already.
	EnqueueInbound(ctx context.Context, m *models.Message, lease time.Duration) error
	// MessageSeen reports whether an inbound platform message is stored.
	MessageSeen(ctx context.Context, platform, msgID string) (bool, error)
}

// intake stores platform messages once each and hands them to the inbox.
type intake struct {
	marks   Marker
	store   InboxStore
	inbox   Inbox
	metrics *Metrics
	log     *slog.Logger
	wait    time.Duration // 0: DefaultDedupWait
}

// enqueueOnce stores in under the dedup mark key and hands it to the inbox, or
// finds it stored by an earlier request. It returns nil only when the message is
// stored; an error means "answer 5xx": the platform retries, and the retry is
// taken.
func (t intake) enqueueOnce(ctx context.Context, key string, in bot.Inbound) error {
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	// What people typed is stored and echoed without control or text-direction
	// characters (newlines and tabs stay), whatever the platform.
	in.Text, in.Label = models.StripControls(in.Text), models.StripControls(in.Label)
	if in.MsgID == "" {
		return t.store1(ctx, "", nil, in) // no ID, no duplicates to find
	}
	wait := t.wait
	if wait <= 0 {
		wait = DefaultDedupWait
	}
	deadline := time.Now().Add(wait)
	token := append(append([]byte(nil), storingPrefix...), randomToken()...)
	for {
		first, err := t.marks.SetNX(ctx, key, token, storingTTL)
		if err != nil {
			// Shared state is down: the unique key alone deduplicates.
			t.log.DebugContext(ctx, "dedup mark unavailable, deduplicating by the database", "platform", in.Platform, "error", err)
			return t.store1(ctx, "", nil, in)
		}
		if first {
			return t.store1(ctx, key, token, in)
		}
		done, err := t.awaitRow(ctx, key, in, deadline)
		if err != nil || done {
			return err
		}
		// The mark went, or lied: take it and store the message.
	}
}

// awaitRow waits, until deadline, for someone else's copy of in to be stored.
// done is true when it is (a duplicate: nothing to do); false with a nil error
// means the mark is gone and the caller should try to take it.
func (t intake) awaitRow(ctx context.Context, key string, in bot.Inbound, deadline time.Time) (done bool, err error) {
	for {
		seen, err := t.store.MessageSeen(ctx, in.Platform, in.MsgID)
		if err != nil {
			return false, fmt.Errorf("look for a stored copy: %w", err)
		}
		if seen {
			t.metrics.Duplicate(in.Platform)
			return true, nil
		}
		val, ok, err := t.marks.Get(ctx, key)
		switch {
		case err != nil:
			// Shared state went down while we waited: the unique key decides.
			return true, t.store1(ctx, "", nil, in)
		case !ok:
			return false, nil // the holder failed and let go
		case !bytes.HasPrefix(val, storingPrefix):
			// "stored", and no row: the mark outlived what it protected.
			t.log.WarnContext(ctx, "dedup mark without its message, storing it again", "platform", in.Platform)
			if _, err := t.marks.CompareAndDelete(ctx, key, val); err != nil {
				return true, t.store1(ctx, "", nil, in)
			}
			return false, nil
		}
		if !time.Now().Before(deadline) {
			return false, errInFlight
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(dedupPoll):
		}
	}
}

// store1 stores in and hands it to the inbox. With a key, the caller holds its
// mark under token: a failure releases it (only if still ours), a success or a
// duplicate turns it into "stored".
func (t intake) store1(ctx context.Context, key string, token []byte, in bot.Inbound) error {
	m := bot.InboxMessage(in)
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	err := t.store.EnqueueInbound(sctx, m, t.inbox.LeaseFor())
	cancel()
	bg := context.WithoutCancel(ctx)
	switch {
	case errors.Is(err, models.ErrDuplicate):
		t.metrics.Duplicate(in.Platform)
	case err != nil:
		if key != "" {
			_, _ = t.marks.CompareAndDelete(bg, key, token)
		}
		return fmt.Errorf("store message: %w", err)
	default:
		t.metrics.Receive(in.Platform)
		t.inbox.Submit(m)
	}
	if key != "" {
		if err := t.marks.Set(bg, key, storedMark, dedupTTL); err != nil {
			t.log.DebugContext(ctx, "dedup mark not kept", "platform", in.Platform, "error", err)
		}
	}
	return nil
}

// randomToken returns 16 random hex digits, telling one request's mark from
// another's.
func randomToken() []byte {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return []byte(hex.EncodeToString(b))
}

// Package bot is channelbot's platform-neutral brain: a message in, records and
// replies out. Platform adapters (bot/wecom, bot/feishu) and the console turn their
// messages into an Inbound and deliver what Handle returns.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"channelbot/bot/parser"
	"channelbot/models"
)

// StateStore keeps short-lived conversation state, shared by replicas.
type StateStore interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	CompareAndDelete(ctx context.Context, key string, val []byte) (bool, error)
}

// Inbound is one message a user sent.
type Inbound struct {
	Platform string    // models.PlatformConsole, PlatformWeCom, PlatformFeishu
	MsgID    string    // the platform's message ID; empty when it has none
	From     string    // the sender's platform identity
	Text     string    //
	At       time.Time // when it was sent
}

// Outcome is what handling a message produced: replies to the sender, and notices to
// other users (a price violation goes to the sender's manager).
type Outcome struct {
	Replies []string
	Notices []models.Notice
}

// Bot answers messages. It is safe for concurrent use; messages of one sender
// must be handled in order.
type Bot struct {
	store *models.Store
	state StateStore
	log   *slog.Logger
	loc   *time.Location

	checkEvery time.Duration
	catalog    atomic.Pointer[parser.Catalog]
	checkedAt  atomic.Int64 // unix nanos of the last catalog version check
	reload     sync.Mutex
}

// catalogCheckEvery bounds how stale the in-memory catalog may be on a replica that
// did not run the import itself.
const catalogCheckEvery = 5 * time.Second

// Option changes a Bot's defaults.
type Option func(*Bot)

// WithCatalogCheck sets how often the bot asks the database whether master data
// changed (default 5 s).
func WithCatalogCheck(d time.Duration) Option { return func(b *Bot) { b.checkEvery = d } }

// New returns a Bot over store, keeping conversations in state, reading dates in loc.
// It loads the catalog and returns an error if it cannot.
func New(ctx context.Context, store *models.Store, state StateStore, log *slog.Logger, loc *time.Location, opts ...Option) (*Bot, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bot{store: store, state: state, log: log, loc: loc, checkEvery: catalogCheckEvery}
	for _, o := range opts {
		o(b)
	}
	if err := b.Reload(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// Reload rebuilds the in-memory catalog from the database.
func (b *Bot) Reload(ctx context.Context) error {
	b.reload.Lock()
	defer b.reload.Unlock()
	c, err := b.store.LoadCatalog(ctx)
	if err != nil {
		return fmt.Errorf("bot: load catalog: %w", err)
	}
	b.catalog.Store(parser.NewCatalog(c))
	b.checkedAt.Store(time.Now().UnixNano())
	return nil
}

// Catalog returns the current catalog, reloading it first when an import elsewhere
// changed the master data.
func (b *Bot) Catalog(ctx context.Context) *parser.Catalog {
	cat := b.catalog.Load()
	last := b.checkedAt.Load()
	if time.Since(time.Unix(0, last)) < b.checkEvery || !b.checkedAt.CompareAndSwap(last, time.Now().UnixNano()) {
		return cat
	}
	v, err := b.store.CatalogVersion(ctx)
	if err != nil {
		b.log.WarnContext(ctx, "catalog version check failed", "error", err)
		return cat
	}
	if v != cat.Version {
		if err := b.Reload(ctx); err != nil {
			b.log.ErrorContext(ctx, "catalog reload failed", "error", err)
		}
	}
	return b.catalog.Load()
}

// Handle answers one message: it understands it, stores what it reports together
// with the audit entries, and returns the replies to send back to the sender.
// A message the platform delivered before (same MsgID) gets no replies and changes
// nothing. Errors are internal; the user has been given no details of them.
func (b *Bot) Handle(ctx context.Context, in Inbound) (*Outcome, error) {
	if in.At.IsZero() {
		in.At = b.store.Now()
	}
	in.At = in.At.In(b.loc)
	log := b.log.With("platform", in.Platform, "msg_id", in.MsgID)
	msg := &models.Message{Platform: in.Platform, Peer: in.From, Text: in.Text, CreatedAt: in.At}
	if in.MsgID != "" {
		msg.PlatformMsgID = &in.MsgID
	}
	ex := &models.Exchange{In: msg}
	if in.MsgID != "" {
		seen, err := b.store.MessageSeen(ctx, in.Platform, in.MsgID)
		if err != nil {
			return b.fail(ctx, log, ex, err)
		}
		if seen {
			log.InfoContext(ctx, "duplicate message ignored")
			return &Outcome{}, nil
		}
	}
	var t *turn
	user, err := b.store.UserByPlatformID(ctx, in.Platform, in.From)
	switch {
	case errors.Is(err, models.ErrNotFound):
		ex.Replies = fixed(msgUnregistered)
	case err != nil:
		return b.fail(ctx, log, ex, err)
	default:
		msg.UserID = user.ID
		t = &turn{bot: b, ctx: ctx, user: user, in: in, ex: ex, log: log.With("user_id", user.ID)}
		if err := t.run(); err != nil {
			return b.fail(ctx, log, ex, err)
		}
	}
	if err := b.store.SaveExchange(ctx, ex); err != nil {
		if errors.Is(err, models.ErrDuplicate) {
			log.InfoContext(ctx, "duplicate message ignored")
			return &Outcome{}, nil
		}
		return b.fail(ctx, log, ex, err)
	}
	if t != nil {
		if err := t.remember(); err != nil {
			// The records are saved; only the open question is lost.
			log.ErrorContext(ctx, "conversation not saved", "error", err)
		}
	}
	out := &Outcome{}
	for _, m := range ex.Out {
		out.Replies = append(out.Replies, m.Text)
	}
	for _, m := range ex.NoticesOut {
		out.Notices = append(out.Notices, models.Notice{UserID: m.UserID, Text: m.Text})
	}
	return out, nil
}

// fail logs err and returns the apology the user sees instead.
func (b *Bot) fail(ctx context.Context, log *slog.Logger, ex *models.Exchange, err error) (*Outcome, error) {
	log.ErrorContext(ctx, "message failed", "error", err)
	return &Outcome{Replies: []string{msgInternal}}, fmt.Errorf("bot: handle message: %w", err)
}

func fixed(texts ...string) func(int64) []string {
	return func(int64) []string { return texts }
}

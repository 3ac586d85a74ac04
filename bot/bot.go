// Package bot is channelbot's platform-neutral brain: a message in, records and
// replies out. Platform adapters (bot/wecom, bot/feishu) and the console turn their
// messages into an Inbound; the delivery runtime feeds Handle the stored messages
// (bot/inbox) and delivers the replies it stores (bot/outbox). Neither is imported
// here, and no platform's numbers are written here: main passes the message sizes
// in (WithTextLimits).
package bot

import (
	"context"
	"encoding/json"
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
	Text     string    // the text, or what a card button click answers
	At       time.Time // when it was sent
	// InboxID is the inbox row of a message queued before processing; 0 for
	// messages handled at once (the console).
	InboxID int64
	Payload
}

// Kinds of inbound messages besides text.
const (
	KindText        = ""
	KindLocation    = "location"    // a shared location: checks the rep in
	KindImage       = "image"       // a photo: evidence for the last report
	KindEnter       = "enter"       // the user opened the app
	KindUnsupported = "unsupported" // voice, video, files, …
)

// Payload is what a message other than text carries. It is stored with the inbox row.
type Payload struct {
	Kind     string  `json:"kind,omitempty"`
	Lat      float64 `json:"lat,omitempty"`
	Lng      float64 `json:"lng,omitempty"`
	Label    string  `json:"label,omitempty"`
	MediaID  string  `json:"media_id,omitempty"`
	MediaURL string  `json:"media_url,omitempty"`
}

// InboxMessage is the inbox row for in, to be stored before the platform is answered.
func InboxMessage(in Inbound) *models.Message {
	m := &models.Message{Platform: in.Platform, Peer: in.From, Text: in.Text, CreatedAt: in.At}
	if in.MsgID != "" {
		m.PlatformMsgID = &in.MsgID
	}
	if in.Kind != KindText {
		b, _ := json.Marshal(in.Payload)
		m.Payload = string(b)
	}
	return m
}

// FromInbox rebuilds the Inbound an inbox row was made from.
func FromInbox(m *models.Message) Inbound {
	in := Inbound{Platform: m.Platform, From: m.Peer, Text: m.Text, At: m.CreatedAt, InboxID: m.ID}
	if m.PlatformMsgID != nil {
		in.MsgID = *m.PlatformMsgID
	}
	if m.Payload != "" {
		_ = json.Unmarshal([]byte(m.Payload), &in.Payload)
	}
	return in
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

	checkEvery  time.Duration
	visitDayEnd time.Duration // when the working day ends, after midnight
	textLimits  TextLimits
	stock       StockSettings
	// correction is how soon a second count of a product at a customer replaces
	// the first instead of starting a sales period; 0 for never.
	correction time.Duration
	// OnCount, when set, runs after a stock count is saved (the jobs tell managers
	// about stock-outs at once).
	OnCount   func(ctx context.Context, customerID int64, productIDs []int64)
	catalog   atomic.Pointer[parser.Catalog]
	checkedAt atomic.Int64 // unix nanos of the last catalog version check
	reload    sync.Mutex
}

// catalogCheckEvery bounds how stale the in-memory catalog may be on a replica that
// did not run the import itself.
const catalogCheckEvery = 5 * time.Second

// Option changes a Bot's defaults.
type Option func(*Bot)

// WithCatalogCheck sets how often the bot asks the database whether master data
// changed (default 5 s).
func WithCatalogCheck(d time.Duration) Option { return func(b *Bot) { b.checkEvery = d } }

// DefaultCorrectionWindow is the correction window of a Bot made without
// WithCorrectionWindow.
const DefaultCorrectionWindow = 30 * time.Minute

// WithCorrectionWindow sets how soon a second count of the same product at the
// same customer corrects the first (已更正 #N) instead of starting a sales
// period; 0 turns corrections off.
func WithCorrectionWindow(d time.Duration) Option { return func(b *Bot) { b.correction = d } }

// New returns a Bot over store, keeping conversations in state, reading dates in loc.
// It loads the catalog and returns an error if it cannot.
func New(ctx context.Context, store *models.Store, state StateStore, log *slog.Logger, loc *time.Location, opts ...Option) (*Bot, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bot{store: store, state: state, log: log, loc: loc, checkEvery: catalogCheckEvery, stock: defaultStock,
		correction: DefaultCorrectionWindow, visitDayEnd: DefaultVisitDayEnd}
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
	msg := InboxMessage(in)
	msg.ID = in.InboxID
	ex := &models.Exchange{In: msg}
	if in.MsgID != "" && in.InboxID == 0 {
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
	// One catalog for the whole message; users are part of it: no query per message.
	cat := b.Catalog(ctx)
	user := cat.UserByPlatform(in.Platform, in.From)
	switch {
	case user == nil:
		ex.Replies = fixed(msgUnregistered)
	default:
		msg.UserID = user.ID
		t = &turn{bot: b, ctx: ctx, user: user, in: in, ex: ex, cat: cat, log: log.With("user_id", user.ID)}
		run := t.run
		if in.Kind != KindText {
			run = t.runPayload
		}
		if err := run(); err != nil {
			return b.fail(ctx, log, ex, err)
		}
		b.routeNotices(ex, in.Platform, t.cat)
		if t.ask != nil {
			ex.ReplyButtons = buttonsFor(t.ask, t.cat)
		}
	}
	splitReplies(ex, in.Platform, b.textLimits)
	if err := b.store.SaveExchange(ctx, ex); err != nil {
		if errors.Is(err, models.ErrDuplicate) {
			log.InfoContext(ctx, "duplicate message ignored")
			return &Outcome{}, nil
		}
		return b.fail(ctx, log, ex, err)
	}
	if r := ex.Report; r != nil && r.Kind == models.KindStockCount && r.CustomerID != nil && b.OnCount != nil {
		ids := make([]int64, len(ex.Counts))
		for i, c := range ex.Counts {
			ids[i] = c.ProductID
		}
		b.OnCount(ctx, *r.CustomerID, ids)
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

// routeNotices sends each notice on the platform its recipient uses: the sender's
// platform when the recipient is on it, else wherever they are.
func (b *Bot) routeNotices(ex *models.Exchange, platform string, cat *parser.Catalog) {
	if ex.Notices == nil {
		return
	}
	inner := ex.Notices
	ex.Notices = func(id int64) []models.Notice {
		ns := inner(id)
		for i := range ns {
			n := &ns[i]
			n.Platform, n.Peer = Route(cat.User(n.UserID), platform)
			if n.Peer == "" {
				b.log.Warn("notice has no platform to go to", "user_id", n.UserID)
			}
		}
		return ns
	}
}

// Route returns where to reach u: on prefer when u is on it, else on WeCom or
// Feishu, whichever u has. peer is empty when u cannot be reached.
func Route(u *models.User, prefer string) (platform, peer string) {
	if u == nil {
		return "", ""
	}
	return u.Reach(prefer)
}

// Apology is the reply to a message that could not be handled: the one Handle gives
// on an error, and the one the inbox sends for a message it gives up on.
const Apology = msgInternal

// fail logs err and returns the apology the user sees instead.
func (b *Bot) fail(ctx context.Context, log *slog.Logger, ex *models.Exchange, err error) (*Outcome, error) {
	log.ErrorContext(ctx, "message failed", "error", err)
	return &Outcome{Replies: []string{msgInternal}}, fmt.Errorf("bot: handle message: %w", err)
}

func fixed(texts ...string) func(int64) []string {
	return func(int64) []string { return texts }
}

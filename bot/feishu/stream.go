package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
	"github.com/larksuite/oapi-sdk-go/v3/ws"

	"channelbot/config"
)

// Handler takes what Feishu delivers, over the request URL or the long
// connection. handlers.Feishu implements it. Both methods run before Feishu
// is answered: they must return within Feishu's 3 s, and an error makes
// Feishu deliver the event again later.
type Handler interface {
	HandleMessage(ctx context.Context, m *Message) error
	HandleCardAction(ctx context.Context, a *CardAction) (*CardAnswer, error)
}

// CardAnswer is the answer to a card click: a toast for whoever clicked,
// and the card's new content (卡片回传交互, platforms.md §3.8).
type CardAnswer struct {
	Toast     string          // shown briefly; empty: none
	ToastType string          // info, success, warning or error
	Card      json.RawMessage // the updated card (see AnsweredCard); nil: unchanged
}

// response is the SDK's form of the answer, for the long connection.
func (a *CardAnswer) response() *callback.CardActionTriggerResponse {
	r := &callback.CardActionTriggerResponse{}
	if a == nil {
		return r
	}
	if a.Toast != "" {
		r.Toast = &callback.Toast{Type: a.ToastType, Content: a.Toast}
	}
	if a.Card != nil {
		r.Card = &callback.Card{Type: "raw", Data: a.Card}
	}
	return r
}

// MarshalJSON is the body of the HTTP answer to a card callback:
// {"toast":{…},"card":{"type":"raw","data":{…}}}, or {} for nothing.
func (a *CardAnswer) MarshalJSON() ([]byte, error) { return json.Marshal(a.response()) }

// handlerTimeout bounds a handler on the long connection: Feishu wants its
// answer within 3 s.
const handlerTimeout = 2500 * time.Millisecond

// Connection states of a Stream.
const (
	streamConnecting int32 = iota
	streamUp
	streamDown
	streamStopped
)

// Stream is websocket mode (使用长连接接收事件): the SDK's long connection
// (ws.Client) to Feishu, which delivers events and card clicks to a
// Handler with no public URL. Feishu authenticates the connection, so
// events come in plaintext, unsigned; each goes to one of the app's
// connections (at most 50), not to all.
//
// The SDK's client cannot be stopped and tells its state only in its log
// (platforms.md pitfall 12), so a Stream reads its log lines to know whether
// it is connected (Ping), starts it on a goroutine that Run does not wait
// for, and, once Run has returned, refuses events (the SDK answers 500 and
// Feishu delivers them again, to another replica or later) and drops the
// SDK's log.
//
// Reconnecting: after a drop the SDK reconnects by itself, at the interval
// and jitter Feishu's endpoint prescribes (by default a random 0–30 s, then
// every 2 minutes). When the SDK gives up (Feishu refused the credentials
// or the number of connections, or its retries ran out) Start returns, and
// the Stream starts it again with exponential backoff from MinBackoff to
// MaxBackoff.
type Stream struct {
	cli     *ws.Client
	appID   string
	handler Handler
	log     *slog.Logger

	// MinBackoff and MaxBackoff bound the wait before starting the SDK's
	// client again after it gave up.
	MinBackoff, MaxBackoff time.Duration
	// StaleAfter is how long a connection may go without a sign of life
	// (a pong, an event) before Ping reports it: a half-open connection
	// goes silent. Feishu pings every 2 minutes by default.
	StaleAfter time.Duration

	state    atomic.Int32
	lastSeen atomic.Int64 // Unix nanos of the last sign of life
	mu       sync.Mutex
	reason   string // why the stream is not up, for Ping
}

// NewStream returns a Stream for the app in cfg (AppID, AppSecret; APIBase
// is the domain the SDK asks for the connection's address, as
// <APIBase>/callback/ws/endpoint), delivering to h. log may be nil.
func NewStream(cfg config.Feishu, h Handler, log *slog.Logger) (*Stream, error) {
	if cfg.AppID == "" || cfg.AppSecret == "" {
		return nil, errors.New("feishu: new stream: app ID and app secret are required")
	}
	if h == nil {
		return nil, errors.New("feishu: new stream: nil handler")
	}
	base, err := apiBase(cfg.APIBase)
	if err != nil {
		return nil, fmt.Errorf("feishu: new stream: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Stream{appID: cfg.AppID, handler: h, log: log.With("platform", "feishu", "component", "stream"),
		MinBackoff: time.Second, MaxBackoff: 2 * time.Minute, StaleAfter: 5 * time.Minute, reason: "not started"}
	lg := sdkLogger{log: s.log, secrets: []string{cfg.AppSecret.Reveal()}, watch: s.watch}
	d := dispatcher.NewEventDispatcher("", "")
	d.InitConfig(larkevent.WithLogger(lg), larkevent.WithLogLevel(larkcore.LogLevelInfo))
	d.OnP2MessageReceiveV1(s.onMessage)
	d.OnP2CardActionTrigger(s.onCardAction)
	s.cli = ws.NewClient(cfg.AppID, cfg.AppSecret.Reveal(),
		ws.WithEventHandler(d),
		ws.WithDomain(base),
		ws.WithLogger(lg),
		ws.WithAutoReconnect(true),
	)
	return s, nil
}

// Run connects and keeps the connection until ctx ends, then returns at
// once: the SDK's goroutines cannot be stopped and are left behind (they
// cost nothing until the process exits; events reaching them are refused).
func (s *Stream) Run(ctx context.Context) error {
	go s.connect(ctx)
	<-ctx.Done()
	s.set(streamStopped, "stopped")
	return nil
}

// connect runs the SDK's client, starting it again with backoff whenever it
// gives up.
func (s *Stream) connect(ctx context.Context) {
	wait := s.MinBackoff
	for {
		s.set(streamConnecting, "connecting")
		err := s.cli.Start(ctx) // returns (an error) only when the SDK gives up
		if ctx.Err() != nil {
			return
		}
		reason := scrubText(err.Error())
		s.set(streamDown, reason)
		d := wait/2 + rand.N(wait/2+1)
		s.log.WarnContext(ctx, "long connection refused, will retry", "error", reason, "retry_in", d.Round(time.Millisecond))
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, s.MaxBackoff)
	}
}

func (s *Stream) set(state int32, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state.Load() == streamStopped {
		return
	}
	s.state.Store(state)
	s.reason = reason
	if state == streamUp {
		s.lastSeen.Store(time.Now().UnixNano())
	}
}

// watch follows the SDK's log lines (ws/client.go as of v3.5.4) for the
// connection's state, and says whether to log them: not once stopped.
func (s *Stream) watch(_ slog.Level, line string) bool {
	switch {
	case s.state.Load() == streamStopped:
		return false
	case strings.HasPrefix(line, "connected to "):
		s.set(streamUp, "")
	case strings.HasPrefix(line, "disconnected to "):
		s.set(streamDown, "disconnected")
	case strings.HasPrefix(line, "connect failed"), strings.HasPrefix(line, "receive message failed"):
		s.set(streamDown, scrubText(line))
	case strings.HasPrefix(line, "receive pong"), strings.HasPrefix(line, "receive message,"):
		s.lastSeen.Store(time.Now().UnixNano())
	}
	return true
}

// Ping reports an error while the long connection is not up, or when it has
// been silent for longer than StaleAfter: /readyz fails then.
func (s *Stream) Ping(context.Context) error {
	s.mu.Lock()
	state, reason := s.state.Load(), s.reason
	s.mu.Unlock()
	if state != streamUp {
		return fmt.Errorf("feishu: long connection down: %s", reason)
	}
	if silent := time.Since(time.Unix(0, s.lastSeen.Load())); s.StaleAfter > 0 && silent > s.StaleAfter {
		return fmt.Errorf("feishu: long connection silent for %v", silent.Round(time.Second))
	}
	return nil
}

var errStopped = errors.New("feishu: stream stopped")

func (s *Stream) onMessage(ctx context.Context, ev *larkim.P2MessageReceiveV1) error {
	if s.state.Load() == streamStopped {
		return errStopped
	}
	m, err := messageFrom(ev)
	if err != nil {
		s.log.WarnContext(ctx, "event ignored", "error", err)
		return nil // it would not parse next time either
	}
	if m.AppID != "" && m.AppID != s.appID {
		s.log.WarnContext(ctx, "event for another app ignored", "app_id", m.AppID)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, handlerTimeout)
	defer cancel()
	return s.handler.HandleMessage(ctx, m)
}

func (s *Stream) onCardAction(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
	if s.state.Load() == streamStopped {
		return nil, errStopped
	}
	a, err := cardActionFrom(ev)
	if err != nil {
		s.log.WarnContext(ctx, "card action ignored", "error", err)
		return (*CardAnswer)(nil).response(), nil
	}
	if a.AppID != "" && a.AppID != s.appID {
		s.log.WarnContext(ctx, "card action for another app ignored", "app_id", a.AppID)
		return (*CardAnswer)(nil).response(), nil
	}
	ctx, cancel := context.WithTimeout(ctx, handlerTimeout)
	defer cancel()
	ans, err := s.handler.HandleCardAction(ctx, a)
	if err != nil {
		return nil, err
	}
	return ans.response(), nil
}

package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"channelbot/bot"
	"channelbot/bot/feishu"
	"channelbot/models"
)

// maxEventBody bounds a Feishu request: a text message may hold 150 KB, and
// encryption adds a third.
const maxEventBody = 1 << 20

// Feishu is what the Feishu request URL (webhook mode) and the long
// connection (websocket mode, through feishu.Stream) need. Both end in
// HandleMessage and HandleCardAction: deduplicate, store in the inbox, hand
// over, answer; the inbox processes the message afterwards.
type Feishu struct {
	// Verifier checks requests to the request URL; unused in websocket mode.
	Verifier feishu.Verifier
	Dedup    Marker
	Store    FeishuStore
	Inbox    Inbox
	Metrics  *Metrics
	Log      *slog.Logger
	// DedupWait bounds how long a message waits for a copy of itself that
	// another request is storing; 0 means DefaultDedupWait.
	DedupWait time.Duration
}

// FeishuStore is what the Feishu handler reads and writes. *models.Store is one.
type FeishuStore interface {
	InboxStore
	// MessageByID returns a stored message, or models.ErrNotFound.
	MessageByID(ctx context.Context, id int64) (*models.Message, error)
	// Now is the store's clock.
	Now() time.Time
}

var _ feishu.Handler = (*Feishu)(nil)

// register adds the request URL. Events and card callbacks share one
// format, so /feishu/cards is the same handler, for apps whose card
// callbacks are configured on a URL of their own.
func (h *Feishu) register(mux *http.ServeMux) {
	mux.HandleFunc("POST /feishu/events", h.events)
	mux.HandleFunc("POST /feishu/cards", h.events)
}

// events checks and decrypts one request, answers url_verification at once,
// and hands messages and card clicks on. Anything that fails its checks gets
// a 4xx and changes nothing.
func (h *Feishu) events(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEventBody))
	if err != nil {
		h.Metrics.Reject(models.PlatformFeishu, "body")
		http.Error(w, "bad request", http.StatusRequestEntityTooLarge)
		return
	}
	ev, err := h.Verifier.Open(r.Header, body)
	if err != nil {
		h.reject(w, r, err)
		return
	}
	ctx := r.Context()
	switch ev.Type {
	case feishu.TypeURLVerification:
		h.Log.InfoContext(ctx, "feishu request URL verified", "platform", models.PlatformFeishu)
		writeJSON(w, map[string]string{"challenge": ev.Challenge})
	case feishu.EventMessageReceive:
		m, err := feishu.ParseMessage(ev.Body)
		if err != nil {
			h.reject(w, r, err)
			return
		}
		if err := h.HandleMessage(ctx, m); err != nil {
			h.unavailable(w, r, ev, err)
			return
		}
		writeJSON(w, map[string]string{"msg": "success"})
	case feishu.EventCardAction:
		a, err := feishu.ParseCardAction(ev.Body)
		if err != nil {
			h.reject(w, r, err)
			return
		}
		ans, err := h.HandleCardAction(ctx, a)
		if err != nil {
			h.unavailable(w, r, ev, err)
			return
		}
		writeJSON(w, ans)
	default:
		// Subscribed by mistake, or new: acknowledged so that it is not re-pushed.
		h.Log.DebugContext(ctx, "feishu event ignored", "event_type", ev.Type, "event_id", ev.EventID)
		writeJSON(w, map[string]string{"msg": "ignored"})
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}

// unavailable answers 503, so that Feishu delivers the event again.
func (h *Feishu) unavailable(w http.ResponseWriter, r *http.Request, ev *feishu.Event, err error) {
	h.Log.ErrorContext(r.Context(), "feishu event not taken", "platform", models.PlatformFeishu, "event_id", ev.EventID, "error", err)
	http.Error(w, "unavailable", http.StatusServiceUnavailable)
}

// reject answers a request that failed its checks with a 4xx, logging why
// but nothing of its content.
func (h *Feishu) reject(w http.ResponseWriter, r *http.Request, err error) {
	reason, status := "invalid", http.StatusBadRequest
	switch {
	case errors.Is(err, feishu.ErrSignature):
		reason, status = "signature", http.StatusUnauthorized
	case errors.Is(err, feishu.ErrToken):
		reason, status = "token", http.StatusUnauthorized
	case errors.Is(err, feishu.ErrStale):
		reason, status = "stale", http.StatusUnauthorized
	case errors.Is(err, feishu.ErrApp):
		reason, status = "receiver", http.StatusForbidden
	case errors.Is(err, feishu.ErrDecrypt):
		reason = "ciphertext"
	case errors.Is(err, feishu.ErrJSON):
		reason = "json"
	}
	refuse(w, r, h.Metrics, h.Log, models.PlatformFeishu, reason, status)
}

// HandleMessage takes one received message: private messages, and group
// messages that @-mention someone (Feishu delivers only those that mention
// the bot unless the app may read all group messages). It stores the
// message in the inbox and hands it over, once per message_id (Feishu may
// push a message again under a new event_id). An error means "not taken,
// deliver again".
func (h *Feishu) HandleMessage(ctx context.Context, m *feishu.Message) error {
	if m.SenderType != "" && m.SenderType != "user" {
		return nil // an app or a bot, maybe this one
	}
	if m.Group() && len(m.Mentions) == 0 {
		h.Log.DebugContext(ctx, "group message without @ ignored", "platform", models.PlatformFeishu, "chat_id", m.ChatID)
		return nil
	}
	return h.enqueue(ctx, "dedup:"+models.PlatformFeishu+":"+m.MessageID, inboundFromFeishu(m))
}

// HandleCardAction takes a click on a card button as the operator's typed
// answer (Text = the button's key, one inbox message per click) and answers
// with the card updated to show the choice. A click on a question meant for
// someone else (in a group) only gets a toast.
func (h *Feishu) HandleCardAction(ctx context.Context, a *feishu.CardAction) (*feishu.CardAnswer, error) {
	clickID := a.EventID
	if clickID == "" {
		clickID = a.Token
	}
	if a.Key == "" || clickID == "" {
		return &feishu.CardAnswer{Toast: bot.ToastButtonExpired, ToastType: "warning"}, nil
	}
	var card *models.Message
	if a.Outbox > 0 {
		m, err := h.Store.MessageByID(ctx, a.Outbox)
		switch {
		case errors.Is(err, models.ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("feishu card action: %w", err)
		case m.Direction == models.Outbound && m.Platform == models.PlatformFeishu:
			card = m
		}
	}
	if card != nil && card.Peer != a.OperatorOpenID {
		return &feishu.CardAnswer{Toast: bot.ToastNotYours, ToastType: "warning"}, nil
	}
	group := card != nil && feishu.IsGroupRef(card.Quote)
	in := bot.Inbound{Platform: models.PlatformFeishu, MsgID: feishu.ClickID(clickID, a.OpenMessageID, group),
		From: a.OperatorOpenID, Text: a.Key, At: h.Store.Now()}
	if err := h.enqueue(ctx, "dedup:"+models.PlatformFeishu+":card:"+clickID, in); err != nil {
		return nil, err
	}
	choice := a.Key
	if card != nil {
		for _, b := range card.Buttons {
			if b.Key == a.Key && b.Text != "" {
				choice = b.Text
			}
		}
	}
	ans := &feishu.CardAnswer{Toast: bot.ToastChosen(choice), ToastType: "success"}
	if card != nil {
		ans.Card = feishu.AnsweredCard(card.Text, card.Markdown, choice)
	}
	return ans, nil
}

// enqueue stores in once per dedup key and hands it to the inbox.
func (h *Feishu) enqueue(ctx context.Context, key string, in bot.Inbound) error {
	t := intake{marks: h.Dedup, store: h.Store, inbox: h.Inbox, metrics: h.Metrics, log: h.Log, wait: h.DedupWait}
	return t.enqueueOnce(ctx, key, in)
}

// inboundFromFeishu turns a Feishu message into what the bot reads: the
// sender's open_id is who it is from, the ID says where the reply goes (see
// feishu.InboundID).
func inboundFromFeishu(m *feishu.Message) bot.Inbound {
	in := bot.Inbound{Platform: models.PlatformFeishu, MsgID: feishu.InboundID(m), From: m.SenderOpenID, At: m.CreateTime}
	if in.At.IsZero() {
		in.At = time.Now()
	}
	switch m.MsgType {
	case feishu.MsgTypeText, feishu.MsgTypePost:
		in.Text = m.Text
	case feishu.MsgTypeImage:
		// The image is fetched with the message: resources need both IDs.
		in.Kind, in.MediaID, in.Text = bot.KindImage, m.ImageKey, bot.TextImage
		in.MediaURL = "/open-apis/im/v1/messages/" + m.MessageID + "/resources/" + m.ImageKey + "?type=image"
	default:
		in.Kind, in.Text = bot.KindUnsupported, "["+m.MsgType+"]"
	}
	return in
}

package handlers

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"channelbot/bot"
	"channelbot/bot/wecom"
	"channelbot/models"
)

// maxCallbackBody bounds a callback body; real ones are a few kilobytes.
const maxCallbackBody = 64 << 10

// Inbox takes stored messages for processing.
type Inbox interface {
	// LeaseFor is how long a stored message stays claimed for the inbox.
	LeaseFor() time.Duration
	// Submit hands over a message stored with EnqueueInbound.
	Submit(m *models.Message) bool
}

// WeCom is what the WeCom callback needs.
type WeCom struct {
	Crypto  wecom.Crypto
	AgentID string
	Dedup   Marker
	Store   InboxStore
	Inbox   Inbox
	Metrics *Metrics
	Log     *slog.Logger
	// DedupWait bounds how long a callback waits for a copy of its message
	// that another request is storing; 0 means DefaultDedupWait.
	DedupWait time.Duration
	// MaxSkew bounds how far a callback's signed timestamp and its message's
	// CreateTime may be from now (CALLBACK_MAX_SKEW); 0 means DefaultMaxSkew.
	// WeCom retries within seconds, so a callback outside it is a replay or
	// forged, and refused with 401 before anything is stored.
	MaxSkew time.Duration
	// Now reads the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultMaxSkew is how far a callback's timestamps may be from now when the
// setting is not given: the window the Feishu path uses (feishu.DefaultWindow).
const DefaultMaxSkew = 5 * time.Minute

// errStale is a callback dated outside the window.
var errStale = errors.New("wecom: stale or future timestamp")

// fresh reports errStale unless t is within the window of now.
func (h *WeCom) fresh(t time.Time) error {
	now, skew := time.Now(), h.MaxSkew
	if h.Now != nil {
		now = h.Now()
	}
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	if d := now.Sub(t); d > skew || d < -skew {
		return fmt.Errorf("%w: %v away", errStale, d.Round(time.Second))
	}
	return nil
}

func (h *WeCom) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /wecom/callback", h.verify)
	mux.HandleFunc("POST /wecom/callback", h.callback)
}

// verify answers WeCom's URL check with the decrypted echo string.
func (h *WeCom) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	echo, err := h.Crypto.VerifyURL(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("echostr"))
	if err != nil {
		h.reject(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, echo)
}

// callback checks, decrypts and stores one message, then answers at once with an
// empty 200; the inbox processes it. A re-delivery is answered 200 without storing
// once its first copy is stored, 503 while that is not proven (see intake).
func (h *WeCom) callback(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallbackBody))
	if err != nil {
		h.Metrics.Reject(models.PlatformWeCom, "body")
		http.Error(w, "bad request", http.StatusRequestEntityTooLarge)
		return
	}
	q := r.URL.Query()
	msg, err := h.Crypto.Open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), body)
	if err != nil {
		h.reject(w, r, err)
		return
	}
	// The timestamp is signed, so only now can a replay be told from a retry;
	// the message's own CreateTime, when it has one, must be as recent.
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil {
		err = fmt.Errorf("%w: timestamp %w", errStale, err)
	} else if err = h.fresh(time.Unix(ts, 0)); err == nil && msg.CreateTime != 0 {
		err = h.fresh(time.Unix(msg.CreateTime, 0))
	}
	if err != nil {
		h.reject(w, r, err)
		return
	}
	if h.AgentID != "" && msg.AgentID != "" && msg.AgentID != h.AgentID {
		h.reject(w, r, errWrongAgent)
		return
	}
	in, ok := inboundFromWeCom(msg)
	if !ok {
		w.WriteHeader(http.StatusOK) // an event the bot has nothing to say to
		return
	}
	ctx := r.Context()
	t := intake{marks: h.Dedup, store: h.Store, inbox: h.Inbox, metrics: h.Metrics, log: h.Log, wait: h.DedupWait}
	if err := t.enqueueOnce(ctx, "dedup:"+models.PlatformWeCom+":"+in.MsgID, in); err != nil {
		h.Log.ErrorContext(ctx, "message not taken", "platform", models.PlatformWeCom, "error", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

var errWrongAgent = errors.New("wecom: message for another agent")

// reject answers a callback that failed its checks with a 4xx, logging why but
// nothing of its content.
func (h *WeCom) reject(w http.ResponseWriter, r *http.Request, err error) {
	reason, status := "invalid", http.StatusBadRequest
	switch {
	case errors.Is(err, wecom.ErrSignature):
		reason, status = "signature", http.StatusUnauthorized
	case errors.Is(err, wecom.ErrCorpID), errors.Is(err, errWrongAgent):
		reason, status = "receiver", http.StatusForbidden
	case errors.Is(err, wecom.ErrDecrypt):
		reason = "ciphertext"
	case errors.Is(err, wecom.ErrXML):
		reason = "xml"
	case errors.Is(err, errStale):
		reason, status = "stale", http.StatusUnauthorized // as the Feishu path answers
	}
	refuse(w, r, h.Metrics, h.Log, models.PlatformWeCom, reason, status)
}

// refuse answers a callback that failed its checks with status, counting and logging
// why, but nothing of its content.
func refuse(w http.ResponseWriter, r *http.Request, metrics *Metrics, log *slog.Logger, platform, reason string, status int) {
	metrics.Reject(platform, reason)
	log.WarnContext(r.Context(), "callback rejected", "platform", platform, "reason", reason, "remote", r.RemoteAddr)
	http.Error(w, http.StatusText(status), status)
}

// inboundFromWeCom turns a WeCom message into what the bot reads. ok is false for
// events that need no answer.
func inboundFromWeCom(m *wecom.Message) (bot.Inbound, bool) {
	in := bot.Inbound{Platform: models.PlatformWeCom, MsgID: m.DedupKey(), From: m.FromUserName, At: time.Unix(m.CreateTime, 0)}
	switch m.MsgType {
	case "text":
		in.Text = m.Content
	case "location":
		in.Kind, in.Lat, in.Lng, in.Label = bot.KindLocation, m.LocationX, m.LocationY, m.Label
		in.Text = bot.LocationText(m.Label)
	case "image":
		in.Kind, in.MediaID, in.MediaURL = bot.KindImage, m.MediaID, m.PicURL
		in.Text = bot.TextImage
	case "event":
		switch m.Event {
		case "enter_agent":
			in.Kind, in.Text = bot.KindEnter, bot.TextEnter
		case "template_card_event":
			in.Text = m.EventKey // a button answers as if its key were typed
		default:
			return in, false
		}
	default:
		in.Kind, in.Text = bot.KindUnsupported, "["+m.MsgType+"]"
	}
	return in, true
}

package feishutest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"channelbot/bot/feishu"
)

// Mention is an @ in a message: Key is its placeholder in the text.
type Mention struct {
	Key, OpenID, Name string
}

// Msg is an im.message.receive_v1 event, schema 2.0, as Feishu sends it.
// Zero fields get defaults: a new event_id and message_id, chat_type p2p,
// msg_type text, create_time now.
type Msg struct {
	EventID   string
	AppID     string
	Token     string // the Verification Token in the header
	MessageID string
	ChatID    string
	ChatType  string // p2p, group
	MsgType   string // text, post, image, …
	Content   string // a JSON string, e.g. Text("hi")
	From      string // the sender's open_id
	Mentions  []Mention
	At        time.Time
}

// Text is the content of a text message.
func Text(text string) string {
	b, _ := json.Marshal(map[string]string{"text": text})
	return string(b)
}

// NewID returns a fresh ID with prefix, like om_… or an event_id.
func NewID(prefix string) string { return newID(prefix) }

// JSON is the event's plaintext body. It fills m's defaults in place.
func (m *Msg) JSON() []byte {
	if m.EventID == "" {
		m.EventID = strings.ToLower(rand.Text())
	}
	if m.MessageID == "" {
		m.MessageID = newID("om_")
	}
	if m.ChatID == "" {
		m.ChatID = "oc_" + strings.ToLower(rand.Text()[:16])
	}
	if m.ChatType == "" {
		m.ChatType = "p2p"
	}
	if m.MsgType == "" {
		m.MsgType = "text"
	}
	if m.At.IsZero() {
		m.At = time.Now()
	}
	mentions := []map[string]any{}
	for _, mn := range m.Mentions {
		mentions = append(mentions, map[string]any{"key": mn.Key, "name": mn.Name, "tenant_key": "tk",
			"id": map[string]any{"open_id": mn.OpenID, "union_id": "on_x", "user_id": ""}})
	}
	ms := strconv.FormatInt(m.At.UnixMilli(), 10)
	ev := map[string]any{
		"schema": "2.0",
		"header": map[string]any{"event_id": m.EventID, "event_type": feishu.EventMessageReceive, "create_time": ms,
			"token": m.Token, "app_id": m.AppID, "tenant_key": "tk"},
		"event": map[string]any{
			"sender": map[string]any{"sender_id": map[string]any{"open_id": m.From, "union_id": "on_" + m.From, "user_id": ""},
				"sender_type": "user", "tenant_key": "tk"},
			"message": map[string]any{"message_id": m.MessageID, "create_time": ms, "update_time": ms, "chat_id": m.ChatID,
				"chat_type": m.ChatType, "message_type": m.MsgType, "content": m.Content, "mentions": mentions},
		},
	}
	b, _ := json.Marshal(ev)
	return b
}

// Click is a card.action.trigger callback, schema 2.0: Operator clicked a
// button with Value on card MessageID.
type Click struct {
	EventID   string
	AppID     string
	Token     string
	Operator  string // open_id
	MessageID string // the card's open_message_id
	ChatID    string
	Value     map[string]string
	At        time.Time
}

// JSON is the callback's plaintext body. It fills c's defaults in place.
func (c *Click) JSON() []byte {
	if c.EventID == "" {
		c.EventID = strings.ToLower(rand.Text())
	}
	if c.At.IsZero() {
		c.At = time.Now()
	}
	value := map[string]any{}
	for k, v := range c.Value {
		value[k] = v
	}
	ev := map[string]any{
		"schema": "2.0",
		"header": map[string]any{"event_id": c.EventID, "event_type": feishu.EventCardAction,
			"create_time": strconv.FormatInt(c.At.UnixMicro(), 10), "token": c.Token, "app_id": c.AppID, "tenant_key": "tk"},
		"event": map[string]any{
			"operator": map[string]any{"tenant_key": "tk", "open_id": c.Operator, "union_id": "on_" + c.Operator},
			"token":    "c-" + strings.ToLower(rand.Text()),
			"action":   map[string]any{"value": value, "tag": "button"},
			"host":     "im_message",
			"context":  map[string]any{"open_message_id": c.MessageID, "open_chat_id": c.ChatID},
		},
	}
	b, _ := json.Marshal(ev)
	return b
}

// Challenge is the url_verification Feishu posts when the request URL is
// saved.
func Challenge(token, challenge string) []byte {
	b, _ := json.Marshal(map[string]string{"challenge": challenge, "token": token, "type": feishu.TypeURLVerification})
	return b
}

// Body returns what Feishu posts for the plaintext event plain: plain
// itself without an Encrypt Key, else {"encrypt": …}.
func Body(t testing.TB, plain []byte, encryptKey string) []byte {
	t.Helper()
	if encryptKey == "" {
		return plain
	}
	enc, err := feishu.Encrypt(plain, encryptKey)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{"encrypt": enc})
	return b
}

// Sign sets the X-Lark-Request-Timestamp (at), -Nonce and -Signature
// headers Feishu sends with body when an Encrypt Key is set.
func Sign(h http.Header, body []byte, encryptKey string, at time.Time) {
	ts := strconv.FormatInt(at.Unix(), 10)
	nonce := strings.ToLower(rand.Text()[:12])
	h.Set(feishu.HeaderTimestamp, ts)
	h.Set(feishu.HeaderNonce, nonce)
	h.Set(feishu.HeaderSignature, feishu.Signature(ts, nonce, encryptKey, body))
}

// Request returns the POST Feishu would make to target (the bot's request
// URL, as for httptest.NewRequest) for the plaintext event plain: encrypted
// and signed now when encryptKey is set, plain JSON otherwise.
func Request(t testing.TB, target string, plain []byte, encryptKey string) *http.Request {
	t.Helper()
	body := Body(t, plain, encryptKey)
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	if encryptKey != "" {
		Sign(r.Header, body, encryptKey, time.Now())
	}
	return r
}

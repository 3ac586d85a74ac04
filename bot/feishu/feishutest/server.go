// Package feishutest is a fake Feishu open platform for tests: an
// httptest.Server that issues tenant access tokens, accepts the im/v1 send
// and reply calls, checking what the real API checks and recording what it
// would deliver, fails on demand, and hands out a long connection (the
// SDK's websocket protocol) over which a test pushes events. It also builds
// the events and signed requests Feishu would send (events.go).
//
// Where the real API's answer is not documented the fake picks one and says
// so below.
//
// Codes it answers (HTTP 400 unless noted, as Feishu does):
//
//	token:          10003 wrong app_id, 10014 wrong app_secret (both picked
//	                from the error-code list; HTTP 400)
//	any API:        99991661 no Authorization, 99991663 unknown or expired token
//	send and reply: 99991400 with HTTP 429 and x-ogw-ratelimit-limit/-reset
//	                (RateLimitNext); any code on demand (FailNext);
//	                99992402 receive_id_type not one of open_id, union_id,
//	                user_id, email, chat_id, an empty receive_id, or a uuid
//	                over 50 characters; 230001 unknown receiver ("invalid
//	                receive_id") or reply to an unknown message ("invalid
//	                message_id", picked), content that is not a JSON string of
//	                the shape msg_type needs ("invalid message content"), an
//	                unknown msg_type; 230025 text over 150 KB or a card or post
//	                over 30 KB
//
// A uuid seen in the last hour is answered with success and the message_id
// of the first send, and not delivered again (Duplicates).
package feishutest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"channelbot/bot/feishu"
)

// Real limits the fake enforces; those the adapter states are the adapter's.
const (
	maxTextBytes  = feishu.MaxTextBytes
	maxCardBytes  = feishu.MaxCardBytes
	maxUUIDLen    = feishu.MaxUUIDLen
	tokenLifetime = 7200 // expire, seconds
	uuidWindow    = time.Hour
)

// Button is a card button the fake recorded: its label and value.
type Button struct {
	Text  string
	Value map[string]string
}

// Key is the button's value "key": what a click answers.
func (b Button) Key() string { return b.Value["key"] }

// Sent is a message the fake accepted and would have delivered.
type Sent struct {
	ReceiveIDType string // open_id, chat_id, …; "" for a reply
	To            string // receive_id; for a reply, the chat of the quoted message
	ReplyTo       string // the message a reply quotes; "" for a new message
	MsgType       string // text, post, interactive, image
	// Text is a text message's text, a post's text runs, or a card's body:
	// its markdown and plain-text elements, one a line.
	Text     string
	Title    string   // a card's header title
	Template string   // a card's header colour
	Buttons  []Button // a card's buttons
	Content  string   // the content as sent (a JSON string)
	UUID     string
	// MessageID is the om_ ID the fake gave the message.
	MessageID string
	At        time.Time
}

// Server is a fake Feishu open platform. Its methods are safe for
// concurrent use.
type Server struct {
	srv    *httptest.Server
	appID  string
	secret string

	mu           sync.Mutex
	now          func() time.Time
	tokens       map[string]time.Time // token -> expiry
	users        map[string]bool      // nil: every ou_… exists
	chats        map[string]bool      // chats the bot is in
	messages     map[string]string    // message_id -> chat_id, for replies
	uuids        map[string]uuidSeen
	sent         []Sent
	fails        []failure
	tokenFetches int
	calls        int
	duplicates   int
	loseReplies  int

	stream streamState
}

type uuidSeen struct {
	messageID string
	at        time.Time
}

// failure is one canned answer to the next send or reply.
type failure struct {
	status int
	code   int
	msg    string
	header http.Header
}

// NewServer starts a fake for the app (appID, secret), closed when the test
// ends. Every ou_ user exists until SetUsers; the clock is time.Now until
// SetNow.
func NewServer(t testing.TB, appID, secret string) *Server {
	t.Helper()
	s := &Server{
		appID:    appID,
		secret:   secret,
		now:      time.Now,
		tokens:   make(map[string]time.Time),
		chats:    make(map[string]bool),
		messages: make(map[string]string),
		uuids:    make(map[string]uuidSeen),
	}
	s.stream.init()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /open-apis/auth/v3/tenant_access_token/internal", s.token)
	mux.HandleFunc("POST /open-apis/im/v1/messages", s.create)
	mux.HandleFunc("POST /open-apis/im/v1/messages/{message_id}/reply", s.reply)
	mux.HandleFunc("POST /callback/ws/endpoint", s.endpoint)
	mux.HandleFunc("GET /ws", s.websocket)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		s.DropStreams()
		s.srv.Close()
	})
	return s
}

// URL is the base URL to use as config.Feishu.APIBase.
func (s *Server) URL() string { return s.srv.URL }

// SetNow sets the clock that token expiry, the uuid window and Sent.At read.
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetUsers makes ids the only open_ids that exist.
func (s *Server) SetUsers(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = make(map[string]bool, len(ids))
	for _, id := range ids {
		s.users[id] = true
	}
}

// AddMessage makes a message someone sent in chatID known, so that the bot
// can reply to it; chatID's group then has the bot in it.
func (s *Server) AddMessage(messageID, chatID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages[messageID] = chatID
	s.chats[chatID] = true
}

// ExpireTokens expires every token issued so far: the next call with one
// answers 99991663.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for tok := range s.tokens {
		s.tokens[tok] = now
	}
}

// FailNext makes the next n sends or replies that carry a valid token
// answer HTTP 400 with code (say 230002, 230020) without delivering.
func (s *Server) FailNext(code, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails = append(s.fails, failure{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf("fake failure %d", code)})
	}
}

// RateLimitNext makes the next n sends or replies answer as Feishu's
// gateway does when the app is throttled: HTTP 429, code 99991400, and
// x-ogw-ratelimit-reset: resetSeconds.
func (s *Server) RateLimitNext(n, resetSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := http.Header{}
	h.Set("x-ogw-ratelimit-limit", "50")
	h.Set("x-ogw-ratelimit-reset", strconv.Itoa(resetSeconds))
	for range n {
		s.fails = append(s.fails, failure{status: http.StatusTooManyRequests, code: 99991400, msg: "request trigger frequency limit", header: h})
	}
}

// FailNextHTTP makes the next n sends or replies answer HTTP status with a
// text body, as a broken gateway would.
func (s *Server) FailNextHTTP(status, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails = append(s.fails, failure{status: status})
	}
}

// LoseNextReplies makes the next n sends or replies that are accepted (or
// recognised as duplicates) close the connection without an answer, so the
// sender sees a network error for a message that arrived: a crash or a
// timeout between the send and the outbox's record of it.
func (s *Server) LoseNextReplies(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseReplies = n
}

// loseReply closes the connection instead of answering when a lost reply is
// due; it reports whether it did. s.mu is held.
func (s *Server) loseReply(w http.ResponseWriter) bool {
	if s.loseReplies == 0 {
		return false
	}
	s.loseReplies--
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return true
		}
	}
	return false
}

// Sent returns the messages accepted so far, oldest first.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Sent, len(s.sent))
	copy(out, s.sent)
	return out
}

// TokenFetches counts token requests, failed ones included.
func (s *Server) TokenFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenFetches
}

// Calls counts send and reply requests, refused ones included.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Duplicates counts sends answered with success but not delivered again
// because their uuid was seen in the last hour.
func (s *Server) Duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.duplicates
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "msg": msg,
		"error": map[string]any{"log_id": "fake-" + rand.Text()[:12]}})
}

func newID(prefix string) string { return prefix + strings.ToLower(rand.Text()) }

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenFetches++
	var b struct {
		AppID     string `json:"app_id"`
		AppSecret string `json:"app_secret"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&b); err != nil {
		writeErr(w, http.StatusBadRequest, 10003, "invalid param")
		return
	}
	if b.AppID != s.appID {
		writeErr(w, http.StatusBadRequest, 10003, "invalid param")
		return
	}
	if b.AppSecret != s.secret {
		writeErr(w, http.StatusBadRequest, 10014, "app secret invalid")
		return
	}
	tok := "t-" + rand.Text()
	s.tokens[tok] = s.now().Add(tokenLifetime * time.Second)
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": tok, "expire": tokenLifetime})
}

// authorize answers the token errors, if any. s.mu is held.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		writeErr(w, http.StatusBadRequest, 99991661, "Missing access token for authorization. Please make a request with token attached.")
		return false
	}
	exp, known := s.tokens[tok]
	if !known || !s.now().Before(exp) {
		writeErr(w, http.StatusBadRequest, 99991663, "Invalid access token for authorization. Please make a request with token attached.")
		return false
	}
	return true
}

// fail answers the next canned failure, if any. s.mu is held.
func (s *Server) fail(w http.ResponseWriter) bool {
	if len(s.fails) == 0 {
		return false
	}
	f := s.fails[0]
	s.fails = s.fails[1:]
	for k, vs := range f.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if f.code == 0 {
		http.Error(w, http.StatusText(f.status), f.status)
		return true
	}
	writeErr(w, f.status, f.code, f.msg)
	return true
}

// body is create and reply as the fake reads them.
type body struct {
	ReceiveID     string `json:"receive_id"`
	MsgType       string `json:"msg_type"`
	Content       string `json:"content"`
	UUID          string `json:"uuid"`
	ReplyInThread bool   `json:"reply_in_thread"`
}

var receiveIDTypes = map[string]bool{"open_id": true, "union_id": true, "user_id": true, "email": true, "chat_id": true}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if !s.authorize(w, r) || s.fail(w) {
		return
	}
	idType := r.URL.Query().Get("receive_id_type")
	if !receiveIDTypes[idType] {
		writeErr(w, http.StatusBadRequest, 99992402, "field validation failed: receive_id_type is required, one of open_id, union_id, user_id, email, chat_id")
		return
	}
	var b body
	if !s.decode(w, r, &b) {
		return
	}
	if b.ReceiveID == "" {
		writeErr(w, http.StatusBadRequest, 99992402, "field validation failed: receive_id is required")
		return
	}
	switch idType {
	case "open_id":
		if !strings.HasPrefix(b.ReceiveID, "ou_") || s.users != nil && !s.users[b.ReceiveID] {
			writeErr(w, http.StatusBadRequest, 230001, "Your request contains an invalid request parameter, ext=invalid receive_id")
			return
		}
	case "chat_id":
		if !s.chats[b.ReceiveID] {
			writeErr(w, http.StatusBadRequest, 230002, "Bot/User can NOT be out of the chat.")
			return
		}
	}
	msg := Sent{ReceiveIDType: idType, To: b.ReceiveID}
	s.accept(w, &b, msg)
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if !s.authorize(w, r) || s.fail(w) {
		return
	}
	var b body
	if !s.decode(w, r, &b) {
		return
	}
	id := r.PathValue("message_id")
	chat, ok := s.messages[id]
	if !ok {
		writeErr(w, http.StatusBadRequest, 230001, "Your request contains an invalid request parameter, ext=invalid message_id")
		return
	}
	s.accept(w, &b, Sent{To: chat, ReplyTo: id})
}

// decode reads the JSON body and checks the uuid. s.mu is held.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, b *body) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(b); err != nil {
		writeErr(w, http.StatusBadRequest, 99992402, "field validation failed: body is not JSON: "+err.Error())
		return false
	}
	if len(b.UUID) > maxUUIDLen {
		writeErr(w, http.StatusBadRequest, 99992402, fmt.Sprintf("field validation failed: uuid is %d characters, at most %d", len(b.UUID), maxUUIDLen))
		return false
	}
	return true
}

// accept checks the content, applies the uuid window and records msg.
// s.mu is held.
func (s *Server) accept(w http.ResponseWriter, b *body, msg Sent) {
	if code, why := check(b, &msg); code != 0 {
		writeErr(w, http.StatusBadRequest, code, why)
		return
	}
	now := s.now()
	if b.UUID != "" {
		if seen, ok := s.uuids[b.UUID]; ok && now.Sub(seen.at) < uuidWindow {
			s.duplicates++
			if s.loseReply(w) {
				return
			}
			writeJSON(w, http.StatusOK, s.answer(seen.messageID, msg))
			return
		}
	}
	msg.MsgType, msg.Content, msg.UUID, msg.At = b.MsgType, b.Content, b.UUID, now
	msg.MessageID = newID("om_")
	s.messages[msg.MessageID] = msg.To
	if b.UUID != "" {
		s.uuids[b.UUID] = uuidSeen{messageID: msg.MessageID, at: now}
	}
	s.sent = append(s.sent, msg)
	if s.loseReply(w) {
		return
	}
	writeJSON(w, http.StatusOK, s.answer(msg.MessageID, msg))
}

func (s *Server) answer(messageID string, msg Sent) map[string]any {
	return map[string]any{"code": 0, "msg": "success", "data": map[string]any{
		"message_id": messageID, "chat_id": msg.To, "msg_type": msg.MsgType,
		"create_time": strconv.FormatInt(s.now().UnixMilli(), 10),
		"sender":      map[string]any{"id": s.appID, "id_type": "app_id", "sender_type": "app"},
	}}
}

// check validates b's content for its msg_type and fills msg's Text, Title,
// Template and Buttons; it returns a code and message to refuse with.
func check(b *body, msg *Sent) (int, string) {
	const badContent = "Your request contains an invalid request parameter, ext=invalid message content"
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(b.Content), &obj); err != nil {
		return 230001, badContent + ": content is not a JSON string of an object"
	}
	switch b.MsgType {
	case "text":
		var c struct {
			Text *string `json:"text"`
		}
		if err := json.Unmarshal([]byte(b.Content), &c); err != nil || c.Text == nil || strings.TrimSpace(*c.Text) == "" {
			return 230001, badContent + `: text needs {"text": "…"}`
		}
		if len(*c.Text) > maxTextBytes {
			return 230025, fmt.Sprintf("The message content is too long: %d bytes", len(*c.Text))
		}
		msg.Text = *c.Text
	case "post":
		if len(b.Content) > maxCardBytes {
			return 230025, fmt.Sprintf("The message content is too long: %d bytes", len(b.Content))
		}
		text, ok := postText(obj)
		if !ok {
			return 230001, badContent + `: post needs {"zh_cn": {"title": …, "content": [[…]]}}`
		}
		msg.Text = text
	case "interactive":
		if len(b.Content) > maxCardBytes {
			return 230025, fmt.Sprintf("The card is too long: %d bytes", len(b.Content))
		}
		if why := checkCard([]byte(b.Content), msg); why != "" {
			return 230001, badContent + ": " + why
		}
	case "image":
		var c struct {
			ImageKey string `json:"image_key"`
		}
		if err := json.Unmarshal([]byte(b.Content), &c); err != nil || c.ImageKey == "" {
			return 230001, badContent + `: image needs {"image_key": "…"}`
		}
	default:
		return 230001, fmt.Sprintf("Your request contains an invalid request parameter, ext=invalid msg_type %q", b.MsgType)
	}
	return 0, ""
}

// postText reads a post's text runs, under a locale key or not.
func postText(obj map[string]json.RawMessage) (string, bool) {
	type run struct {
		Tag  string `json:"tag"`
		Text string `json:"text"`
	}
	type post struct {
		Title   string  `json:"title"`
		Content [][]run `json:"content"`
	}
	var p post
	raw, err := json.Marshal(obj)
	if err == nil {
		err = json.Unmarshal(raw, &p)
	}
	if err != nil || p.Content == nil {
		found := false
		for _, loc := range obj {
			if json.Unmarshal(loc, &p) == nil && p.Content != nil {
				found = true
				break
			}
		}
		if !found {
			return "", false
		}
	}
	var lines []string
	if p.Title != "" {
		lines = append(lines, p.Title)
	}
	for _, para := range p.Content {
		var b strings.Builder
		for _, r := range para {
			if r.Tag == "" {
				return "", false
			}
			b.WriteString(r.Text)
		}
		lines = append(lines, b.String())
	}
	return strings.Join(lines, "\n"), true
}

// card is a message card as the fake reads it: 1.0 (elements at the top)
// or 2.0 (schema "2.0", elements in body).
type card struct {
	Schema string `json:"schema"`
	Type   string `json:"type"` // "template" for a template card
	Header *struct {
		Template string `json:"template"`
		Title    *struct {
			Tag     string `json:"tag"`
			Content string `json:"content"`
		} `json:"title"`
	} `json:"header"`
	Elements []element `json:"elements"`
	Body     *struct {
		Elements []element `json:"elements"`
	} `json:"body"`
}

type element struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
	Text    *struct {
		Tag     string `json:"tag"`
		Content string `json:"content"`
	} `json:"text"`
	Actions []element      `json:"actions"`
	Value   map[string]any `json:"value"`
}

var textTags = map[string]bool{"plain_text": true, "lark_md": true}

// checkCard validates a card and records its title, colour, text and
// buttons in msg; it returns why the card is invalid, or "".
func checkCard(raw []byte, msg *Sent) string {
	var c card
	if err := json.Unmarshal(raw, &c); err != nil {
		return "card is not JSON of a card: " + err.Error()
	}
	if c.Type == "template" {
		return ""
	}
	elements := c.Elements
	if c.Schema == "2.0" {
		if c.Body == nil {
			return "a 2.0 card needs body.elements"
		}
		elements = c.Body.Elements
	}
	if c.Header != nil {
		if c.Header.Title == nil || !textTags[c.Header.Title.Tag] || strings.TrimSpace(c.Header.Title.Content) == "" {
			return "header.title needs a plain_text with content"
		}
		msg.Title, msg.Template = c.Header.Title.Content, c.Header.Template
	}
	if c.Header == nil && len(elements) == 0 {
		return "a card needs a header or elements"
	}
	var lines []string
	for _, e := range elements {
		switch e.Tag {
		case "markdown":
			if e.Content == "" {
				return "a markdown element needs content"
			}
			lines = append(lines, e.Content)
		case "div":
			if e.Text == nil || !textTags[e.Text.Tag] {
				return "a div needs a text with tag plain_text or lark_md"
			}
			lines = append(lines, e.Text.Content)
		case "hr", "note", "img":
		case "action":
			if len(e.Actions) == 0 {
				return "an action element needs actions"
			}
			for _, a := range e.Actions {
				if a.Tag != "button" || a.Text == nil || !textTags[a.Text.Tag] || a.Text.Content == "" {
					return "an action needs buttons with a plain_text text"
				}
				btn := Button{Text: a.Text.Content, Value: map[string]string{}}
				for k, v := range a.Value {
					s, ok := v.(string)
					if !ok {
						return fmt.Sprintf("button value %q is not a string", k)
					}
					btn.Value[k] = s
				}
				msg.Buttons = append(msg.Buttons, btn)
			}
		default:
			return fmt.Sprintf("unknown element tag %q", e.Tag)
		}
	}
	msg.Text = strings.Join(lines, "\n")
	return ""
}

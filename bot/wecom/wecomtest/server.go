// Package wecomtest is a fake WeCom API for tests: an httptest.Server that
// issues access tokens and accepts message/send, checking what the real API
// checks, recording what it would deliver, and failing on demand.
//
// Where the real API's answer is not documented the fake picks one and says
// so below; it is stricter than the real API in one place: text or markdown
// content over 2048 bytes is refused (45002), where WeCom truncates it.
//
// Errcodes it answers:
//
//	gettoken:      40013 wrong corpid, 40001 wrong corpsecret
//	any API:       41001 no access_token, 40014 unknown token, 42001 expired token
//	message/send:  47001 body not JSON; 40008 msgtype not text|markdown|template_card;
//	               40056 agentid not an integer; 301002 agentid not this app's;
//	               40058 touser empty or a template_card field wrong (card_type,
//	               main_title/sub_title_text, task_id missing, not [0-9a-zA-Z_-@]{1,128}
//	               or used before, 1–6 buttons with unique non-empty keys ≤1024 B);
//	               44004 empty content; 45002 content over 2048 bytes;
//	               81013 when every recipient in touser is unknown; errcode 0 with
//	               invaliduser "a|b" when only some are (see SetUsers)
//	agent/get:     301002 agentid not this app's
package wecomtest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"channelbot/bot/wecom"
	"channelbot/models"
)

// Real limits the fake enforces; those the adapter states are the adapter's.
const (
	maxContentBytes = wecom.MaxContentBytes
	maxButtons      = wecom.MaxButtons
	maxTaskIDBytes  = 128
	maxKeyBytes     = 1024
	tokenLifetime   = 7200 // expires_in, seconds
	defaultDupCheck = 1800 // duplicate_check_interval when not given
	maxDupCheck     = 4 * 3600
	defaultPerUser  = wecom.MemberPerMinute // messages per member per minute
)

// Sent is a message the fake accepted and would have delivered.
type Sent struct {
	To      string
	MsgType string // text, markdown or template_card
	// Content is text.content or markdown.content; for a template card, its
	// main_title.title, then a newline and sub_title_text if there is one.
	Content string
	Buttons []models.Button // a template card's button_list
	TaskID  string          // a template card's task_id
	// DuplicateCheck is the duplicate_check_interval the send asked for, in
	// seconds (the default 1800 when not given); 0 when the check was off.
	DuplicateCheck int
	At             time.Time
}

// Server is a fake WeCom API. Its methods are safe for concurrent use.
type Server struct {
	srv     *httptest.Server
	corpID  string
	secret  string
	agentID int

	mu           sync.Mutex
	now          func() time.Time
	tokens       map[string]time.Time // token -> expiry
	users        map[string]bool      // nil: every user exists
	sent         []Sent
	taskIDs      map[string]bool
	delivered    map[string][]time.Time // touser -> deliveries in the last minute
	lastSeen     map[dupKey]time.Time   // last accepted, for the duplicate check
	memberLimit  int
	appLimit     int         // sends per second for the whole app; 0: none
	appSends     []time.Time // accepted sends in the last second
	refused      int         // sends refused by the app limit
	failSend     failure
	failToken    failure
	failHTTP     failure
	loseReplies  int // sends to accept, then drop the connection without answering
	tokenFetches int
	dropped      int
	duplicates   int
}

type failure struct{ code, n int }

type dupKey struct{ to, content string }

// NewServer starts a fake for the app (corpID, secret, agentID), closed when
// the test ends. Every user exists until SetUsers; the clock is time.Now
// until SetNow.
func NewServer(t testing.TB, corpID, secret string, agentID int) *Server {
	t.Helper()
	s := &Server{
		corpID:      corpID,
		secret:      secret,
		agentID:     agentID,
		now:         time.Now,
		tokens:      make(map[string]time.Time),
		taskIDs:     make(map[string]bool),
		delivered:   make(map[string][]time.Time),
		lastSeen:    make(map[dupKey]time.Time),
		memberLimit: defaultPerUser,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", s.getToken)
	mux.HandleFunc("POST /cgi-bin/message/send", s.send)
	mux.HandleFunc("GET /cgi-bin/agent/get", s.agentGet)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL to use as config.WeCom.APIBase.
func (s *Server) URL() string { return s.srv.URL }

// SetNow sets the clock that token expiry, the duplicate check, the member
// limit and Sent.At read.
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetUsers makes ids the only existing members; others are unknown.
func (s *Server) SetUsers(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = make(map[string]bool, len(ids))
	for _, id := range ids {
		s.users[id] = true
	}
}

// ExpireTokens expires every token issued so far: the next send with one
// answers 42001.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for tok := range s.tokens {
		s.tokens[tok] = now
	}
}

// FailNext makes the next n message/send calls that carry a valid token
// answer errcode code (say 45009, 60020, -1) without delivering.
func (s *Server) FailNext(code, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failSend = failure{code, n}
}

// FailNextToken makes the next n gettoken calls answer errcode code (say
// 60020) whatever the credentials.
func (s *Server) FailNextToken(code, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failToken = failure{code, n}
}

// FailNextHTTP makes the next n requests, to any path, answer HTTP status
// (say 502) with no body, as a broken gateway would.
func (s *Server) FailNextHTTP(status, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failHTTP = failure{status, n}
}

// SetAppLimit makes the fake refuse, with errcode 45009, any send that would put more
// than perSecond sends of the app into one second (a sliding window).
func (s *Server) SetAppLimit(perSecond int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appLimit = perSecond
}

// Refused counts sends refused by the app limit.
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// SetMemberLimit sets how many messages one member may get per minute
// (default 30). Like the real API, the excess is answered errcode 0 but not
// delivered: it is counted in Dropped, not recorded in Sent.
func (s *Server) SetMemberLimit(perMinute int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.memberLimit = perMinute
}

// Sent returns the messages accepted so far, oldest first.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Sent, len(s.sent))
	copy(out, s.sent)
	return out
}

// TokenFetches counts gettoken calls, failed ones included.
func (s *Server) TokenFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenFetches
}

// Dropped counts messages answered ok but dropped by the member limit.
func (s *Server) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Duplicates counts messages answered ok but not delivered again because
// the duplicate check found the same (touser, content) within
// duplicate_check_interval.
func (s *Server) Duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.duplicates
}

// take consumes one use of f and reports whether it fired. s.mu is held.
func (f *failure) take() (int, bool) {
	if f.n <= 0 {
		return 0, false
	}
	f.n--
	return f.code, true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, map[string]any{"errcode": code, "errmsg": msg})
}

// failHTTPNow answers the pending HTTP failure, if any. s.mu is held.
func (s *Server) failHTTPNow(w http.ResponseWriter) bool {
	if status, ok := s.failHTTP.take(); ok {
		w.WriteHeader(status)
		return true
	}
	return false
}

func (s *Server) getToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenFetches++
	if s.failHTTPNow(w) {
		return
	}
	if code, ok := s.failToken.take(); ok {
		writeErr(w, code, fmt.Sprintf("fake failure %d, from ip: 203.0.113.7", code))
		return
	}
	q := r.URL.Query()
	if q.Get("corpid") != s.corpID {
		writeErr(w, 40013, "invalid corpid")
		return
	}
	if q.Get("corpsecret") != s.secret {
		writeErr(w, 40001, "invalid credential")
		return
	}
	tok := "tok-" + rand.Text()
	s.tokens[tok] = s.now().Add(tokenLifetime * time.Second)
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": tokenLifetime})
}

// checkToken answers the token errors, if any. s.mu is held.
func (s *Server) checkToken(w http.ResponseWriter, r *http.Request) bool {
	tok := r.URL.Query().Get("access_token")
	if tok == "" {
		writeErr(w, 41001, "access_token missing")
		return false
	}
	exp, ok := s.tokens[tok]
	if !ok {
		writeErr(w, 40014, "invalid access_token")
		return false
	}
	if !s.now().Before(exp) {
		writeErr(w, 42001, "access_token expired")
		return false
	}
	return true
}

func (s *Server) agentGet(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failHTTPNow(w) || !s.checkToken(w, r) {
		return
	}
	if r.URL.Query().Get("agentid") != fmt.Sprint(s.agentID) {
		writeErr(w, 301002, "not allow operate another agent with this accesstoken")
		return
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "agentid": s.agentID, "name": "fake app"})
}

// sendBody is message/send as the fake reads it; agentid stays raw so its
// JSON type can be checked.
type sendBody struct {
	ToUser                 string          `json:"touser"`
	MsgType                string          `json:"msgtype"`
	AgentID                json.RawMessage `json:"agentid"`
	Text                   *contentBody    `json:"text"`
	Markdown               *contentBody    `json:"markdown"`
	TemplateCard           *cardBody       `json:"template_card"`
	EnableDuplicateCheck   int             `json:"enable_duplicate_check"`
	DuplicateCheckInterval int             `json:"duplicate_check_interval"`
}

type contentBody struct {
	Content string `json:"content"`
}

type cardBody struct {
	CardType  string `json:"card_type"`
	MainTitle struct {
		Title string `json:"title"`
		Desc  string `json:"desc"`
	} `json:"main_title"`
	SubTitleText string `json:"sub_title_text"`
	TaskID       string `json:"task_id"`
	ButtonList   []struct {
		Text  string `json:"text"`
		Style int    `json:"style"`
		Key   string `json:"key"`
	} `json:"button_list"`
}

var (
	integer     = regexp.MustCompile(`^-?[0-9]+$`)
	taskIDChars = regexp.MustCompile(`^[0-9a-zA-Z_\-@]+$`)
	cardTypes   = map[string]bool{"text_notice": true, "news_notice": true, "button_interaction": true, "vote_interaction": true, "multiple_interaction": true}
)

func (s *Server) send(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failHTTPNow(w) || !s.checkToken(w, r) {
		return
	}
	if s.appLimit > 0 {
		now := s.now()
		recent := s.appSends[:0]
		for _, at := range s.appSends {
			if now.Sub(at) < time.Second {
				recent = append(recent, at)
			}
		}
		s.appSends = recent
		if len(recent) >= s.appLimit {
			s.refused++
			writeErr(w, 45009, "api freq out of limit")
			return
		}
		s.appSends = append(s.appSends, now)
	}
	if code, ok := s.failSend.take(); ok {
		writeErr(w, code, fmt.Sprintf("fake failure %d", code))
		return
	}
	var b sendBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(&b); err != nil {
		writeErr(w, 47001, "data format error: "+err.Error())
		return
	}
	if !integer.Match(bytes.TrimSpace(b.AgentID)) {
		writeErr(w, 40056, fmt.Sprintf("invalid agentid %s: want an integer", b.AgentID))
		return
	}
	if string(bytes.TrimSpace(b.AgentID)) != fmt.Sprint(s.agentID) {
		writeErr(w, 301002, "not allow operate another agent with this accesstoken")
		return
	}
	if b.ToUser == "" {
		writeErr(w, 40058, "touser is empty")
		return
	}
	msg, code, errmsg := s.message(&b)
	if code != 0 {
		writeErr(w, code, errmsg)
		return
	}
	var known, unknown []string
	for _, u := range strings.Split(b.ToUser, "|") {
		if s.users == nil || s.users[u] {
			known = append(known, u)
		} else {
			unknown = append(unknown, u)
		}
	}
	if len(known) == 0 {
		writeErr(w, 81013, "user & party & tag all invalid")
		return
	}
	if msg.TaskID != "" {
		s.taskIDs[msg.TaskID] = true
	}
	now := s.now()
	for _, u := range known {
		s.deliver(&b, msg, u, now)
	}
	resp := map[string]any{"errcode": 0, "errmsg": "ok", "msgid": "msg-" + rand.Text()[:12]}
	if len(unknown) > 0 {
		resp["invaliduser"] = strings.Join(unknown, "|")
	}
	if s.loseReplies > 0 {
		// Delivered, but the answer is lost, as when the bot crashes mid-send or
		// the network drops: the bot cannot know the message arrived.
		s.loseReplies--
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	}
	writeJSON(w, resp)
}

// LoseNextReplies makes the next n sends deliver and then close the connection
// without an answer, so the sender sees a network error for a message that arrived.
func (s *Server) LoseNextReplies(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseReplies = n
}

// deliver records msg for user u, unless the duplicate check or the member
// limit stops it. s.mu is held.
func (s *Server) deliver(b *sendBody, msg Sent, u string, now time.Time) {
	key := dupKey{to: u, content: msg.MsgType + "\x00" + msg.Content + "\x00" + fmt.Sprint(msg.Buttons)}
	if b.EnableDuplicateCheck == 1 {
		interval := b.DuplicateCheckInterval
		if interval <= 0 {
			interval = defaultDupCheck
		}
		interval = min(interval, maxDupCheck)
		msg.DuplicateCheck = interval
		if last, ok := s.lastSeen[key]; ok && now.Sub(last) < time.Duration(interval)*time.Second {
			s.duplicates++
			return
		}
	}
	recent := s.delivered[u][:0]
	for _, at := range s.delivered[u] {
		if now.Sub(at) < time.Minute {
			recent = append(recent, at)
		}
	}
	s.delivered[u] = recent
	if len(recent) >= s.memberLimit {
		s.dropped++
		return
	}
	s.delivered[u] = append(recent, now)
	s.lastSeen[key] = now
	msg.To, msg.At = u, now
	s.sent = append(s.sent, msg)
}

// message checks the message fields of b and returns what to record, or an
// errcode and errmsg. s.mu is held.
func (s *Server) message(b *sendBody) (Sent, int, string) {
	msg := Sent{MsgType: b.MsgType}
	switch b.MsgType {
	case "text", "markdown":
		c := b.Text
		if b.MsgType == "markdown" {
			c = b.Markdown
		}
		switch {
		case c == nil:
			return msg, 40058, b.MsgType + " is missing"
		case strings.TrimSpace(c.Content) == "":
			return msg, 44004, "empty content"
		case len(c.Content) > maxContentBytes:
			return msg, 45002, fmt.Sprintf("content size out of limit: %d bytes", len(c.Content))
		case !utf8.ValidString(c.Content):
			return msg, 40058, "content is not UTF-8"
		}
		msg.Content = c.Content
	case "template_card":
		c := b.TemplateCard
		if c == nil {
			return msg, 40058, "template_card is missing"
		}
		if code, errmsg := s.checkCard(c); code != 0 {
			return msg, code, errmsg
		}
		msg.Content = c.MainTitle.Title
		if c.SubTitleText != "" {
			msg.Content += "\n" + c.SubTitleText
		}
		msg.TaskID = c.TaskID
		for _, btn := range c.ButtonList {
			msg.Buttons = append(msg.Buttons, models.Button{Text: btn.Text, Key: btn.Key})
		}
	default:
		return msg, 40008, fmt.Sprintf("invalid message type %q", b.MsgType)
	}
	return msg, 0, ""
}

// checkCard checks a template card as path/94945 describes it. s.mu is held.
func (s *Server) checkCard(c *cardBody) (int, string) {
	if !cardTypes[c.CardType] {
		return 40058, fmt.Sprintf("invalid card_type %q", c.CardType)
	}
	if c.MainTitle.Title == "" && c.SubTitleText == "" {
		return 40058, "main_title.title and sub_title_text are both empty"
	}
	interactive := c.CardType != "text_notice" && c.CardType != "news_notice"
	if interactive || c.TaskID != "" {
		switch {
		case c.TaskID == "":
			return 40058, "task_id is required"
		case len(c.TaskID) > maxTaskIDBytes || !taskIDChars.MatchString(c.TaskID):
			return 40058, fmt.Sprintf("invalid task_id %q", c.TaskID)
		case s.taskIDs[c.TaskID]:
			return 40058, fmt.Sprintf("task_id %q exists", c.TaskID)
		}
	}
	if c.CardType == "button_interaction" {
		if len(c.ButtonList) == 0 || len(c.ButtonList) > maxButtons {
			return 40058, fmt.Sprintf("button_list has %d buttons, want 1 to %d", len(c.ButtonList), maxButtons)
		}
		keys := make(map[string]bool)
		for _, btn := range c.ButtonList {
			switch {
			case btn.Text == "":
				return 40058, "button text is empty"
			case btn.Key == "" || len(btn.Key) > maxKeyBytes:
				return 40058, fmt.Sprintf("invalid button key %q", btn.Key)
			case keys[btn.Key]:
				return 40058, fmt.Sprintf("button key %q twice", btn.Key)
			case btn.Style < 0 || btn.Style > 4:
				return 40058, fmt.Sprintf("invalid button style %d", btn.Style)
			}
			keys[btn.Key] = true
		}
	}
	return 0, ""
}

// CallbackRequest returns a callback as WeCom would POST it to target (the
// bot's callback URL, as for httptest.NewRequest): sealed is a body made by
// wecom.Crypto.Seal, which carries its MsgSignature, TimeStamp and Nonce;
// they go in the query as msg_signature, timestamp and nonce.
func CallbackRequest(t testing.TB, target string, sealed []byte) *http.Request {
	t.Helper()
	var env struct {
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
	}
	if err := xml.Unmarshal(sealed, &env); err != nil || env.MsgSignature == "" {
		t.Fatalf("wecomtest: CallbackRequest: not a sealed body (%v): %q", err, sealed)
	}
	q := url.Values{"msg_signature": {env.MsgSignature}, "timestamp": {env.TimeStamp}, "nonce": {env.Nonce}}
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	r := httptest.NewRequest(http.MethodPost, target+sep+q.Encode(), bytes.NewReader(sealed))
	r.Header.Set("Content-Type", "text/xml")
	return r
}

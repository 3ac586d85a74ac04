package wecom_test

// These tests set the SDK's process-global HTTP client and URI modifier
// (through NewClient), so none of them runs in parallel.

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/alicebob/miniredis/v2"

	"channelbot/bot/outbox"
	"channelbot/bot/state"
	"channelbot/bot/wecom"
	"channelbot/bot/wecom/wecomtest"
	"channelbot/config"
	"channelbot/models/modelstest"
)

const (
	testCorp   = "ww0000000000000001"
	testSecret = "Sx9-SECRET-VALUE-3kq_Zr7tQmWdYvB2nLp8Hc4Fj6Ka1Ue5Gi0Oo"
	testAgent  = 1000002
	// tokenKey is where the SDK caches the token (credential.WorkAccessToken).
	tokenKey = "wecom_access_token_" + testCorp + "_1000002"
)

func testConfig(base string) config.WeCom {
	return config.WeCom{
		CorpID:  testCorp,
		AgentID: fmt.Sprint(testAgent),
		Secret:  config.Secret(testSecret),
		APIBase: base,
	}
}

// logBuffer collects a client's log, to check it for secrets.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type fixture struct {
	srv *wecomtest.Server
	st  state.Store
	c   *wecom.Client
	log *logBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		srv: wecomtest.NewServer(t, testCorp, testSecret, testAgent),
		st:  state.NewMemory("test", nil),
		log: &logBuffer{},
	}
	f.c = f.client(t, testConfig(f.srv.URL()))
	return f
}

// client returns another Client on the fixture's store.
func (f *fixture) client(t *testing.T, cfg config.WeCom) *wecom.Client {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := wecom.NewClient(cfg, nil, f.st, log)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func (f *fixture) cachedToken(t *testing.T) string {
	t.Helper()
	v, ok, err := f.st.Get(context.Background(), tokenKey)
	if err != nil || !ok {
		t.Fatalf("no token under %q: ok=%v err=%v", tokenKey, ok, err)
	}
	return string(v)
}

func TestNewClientRejects(t *testing.T) {
	st := state.NewMemory("test", nil)
	good := testConfig("http://127.0.0.1:1")
	tests := []struct {
		name string
		cfg  func(c config.WeCom) config.WeCom
	}{
		{"no corp", func(c config.WeCom) config.WeCom { c.CorpID = ""; return c }},
		{"no secret", func(c config.WeCom) config.WeCom { c.Secret = ""; return c }},
		{"agent not integer", func(c config.WeCom) config.WeCom { c.AgentID = "app"; return c }},
		{"base not http", func(c config.WeCom) config.WeCom { c.APIBase = "ftp://x"; return c }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := wecom.NewClient(tt.cfg(good), nil, st, nil); err == nil {
				t.Error("NewClient succeeded")
			} else if strings.Contains(err.Error(), testSecret) {
				t.Errorf("error holds the secret: %v", err)
			}
		})
	}
	if _, err := wecom.NewClient(good, nil, nil, nil); err == nil {
		t.Error("NewClient with a nil store succeeded")
	}
}

func TestSendText(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	text := "库存提醒：<华联超市> A款 & B款 只剩 3 箱\n请补货"
	if err := f.c.Send(ctx, outbox.Outgoing{ID: 1, To: "ZhangJianGuo", Text: text}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	sent := f.srv.Sent()
	if len(sent) != 1 {
		t.Fatalf("Sent = %+v, want one", sent)
	}
	if s := sent[0]; s.To != "ZhangJianGuo" || s.MsgType != "text" || s.Content != text || s.Buttons != nil || s.TaskID != "" {
		t.Errorf("Sent = %+v", s)
	}
}

func TestSendMarkdown(t *testing.T) {
	f := newFixture(t)
	text := "**本周拜访**\n> 华联超市：<font color=\"warning\">缺货</font>"
	if err := f.c.Send(context.Background(), outbox.Outgoing{ID: 2, To: "u1", Text: text, Markdown: true}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if s := f.srv.Sent(); len(s) != 1 || s[0].MsgType != "markdown" || s[0].Content != text {
		t.Errorf("Sent = %+v", s)
	}
}

func TestSendCard(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	buttons := []outbox.Button{{Text: "确认", Key: "confirm"}, {Text: "修改", Key: "edit"}, {Text: "取消", Key: "cancel"}}
	m := outbox.Outgoing{ID: 42, To: "u1", Text: "确认订单？\n华联超市 A款洗衣液 20 箱\n送货：周五", Buttons: buttons}
	if err := f.c.Send(ctx, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	s := f.srv.Sent()
	if len(s) != 1 {
		t.Fatalf("Sent = %+v", s)
	}
	got := s[0]
	if got.MsgType != "template_card" || got.Content != "确认订单？\n华联超市 A款洗衣液 20 箱\n送货：周五" {
		t.Errorf("card = %+v", got)
	}
	if fmt.Sprint(got.Buttons) != fmt.Sprint(buttons) {
		t.Errorf("buttons = %v, want %v", got.Buttons, buttons)
	}
	if !strings.HasPrefix(got.TaskID, m.Key()+"-0-") || len(got.TaskID) > 128 {
		t.Errorf("task_id = %q, want %s-0-… of at most 128 bytes", got.TaskID, m.Key())
	}

	// A retry (next attempt) gets a new task_id: WeCom refuses a task_id
	// twice. The same content is caught by the duplicate check instead.
	m.Attempt = 1
	if err := f.c.Send(ctx, m); err != nil {
		t.Fatalf("Send retry: %v", err)
	}
	if n := len(f.srv.Sent()); n != 1 || f.srv.Duplicates() != 1 {
		t.Errorf("after a retry: %d sent, %d duplicates; want 1, 1", n, f.srv.Duplicates())
	}
}

func TestSendCardShapes(t *testing.T) {
	long := strings.Repeat("很长的标题", 10) // 50 runes
	many := make([]outbox.Button, 8)
	for i := range many {
		many[i] = outbox.Button{Text: fmt.Sprint("选项", i), Key: fmt.Sprint("k", i)}
	}
	tests := []struct {
		name      string
		text      string
		buttons   []outbox.Button
		wantTitle string
		check     func(t *testing.T, s wecomtest.Sent)
	}{
		{"title only", "要补货吗？", many[:2], "要补货吗？", nil},
		{"long title goes on in the sub-title", long + "\n第二行", many[:1], string([]rune(long)[:35]) + "…", func(t *testing.T, s wecomtest.Sent) {
			if !strings.Contains(s.Content, "\n…"+string([]rune(long)[35:])+"\n第二行") {
				t.Errorf("content = %q", s.Content)
			}
		}},
		{"long sub-title is cut", "标题\n" + strings.Repeat("第一段内容。", 20) + "\n" + strings.Repeat("第二段内容。", 30), many[:1], "标题", func(t *testing.T, s wecomtest.Sent) {
			_, sub, _ := strings.Cut(s.Content, "\n")
			if n := utf8.RuneCountInString(sub); n > 160 || !strings.HasSuffix(sub, "…") {
				t.Errorf("sub-title has %d runes: %q", n, sub)
			}
		}},
		{"more than six buttons keep six", "选一个", many, "选一个", func(t *testing.T, s wecomtest.Sent) {
			if len(s.Buttons) != 6 || s.Buttons[5].Key != "k5" {
				t.Errorf("buttons = %v", s.Buttons)
			}
		}},
		{"button without text shows its key", "选", []outbox.Button{{Key: "yes"}}, "选", func(t *testing.T, s wecomtest.Sent) {
			if s.Buttons[0].Text != "yes" {
				t.Errorf("buttons = %v", s.Buttons)
			}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if err := f.c.Send(context.Background(), outbox.Outgoing{ID: int64(i), To: "u1", Text: tt.text, Buttons: tt.buttons}); err != nil {
				t.Fatalf("Send: %v", err)
			}
			s := f.srv.Sent()
			if len(s) != 1 {
				t.Fatalf("Sent = %+v", s)
			}
			if title, _, _ := strings.Cut(s[0].Content, "\n"); title != tt.wantTitle {
				t.Errorf("title = %q, want %q", title, tt.wantTitle)
			}
			if n := utf8.RuneCountInString(strings.Split(s[0].Content, "\n")[0]); n > 36 {
				t.Errorf("title has %d runes", n)
			}
			if tt.check != nil {
				tt.check(t, s[0])
			}
		})
	}
}

func TestSendRefusesBadMessages(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		m    outbox.Outgoing
	}{
		{"text over 2048 bytes", outbox.Outgoing{To: "u1", Text: strings.Repeat("库", 683)}}, // 2049 bytes
		{"markdown over 2048 bytes", outbox.Outgoing{To: "u1", Text: strings.Repeat("x", 2049), Markdown: true}},
		{"empty text", outbox.Outgoing{To: "u1", Text: " \n"}},
		{"no recipient", outbox.Outgoing{Text: "hi"}},
		{"everyone", outbox.Outgoing{To: "@all", Text: "hi"}},
		{"two recipients", outbox.Outgoing{To: "u1|u2", Text: "hi"}},
		{"card without text", outbox.Outgoing{To: "u1", Buttons: []outbox.Button{{Text: "a", Key: "a"}}}},
		{"button without key", outbox.Outgoing{To: "u1", Text: "?", Buttons: []outbox.Button{{Text: "a"}}}},
		{"duplicate button keys", outbox.Outgoing{To: "u1", Text: "?", Buttons: []outbox.Button{{Text: "a", Key: "k"}, {Text: "b", Key: "k"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.c.Send(context.Background(), tt.m)
			var se *outbox.SendError
			if !errors.As(err, &se) || !se.Permanent {
				t.Fatalf("Send = %v, want a permanent *outbox.SendError", err)
			}
		})
	}
	if n := f.srv.TokenFetches(); n != 0 {
		t.Errorf("TokenFetches = %d: refused messages must not reach WeCom", n)
	}
	if f.c.Send(context.Background(), outbox.Outgoing{To: "u1", Text: strings.Repeat("库", 682)}) != nil { // 2046 bytes
		t.Error("Send of 2046 bytes failed")
	}
}

func TestTokenCachedAndShared(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other := f.client(t, testConfig(f.srv.URL()))
	for i := range 10 {
		c := f.c
		if i%2 == 1 {
			c = other
		}
		if err := c.Send(ctx, outbox.Outgoing{ID: int64(i), To: "u1", Text: fmt.Sprint("消息 ", i)}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	if n := f.srv.TokenFetches(); n != 1 {
		t.Errorf("TokenFetches = %d, want 1", n)
	}
	tok, err := other.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cached := f.cachedToken(t); cached != tok {
		t.Errorf("cache holds %q, Token = %q", cached, tok)
	}
	if len(f.srv.Sent()) != 10 {
		t.Errorf("Sent %d, want 10", len(f.srv.Sent()))
	}
}

func TestTokenRefreshedOnRejection(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(f *fixture)
	}{
		{"expired (42001)", func(f *fixture) { f.srv.ExpireTokens() }},
		{"expired by the clock", func(f *fixture) {
			later := time.Now().Add(3 * time.Hour)
			f.srv.SetNow(func() time.Time { return later })
		}},
		{"invalid (40014)", func(f *fixture) { f.srv.FailNext(40014, 1) }},
		{"42009", func(f *fixture) { f.srv.FailNext(42009, 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			if err := f.c.Send(ctx, outbox.Outgoing{ID: 1, To: "u1", Text: "first"}); err != nil {
				t.Fatal(err)
			}
			old := f.cachedToken(t)
			tt.prepare(f)
			if err := f.c.Send(ctx, outbox.Outgoing{ID: 2, To: "u1", Text: "second"}); err != nil {
				t.Fatalf("Send after the token died: %v", err)
			}
			if n := f.srv.TokenFetches(); n != 2 {
				t.Errorf("TokenFetches = %d, want 2", n)
			}
			if f.cachedToken(t) == old {
				t.Error("the rejected token is still cached")
			}
			if s := f.srv.Sent(); len(s) != 2 || s[1].Content != "second" {
				t.Errorf("Sent = %+v", s)
			}
			if !strings.Contains(f.log.String(), "access token rejected") {
				t.Errorf("no warning logged: %s", f.log)
			}
		})
	}
}

func TestTokenRejectedTwice(t *testing.T) {
	f := newFixture(t)
	f.srv.FailNext(42001, 2)
	err := f.c.Send(context.Background(), outbox.Outgoing{ID: 1, To: "u1", Text: "x"})
	var se *outbox.SendError
	if !errors.As(err, &se) || se.Permanent || se.Code != 42001 {
		t.Fatalf("Send = %#v, want a temporary SendError 42001", err)
	}
	if n := f.srv.TokenFetches(); n != 2 {
		t.Errorf("TokenFetches = %d, want 2 (one retry only)", n)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name          string
		prepare       func(f *fixture)
		to            string
		wantPermanent bool
		wantCode      int
		wantRetry     time.Duration
	}{
		{"rate limit 45009", func(f *fixture) { f.srv.FailNext(45009, 1) }, "u1", false, 45009, 60 * time.Second},
		{"concurrency 45033", func(f *fixture) { f.srv.FailNext(45033, 1) }, "u1", false, 45033, 2 * time.Second},
		{"busy -1", func(f *fixture) { f.srv.FailNext(-1, 1) }, "u1", false, -1, 2 * time.Second},
		{"IP not allowed 60020", func(f *fixture) { f.srv.FailNext(60020, 1) }, "u1", true, 60020, 0},
		{"forbidden 48002", func(f *fixture) { f.srv.FailNext(48002, 1) }, "u1", true, 48002, 0},
		{"other agent 301002", func(f *fixture) { f.srv.FailNext(301002, 1) }, "u1", true, 301002, 0},
		{"invalid user 40003", func(f *fixture) { f.srv.FailNext(40003, 1) }, "u1", true, 40003, 0},
		{"unknown user 81013", func(f *fixture) { f.srv.SetUsers("u1") }, "ghost", true, 81013, 0},
		{"unknown code is temporary", func(f *fixture) { f.srv.FailNext(50001, 1) }, "u1", false, 50001, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.prepare(f)
			err := f.c.Send(context.Background(), outbox.Outgoing{ID: 1, To: tt.to, Text: "x"})
			var se *outbox.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send = %v, want *outbox.SendError", err)
			}
			if se.Permanent != tt.wantPermanent || se.Code != tt.wantCode || se.RetryAfter != tt.wantRetry {
				t.Errorf("Send = %+v, want permanent %v, code %d, retry after %v", se, tt.wantPermanent, tt.wantCode, tt.wantRetry)
			}
			if outbox.IsPermanent(err) != tt.wantPermanent {
				t.Errorf("IsPermanent = %v", outbox.IsPermanent(err))
			}
			if len(f.srv.Sent()) != 0 {
				t.Errorf("Sent = %+v", f.srv.Sent())
			}
		})
	}
}

func TestSendHTTPErrorIsTemporary(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.c.Token(ctx); err != nil {
		t.Fatal(err)
	}
	f.srv.FailNextHTTP(http.StatusBadGateway, 1)
	err := f.c.Send(ctx, outbox.Outgoing{ID: 1, To: "u1", Text: "x"})
	var se *outbox.SendError
	if err == nil || errors.As(err, &se) {
		t.Fatalf("Send = %#v, want a plain error", err)
	}
	if !strings.Contains(err.Error(), "502") || strings.Contains(err.Error(), f.cachedToken(t)) {
		t.Errorf("error = %v", err)
	}
	if err := f.c.Send(ctx, outbox.Outgoing{ID: 1, To: "u1", Text: "x"}); err != nil {
		t.Errorf("Send after the gateway recovered: %v", err)
	}
}

// failingTransport fails requests whose path has suffix, and passes the
// others to http.DefaultTransport.
type failingTransport struct{ suffix string }

func (ft failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, ft.suffix) {
		return nil, errors.New("connection reset by peer")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestSendNetworkErrorHidesToken(t *testing.T) {
	srv := wecomtest.NewServer(t, testCorp, testSecret, testAgent)
	st := state.NewMemory("test", nil)
	hc := &http.Client{Transport: failingTransport{"/message/send"}, Timeout: 5 * time.Second}
	c, err := wecom.NewClient(testConfig(srv.URL()), hc, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Send(ctx, outbox.Outgoing{ID: 1, To: "u1", Text: "x"})
	var se *outbox.SendError
	if err == nil || errors.As(err, &se) {
		t.Fatalf("Send = %v, want a plain error", err)
	}
	if strings.Contains(err.Error(), tok) || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("error = %v: want the cause without the token", err)
	}
}

func TestSecretNeverInErrors(t *testing.T) {
	ctx := context.Background()
	var logs logBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	check := func(t *testing.T, what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s succeeded", what)
		}
		if strings.Contains(err.Error(), testSecret) || strings.Contains(fmt.Sprintf("%#v", err), testSecret) {
			t.Errorf("%s: error holds the secret: %v", what, err)
		}
		for e := err; e != nil; e = errors.Unwrap(e) {
			if strings.Contains(fmt.Sprintf("%+v", e), testSecret) {
				t.Errorf("%s: a wrapped error holds the secret: %#v", what, e)
			}
		}
	}
	run := func(t *testing.T, c *wecom.Client) {
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err := c.Token(tctx)
		check(t, "Token", err)
		check(t, "Send", c.Send(tctx, outbox.Outgoing{ID: 1, To: "u1", Text: "x"}))
		check(t, "Check", c.Check(tctx))
	}

	t.Run("unreachable base", func(t *testing.T) {
		c, err := wecom.NewClient(testConfig("http://127.0.0.1:1"), nil, state.NewMemory("test", nil), log)
		if err != nil {
			t.Fatal(err)
		}
		run(t, c)
		if err := c.Check(ctx); !strings.Contains(err.Error(), "cannot reach the WeCom API base http://127.0.0.1:1") {
			t.Errorf("Check = %v", err)
		}
	})
	t.Run("bad secret", func(t *testing.T) {
		srv := wecomtest.NewServer(t, testCorp, "the-right-secret", testAgent)
		c, err := wecom.NewClient(testConfig(srv.URL()), nil, state.NewMemory("test", nil), log)
		if err != nil {
			t.Fatal(err)
		}
		run(t, c)
		err = c.Send(ctx, outbox.Outgoing{ID: 1, To: "u1", Text: "x"})
		var se *outbox.SendError
		if !errors.As(err, &se) || !se.Permanent || se.Code != 40001 {
			t.Errorf("Send with a bad secret = %#v, want permanent 40001", err)
		}
	})
	t.Run("gateway error on gettoken", func(t *testing.T) {
		// The SDK's error for a non-200 quotes the whole URL, corpsecret
		// included.
		srv := wecomtest.NewServer(t, testCorp, testSecret, testAgent)
		c, err := wecom.NewClient(testConfig(srv.URL()), nil, state.NewMemory("test", nil), log)
		if err != nil {
			t.Fatal(err)
		}
		srv.FailNextHTTP(http.StatusBadGateway, 3)
		run(t, c)
	})
	if strings.Contains(logs.String(), testSecret) {
		t.Errorf("log holds the secret: %s", logs.String())
	}
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		secret   string
		agent    string
		prepare  func(srv *wecomtest.Server)
		wantCode int
		wantText string
	}{
		{"ok", testSecret, "1000002", nil, 0, ""},
		{"bad secret", "wrong-secret", "1000002", nil, 40001, "WECOM_SECRET"},
		{"IP not allowed", testSecret, "1000002", func(s *wecomtest.Server) { s.FailNextToken(60020, 1) }, 60020, "企业可信IP"},
		{"another app's agent ID", testSecret, "1000003", nil, 301002, "WECOM_AGENT_ID"},
		{"gateway", testSecret, "1000002", func(s *wecomtest.Server) { s.FailNextHTTP(http.StatusBadGateway, 1) }, 0, "answered HTTP 502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := wecomtest.NewServer(t, testCorp, testSecret, testAgent)
			st := state.NewMemory("test", nil)
			cfg := testConfig(srv.URL())
			cfg.Secret, cfg.AgentID = config.Secret(tt.secret), tt.agent
			c, err := wecom.NewClient(cfg, nil, st, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.prepare != nil {
				tt.prepare(srv)
			}
			err = c.Check(ctx)
			if tt.wantText == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if _, ok, _ := st.Get(ctx, tokenKey); ok {
					t.Error("Check cached its token")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("Check = %v, want it to mention %q", err, tt.wantText)
			}
			var ae *wecom.APIError
			if tt.wantCode != 0 && (!errors.As(err, &ae) || ae.Code != tt.wantCode) {
				t.Errorf("Check = %v, want APIError %d", err, tt.wantCode)
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("Check error holds the secret: %v", err)
			}
		})
	}
}

// testConcurrentToken has 2×n goroutines on two Clients sharing st ask for
// a token at once: WeCom must see one fetch.
func testConcurrentToken(t *testing.T, st state.Store) {
	t.Helper()
	srv := wecomtest.NewServer(t, testCorp, testSecret, testAgent)
	clients := make([]*wecom.Client, 2)
	for i := range clients {
		c, err := wecom.NewClient(testConfig(srv.URL()), nil, st, nil)
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = c
	}
	const n = 10
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		tokens = map[string]int{}
	)
	for i := range 2 * n {
		wg.Go(func() {
			tok, err := clients[i%2].Token(context.Background())
			if err != nil {
				t.Errorf("Token: %v", err)
				return
			}
			mu.Lock()
			tokens[tok]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if got := srv.TokenFetches(); got != 1 {
		t.Errorf("TokenFetches = %d, want 1", got)
	}
	if len(tokens) != 1 {
		t.Errorf("callers got %d different tokens: %v", len(tokens), tokens)
	}
}

func TestConcurrentTokenMemory(t *testing.T) {
	testConcurrentToken(t, state.NewMemory("test", nil))
}

func TestConcurrentTokenMiniredis(t *testing.T) {
	mr := miniredis.RunT(t)
	st, err := state.NewRedis(context.Background(), "redis://"+mr.Addr(), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	testConcurrentToken(t, st)
	if !mr.Exists("test:" + tokenKey) {
		t.Errorf("no token under test:%s in Redis; keys: %v", tokenKey, mr.Keys())
	}
	if ttl := mr.TTL("test:" + tokenKey); ttl != (7200-1500)*time.Second {
		t.Errorf("token TTL = %v, want expires_in-1500 s", ttl)
	}
}

func TestConcurrentTokenRedis(t *testing.T) {
	url := modelstest.RedisURL(t)
	prefix := "wecomtest-" + rand.Text()
	st, err := state.NewRedis(context.Background(), url, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = st.Delete(ctx, tokenKey)
		_ = st.Close()
	})
	testConcurrentToken(t, st)
}

func TestTokenWaitsForCanceledContext(t *testing.T) {
	f := newFixture(t)
	// Another replica holds the refresh lock and never finishes.
	if ok, err := f.st.SetNX(context.Background(), tokenKey+":refresh", []byte("other"), time.Minute); !ok || err != nil {
		t.Fatalf("SetNX: %v %v", ok, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := f.c.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Token = %v, want DeadlineExceeded", err)
	}
	if n := f.srv.TokenFetches(); n != 0 {
		t.Errorf("TokenFetches = %d while another holds the lock", n)
	}
	// The other replica stores a token and lets go: it is used.
	if err := f.st.Set(context.Background(), tokenKey, []byte("shared-token"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if tok, err := f.c.Token(context.Background()); err != nil || tok != "shared-token" {
		t.Errorf("Token = %q, %v; want the shared token", tok, err)
	}
}

func TestFakeMemberLimitAndDuplicates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f.srv.SetNow(func() time.Time { return now })
	f.srv.SetMemberLimit(3)
	for i := range 5 {
		if err := f.c.Send(ctx, outbox.Outgoing{ID: int64(i), To: "u1", Text: fmt.Sprint("第", i, "条")}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	if len(f.srv.Sent()) != 3 || f.srv.Dropped() != 2 {
		t.Errorf("sent %d, dropped %d; want 3, 2", len(f.srv.Sent()), f.srv.Dropped())
	}
	// Another member has a limit of their own.
	if err := f.c.Send(ctx, outbox.Outgoing{ID: 9, To: "u2", Text: "第0条"}); err != nil || len(f.srv.Sent()) != 4 {
		t.Errorf("Send to u2: %v, sent %d", err, len(f.srv.Sent()))
	}
	// The same text to u1 again is a duplicate for 4 hours (the interval the
	// client asks for, the API's most), then not.
	now = now.Add(time.Minute)
	if err := f.c.Send(ctx, outbox.Outgoing{ID: 10, To: "u1", Text: "第0条"}); err != nil {
		t.Fatal(err)
	}
	if f.srv.Duplicates() != 1 || len(f.srv.Sent()) != 4 {
		t.Errorf("duplicates %d, sent %d; want 1, 4", f.srv.Duplicates(), len(f.srv.Sent()))
	}
	now = now.Add(4*time.Hour - 2*time.Minute) // 3 h 59 min after the first
	if err := f.c.Send(ctx, outbox.Outgoing{ID: 10, To: "u1", Text: "第0条"}); err != nil {
		t.Fatal(err)
	}
	if f.srv.Duplicates() != 2 || len(f.srv.Sent()) != 4 {
		t.Errorf("at 3h59m: duplicates %d, sent %d; want 2, 4", f.srv.Duplicates(), len(f.srv.Sent()))
	}
	now = now.Add(2 * time.Minute)
	if err := f.c.Send(ctx, outbox.Outgoing{ID: 11, To: "u1", Text: "第0条"}); err != nil {
		t.Fatal(err)
	}
	if s := f.srv.Sent(); len(s) != 5 || !s[4].At.Equal(now) {
		t.Errorf("sent %d (last at %v), want 5 at %v", len(s), s[len(s)-1].At, now)
	}
}

func TestLogsHideTokenAndSecret(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.srv.FailNext(42001, 1)
	if err := f.c.Send(ctx, outbox.Outgoing{ID: 1, To: "u1", Text: "x", Buttons: make([]outbox.Button, 0)}); err != nil {
		t.Fatal(err)
	}
	logs := f.log.String()
	if strings.Contains(logs, testSecret) || strings.Contains(logs, f.cachedToken(t)) || strings.Contains(logs, "tok-") {
		t.Errorf("log holds a secret or token: %s", logs)
	}
}

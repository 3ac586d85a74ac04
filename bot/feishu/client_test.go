package feishu_test

// These tests create Clients, which install the SDK's process-global token
// cache (platforms.md pitfall 7), so none of them runs in parallel.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"channelbot/bot/feishu"
	"channelbot/bot/feishu/feishutest"
	"channelbot/bot/outbox"
	"channelbot/bot/state"
	"channelbot/config"
)

const (
	testSecret = "As7-SECRET-VALUE-kq3Zr7tQmWdYvB2nLp8Hc4Fj6"
	// tokenKey is where the SDK's token lands in the store (prefix "test").
	tokenKey = "feishu:tenant_access_token-" + appID + "-"
)

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
	srv *feishutest.Server
	st  state.Store
	c   *feishu.Client
	log *logBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{srv: feishutest.NewServer(t, appID, testSecret), st: state.NewMemory("test", nil), log: &logBuffer{}}
	f.srv.SetUsers("ou_r01li", "ou_m01wang")
	f.c = f.client(t, f.st, testSecret)
	return f
}

func (f *fixture) client(t *testing.T, st state.Store, secret string) *feishu.Client {
	t.Helper()
	c, err := feishu.NewClient(config.Feishu{AppID: appID, AppSecret: config.Secret(secret), APIBase: f.srv.URL()}, nil, st,
		slog.New(slog.NewJSONHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) cachedToken(t *testing.T) string {
	t.Helper()
	v, ok, err := f.st.Get(context.Background(), tokenKey)
	if err != nil || !ok {
		t.Fatalf("no cached token under %s: %v", tokenKey, err)
	}
	return string(v)
}

func sendErr(t *testing.T, err error) *outbox.SendError {
	t.Helper()
	var se *outbox.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want *outbox.SendError", err, err)
	}
	return se
}

func TestSendText(t *testing.T) {
	f := newFixture(t)
	m := outbox.Outgoing{ID: 7, To: "ou_r01li", Text: "✅ 盘点已记录 #1\n本存 120箱", ReplyTo: "om_private"}
	if err := f.c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	sent := f.srv.Sent()
	if len(sent) != 1 {
		t.Fatalf("sent %d", len(sent))
	}
	s := sent[0]
	if s.ReceiveIDType != "open_id" || s.To != "ou_r01li" || s.ReplyTo != "" || s.MsgType != "text" || s.Text != m.Text || s.UUID != m.Key() {
		t.Errorf("sent %+v", s)
	}
}

func TestSendReplyInGroup(t *testing.T) {
	f := newFixture(t)
	f.srv.AddMessage("om_group", "oc_team")
	m := outbox.Outgoing{ID: 8, To: "ou_r01li", Text: "收到", ReplyTo: feishu.InboundID(&feishu.Message{MessageID: "om_group", ChatType: "group"})}
	if err := f.c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	s := f.srv.Sent()[0]
	if s.ReplyTo != "om_group" || s.To != "oc_team" || s.ReceiveIDType != "" || s.UUID != "cb-8" {
		t.Errorf("sent %+v, want a reply quoting om_group", s)
	}
	// A click in a group: the reply quotes the card.
	f.srv.AddMessage("om_card", "oc_team")
	m = outbox.Outgoing{ID: 9, To: "ou_r01li", Text: "已记录", ReplyTo: feishu.ClickID("ev1", "om_card", true)}
	if err := f.c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if s := f.srv.Sent()[1]; s.ReplyTo != "om_card" {
		t.Errorf("sent %+v, want a reply quoting the card", s)
	}
}

func TestSendCards(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.c.Send(ctx, outbox.Outgoing{ID: 1, To: "ou_m01wang", Markdown: true, Text: "## ⚠️ 断货预警\n- **张记商贸** 苹果汁 剩 2 箱"}); err != nil {
		t.Fatal(err)
	}
	if err := f.c.Send(ctx, outbox.Outgoing{ID: 2, To: "ou_m01wang", Markdown: true, Text: "# 📊 周报\n本周拜访 **12** 家"}); err != nil {
		t.Fatal(err)
	}
	q := outbox.Outgoing{ID: 3, To: "ou_r01li", Text: "🤔 张记商贸 的盘点数比上次还多，先没保存：\n苹果汁1L 本存 99箱",
		Buttons: []outbox.Button{{Text: "确认", Key: "确认"}, {Text: "取消", Key: "取消"}}}
	if err := f.c.Send(ctx, q); err != nil {
		t.Fatal(err)
	}
	choose := outbox.Outgoing{ID: 4, To: "ou_r01li", Text: "哪个客户？", Buttons: []outbox.Button{{Text: "1 张记商贸", Key: "1"}, {Text: "2 张氏便利店", Key: "2"}, {Text: "取消", Key: "取消"}}}
	if err := f.c.Send(ctx, choose); err != nil {
		t.Fatal(err)
	}
	sent := f.srv.Sent()
	warn, digest, confirm, which := sent[0], sent[1], sent[2], sent[3]
	if warn.MsgType != "interactive" || warn.Title != "⚠️ 断货预警" || warn.Template != "red" || warn.Text != "- **张记商贸** 苹果汁 剩 2 箱" || len(warn.Buttons) != 0 {
		t.Errorf("warning card = %+v", warn)
	}
	if digest.Title != "📊 周报" || digest.Template != "blue" || digest.Text != "本周拜访 **12** 家" {
		t.Errorf("digest card = %+v", digest)
	}
	if confirm.MsgType != "interactive" || confirm.Title != "🤔 张记商贸 的盘点数比上次还多，先没保存：" || confirm.Text != "苹果汁1L 本存 99箱" ||
		len(confirm.Buttons) != 2 || confirm.Buttons[0].Key() != "确认" || confirm.Buttons[0].Value["outbox"] != "3" || confirm.Buttons[1].Text != "取消" {
		t.Errorf("confirmation card = %+v", confirm)
	}
	if len(which.Buttons) != 3 || which.Buttons[1].Text != "2 张氏便利店" || which.Buttons[1].Key() != "2" || which.Text != "" {
		t.Errorf("question card = %+v", which)
	}
	// Plain text in a question card is not markdown.
	var c struct {
		Elements []map[string]any `json:"elements"`
	}
	if err := json.Unmarshal([]byte(confirm.Content), &c); err != nil || c.Elements[0]["tag"] != "div" || c.Elements[1]["tag"] != "action" {
		t.Errorf("confirmation elements = %s (%v)", confirm.Content, err)
	}
}

func TestSendTooLargeCardAsText(t *testing.T) {
	f := newFixture(t)
	text := "标题\n" + strings.Repeat("很长的日报内容\n", 1600) // ~35 KB: a card cannot hold it
	if err := f.c.Send(context.Background(), outbox.Outgoing{ID: 1, To: "ou_m01wang", Markdown: true, Text: text}); err != nil {
		t.Fatal(err)
	}
	if s := f.srv.Sent()[0]; s.MsgType != "text" || s.Text != text {
		t.Errorf("sent %s of %d bytes, want the text", s.MsgType, len(s.Text))
	}
}

func TestSendRefuses(t *testing.T) {
	f := newFixture(t)
	for name, m := range map[string]outbox.Outgoing{
		"empty text":         {ID: 1, To: "ou_r01li", Text: "  "},
		"no recipient":       {ID: 2, Text: "hi"},
		"too long":           {ID: 3, To: "ou_r01li", Text: strings.Repeat("x", feishu.MaxTextBytes+1)},
		"button without key": {ID: 4, To: "ou_r01li", Text: "q", Buttons: []outbox.Button{{Text: "a"}}},
		"button key twice":   {ID: 5, To: "ou_r01li", Text: "q", Buttons: []outbox.Button{{Text: "a", Key: "1"}, {Text: "b", Key: "1"}}},
	} {
		se := sendErr(t, f.c.Send(context.Background(), m))
		if !se.Permanent || se.Code != 0 {
			t.Errorf("%s: %+v, want a permanent refusal of ours", name, se)
		}
	}
	if n := f.srv.Calls(); n != 0 {
		t.Errorf("%d calls reached Feishu", n)
	}
}

func TestSendUUIDDedup(t *testing.T) {
	f := newFixture(t)
	m := outbox.Outgoing{ID: 11, To: "ou_r01li", Text: "一次"}
	for range 2 {
		if err := f.c.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.srv.Sent()) != 1 || f.srv.Duplicates() != 1 {
		t.Errorf("sent %d, duplicates %d; want 1 and 1", len(f.srv.Sent()), f.srv.Duplicates())
	}
}

// TestTokenShared: two clients (two replicas) on one store fetch one token.
func TestTokenShared(t *testing.T) {
	mr := miniredis.RunT(t)
	ctx := context.Background()
	st, err := state.NewRedis(ctx, "redis://"+mr.Addr(), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{srv: feishutest.NewServer(t, appID, testSecret), st: st, log: &logBuffer{}}
	a, b := f.client(t, st, testSecret), f.client(t, st, testSecret)
	for i, c := range []*feishu.Client{a, b, a, b} {
		if err := c.Send(ctx, outbox.Outgoing{ID: int64(i + 1), To: "ou_r01li", Text: "hi"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.srv.TokenFetches(); n != 1 {
		t.Errorf("TokenFetches = %d, want 1", n)
	}
	if !mr.Exists("test:" + tokenKey) {
		t.Errorf("no token under test:%s; keys %v", tokenKey, mr.Keys())
	}
	if ttl := mr.TTL("test:" + tokenKey); ttl != 7200*time.Second-3*time.Minute {
		t.Errorf("token TTL = %v, want expire-3 min", ttl)
	}
}

// TestTokenConcurrent: many sends on a cold cache fetch one token: the
// refresh lock holds the others back.
func TestTokenConcurrent(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := f.c.Send(context.Background(), outbox.Outgoing{ID: int64(100 + i), To: "ou_r01li", Text: "hi"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := f.srv.TokenFetches(); n != 1 {
		t.Errorf("TokenFetches = %d, want 1", n)
	}
	if n := len(f.srv.Sent()); n != 20 {
		t.Errorf("sent %d, want 20", n)
	}
}

// TestTokenInvalid: Feishu refuses the cached token (99991663); it is
// evicted, a new one fetched, and the send retried once.
func TestTokenInvalid(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.c.Send(ctx, outbox.Outgoing{ID: 1, To: "ou_r01li", Text: "一"}); err != nil {
		t.Fatal(err)
	}
	old := f.cachedToken(t)
	f.srv.ExpireTokens()
	calls := f.srv.Calls()
	if err := f.c.Send(ctx, outbox.Outgoing{ID: 2, To: "ou_r01li", Text: "二"}); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.TokenFetches(); n != 2 {
		t.Errorf("TokenFetches = %d, want 2", n)
	}
	// The SDK retries once with the stale token itself (pitfall 5); then ours.
	if n := f.srv.Calls() - calls; n != 3 {
		t.Errorf("%d calls for the send, want 3 (stale, stale, fresh)", n)
	}
	if tok := f.cachedToken(t); tok == old {
		t.Error("the refused token is still cached")
	}
	if len(f.srv.Sent()) != 2 {
		t.Errorf("sent %d, want 2", len(f.srv.Sent()))
	}
	// A token refused twice in a row is a temporary failure, not a loop.
	f.srv.FailNext(99991663, 4)
	se := sendErr(t, f.c.Send(ctx, outbox.Outgoing{ID: 3, To: "ou_r01li", Text: "三"}))
	if se.Permanent || se.Code != 99991663 {
		t.Errorf("SendError = %+v, want temporary 99991663", se)
	}
}

// TestTokenAnotherReplicaHoldsLock: while another replica refreshes, a send
// waits for its token instead of fetching one.
func TestTokenAnotherReplicaHoldsLock(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if ok, err := f.st.SetNX(ctx, tokenKey+":refresh", []byte("other"), time.Minute); !ok || err != nil {
		t.Fatalf("SetNX: %v %v", ok, err)
	}
	tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := f.c.Send(tctx, outbox.Outgoing{ID: 1, To: "ou_r01li", Text: "hi"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send = %v, want DeadlineExceeded", err)
	}
	if n := f.srv.TokenFetches(); n != 0 {
		t.Errorf("TokenFetches = %d while another holds the lock", n)
	}
}

func TestSendRateLimited(t *testing.T) {
	f := newFixture(t)
	f.srv.RateLimitNext(1, 7)
	se := sendErr(t, f.c.Send(context.Background(), outbox.Outgoing{ID: 1, To: "ou_r01li", Text: "hi"}))
	if se.Permanent || se.Code != 99991400 || se.RetryAfter != 7*time.Second {
		t.Errorf("SendError = %+v, want temporary, RetryAfter 7s", se)
	}
	if len(f.srv.Sent()) != 0 {
		t.Error("delivered while throttled")
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		code       int
		permanent  bool
		retryAfter time.Duration
	}{
		{230002, true, 0}, // bot not in the chat
		{230013, true, 0}, // not in availability
		{230006, true, 0}, // no bot ability
		{230027, true, 0}, // no permission
		{230038, true, 0}, // cross-tenant
		{230035, true, 0}, // denied
		{230020, false, 3 * time.Second},
		{11232, false, 5 * time.Second},
		{1, false, 0}, // unknown: the dispatcher backs off
	}
	for _, tt := range tests {
		f := newFixture(t)
		f.srv.FailNext(tt.code, 1)
		se := sendErr(t, f.c.Send(context.Background(), outbox.Outgoing{ID: 1, To: "ou_r01li", Text: "hi"}))
		if se.Code != tt.code || se.Permanent != tt.permanent || se.RetryAfter != tt.retryAfter {
			t.Errorf("code %d: %+v, want permanent %v, RetryAfter %v", tt.code, se, tt.permanent, tt.retryAfter)
		}
	}
	f := newFixture(t)
	// An open_id Feishu does not know (another app's, a typo).
	se := sendErr(t, f.c.Send(context.Background(), outbox.Outgoing{ID: 1, To: "ou_stranger", Text: "hi"}))
	if !se.Permanent || se.Code != 230001 || !strings.Contains(se.Reason, "receive_id") {
		t.Errorf("unknown user: %+v", se)
	}
	// A gateway answering HTML: temporary, not a SendError.
	f.srv.FailNextHTTP(http.StatusBadGateway, 1)
	err := f.c.Send(context.Background(), outbox.Outgoing{ID: 2, To: "ou_r01li", Text: "hi"})
	var se2 *outbox.SendError
	if err == nil || errors.As(err, &se2) {
		t.Errorf("HTTP 502: %v, want a plain error", err)
	}
}

func TestSendUnreachable(t *testing.T) {
	f := newFixture(t)
	c, err := feishu.NewClient(config.Feishu{AppID: appID, AppSecret: testSecret, APIBase: "http://127.0.0.1:1"}, nil, f.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Send(context.Background(), outbox.Outgoing{ID: 1, To: "ou_r01li", Text: "hi"})
	var se *outbox.SendError
	if err == nil || errors.As(err, &se) || strings.Contains(err.Error(), testSecret) {
		t.Errorf("Send to nowhere = %v, want a plain error without the secret", err)
	}
	// The failed fetch released the refresh lock.
	if _, ok, _ := f.st.Get(context.Background(), tokenKey+":refresh"); ok {
		t.Error("refresh lock left behind")
	}
}

func TestWrongSecret(t *testing.T) {
	f := newFixture(t)
	const wrong = "wrong-secret-7f3a9b"
	c := f.client(t, f.st, wrong)
	se := sendErr(t, c.Send(context.Background(), outbox.Outgoing{ID: 1, To: "ou_r01li", Text: "hi"}))
	if !se.Permanent || se.Code != 10014 {
		t.Errorf("SendError = %+v, want permanent 10014", se)
	}
	err := c.Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), "FEISHU_APP_SECRET") {
		t.Errorf("Check = %v", err)
	}
	for _, s := range []string{se.Error(), err.Error(), f.log.String()} {
		if strings.Contains(s, wrong) || strings.Contains(s, testSecret) {
			t.Errorf("a secret leaked: %s", s)
		}
	}
}

func TestCheck(t *testing.T) {
	f := newFixture(t)
	if err := f.c.Check(context.Background()); err != nil {
		t.Errorf("Check = %v", err)
	}
	// Check proves the secret: it does not use the cache.
	if err := f.c.Check(context.Background()); err != nil || f.srv.TokenFetches() != 2 {
		t.Errorf("Check = %v after %d fetches, want 2", err, f.srv.TokenFetches())
	}
	other, err := feishu.NewClient(config.Feishu{AppID: "cli_nobody", AppSecret: testSecret, APIBase: f.srv.URL()}, nil, f.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "FEISHU_APP_ID") {
		t.Errorf("Check with an unknown app = %v", err)
	}
	nowhere, _ := feishu.NewClient(config.Feishu{AppID: appID, AppSecret: testSecret, APIBase: "http://127.0.0.1:1"}, nil, f.st, nil)
	if err := nowhere.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "FEISHU_API_BASE") {
		t.Errorf("Check against nothing = %v", err)
	}
}

func TestLogsHideTokenAndSecret(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.c.Send(ctx, outbox.Outgoing{ID: 1, To: "ou_r01li", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	tok := f.cachedToken(t)
	f.srv.ExpireTokens()
	if err := f.c.Send(ctx, outbox.Outgoing{ID: 2, To: "ou_r01li", Text: "y"}); err != nil {
		t.Fatal(err)
	}
	logs := f.log.String()
	if !strings.Contains(logs, "refreshing") {
		t.Errorf("no log of the refresh: %s", logs)
	}
	if strings.Contains(logs, testSecret) || strings.Contains(logs, tok) || strings.Contains(logs, "t-") && strings.Contains(logs, "Bearer") {
		t.Errorf("log holds a secret or token: %s", logs)
	}
}

func TestNewClientChecks(t *testing.T) {
	st := state.NewMemory("test", nil)
	for name, cfg := range map[string]config.Feishu{
		"no app ID": {AppSecret: "s"},
		"no secret": {AppID: appID},
		"bad base":  {AppID: appID, AppSecret: "s", APIBase: "ftp://x"},
		"no scheme": {AppID: appID, AppSecret: "s", APIBase: "open.feishu.cn"},
	} {
		if _, err := feishu.NewClient(cfg, nil, st, nil); err == nil {
			t.Errorf("%s: NewClient succeeded", name)
		}
	}
	if _, err := feishu.NewClient(config.Feishu{AppID: appID, AppSecret: "s"}, nil, nil, nil); err == nil {
		t.Error("nil store: NewClient succeeded")
	}
}

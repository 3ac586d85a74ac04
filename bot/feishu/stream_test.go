package feishu_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"channelbot/bot/feishu"
	"channelbot/bot/feishu/feishutest"
	"channelbot/config"
)

// recorder is a feishu.Handler that keeps what it is given.
type recorder struct {
	mu       sync.Mutex
	messages []*feishu.Message
	clicks   []*feishu.CardAction
	fail     error
}

func (r *recorder) HandleMessage(_ context.Context, m *feishu.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.messages = append(r.messages, m)
	return nil
}

func (r *recorder) HandleCardAction(_ context.Context, a *feishu.CardAction) (*feishu.CardAnswer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clicks = append(r.clicks, a)
	return &feishu.CardAnswer{Toast: "已选择：" + a.Key, ToastType: "success", Card: feishu.AnsweredCard("问题\n正文", false, a.Key)}, nil
}

func (r *recorder) count() (int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.messages), len(r.clicks)
}

// eventually waits up to 10 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startStream(t *testing.T, srv *feishutest.Server, h feishu.Handler, log *logBuffer) (*feishu.Stream, func()) {
	t.Helper()
	s, err := feishu.NewStream(config.Feishu{AppID: appID, AppSecret: testSecret, APIBase: srv.URL(), Mode: config.FeishuModeWebsocket}, h,
		slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	s.MinBackoff, s.MaxBackoff = 10*time.Millisecond, 50*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		_ = s.Run(ctx)
		close(done)
	}()
	stop := func() {
		cancel()
		select {
		case <-done:
		case <-time.After(time.Second):
			t.Error("Run did not return after its context ended")
		}
	}
	t.Cleanup(stop)
	return s, stop
}

// TestStream: events and clicks over the long connection reach the handler;
// Ping follows the connection; a drop is reconnected; Run returns at once.
func TestStream(t *testing.T) {
	srv := feishutest.NewServer(t, appID, testSecret)
	h := &recorder{}
	log := &logBuffer{}
	s, stop := startStream(t, srv, h, log)
	ctx := context.Background()
	eventually(t, "the connection", func() bool { return s.Ping(ctx) == nil })

	msg := feishutest.Msg{AppID: appID, From: "ou_r01li", Content: feishutest.Text("盘点 张老板 苹果汁 120")}
	code, _, err := srv.PushEvent(ctx, msg.JSON())
	if err != nil || code != 200 {
		t.Fatalf("push message: %d, %v", code, err)
	}
	if n, _ := h.count(); n != 1 || h.messages[0].Text != "盘点 张老板 苹果汁 120" || h.messages[0].MessageID != msg.MessageID {
		t.Fatalf("handler got %+v", h.messages)
	}
	click := feishutest.Click{AppID: appID, Operator: "ou_r01li", MessageID: "om_card", Value: map[string]string{"key": "确认", "outbox": "5"}}
	code, data, err := srv.PushEvent(ctx, click.JSON())
	if err != nil || code != 200 {
		t.Fatalf("push click: %d, %v", code, err)
	}
	var ans struct {
		Toast struct{ Content string } `json:"toast"`
		Card  struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		} `json:"card"`
	}
	if err := json.Unmarshal(data, &ans); err != nil || ans.Toast.Content != "已选择：确认" || ans.Card.Type != "raw" || !strings.Contains(string(ans.Card.Data), "已选择：确认") {
		t.Errorf("click answer = %s (%v)", data, err)
	}
	if _, n := h.count(); n != 1 || h.clicks[0].Outbox != 5 || h.clicks[0].OpenMessageID != "om_card" {
		t.Errorf("handler got clicks %+v", h.clicks)
	}
	// Another app's event is dropped, and acknowledged.
	other := feishutest.Msg{AppID: otherApp, From: "ou_r01li", Content: feishutest.Text("x")}
	if code, _, err := srv.PushEvent(ctx, other.JSON()); err != nil || code != 200 {
		t.Errorf("push other app: %d %v", code, err)
	}
	// A handler failure makes Feishu push again: the SDK answers 500.
	h.mu.Lock()
	h.fail = errors.New("database down")
	h.mu.Unlock()
	if code, _, err := srv.PushEvent(ctx, (&feishutest.Msg{AppID: appID, From: "ou_r01li", Content: feishutest.Text("y")}).JSON()); err != nil || code != 500 {
		t.Errorf("push while failing: %d %v, want 500", code, err)
	}
	h.mu.Lock()
	h.fail = nil
	h.mu.Unlock()

	// The network drops the connection and Feishu is busy for a while: not
	// ready until the SDK reconnects.
	srv.RefuseStreams(1)
	srv.DropStreams()
	eventually(t, "the drop to show", func() bool { return s.Ping(ctx) != nil })
	eventually(t, "a refused reconnection", func() bool { return srv.EndpointCalls() >= 2 })
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping = nil while Feishu refuses")
	}
	srv.RefuseStreams(0)
	eventually(t, "the reconnection", func() bool { return s.Ping(ctx) == nil && srv.Streams() == 1 })
	if n, _ := h.count(); n != 1 {
		t.Errorf("handler got %d messages, want 1", n)
	}

	stop()
	if err := s.Ping(ctx); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("Ping after stop = %v", err)
	}
	// The SDK's connection outlives Run; what still arrives is refused.
	if code, _, err := srv.PushEvent(ctx, (&feishutest.Msg{AppID: appID, From: "ou_r01li", Content: feishutest.Text("z")}).JSON()); err == nil && code != 500 {
		t.Errorf("push after stop: %d, want 500", code)
	}
	logs := log.String()
	for _, leak := range []string{testSecret, "secret-ticket"} {
		if strings.Contains(logs, leak) {
			t.Errorf("log holds %q", leak)
		}
	}
}

// TestStreamRefused: the endpoint refuses the app; the stream is not ready,
// keeps trying with backoff, and stops at once.
func TestStreamRefused(t *testing.T) {
	for _, code := range []int{403, 1} {
		srv := feishutest.NewServer(t, appID, testSecret)
		srv.RefuseStreams(code)
		s, stop := startStream(t, srv, &recorder{}, &logBuffer{})
		eventually(t, "a refusal", func() bool { return srv.EndpointCalls() >= 1 })
		if code == 403 {
			eventually(t, "a retry", func() bool { return srv.EndpointCalls() >= 3 })
		}
		if err := s.Ping(context.Background()); err == nil {
			t.Errorf("code %d: Ping = nil while refused", code)
		}
		start := time.Now()
		stop()
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("code %d: stop took %v", code, d)
		}
	}
}

func TestNewStreamChecks(t *testing.T) {
	if _, err := feishu.NewStream(config.Feishu{AppID: appID}, &recorder{}, nil); err == nil {
		t.Error("no secret: NewStream succeeded")
	}
	if _, err := feishu.NewStream(config.Feishu{AppID: appID, AppSecret: "s"}, nil, nil); err == nil {
		t.Error("nil handler: NewStream succeeded")
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"channelbot/bot/feishu"
	"channelbot/bot/feishu/feishutest"
	"channelbot/models"
)

// A Feishu app for the tests.
const (
	fAppID  = "cli_e2e0000000000001"
	fSecret = "feishu-app-secret-for-tests-9x"
	fToken  = "feishu-verification-token-3k"
	fKey    = "feishu-encrypt-key-7q"
)

// lockedBuffer is a bytes.Buffer safe to write from the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// feishuBot is `channelbot serve` running in-process against a fake Feishu.
type feishuBot struct {
	t      *testing.T
	fake   *feishutest.Server
	db     string
	addr   string
	key    string // FEISHU_ENCRYPT_KEY
	stop   func() time.Duration
	errOut *lockedBuffer
}

func startFeishuBot(t *testing.T, fake *feishutest.Server, db string, kv ...string) *feishuBot {
	t.Helper()
	f := &feishuBot{t: t, fake: fake, db: db, addr: freeAddr(t), key: fKey, errOut: &lockedBuffer{}}
	vars := []string{
		"LISTEN_ADDR", f.addr,
		"FEISHU_APP_ID", fAppID, "FEISHU_APP_SECRET", fSecret, "FEISHU_VERIFICATION_TOKEN", fToken,
		"FEISHU_ENCRYPT_KEY", fKey, "FEISHU_API_BASE", fake.URL(),
	}
	for i := 0; i+1 < len(kv); i += 2 {
		vars = append(vars, kv[i], kv[i+1])
		if kv[i] == "FEISHU_ENCRYPT_KEY" {
			f.key = kv[i+1]
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--db", db}, env(vars...), strings.NewReader(""), io.Discard, f.errOut)
	}()
	stopped := false
	f.stop = func() time.Duration {
		if stopped {
			return 0
		}
		stopped = true
		start := time.Now()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v\n%s", err, f.errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
		return time.Since(start)
	}
	t.Cleanup(func() { f.stop() })
	for range 200 {
		if resp, err := http.Get("http://" + f.addr + "/healthz"); err == nil {
			resp.Body.Close()
			return f
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v\n%s", err, f.errOut.String())
		case <-time.After(25 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start:\n%s", f.errOut.String())
	return nil
}

// post sends a plaintext event as Feishu would (encrypted and signed when the
// bot has an Encrypt Key) to path and returns the status and body.
func (f *feishuBot) post(path string, plain []byte) (int, string) {
	f.t.Helper()
	req := feishutest.Request(f.t, "http://"+f.addr+path, plain, f.key)
	req.RequestURI = ""
	return f.do(req)
}

func (f *feishuBot) do(req *http.Request) (int, string) {
	f.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (f *feishuBot) get(path string) (int, string) {
	f.t.Helper()
	resp, err := http.Get("http://" + f.addr + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitSent waits until the fake has accepted n messages and returns them.
func (f *feishuBot) waitSent(n int) []feishutest.Sent {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if s := f.fake.Sent(); len(s) >= n {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.t.Fatalf("fake Feishu got %d messages, want %d: %+v\n%s", len(f.fake.Sent()), n, f.fake.Sent(), f.errOut.String())
	return nil
}

func (f *feishuBot) reports(user string) int {
	f.t.Helper()
	s, err := models.Open(context.Background(), "sqlite", f.db, nil, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	defer s.Close()
	rs, err := s.ReportsOf(context.Background(), user)
	if err != nil {
		f.t.Fatal(err)
	}
	return len(rs)
}

func textFrom(openID, text string) *feishutest.Msg {
	return &feishutest.Msg{AppID: fAppID, Token: fToken, From: openID, Content: feishutest.Text(text)}
}

func newFeishuFake(t *testing.T) *feishutest.Server {
	fake := feishutest.NewServer(t, fAppID, fSecret)
	fake.SetUsers("ou_r01li", "ou_r02zhao", "ou_m01wang", "ou_admin01", "ou_stranger")
	return fake
}

// TestFeishuEndToEnd: an encrypted, signed count from a known rep becomes one
// record and one reply; a re-push under a new event_id changes nothing; forged
// requests are refused; groups are answered only when the bot is @-mentioned,
// by a reply quoting the message.
func TestFeishuEndToEnd(t *testing.T) {
	fake := newFeishuFake(t)
	f := startFeishuBot(t, fake, filepath.Join(t.TempDir(), "feishu.db"))

	// Saving the request URL: the challenge comes back at once.
	if code, body := f.post("/feishu/events", feishutest.Challenge(fToken, "ajls384kdjx98XX")); code != 200 || !strings.Contains(body, `"challenge":"ajls384kdjx98XX"`) {
		t.Fatalf("url_verification = %d %s", code, body)
	}

	msg := textFrom("ou_r01li", "盘点 张老板 苹果汁 120")
	if code, body := f.post("/feishu/events", msg.JSON()); code != 200 {
		t.Fatalf("event = %d %s", code, body)
	}
	sent := f.waitSent(1)
	if s := sent[0]; s.ReceiveIDType != "open_id" || s.To != "ou_r01li" || s.ReplyTo != "" || !strings.Contains(s.Text, "本存 120箱") || s.UUID == "" {
		t.Fatalf("reply = %+v", s)
	}
	// Feishu pushes the same message again under a new event_id.
	again := *msg
	again.EventID = ""
	for range 2 {
		if code, _ := f.post("/feishu/events", again.JSON()); code != 200 {
			t.Fatalf("re-push answered %d", code)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(fake.Sent()); n != 1 {
		t.Errorf("%d replies after re-pushes, want 1", n)
	}
	if n := f.reports("R01"); n != 1 {
		t.Errorf("%d reports after re-pushes, want 1", n)
	}

	// A forged signature: 4xx, nothing stored.
	forged := feishutest.Request(t, "http://"+f.addr+"/feishu/events", textFrom("ou_r01li", "盘点 张老板 苹果汁 5").JSON(), fKey)
	forged.RequestURI = ""
	forged.Header.Set(feishu.HeaderSignature, strings.Repeat("0", 64))
	if code, _ := f.do(forged); code < 400 || code > 499 {
		t.Errorf("forged signature answered %d, want 4xx", code)
	}
	// Right signature, wrong key inside: also refused.
	req := feishutest.Request(t, "http://"+f.addr+"/feishu/events", textFrom("ou_r01li", "盘点 张老板 苹果汁 6").JSON(), "another app's key")
	req.RequestURI = ""
	if code, _ := f.do(req); code < 400 || code > 499 {
		t.Errorf("another key answered %d, want 4xx", code)
	}
	time.Sleep(200 * time.Millisecond)
	if n := f.reports("R01"); n != 1 {
		t.Errorf("%d reports after forged requests, want 1", n)
	}

	// A group message without @: ignored. With @: a reply quoting it.
	g := textFrom("ou_r01li", "盘点 张老板 苹果汁 7")
	g.ChatType, g.ChatID = "group", "oc_team"
	f.post("/feishu/events", g.JSON())
	g2 := textFrom("ou_r01li", "@_user_1 进货 张老板 苹果汁 10")
	g2.ChatType, g2.ChatID = "group", "oc_team"
	g2.Mentions = []feishutest.Mention{{Key: "@_user_1", OpenID: "ou_bot", Name: "渠道助手"}}
	g2.MessageID = feishutest.NewID("om_")
	fake.AddMessage(g2.MessageID, "oc_team")
	f.post("/feishu/events", g2.JSON())
	sent = f.waitSent(2)
	if s := sent[1]; s.ReplyTo != g2.MessageID || s.To != "oc_team" || !strings.Contains(s.Text, "进货已记录") {
		t.Errorf("group reply = %+v", s)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(fake.Sent()); n != 2 {
		t.Errorf("%d messages sent, want 2 (the group message without @ is ignored)", n)
	}

	// A price violation reaches the manager on Feishu, as a red card.
	f.post("/feishu/events", textFrom("ou_r02zhao", "砸价 王记批发 苹果汁 37.5").JSON())
	sent = f.waitSent(4)
	var toManager bool
	for _, s := range sent[2:] {
		toManager = toManager || s.To == "ou_m01wang" && strings.Contains(s.Text+s.Title, "乱价")
	}
	if !toManager {
		t.Errorf("no 乱价 notice to the manager: %+v", sent[2:])
	}

	_, metrics := f.get("/metrics")
	for _, want := range []string{
		`channelbot_messages_received_total{platform="feishu"} 3`,
		`channelbot_messages_duplicate_total{platform="feishu"} 2`,
		`channelbot_messages_rejected_total{platform="feishu",reason="signature"} 2`,
		`channelbot_sends_total{platform="feishu",result="sent"} 4`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(f.errOut.String(), fSecret) {
		t.Error("the log holds the app secret")
	}
}

// TestFeishuCardClick: a confirmation comes as a card; a click on 确认 completes
// it like the typed word, and the click's answer shows the choice.
func TestFeishuCardClick(t *testing.T) {
	fake := newFeishuFake(t)
	// The two counts come seconds apart: with no correction window the second is
	// a new count, an implausible one.
	f := startFeishuBot(t, fake, filepath.Join(t.TempDir(), "feishu.db"), "BOT_CORRECTION_WINDOW", "0")
	f.post("/feishu/events", textFrom("ou_r01li", "盘点 张老板 苹果汁 10").JSON())
	f.waitSent(1)
	f.post("/feishu/events", textFrom("ou_r01li", "盘点 张老板 苹果汁 99").JSON())
	q := f.waitSent(2)[1]
	if q.MsgType != "interactive" || len(q.Buttons) != 2 || q.Buttons[0].Key() != "确认" || q.Buttons[0].Value["outbox"] == "" {
		t.Fatalf("question = %+v, want a card with 确认/取消", q)
	}
	if n := f.reports("R01"); n != 1 {
		t.Fatalf("%d reports before the click, want 1", n)
	}
	click := &feishutest.Click{AppID: fAppID, Token: fToken, Operator: "ou_r01li", MessageID: q.MessageID, ChatID: q.To, Value: q.Buttons[0].Value}
	code, body := f.post("/feishu/cards", click.JSON())
	if code != 200 {
		t.Fatalf("click = %d %s", code, body)
	}
	var ans struct {
		Toast struct{ Content string } `json:"toast"`
		Card  struct {
			Type string `json:"type"`
			Data struct {
				Header struct {
					Title struct{ Content string } `json:"title"`
				} `json:"header"`
				Elements []struct {
					Tag  string `json:"tag"`
					Text struct{ Content string }
				} `json:"elements"`
			} `json:"data"`
		} `json:"card"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil {
		t.Fatal(err)
	}
	els := ans.Card.Data.Elements
	if ans.Card.Type != "raw" || ans.Card.Data.Header.Title.Content != q.Title || len(els) == 0 ||
		els[len(els)-1].Text.Content != "已选择：确认" || strings.Contains(body, `"action"`) {
		t.Errorf("click answer = %s", body)
	}
	done := f.waitSent(3)[2]
	if done.To != "ou_r01li" || !strings.Contains(done.Text, "盘点已记录") {
		t.Errorf("after the click: %+v", done)
	}
	if n := f.reports("R01"); n != 2 {
		t.Errorf("%d reports after the click, want 2", n)
	}
	// Feishu pushes the click again: nothing new.
	f.post("/feishu/cards", click.JSON())
	time.Sleep(300 * time.Millisecond)
	if n := len(fake.Sent()); n != 3 {
		t.Errorf("%d messages after a re-pushed click, want 3", n)
	}
}

// TestFeishuRateLimited: Feishu answers 429 with x-ogw-ratelimit-reset; the reply
// is delivered after the wait.
func TestFeishuRateLimited(t *testing.T) {
	fake := newFeishuFake(t)
	f := startFeishuBot(t, fake, filepath.Join(t.TempDir(), "feishu.db"))
	fake.RateLimitNext(1, 2)
	start := time.Now()
	f.post("/feishu/events", textFrom("ou_r01li", "盘点 张老板 苹果汁 60").JSON())
	s := f.waitSent(1)[0]
	if wait := s.At.Sub(start); wait < 1900*time.Millisecond {
		t.Errorf("delivered %v after the 429, want after the 2 s reset", wait)
	}
	if !strings.Contains(s.Text, "本存 60箱") || fake.Calls() != 2 {
		t.Errorf("sent %+v after %d calls, want 2", s, fake.Calls())
	}
}

// TestFeishuWebhookWithoutEncryptKey: with only a Verification Token, a wrong
// token is refused on every event, not only on url_verification.
func TestFeishuWebhookWithoutEncryptKey(t *testing.T) {
	fake := newFeishuFake(t)
	f := startFeishuBot(t, fake, filepath.Join(t.TempDir(), "feishu.db"), "FEISHU_ENCRYPT_KEY", "")
	wrong := textFrom("ou_r01li", "盘点 张老板 苹果汁 3")
	wrong.Token = "WRONG"
	if code, _ := f.post("/feishu/events", wrong.JSON()); code != http.StatusUnauthorized {
		t.Errorf("wrong token answered %d, want 401", code)
	}
	if code, _ := f.post("/feishu/events", textFrom("ou_r01li", "盘点 张老板 苹果汁 3").JSON()); code != 200 {
		t.Errorf("right token answered %d", code)
	}
	if s := f.waitSent(1)[0]; !strings.Contains(s.Text, "本存 3箱") {
		t.Errorf("reply = %+v", s)
	}
}

// TestFeishuWebsocket: in websocket mode serve holds the long connection; events
// pushed over it are answered; /readyz follows the connection; shutdown does not
// wait for the SDK.
func TestFeishuWebsocket(t *testing.T) {
	skipSDKRace(t)
	fake := newFeishuFake(t)
	f := startFeishuBot(t, fake, filepath.Join(t.TempDir(), "feishu.db"),
		"FEISHU_MODE", "websocket", "FEISHU_VERIFICATION_TOKEN", "", "FEISHU_ENCRYPT_KEY", "")
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := f.get("/readyz")
		if code == 200 && strings.Contains(body, "feishu: ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %q, want feishu: ok", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// No request URL in websocket mode.
	if code, _ := f.post("/feishu/events", feishutest.Challenge(fToken, "c")); code != http.StatusNotFound {
		t.Errorf("/feishu/events = %d in websocket mode, want 404", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code, _, err := fake.PushEvent(ctx, textFrom("ou_r01li", "盘点 张老板 苹果汁 80").JSON())
	if err != nil || code != 200 {
		t.Fatalf("push = %d, %v", code, err)
	}
	if s := f.waitSent(1)[0]; s.To != "ou_r01li" || !strings.Contains(s.Text, "本存 80箱") {
		t.Errorf("reply = %+v", s)
	}
	if d := f.stop(); d > 5*time.Second {
		t.Errorf("shutdown took %v", d)
	}
}

// TestFeishuWebsocketRefused: the endpoint refuses the long connection: serve
// runs, /readyz says not ready, and shutdown does not hang.
func TestFeishuWebsocketRefused(t *testing.T) {
	skipSDKRace(t)
	for _, refusal := range []int{1, 403} { // busy: the SDK retries; forbidden: it gives up, we retry
		t.Run(strconv.Itoa(refusal), func(t *testing.T) {
			fake := newFeishuFake(t)
			fake.RefuseStreams(refusal)
			f := startFeishuBot(t, fake, filepath.Join(t.TempDir(), "feishu.db"),
				"FEISHU_MODE", "websocket", "FEISHU_VERIFICATION_TOKEN", "", "FEISHU_ENCRYPT_KEY", "")
			deadline := time.Now().Add(5 * time.Second)
			for fake.EndpointCalls() == 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			code, body := f.get("/readyz")
			if code != http.StatusServiceUnavailable || !strings.Contains(body, "feishu: down") || !strings.Contains(body, "database: ok") {
				t.Errorf("/readyz = %d %q, want 503 with feishu: down", code, body)
			}
			if d := f.stop(); d > 5*time.Second {
				t.Errorf("shutdown took %v", d)
			}
		})
	}
}

// TestFeishuDoctor: doctor fetches a token to check Feishu and says what is wrong,
// without the secret.
func TestFeishuDoctor(t *testing.T) {
	fake := newFeishuFake(t)
	db := filepath.Join(t.TempDir(), "d.db")
	// doctor never migrates: the database is made first.
	if err := run(context.Background(), []string{"migrate", "--db", db}, env(), strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	cfg := func(secret, key string) func(string) string {
		return env("FEISHU_APP_ID", fAppID, "FEISHU_APP_SECRET", secret, "FEISHU_VERIFICATION_TOKEN", fToken,
			"FEISHU_ENCRYPT_KEY", key, "FEISHU_API_BASE", fake.URL())
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"doctor", "--db", db}, cfg(fSecret, fKey), strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatalf("doctor with a good config: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "✔ 飞书") || !strings.Contains(out.String(), "加密并验签") {
		t.Errorf("doctor output:\n%s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"doctor", "--db", db}, cfg(fSecret, ""), strings.NewReader(""), &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "FEISHU_ENCRYPT_KEY") {
		t.Errorf("doctor without an encrypt key: %v\n%s", err, out.String())
	}
	out.Reset()
	const wrong = "wrong-feishu-secret-5e1d"
	err := run(context.Background(), []string{"doctor", "--db", db}, cfg(wrong, fKey), strings.NewReader(""), &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "✘ 飞书") || !strings.Contains(out.String(), "FEISHU_APP_SECRET") {
		t.Errorf("doctor with a bad secret: %v\n%s", err, out.String())
	}
	for _, secret := range []string{wrong, fSecret, fKey, fToken} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("doctor printed a secret:\n%s", out.String())
		}
	}
}

// skipSDKRace skips a test of the Feishu long connection under the race detector:
// oapi-sdk-go v3.5.4's ws.Client writes its connection state in disconnect while
// its ping loop reads it (ws/client.go:231 vs :499), a race in the SDK that we
// cannot fix from here and that fires when a connection ends. .ci/run runs these
// tests again without -race.
func skipSDKRace(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("upstream data race in oapi-sdk-go ws.Client; run without -race (.ci/run does)")
	}
}

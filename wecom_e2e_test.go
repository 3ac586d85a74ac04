package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"channelbot/bot/wecom"
	"channelbot/bot/wecom/wecomtest"
	"channelbot/models"
)

// The official sample app's credentials (platforms.md §1.4).
const (
	tCorpID  = "ww1436e0e65a779aee"
	tToken   = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
	tAESKey  = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
	tSecret  = "app-secret-for-tests"
	tAgentID = 1000002
)

// wecomBot is `channelbot serve` running in-process against a fake WeCom API.
type wecomBot struct {
	t      *testing.T
	fake   *wecomtest.Server
	db     string
	addr   string
	crypto wecom.Crypto
	stop   func()
	msgID  atomic.Int64
}

func startWeComBot(t *testing.T, fake *wecomtest.Server, db string) *wecomBot {
	t.Helper()
	return startWeComBotEnv(t, fake, db)
}

// startWeComBotEnv is startWeComBot with more environment variables, as key, value.
func startWeComBotEnv(t *testing.T, fake *wecomtest.Server, db string, more ...string) *wecomBot {
	t.Helper()
	w := &wecomBot{t: t, fake: fake, db: db, addr: freeAddr(t),
		crypto: wecom.Crypto{Token: tToken, AESKey: tAESKey, CorpID: tCorpID}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var errOut bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--db", db}, env(append([]string{
			"LISTEN_ADDR", w.addr,
			"WECOM_CORP_ID", tCorpID, "WECOM_AGENT_ID", fmt.Sprint(tAgentID), "WECOM_SECRET", tSecret,
			"WECOM_TOKEN", tToken, "WECOM_AES_KEY", tAESKey, "WECOM_API_BASE", fake.URL(),
		}, more...)...), strings.NewReader(""), io.Discard, &errOut)
	}()
	w.stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v\n%s", err, errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			w.stop()
		}
	})
	for range 200 {
		if resp, err := http.Get("http://" + w.addr + "/healthz"); err == nil {
			resp.Body.Close()
			return w
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("serve did not start:\n%s", errOut.String())
	return nil
}

// post sends a sealed callback and returns the HTTP status.
func (w *wecomBot) post(sealed []byte) int {
	w.t.Helper()
	req := wecomtest.CallbackRequest(w.t, "http://"+w.addr+"/wecom/callback", sealed)
	req.RequestURI = ""
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK && len(body) != 0 {
		w.t.Errorf("callback answered %q, want an empty body", body)
	}
	return resp.StatusCode
}

// text seals a text message from user with a new MsgId.
func (w *wecomBot) text(user, content string) []byte {
	w.t.Helper()
	id := 7000000 + w.msgID.Add(1)
	xml := fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content>`+
		`<MsgId>%d</MsgId><AgentID>%d</AgentID></xml>`, tCorpID, user, time.Now().Unix(), content, id, tAgentID)
	sealed, err := w.crypto.Seal([]byte(xml), fmt.Sprint(time.Now().Unix()), fmt.Sprint(id))
	if err != nil {
		w.t.Fatal(err)
	}
	return sealed
}

// waitSent waits until the fake has accepted n messages and returns them.
func (w *wecomBot) waitSent(n int) []wecomtest.Sent {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if s := w.fake.Sent(); len(s) >= n {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.t.Fatalf("fake WeCom got %d messages, want %d: %+v", len(w.fake.Sent()), n, w.fake.Sent())
	return nil
}

func (w *wecomBot) reports(user string) int {
	w.t.Helper()
	s, err := models.Open(context.Background(), "sqlite", w.db, nil, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	defer s.Close()
	rs, err := s.ReportsOf(context.Background(), user)
	if err != nil {
		w.t.Fatal(err)
	}
	return len(rs)
}

func newFake(t *testing.T) *wecomtest.Server {
	fake := wecomtest.NewServer(t, tCorpID, tSecret, tAgentID)
	fake.SetUsers("LiMing", "ZhaoQiang", "Stranger", "WangJianHua")
	return fake
}

// TestWeComEndToEnd: an encrypted count from a known rep becomes one record and one
// reply; re-deliveries change nothing; bad callbacks are refused.
func TestWeComEndToEnd(t *testing.T) {
	fake := newFake(t)
	w := startWeComBot(t, fake, filepath.Join(t.TempDir(), "wecom.db"))

	msg := w.text("LiMing", "盘点 张老板 苹果汁 120")
	if code := w.post(msg); code != http.StatusOK {
		t.Fatalf("callback = %d", code)
	}
	sent := w.waitSent(1)
	if sent[0].To != "LiMing" || !strings.Contains(sent[0].Content, "本存 120箱") {
		t.Fatalf("reply = %+v", sent[0])
	}
	// WeCom retries up to three times: still one record and one reply.
	for range 3 {
		if code := w.post(msg); code != http.StatusOK {
			t.Fatalf("retry answered %d, want 200", code)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(fake.Sent()); n != 1 {
		t.Errorf("%d replies after retries, want 1", n)
	}
	if n := w.reports("R01"); n != 1 {
		t.Errorf("%d reports after retries, want 1", n)
	}

	// A forged signature: 4xx, nothing stored.
	forged := bytes.Replace(w.text("LiMing", "盘点 张老板 苹果汁 5"), []byte("<MsgSignature><![CDATA["), []byte("<MsgSignature><![CDATA[0"), 1)
	if code := w.post(forged); code < 400 || code > 499 {
		t.Errorf("forged signature answered %d, want 4xx", code)
	}
	garbage := []byte("<xml><Encrypt>not-base64</Encrypt></xml>")
	req, _ := http.NewRequest(http.MethodPost, "http://"+w.addr+"/wecom/callback?msg_signature=x&timestamp=1&nonce=2", bytes.NewReader(garbage))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode < 400 || resp.StatusCode > 499 {
		t.Errorf("garbage callback: %v %v", err, resp)
	}
	time.Sleep(200 * time.Millisecond)
	if n := w.reports("R01"); n != 1 {
		t.Errorf("%d reports after bad callbacks, want 1", n)
	}

	// An unknown member gets the registration hint, and nothing else.
	w.post(w.text("Stranger", "盘点 张老板 苹果汁 5"))
	sent = w.waitSent(2)
	if sent[1].To != "Stranger" || !strings.Contains(sent[1].Content, "登记") {
		t.Errorf("unknown user got %+v", sent[1])
	}

	// The token expires mid-way: the bot fetches a new one and delivers.
	fetches := fake.TokenFetches()
	fake.ExpireTokens()
	w.post(w.text("LiMing", "进货 张老板 苹果汁 10"))
	sent = w.waitSent(3)
	if !strings.Contains(sent[2].Content, "进货已记录") || fake.TokenFetches() != fetches+1 {
		t.Errorf("after token expiry: %+v, token fetches %d → %d", sent[2], fetches, fake.TokenFetches())
	}

	// A price violation reaches the manager on WeCom.
	w.post(w.text("ZhaoQiang", "砸价 王记批发 苹果汁 37.5"))
	sent = w.waitSent(5)
	var toManager bool
	for _, s := range sent[3:] {
		toManager = toManager || s.To == "WangJianHua" && strings.Contains(s.Content, "乱价")
	}
	if !toManager {
		t.Errorf("no 乱价 notice to the manager: %+v", sent[3:])
	}

	// The URL check answers the decrypted echo.
	echo := fmt.Sprintf("http://%s/wecom/callback?msg_signature=012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb&timestamp=1476416373&nonce=47744683&echostr=%s",
		w.addr, "fsi1xnbH4yQh0%2BPJxcOdhhK6TDXkjMyhEPA7xB2TGz6b%2Bg7xyAbEkRxN%2F3cNXW9qdqjnoVzEtpbhnFyq6SVHyA%3D%3D")
	resp, err := http.Get(echo)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "1288432023552776189" {
		t.Errorf("URL verification = %d %q", resp.StatusCode, body)
	}

	// The fake has the 5th message before the outbox records it as sent: read the
	// metrics until that record is made (or the deadline passes and the test fails).
	var metrics string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err = http.Get("http://" + w.addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		metrics = string(body)
		if strings.Contains(metrics, "channelbot_outbox_depth 0") || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{
		`channelbot_messages_received_total{platform="wecom"} 4`,
		`channelbot_messages_duplicate_total{platform="wecom"} 3`,
		`channelbot_messages_rejected_total{platform="wecom",reason="signature"} 2`,
		`channelbot_sends_total{platform="wecom",result="sent"} 5`,
		`channelbot_messages_processed_total{platform="wecom"} 4`,
		`channelbot_outbox_depth 0`,
		`channelbot_processing_seconds_bucket`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
			for _, l := range strings.Split(metrics, "\n") {
				if strings.HasPrefix(l, "channelbot_") && !strings.Contains(l, "bucket") {
					t.Log(l)
				}
			}
		}
	}
}

// TestDoctor: doctor fetches a token to check WeCom and says what is wrong, without
// the secret.
func TestDoctor(t *testing.T) {
	fake := newFake(t)
	db := filepath.Join(t.TempDir(), "d.db")
	// doctor never migrates: the database is made first.
	if err := run(context.Background(), []string{"migrate", "--db", db}, env(), strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	cfg := func(secret string) func(string) string {
		return env("WECOM_CORP_ID", tCorpID, "WECOM_AGENT_ID", fmt.Sprint(tAgentID), "WECOM_SECRET", secret,
			"WECOM_TOKEN", tToken, "WECOM_AES_KEY", tAESKey, "WECOM_API_BASE", fake.URL())
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"doctor", "--db", db}, cfg(tSecret), strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatalf("doctor with a good config: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "✔ 企业微信") || !strings.Contains(out.String(), "✔ 数据库") {
		t.Errorf("doctor output:\n%s", out.String())
	}
	out.Reset()
	const wrong = "wrong-secret-7f3a"
	err := run(context.Background(), []string{"doctor", "--db", db}, cfg(wrong), strings.NewReader(""), &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "✘ 企业微信") {
		t.Errorf("doctor with a bad secret: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), wrong) {
		t.Errorf("doctor printed the secret:\n%s", out.String())
	}
}

// TestWeComRestartDelivers: replies that could not be sent before a restart are sent
// after it, exactly once; a re-delivery after the restart is still a duplicate.
func TestWeComRestartDelivers(t *testing.T) {
	fake := newFake(t)
	db := filepath.Join(t.TempDir(), "wecom.db")
	w := startWeComBot(t, fake, db)
	fake.FailNext(-1, 1000) // WeCom busy: the reply stays in the outbox
	msg := w.text("LiMing", "盘点 张老板 苹果汁 60")
	w.post(msg)
	time.Sleep(500 * time.Millisecond)
	w.stop()
	if n := len(fake.Sent()); n != 0 {
		t.Fatalf("%d delivered while WeCom was busy", n)
	}
	fake.FailNext(0, 0)
	w2 := startWeComBot(t, fake, db)
	w2.msgID.Store(w.msgID.Load())
	sent := w2.waitSent(1)
	if !strings.Contains(sent[0].Content, "本存 60箱") {
		t.Fatalf("after restart: %+v", sent[0])
	}
	w2.post(msg) // WeCom retries the old message: nothing new
	time.Sleep(2500 * time.Millisecond)
	if n := len(fake.Sent()); n != 1 {
		t.Errorf("%d deliveries, want exactly 1", n)
	}
	if n := w2.reports("R01"); n != 1 {
		t.Errorf("%d reports, want 1", n)
	}
}

// TestWeComLostAnswer: WeCom delivered a reply but its answer never came back; the
// bot retries, and WeCom's duplicate check keeps the member from getting it twice.
func TestWeComLostAnswer(t *testing.T) {
	fake := newFake(t)
	w := startWeComBot(t, fake, filepath.Join(t.TempDir(), "wecom.db"))
	fake.LoseNextReplies(1)
	w.post(w.text("LiMing", "盘点 张老板 苹果汁 70"))
	deadline := time.Now().Add(10 * time.Second)
	for fake.Duplicates() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n, d := len(fake.Sent()), fake.Duplicates(); n != 1 || d != 1 {
		t.Fatalf("delivered %d, duplicates caught %d; want 1 and 1 (a retry that WeCom recognised)", n, d)
	}
}

// TestWeComCardClick: a question comes as a card with buttons; a click answers it
// exactly like the typed number.
func TestWeComCardClick(t *testing.T) {
	fake := newFake(t)
	fake.SetUsers("admin01")
	w := startWeComBot(t, fake, filepath.Join(t.TempDir(), "wecom.db"))
	w.post(w.text("admin01", "盘点 张老板 苹果汁 30"))
	sent := w.waitSent(1)
	if sent[0].MsgType != "template_card" || len(sent[0].Buttons) != 3 || sent[0].Buttons[1].Key != "2" ||
		!strings.Contains(sent[0].Buttons[1].Text, "张氏便利店") {
		t.Fatalf("question = %+v, want a card with 1/2/取消 buttons", sent[0])
	}
	click := fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[admin01]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event>`+
		`<EventKey><![CDATA[2]]></EventKey><TaskId><![CDATA[%s]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>`+
		`<ResponseCode><![CDATA[rc1]]></ResponseCode><AgentID>%d</AgentID></xml>`, tCorpID, time.Now().Unix()+1, sent[0].TaskID, tAgentID)
	sealed, err := w.crypto.Seal([]byte(click), fmt.Sprint(time.Now().Unix()), "2")
	if err != nil {
		t.Fatal(err)
	}
	w.post(sealed)
	sent = w.waitSent(2)
	if sent[1].MsgType != "text" || !strings.Contains(sent[1].Content, "张氏便利店") || !strings.Contains(sent[1].Content, "盘点已记录") {
		t.Fatalf("after the click: %+v", sent[1])
	}
	if n := w.reports("A01"); n != 1 {
		t.Errorf("%d reports, want 1", n)
	}
}

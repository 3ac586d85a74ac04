package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"channelbot/bot"
	"channelbot/bot/feishu"
	"channelbot/bot/feishu/feishutest"
	"channelbot/bot/state"
	"channelbot/models"
)

const (
	fsApp   = "cli_a1b2c3d4e5f6"
	fsToken = "vt-4QmZ8rXcWp2LkT9y"
	fsKey   = "ek-Jd83mQx0Pz7Lw2Vb"
)

// countInbox keeps every message handed over.
type countInbox struct {
	mu   sync.Mutex
	msgs []*models.Message
}

func (c *countInbox) LeaseFor() time.Duration { return time.Minute }
func (c *countInbox) Submit(m *models.Message) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
	return true
}

func (c *countInbox) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

func (c *countInbox) last() *models.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.msgs[len(c.msgs)-1]
}

func openStore(tb testing.TB, demo bool) *models.Store {
	tb.Helper()
	ctx := context.Background()
	store, err := models.Open(ctx, "sqlite", filepath.Join(tb.TempDir(), "t.db"), nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	if demo {
		if err := store.LoadDemo(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	return store
}

type feishuFixture struct {
	h     http.Handler
	store *models.Store
	inbox *countInbox
	fs    *Feishu
}

func newFeishuFixture(tb testing.TB, encryptKey string, demo bool) *feishuFixture {
	tb.Helper()
	f := &feishuFixture{store: openStore(tb, demo), inbox: &countInbox{}}
	f.fs = &Feishu{Verifier: feishu.Verifier{AppID: fsApp, VerificationToken: fsToken, EncryptKey: encryptKey},
		Dedup: state.NewMemory("t", nil), Store: f.store, Inbox: f.inbox, Log: slog.New(slog.DiscardHandler)}
	f.h = New(Deps{Feishu: f.fs})
	return f
}

func (f *feishuFixture) post(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func textMsg(from, text string) *feishutest.Msg {
	return &feishutest.Msg{AppID: fsApp, Token: fsToken, From: from, Content: feishutest.Text(text)}
}

// TestFeishuMessages: what the request URL takes, once each, and what it
// ignores.
func TestFeishuMessages(t *testing.T) {
	for _, key := range []string{fsKey, ""} {
		t.Run("encrypt key "+strconv.FormatBool(key != ""), func(t *testing.T) {
			f := newFeishuFixture(t, key, false)
			post := func(m *feishutest.Msg) *httptest.ResponseRecorder {
				return f.post(feishutest.Request(t, "/feishu/events", m.JSON(), key))
			}
			// The URL check is answered at once.
			rec := f.post(feishutest.Request(t, "/feishu/events", feishutest.Challenge(fsToken, "ajls384kdjx98XX"), key))
			if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"challenge":"ajls384kdjx98XX"}` {
				t.Fatalf("url_verification = %d %s", rec.Code, rec.Body)
			}
			m := textMsg("ou_r01li", "盘点 张老板 苹果汁 120")
			if rec := post(m); rec.Code != 200 {
				t.Fatalf("message = %d %s", rec.Code, rec.Body)
			}
			in := bot.FromInbox(f.inbox.last())
			if in.Platform != models.PlatformFeishu || in.From != "ou_r01li" || in.Text != "盘点 张老板 苹果汁 120" || in.MsgID != m.MessageID {
				t.Errorf("stored %+v", in)
			}
			// Feishu pushes it again under a new event_id: acknowledged, not stored.
			again := *m
			again.EventID = ""
			if rec := post(&again); rec.Code != 200 || f.inbox.n() != 1 {
				t.Errorf("re-push: %d, %d messages", rec.Code, f.inbox.n())
			}
			// A group message without @ is ignored; with @ it is taken, to be
			// answered by a reply.
			g := textMsg("ou_r01li", "盘点 张老板 苹果汁 7")
			g.ChatType = "group"
			if rec := post(g); rec.Code != 200 || f.inbox.n() != 1 {
				t.Errorf("group message without @: %d, %d messages", rec.Code, f.inbox.n())
			}
			g2 := textMsg("ou_r01li", "@_user_1 盘点 张老板 苹果汁 7")
			g2.ChatType, g2.Mentions = "group", []feishutest.Mention{{Key: "@_user_1", OpenID: "ou_bot", Name: "渠道助手"}}
			if rec := post(g2); rec.Code != 200 || f.inbox.n() != 2 {
				t.Fatalf("group message with @: %d, %d messages", rec.Code, f.inbox.n())
			}
			if in := bot.FromInbox(f.inbox.last()); in.MsgID != "g:"+g2.MessageID || in.Text != "盘点 张老板 苹果汁 7" {
				t.Errorf("group message stored as %+v", in)
			}
			// A photo is evidence; a sticker is answered as unsupported.
			img := &feishutest.Msg{AppID: fsApp, Token: fsToken, From: "ou_r01li", MsgType: "image", Content: `{"image_key":"img_v2_x"}`}
			post(img)
			if in := bot.FromInbox(f.inbox.last()); in.Kind != bot.KindImage || in.MediaID != "img_v2_x" || !strings.Contains(in.MediaURL, img.MessageID) {
				t.Errorf("image stored as %+v", in)
			}
			st := &feishutest.Msg{AppID: fsApp, Token: fsToken, From: "ou_r01li", MsgType: "sticker", Content: `{"file_key":"f"}`}
			post(st)
			if in := bot.FromInbox(f.inbox.last()); in.Kind != bot.KindUnsupported {
				t.Errorf("sticker stored as %+v", in)
			}
			// Other event types are acknowledged and ignored.
			other := []byte(`{"schema":"2.0","header":{"event_id":"e","event_type":"im.chat.member.bot.added_v1","token":"` + fsToken + `","app_id":"` + fsApp + `"},"event":{}}`)
			if rec := f.post(feishutest.Request(t, "/feishu/events", other, key)); rec.Code != 200 || f.inbox.n() != 4 {
				t.Errorf("other event: %d, %d messages", rec.Code, f.inbox.n())
			}
		})
	}
}

// TestFeishuRejects: every kind of bad request gets a 4xx and stores nothing.
func TestFeishuRejects(t *testing.T) {
	enc := newFeishuFixture(t, fsKey, false)
	plain := newFeishuFixture(t, "", false)
	good := textMsg("ou_r01li", "盘点 张老板 苹果汁 1").JSON()
	signedAt := func(at time.Time) *http.Request {
		body := feishutest.Body(t, good, fsKey)
		r := httptest.NewRequest(http.MethodPost, "/feishu/events", strings.NewReader(string(body)))
		feishutest.Sign(r.Header, body, fsKey, at)
		return r
	}
	tests := []struct {
		name string
		f    *feishuFixture
		req  *http.Request
		want int
	}{
		{"bad signature", enc, func() *http.Request {
			r := feishutest.Request(t, "/feishu/events", good, fsKey)
			r.Header.Set(feishu.HeaderSignature, strings.Repeat("ab", 32))
			return r
		}(), 401},
		{"missing headers", enc, func() *http.Request {
			r := feishutest.Request(t, "/feishu/events", good, fsKey)
			r.Header.Del(feishu.HeaderSignature)
			r.Header.Del(feishu.HeaderTimestamp)
			r.Header.Del(feishu.HeaderNonce)
			return r
		}(), 401},
		{"stale timestamp", enc, signedAt(time.Now().Add(-10 * time.Minute)), 401},
		{"wrong token without encrypt key", plain, feishutest.Request(t, "/feishu/events",
			(&feishutest.Msg{AppID: fsApp, Token: "WRONG", From: "ou_r01li", Content: feishutest.Text("x")}).JSON(), ""), 401},
		{"bad ciphertext", enc, func() *http.Request {
			body := []byte(`{"encrypt":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`)
			r := httptest.NewRequest(http.MethodPost, "/feishu/events", strings.NewReader(string(body)))
			feishutest.Sign(r.Header, body, fsKey, time.Now())
			return r
		}(), 400},
		{"wrong app", enc, feishutest.Request(t, "/feishu/events",
			(&feishutest.Msg{AppID: "cli_other", Token: fsToken, From: "ou_r01li", Content: feishutest.Text("x")}).JSON(), fsKey), 403},
		{"malformed message", plain, feishutest.Request(t, "/feishu/events",
			(&feishutest.Msg{AppID: fsApp, Token: fsToken, From: "ou_r01li", Content: "not json"}).JSON(), ""), 400},
		{"not JSON", plain, httptest.NewRequest(http.MethodPost, "/feishu/events", strings.NewReader("<xml/>")), 400},
		{"too large", plain, httptest.NewRequest(http.MethodPost, "/feishu/events", strings.NewReader(strings.Repeat(" ", 2<<20))), 413},
		{"card callback, bad signature", enc, func() *http.Request {
			r := feishutest.Request(t, "/feishu/cards", (&feishutest.Click{AppID: fsApp, Token: fsToken, Operator: "ou_r01li", Value: map[string]string{"key": "确认"}}).JSON(), fsKey)
			r.Header.Set(feishu.HeaderNonce, "other")
			return r
		}(), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rec := tt.f.post(tt.req); rec.Code != tt.want {
				t.Errorf("%s answered %d %s, want %d", tt.name, rec.Code, rec.Body, tt.want)
			}
		})
	}
	for _, f := range []*feishuFixture{enc, plain} {
		if n := f.inbox.n(); n != 0 {
			t.Errorf("bad requests queued %d messages", n)
		}
		if peers, _ := f.store.QueuedPeers(context.Background(), 10); len(peers) != 0 {
			t.Errorf("bad requests stored messages of %v", peers)
		}
	}
}

// TestFeishuCardClick: a click on the bot's question is the operator's typed
// answer, once, and the answer shows the choice on the card.
func TestFeishuCardClick(t *testing.T) {
	ctx := context.Background()
	f := newFeishuFixture(t, fsKey, true)
	// No correction window: the second count, a moment later, is implausible.
	b, err := bot.New(ctx, f.store, state.NewMemory("b", nil), nil, time.UTC, bot.WithCorrectionWindow(0))
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"盘点 张老板 苹果汁 10", "盘点 张老板 苹果汁 99"} {
		if rec := f.post(feishutest.Request(t, "/feishu/events", textMsg("ou_r01li", text).JSON(), fsKey)); rec.Code != 200 {
			t.Fatal(rec.Code)
		}
		if _, err := b.Handle(ctx, bot.FromInbox(f.inbox.last())); err != nil {
			t.Fatal(err)
		}
	}
	out, err := f.store.Outbound(ctx, models.Peer{Platform: models.PlatformFeishu, Peer: "ou_r01li"})
	if err != nil || len(out) == 0 || len(out[len(out)-1].Buttons) != 2 {
		t.Fatalf("no confirmation with buttons: %+v %v", out, err)
	}
	question := out[len(out)-1]
	click := &feishutest.Click{AppID: fsApp, Token: fsToken, Operator: "ou_r01li", MessageID: "om_card",
		Value: map[string]string{"key": "确认", "outbox": strconv.FormatInt(question.ID, 10)}}
	rec := f.post(feishutest.Request(t, "/feishu/cards", click.JSON(), fsKey))
	if rec.Code != 200 {
		t.Fatalf("click = %d %s", rec.Code, rec.Body)
	}
	var ans struct {
		Toast struct{ Content string } `json:"toast"`
		Card  struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		} `json:"card"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil || ans.Card.Type != "raw" ||
		!strings.Contains(string(ans.Card.Data), "已选择：确认") || strings.Contains(string(ans.Card.Data), `"action"`) {
		t.Errorf("click answer = %s", rec.Body)
	}
	in := bot.FromInbox(f.inbox.last())
	if in.From != "ou_r01li" || in.Text != "确认" || in.MsgID != "card:"+click.EventID {
		t.Errorf("click stored as %+v", in)
	}
	n := f.inbox.n()
	// Feishu pushes the click again: same answer, not stored twice.
	if rec := f.post(feishutest.Request(t, "/feishu/events", click.JSON(), fsKey)); rec.Code != 200 || f.inbox.n() != n {
		t.Errorf("re-pushed click: %d, %d messages (was %d)", rec.Code, f.inbox.n(), n)
	}
	// Someone else clicks the rep's question: a toast, nothing stored.
	other := *click
	other.EventID, other.Operator = "", "ou_m01wang"
	rec = f.post(feishutest.Request(t, "/feishu/cards", other.JSON(), fsKey))
	if rec.Code != 200 || f.inbox.n() != n || strings.Contains(rec.Body.String(), `"card"`) {
		t.Errorf("someone else's click: %d %s, %d messages", rec.Code, rec.Body, f.inbox.n())
	}
	// A card with no outbox row (older cards): the click still answers.
	bare := &feishutest.Click{AppID: fsApp, Token: fsToken, Operator: "ou_r01li", Value: map[string]string{"key": "取消"}}
	if rec := f.post(feishutest.Request(t, "/feishu/cards", bare.JSON(), fsKey)); rec.Code != 200 || f.inbox.n() != n+1 ||
		!strings.Contains(rec.Body.String(), "已选择：取消") {
		t.Errorf("bare click: %d %s", rec.Code, rec.Body)
	}
}

// FuzzFeishuEvent: whatever arrives at the request URL, signed or not,
// nothing panics and nothing is stored unless the answer is 200.
func FuzzFeishuEvent(f *testing.F) {
	fx := newFeishuFixture(f, fsKey, false)
	now := time.Now()
	for _, plain := range [][]byte{
		textMsg("ou_r01li", "盘点 张老板 苹果汁 1").JSON(),
		(&feishutest.Msg{AppID: fsApp, Token: fsToken, From: "ou_r01li", MsgType: "post",
			Content: `{"title":"t","content":[[{"tag":"text","text":"x"}]]}`}).JSON(),
		(&feishutest.Click{AppID: fsApp, Token: fsToken, Operator: "ou_r01li", Value: map[string]string{"key": "1", "outbox": "1"}}).JSON(),
		feishutest.Challenge(fsToken, "c"),
	} {
		f.Add(feishutest.Body(f, plain, fsKey), true)
		f.Add(plain, false)
	}
	f.Add([]byte(`{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}`), true)
	f.Fuzz(func(t *testing.T, body []byte, sign bool) {
		req := httptest.NewRequest(http.MethodPost, "/feishu/events", strings.NewReader(string(body)))
		if sign {
			feishutest.Sign(req.Header, body, fsKey, now)
		}
		before := fx.inbox.n()
		rec := fx.post(req)
		if rec.Code != 200 && fx.inbox.n() != before {
			t.Fatalf("answered %d but queued a message", rec.Code)
		}
		if rec.Code >= 500 {
			t.Fatalf("answered %d: %s", rec.Code, rec.Body)
		}
	})
}

// BenchmarkFeishuMessage is one text message end to end on SQLite: verify the
// signature, decrypt, parse, dedup, store in the inbox, then process: understand
// it, store the count and queue the reply in the outbox.
func BenchmarkFeishuMessage(b *testing.B) {
	ctx := context.Background()
	fx := newFeishuFixture(b, fsKey, true)
	bt, err := bot.New(ctx, fx.store, state.NewMemory("bench", nil), slog.New(slog.DiscardHandler), time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	type request struct {
		body []byte
		h    http.Header
	}
	reqs := make([]request, b.N)
	for i := range reqs {
		m := textMsg("ou_r01li", fmt.Sprintf("盘点 张老板 苹果汁 %d", 100000-i))
		body := feishutest.Body(b, m.JSON(), fsKey)
		h := http.Header{}
		feishutest.Sign(h, body, fsKey, time.Now())
		reqs[i] = request{body, h}
	}
	peer := models.Peer{Platform: models.PlatformFeishu, Peer: "ou_r01li"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest(http.MethodPost, "/feishu/events", strings.NewReader(string(reqs[i].body)))
		req.Header = reqs[i].h
		rec := httptest.NewRecorder()
		fx.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("event = %d %s", rec.Code, rec.Body)
		}
		// What the inbox worker does with a message handed over.
		last := fx.inbox.last()
		if first, err := fx.store.FirstQueued(ctx, peer); err != nil || first != last.ID {
			b.Fatalf("first queued = %d (%v), want %d", first, err, last.ID)
		}
		if _, err := bt.Handle(ctx, bot.FromInbox(last)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n, _ := fx.store.OutboxDepth(ctx); n != int64(b.N) {
		b.Fatalf("outbox holds %d replies, want %d", n, b.N)
	}
}

// BenchmarkFeishuAck is what happens before Feishu gets its 200: verify the
// signature, decrypt, parse, dedup, store in the inbox and hand over.
func BenchmarkFeishuAck(b *testing.B) {
	fx := newFeishuFixture(b, fsKey, false)
	bodies := make([][]byte, b.N)
	headers := make([]http.Header, b.N)
	for i := range bodies {
		bodies[i] = feishutest.Body(b, textMsg("ou_r01li", "盘点 张老板 苹果汁 120").JSON(), fsKey)
		headers[i] = http.Header{}
		feishutest.Sign(headers[i], bodies[i], fsKey, time.Now())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest(http.MethodPost, "/feishu/events", strings.NewReader(string(bodies[i])))
		req.Header = headers[i]
		rec := httptest.NewRecorder()
		fx.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("event = %d", rec.Code)
		}
	}
}

package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"channelbot/bot"
	"channelbot/bot/state"
	"channelbot/bot/wecom"
	"channelbot/bot/wecom/wecomtest"
	"channelbot/models"
)

var benchCrypto = wecom.Crypto{Token: "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", AESKey: "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", CorpID: "ww1436e0e65a779aee"}

// nopInbox takes messages and does nothing with them.
type nopInbox struct{ last *models.Message }

func (n *nopInbox) LeaseFor() time.Duration       { return time.Minute }
func (n *nopInbox) Submit(m *models.Message) bool { n.last = m; return true }

// sealedText seals a text message from LiMing, dated now.
func sealedText(tb testing.TB, id int, text string) []byte {
	return sealedAt(tb, id, text, time.Now(), time.Now())
}

// sealedAt seals a text message from LiMing created at created, in a callback
// signed with the timestamp signed.
func sealedAt(tb testing.TB, id int, text string, created, signed time.Time) []byte {
	xml := fmt.Sprintf(`<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><FromUserName><![CDATA[LiMing]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content>`+
		`<MsgId>%d</MsgId><AgentID>1000002</AgentID></xml>`, created.Unix(), text, id)
	b, err := benchCrypto.Seal([]byte(xml), fmt.Sprint(signed.Unix()), fmt.Sprint(id))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkWeComMessage is one text message end to end on SQLite: verify, decrypt,
// parse the XML, dedup, store in the inbox, then process: understand it, store the
// count and queue the reply in the outbox.
func BenchmarkWeComMessage(b *testing.B) {
	ctx := context.Background()
	store := openStore(b, true)
	st := state.NewMemory("bench", nil)
	log := slog.New(slog.DiscardHandler)
	bt, err := bot.New(ctx, store, st, log, time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	inbox := &nopInbox{}
	h := New(Deps{WeCom: &WeCom{Crypto: benchCrypto, AgentID: "1000002", Dedup: st, Store: store, Inbox: inbox, Log: log}})
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = sealedText(b, 1000+i, fmt.Sprintf("盘点 张老板 苹果汁 %d", 100000-i))
	}
	peer := models.Peer{Platform: models.PlatformWeCom, Peer: "LiMing"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, wecomtest.CallbackRequest(b, "/wecom/callback", bodies[i]))
		if rec.Code != http.StatusOK {
			b.Fatalf("callback = %d", rec.Code)
		}
		// What the inbox worker does with a message handed over: check it is the
		// sender's oldest, then handle it.
		if first, err := store.FirstQueued(ctx, peer); err != nil || first != inbox.last.ID {
			b.Fatalf("first queued = %d (%v), want %d", first, err, inbox.last.ID)
		}
		if _, err := bt.Handle(ctx, bot.FromInbox(inbox.last)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n, _ := store.OutboxDepth(ctx); n != int64(b.N) {
		b.Fatalf("outbox holds %d replies, want %d", n, b.N)
	}
}

// TestWeComCallbackRejects: every kind of bad callback gets a 4xx and stores nothing.
func TestWeComCallbackRejects(t *testing.T) {
	ctx := context.Background()
	store := openStore(t, false)
	st := state.NewMemory("t", nil)
	h := New(Deps{WeCom: &WeCom{Crypto: benchCrypto, AgentID: "1000002", Dedup: st, Store: store, Inbox: &nopInbox{}, Log: slog.New(slog.DiscardHandler)}})
	good := sealedText(t, 1, "盘点 张老板 苹果汁 1")
	other := wecom.Crypto{Token: benchCrypto.Token, AESKey: benchCrypto.AESKey, CorpID: "wwSomeOtherCorp"}
	wrongCorp, err := other.Seal([]byte(`<xml><ToUserName>x</ToUserName><FromUserName>LiMing</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>9</MsgId></xml>`), "1", "2")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  *http.Request
	}{
		{"bad signature", func() *http.Request {
			r := wecomtest.CallbackRequest(t, "/wecom/callback", good)
			q := r.URL.Query()
			q.Set("msg_signature", "0000000000000000000000000000000000000000")
			r.URL.RawQuery = q.Encode()
			return r
		}()},
		{"wrong corp", wecomtest.CallbackRequest(t, "/wecom/callback", wrongCorp)},
		{"malformed xml", httptest.NewRequest(http.MethodPost, "/wecom/callback?msg_signature=a&timestamp=1&nonce=2", stringsReader("<xml><Encrypt>"))},
		{"too large", httptest.NewRequest(http.MethodPost, "/wecom/callback", stringsReader(string(make([]byte, 100<<10))))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tt.req)
			if rec.Code < 400 || rec.Code > 499 {
				t.Errorf("%s answered %d, want 4xx", tt.name, rec.Code)
			}
		})
	}
	if first, _ := store.FirstQueued(ctx, models.Peer{Platform: models.PlatformWeCom, Peer: "LiMing"}); first != 0 {
		t.Errorf("bad callbacks queued message %d", first)
	}
}

// BenchmarkWeComAck is what happens before WeCom gets its 200: verify, decrypt, parse
// the XML, dedup, store in the inbox and hand over.
func BenchmarkWeComAck(b *testing.B) {
	store := openStore(b, false)
	h := New(Deps{WeCom: &WeCom{Crypto: benchCrypto, AgentID: "1000002", Dedup: state.NewMemory("bench", nil), Store: store,
		Inbox: &nopInbox{}, Log: slog.New(slog.DiscardHandler)}})
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = sealedText(b, 1000+i, "盘点 张老板 苹果汁 120")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, wecomtest.CallbackRequest(b, "/wecom/callback", bodies[i]))
		if rec.Code != http.StatusOK {
			b.Fatalf("callback = %d", rec.Code)
		}
	}
}

// TestWeComCallbackTimeWindow: a callback signed or created outside the window
// (CALLBACK_MAX_SKEW, default ±5 minutes) is refused with a 4xx and nothing is
// stored; one inside it is taken.
func TestWeComCallbackTimeWindow(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name            string
		skew            time.Duration
		created, signed time.Time
		want            int
	}{
		{"signed 3 days ago", 0, now, now.Add(-72 * time.Hour), http.StatusUnauthorized},
		{"signed a year ahead", 0, now, now.AddDate(1, 0, 0), http.StatusUnauthorized},
		{"created 3 days ago", 0, now.Add(-72 * time.Hour), now, http.StatusUnauthorized},
		{"created a year ahead", 0, now.AddDate(1, 0, 0), now, http.StatusUnauthorized},
		{"6 minutes late", 0, now.Add(-6 * time.Minute), now.Add(-6 * time.Minute), http.StatusUnauthorized},
		{"4 minutes late", 0, now.Add(-4 * time.Minute), now.Add(-4 * time.Minute), http.StatusOK},
		{"4 minutes ahead", 0, now.Add(4 * time.Minute), now.Add(4 * time.Minute), http.StatusOK},
		{"2 minutes late, 1 minute window", time.Minute, now.Add(-2 * time.Minute), now.Add(-2 * time.Minute), http.StatusUnauthorized},
		{"2 minutes late, 10 minute window", 10 * time.Minute, now.Add(-2 * time.Minute), now.Add(-2 * time.Minute), http.StatusOK},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := openStore(t, false)
			h := New(Deps{WeCom: &WeCom{Crypto: benchCrypto, AgentID: "1000002", Dedup: state.NewMemory("t", nil), Store: store,
				Inbox: &nopInbox{}, Log: slog.New(slog.DiscardHandler), MaxSkew: tt.skew, Now: func() time.Time { return now }}})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, wecomtest.CallbackRequest(t, "/wecom/callback", sealedAt(t, 500+i, "盘点 张老板 苹果汁 1", tt.created, tt.signed)))
			if rec.Code != tt.want {
				t.Errorf("answered %d, want %d", rec.Code, tt.want)
			}
			first, err := store.FirstQueued(context.Background(), models.Peer{Platform: models.PlatformWeCom, Peer: "LiMing"})
			if err != nil {
				t.Fatal(err)
			}
			if stored := first != 0; stored != (tt.want == http.StatusOK) {
				t.Errorf("stored = %v, want %v", stored, tt.want == http.StatusOK)
			}
		})
	}
}

package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"channelbot/bot/feishu"
	"channelbot/bot/feishu/feishutest"
	"channelbot/bot/state"
	"channelbot/bot/wecom/wecomtest"
	"channelbot/models"
	"channelbot/models/modelstest"
)

// heldStore is a real store whose first insert is held until release is closed
// and then fails, as when the database restarts under a replica mid-insert.
type heldStore struct {
	*models.Store
	started chan struct{} // closed when the first insert begins
	release chan struct{} // close to fail the first insert
	inserts atomic.Int32
}

func newHeldStore(s *models.Store) *heldStore {
	return &heldStore{Store: s, started: make(chan struct{}), release: make(chan struct{})}
}

func (s *heldStore) EnqueueInbound(ctx context.Context, m *models.Message, lease time.Duration) error {
	if s.inserts.Add(1) == 1 {
		close(s.started)
		<-s.release
		return errors.New("models: enqueue inbound: FATAL: terminating connection due to administrator command")
	}
	return s.Store.EnqueueInbound(ctx, m, lease)
}

// intakeCase is one platform's callback path, as a replica with its own handler
// on a store and marks shared with the others.
type intakeCase struct {
	name     string
	platform string
	msgID    string
	// replica returns one replica's handler.
	replica func(store FeishuStore, marks Marker, inbox Inbox, wait time.Duration) http.Handler
	// request returns a fresh copy of the same callback: a platform retry.
	request func(t *testing.T) *http.Request
}

func intakeCases(t *testing.T) []intakeCase {
	fm := textMsg("ou_r01li", "盘点 张老板 苹果汁 120")
	fmJSON := fm.JSON()
	wecomBody := sealedText(t, 424242, "盘点 张老板 苹果汁 120")
	log := slog.New(slog.DiscardHandler)
	return []intakeCase{
		{
			name: "wecom", platform: models.PlatformWeCom, msgID: "msg:424242",
			replica: func(store FeishuStore, marks Marker, inbox Inbox, wait time.Duration) http.Handler {
				return New(Deps{WeCom: &WeCom{Crypto: benchCrypto, AgentID: "1000002", Dedup: marks, Store: store,
					Inbox: inbox, Log: log, DedupWait: wait}})
			},
			request: func(t *testing.T) *http.Request { return wecomtest.CallbackRequest(t, "/wecom/callback", wecomBody) },
		},
		{
			name: "feishu", platform: models.PlatformFeishu, msgID: fm.MessageID,
			replica: func(store FeishuStore, marks Marker, inbox Inbox, wait time.Duration) http.Handler {
				return New(Deps{Feishu: &Feishu{Verifier: feishu.Verifier{AppID: fsApp, VerificationToken: fsToken, EncryptKey: fsKey},
					Dedup: marks, Store: store, Inbox: inbox, Log: log, DedupWait: wait}})
			},
			request: func(t *testing.T) *http.Request { return feishutest.Request(t, "/feishu/events", fmJSON, fsKey) },
		},
	}
}

func serve(h http.Handler, r *http.Request) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec.Code
}

func stored(t *testing.T, s InboxStore, platform, id string) bool {
	t.Helper()
	ok, err := s.MessageSeen(context.Background(), platform, id)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestIntakeRaceAnswersNothingBeforeStored is issue 13 §1, made deterministic:
// replica A takes the dedup mark and its insert is held; the platform's retry
// reaches replica B, which must not answer 200 while no row exists; A's insert
// fails (the database restarted) and A answers 503; the next retry stores the
// message, once. Both platforms, both ways B can end: its wait runs out (503) or
// A lets go while it waits (B stores it).
func TestIntakeRaceAnswersNothingBeforeStored(t *testing.T) {
	for _, tc := range intakeCases(t) {
		t.Run(tc.name+"/wait runs out", func(t *testing.T) {
			store := newHeldStore(openStore(t, false))
			marks := state.NewMemory("t", nil) // Redis, shared by both replicas
			inbox := &countInbox{}
			a := tc.replica(store, marks, inbox, 0)
			b := tc.replica(store, marks, inbox, 100*time.Millisecond)

			codeA := make(chan int, 1)
			go func() { codeA <- serve(a, tc.request(t)) }()
			<-store.started // A holds the mark and is inserting

			if code := serve(b, tc.request(t)); code == http.StatusOK {
				t.Fatalf("retry on B answered 200 while A's insert was in flight (stored: %v)", stored(t, store, tc.platform, tc.msgID))
			} else if code != http.StatusServiceUnavailable {
				t.Errorf("retry on B = %d, want 503", code)
			}
			close(store.release) // A's insert fails
			if code := <-codeA; code != http.StatusServiceUnavailable {
				t.Errorf("A, its insert failed, answered %d, want 503", code)
			}
			if stored(t, store, tc.platform, tc.msgID) || inbox.n() != 0 {
				t.Fatalf("stored after the failed insert: %v, %d handed over", stored(t, store, tc.platform, tc.msgID), inbox.n())
			}
			// The platform retries (it got no 200): stored now, once.
			if code := serve(b, tc.request(t)); code != http.StatusOK {
				t.Fatalf("third delivery = %d, want 200", code)
			}
			if !stored(t, store, tc.platform, tc.msgID) || inbox.n() != 1 {
				t.Fatalf("third delivery: stored %v, %d handed over, want stored once", stored(t, store, tc.platform, tc.msgID), inbox.n())
			}
			// Any later retry, on either replica: 200, nothing more.
			for _, h := range []http.Handler{a, b} {
				if code := serve(h, tc.request(t)); code != http.StatusOK || inbox.n() != 1 {
					t.Errorf("late retry = %d, %d handed over, want 200 and 1", code, inbox.n())
				}
			}
		})

		t.Run(tc.name+"/holder lets go", func(t *testing.T) {
			store := newHeldStore(openStore(t, false))
			marks := state.NewMemory("t", nil)
			inbox := &countInbox{}
			a := tc.replica(store, marks, inbox, 0)
			b := tc.replica(store, marks, inbox, time.Minute) // waits as long as it takes

			codeA, codeB := make(chan int, 1), make(chan int, 1)
			go func() { codeA <- serve(a, tc.request(t)) }()
			<-store.started
			go func() { codeB <- serve(b, tc.request(t)) }()
			select {
			case code := <-codeB:
				t.Fatalf("retry on B answered %d while A's insert was in flight, want it to wait", code)
			case <-time.After(200 * time.Millisecond):
			}
			close(store.release)
			if code := <-codeA; code != http.StatusServiceUnavailable {
				t.Errorf("A answered %d, want 503", code)
			}
			// B saw A let go, took the mark and stored the message itself.
			if code := <-codeB; code != http.StatusOK {
				t.Fatalf("B answered %d, want 200", code)
			}
			if !stored(t, store, tc.platform, tc.msgID) || inbox.n() != 1 {
				t.Fatalf("B answered 200: stored %v, %d handed over", stored(t, store, tc.platform, tc.msgID), inbox.n())
			}
		})
	}
}

// TestIntakeMarkWithoutRow: a dedup mark that outlived its row (the database was
// restored from a backup; Redis kept its marks) does not drop the retry: it is
// stored and answered 200.
func TestIntakeMarkWithoutRow(t *testing.T) {
	for _, tc := range intakeCases(t) {
		for _, mark := range []string{"stored", "1"} { // "1": marks from before this build
			t.Run(tc.name+"/"+mark, func(t *testing.T) {
				store := openStore(t, false)
				marks := state.NewMemory("t", nil)
				key := "dedup:" + tc.platform + ":" + tc.msgID
				if err := marks.Set(t.Context(), key, []byte(mark), time.Hour); err != nil {
					t.Fatal(err)
				}
				inbox := &countInbox{}
				h := tc.replica(store, marks, inbox, 0)
				if code := serve(h, tc.request(t)); code != http.StatusOK {
					t.Fatalf("retry = %d, want 200", code)
				}
				if !stored(t, store, tc.platform, tc.msgID) || inbox.n() != 1 {
					t.Fatalf("retry with a stale mark: stored %v, %d handed over", stored(t, store, tc.platform, tc.msgID), inbox.n())
				}
				if code := serve(h, tc.request(t)); code != http.StatusOK || inbox.n() != 1 {
					t.Errorf("next retry = %d, %d handed over, want 200 and 1", code, inbox.n())
				}
			})
		}
	}
}

// TestIntakeRedisDown is issue 13 §2 at the handler: with the marks' Redis gone
// (a stopped server, or nothing listening), every callback is still stored
// exactly once and answered 200, also when replicas take retries concurrently;
// the database's unique key deduplicates. Both the plain Redis store (errors
// reach the handler) and the Failover serve wires (falls back per replica).
func TestIntakeRedisDown(t *testing.T) {
	stores := map[string]func(t *testing.T) Marker{
		"stopped redis": func(t *testing.T) Marker {
			mr := miniredis.RunT(t)
			r, err := state.NewRedis(t.Context(), "redis://"+mr.Addr(), "t")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = r.Close() })
			mr.Close()
			return r
		},
		"failover on a closed port": func(t *testing.T) Marker {
			r, err := state.DialRedis("redis://"+closedAddr(t), "t")
			if err != nil {
				t.Fatal(err)
			}
			f := state.NewFailover(r, state.NewMemory("t", nil), 2, nil)
			t.Cleanup(func() { _ = f.Close() })
			return f
		},
	}
	for _, tc := range intakeCases(t) {
		for name, marks := range stores {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				store := openStore(t, false)
				inbox := &countInbox{}
				// Two replicas, each with its own view of the dead Redis.
				a := tc.replica(store, marks(t), inbox, 0)
				b := tc.replica(store, marks(t), inbox, 0)
				var wg sync.WaitGroup
				codes := make(chan int, 8)
				for i := range 8 {
					h := a
					if i%2 == 1 {
						h = b
					}
					wg.Go(func() { codes <- serve(h, tc.request(t)) })
				}
				wg.Wait()
				close(codes)
				for code := range codes {
					if code != http.StatusOK {
						t.Errorf("delivery with Redis down = %d, want 200", code)
					}
				}
				if !stored(t, store, tc.platform, tc.msgID) || inbox.n() != 1 {
					t.Fatalf("with Redis down: stored %v, %d handed over, want once", stored(t, store, tc.platform, tc.msgID), inbox.n())
				}
			})
		}
	}
}

// TestIntakeRealRedis: the contract holds on a real Redis too: a first delivery
// and its retries make one row, and a mark that outlived its row is not trusted.
func TestIntakeRealRedis(t *testing.T) {
	url := modelstest.RedisURL(t)
	for _, tc := range intakeCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			prefix := "cbintake" + strings.ReplaceAll(time.Now().Format("150405.000000000"), ".", "")
			r, err := state.NewRedis(t.Context(), url, prefix)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = r.Close() })
			store, inbox := openStore(t, false), &countInbox{}
			h := tc.replica(store, r, inbox, 0)
			for range 3 {
				if code := serve(h, tc.request(t)); code != http.StatusOK {
					t.Fatalf("delivery = %d", code)
				}
			}
			if inbox.n() != 1 {
				t.Fatalf("%d handed over, want 1", inbox.n())
			}
			// Restore: a fresh database, the same Redis.
			fresh, inbox2 := openStore(t, false), &countInbox{}
			h2 := tc.replica(fresh, r, inbox2, 0)
			if code := serve(h2, tc.request(t)); code != http.StatusOK || !stored(t, fresh, tc.platform, tc.msgID) || inbox2.n() != 1 {
				t.Errorf("retry after a restore = %d, stored %v, %d handed over", code, stored(t, fresh, tc.platform, tc.msgID), inbox2.n())
			}
			_ = r.Delete(context.Background(), "dedup:"+tc.platform+":"+tc.msgID)
		})
	}
}

// closedAddr returns an address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	mr := miniredis.RunT(t)
	addr := mr.Addr()
	mr.Close()
	return addr
}

// TestReadyzDegraded: shared state down is reported, and the replica stays ready;
// the database down still makes it not ready.
func TestReadyzDegraded(t *testing.T) {
	up := pinger(func(context.Context) error { return nil })
	down := pinger(func(context.Context) error { return errors.New("dial tcp 10.0.0.1:6379: refused") })
	tests := []struct {
		name       string
		checks     map[string]Pinger
		degradable map[string]Pinger
		wantCode   int
		wantBody   string
	}{
		{"all up", map[string]Pinger{"database": up}, map[string]Pinger{"state": up}, 200, "database: ok\nstate: ok\n"},
		{"redis down", map[string]Pinger{"database": up}, map[string]Pinger{"state": down}, 200,
			"database: ok\nstate: degraded (down; working without it)\n"},
		{"database down", map[string]Pinger{"database": down}, map[string]Pinger{"state": up}, 503, "database: down\nstate: ok\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			New(Deps{Checks: tt.checks, Degradable: tt.degradable}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
				t.Errorf("/readyz = %d %q, want %d %q", rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
			}
		})
	}
}

// TestIntakeStripsControls: a message's control and text-direction characters (ESC,
// BEL, NUL, DEL, C1, a right-to-left override, a carriage return) are stripped
// before it is stored, keeping newlines and tabs, on WeCom and Feishu alike, on
// SQLite and on PostgreSQL (which refuses a NUL in text). WeCom's XML cannot carry
// C0 controls other than newline and tab (the callback is refused as bad XML), so
// its message tries the ones XML allows.
func TestIntakeStripsControls(t *testing.T) {
	const dirty = "盘点\x1b[31m 张老板\a\x00 苹果汁 120\r\n备注:\t\u202e好\u202c"
	const dirtyXML = "盘点[31m 张老板\x7f 苹果汁\u0085 120\r\n备注:\t\u202e好\u202c"
	const clean = "盘点[31m 张老板 苹果汁 120\n备注:\t好"
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			store := openStore(t, false)
			if db == "postgres" {
				var err error
				if store, err = models.Open(context.Background(), "postgres", modelstest.PostgresDSN(t), nil, nil); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = store.Close() })
				if _, err := store.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			inbox := &countInbox{}
			h := New(Deps{
				WeCom: &WeCom{Crypto: benchCrypto, AgentID: "1000002", Dedup: state.NewMemory("t", nil), Store: store,
					Inbox: inbox, Log: slog.New(slog.DiscardHandler)},
				Feishu: &Feishu{Verifier: feishu.Verifier{AppID: fsApp, VerificationToken: fsToken, EncryptKey: fsKey},
					Dedup: state.NewMemory("f", nil), Store: store, Inbox: inbox, Log: slog.New(slog.DiscardHandler)},
			})
			for _, tt := range []struct {
				req  *http.Request
				want string
			}{
				{wecomtest.CallbackRequest(t, "/wecom/callback", sealedText(t, 8080, dirtyXML)), clean},
				// The Feishu adapter also joins the spaces of each line (as before).
				{feishutest.Request(t, "/feishu/events", textMsg("ou_r01li", dirty).JSON(), fsKey), strings.ReplaceAll(clean, "\t", " ")},
			} {
				req := tt.req
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					t.Fatalf("%s = %d %s", req.URL.Path, rec.Code, rec.Body)
				}
				stored, err := store.MessageByID(context.Background(), inbox.last().ID)
				if err != nil {
					t.Fatal(err)
				}
				if stored.Text != tt.want {
					t.Errorf("%s stored %q, want %q", req.URL.Path, stored.Text, tt.want)
				}
			}
		})
	}
}

package outbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"channelbot/bot/outbox"
	"channelbot/bot/state"
	"channelbot/models"
	"channelbot/models/modelstest"
)

// clock is a settable time shared by the store and the state.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// fakeSender records deliveries and answers with the errors queued for it.
type fakeSender struct {
	mu   sync.Mutex
	clk  *clock
	sent []outbox.Outgoing
	at   []time.Time
	errs []error
}

func (f *fakeSender) Send(_ context.Context, m outbox.Outgoing) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		if err != nil {
			return err
		}
	}
	f.sent = append(f.sent, m)
	f.at = append(f.at, f.clk.now())
	return nil
}

type outboxEnv struct {
	store  *models.Store
	clk    *clock
	st     *state.Memory
	sender *fakeSender
	d      *outbox.Dispatcher
}

func newOutboxEnv(t *testing.T, dsn string, limits outbox.Limits) *outboxEnv {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)}
	driver := "sqlite"
	if dsn == "" {
		dsn = filepath.Join(t.TempDir(), "outbox.db")
	} else {
		driver = "postgres"
	}
	store, err := models.Open(context.Background(), driver, dsn, nil, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := state.NewMemory("t", clk.now)
	sender := &fakeSender{clk: clk}
	d := outbox.NewDispatcher(store, map[string]outbox.Sender{models.PlatformWeCom: sender},
		map[string]outbox.Limits{models.PlatformWeCom: limits}, st, testLog(), nil)
	return &outboxEnv{store: store, clk: clk, st: st, sender: sender, d: d}
}

// enqueue stores one inbound message with n replies to peer, through SaveExchange.
func (e *outboxEnv) enqueue(t *testing.T, peer string, texts ...string) {
	t.Helper()
	ex := &models.Exchange{
		In:      &models.Message{Platform: models.PlatformWeCom, Peer: peer, Text: "in", CreatedAt: e.clk.now()},
		Replies: func(int64) []string { return texts },
	}
	if err := e.store.SaveExchange(context.Background(), ex); err != nil {
		t.Fatal(err)
	}
}

func (e *outboxEnv) statuses(t *testing.T, peer string) []string {
	t.Helper()
	ms, err := e.store.Outbound(context.Background(), models.Peer{Platform: models.PlatformWeCom, Peer: peer})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Status)
	}
	return out
}

func TestDispatcherResults(t *testing.T) {
	e := newOutboxEnv(t, "", outbox.Limits{})
	ctx := context.Background()
	e.enqueue(t, "u1", "hello", "second")
	e.enqueue(t, "u2", "refused")
	e.enqueue(t, "u3", "flaky")
	e.d.Parallel = 1 // the queued errors go to the messages in claim order
	e.sender.errs = []error{nil, &outbox.SendError{Permanent: true, Code: 81013, Reason: "user not found"}, fmt.Errorf("connection reset")}
	if n, err := e.d.Once(ctx); err != nil || n != 3 {
		t.Fatalf("first round claimed %d (err %v), want 3: one per recipient", n, err)
	}
	if got := e.statuses(t, "u1"); !slices.Equal(got, []string{"sent", "pending"}) {
		t.Errorf("u1 = %v, want the first sent and the second waiting its turn", got)
	}
	if got := e.statuses(t, "u2"); !slices.Equal(got, []string{"failed"}) {
		t.Errorf("u2 = %v, want failed", got)
	}
	if got := e.statuses(t, "u3"); !slices.Equal(got, []string{"pending"}) {
		t.Errorf("u3 = %v, want pending for a retry", got)
	}
	// The retry waits for its backoff; the next message of u1 goes now.
	if n, _ := e.d.Once(ctx); n != 1 {
		t.Errorf("second round claimed %d, want 1 (u3 is backing off)", n)
	}
	e.clk.add(10 * time.Second)
	if n, _ := e.d.Once(ctx); n != 1 {
		t.Errorf("after the backoff claimed %d, want u3's retry", n)
	}
	var texts []string
	for _, m := range e.sender.sent {
		texts = append(texts, m.Text)
	}
	if !slices.Equal(texts, []string{"hello", "second", "flaky"}) {
		t.Errorf("sent %v", texts)
	}
	if e.sender.sent[2].Attempt != 1 {
		t.Errorf("retry Attempt = %d, want 1", e.sender.sent[2].Attempt)
	}
}

// TestDispatcherPause: a platform that says "too many" pauses every send.
func TestDispatcherPause(t *testing.T) {
	e := newOutboxEnv(t, "", outbox.Limits{})
	ctx := context.Background()
	e.enqueue(t, "u1", "a")
	e.enqueue(t, "u2", "b")
	e.d.Parallel = 1
	e.sender.errs = []error{&outbox.SendError{Code: 45009, Reason: "api freq out of limit", RetryAfter: time.Minute}}
	e.d.Once(ctx)
	if len(e.sender.sent) != 0 {
		t.Fatalf("sent %d during a pause", len(e.sender.sent))
	}
	e.clk.add(30 * time.Second)
	e.d.Once(ctx)
	if len(e.sender.sent) != 0 {
		t.Fatalf("sent %d before the pause ended", len(e.sender.sent))
	}
	e.clk.add(31 * time.Second)
	e.d.Once(ctx)
	e.d.Once(ctx)
	if len(e.sender.sent) != 2 {
		t.Fatalf("sent %d after the pause, want 2", len(e.sender.sent))
	}
}

// TestDispatcherRecipientLimit: 45 messages to one member never exceed 30 in any
// minute, and all arrive.
func TestDispatcherRecipientLimit(t *testing.T) {
	e := newOutboxEnv(t, "", outbox.Limits{PerRecipient: []outbox.Rate{outbox.RateFor(30, time.Minute, 5)}})
	ctx := context.Background()
	for i := range 45 {
		e.enqueue(t, "u1", fmt.Sprintf("m%02d", i))
	}
	for range 600 {
		e.d.Once(ctx)
		e.clk.add(time.Second)
	}
	if len(e.sender.sent) != 45 {
		t.Fatalf("delivered %d of 45", len(e.sender.sent))
	}
	for i := range e.sender.at {
		n := 0
		for j := i; j < len(e.sender.at) && e.sender.at[j].Sub(e.sender.at[i]) < time.Minute; j++ {
			n++
		}
		if n > 30 {
			t.Fatalf("%d messages in the minute from %v", n, e.sender.at[i])
		}
	}
	for i, m := range e.sender.sent {
		if want := fmt.Sprintf("m%02d", i); m.Text != want {
			t.Fatalf("message %d = %s, want %s: order lost", i, m.Text, want)
		}
	}
}

// TestDispatcherStopsWaiting: a send waiting for the app's rate gives up its wait
// when the dispatcher stops, and the message is put back for later.
func TestDispatcherStopsWaiting(t *testing.T) {
	// One message every 1.5 s: the second waits, and on the stopped test clock it
	// would wait for ever.
	e := newOutboxEnv(t, "", outbox.Limits{App: outbox.RateFor(2, 1500*time.Millisecond, 1)})
	e.enqueue(t, "u1", "a")
	e.enqueue(t, "u2", "b")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = e.d.Run(ctx); close(done) }()
	sent := func() int {
		e.sender.mu.Lock()
		defer e.sender.mu.Unlock()
		return len(e.sender.sent)
	}
	for deadline := time.Now().Add(10 * time.Second); sent() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("nothing sent")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Run still waiting for the rate after its context ended")
	}
	if n := sent(); n != 1 {
		t.Fatalf("sent %d, want 1", n)
	}
	got := append(e.statuses(t, "u1"), e.statuses(t, "u2")...)
	slices.Sort(got)
	if !slices.Equal(got, []string{"pending", "sent"}) {
		t.Errorf("statuses = %v, want one sent and one pending", got)
	}
}

// TestDispatcherCrash: a message claimed by a dispatcher that died is sent again once
// its lease runs out, marked as a retry, and only once.
func TestDispatcherCrash(t *testing.T) {
	e := newOutboxEnv(t, "", outbox.Limits{})
	ctx := context.Background()
	e.enqueue(t, "u1", "after the crash")
	claimed, err := e.store.ClaimOutbound(ctx, []string{models.PlatformWeCom}, 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %d", err, len(claimed))
	}
	// The claimer dies here. Nobody else may take the message during its lease.
	if n, _ := e.d.Once(ctx); n != 0 {
		t.Fatalf("claimed a leased message")
	}
	e.clk.add(61 * time.Second)
	if n, _ := e.d.Once(ctx); n != 1 || len(e.sender.sent) != 1 || e.sender.sent[0].Attempt != 1 {
		t.Fatalf("after the lease: claimed %d, sent %+v", n, e.sender.sent)
	}
	if n, _ := e.d.Once(ctx); n != 0 || len(e.sender.sent) != 1 {
		t.Fatalf("sent again: %d", len(e.sender.sent))
	}
}

// TestClaimOutboundConcurrent: two dispatchers claiming at once on PostgreSQL never
// claim the same message, nor two messages of one recipient.
func TestClaimOutboundConcurrent(t *testing.T) {
	for _, db := range []struct{ name, dsn string }{{"sqlite", ""}, {"postgres", "pg"}} {
		t.Run(db.name, func(t *testing.T) {
			dsn := ""
			if db.dsn != "" {
				dsn = modelstest.PostgresDSN(t)
			}
			e := newOutboxEnv(t, dsn, outbox.Limits{})
			for u := range 50 {
				e.enqueue(t, fmt.Sprintf("u%02d", u), "one", "two")
			}
			var mu sync.Mutex
			seen := map[int64]int{}
			peers := map[string]int{}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					ms, err := e.store.ClaimOutbound(context.Background(), []string{models.PlatformWeCom}, 40, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, m := range ms {
						seen[m.ID]++
						peers[m.Peer]++
					}
					mu.Unlock()
				})
			}
			wg.Wait()
			for id, n := range seen {
				if n > 1 {
					t.Errorf("message %d claimed %d times", id, n)
				}
			}
			for p, n := range peers {
				if n > 1 {
					t.Errorf("recipient %s had %d messages claimed at once", p, n)
				}
			}
			if len(seen) != 50 {
				t.Errorf("claimed %d messages, want 50 (the first of each recipient)", len(seen))
			}
		})
	}
}

func TestRateFor(t *testing.T) {
	r := outbox.RateFor(30, time.Minute, 5)
	if r.Burst != 5 || r.Interval != 60*time.Second/25 {
		t.Errorf("RateFor(30/min, burst 5) = %+v", r)
	}
	if strings.Contains(fmt.Sprint(outbox.RateFor(1, time.Second, 10)), "-") {
		t.Error("negative interval")
	}
}

// nopSender accepts everything at once.
type nopSender struct{}

func (nopSender) Send(context.Context, outbox.Outgoing) error { return nil }

// BenchmarkDeliver is the bot's own cost per delivered message on SQLite: claiming
// from the outbox, the rate-limit checks and recording the result, with a platform
// that answers at once.
func BenchmarkDeliver(b *testing.B) {
	clk := &clock{t: time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)}
	store, err := models.Open(context.Background(), "sqlite", filepath.Join(b.TempDir(), "d.db"), nil, clk.now)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		ex := &models.Exchange{
			In:      &models.Message{Platform: models.PlatformWeCom, Peer: fmt.Sprintf("u%d", i), Text: "in", CreatedAt: clk.now()},
			Replies: func(int64) []string { return []string{"政策"} },
		}
		if err := store.SaveExchange(context.Background(), ex); err != nil {
			b.Fatal(err)
		}
	}
	limits := outbox.Limits{PerRecipient: []outbox.Rate{outbox.RateFor(30, time.Minute, 5)}, App: outbox.RateFor(1_000_000, time.Second, 10)}
	d := outbox.NewDispatcher(store, map[string]outbox.Sender{models.PlatformWeCom: nopSender{}},
		map[string]outbox.Limits{models.PlatformWeCom: limits}, state.NewMemory("b", nil), testLog(), nil)
	b.ReportAllocs()
	b.ResetTimer()
	delivered := 0
	for delivered < b.N {
		n, err := d.Once(context.Background())
		if err != nil || n == 0 {
			b.Fatalf("round: %d %v", n, err)
		}
		delivered += n
	}
}

package outbox_test

// Issue 13 §3: a resend after a crash or a lost answer is harmless. It carries
// the same idempotency key, the platforms (their fakes) drop it, the attempt is
// recorded before the request goes out, no resend is made after the platform's
// duplicate-check window, and backoff counts from the end of an attempt.
//
// The WeCom adapter sets the SDK's process-global HTTP settings: no test here
// runs in parallel.

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"channelbot/bot/feishu"
	"channelbot/bot/feishu/feishutest"
	"channelbot/bot/outbox"
	"channelbot/bot/state"
	"channelbot/bot/wecom"
	"channelbot/bot/wecom/wecomtest"
	"channelbot/config"
	"channelbot/models"
)

// recorder passes sends on to a real adapter and keeps what it was asked to send.
type recorder struct {
	next outbox.Sender
	mu   sync.Mutex
	got  []outbox.Outgoing
	errs []error
}

func (r *recorder) Send(ctx context.Context, m outbox.Outgoing) error {
	err := r.next.Send(ctx, m)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, m)
	r.errs = append(r.errs, err)
	return err
}

type resendEnv struct {
	store *models.Store
	clk   *clock
	d     *outbox.Dispatcher
}

func newResendEnv(t *testing.T, clk *clock, platform string, s outbox.Sender, limits outbox.Limits) *resendEnv {
	t.Helper()
	store, err := models.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "resend.db"), nil, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := outbox.NewDispatcher(store, map[string]outbox.Sender{platform: s},
		map[string]outbox.Limits{platform: limits}, state.NewMemory("t", clk.now), testLog(), nil)
	return &resendEnv{store: store, clk: clk, d: d}
}

// reply stores one inbound message and a reply to peer, and returns the reply's row.
func (e *resendEnv) reply(t *testing.T, platform, peer, text string) int64 {
	t.Helper()
	ex := &models.Exchange{
		In:      &models.Message{Platform: platform, Peer: peer, Text: "in", CreatedAt: e.clk.now()},
		Replies: func(int64) []string { return []string{text} },
	}
	if err := e.store.SaveExchange(context.Background(), ex); err != nil {
		t.Fatal(err)
	}
	out, err := e.store.Outbound(context.Background(), models.Peer{Platform: platform, Peer: peer})
	if err != nil || len(out) != 1 {
		t.Fatalf("outbound: %v %d", err, len(out))
	}
	return out[0].ID
}

func (e *resendEnv) row(t *testing.T, id int64) *models.Message {
	t.Helper()
	m, err := e.store.MessageByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// platformCase is one platform's adapter on its fake, for the tests below.
type platformCase struct {
	name     string
	platform string
	peer     string
	limits   outbox.Limits
	// start returns the adapter on a fake whose clock is now, and the fake's
	// lose-the-next-answer, delivered-count and duplicates-count.
	start  func(t *testing.T, now func() time.Time) (s outbox.Sender, lose func(int), sent func() int, dups func() int, check func(t *testing.T, key string))
	inside time.Duration // a wait that stays inside the duplicate window
}

func platformCases() []platformCase {
	return []platformCase{
		{
			name: "wecom", platform: models.PlatformWeCom, peer: "LiMing", limits: wecom.Limits(6000),
			inside: 3 * time.Hour,
			start: func(t *testing.T, now func() time.Time) (outbox.Sender, func(int), func() int, func() int, func(*testing.T, string)) {
				fake := wecomtest.NewServer(t, "ww0000000000000001", "wecom-secret", 1000002)
				fake.SetNow(now)
				c, err := wecom.NewClient(config.WeCom{CorpID: "ww0000000000000001", AgentID: "1000002",
					Secret: "wecom-secret", APIBase: fake.URL()}, nil, state.NewMemory("w", now), nil)
				if err != nil {
					t.Fatal(err)
				}
				check := func(t *testing.T, _ string) {
					// WeCom has no key field for text: the identity is the
					// content to the member within duplicate_check_interval,
					// which the send asked to be the API's most.
					if s := fake.Sent(); len(s) != 1 || s[0].DuplicateCheck != 4*60*60 {
						t.Errorf("sent %+v, want one message with duplicate_check_interval 14400", s)
					}
				}
				return c, fake.LoseNextReplies, func() int { return len(fake.Sent()) }, fake.Duplicates, check
			},
		},
		{
			name: "feishu", platform: models.PlatformFeishu, peer: "ou_r01li", limits: feishu.Limits(),
			inside: 50 * time.Minute,
			start: func(t *testing.T, now func() time.Time) (outbox.Sender, func(int), func() int, func() int, func(*testing.T, string)) {
				fake := feishutest.NewServer(t, "cli_resend", "feishu-secret")
				fake.SetNow(now)
				fake.SetUsers("ou_r01li")
				c, err := feishu.NewClient(config.Feishu{AppID: "cli_resend", AppSecret: "feishu-secret", APIBase: fake.URL()},
					nil, state.NewMemory("f", now), nil)
				if err != nil {
					t.Fatal(err)
				}
				check := func(t *testing.T, key string) {
					if s := fake.Sent(); len(s) != 1 || s[0].UUID != key {
						t.Errorf("sent %+v, want one message with uuid %s", s, key)
					}
				}
				return c, fake.LoseNextReplies, func() int { return len(fake.Sent()) }, fake.Duplicates, check
			},
		},
	}
}

// TestResendSameKey: a send that reached the platform but whose answer was lost is
// sent again, with the same idempotency key, long after (hours on WeCom, most of the
// hour on Feishu) and the platform drops it: the member sees the message once, and
// the outbox records it sent.
func TestResendSameKey(t *testing.T) {
	for _, pc := range platformCases() {
		t.Run(pc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := &clock{t: time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)}
			real, lose, sent, dups, check := pc.start(t, clk.now)
			rec := &recorder{next: real}
			e := newResendEnv(t, clk, pc.platform, rec, pc.limits)
			id := e.reply(t, pc.platform, pc.peer, "✅ 盘点已记录 #1")

			lose(1)
			start := clk.now()
			if n, err := e.d.Once(ctx); n != 1 || err != nil {
				t.Fatalf("first round: %d %v", n, err)
			}
			if len(rec.errs) != 1 || rec.errs[0] == nil || sent() != 1 {
				t.Fatalf("first send: errors %v, delivered %d; want a lost answer for a delivered message", rec.errs, sent())
			}
			row := e.row(t, id)
			if row.Status != models.StatusPending || row.Attempts != 1 || row.FirstAttemptAt == nil ||
				!row.FirstAttemptAt.Equal(start) || row.LastAttemptAt == nil {
				t.Fatalf("after the lost answer: %+v, want pending, 1 attempt, first_attempt_at %v", row, start)
			}

			clk.add(pc.inside)
			if n, err := e.d.Once(ctx); n != 1 || err != nil {
				t.Fatalf("resend round: %d %v", n, err)
			}
			if len(rec.got) != 2 {
				t.Fatalf("sends = %d, want 2", len(rec.got))
			}
			if k0, k1 := rec.got[0].Key(), rec.got[1].Key(); k0 != k1 || rec.got[0].Install == "" {
				t.Errorf("keys %q and %q, want the same, naming the database", k0, k1)
			}
			if rec.got[0].Attempt != 0 || rec.got[1].Attempt != 1 || rec.got[0].Text != rec.got[1].Text {
				t.Errorf("sends %+v, want the same text as attempts 0 and 1", rec.got)
			}
			if sent() != 1 || dups() != 1 {
				t.Errorf("platform delivered %d, dropped %d duplicates; want 1 and 1", sent(), dups())
			}
			check(t, rec.got[0].Key())
			if row := e.row(t, id); row.Status != models.StatusSent || !row.FirstAttemptAt.Equal(start) {
				t.Errorf("after the resend: %+v, want sent, first_attempt_at kept", row)
			}
		})
	}
}

// TestResendGivenUpAfterWindow: when a resend could reach the platform after its
// duplicate-check window (4 h WeCom, 1 h Feishu), it is not made: the message is
// recorded failed with the reason, and the platform sees one request.
func TestResendGivenUpAfterWindow(t *testing.T) {
	for _, pc := range platformCases() {
		t.Run(pc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := &clock{t: time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)}
			real, lose, sent, dups, _ := pc.start(t, clk.now)
			rec := &recorder{next: real}
			e := newResendEnv(t, clk, pc.platform, rec, pc.limits)
			id := e.reply(t, pc.platform, pc.peer, "✅ 盘点已记录 #2")
			lose(1)
			e.d.Once(ctx)
			clk.add(pc.limits.DuplicateWindow)
			e.d.Once(ctx)
			if len(rec.got) != 1 || sent() != 1 || dups() != 0 {
				t.Errorf("requests %d, delivered %d, duplicates %d; want 1, 1, 0 (no resend after the window)", len(rec.got), sent(), dups())
			}
			row := e.row(t, id)
			if row.Status != models.StatusFailed || !strings.Contains(row.LastError, "gave up") {
				t.Errorf("row = %s %q, want failed, given up", row.Status, row.LastError)
			}
		})
	}
}

// flakySender answers with the queued errors; each send takes took on the clock.
type flakySender struct {
	clk   *clock
	took  time.Duration
	errs  []error
	sends []time.Time // when each send began
	store *models.Store
	rows  []*models.Message // the row as the send saw it
}

func (f *flakySender) Send(ctx context.Context, m outbox.Outgoing) error {
	f.sends = append(f.sends, f.clk.now())
	if f.store != nil {
		row, err := f.store.MessageByID(ctx, m.ID)
		if err != nil {
			return err
		}
		f.rows = append(f.rows, row)
	}
	f.clk.add(f.took)
	if len(f.errs) == 0 {
		return nil
	}
	err := f.errs[0]
	f.errs = f.errs[1:]
	return err
}

// TestBackoffFromEnd: after a send that timed out after 15 s, the retry waits its
// backoff from the end of the attempt, not from its start.
func TestBackoffFromEnd(t *testing.T) {
	e := newOutboxEnv(t, "", outbox.Limits{})
	slow := &flakySender{clk: e.clk, took: 15 * time.Second, errs: []error{context.DeadlineExceeded}}
	e.d = outbox.NewDispatcher(e.store, map[string]outbox.Sender{models.PlatformWeCom: slow},
		map[string]outbox.Limits{models.PlatformWeCom: {}}, e.st, testLog(), nil)
	e.enqueue(t, "u1", "slow")
	ctx := context.Background()
	start := e.clk.now()
	e.d.Once(ctx)
	out, _ := e.store.Outbound(ctx, models.Peer{Platform: models.PlatformWeCom, Peer: "u1"})
	end := start.Add(15 * time.Second)
	if next := out[0].NextAttemptAt; next == nil || next.Before(end.Add(time.Second)) || next.After(end.Add(2*time.Second)) {
		t.Fatalf("next attempt at %v, want 1–2 s after the attempt ended at %v", next, end)
	}
	// Nothing goes before then.
	e.clk.add(900 * time.Millisecond)
	if n, _ := e.d.Once(ctx); n != 0 {
		t.Errorf("retried %v after the timed-out attempt ended", e.clk.now().Sub(end))
	}
}

// TestRetryAfterFromEnd: a platform's "wait 60 s" after a slow answer counts from
// the answer: the pause and the retry end 60 s after it.
func TestRetryAfterFromEnd(t *testing.T) {
	e := newOutboxEnv(t, "", outbox.Limits{})
	slow := &flakySender{clk: e.clk, took: 10 * time.Second,
		errs: []error{&outbox.SendError{Code: 45009, Reason: "api freq out of limit", RetryAfter: time.Minute}}}
	e.d = outbox.NewDispatcher(e.store, map[string]outbox.Sender{models.PlatformWeCom: slow},
		map[string]outbox.Limits{models.PlatformWeCom: {}}, e.st, testLog(), nil)
	e.enqueue(t, "u1", "throttled")
	ctx := context.Background()
	start := e.clk.now()
	e.d.Once(ctx)
	out, _ := e.store.Outbound(ctx, models.Peer{Platform: models.PlatformWeCom, Peer: "u1"})
	if want := start.Add(70 * time.Second); out[0].NextAttemptAt == nil || !out[0].NextAttemptAt.Equal(want) {
		t.Fatalf("next attempt at %v, want %v", out[0].NextAttemptAt, want)
	}
}

// TestAttemptRecordedBeforeSend: when the request goes out, the row already says
// a send began (first and last attempt times), so a crash right after is
// recognised by whoever resends.
func TestAttemptRecordedBeforeSend(t *testing.T) {
	e := newOutboxEnv(t, "", outbox.Limits{})
	s := &flakySender{clk: e.clk, store: e.store, errs: []error{errors.New("connection reset"), nil}}
	e.d = outbox.NewDispatcher(e.store, map[string]outbox.Sender{models.PlatformWeCom: s},
		map[string]outbox.Limits{models.PlatformWeCom: {DuplicateWindow: time.Hour}}, e.st, testLog(), nil)
	e.enqueue(t, "u1", "recorded first")
	ctx := context.Background()
	t0 := e.clk.now()
	e.d.Once(ctx)
	e.clk.add(time.Minute)
	e.d.Once(ctx)
	if len(s.rows) != 2 {
		t.Fatalf("sends = %d, want 2", len(s.rows))
	}
	r0, r1 := s.rows[0], s.rows[1]
	if r0.FirstAttemptAt == nil || !r0.FirstAttemptAt.Equal(t0) || r0.LastAttemptAt == nil || !r0.LastAttemptAt.Equal(t0) || r0.Attempts != 1 {
		t.Errorf("during the first send: first %v last %v attempts %d, want %v, %v, 1", r0.FirstAttemptAt, r0.LastAttemptAt, r0.Attempts, t0, t0)
	}
	if !r1.FirstAttemptAt.Equal(t0) || !r1.LastAttemptAt.Equal(s.sends[1]) || r1.Attempts != 2 {
		t.Errorf("during the resend: first %v last %v attempts %d, want %v, %v, 2", r1.FirstAttemptAt, r1.LastAttemptAt, r1.Attempts, t0, s.sends[1])
	}
}

// TestRefusalDoesNotStartWindow: a send the platform answered with a refusal did
// not arrive, so it does not start the duplicate-check window: a retry hours later
// is still made.
func TestRefusalDoesNotStartWindow(t *testing.T) {
	e := newOutboxEnv(t, "", outbox.Limits{})
	s := &flakySender{clk: e.clk, errs: []error{&outbox.SendError{Code: -1, Reason: "system busy"}}}
	e.d = outbox.NewDispatcher(e.store, map[string]outbox.Sender{models.PlatformWeCom: s},
		map[string]outbox.Limits{models.PlatformWeCom: {DuplicateWindow: time.Hour}}, e.st, testLog(), nil)
	e.enqueue(t, "u1", "busy")
	ctx := context.Background()
	e.d.Once(ctx)
	out, _ := e.store.Outbound(ctx, models.Peer{Platform: models.PlatformWeCom, Peer: "u1"})
	if out[0].FirstAttemptAt != nil {
		t.Errorf("first_attempt_at = %v after a refusal, want none", out[0].FirstAttemptAt)
	}
	e.clk.add(2 * time.Hour)
	e.d.Once(ctx)
	if got := e.statuses(t, "u1"); len(s.sends) != 2 || got[0] != models.StatusSent {
		t.Errorf("sends %d, status %v; want the retry sent", len(s.sends), got)
	}
}

// TestCrashThenWindow: a dispatcher that died mid-send (attempt recorded, no
// result) leaves a message that is resent within the window and given up after it.
func TestCrashThenWindow(t *testing.T) {
	for _, tt := range []struct {
		name  string
		wait  time.Duration
		sends int
		want  string
	}{
		{"lease out, inside the window", 61 * time.Second, 1, models.StatusSent},
		{"after the window", time.Hour, 0, models.StatusFailed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newOutboxEnv(t, "", outbox.Limits{})
			e.d = outbox.NewDispatcher(e.store, map[string]outbox.Sender{models.PlatformWeCom: e.sender},
				map[string]outbox.Limits{models.PlatformWeCom: {DuplicateWindow: time.Hour}}, e.st, testLog(), nil)
			e.enqueue(t, "u1", "crash")
			ctx := context.Background()
			claimed, err := e.store.ClaimOutbound(ctx, []string{models.PlatformWeCom}, 1, time.Minute)
			if err != nil || len(claimed) != 1 {
				t.Fatalf("claim: %v %d", err, len(claimed))
			}
			if err := e.store.StartAttempt(ctx, claimed[0].ID); err != nil {
				t.Fatal(err)
			}
			// The dispatcher dies here, the request possibly delivered.
			e.clk.add(tt.wait)
			e.d.Once(ctx)
			if len(e.sender.sent) != tt.sends {
				t.Errorf("resent %d times, want %d", len(e.sender.sent), tt.sends)
			}
			if got := e.statuses(t, "u1"); got[0] != tt.want {
				t.Errorf("status %v, want %s", got, tt.want)
			}
		})
	}
}

// TestScheduleInsideWindow: a message whose sends keep timing out is retried on
// its backoff and given up before its duplicate-check window ends; every send
// starts early enough to arrive inside it.
func TestScheduleInsideWindow(t *testing.T) {
	e := newOutboxEnv(t, "", outbox.Limits{})
	errs := make([]error, 100)
	for i := range errs {
		errs[i] = context.DeadlineExceeded
	}
	s := &flakySender{clk: e.clk, took: 15 * time.Second, errs: errs}
	e.d = outbox.NewDispatcher(e.store, map[string]outbox.Sender{models.PlatformFeishu: s},
		map[string]outbox.Limits{models.PlatformFeishu: feishu.Limits()}, e.st, testLog(), nil)
	e.d.MaxAttempts = 100
	ex := &models.Exchange{
		In:      &models.Message{Platform: models.PlatformFeishu, Peer: "ou_1", Text: "in", CreatedAt: e.clk.now()},
		Replies: func(int64) []string { return []string{"never answered"} },
	}
	if err := e.store.SaveExchange(context.Background(), ex); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 2000 {
		e.d.Once(ctx)
		e.clk.add(5 * time.Second)
	}
	if len(s.sends) < 5 {
		t.Fatalf("only %d sends", len(s.sends))
	}
	for _, at := range s.sends {
		if arrive := at.Add(e.d.SendTimeout); arrive.Sub(s.sends[0]) >= feishu.UUIDWindow {
			t.Errorf("a send at %v could arrive %v after the first, outside Feishu's uuid hour", at, arrive.Sub(s.sends[0]))
		}
	}
	out, _ := e.store.Outbound(ctx, models.Peer{Platform: models.PlatformFeishu, Peer: "ou_1"})
	if out[0].Status != models.StatusFailed || !strings.Contains(out[0].LastError, "gave up") {
		t.Errorf("row %s %q, want failed, given up", out[0].Status, out[0].LastError)
	}
}

// TestHeldDoesNotStartWindow: a message held back by a rate limit after its
// attempt was recorded was not sent: the try is not counted and the
// duplicate-check window has not started.
func TestHeldDoesNotStartWindow(t *testing.T) {
	limits := outbox.Limits{PerRecipient: []outbox.Rate{{Interval: time.Hour, Burst: 1}}, DuplicateWindow: time.Hour}
	e := newOutboxEnv(t, "", limits)
	e.enqueue(t, "u1", "一", "二")
	ctx := context.Background()
	e.d.Once(ctx)
	e.d.Once(ctx)
	if len(e.sender.sent) != 1 {
		t.Fatalf("sent %d, want the first only", len(e.sender.sent))
	}
	out, err := e.store.Outbound(ctx, models.Peer{Platform: models.PlatformWeCom, Peer: "u1"})
	if err != nil || len(out) != 2 {
		t.Fatalf("outbound: %v %d", err, len(out))
	}
	held := out[1]
	if held.Status != models.StatusPending || held.FirstAttemptAt != nil || held.Attempts != 0 {
		t.Errorf("held message: status %s, first attempt %v, attempts %d; want pending, none, 0", held.Status, held.FirstAttemptAt, held.Attempts)
	}
}

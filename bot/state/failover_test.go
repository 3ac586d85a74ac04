package state

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// newFailover returns a Failover on a miniredis, whose clock and the local
// store's clock are both moved by the returned advance.
func newFailover(t *testing.T, share int) (*Failover, *miniredis.Miniredis, *fakeClock) {
	t.Helper()
	mr := miniredis.RunT(t)
	r, err := DialRedis("redis://"+mr.Addr(), "test")
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	f := NewFailover(r, NewMemory("test", clock.Now), share, nil)
	f.now = clock.Now
	t.Cleanup(func() { _ = f.Close() })
	return f, mr, clock
}

// TestFailoverContract: with its primary up, a Failover is a Store like the others.
func TestFailoverContract(t *testing.T) {
	f, mr, clock := newFailover(t, 1)
	testStore(t, f, func(d time.Duration) { mr.FastForward(d); clock.Advance(d) })
	if f.Degraded() {
		t.Error("Degraded() with the primary up")
	}
}

// TestFailoverRedisDown: Redis stops; every call still works, on the replica's
// own state, Ping says the primary is down, rate limits drop to the replica's
// share; Redis comes back and the Failover returns to it.
func TestFailoverRedisDown(t *testing.T) {
	ctx := context.Background()
	f, mr, clock := newFailover(t, 2)
	mustSet(t, f, "conv:wecom:LiMing", "before", longTTL)
	mr.Close()

	// Calls work, on local state: what was in Redis is not there.
	mustAbsent(t, f, "conv:wecom:LiMing")
	if !f.Degraded() {
		t.Fatal("Degraded() = false with Redis stopped")
	}
	mustSet(t, f, "conv:wecom:LiMing", "during", longTTL)
	mustGet(t, f, "conv:wecom:LiMing", "during")
	mustSetNX(t, f, "lock:job", "a", longTTL, true)
	mustSetNX(t, f, "lock:job", "b", longTTL, false)
	mustCAD(t, f, "lock:job", "a", true)
	if err := f.Delete(ctx, "conv:wecom:LiMing"); err != nil {
		t.Fatalf("Delete() = %v", err)
	}
	if err := f.Ping(ctx); err == nil {
		t.Error("Ping() = nil with Redis stopped")
	}

	// A limit of 1 per 100 ms, bursts of 4, becomes 1 per 200 ms, bursts of 2.
	for i := range 2 {
		if wait, err := f.Throttle(ctx, "send:wecom:LiMing", 100*time.Millisecond, 4); err != nil || wait != 0 {
			t.Fatalf("event %d: wait %v, err %v", i+1, wait, err)
		}
	}
	if wait, err := f.Throttle(ctx, "send:wecom:LiMing", 100*time.Millisecond, 4); err != nil || wait != 200*time.Millisecond {
		t.Fatalf("third event: wait %v, err %v; want 200ms (half the rate)", wait, err)
	}

	// A cancelled caller gets its error, not a fallback.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := f.Get(cctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get(cancelled) = %v, want context.Canceled", err)
	}

	// Redis is back: after RetryPrimary the Failover uses it again.
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(f.RetryPrimary)
	mustGet(t, f, "conv:wecom:LiMing", "before") // miniredis kept its data
	if f.Degraded() {
		t.Error("Degraded() after Redis came back")
	}
	if err := f.Ping(ctx); err != nil {
		t.Errorf("Ping() = %v after Redis came back", err)
	}
}

// TestOpenFailoverRedisDownAtStart: a server starts while Redis is down; its
// store works (degraded) instead of failing the start.
func TestOpenFailoverRedisDownAtStart(t *testing.T) {
	mr := miniredis.RunT(t)
	addr := mr.Addr()
	mr.Close()
	s, err := OpenFailover(t.Context(), "redis://:hunter2@"+addr, "test", 3, nil)
	if err != nil {
		t.Fatalf("OpenFailover() = %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	mustSet(t, s, "k", "v", longTTL)
	mustGet(t, s, "k", "v")
	if err := s.Ping(t.Context()); err == nil {
		t.Error("Ping() = nil with Redis down")
	}
	if _, err := OpenFailover(t.Context(), "redis://x:y@[::1", "test", 1, nil); err == nil {
		t.Error("OpenFailover(malformed URL) = nil error")
	}
	m, err := OpenFailover(t.Context(), "", "test", 1, nil)
	if _, ok := m.(*Memory); err != nil || !ok {
		t.Errorf("OpenFailover(\"\") = %T, %v; want a *Memory", m, err)
	}
}

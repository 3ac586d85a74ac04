package state

import (
	"context"
	"testing"
	"time"
)

// testThrottle checks the GCRA contract on a store whose clock advance moves.
func testThrottle(t *testing.T, s Store, advance func(time.Duration)) {
	ctx := context.Background()
	interval, burst := 100*time.Millisecond, 3
	for i := range burst {
		if wait, err := s.Throttle(ctx, "k", interval, burst); err != nil || wait != 0 {
			t.Fatalf("event %d of the burst: wait %v, err %v", i+1, wait, err)
		}
	}
	wait, err := s.Throttle(ctx, "k", interval, burst)
	if err != nil || wait <= 0 || wait > interval+5*time.Millisecond {
		t.Fatalf("event after the burst: wait %v, err %v; want about %v", wait, err, interval)
	}
	if w, _ := s.Throttle(ctx, "other", interval, burst); w != 0 {
		t.Fatalf("another key was throttled: %v", w)
	}
	advance(interval + 10*time.Millisecond)
	if wait, err := s.Throttle(ctx, "k", interval, burst); err != nil || wait != 0 {
		t.Fatalf("after one interval: wait %v, err %v", wait, err)
	}
	if _, err := s.Throttle(ctx, "k", 0, burst); err == nil {
		t.Fatal("zero interval accepted")
	}
}

func TestThrottleMemory(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := NewMemory("t", func() time.Time { return now })
	testThrottle(t, m, func(d time.Duration) { now = now.Add(d) })
}

// TestThrottleWindow: a rate derived for 30 per minute never lets 31 through in any
// sliding minute, however the events are timed.
func TestThrottleWindow(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := NewMemory("t", func() time.Time { return now })
	interval, burst := 60*time.Second/25, 5
	var sent []time.Time
	for range 2000 {
		wait, err := m.Throttle(context.Background(), "u", interval, burst)
		if err != nil {
			t.Fatal(err)
		}
		if wait == 0 {
			sent = append(sent, now)
		}
		now = now.Add(time.Duration(1+len(sent)%7) * 300 * time.Millisecond)
	}
	for i := range sent {
		n := 0
		for j := i; j < len(sent) && sent[j].Sub(sent[i]) < time.Minute; j++ {
			n++
		}
		if n > 30 {
			t.Fatalf("%d events in the minute from %v", n, sent[i])
		}
	}
	if len(sent) < 100 {
		t.Fatalf("only %d events allowed: the limit is too strict", len(sent))
	}
}

func TestThrottleRedis(t *testing.T) {
	url := realRedisURL(t)
	s, err := NewRedis(context.Background(), url, uniquePrefix(t, url))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	testThrottle(t, s, func(d time.Duration) { time.Sleep(d) })
}

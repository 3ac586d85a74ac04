package state

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestMemory(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := NewMemory("test", clock.Now)
	t.Cleanup(func() { _ = s.Close() })
	testStore(t, s, clock.Advance)
}

func TestMemoryExpiresAtDeadline(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := NewMemory("test", clock.Now)
	mustSet(t, s, "k", "v", time.Second)
	clock.Advance(time.Second - time.Nanosecond)
	mustGet(t, s, "k", "v")
	clock.Advance(time.Nanosecond)
	mustAbsent(t, s, "k")
}

func TestMemoryStoredKeys(t *testing.T) {
	t.Parallel()
	s := NewMemory("bot", nil)
	mustSet(t, s, "conv:feishu:42", "v", time.Minute)
	if _, ok := s.data.items["bot:conv:feishu:42"]; !ok || len(s.data.items) != 1 {
		t.Fatalf("stored keys = %v, want only bot:conv:feishu:42", s.data.items)
	}
}

func TestMemorySweepsExpiredKeys(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := NewMemory("test", clock.Now)
	const n = 1000
	for i := range n {
		mustSet(t, s, fmt.Sprintf("old-%d", i), "v", time.Second)
	}
	clock.Advance(2 * time.Second)
	// The expired keys are never read again; writes alone must drop them.
	for i := range 2 * n {
		mustSet(t, s, fmt.Sprintf("new-%d", i), "v", time.Hour)
	}
	s.data.mu.Lock()
	got := len(s.data.items)
	s.data.mu.Unlock()
	if got != 2*n {
		t.Fatalf("after sweeps, %d keys stored, want %d", got, 2*n)
	}
}

func TestMemoryClosed(t *testing.T) {
	t.Parallel()
	s := NewMemory("test", nil)
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Error("Ping after Close = nil, want an error")
	}
	if _, _, err := s.Get(t.Context(), "k"); err == nil {
		t.Error("Get after Close = nil error, want an error")
	}
	if err := s.Set(t.Context(), "k", nil, time.Second); err == nil {
		t.Error("Set after Close = nil, want an error")
	}
}

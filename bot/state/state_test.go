package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Durations used by testStore. They are short so that the real-Redis run,
// whose advance sleeps, stays fast.
const (
	shortTTL = 50 * time.Millisecond
	pastTTL  = 120 * time.Millisecond // advance by this to expire shortTTL keys
	longTTL  = time.Minute
)

// testStore is the contract test run against every Store implementation.
// advance moves the store's clock forward: a fake clock, miniredis's
// FastForward, or a sleep for a real server. s must be empty.
func testStore(t *testing.T, s Store, advance func(time.Duration)) {
	ctx := t.Context()

	t.Run("ping", func(t *testing.T) {
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping() = %v", err)
		}
	})

	t.Run("get set absent", func(t *testing.T) {
		mustAbsent(t, s, "absent")
		mustSet(t, s, "k", "v1", longTTL)
		mustGet(t, s, "k", "v1")
		mustSet(t, s, "k", "v2", longTTL)
		mustGet(t, s, "k", "v2")
		mustSet(t, s, "empty", "", longTTL)
		mustGet(t, s, "empty", "")
	})

	t.Run("values are copied", func(t *testing.T) {
		val := []byte("orig")
		if err := s.Set(ctx, "copy", val, longTTL); err != nil {
			t.Fatalf("Set() = %v", err)
		}
		val[0] = 'X'
		got, _, err := s.Get(ctx, "copy")
		if err != nil {
			t.Fatalf("Get() = %v", err)
		}
		got[0] = 'Y'
		mustGet(t, s, "copy", "orig")
	})

	t.Run("ttl expiry", func(t *testing.T) {
		mustSet(t, s, "short", "v", shortTTL)
		mustSet(t, s, "long", "v", longTTL)
		mustGet(t, s, "short", "v")
		advance(pastTTL)
		mustAbsent(t, s, "short")
		mustGet(t, s, "long", "v")
	})

	t.Run("setnx", func(t *testing.T) {
		mustSetNX(t, s, "nx", "first", shortTTL, true)
		mustSetNX(t, s, "nx", "second", shortTTL, false)
		mustGet(t, s, "nx", "first")
		advance(pastTTL)
		mustSetNX(t, s, "nx", "third", longTTL, true)
		mustGet(t, s, "nx", "third")
		mustSet(t, s, "nx", "overwritten", longTTL) // Set ignores NX
		mustGet(t, s, "nx", "overwritten")
	})

	t.Run("delete", func(t *testing.T) {
		mustSet(t, s, "del", "v", longTTL)
		if err := s.Delete(ctx, "del"); err != nil {
			t.Fatalf("Delete(del) = %v", err)
		}
		mustAbsent(t, s, "del")
		if err := s.Delete(ctx, "del"); err != nil {
			t.Fatalf("Delete(absent) = %v, want nil", err)
		}
		mustSetNX(t, s, "del", "again", longTTL, true)
	})

	t.Run("compare and delete", func(t *testing.T) {
		mustSet(t, s, "lock", "owner-a", longTTL)
		mustCAD(t, s, "lock", "owner-b", false)
		mustGet(t, s, "lock", "owner-a")
		mustCAD(t, s, "lock", "owner-a", true)
		mustAbsent(t, s, "lock")
		mustCAD(t, s, "lock", "owner-a", false)
		mustSet(t, s, "lock2", "owner-a", shortTTL)
		advance(pastTTL)
		mustCAD(t, s, "lock2", "owner-a", false)
	})

	t.Run("namespacing", func(t *testing.T) {
		other := withPrefix(t, s, prefixOf(t, s)+"-other")
		mustSet(t, s, "shared", "mine", longTTL)
		mustAbsent(t, other, "shared")
		mustSetNX(t, other, "shared", "theirs", longTTL, true)
		mustGet(t, s, "shared", "mine")
		mustGet(t, other, "shared", "theirs")
		mustCAD(t, other, "shared", "mine", false)
		if err := other.Delete(ctx, "shared"); err != nil {
			t.Fatalf("other.Delete() = %v", err)
		}
		mustGet(t, s, "shared", "mine")
	})

	t.Run("invalid arguments", func(t *testing.T) {
		for _, ttl := range []time.Duration{0, -time.Second, -1} {
			if err := s.Set(ctx, "ttl", []byte("v"), ttl); err == nil || !strings.HasPrefix(err.Error(), "state: ") {
				t.Errorf("Set(ttl=%v) = %v, want a state: error", ttl, err)
			}
			if ok, err := s.SetNX(ctx, "ttl", []byte("v"), ttl); err == nil || ok {
				t.Errorf("SetNX(ttl=%v) = %v, %v, want false and an error", ttl, ok, err)
			}
		}
		mustAbsent(t, s, "ttl")
		if err := s.Set(ctx, "", []byte("v"), longTTL); err == nil {
			t.Error(`Set("") = nil, want an error`)
		}
		if _, _, err := s.Get(ctx, ""); err == nil {
			t.Error(`Get("") = nil error, want an error`)
		}
	})

	t.Run("canceled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := s.Get(cctx, "k"); !errors.Is(err, context.Canceled) {
			t.Errorf("Get(canceled ctx) error = %v, want context.Canceled", err)
		}
		if err := s.Set(cctx, "canceled", []byte("v"), longTTL); !errors.Is(err, context.Canceled) {
			t.Errorf("Set(canceled ctx) = %v, want context.Canceled", err)
		}
		mustAbsent(t, s, "canceled")
	})

	t.Run("concurrent setnx has one winner", func(t *testing.T) {
		const n = 50
		var wins atomic.Int32
		var winner atomic.Value
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				val := fmt.Sprintf("replica-%d", i)
				ok, err := s.SetNX(ctx, "race", []byte(val), longTTL)
				if err != nil {
					t.Errorf("SetNX(%s) = %v", val, err)
					return
				}
				if ok {
					wins.Add(1)
					winner.Store(val)
				}
			})
		}
		wg.Wait()
		if got := wins.Load(); got != 1 {
			t.Fatalf("%d SetNX calls won, want exactly 1", got)
		}
		mustGet(t, s, "race", winner.Load().(string))
	})
}

// prefixOf returns the key prefix of s.
func prefixOf(t *testing.T, s Store) string {
	t.Helper()
	switch s := s.(type) {
	case *Memory:
		return s.prefix
	case *Redis:
		return s.prefix
	case *Failover:
		return prefixOf(t, s.primary)
	}
	t.Fatalf("unknown Store %T", s)
	return ""
}

// withPrefix returns a Store on the same backend as s, with another prefix.
func withPrefix(t *testing.T, s Store, prefix string) Store {
	t.Helper()
	switch s := s.(type) {
	case *Memory:
		return &Memory{prefix: prefix, now: s.now, data: s.data}
	case *Redis:
		return NewRedisClient(s.rdb, prefix)
	case *Failover:
		return NewFailover(withPrefix(t, s.primary, prefix), withPrefix(t, s.local, prefix).(*Memory), s.share, nil)
	}
	t.Fatalf("unknown Store %T", s)
	return nil
}

func mustSet(t *testing.T, s Store, key, val string, ttl time.Duration) {
	t.Helper()
	if err := s.Set(t.Context(), key, []byte(val), ttl); err != nil {
		t.Fatalf("Set(%q, %q, %v) = %v", key, val, ttl, err)
	}
}

func mustSetNX(t *testing.T, s Store, key, val string, ttl time.Duration, want bool) {
	t.Helper()
	ok, err := s.SetNX(t.Context(), key, []byte(val), ttl)
	if err != nil || ok != want {
		t.Fatalf("SetNX(%q, %q, %v) = %v, %v, want %v, nil", key, val, ttl, ok, err, want)
	}
}

func mustGet(t *testing.T, s Store, key, want string) {
	t.Helper()
	got, ok, err := s.Get(t.Context(), key)
	if err != nil || !ok || !bytes.Equal(got, []byte(want)) {
		t.Fatalf("Get(%q) = %q, %v, %v, want %q, true, nil", key, got, ok, err, want)
	}
}

func mustAbsent(t *testing.T, s Store, key string) {
	t.Helper()
	got, ok, err := s.Get(t.Context(), key)
	if err != nil || ok || got != nil {
		t.Fatalf("Get(%q) = %q, %v, %v, want nil, false, nil", key, got, ok, err)
	}
}

func mustCAD(t *testing.T, s Store, key, val string, want bool) {
	t.Helper()
	ok, err := s.CompareAndDelete(t.Context(), key, []byte(val))
	if err != nil || ok != want {
		t.Fatalf("CompareAndDelete(%q, %q) = %v, %v, want %v, nil", key, val, ok, err, want)
	}
}

func TestOpenEmptyURLIsMemory(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), "", "bot", nil)
	if err != nil {
		t.Fatalf("Open(\"\") = %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, ok := s.(*Memory); !ok {
		t.Fatalf("Open(\"\") = %T, want *Memory", s)
	}
}

func TestOpenRejectsBadPrefix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, url, prefix string }{
		{"memory empty", "", ""},
		{"memory space", "", "my bot"},
		{"memory tab", "", "bot\t"},
		{"redis empty", "redis://127.0.0.1:1/0", ""},
		{"redis space", "redis://127.0.0.1:1/0", "a b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.Context(), tc.url, tc.prefix, nil)
			if err == nil || s != nil {
				t.Fatalf("Open(%q, %q) = %v, %v, want nil and an error", tc.url, tc.prefix, s, err)
			}
			if !strings.HasPrefix(err.Error(), "state: ") || !strings.Contains(err.Error(), "prefix") {
				t.Errorf("Open(%q, %q) error = %q, want a state: error about the prefix", tc.url, tc.prefix, err)
			}
		})
	}
}

func TestConstructorsPanicOnBadPrefix(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(){
		"NewMemory":      func() { NewMemory("", nil) },
		"NewRedisClient": func() { NewRedisClient(nil, "a b") },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with a bad prefix did not panic", name)
				}
			}()
			f()
		})
	}
}

func TestServerTTL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want time.Duration }{
		{time.Nanosecond, time.Millisecond},
		{time.Millisecond, time.Millisecond},
		{1500 * time.Microsecond, 2 * time.Millisecond},
		{time.Minute, time.Minute},
	} {
		if got := serverTTL(tc.in); got != tc.want {
			t.Errorf("serverTTL(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

package state

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"channelbot/models/modelstest"
)

// realRedisURL returns TEST_REDIS_URL. It skips the test when the variable
// is unset, and fails it instead when CI is "true".
func realRedisURL(t *testing.T) string { return modelstest.RedisURL(t) }

// uniquePrefix returns a fresh key prefix and removes every key under it
// (and under prefixes that extend it) when the test ends.
func uniquePrefix(t *testing.T, rawURL string) string {
	t.Helper()
	prefix := "statetest-" + strings.ToLower(rand.Text())
	t.Cleanup(func() {
		opt, err := redis.ParseURL(rawURL)
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		// t.Context is already canceled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			if err := rdb.Del(ctx, iter.Val()).Err(); err != nil {
				t.Errorf("cleanup: del %s: %v", iter.Val(), err)
			}
		}
		if err := iter.Err(); err != nil {
			t.Errorf("cleanup: scan %s*: %v", prefix, err)
		}
	})
	return prefix
}

// testRedisKeys checks how s lays out keys on the server: under
// prefix + ":" + key, and never without an expiry.
func testRedisKeys(t *testing.T, s *Redis) {
	ctx := t.Context()
	mustSet(t, s, "conv:feishu:42", "v", longTTL)
	mustSetNX(t, s, "dedup:om_1", "1", longTTL, true)
	for _, k := range []string{"conv:feishu:42", "dedup:om_1"} {
		n, err := s.rdb.Exists(ctx, s.prefix+":"+k).Result()
		if err != nil || n != 1 {
			t.Errorf("EXISTS %s:%s = %d, %v, want 1, nil", s.prefix, k, n, err)
		}
	}
	var keys int
	iter := s.rdb.Scan(ctx, 0, s.prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		keys++
		ttl, err := s.rdb.PTTL(ctx, iter.Val()).Result()
		if err != nil || ttl <= 0 {
			t.Errorf("PTTL %s = %v, %v, want a positive ttl", iter.Val(), ttl, err)
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN: %v", err)
	}
	if keys < 2 {
		t.Errorf("SCAN %s* found %d keys, want at least 2", s.prefix, keys)
	}
}

// testRestart writes with one client, closes it, calls between (to restart
// a fake server, say), and reads back with a new client.
func testRestart(t *testing.T, rawURL, prefix string, between func()) {
	ctx := t.Context()
	s1, err := NewRedis(ctx, rawURL, prefix)
	if err != nil {
		t.Fatalf("NewRedis() = %v", err)
	}
	mustSet(t, s1, "conv:wecom:7", `{"Version":1}`, longTTL)
	mustSetNX(t, s1, "lock:job", "replica-1", longTTL, true)
	if err := s1.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if _, _, err := s1.Get(ctx, "conv:wecom:7"); err == nil {
		t.Error("Get after Close = nil error, want an error")
	}
	between()
	s2, err := NewRedis(ctx, rawURL, prefix)
	if err != nil {
		t.Fatalf("NewRedis() after restart = %v", err)
	}
	t.Cleanup(func() { _ = s2.Close() })
	mustGet(t, s2, "conv:wecom:7", `{"Version":1}`)
	mustSetNX(t, s2, "lock:job", "replica-2", longTTL, false)
	mustCAD(t, s2, "lock:job", "replica-1", true)
}

func newMiniredisStore(t *testing.T) (*Redis, *miniredis.Miniredis) {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return NewRedisClient(rdb, "test"), mr
}

func TestRedisMiniredis(t *testing.T) {
	t.Parallel()
	s, mr := newMiniredisStore(t)
	testStore(t, s, mr.FastForward)
	t.Run("key layout", func(t *testing.T) { testRedisKeys(t, s) })
}

func TestRedisReal(t *testing.T) {
	t.Parallel()
	u := realRedisURL(t)
	prefix := uniquePrefix(t, u)
	s, err := NewRedis(t.Context(), u, prefix)
	if err != nil {
		t.Fatalf("NewRedis() = %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	testStore(t, s, time.Sleep)
	t.Run("key layout", func(t *testing.T) { testRedisKeys(t, s) })
}

func TestRedisSurvivesRestartMiniredis(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	testRestart(t, "redis://"+mr.Addr()+"/0", "test", func() {
		mr.Close()
		if err := mr.Restart(); err != nil {
			t.Fatalf("miniredis restart: %v", err)
		}
	})
}

func TestRedisSurvivesRestartReal(t *testing.T) {
	t.Parallel()
	u := realRedisURL(t)
	testRestart(t, u, uniquePrefix(t, u), func() {})
}

func TestRedisClientCloseLeavesClientOpen(t *testing.T) {
	t.Parallel()
	s, _ := newMiniredisStore(t)
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping after Close of a NewRedisClient store = %v, want nil", err)
	}
}

func TestOpenRedis(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	s, err := Open(t.Context(), "redis://"+mr.Addr()+"/0", "bot", nil)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, ok := s.(*Redis); !ok {
		t.Fatalf("Open() = %T, want *Redis", s)
	}
	mustSet(t, s, "k", "v", longTTL)
	if got, _ := mr.Get("bot:k"); got != "v" {
		t.Errorf("miniredis bot:k = %q, want %q", got, "v")
	}
}

func TestNewRedisErrorsHidePassword(t *testing.T) {
	t.Parallel()
	const pw = "hunter2"
	mr := miniredis.RunT(t)
	mr.RequireAuth("the-real-one")
	for _, tc := range []struct{ name, url string }{
		{"bad port", "redis://:" + pw + "@127.0.0.1:notaport/0"},
		{"slash in password", "redis://:" + pw + "/x@127.0.0.1:6379/0"},
		{"bad escape", "redis://:" + pw + "%zz@127.0.0.1:6379/0"},
		{"bad scheme", "http://:" + pw + "@127.0.0.1:6379/0"},
		{"bad db", "redis://:" + pw + "@127.0.0.1:6379/notadb"},
		{"password in option", "redis://:" + pw + "@127.0.0.1:6379/0?dial_timeout=" + pw},
		{"wrong password", "redis://:" + pw + "@" + mr.Addr() + "/0"},
		{"user and password", "redis://admin:" + pw + "@" + mr.Addr() + "/0"},
		{"unreachable", "redis://:" + pw + "@127.0.0.1:1/0?max_retries=-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			s, err := NewRedis(ctx, tc.url, "bot")
			if err == nil {
				_ = s.Close()
				t.Fatalf("NewRedis(%s) = nil error, want one", tc.name)
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			if strings.Contains(msg, pw) {
				t.Errorf("NewRedis error %q contains the password", msg)
			}
			if !strings.HasPrefix(msg, "state: ") {
				t.Errorf("NewRedis error %q does not start with %q", msg, "state: ")
			}
		})
	}
}

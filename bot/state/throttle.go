package state

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Throttle is a rate limit by the generic cell rate algorithm: one event per interval
// on average, with bursts of up to burst events. It returns 0 when an event under key
// may happen now (and counts it), or how long to wait until one may (counting
// nothing). No window of length w holds more than burst + w/interval events, which
// is how callers pick interval and burst to stay under a platform's limit.
func (m *Memory) Throttle(ctx context.Context, key string, interval time.Duration, burst int) (time.Duration, error) {
	if interval <= 0 || burst < 1 {
		return 0, badArg("state: throttle %s: interval %v and burst %d must be positive", key, interval, burst)
	}
	now, err := m.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer m.data.mu.Unlock()
	k := storedKey(m.prefix, "throttle:"+key)
	tat := now
	if it, ok := m.data.live(k, now); ok {
		if t, err := time.Parse(time.RFC3339Nano, string(it.val)); err == nil && t.After(now) {
			tat = t
		}
	}
	next := tat.Add(interval)
	if allowAt := next.Add(-time.Duration(burst) * interval); now.Before(allowAt) {
		return allowAt.Sub(now), nil
	}
	m.data.put(k, []byte(next.Format(time.RFC3339Nano)), next.Sub(now), now)
	return 0, nil
}

// throttleScript is the GCRA in one atomic step, on the Redis server's clock so that
// replicas with drifting clocks share one limit.
var throttleScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local nxt = tat + interval
local allow_at = nxt - burst * interval
if now < allow_at then return allow_at - now end
redis.call('SET', KEYS[1], tostring(nxt), 'PX', math.ceil((nxt - now) / 1000) + 1)
return 0
`)

// Throttle is Memory.Throttle on Redis, shared by every replica.
func (r *Redis) Throttle(ctx context.Context, key string, interval time.Duration, burst int) (time.Duration, error) {
	if interval <= 0 || burst < 1 {
		return 0, badArg("state: throttle %s: interval %v and burst %d must be positive", key, interval, burst)
	}
	us := interval.Microseconds()
	if us < 1 {
		us = 1
	}
	wait, err := throttleScript.Run(ctx, r.rdb, []string{r.key("throttle:" + key)}, strconv.FormatInt(us, 10), strconv.Itoa(burst)).Int64()
	if err != nil {
		return 0, fmt.Errorf("state: throttle %s: %w", key, err)
	}
	return time.Duration(wait) * time.Microsecond, nil
}

package state

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// DefaultRetryPrimary is how long a Failover stays on its local store after the
// primary failed before it tries the primary again.
const DefaultRetryPrimary = 5 * time.Second

var _ Store = (*Failover)(nil)

// Failover is a Store that uses a shared primary (Redis) and, while the primary
// fails, a Memory of this process's own, so that nothing waiting on state stops
// when Redis does. What it degrades, and how:
//
//   - dedup marks, locks and token caches become per replica: the database's
//     unique keys and leases, and the platforms' idempotency keys, still hold
//     across replicas, so nothing is lost or done twice;
//   - conversation state becomes per replica: a question asked on one replica
//     and answered on another is not known there, and the answer is treated as a
//     new message (the bot says nothing is waiting to be confirmed);
//   - rate limits (Throttle) become per replica, at 1/share of the shared rate, so
//     that share replicas together stay within it.
//
// After a failure the primary is left alone for RetryPrimary; then the next call
// tries it again, and Ping always does. Values written locally during an outage
// stay local: the primary does not get them when it comes back. A Failover is
// safe for concurrent use.
type Failover struct {
	primary Store
	local   *Memory
	share   int
	log     *slog.Logger
	now     func() time.Time

	// RetryPrimary is how long the primary is left alone after a failure.
	RetryPrimary time.Duration

	mu        sync.Mutex
	down      bool      // the last call to the primary failed
	downUntil time.Time // when to try the primary again
}

// NewFailover returns a Failover on primary that falls back to local, keeping
// rate limits at 1/share (share < 1 counts as 1) of the shared rate while it
// does. log may be nil.
func NewFailover(primary Store, local *Memory, share int, log *slog.Logger) *Failover {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Failover{primary: primary, local: local, share: max(share, 1), log: log, now: time.Now,
		RetryPrimary: DefaultRetryPrimary}
}

// Degraded reports whether the primary failed at its last use.
func (f *Failover) Degraded() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down
}

// usePrimary reports whether the next call should go to the primary.
func (f *Failover) usePrimary() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.down || !f.now().Before(f.downUntil)
}

// failed records the primary's err and reports whether the call should be made
// on the local store instead: not when ctx is done (the caller gave up) or err
// is the caller's own (an empty key, a bad ttl), which the local store would
// give too.
func (f *Failover) failed(ctx context.Context, op string, err error) bool {
	var arg *argError
	if err == nil || ctx.Err() != nil || errors.As(err, &arg) {
		return false
	}
	f.mu.Lock()
	was := f.down
	f.down, f.downUntil = true, f.now().Add(f.RetryPrimary)
	f.mu.Unlock()
	if !was {
		f.log.WarnContext(ctx, "shared state unavailable, using this replica's own", "op", op, "error", err)
	}
	return true
}

// recovered records a successful call to the primary.
func (f *Failover) recovered(ctx context.Context) {
	f.mu.Lock()
	was := f.down
	f.down = false
	f.mu.Unlock()
	if was {
		f.log.InfoContext(ctx, "shared state available again")
	}
}

// call runs op on the primary, or on the local store while the primary is down
// or when it fails.
func call[T any](ctx context.Context, f *Failover, name string, op func(Store) (T, error)) (T, error) {
	if f.usePrimary() {
		v, err := op(f.primary)
		if err == nil {
			f.recovered(ctx)
			return v, nil
		}
		if !f.failed(ctx, name, err) {
			return v, err
		}
	}
	return op(f.local)
}

// Get is Store.Get on the primary, or the local store while the primary is down.
func (f *Failover) Get(ctx context.Context, key string) ([]byte, bool, error) {
	type got struct {
		val []byte
		ok  bool
	}
	g, err := call(ctx, f, "get", func(s Store) (got, error) {
		v, ok, err := s.Get(ctx, key)
		return got{v, ok}, err
	})
	return g.val, g.ok, err
}

// Set is Store.Set on the primary, or the local store while the primary is down.
func (f *Failover) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	_, err := call(ctx, f, "set", func(s Store) (struct{}, error) { return struct{}{}, s.Set(ctx, key, val, ttl) })
	return err
}

// SetNX is Store.SetNX on the primary, or the local store while the primary is
// down: then it is atomic only within this process.
func (f *Failover) SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	return call(ctx, f, "setnx", func(s Store) (bool, error) { return s.SetNX(ctx, key, val, ttl) })
}

// Delete is Store.Delete on the primary, or the local store while the primary is down.
func (f *Failover) Delete(ctx context.Context, key string) error {
	_, err := call(ctx, f, "delete", func(s Store) (struct{}, error) { return struct{}{}, s.Delete(ctx, key) })
	return err
}

// CompareAndDelete is Store.CompareAndDelete on the primary, or the local store
// while the primary is down.
func (f *Failover) CompareAndDelete(ctx context.Context, key string, val []byte) (bool, error) {
	return call(ctx, f, "compare and delete", func(s Store) (bool, error) { return s.CompareAndDelete(ctx, key, val) })
}

// Throttle is Store.Throttle on the primary, shared by every replica; while the
// primary is down it is this replica's own, at 1/share of the rate and burst
// (at least one), so that share replicas together stay within the limit.
func (f *Failover) Throttle(ctx context.Context, key string, interval time.Duration, burst int) (time.Duration, error) {
	if f.usePrimary() {
		wait, err := f.primary.Throttle(ctx, key, interval, burst)
		if err == nil {
			f.recovered(ctx)
			return wait, nil
		}
		if !f.failed(ctx, "throttle", err) {
			return 0, err
		}
	}
	return f.local.Throttle(ctx, key, interval*time.Duration(f.share), max(burst/f.share, 1))
}

// Ping pings the primary, whatever its last state, and returns its error. A
// Failover whose primary is down still works, degraded: report it, but do not
// stop on it.
func (f *Failover) Ping(ctx context.Context) error {
	if err := f.primary.Ping(ctx); err != nil {
		f.failed(ctx, "ping", err)
		return err
	}
	f.recovered(ctx)
	return nil
}

// Close closes both stores.
func (f *Failover) Close() error {
	return errors.Join(f.primary.Close(), f.local.Close())
}

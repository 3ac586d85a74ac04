// Package state keeps the bot's short-lived shared state: conversation
// state, dedup marks, access tokens and locks.
//
// Two implementations satisfy [Store]: [Redis] (go-redis v9), for production
// where several replicas share one server, and [Memory], the in-process
// default for a single embedded instance. Both store opaque bytes (callers do
// their own JSON), namespace every key as prefix + ":" + key, and give every
// key a time to live, so nothing is kept forever. Absent and expired keys are
// not errors. State held here may be lost or rebuilt; records belong in the
// database.
package state

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
)

// Store is the contract shared by *Memory and *Redis. Consumers should
// declare the smaller interface they need; Store exists for [Open] and for
// the contract test.
type Store interface {
	// Get returns the value of key; ok is false when it is absent or expired.
	Get(ctx context.Context, key string) (val []byte, ok bool, err error)
	// Set stores val under key for ttl, which must be positive.
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// SetNX stores val under key for ttl only if key is absent or expired,
	// and reports whether it did. Use it for dedup marks and locks.
	SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error)
	// Delete removes key. Deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// CompareAndDelete removes key only if it holds val, atomically, and
	// reports whether it did. Use it to release a lock held by its owner.
	CompareAndDelete(ctx context.Context, key string, val []byte) (bool, error)
	// Throttle counts an event under key against a rate of one per interval with
	// bursts of burst, returning 0 if it may happen now, else how long to wait.
	Throttle(ctx context.Context, key string, interval time.Duration, burst int) (time.Duration, error)
	// Ping reports whether the store is usable.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// Open returns a Redis store connected to redisURL, or, when redisURL is
// empty, a Memory store that reads the time from now (time.Now if nil).
// It returns an error if prefix is empty or contains white space, or if
// NewRedis fails; the error never contains the URL's password.
func Open(ctx context.Context, redisURL, prefix string, now func() time.Time) (Store, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	if redisURL == "" {
		return NewMemory(prefix, now), nil
	}
	r, err := NewRedis(ctx, redisURL, prefix)
	if err != nil {
		return nil, err // not r: a nil *Redis in a Store is not a nil Store
	}
	return r, nil
}

// OpenFailover returns the store of a server: with a redisURL, a [Failover]
// on Redis that keeps working on this process's own state while Redis is down,
// also when it is down at start (logged, not an error), with rate limits at
// 1/share while it is; without one, a Memory. It returns an error if prefix is
// empty or contains white space, or if redisURL does not parse; the error never
// contains the URL's password.
func OpenFailover(ctx context.Context, redisURL, prefix string, share int, log *slog.Logger) (Store, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	if redisURL == "" {
		return NewMemory(prefix, nil), nil
	}
	r, err := DialRedis(redisURL, prefix)
	if err != nil {
		return nil, err
	}
	f := NewFailover(r, NewMemory(prefix, nil), share, log)
	_ = f.Ping(ctx) // a failure is logged by the Failover and the replica starts degraded
	return f, nil
}

// errClosed is returned by a Memory used after Close.
var errClosed = errors.New("store closed")

// validatePrefix reports whether prefix can namespace keys: it must be
// non-empty and contain no white space.
func validatePrefix(prefix string) error {
	if prefix == "" {
		return errors.New("state: empty key prefix")
	}
	if strings.ContainsFunc(prefix, unicode.IsSpace) {
		return fmt.Errorf("state: key prefix %q contains white space", prefix)
	}
	return nil
}

// mustValidatePrefix panics if prefix is invalid. Constructors without an
// error result use it: a bad prefix is a wiring bug, and Open reports it as
// an error instead.
func mustValidatePrefix(prefix string) {
	if err := validatePrefix(prefix); err != nil {
		panic(err)
	}
}

// storedKey is the only place that builds the key as stored in the backend.
func storedKey(prefix, key string) string {
	return prefix + ":" + key
}

// argError is a call's own mistake (an empty key, a ttl that is not positive):
// no store would take the call, so a Failover does not count it against its
// primary.
type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

// badArg returns an *argError with the formatted message.
func badArg(format string, args ...any) error { return &argError{fmt.Sprintf(format, args...)} }

// checkKey reports an error for an empty key; op names the operation.
func checkKey(op, key string) error {
	if key == "" {
		return badArg("state: %s: empty key", op)
	}
	return nil
}

// checkWrite reports an error for an empty key or a ttl that is not positive.
func checkWrite(op, key string, ttl time.Duration) error {
	if err := checkKey(op, key); err != nil {
		return err
	}
	if ttl <= 0 {
		return badArg("state: %s %q: ttl %v must be positive", op, key, ttl)
	}
	return nil
}

package state

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"
)

// minSweepInterval is the least number of writes between two sweeps of
// expired keys in a Memory.
const minSweepInterval = 128

var _ Store = (*Memory)(nil)

// Memory is an in-process Store: a map guarded by a mutex. It suits a single
// instance; replicas do not share it and it does not survive a restart.
// Expired keys are invisible at once and removed on read or by a sweep run
// every so many writes, so there is no background goroutine. A Memory is safe
// for concurrent use.
type Memory struct {
	prefix string
	now    func() time.Time
	data   *memData // shared by Memories on the same backend (tests)
}

// memData is the backend of a Memory.
type memData struct {
	mu        sync.Mutex
	items     map[string]memItem // stored key -> item
	untilScan int                // writes left before the next sweep
	closed    bool
}

type memItem struct {
	val     []byte
	expires time.Time
}

// NewMemory returns an empty Memory that namespaces keys with prefix and
// reads the time from now (time.Now if nil), so tests can expire keys
// without sleeping. It panics if prefix is empty or contains white space;
// use Open to get an error instead.
func NewMemory(prefix string, now func() time.Time) *Memory {
	mustValidatePrefix(prefix)
	if now == nil {
		now = time.Now
	}
	return &Memory{
		prefix: prefix,
		now:    now,
		data:   &memData{items: make(map[string]memItem), untilScan: minSweepInterval},
	}
}

// lock locks the backend and returns the current time, or an error if the
// Memory is closed or ctx is done. On success the caller must unlock.
func (m *Memory) lock(ctx context.Context) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	m.data.mu.Lock()
	if m.data.closed {
		m.data.mu.Unlock()
		return time.Time{}, errClosed
	}
	return m.now(), nil
}

// live returns the item stored under k if it has not expired at now,
// removing it if it has. The caller holds the lock.
func (d *memData) live(k string, now time.Time) (memItem, bool) {
	it, ok := d.items[k]
	if !ok {
		return memItem{}, false
	}
	if !now.Before(it.expires) {
		delete(d.items, k)
		return memItem{}, false
	}
	return it, true
}

// put stores a copy of val under k and sweeps expired keys when due, so the
// map does not grow without bound. Sweeping after as many writes as there
// were keys at the previous sweep keeps the cost per write constant on
// average. The caller holds the lock.
func (d *memData) put(k string, val []byte, ttl time.Duration, now time.Time) {
	d.items[k] = memItem{val: bytes.Clone(val), expires: now.Add(ttl)}
	d.untilScan--
	if d.untilScan > 0 {
		return
	}
	for k, it := range d.items {
		if !now.Before(it.expires) {
			delete(d.items, k)
		}
	}
	d.untilScan = max(minSweepInterval, len(d.items))
}

// Get returns a copy of the value of key; ok is false when key is absent or
// expired. It returns an error if key is empty, ctx is done or m is closed.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := checkKey("get", key); err != nil {
		return nil, false, err
	}
	now, err := m.lock(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("state: get %q: %w", key, err)
	}
	defer m.data.mu.Unlock()
	it, ok := m.data.live(storedKey(m.prefix, key), now)
	if !ok {
		return nil, false, nil
	}
	return bytes.Clone(it.val), true, nil
}

// Set stores a copy of val under key for ttl. It returns an error if key is
// empty, ttl is not positive, ctx is done or m is closed.
func (m *Memory) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if err := checkWrite("set", key, ttl); err != nil {
		return err
	}
	now, err := m.lock(ctx)
	if err != nil {
		return fmt.Errorf("state: set %q: %w", key, err)
	}
	defer m.data.mu.Unlock()
	m.data.put(storedKey(m.prefix, key), val, ttl, now)
	return nil
}

// SetNX stores a copy of val under key for ttl if key is absent or expired,
// and reports whether it did. It returns an error if key is empty, ttl is
// not positive, ctx is done or m is closed.
func (m *Memory) SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	if err := checkWrite("setnx", key, ttl); err != nil {
		return false, err
	}
	now, err := m.lock(ctx)
	if err != nil {
		return false, fmt.Errorf("state: setnx %q: %w", key, err)
	}
	defer m.data.mu.Unlock()
	k := storedKey(m.prefix, key)
	if _, ok := m.data.live(k, now); ok {
		return false, nil
	}
	m.data.put(k, val, ttl, now)
	return true, nil
}

// Delete removes key; an absent key is not an error. It returns an error if
// key is empty, ctx is done or m is closed.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := checkKey("delete", key); err != nil {
		return err
	}
	if _, err := m.lock(ctx); err != nil {
		return fmt.Errorf("state: delete %q: %w", key, err)
	}
	defer m.data.mu.Unlock()
	delete(m.data.items, storedKey(m.prefix, key))
	return nil
}

// CompareAndDelete removes key only if it is live and holds val, and reports
// whether it did. It returns an error if key is empty, ctx is done or m is
// closed.
func (m *Memory) CompareAndDelete(ctx context.Context, key string, val []byte) (bool, error) {
	if err := checkKey("compare and delete", key); err != nil {
		return false, err
	}
	now, err := m.lock(ctx)
	if err != nil {
		return false, fmt.Errorf("state: compare and delete %q: %w", key, err)
	}
	defer m.data.mu.Unlock()
	k := storedKey(m.prefix, key)
	it, ok := m.data.live(k, now)
	if !ok || !bytes.Equal(it.val, val) {
		return false, nil
	}
	delete(m.data.items, k)
	return true, nil
}

// Ping returns an error if ctx is done or m is closed.
func (m *Memory) Ping(ctx context.Context) error {
	if _, err := m.lock(ctx); err != nil {
		return fmt.Errorf("state: ping: %w", err)
	}
	m.data.mu.Unlock()
	return nil
}

// Close drops every key; later calls fail. It always returns nil.
func (m *Memory) Close() error {
	m.data.mu.Lock()
	defer m.data.mu.Unlock()
	m.data.closed = true
	m.data.items = nil
	return nil
}

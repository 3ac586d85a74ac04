package feishu

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"channelbot/bot/state"
)

// Token cache and refresh lock, in the shared state.Store.
const (
	// tokenPrefix namespaces the SDK's cache keys in the store.
	tokenPrefix = "feishu:"
	// refreshLockTTL bounds how long a crashed refresher blocks others; it
	// exceeds the HTTP timeout of a healthy one.
	refreshLockTTL = 15 * time.Second
	// refreshWait is how long a caller waits for another's refresh before
	// fetching a token itself.
	refreshWait = refreshLockTTL
	pollFirst   = 20 * time.Millisecond
	pollMax     = 250 * time.Millisecond
)

// tenantTokenKey is the key under which the SDK caches the app's
// tenant_access_token: "tenant_access_token-<appID>-<tenantKey>", with an
// empty tenant key for a self-built app (core/tokenmanager.go).
func tenantTokenKey(appID string) string { return "tenant_access_token-" + appID + "-" }

var _ larkcore.Cache = (*tokenCache)(nil)

// tokenCache is the SDK's token cache (larkcore.Cache) over a state.Store
// (Redis in production), so that every replica shares one token, with a
// refresh lock so that one caller at a time fetches a new one.
//
// The SDK reads the cache before every call and, when it comes back empty,
// fetches a token and stores it with Set for expire-3 min. Get is where the
// lock is taken: the first caller to find the cache empty takes the lock and
// gets "" (the SDK then fetches and Set releases the lock); others poll
// until the token appears, the lock is released, or refreshWait passes.
type tokenCache struct {
	st state.Store

	mu     sync.Mutex
	owners map[string][]byte // refresh locks this process holds, by cache key
}

func newTokenCache(st state.Store) *tokenCache {
	return &tokenCache{st: st, owners: make(map[string][]byte)}
}

func storeKey(key string) string { return tokenPrefix + key }
func lockKey(key string) string  { return tokenPrefix + key + ":refresh" }

// Get returns the cached token, or "" when the caller is to fetch one.
func (c *tokenCache) Get(ctx context.Context, key string) (string, error) {
	giveUp := time.Now().Add(refreshWait)
	wait := pollFirst
	for {
		v, ok, err := c.st.Get(ctx, storeKey(key))
		if err != nil {
			return "", fmt.Errorf("feishu: token cache: %w", err)
		}
		if ok && len(v) > 0 {
			return string(v), nil
		}
		owner := []byte(rand.Text())
		locked, err := c.st.SetNX(ctx, lockKey(key), owner, refreshLockTTL)
		if err != nil {
			return "", fmt.Errorf("feishu: token cache: take refresh lock: %w", err)
		}
		if locked {
			// Another caller may have stored a token and released the lock
			// between our read and our lock: look again before fetching.
			v, ok, err := c.st.Get(ctx, storeKey(key))
			if err == nil && ok && len(v) > 0 {
				// A lock left behind only makes others read the cache, where the
				// token is; it expires by itself.
				_, _ = c.st.CompareAndDelete(context.WithoutCancel(ctx), lockKey(key), owner)
				return string(v), nil
			}
			c.mu.Lock()
			c.owners[key] = owner
			c.mu.Unlock()
			return "", nil
		}
		if time.Now().After(giveUp) {
			return "", nil // fetch anyway: Feishu hands out the same token while it is fresh
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return "", fmt.Errorf("feishu: token cache: wait for refresh: %w", ctx.Err())
		case <-timer.C:
		}
		wait = min(2*wait, pollMax)
	}
}

// Set stores a token the SDK fetched and releases the refresh lock.
func (c *tokenCache) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	var err error
	if ttl > 0 && value != "" {
		err = c.st.Set(ctx, storeKey(key), []byte(value), ttl)
	}
	return errors.Join(err, c.release(context.WithoutCancel(ctx), key))
}

// release frees the refresh lock of key if this process holds it: after a
// fetch that failed, so that others need not wait for the lock to expire.
func (c *tokenCache) release(ctx context.Context, key string) error {
	c.mu.Lock()
	owner, ok := c.owners[key]
	delete(c.owners, key)
	c.mu.Unlock()
	if !ok {
		return nil
	}
	if _, err := c.st.CompareAndDelete(ctx, lockKey(key), owner); err != nil {
		return fmt.Errorf("feishu: token cache: release refresh lock: %w", err)
	}
	return nil
}

// evict removes token from the cache, which Feishu has just refused, unless
// another caller has replaced it already. With token "" (not known) it
// removes whatever is cached.
func (c *tokenCache) evict(ctx context.Context, key, token string) error {
	var err error
	if token == "" {
		err = c.st.Delete(ctx, storeKey(key))
	} else {
		_, err = c.st.CompareAndDelete(ctx, storeKey(key), []byte(token))
	}
	if err != nil {
		return fmt.Errorf("feishu: evict token: %w", err)
	}
	return nil
}

package wecom

import (
	"context"
	"fmt"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"

	"channelbot/bot/state"
)

// tokenCache is the SDK's cache interface, as the token getter uses it.
type tokenCache = cache.Cache

var (
	_ tokenCache = storeCache{}
	_ tokenCache = noCache{}
)

// newTokenHandle returns the SDK's WeCom token getter over c. A handle is
// cheap, so Token makes one per refresh with a cache bound to the caller's
// ctx: the SDK's Cache interface takes no context.
func newTokenHandle(corpID, secret, agentID string, c tokenCache) credential.AccessTokenContextHandle {
	return credential.NewWorkAccessToken(corpID, secret, agentID, tokenCachePrefix, c)
}

// storeCache adapts state.Store (Redis in production) to the SDK's
// cache.Cache, so that every replica shares the token. Values are strings,
// as the SDK stores and type-asserts them.
//
// The SDK's own cache.Memory is racy (platforms.md §5.1 pitfall 2) and per
// process; this one is neither.
type storeCache struct {
	ctx context.Context
	st  state.Store
}

// Get returns the cached string, or nil when absent, empty or unreadable:
// the SDK asserts any non-nil value to string and would use "" as a token.
func (s storeCache) Get(key string) any {
	v, ok, err := s.st.Get(s.ctx, key)
	if err != nil || !ok || len(v) == 0 {
		return nil
	}
	return string(v)
}

// Set stores val, a string, for timeout. The SDK passes expires_in-1500 s;
// a token that would live 0 s or less is not worth sharing and is not
// stored.
func (s storeCache) Set(key string, val any, timeout time.Duration) error {
	str, ok := val.(string)
	if !ok {
		return fmt.Errorf("wecom: token cache: value is %T, not string", val)
	}
	if timeout <= 0 || str == "" {
		return nil
	}
	return s.st.Set(s.ctx, key, []byte(str), timeout)
}

// IsExist reports whether key holds a value.
func (s storeCache) IsExist(key string) bool { return s.Get(key) != nil }

// Delete removes key.
func (s storeCache) Delete(key string) error { return s.st.Delete(s.ctx, key) }

// noCache makes the SDK fetch a token every time, without storing it: for
// Check, which must prove the secret rather than the cache.
type noCache struct{}

func (noCache) Get(string) any                       { return nil }
func (noCache) Set(string, any, time.Duration) error { return nil }
func (noCache) IsExist(string) bool                  { return false }
func (noCache) Delete(string) error                  { return nil }

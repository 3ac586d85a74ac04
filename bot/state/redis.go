package state

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

var _ Store = (*Redis)(nil)

// Redis is a Store on a Redis server, shared by every replica that uses the
// same server and prefix. Keys expire on the server. A Redis is safe for
// concurrent use.
type Redis struct {
	rdb    *redis.Client
	prefix string
	owned  bool // Close closes rdb
}

// compareAndDeleteScript deletes KEYS[1] only if it holds ARGV[1], in one
// atomic step, and returns the number of keys deleted.
var compareAndDeleteScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0
`)

// NewRedis connects to the server at rawURL (redis://, rediss:// or unix://,
// as accepted by redis.ParseURL), pings it and returns a Redis that
// namespaces keys with prefix and owns the connection: Close closes it.
// It returns an error if prefix is empty or contains white space, if rawURL
// does not parse, or if the ping fails. The error shows the URL without its
// password or query and never contains the password.
func NewRedis(ctx context.Context, rawURL, prefix string) (*Redis, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	opt, safeURL, err := parseRedisURL(rawURL)
	if err != nil {
		return nil, err
	}
	rdb := redis.NewClient(opt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close() // the ping error is the one worth reporting
		return nil, redact(fmt.Sprintf("state: ping redis %s", safeURL), err, opt.Password)
	}
	return &Redis{rdb: rdb, prefix: prefix, owned: true}, nil
}

// DialRedis is NewRedis without the ping, for a Failover: it returns a Redis
// for the server at rawURL even while the server is down (each command then
// fails until it is up), and one that fails fast: unless the URL says
// otherwise, a command is retried once, a dial once, and dialing, reading and
// writing time out after a second (go-redis would take about two seconds to
// give up on a stopped server, five on an unreachable one). It returns an
// error if prefix is empty or contains white space, or if rawURL does not
// parse; the error never contains the password.
func DialRedis(rawURL, prefix string) (*Redis, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	opt, _, err := parseRedisURL(rawURL)
	if err != nil {
		return nil, err
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = 1
	}
	if opt.DialerRetries == 0 {
		opt.DialerRetries = 1
	}
	for _, d := range []*time.Duration{&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout} {
		if *d == 0 {
			*d = time.Second
		}
	}
	return &Redis{rdb: redis.NewClient(opt), prefix: prefix, owned: true}, nil
}

// NewRedisClient returns a Redis that uses rdb and namespaces keys with
// prefix. The caller keeps ownership of rdb: Close does not close it.
// It panics if prefix is empty or contains white space.
func NewRedisClient(rdb *redis.Client, prefix string) *Redis {
	mustValidatePrefix(prefix)
	return &Redis{rdb: rdb, prefix: prefix}
}

// parseRedisURL parses rawURL with redis.ParseURL and also returns the URL
// without its password or query, for messages. Its errors hold no secret.
func parseRedisURL(rawURL string) (*redis.Options, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// A *url.Error quotes the whole URL, and its cause may quote a
		// piece of it (a bad escape, a "port"), so none of it is kept.
		return nil, "", errors.New("state: parse redis URL: malformed URL")
	}
	safeURL := redactURL(u)
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		pw, _ := u.User.Password()
		return nil, "", redact(fmt.Sprintf("state: parse redis URL %s", safeURL), err, pw)
	}
	return opt, safeURL, nil
}

// redactURL returns u without its password, query or fragment.
func redactURL(u *url.URL) string {
	r := *u
	r.RawQuery, r.ForceQuery, r.Fragment, r.RawFragment = "", false, "", ""
	return r.Redacted()
}

// redact wraps err under msg, unless err's text contains password, in which
// case err is dropped: no wrapped error may reveal the password.
func redact(msg string, err error, password string) error {
	if password != "" && strings.Contains(err.Error(), password) {
		return fmt.Errorf("%s: error text withheld, it contains the password", msg)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// key returns the stored key for key.
func (r *Redis) key(key string) string { return storedKey(r.prefix, key) }

// Get returns the value of key; ok is false when key is absent or expired.
// It returns an error if key is empty or the command fails.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := checkKey("get", key); err != nil {
		return nil, false, err
	}
	b, err := r.rdb.Get(ctx, r.key(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil // absent or expired
	}
	if err != nil {
		return nil, false, fmt.Errorf("state: get %q: %w", key, err)
	}
	return b, true, nil
}

// Set stores val under key for ttl (SET PX). It returns an error if key is
// empty, ttl is not positive or the command fails.
func (r *Redis) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if err := checkWrite("set", key, ttl); err != nil {
		return err
	}
	if err := r.rdb.Set(ctx, r.key(key), val, serverTTL(ttl)).Err(); err != nil {
		return fmt.Errorf("state: set %q: %w", key, err)
	}
	return nil
}

// SetNX stores val under key for ttl if key is absent or expired (SET NX PX,
// atomic across replicas) and reports whether it did. It returns an error if
// key is empty, ttl is not positive or the command fails.
func (r *Redis) SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	if err := checkWrite("setnx", key, ttl); err != nil {
		return false, err
	}
	ok, err := r.rdb.SetNX(ctx, r.key(key), val, serverTTL(ttl)).Result()
	if err != nil {
		return false, fmt.Errorf("state: setnx %q: %w", key, err)
	}
	return ok, nil
}

// Delete removes key; an absent key is not an error. It returns an error if
// key is empty or the command fails.
func (r *Redis) Delete(ctx context.Context, key string) error {
	if err := checkKey("delete", key); err != nil {
		return err
	}
	if err := r.rdb.Del(ctx, r.key(key)).Err(); err != nil {
		return fmt.Errorf("state: delete %q: %w", key, err)
	}
	return nil
}

// CompareAndDelete removes key only if it holds val, atomically on the
// server (a Lua script), and reports whether it did. It returns an error if
// key is empty or the script fails.
func (r *Redis) CompareAndDelete(ctx context.Context, key string, val []byte) (bool, error) {
	if err := checkKey("compare and delete", key); err != nil {
		return false, err
	}
	n, err := compareAndDeleteScript.Run(ctx, r.rdb, []string{r.key(key)}, val).Int64()
	if err != nil {
		return false, fmt.Errorf("state: compare and delete %q: %w", key, err)
	}
	return n == 1, nil
}

// Ping returns an error if the server does not answer.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("state: ping redis: %w", err)
	}
	return nil
}

// Close closes the connection if NewRedis opened it; a Redis from
// NewRedisClient leaves its client open. It returns the client's Close error.
func (r *Redis) Close() error {
	if !r.owned {
		return nil
	}
	if err := r.rdb.Close(); err != nil {
		return fmt.Errorf("state: close redis: %w", err)
	}
	return nil
}

// serverTTL rounds ttl up to whole milliseconds, the unit of SET PX, so that
// a short ttl never becomes shorter (go-redis would truncate and log).
func serverTTL(ttl time.Duration) time.Duration {
	if r := ttl % time.Millisecond; r != 0 {
		ttl += time.Millisecond - r
	}
	return ttl
}

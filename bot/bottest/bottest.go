// Package bottest gives the tests of bot and of the packages built on it a bot over
// a fresh SQLite database holding the demo company, and a state store that fails.
package bottest

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"channelbot/bot"
	"channelbot/bot/state"
	"channelbot/models"
)

// CST is China Standard Time, the zone the test bots read dates in.
var CST = time.FixedZone("CST", 8*3600)

// NewBot returns a bot over a fresh SQLite database holding the demo company, with
// conversations in st (in-process state when nil). Both are closed with the test.
func NewBot(t testing.TB, st bot.StateStore, opts ...bot.Option) (*bot.Bot, *models.Store) {
	t.Helper()
	ctx := context.Background()
	store, err := models.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "bot.db"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := store.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if st == nil {
		st = state.NewMemory("test", nil)
	}
	b, err := bot.New(ctx, store, st, nil, CST, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b, store
}

// ErrRedisDown is what BrokenState answers: an unreachable Redis, with a secret in
// its text that must never reach a user.
var ErrRedisDown = errors.New("dial tcp 10.1.2.3:6379: connection refused, password=hunter2")

// BrokenState fails every call, like an unreachable Redis.
type BrokenState struct{}

var _ bot.StateStore = BrokenState{}

// Get fails with ErrRedisDown.
func (BrokenState) Get(context.Context, string) ([]byte, bool, error) {
	return nil, false, ErrRedisDown
}

// Set fails with ErrRedisDown.
func (BrokenState) Set(context.Context, string, []byte, time.Duration) error {
	return ErrRedisDown
}

// CompareAndDelete fails with ErrRedisDown.
func (BrokenState) CompareAndDelete(context.Context, string, []byte) (bool, error) {
	return false, ErrRedisDown
}

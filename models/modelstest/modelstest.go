// Package modelstest gives tests the real servers CI starts: a PostgreSQL schema of
// their own and the Redis URL. Without TEST_DATABASE_URL or TEST_REDIS_URL a test that
// needs them skips, except when CI is "true", where it fails.
package modelstest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for creating and dropping schemas
)

// Env returns the environment variable name's value, skipping the test when it is
// unset, or failing it in CI.
func Env(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s must be set when CI=true", name)
		}
		t.Skipf("%s is not set", name)
	}
	return v
}

// RedisURL returns TEST_REDIS_URL.
func RedisURL(t testing.TB) string { return Env(t, "TEST_REDIS_URL") }

// PostgresDSN creates an empty schema of the test's own, dropped when the test ends,
// and returns TEST_DATABASE_URL with its search_path set to it.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := Env(t, "TEST_DATABASE_URL")
	ctx := context.Background()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", redactURL(base), err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		_ = admin.Close()
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		_ = admin.Close()
	})
	return withSearchPath(base, schema)
}

// withSearchPath sets search_path in a PostgreSQL URL or key=value connection string.
func withSearchPath(dsn, schema string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(dsn) + " search_path=" + schema
}

// redactURL hides the password of a connection URL, for test messages.
func redactURL(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return "TEST_DATABASE_URL"
}

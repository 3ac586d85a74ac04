package models

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

// openPostgresTestStore returns a migrated store on PostgreSQL, in a schema of its own
// that is dropped when the test ends. It skips the test when TEST_DATABASE_URL is unset,
// and fails it instead when CI is "true".
func openPostgresTestStore(t testing.TB) *Store {
	t.Helper()
	s := openPostgresTestStoreAt(t, postgresTestDSN(t))
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// postgresTestDSN creates an empty schema of the test's own, dropped when the test ends,
// and returns TEST_DATABASE_URL with its search_path set to it. It skips the test when
// TEST_DATABASE_URL is unset, and fails it instead when CI is "true".
func postgresTestDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_DATABASE_URL is not set (required when CI=true)")
		}
		t.Skip("TEST_DATABASE_URL is not set")
	}
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

// openPostgresTestStoreAt opens a store on dsn, from postgresTestDSN, without migrating
// it. The store is closed when the test ends, before the schema is dropped.
func openPostgresTestStoreAt(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), "postgres", dsn, nil, nil)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
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

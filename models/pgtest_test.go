package models

import (
	"context"
	"testing"

	"channelbot/models/modelstest"
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

// postgresTestDSN returns a DSN for a fresh schema of the test's own.
func postgresTestDSN(t testing.TB) string { return modelstest.PostgresDSN(t) }

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

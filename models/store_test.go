package models

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// openSQLiteFreshStore returns an unmigrated SQLite store in a file of the test's own.
func openSQLiteFreshStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "test.db"), nil, nil)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() }) // runs before the temporary directory is removed
	return s
}

// openPostgresFreshStore returns an unmigrated store on PostgreSQL, in a schema of its own.
func openPostgresFreshStore(t testing.TB) *Store {
	t.Helper()
	return openPostgresTestStoreAt(t, postgresTestDSN(t))
}

// forEachFreshStore is like forEachStore (in importer_test.go), but on stores not yet
// migrated, and runs its subtests "sqlite" and "postgres" in parallel.
func forEachFreshStore(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	for _, d := range []struct {
		name string
		open func(testing.TB) *Store
	}{{"sqlite", openSQLiteFreshStore}, {"postgres", openPostgresFreshStore}} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			fn(t, d.open(t))
		})
	}
}

// clock is a settable time for stores under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// forEachClockedStore runs fn on a migrated SQLite store and, when TEST_DATABASE_URL
// is set, a PostgreSQL one, both reading the time from c.
func forEachClockedStore(t *testing.T, c *clock, fn func(t *testing.T, s *Store)) {
	t.Helper()
	open := map[string]func(t *testing.T) *Store{
		"sqlite": func(t *testing.T) *Store {
			s, err := Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "jobs.db"), nil, c.Now)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		"postgres": func(t *testing.T) *Store {
			s, err := Open(context.Background(), "postgres", postgresTestDSN(t), nil, c.Now)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			s := open[name](t)
			if _, err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			fn(t, s)
		})
	}
}

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func ptr[T any](v T) *T { return &v }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func idsOf[T any](xs []T, id func(T) int64) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func TestCountStatements(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)}
	forEachClockedStore(t, c, func(t *testing.T, s *Store) {
		ctx, n := s.CountStatements(context.Background())
		if _, err := s.LastVisits(ctx, c.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindReports(ctx, ReportFilter{Kinds: []ReportKind{KindPlan}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.JobRunsOn(ctx, "2026-11-23"); err != nil {
			t.Fatal(err)
		}
		if got := n.Load(); got != 3 {
			t.Errorf("counted %d statements, want 3", got)
		}
		ctx2, n2 := s.CountStatements(context.Background())
		_, _ = s.JobRunsOn(ctx2, "2026-11-23")
		_, _ = s.JobRunsOn(context.Background(), "2026-11-23")
		if n.Load() != 3 || n2.Load() != 1 {
			t.Errorf("counters = %d, %d; want 3, 1", n.Load(), n2.Load())
		}
	})
}

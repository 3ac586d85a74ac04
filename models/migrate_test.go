package models

import (
	"context"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"
)

// migrationFileNames lists the embedded migration files of a dialect.
func migrationFileNames(t testing.TB, dialect string) []string {
	t.Helper()
	names, err := fs.Glob(migrationFiles, path.Join("migrations", dialect, "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		names[i] = path.Base(n)
	}
	sort.Strings(names)
	return names
}

// tableCounts counts the rows of every table, soft-deleted ones included.
func tableCounts(t testing.TB, s *Store) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, m := range append(AllModels(), &schemaMigration{}) {
		stmt := &gorm.Statement{DB: s.db}
		if err := stmt.Parse(m); err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := s.db.Unscoped().Model(m).Count(&n).Error; err != nil {
			t.Fatalf("count %s: %v", stmt.Schema.Table, err)
		}
		out[stmt.Schema.Table] = n
	}
	return out
}

func TestMigrationFilesMatchAcrossDialects(t *testing.T) {
	t.Parallel()
	lite, pg := migrationFileNames(t, "sqlite"), migrationFileNames(t, "postgres")
	if len(lite) == 0 {
		t.Fatal("no migrations")
	}
	if !slices.Equal(lite, pg) {
		t.Errorf("migrations differ between dialects:\nsqlite   %q\npostgres %q", lite, pg)
	}
	for _, d := range []string{"sqlite", "postgres"} {
		migs, err := loadMigrations(d)
		if err != nil {
			t.Fatalf("loadMigrations(%s): %v", d, err)
		}
		for _, m := range migs {
			if len(splitSQL(m.sql)) == 0 {
				t.Errorf("%s migration %d %s has no statements", d, m.version, m.name)
			}
		}
	}
}

func TestSplitSQL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"comments only", "-- nothing\n  -- here\n", nil},
		{"one per line", "CREATE TABLE a (x INT);\nCREATE INDEX a_x ON a (x);\n",
			[]string{"CREATE TABLE a (x INT);", "CREATE INDEX a_x ON a (x);"}},
		{"multi-line with comments and blanks", "-- head\nCREATE TABLE a (\n    x INT,\n\n    -- why\n    y INT\n);\n",
			[]string{"CREATE TABLE a (\n    x INT,\n    y INT\n);"}},
		{"no final semicolon", "UPDATE a SET x = 1", []string{"UPDATE a SET x = 1"}},
		{"semicolon mid-line", "INSERT INTO a VALUES ('x;y');\n", []string{"INSERT INTO a VALUES ('x;y');"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitSQL(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("splitSQL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	forEachFreshStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		files := len(migrationFileNames(t, s.Dialect()))
		if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
			t.Fatalf("SchemaVersion() on a fresh database = %d, %v, want 0", v, err)
		}
		n, err := s.Migrate(ctx)
		if err != nil || n != files {
			t.Fatalf("first Migrate() = %d, %v, want %d (every file)", n, err, files)
		}
		if v, err := s.SchemaVersion(ctx); err != nil || v != files {
			t.Errorf("SchemaVersion() = %d, %v, want %d", v, err, files)
		}
		if n, err := s.Migrate(ctx); err != nil || n != 0 {
			t.Errorf("second Migrate() = %d, %v, want 0", n, err)
		}
		if v, err := s.SchemaVersion(ctx); err != nil || v != files {
			t.Errorf("SchemaVersion() after the second Migrate = %d, %v, want %d", v, err, files)
		}
		var applied []schemaMigration
		if err := s.db.Order("version").Find(&applied).Error; err != nil {
			t.Fatal(err)
		}
		if len(applied) != files {
			t.Fatalf("schema_migrations has %d rows, want %d", len(applied), files)
		}
		for i, m := range applied {
			if m.Version != i+1 || m.Name == "" || m.AppliedAt.IsZero() {
				t.Errorf("schema_migrations row %d = %+v, want version %d with a name and a time", i, m, i+1)
			}
		}
	})
}

// TestSchemaMatchesModels checks the migrated schema against the GORM models both
// ways: every model field has its column, every column its field, every table its model.
func TestSchemaMatchesModels(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, s *Store) {
		mig := s.db.Migrator()
		tables := map[string]bool{"schema_migrations": true}
		for _, m := range AllModels() {
			stmt := &gorm.Statement{DB: s.db}
			if err := stmt.Parse(m); err != nil {
				t.Fatalf("parse %T: %v", m, err)
			}
			table := stmt.Schema.Table
			tables[table] = true
			if !mig.HasTable(m) {
				t.Errorf("%T: table %s is missing", m, table)
				continue
			}
			fields := map[string]bool{}
			for _, f := range stmt.Schema.Fields {
				if f.DBName == "" {
					continue
				}
				fields[f.DBName] = true
				if !mig.HasColumn(m, f.DBName) {
					t.Errorf("%T.%s: column %s.%s is missing", m, f.Name, table, f.DBName)
				}
			}
			cols, err := mig.ColumnTypes(m)
			if err != nil {
				t.Fatalf("columns of %s: %v", table, err)
			}
			for _, c := range cols {
				if !fields[c.Name()] {
					t.Errorf("column %s.%s has no field in %T", table, c.Name(), m)
				}
			}
		}
		all, err := mig.GetTables()
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range all {
			if !tables[name] && !strings.HasPrefix(name, "sqlite_") {
				t.Errorf("table %s has no model in AllModels()", name)
			}
		}
	})
}

// TestMigrateConcurrentPostgres starts two replicas on one database at once: both
// must succeed and every migration must be applied exactly once.
func TestMigrateConcurrentPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	files := len(migrationFileNames(t, "postgres"))
	for attempt := range 5 {
		dsn := postgresTestDSN(t)
		stores := []*Store{openPostgresTestStoreAt(t, dsn), openPostgresTestStoreAt(t, dsn)}
		applied := make([]int, len(stores))
		errs := make([]error, len(stores))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() {
				<-start
				applied[i], errs[i] = s.Migrate(ctx)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("attempt %d: replica %d: Migrate() = %v", attempt, i, err)
			}
		}
		if applied[0]+applied[1] != files {
			t.Errorf("attempt %d: replicas applied %d + %d migrations, want %d in all", attempt, applied[0], applied[1], files)
		}
		var n int64
		if err := stores[0].db.Model(&schemaMigration{}).Count(&n).Error; err != nil || n != int64(files) {
			t.Errorf("attempt %d: schema_migrations has %d rows, %v, want %d", attempt, n, err, files)
		}
		if t.Failed() {
			return
		}
	}
}

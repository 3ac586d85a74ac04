package models

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

//go:embed migrations
var migrationFiles embed.FS

// migration is one versioned schema change: a SQL file per dialect, applied in one transaction.
type migration struct {
	version int
	name    string
	sql     string
}

// schemaMigration records an applied migration.
type schemaMigration struct {
	Version   int `gorm:"primaryKey;autoIncrement:false"`
	Name      string
	AppliedAt time.Time
}

func (schemaMigration) TableName() string { return "schema_migrations" }

func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("models: migrations for %s: %w", dialect, err)
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("models: bad migration file name %s", name)
		}
		b, err := migrationFiles.ReadFile(path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("models: read migration %s: %w", name, err)
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(rest, ".sql"), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("models: migration versions must run 1..n without gaps, found %d at position %d", m.version, i+1)
		}
	}
	return out, nil
}

// Migrate applies the migrations the database has not had yet, each in its own
// transaction, and returns how many it applied. On PostgreSQL an advisory lock makes
// replicas that start together migrate one after the other.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	migs, err := loadMigrations(s.dialect)
	if err != nil {
		return 0, err
	}
	db := s.db.WithContext(ctx)
	// Under the migration lock: concurrent CREATE TABLE IF NOT EXISTS can fail on PostgreSQL.
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := s.lockMigrations(tx); err != nil {
			return err
		}
		return tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ` + s.timeType() + ` NOT NULL)`).Error
	})
	if err != nil {
		return 0, fmt.Errorf("models: migrate: %w", err)
	}
	applied := 0
	for _, m := range migs {
		done, err := s.applyMigration(db, m)
		if err != nil {
			return applied, err
		}
		if done {
			applied++
		}
	}
	return applied, nil
}

func (s *Store) applyMigration(db *gorm.DB, m migration) (bool, error) {
	done := false
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := s.lockMigrations(tx); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&schemaMigration{}).Where("version = ?", m.version).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		for _, stmt := range splitSQL(m.sql) {
			if err := tx.Exec(stmt).Error; err != nil {
				return err
			}
		}
		done = true
		return tx.Create(&schemaMigration{Version: m.version, Name: m.name, AppliedAt: s.Now()}).Error
	})
	if err != nil {
		return false, fmt.Errorf("models: migration %d %s: %w", m.version, m.name, err)
	}
	return done, nil
}

// SchemaVersion returns the highest applied migration, 0 for a fresh database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	if !s.db.WithContext(ctx).Migrator().HasTable(&schemaMigration{}) {
		return 0, nil
	}
	var v *int
	if err := s.db.WithContext(ctx).Model(&schemaMigration{}).Select("MAX(version)").Scan(&v).Error; err != nil {
		return 0, fmt.Errorf("models: schema version: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

// LatestSchemaVersion is the schema version this build migrates to.
func (s *Store) LatestSchemaVersion() (int, error) {
	migs, err := loadMigrations(s.dialect)
	if err != nil {
		return 0, err
	}
	return len(migs), nil
}

// lockMigrations makes concurrent migrations on PostgreSQL wait for each other until tx ends.
func (s *Store) lockMigrations(tx *gorm.DB) error {
	if s.dialect != "postgres" {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(7262001)").Error
}

func (s *Store) timeType() string {
	if s.dialect == "postgres" {
		return "TIMESTAMPTZ"
	}
	return "DATETIME"
}

// splitSQL splits a migration file into statements on semicolons at line ends,
// dropping comment-only lines. Migration files keep to that form.
func splitSQL(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out
}

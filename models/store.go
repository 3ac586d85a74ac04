// Package models holds channelbot's records, their migrations and the queries on them.
// It runs on SQLite (pure Go, the embedded default) and PostgreSQL, through GORM.
// All times are stored in UTC.
package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// ErrNotFound is returned when a looked-up record does not exist.
var ErrNotFound = errors.New("models: not found")

// Store is the database. Every method takes a context and is safe for concurrent use.
type Store struct {
	db      *gorm.DB
	dialect string
	now     func() time.Time
}

// Open connects to the database: driver is "sqlite" (dsn is a file path) or "postgres"
// (dsn is a URL). It does not migrate; call Migrate.
func Open(ctx context.Context, driver, dsn string, log *slog.Logger, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	var dial gorm.Dialector
	switch driver {
	case "sqlite":
		dial = sqlite.Open(sqliteDSN(dsn))
	case "postgres":
		dial = postgres.Open(dsn)
	default:
		return nil, fmt.Errorf("models: unknown database driver %q", driver)
	}
	db, err := gorm.Open(dial, &gorm.Config{
		TranslateError: true,
		// Multi-statement writes use explicit transactions; single ones need none.
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return now().UTC() },
		Logger:                 newGormLogger(log, 200*time.Millisecond, driver),
	})
	if err != nil {
		return nil, fmt.Errorf("models: open %s: %w", driver, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("models: open %s: %w", driver, err)
	}
	if err := registerCounting(db); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("models: open %s: %w", driver, err)
	}
	if driver == "sqlite" {
		// One connection: SQLite allows one writer, and a single connection turns
		// lock contention into queueing instead of SQLITE_BUSY errors.
		sqlDB.SetMaxOpenConns(1)
	} else {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(5)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	s := &Store{db: db, dialect: driver, now: now}
	if err := s.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// sqliteDSN adds the pragmas channelbot relies on to a SQLite file path.
func sqliteDSN(path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
}

// Dialect is "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("models: ping: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("models: ping: %w", err)
	}
	return nil
}

// Close closes the database connections.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Now is the store's clock, in UTC.
func (s *Store) Now() time.Time { return s.now().UTC() }

// gormLogger routes GORM's log into slog: errors at Error (except not-found),
// slow queries at Warn, every query at Debug. Records above Debug carry the
// statement's shape only, never its values (message texts, names, phone
// numbers): every literal becomes "?". The values appear only at Debug, in the
// "query" record, and only when Debug is on.
type gormLogger struct {
	log   *slog.Logger
	slow  time.Duration
	quote byte // the dialect's string quote, for sqlShape
}

var _ gorm.ParamsFilter = (*gormLogger)(nil)

func newGormLogger(log *slog.Logger, slow time.Duration, driver string) logger.Interface {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	quote := byte('\'')
	if driver == "sqlite" {
		quote = '"'
	}
	return &gormLogger{log: log.With("component", "gorm"), slow: slow, quote: quote}
}

func (l *gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }

func (l *gormLogger) Info(ctx context.Context, msg string, args ...any) {
	l.log.InfoContext(ctx, fmt.Sprintf(msg, args...))
}

func (l *gormLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(msg, args...))
}

func (l *gormLogger) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, fmt.Sprintf(msg, args...))
}

// ParamsFilter keeps a statement's values out of the SQL that GORM hands Trace
// unless Debug is on: then Trace logs them at Debug and strips them from the
// records above it.
func (l *gormLogger) ParamsFilter(ctx context.Context, sql string, params ...any) (string, []any) {
	if l.log.Enabled(ctx, slog.LevelDebug) {
		return sql, params
	}
	return sql, nil
}

func (l *gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	debug := l.log.Enabled(ctx, slog.LevelDebug)
	switch {
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound):
		sql, rows := fc()
		l.log.ErrorContext(ctx, "query failed", "error", err, "duration", elapsed, "rows", rows, "sql", sqlShape(sql, l.quote))
		if debug {
			l.log.DebugContext(ctx, "query", "duration", elapsed, "rows", rows, "sql", sql)
		}
	case elapsed > l.slow:
		sql, rows := fc()
		l.log.WarnContext(ctx, "slow query", "duration", elapsed, "rows", rows, "sql", sqlShape(sql, l.quote))
		if debug {
			l.log.DebugContext(ctx, "query", "duration", elapsed, "rows", rows, "sql", sql)
		}
	case debug:
		sql, rows := fc()
		l.log.DebugContext(ctx, "query", "duration", elapsed, "rows", rows, "sql", sql)
	}
}

// sqlShape returns sql, as GORM's Explain wrote it, with every literal value
// replaced by "?": the statement's shape, safe to log at any level. quote is the
// dialect's string quote (SQLite's Explain writes "…", PostgreSQL's '…'); names in
// the other quotes or backticks are kept. An unterminated string hides the rest.
func sqlShape(sql string, quote byte) string {
	var b strings.Builder
	b.Grow(len(sql))
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == quote:
			j := i + 1
			for ; j < len(sql); j++ {
				if sql[j] == quote {
					if j+1 < len(sql) && sql[j+1] == quote {
						j++
						continue
					}
					break
				}
			}
			b.WriteByte('?')
			i = j + 1
		case c == '"' || c == '`' || c == '\'':
			// A quoted name (this dialect's strings are in quote).
			j := strings.IndexByte(sql[i+1:], c)
			if j < 0 {
				b.WriteByte('?')
				return b.String()
			}
			b.WriteString(sql[i : i+j+2])
			i += j + 2
		case isDigit(c) && (i == 0 || !isNameByte(sql[i-1])):
			j := i + 1
			for j < len(sql) && (isDigit(sql[j]) || sql[j] == '.' || sql[j] == 'e' || sql[j] == 'E' ||
				(sql[j] == '-' || sql[j] == '+') && (sql[j-1] == 'e' || sql[j-1] == 'E')) {
				j++
			}
			b.WriteByte('?')
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isNameByte reports whether c may be part of a name or a $n placeholder, so a
// digit after it is not a number of its own.
func isNameByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// Exec runs one SQL statement, for maintenance and for seeding benchmarks.
func (s *Store) Exec(ctx context.Context, sql string, args ...any) error {
	if err := s.db.WithContext(ctx).Exec(sql, args...).Error; err != nil {
		return fmt.Errorf("models: exec: %w", err)
	}
	return nil
}

// Meta is a key/value setting kept in the database, such as the catalog version.
type Meta struct {
	Key   string `gorm:"primaryKey"`
	Value string
}

// TableName is "meta".
func (Meta) TableName() string { return "meta" }

// InstallID returns a random name for this database, made on first use: it keeps
// idempotency keys sent to platforms apart between databases (a test and a
// production system on one app, or a database started afresh).
func (s *Store) InstallID(ctx context.Context) (string, error) {
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	db := s.db.WithContext(ctx)
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&Meta{Key: "install_id", Value: hex.EncodeToString(rnd[:])}).Error; err != nil {
		return "", fmt.Errorf("models: install id: %w", err)
	}
	var m Meta
	if err := db.Where("key = ?", "install_id").Take(&m).Error; err != nil {
		return "", fmt.Errorf("models: install id: %w", err)
	}
	return m.Value, nil
}

// AllModels lists every model, for schema checks.
func AllModels() []any {
	return []any{&User{}, &Customer{}, &Product{}, &Message{}, &Report{}, &StockCount{}, &Delivery{}, &ReportItem{}, &Attachment{}, &Meta{},
		&Policy{}, &PolicyProduct{}, &PolicyCustomer{}, &PolicyRecipient{}, &JobRun{}, &Warning{}, &ReportChange{}}
}

type counterKey struct{}

// CountStatements returns a context under which every SQL statement the store runs
// adds one to the returned counter: to check that a job runs a fixed number of
// queries. Statements run under other contexts are not counted.
func (s *Store) CountStatements(ctx context.Context) (context.Context, *atomic.Int64) {
	n := &atomic.Int64{}
	return context.WithValue(ctx, counterKey{}, n), n
}

// registerCounting adds the hooks behind CountStatements to db, once, before it is
// used: a statement adds one to the counter its context carries, if any.
func registerCounting(db *gorm.DB) error {
	count := func(db *gorm.DB) {
		if n, ok := db.Statement.Context.Value(counterKey{}).(*atomic.Int64); ok {
			n.Add(1)
		}
	}
	cb := db.Callback()
	return errors.Join(
		cb.Create().After("gorm:create").Register("channelbot:count", count),
		cb.Query().After("gorm:query").Register("channelbot:count", count),
		cb.Update().After("gorm:update").Register("channelbot:count", count),
		cb.Delete().After("gorm:delete").Register("channelbot:count", count),
		cb.Row().After("gorm:row").Register("channelbot:count", count),
		cb.Raw().After("gorm:raw").Register("channelbot:count", count),
	)
}

// inChunks yields s in pieces of at most n, for IN lists.
func inChunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

package models

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// records returns the log's records at level, one JSON line each.
func records(log, level string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, `"level":"`+level+`"`) {
			out = append(out, line)
		}
	}
	return out
}

// TestLogsHoldNoValues: a slow query with a user's message text, and a failed
// insert with a person's name and phone (what a failed import writes), log the
// statement's shape at WARN and ERROR, never the values; the values appear only in
// DEBUG records, and only when debug is on. On both databases.
func TestLogsHoldNoValues(t *testing.T) {
	const text, name, phone = "张老板说明天O'Brien来 秘密", "王小明", "13800138000"
	forEachStore(t, func(t *testing.T, s *Store) {
		for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
			t.Run(level.String(), func(t *testing.T) {
				ctx := context.Background()
				var buf syncBuffer
				log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: level}))
				// Every query is "slow" for this logger.
				db := s.db.Session(&gorm.Session{Logger: newGormLogger(log, -1, s.dialect)}).WithContext(ctx)
				id := "LOG" + level.String()
				m := &Message{Direction: Inbound, Platform: PlatformConsole, Peer: id, Text: text, CreatedAt: time.Now()}
				if err := db.Create(m).Error; err != nil {
					t.Fatal(err)
				}
				u := &User{ID: id, Name: name, Role: "rep", Phone: phone}
				if err := db.Create(u).Error; err != nil {
					t.Fatal(err)
				}
				if err := db.Create(u).Error; err == nil { // the same ID again: the insert fails
					t.Fatal("duplicate user inserted")
				}
				out := buf.String()
				warn, errs := records(out, "WARN"), records(out, "ERROR")
				if len(warn) < 2 || len(errs) != 1 || !strings.Contains(strings.Join(warn, ""), "slow query") ||
					!strings.Contains(errs[0], "query failed") || !strings.Contains(errs[0], "INSERT INTO") {
					t.Fatalf("want slow-query warnings and one failed query:\n%s", out)
				}
				for _, rec := range append(warn, errs...) {
					for _, secret := range []string{"张老板", "Brien", name, phone} {
						if strings.Contains(rec, secret) {
							t.Errorf("%q logged above debug: %s", secret, rec)
						}
					}
				}
				debug := strings.Join(records(out, "DEBUG"), "\n")
				if shown := strings.Contains(debug, "张老板") && strings.Contains(debug, phone); shown != (level == slog.LevelDebug) {
					t.Errorf("values in debug records = %v at level %v:\n%s", shown, level, debug)
				}
			})
		}
	})
}

func TestSQLShape(t *testing.T) {
	tests := []struct {
		quote    byte
		in, want string
	}{
		{'\'', `SELECT * FROM "users" WHERE id = 'R01' AND n > 5 LIMIT 1`, `SELECT * FROM "users" WHERE id = ? AND n > ? LIMIT ?`},
		{'\'', `INSERT INTO "m" ("text","t1") VALUES ('it''s 13800138000',-3.5),(NULL,'2026-11-23 01:00:00')`, `INSERT INTO "m" ("text","t1") VALUES (?,-?),(NULL,?)`},
		{'"', "INSERT INTO `m` (`text`,`t1`) VALUES (\"say \"\"hi\"\" 138\",1.5e-3,\"2026-11-23\")", "INSERT INTO `m` (`text`,`t1`) VALUES (?,?,?)"},
		{'\'', `UPDATE m SET x = $1 WHERE id = $2 AND t2.c = 7`, `UPDATE m SET x = $1 WHERE id = $2 AND t2.c = ?`},
		{'\'', `SELECT 'unterminated 秘密`, `SELECT ?`},
	}
	for _, tt := range tests {
		if got := sqlShape(tt.in, tt.quote); got != tt.want {
			t.Errorf("sqlShape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

package models

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestClaimJobRun(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 23, 0, 30, 0, 0, time.UTC)}
	forEachClockedStore(t, c, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c.Set(time.Date(2026, 11, 23, 0, 30, 0, 0, time.UTC))
		r, err := s.ClaimJobRun(ctx, "visit-reminders", "2026-11-23", time.Minute, false)
		if err != nil || r.Status != JobRunning || r.Attempts != 1 || r.ID == 0 {
			t.Fatalf("first claim = %+v, %v", r, err)
		}
		if _, err := s.ClaimJobRun(ctx, "visit-reminders", "2026-11-23", time.Minute, false); !errors.Is(err, ErrJobBusy) {
			t.Fatalf("claim while leased = %v, want ErrJobBusy", err)
		}
		// Another job, or another day, is a run of its own.
		if _, err := s.ClaimJobRun(ctx, "daily-digest", "2026-11-23", time.Minute, false); err != nil {
			t.Fatalf("other job: %v", err)
		}
		if _, err := s.ClaimJobRun(ctx, "visit-reminders", "2026-11-24", time.Minute, false); err != nil {
			t.Fatalf("other day: %v", err)
		}
		// The runner dies: once its lease is out, the run is resumed.
		c.Set(c.Now().Add(2 * time.Minute))
		r2, err := s.ClaimJobRun(ctx, "visit-reminders", "2026-11-23", time.Minute, false)
		if err != nil || r2.ID != r.ID || r2.Attempts != 2 {
			t.Fatalf("resume = %+v, %v", r2, err)
		}
		if err := s.FinishJobRun(ctx, r2.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimJobRun(ctx, "visit-reminders", "2026-11-23", time.Minute, false); !errors.Is(err, ErrJobDone) {
			t.Fatalf("claim when done = %v, want ErrJobDone", err)
		}
		r3, err := s.ClaimJobRun(ctx, "visit-reminders", "2026-11-23", time.Minute, true)
		if err != nil || r3.Attempts != 3 {
			t.Fatalf("forced claim = %+v, %v", r3, err)
		}
		if err := s.FinishJobRun(ctx, r3.ID, errors.New("boom")); err != nil {
			t.Fatal(err)
		}
		got, err := s.JobRun(ctx, "visit-reminders", "2026-11-23")
		if err != nil || got.Status != JobFailed || got.LastError != "boom" || got.LeaseUntil != nil || got.FinishedAt == nil {
			t.Fatalf("failed run = %+v, %v", got, err)
		}
		// A failed run may be tried again at once.
		if _, err := s.ClaimJobRun(ctx, "visit-reminders", "2026-11-23", time.Minute, false); err != nil {
			t.Fatalf("claim after failure: %v", err)
		}
		runs, err := s.JobRunsOn(ctx, "2026-11-23")
		if err != nil || len(runs) != 2 || runs[0].Name != "daily-digest" {
			t.Fatalf("JobRunsOn = %+v, %v", runs, err)
		}
		if _, err := s.JobRun(ctx, "nope", "2026-11-23"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("JobRun(nope) = %v", err)
		}
	})
}

// TestClaimJobRunRace: of many runners claiming one run at once, exactly one wins.
func TestClaimJobRunRace(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 23, 0, 30, 0, 0, time.UTC)}
	forEachClockedStore(t, c, func(t *testing.T, s *Store) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 8 {
			wg.Go(func() {
				_, err := s.ClaimJobRun(context.Background(), "stock-warnings", "2026-11-23", time.Minute, false)
				switch {
				case err == nil:
					mu.Lock()
					wins++
					mu.Unlock()
				case !errors.Is(err, ErrJobBusy):
					t.Errorf("claim: %v", err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d runners won the claim, want 1", wins)
		}
	})
}

func jobMsg(platform, to, key, text string) *Message {
	return &Message{Platform: platform, Peer: "peer-" + to, UserID: to, Text: text, PlatformMsgID: &key, Markdown: true}
}

func TestCommitJobBatch(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	c := &clock{t: t0}
	forEachClockedStore(t, c, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c.Set(t0)
		run, err := s.ClaimJobRun(ctx, "stock-warnings", "2026-11-23", time.Minute, false)
		if err != nil {
			t.Fatal(err)
		}
		b := &JobBatch{RunID: run.ID,
			Messages: []*Message{
				jobMsg(PlatformWeCom, "R01", "job:stock-warnings:2026-11-23:R01:0", "a"),
				jobMsg(PlatformFeishu, "R02", "job:stock-warnings:2026-11-23:R02:0", "b"),
				jobMsg(PlatformConsole, "R03", "job:stock-warnings:2026-11-23:R03:0", "c"),
			},
			Warnings: []Warning{
				{CustomerID: 1, ProductID: 10, Kind: "stock", Level: 1, LastJob: "stock-warnings:2026-11-23"},
				{CustomerID: 1, ProductID: 10, Kind: "stock", Level: 2, LastJob: "stock-warnings:2026-11-23"}, // same key: the worse wins
				{CustomerID: 2, ProductID: 0, Kind: "overdue", Level: 1},
			}}
		queued, err := s.CommitJobBatch(ctx, b)
		if err != nil || len(queued) != 3 {
			t.Fatalf("commit = %d, %v", len(queued), err)
		}
		for _, m := range queued {
			if m.ID == 0 || m.Direction != Outbound || !m.CreatedAt.Equal(t0) {
				t.Errorf("queued %+v", m)
			}
			wantStatus := StatusPending
			if m.Platform == PlatformConsole {
				wantStatus = ""
			}
			if m.Status != wantStatus {
				t.Errorf("%s message status %q, want %q", m.Platform, m.Status, wantStatus)
			}
		}
		out, err := s.Outbound(ctx, Peer{Platform: PlatformWeCom, Peer: "peer-R01"})
		if err != nil || len(out) != 1 || out[0].Status != StatusPending || !out[0].Markdown || out[0].NextAttemptAt == nil {
			t.Fatalf("outbox = %+v, %v", out, err)
		}

		// Resumed: the same keys again, plus one new message.
		c.Set(t0.Add(time.Hour))
		b2 := &JobBatch{RunID: run.ID, Messages: []*Message{
			jobMsg(PlatformWeCom, "R01", "job:stock-warnings:2026-11-23:R01:0", "a again"),
			jobMsg(PlatformWeCom, "R04", "job:stock-warnings:2026-11-23:R04:0", "d"),
			jobMsg(PlatformWeCom, "R04", "job:stock-warnings:2026-11-23:R04:0", "d twice in one batch"),
		}, Warnings: []Warning{{CustomerID: 1, ProductID: 10, Kind: "stock", Level: 3, LastJob: "x"}}}
		queued, err = s.CommitJobBatch(ctx, b2)
		if err != nil || len(queued) != 1 || queued[0].UserID != "R04" {
			t.Fatalf("resumed commit = %+v, %v", queued, err)
		}
		got, _ := s.JobRun(ctx, "stock-warnings", "2026-11-23")
		if got.Sent != 4 {
			t.Errorf("sent = %d, want 4", got.Sent)
		}

		ws, err := s.OpenWarnings(ctx, []string{"stock", "overdue"}, nil)
		if err != nil || len(ws) != 2 {
			t.Fatalf("open warnings = %+v, %v", ws, err)
		}
		w := ws[0]
		if w.CustomerID != 1 || w.Level != 3 || !w.FirstSeen.Equal(t0) || !w.LastSent.Equal(t0.Add(time.Hour)) || w.LastJob != "x" {
			t.Errorf("stock warning = %+v", w)
		}
		// Resolved, then back: it starts afresh.
		c.Set(t0.Add(2 * time.Hour))
		if _, err := s.CommitJobBatch(ctx, &JobBatch{Resolved: []int64{w.ID}}); err != nil {
			t.Fatal(err)
		}
		if ws, _ := s.OpenWarnings(ctx, []string{"stock", "overdue"}, []int64{1}); len(ws) != 0 {
			t.Fatalf("resolved warning still open: %+v", ws)
		}
		c.Set(t0.Add(3 * time.Hour))
		if _, err := s.CommitJobBatch(ctx, &JobBatch{Warnings: []Warning{{CustomerID: 1, ProductID: 10, Kind: "stock", Level: 1}}}); err != nil {
			t.Fatal(err)
		}
		ws, _ = s.OpenWarnings(ctx, []string{"stock"}, nil)
		if len(ws) != 1 || ws[0].ID != w.ID || !ws[0].FirstSeen.Equal(t0.Add(3*time.Hour)) || ws[0].Level != 1 {
			t.Fatalf("reopened warning = %+v", ws)
		}

		// A message without a key is refused, and nothing of its batch is stored.
		_, err = s.CommitJobBatch(ctx, &JobBatch{Messages: []*Message{{Platform: PlatformWeCom, Peer: "x", Text: "no key"}},
			Warnings: []Warning{{CustomerID: 9, Kind: "stock", Level: 1}}})
		if err == nil {
			t.Fatal("commit of a message without a key succeeded")
		}
		if ws, _ := s.OpenWarnings(ctx, []string{"stock"}, nil); len(ws) != 1 {
			t.Fatalf("a failed batch stored warnings: %+v", ws)
		}
	})
}

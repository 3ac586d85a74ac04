package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// JobRun is one run of a scheduled job on one day. A run that completed is never
// repeated for the same day; one that died half-way (its lease ran out while not done)
// is resumed.
type JobRun struct {
	ID         int64
	Name       string
	RunDate    string // YYYY-MM-DD in the bot's time zone
	Status     string // JobRunning, JobDone, JobFailed
	Attempts   int    // claims, the first run included
	Sent       int    // messages queued
	LastError  string
	LeaseUntil *time.Time
	StartedAt  time.Time
	FinishedAt *time.Time
}

// Job run statuses.
const (
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

var (
	// ErrJobDone is returned by ClaimJobRun when the run completed before.
	ErrJobDone = errors.New("models: job run already done")
	// ErrJobBusy is returned by ClaimJobRun when another runner holds the run's lease.
	ErrJobBusy = errors.New("models: job run held by another runner")
)

// ClaimJobRun starts the run of job name for runDate, or resumes it when it was left
// unfinished, leasing it for lease. It returns ErrJobDone when the run completed
// before (unless force, for runs asked for by hand) and ErrJobBusy while another
// runner's lease lasts.
func (s *Store) ClaimJobRun(ctx context.Context, name, runDate string, lease time.Duration, force bool) (*JobRun, error) {
	now := s.Now()
	db := s.db.WithContext(ctx)
	err := db.Clauses(clause.OnConflict{DoNothing: true}).
		Create(&JobRun{Name: name, RunDate: runDate, Status: JobRunning, StartedAt: now}).Error
	if err != nil {
		return nil, fmt.Errorf("models: start job run %s %s: %w", name, runDate, err)
	}
	notDone := " AND status <> 'done'"
	if force {
		notDone = ""
	}
	var out []JobRun
	err = db.Raw(`
		UPDATE job_runs SET status = 'running', attempts = attempts + 1, lease_until = ?, finished_at = NULL
		WHERE name = ? AND run_date = ? AND (lease_until IS NULL OR lease_until < ?)`+notDone+`
		RETURNING *`, now.Add(lease), name, runDate, now).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: claim job run %s %s: %w", name, runDate, err)
	}
	if len(out) == 1 {
		return &out[0], nil
	}
	r, err := s.JobRun(ctx, name, runDate)
	if err != nil {
		return nil, err
	}
	if r.Status == JobDone && !force {
		return r, ErrJobDone
	}
	return r, ErrJobBusy
}

// FinishJobRun records the end of a claimed run: done, or failed with runErr.
func (s *Store) FinishJobRun(ctx context.Context, id int64, runErr error) error {
	up := map[string]any{"status": JobDone, "finished_at": s.Now(), "lease_until": nil, "last_error": ""}
	if runErr != nil {
		up["status"], up["last_error"] = JobFailed, truncate(runErr.Error(), 500)
	}
	if err := s.db.WithContext(ctx).Model(&JobRun{}).Where("id = ?", id).Updates(up).Error; err != nil {
		return fmt.Errorf("models: finish job run %d: %w", id, err)
	}
	return nil
}

// JobRun returns the run of job name on runDate, or ErrNotFound.
func (s *Store) JobRun(ctx context.Context, name, runDate string) (*JobRun, error) {
	var r JobRun
	err := s.db.WithContext(ctx).Where("name = ? AND run_date = ?", name, runDate).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("models: job run %s %s: %w", name, runDate, err)
	}
	return &r, nil
}

// JobRunsOn returns every job run of runDate, by name.
func (s *Store) JobRunsOn(ctx context.Context, runDate string) ([]JobRun, error) {
	var out []JobRun
	if err := s.db.WithContext(ctx).Where("run_date = ?", runDate).Order("name").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: job runs of %s: %w", runDate, err)
	}
	return out, nil
}

// JobBatch is part of a job run's output, committed whole or not at all.
type JobBatch struct {
	RunID int64 // the job run credited with the messages; 0 for none
	// Messages are outbound messages with a unique PlatformMsgID each. One queued
	// before under the same key is skipped.
	Messages []*Message
	// Warnings were sent: they are stored by customer, product and kind, and opened
	// again if they were resolved.
	Warnings []Warning
	// Resolved lists warnings (by ID) that no longer hold.
	Resolved []int64
}

// CommitJobBatch queues b's messages for delivery (console ones are only recorded),
// skipping those queued before under the same key, records its warnings and adds to
// the run's count of messages sent, in one transaction. It returns the messages
// queued now, with their IDs.
func (s *Store) CommitJobBatch(ctx context.Context, b *JobBatch) ([]*Message, error) {
	now := s.Now()
	var queued []*Message
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		queued = queued[:0]
		seen, err := queuedKeys(tx, b.Messages)
		if err != nil {
			return err
		}
		for _, m := range b.Messages {
			k := m.Platform + "\x00" + *m.PlatformMsgID
			if seen[k] {
				continue
			}
			seen[k] = true
			m.ID, m.Direction, m.CreatedAt = 0, Outbound, now
			m.deliverFrom(now)
			queued = append(queued, m)
		}
		if len(queued) > 0 {
			// DO NOTHING: a concurrent runner's copy wins; this one is dropped.
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(queued, 500).Error; err != nil {
				return fmt.Errorf("queue messages: %w", err)
			}
		}
		if err := upsertWarnings(tx, b.Warnings, now); err != nil {
			return err
		}
		for ids := range inChunks(b.Resolved, 1000) {
			err := tx.Model(&Warning{}).Where("id IN ? AND resolved_at IS NULL", ids).Update("resolved_at", now).Error
			if err != nil {
				return fmt.Errorf("resolve warnings: %w", err)
			}
		}
		if b.RunID != 0 && len(queued) > 0 {
			err := tx.Model(&JobRun{}).Where("id = ?", b.RunID).Update("sent", gorm.Expr("sent + ?", len(queued))).Error
			if err != nil {
				return fmt.Errorf("count sent: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("models: commit job batch: %w", err)
	}
	return queued, nil
}

// queuedKeys returns the platform and key of the messages of msgs stored before:
// lookups in the unique index, a thousand keys at a time.
func queuedKeys(tx *gorm.DB, msgs []*Message) (map[string]bool, error) {
	seen := map[string]bool{}
	keys := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if m.PlatformMsgID == nil || *m.PlatformMsgID == "" {
			return nil, errors.New("message without a key")
		}
		keys = append(keys, *m.PlatformMsgID)
	}
	for part := range inChunks(keys, 1000) {
		var rows []struct {
			Platform      string
			PlatformMsgID string
		}
		err := tx.Raw(`SELECT platform, platform_msg_id FROM messages
			WHERE direction = 'out' AND platform_msg_id IN ?`, part).Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("queued keys: %w", err)
		}
		for _, r := range rows {
			seen[r.Platform+"\x00"+r.PlatformMsgID] = true
		}
	}
	return seen, nil
}

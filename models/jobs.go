package models

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The scheduled jobs (package jobs) read whole days and kinds at once: every query
// here is set-based, a fixed number per job run however many reps and customers there
// are. Their writes go through CommitJobBatch, which queues messages and records
// progress in one transaction.

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

// Warning is what was last said about a problem at a customer (and product): its
// kind and level, when it was first seen and last sent, and by which job run.
// There is one row per customer, product and kind; a resolved warning that comes
// back starts afresh.
type Warning struct {
	ID         int64
	CustomerID int64
	ProductID  int64 // 0 for warnings about the customer as a whole
	Kind       string
	Level      int
	FirstSeen  time.Time
	LastSent   time.Time
	LastJob    string // the job run that last sent it, "stock-warnings:2026-11-23"
	ResolvedAt *time.Time
}

// OpenWarnings returns the unresolved warnings of the given kinds, about the given
// customers (nil for all).
func (s *Store) OpenWarnings(ctx context.Context, kinds []string, customerIDs []int64) ([]Warning, error) {
	var out []Warning
	q := s.db.WithContext(ctx).Where("resolved_at IS NULL AND kind IN ?", kinds)
	if customerIDs != nil {
		q = q.Where("customer_id IN ?", customerIDs)
	}
	err := q.Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: open warnings: %w", err)
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

// upsertWarnings stores warnings sent at now: new ones are inserted, open ones
// updated, resolved ones opened again as new.
func upsertWarnings(tx *gorm.DB, ws []Warning, now time.Time) error {
	if len(ws) == 0 {
		return nil
	}
	type key struct {
		c, p int64
		k    string
	}
	byKey := map[key]int{}
	var rows []Warning
	for _, w := range ws {
		k := key{w.CustomerID, w.ProductID, w.Kind}
		w.ID, w.LastSent, w.ResolvedAt = 0, now, nil
		if w.FirstSeen.IsZero() {
			w.FirstSeen = now
		}
		if i, ok := byKey[k]; ok {
			rows[i].Level = max(rows[i].Level, w.Level)
			continue
		}
		byKey[k] = len(rows)
		rows = append(rows, w)
	}
	err := tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "customer_id"}, {Name: "product_id"}, {Name: "kind"}},
		DoUpdates: clause.Assignments(map[string]any{
			"level":       gorm.Expr("excluded.level"),
			"last_sent":   gorm.Expr("excluded.last_sent"),
			"last_job":    gorm.Expr("excluded.last_job"),
			"first_seen":  gorm.Expr("CASE WHEN warnings.resolved_at IS NULL THEN warnings.first_seen ELSE excluded.first_seen END"),
			"resolved_at": nil,
		}),
	}).CreateInBatches(rows, 2000).Error
	if err != nil {
		return fmt.Errorf("store warnings: %w", err)
	}
	return nil
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

// LastVisits returns, for every customer visited at or before at, the time of the
// last visit.
func (s *Store) LastVisits(ctx context.Context, at time.Time) (map[int64]time.Time, error) {
	rows, err := s.db.WithContext(ctx).Raw(`
		SELECT customer_id, MAX(reported_at) FROM reports
		WHERE kind = 'visit' AND customer_id IS NOT NULL AND reported_at <= ? AND deleted_at IS NULL
		GROUP BY customer_id`, at.UTC()).Rows()
	if err != nil {
		return nil, fmt.Errorf("models: last visits: %w", err)
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var id int64
		var t dbTime
		if err := rows.Scan(&id, &t); err != nil {
			return nil, fmt.Errorf("models: last visits: %w", err)
		}
		out[id] = t.Time
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("models: last visits: %w", err)
	}
	return out, nil
}

// ReportFilter selects reports for FindReports. Empty fields select everything.
type ReportFilter struct {
	Kinds    []ReportKind
	From, To time.Time // reported in [From, To)
	// OnFrom and OnTo bound OnDate (YYYY-MM-DD), both included; reports without
	// one are left out when either is set.
	OnFrom, OnTo string
	Open         bool // not resolved
	Flagged      bool // price violations only
}

// JobReport is a report with its lines.
type JobReport struct {
	Report
	Items []ReportItem
}

func (f ReportFilter) apply(db *gorm.DB) *gorm.DB {
	q := db.Model(&Report{})
	if len(f.Kinds) > 0 {
		q = q.Where("kind IN ?", f.Kinds)
	}
	if !f.From.IsZero() {
		q = q.Where("reported_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("reported_at < ?", f.To.UTC())
	}
	if f.OnFrom != "" {
		q = q.Where("on_date >= ?", f.OnFrom)
	}
	if f.OnTo != "" {
		q = q.Where("on_date <= ?", f.OnTo)
	}
	if f.Open {
		q = q.Where("resolved_at IS NULL")
	}
	if f.Flagged {
		q = q.Where("flagged")
	}
	return q
}

// FindReports returns the reports f selects, not undone, oldest first, with their
// lines: two queries.
func (s *Store) FindReports(ctx context.Context, f ReportFilter) ([]JobReport, error) {
	db := s.db.WithContext(ctx)
	var reports []Report
	if err := f.apply(db).Order("reported_at, id").Find(&reports).Error; err != nil {
		return nil, fmt.Errorf("models: find reports: %w", err)
	}
	if len(reports) == 0 {
		return nil, nil
	}
	var items []ReportItem
	err := db.Where("report_id IN (?)", f.apply(db).Select("id")).Order("id").Find(&items).Error
	if err != nil {
		return nil, fmt.Errorf("models: find report items: %w", err)
	}
	out := make([]JobReport, len(reports))
	at := make(map[int64]int, len(reports))
	for i, r := range reports {
		out[i].Report = r
		at[r.ID] = i
	}
	for _, it := range items {
		if i, ok := at[it.ReportID]; ok {
			out[i].Items = append(out[i].Items, it)
		}
	}
	return out, nil
}

// CountPoint is one stock count, for the stock analysis.
type CountPoint struct {
	ID         int64
	CustomerID int64
	ProductID  int64
	Pieces     int64
	At         time.Time
	UserID     string // who counted
}

// CountFilter selects stock counts (and deliveries) of some customers and some
// products; nil selects all.
type CountFilter struct {
	CustomerIDs []int64
	ProductIDs  []int64
}

func (f CountFilter) where(alias string) (string, []any) {
	var sql strings.Builder
	var args []any
	if f.CustomerIDs != nil {
		sql.WriteString(" AND " + alias + ".customer_id IN ?")
		args = append(args, f.CustomerIDs)
	}
	if f.ProductIDs != nil {
		sql.WriteString(" AND " + alias + ".product_id IN ?")
		args = append(args, f.ProductIDs)
	}
	return sql.String(), args
}

// fastTime is the SQL for reading a time column in bulk: Unix seconds on PostgreSQL,
// the stored text on SQLite, both scanned by fastTimeScan, far cheaper than the
// drivers' parsing of a time for every row.
func (s *Store) fastTime(col string) string {
	if s.dialect == "postgres" {
		return "EXTRACT(EPOCH FROM " + col + ")::float8"
	}
	return "CAST(" + col + " AS TEXT)"
}

// fastTimeScan scans what fastTime selects.
type fastTimeScan struct{ time.Time }

// Scan implements sql.Scanner.
func (t *fastTimeScan) Scan(src any) error {
	switch v := src.(type) {
	case float64:
		sec := int64(v)
		t.Time = time.Unix(sec, int64((v-float64(sec))*1e6+0.5)*1000).UTC()
		return nil
	case string:
		if p, ok := parseStoredTime(v); ok {
			t.Time = p
			return nil
		}
	case []byte:
		if p, ok := parseStoredTime(string(v)); ok {
			t.Time = p
			return nil
		}
	}
	var d dbTime
	err := d.Scan(src)
	t.Time = d.Time
	return err
}

// parseStoredTime reads the form SQLite stores times in, "2006-01-02 15:04:05.999999999+00:00",
// by hand. ok is false for any other form.
func parseStoredTime(s string) (time.Time, bool) {
	if len(s) < 25 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(a, b int) (int, bool) {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	se, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	i, nsec := 19, 0
	if s[i] == '.' {
		i++
		scale := 100000000
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			nsec += int(s[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	if s[i:] != "+00:00" {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, se, nsec, time.UTC), true
}

// CountHistory returns, for every customer and product counted in [since, until],
// its latest perPair counts in that time, ordered by customer, product and time.
// It reads the counts in one scan and keeps the latest in memory: cheaper, on
// SQLite, than a window function over a million rows.
func (s *Store) CountHistory(ctx context.Context, since, until time.Time, perPair int, f CountFilter) ([]CountPoint, error) {
	cond, args := f.where("sc")
	args = append([]any{since.UTC(), until.UTC()}, args...)
	rows, err := s.db.WithContext(ctx).Raw(`
		SELECT sc.id, sc.customer_id, sc.product_id, sc.pieces, `+s.fastTime("sc.counted_at")+`
		FROM stock_counts sc
		WHERE sc.deleted_at IS NULL AND sc.counted_at >= ? AND sc.counted_at <= ?`+cond, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("models: count history: %w", err)
	}
	defer rows.Close()
	var out []CountPoint
	for rows.Next() {
		var c CountPoint
		var t fastTimeScan
		if err := rows.Scan(&c.ID, &c.CustomerID, &c.ProductID, &c.Pieces, &t); err != nil {
			return nil, fmt.Errorf("models: count history: %w", err)
		}
		c.At = t.Time
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("models: count history: %w", err)
	}
	sortCounts(out)
	// Keep the last perPair of each customer and product.
	kept := out[:0]
	for i := 0; i < len(out); {
		k := i
		for k < len(out) && out[k].CustomerID == out[i].CustomerID && out[k].ProductID == out[i].ProductID {
			k++
		}
		kept = append(kept, out[max(i, k-perPair):k]...)
		i = k
	}
	return kept, nil
}

func compareCounts(a, b CountPoint) int {
	return cmp.Or(cmp.Compare(a.CustomerID, b.CustomerID), cmp.Compare(a.ProductID, b.ProductID), a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
}

// sortCounts orders counts by customer, product, time and ID. Customer IDs are
// dense (they count up), so it buckets by customer first and sorts each small
// bucket: several times faster than one sort of a million counts.
func sortCounts(cs []CountPoint) {
	if len(cs) < 2 {
		return
	}
	lo, hi := cs[0].CustomerID, cs[0].CustomerID
	for _, c := range cs {
		lo, hi = min(lo, c.CustomerID), max(hi, c.CustomerID)
	}
	span := int(min(hi-lo+1, int64(1)<<40))
	if span > 4*len(cs)+1024 {
		slices.SortFunc(cs, compareCounts)
		return
	}
	start := make([]int, span+1)
	for _, c := range cs {
		start[c.CustomerID-lo+1]++
	}
	for i := 1; i <= span; i++ {
		start[i] += start[i-1]
	}
	pos := slices.Clone(start[:span])
	out := make([]CountPoint, len(cs))
	for _, c := range cs {
		k := c.CustomerID - lo
		out[pos[k]] = c
		pos[k]++
	}
	for k := range span {
		if b := out[start[k]:start[k+1]]; len(b) > 1 {
			slices.SortFunc(b, compareCounts)
		}
	}
	copy(cs, out)
}

// ZeroCounts returns the counts of zero (stock-outs) made in [since, until] that are
// still the latest count of their customer and product at until, with nothing
// delivered after them: stock-outs not yet over.
func (s *Store) ZeroCounts(ctx context.Context, since, until time.Time, f CountFilter) ([]CountPoint, error) {
	cond, args := f.where("sc")
	u := until.UTC()
	args = append([]any{since.UTC(), u}, args...)
	args = append(args, u, u)
	rows, err := s.db.WithContext(ctx).Raw(`
		SELECT sc.id, sc.customer_id, sc.product_id, sc.counted_at, r.user_id
		FROM stock_counts sc JOIN reports r ON r.id = sc.report_id
		WHERE sc.pieces = 0 AND sc.counted_at >= ? AND sc.counted_at <= ? AND sc.deleted_at IS NULL`+cond+`
		  AND NOT EXISTS (SELECT 1 FROM stock_counts s2
		                  WHERE s2.customer_id = sc.customer_id AND s2.product_id = sc.product_id
		                    AND s2.deleted_at IS NULL AND s2.counted_at <= ?
		                    AND (s2.counted_at > sc.counted_at OR s2.counted_at = sc.counted_at AND s2.id > sc.id))
		  AND NOT EXISTS (SELECT 1 FROM deliveries d
		                  WHERE d.customer_id = sc.customer_id AND d.product_id = sc.product_id
		                    AND d.deleted_at IS NULL AND d.received_at > sc.counted_at AND d.received_at <= ?)
		ORDER BY sc.counted_at, sc.id`, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("models: zero counts: %w", err)
	}
	defer rows.Close()
	var out []CountPoint
	for rows.Next() {
		var c CountPoint
		var t dbTime
		if err := rows.Scan(&c.ID, &c.CustomerID, &c.ProductID, &t, &c.UserID); err != nil {
			return nil, fmt.Errorf("models: zero counts: %w", err)
		}
		c.At = t.Time
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("models: zero counts: %w", err)
	}
	return out, nil
}

// DeliveryPoint is goods received, for the stock analysis.
type DeliveryPoint struct {
	CustomerID int64
	ProductID  int64
	Pieces     int64
	At         time.Time
}

// DeliveryHistory returns the deliveries received in (since, until], ordered by
// customer, product and time.
func (s *Store) DeliveryHistory(ctx context.Context, since, until time.Time, f CountFilter) ([]DeliveryPoint, error) {
	cond, args := f.where("d")
	args = append([]any{since.UTC(), until.UTC()}, args...)
	rows, err := s.db.WithContext(ctx).Raw(`
		SELECT d.id, d.customer_id, d.product_id, d.pieces, `+s.fastTime("d.received_at")+` FROM deliveries d
		WHERE d.deleted_at IS NULL AND d.received_at > ? AND d.received_at <= ?`+cond, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("models: delivery history: %w", err)
	}
	defer rows.Close()
	var out []DeliveryPoint
	var ids []int64
	for rows.Next() {
		var d DeliveryPoint
		var id int64
		var t fastTimeScan
		if err := rows.Scan(&id, &d.CustomerID, &d.ProductID, &d.Pieces, &t); err != nil {
			return nil, fmt.Errorf("models: delivery history: %w", err)
		}
		d.At = t.Time
		out = append(out, d)
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("models: delivery history: %w", err)
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := out[i], out[j]
		return cmp.Or(cmp.Compare(a.CustomerID, b.CustomerID), cmp.Compare(a.ProductID, b.ProductID), a.At.Compare(b.At), cmp.Compare(ids[i], ids[j]))
	})
	sorted := make([]DeliveryPoint, len(out))
	for i, k := range order {
		sorted[i] = out[k]
	}
	return sorted, nil
}

// KindCount is how many reports of a kind a user filed, about how many customers.
type KindCount struct {
	UserID    string
	Kind      ReportKind
	Reports   int64
	Customers int64
}

// KindCounts counts the reports filed in [from, to), by user and kind.
func (s *Store) KindCounts(ctx context.Context, from, to time.Time) ([]KindCount, error) {
	var out []KindCount
	err := s.db.WithContext(ctx).Raw(`
		SELECT user_id, kind, COUNT(*) AS reports, COUNT(DISTINCT customer_id) AS customers FROM reports
		WHERE reported_at >= ? AND reported_at < ? AND deleted_at IS NULL
		GROUP BY user_id, kind ORDER BY user_id, kind`, from.UTC(), to.UTC()).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: kind counts: %w", err)
	}
	return out, nil
}

// ProductPieces is a quantity of one product a user reported, in pieces.
type ProductPieces struct {
	UserID    string
	ProductID int64
	Pieces    int64
}

// OrderedPieces sums the orders reported in [from, to), by user and product.
func (s *Store) OrderedPieces(ctx context.Context, from, to time.Time) ([]ProductPieces, error) {
	var out []ProductPieces
	err := s.db.WithContext(ctx).Raw(`
		SELECT r.user_id, i.product_id, SUM(i.pieces) AS pieces
		FROM report_items i JOIN reports r ON r.id = i.report_id
		WHERE r.kind = 'order' AND r.reported_at >= ? AND r.reported_at < ? AND r.deleted_at IS NULL
		  AND i.deleted_at IS NULL AND i.product_id IS NOT NULL AND i.pieces IS NOT NULL
		GROUP BY r.user_id, i.product_id`, from.UTC(), to.UTC()).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: ordered pieces: %w", err)
	}
	return out, nil
}

// DeliveredPieces sums the deliveries reported in [from, to), by reporting user and
// product.
func (s *Store) DeliveredPieces(ctx context.Context, from, to time.Time) ([]ProductPieces, error) {
	var out []ProductPieces
	err := s.db.WithContext(ctx).Raw(`
		SELECT r.user_id, d.product_id, SUM(d.pieces) AS pieces
		FROM deliveries d JOIN reports r ON r.id = d.report_id
		WHERE d.received_at >= ? AND d.received_at < ? AND d.deleted_at IS NULL
		GROUP BY r.user_id, d.product_id`, from.UTC(), to.UTC()).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: delivered pieces: %w", err)
	}
	return out, nil
}

// dbTime scans a time as the drivers return it: a time.Time, or text from SQLite
// when the column's type is lost (aggregates, window functions).
type dbTime struct{ time.Time }

var sqliteTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// Scan implements sql.Scanner.
func (t *dbTime) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case time.Time:
		t.Time = v.UTC()
		return nil
	case nil:
		t.Time = time.Time{}
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("models: time from %T", src)
	}
	s = strings.TrimSuffix(s, "Z")
	for _, l := range sqliteTimeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("models: time from %q", s)
}

// statementCounters holds, per database, whether statements are being counted.
var statementCounters sync.Map // *gorm.DB (the store's root) → struct{}

type counterKey struct{}

// CountStatements returns a context under which every SQL statement the store runs
// adds one to the returned counter: to check that a job runs a fixed number of
// queries. The first call registers the counting hooks; make it before the store is
// used concurrently.
func (s *Store) CountStatements(ctx context.Context) (context.Context, *atomic.Int64) {
	if _, loaded := statementCounters.LoadOrStore(s.db, struct{}{}); !loaded {
		count := func(db *gorm.DB) {
			if n, ok := db.Statement.Context.Value(counterKey{}).(*atomic.Int64); ok {
				n.Add(1)
			}
		}
		cb := s.db.Callback()
		_ = cb.Create().After("gorm:create").Register("channelbot:count", count)
		_ = cb.Query().After("gorm:query").Register("channelbot:count", count)
		_ = cb.Update().After("gorm:update").Register("channelbot:count", count)
		_ = cb.Delete().After("gorm:delete").Register("channelbot:count", count)
		_ = cb.Row().After("gorm:row").Register("channelbot:count", count)
		_ = cb.Raw().After("gorm:raw").Register("channelbot:count", count)
	}
	n := &atomic.Int64{}
	return context.WithValue(ctx, counterKey{}, n), n
}

package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"channelbot/config"
	"channelbot/models"
)

// Locker is the lock a run takes so that one replica runs it: bot/state implements it
// on Redis (SET NX PX, released only by its owner) and in process.
type Locker interface {
	SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error)
	CompareAndDelete(ctx context.Context, key string, val []byte) (bool, error)
}

// maxAttempts is how often a day's run is tried before it is left failed.
const maxAttempts = 3

// sweepEvery is how often the scheduler looks for today's runs that were missed or
// died half-way, to make them up.
const sweepEvery = "@every 5m"

// Scheduler runs the jobs on their cron specs in the bot's time zone. Every run
// takes a lock (job:<name>:<day>) and, for recorded jobs, claims the day's job_runs
// row, so that with several replicas one runs it, and a completed run is not
// repeated. Runs that were missed or died half-way are made up the same day, within
// JOBS_CATCH_UP. Build it with NewScheduler.
type Scheduler struct {
	jobs *Jobs
	lock Locker
	log  *slog.Logger
	cron *cron.Cron

	// OnQueued, when set, is called after a run that may have queued messages (to
	// wake the outbox dispatcher).
	OnQueued func()

	// The clock, the sleep of the jitter and the random jitter, for tests.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	randN func(n int64) int64

	// Sleeps end at Stop; runs end when Stop's deadline passes.
	sleepCtx, runCtx       context.Context
	stopSleeps, cancelRuns context.CancelFunc
	wg                     sync.WaitGroup
}

// NewScheduler returns a scheduler for j that locks runs with lock.
func NewScheduler(j *Jobs, lock Locker, log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{jobs: j, lock: lock, log: log.With("component", "scheduler"), now: time.Now,
		sleep: sleepCtx, randN: mrand.Int64N}
	s.sleepCtx, s.stopSleeps = context.WithCancel(context.Background())
	s.runCtx, s.cancelRuns = context.WithCancel(context.Background())
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Start schedules every job that is not off, and makes up today's runs that were
// missed, in the background. It returns an error for a bad cron spec.
func (s *Scheduler) Start(ctx context.Context) error {
	l := cronLogger{s.log}
	s.cron = cron.New(cron.WithLocation(s.jobs.loc), cron.WithLogger(l),
		cron.WithChain(cron.Recover(l), cron.SkipIfStillRunning(l)))
	for _, d := range s.jobs.Defs() {
		if d.Spec == config.JobOff || d.Spec == "" {
			s.log.InfoContext(ctx, "job off", "job", d.Name)
			continue
		}
		if _, err := s.cron.AddFunc(d.Spec, s.fire(d)); err != nil {
			return fmt.Errorf("jobs: schedule %s %q: %w", d.Name, d.Spec, err)
		}
		s.log.InfoContext(ctx, "job scheduled", "job", d.Name, "spec", d.Spec, "next", s.Next(d, s.now()))
	}
	if _, err := s.cron.AddFunc(sweepEvery, func() { s.CatchUp(s.runCtx) }); err != nil {
		return fmt.Errorf("jobs: schedule catch-up: %w", err)
	}
	if y := DayOf(s.now(), s.jobs.loc).Time().Year(); !s.jobs.cal.Covers(y) {
		s.log.WarnContext(ctx, "the holiday table has no data for this year: working days are Monday to Friday; set JOBS_HOLIDAYS and JOBS_WORKDAYS",
			"year", y)
	}
	s.cron.Start()
	s.wg.Go(func() { s.CatchUp(s.runCtx) })
	return nil
}

// Stop stops scheduling, ends the jitter waits, and waits for running jobs until ctx
// ends, when they are cancelled (their runs are made up later).
func (s *Scheduler) Stop(ctx context.Context) error {
	s.stopSleeps()
	done := make(chan struct{})
	go func() {
		if s.cron != nil {
			<-s.cron.Stop().Done()
		}
		s.wg.Wait()
		close(done)
	}()
	defer s.cancelRuns()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("jobs: runs did not finish in time; they will be made up")
	}
}

// fire is the cron entry of d: it waits a jitter, then runs d for the day it fired.
func (s *Scheduler) fire(d Def) func() {
	return func() {
		at := s.now().In(s.jobs.loc)
		day := DayOf(at, s.jobs.loc)
		if d.Runs != nil && !d.Runs(day) {
			s.log.Debug("job does not run today", "job", d.Name, "day", day.String())
			return
		}
		if d.Jitter {
			if err := s.sleep(s.sleepCtx, s.delay(at)); err != nil {
				return
			}
		}
		_, _ = s.run(s.runCtx, d, day, s.now(), false)
	}
}

// delay is how long a send fired at t waits: between a quarter of the jitter and all
// of it, moved a minute on if it would go at :00 or :30.
func (s *Scheduler) delay(t time.Time) time.Duration {
	j := s.jobs.cfg.Jitter
	if j <= 0 {
		return 0
	}
	d := j/4 + time.Duration(s.randN(int64(j-j/4)+1))
	if m := t.Add(d).Minute(); m == 0 || m == 30 {
		d += time.Minute
	}
	return d
}

// Result says what a run did.
type Result struct {
	Job     string
	Day     Day
	Skipped string // why it did not run: not a run day, locked, done, busy; "" when it ran
}

// Run runs job name once for now's day, as `channelbot jobs run` asks: on any day,
// even after the day's run completed (what was queued then is not queued again).
func (s *Scheduler) Run(ctx context.Context, name string, now time.Time) (Result, error) {
	d, ok := s.jobs.Def(name)
	if !ok {
		return Result{}, fmt.Errorf("jobs: no job %q", name)
	}
	return s.run(ctx, d, DayOf(now, s.jobs.loc), now, true)
}

// RunScheduled runs job name as its schedule would at now, without the jitter: only
// on its run days, and not again after the day's run completed.
func (s *Scheduler) RunScheduled(ctx context.Context, name string, now time.Time) (Result, error) {
	d, ok := s.jobs.Def(name)
	if !ok {
		return Result{}, fmt.Errorf("jobs: no job %q", name)
	}
	day := DayOf(now, s.jobs.loc)
	if d.Runs != nil && !d.Runs(day) {
		return Result{Job: name, Day: day, Skipped: "not a run day"}, nil
	}
	return s.run(ctx, d, day, now, false)
}

// run takes the run's lock and, for recorded jobs, claims the day's run; runs the job
// under the timeout; and records how it ended.
func (s *Scheduler) run(ctx context.Context, d Def, day Day, now time.Time, manual bool) (res Result, err error) {
	res = Result{Job: d.Name, Day: day}
	log := s.log.With("job", d.Name, "day", day.String())
	ttl := s.jobs.cfg.Timeout + time.Minute
	key := "job:" + d.Name + ":" + day.String()
	token := newToken()
	got, err := s.lock.SetNX(ctx, key, token, ttl)
	if err != nil {
		log.ErrorContext(ctx, "job lock failed", "error", err)
		return res, fmt.Errorf("jobs: lock %s: %w", key, err)
	}
	// Frequent jobs (not recorded) log their routine at Debug.
	routine := slog.LevelInfo
	if !d.Recorded {
		routine = slog.LevelDebug
	}
	if !got {
		log.Log(ctx, routine, "job run skipped: another runner has it")
		res.Skipped = "locked"
		return res, nil
	}
	defer func() {
		if _, err := s.lock.CompareAndDelete(context.WithoutCancel(ctx), key, token); err != nil {
			log.WarnContext(ctx, "job unlock failed", "error", err)
		}
	}()
	var jr *models.JobRun
	if d.Recorded {
		jr, err = s.jobs.store.ClaimJobRun(ctx, d.Name, day.String(), ttl, manual)
		switch {
		case errors.Is(err, models.ErrJobDone):
			log.DebugContext(ctx, "job run skipped: done today")
			res.Skipped = "done"
			return res, nil
		case errors.Is(err, models.ErrJobBusy):
			log.InfoContext(ctx, "job run skipped: in progress elsewhere")
			res.Skipped = "busy"
			return res, nil
		case err != nil:
			log.ErrorContext(ctx, "job run not claimed", "error", err)
			return res, err
		}
		if jr.Attempts > 1 {
			log.InfoContext(ctx, "job run resumed", "attempt", jr.Attempts, "sent_before", jr.Sent)
		}
	}
	rctx, cancel := context.WithTimeout(ctx, s.jobs.cfg.Timeout)
	if jr != nil {
		rctx = withRun(rctx, jr.ID)
	}
	start := time.Now()
	err = safeRun(rctx, d, now)
	cancel()
	if jr != nil {
		if ferr := s.jobs.store.FinishJobRun(context.WithoutCancel(ctx), jr.ID, err); ferr != nil {
			log.ErrorContext(ctx, "job run not recorded", "error", ferr)
		}
	}
	if err != nil {
		log.ErrorContext(ctx, "job run failed", "duration", time.Since(start), "error", err)
	} else {
		log.Log(ctx, routine, "job run done", "duration", time.Since(start))
	}
	if s.OnQueued != nil {
		s.OnQueued()
	}
	return res, err
}

// safeRun runs the job, turning a panic into an error so that the run is recorded.
func safeRun(ctx context.Context, d Def, now time.Time) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("jobs: %s panicked: %v", d.Name, r)
		}
	}()
	return d.Run(ctx, now)
}

func newToken() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return []byte(hex.EncodeToString(b))
}

// CatchUp makes up today's recorded runs whose time has passed (by more than the
// jitter) within JOBS_CATCH_UP and that did not complete: never started (every
// replica was down) or died half-way (their lease ran out). It runs at start and
// every five minutes.
func (s *Scheduler) CatchUp(ctx context.Context) {
	now := s.now().In(s.jobs.loc)
	today := DayOf(now, s.jobs.loc)
	if s.jobs.cfg.CatchUp <= 0 {
		return
	}
	runs, err := s.jobs.store.JobRunsOn(ctx, today.String())
	if err != nil {
		s.log.WarnContext(ctx, "catch-up: reading today's runs", "error", err)
		return
	}
	byName := map[string]models.JobRun{}
	for _, r := range runs {
		byName[r.Name] = r
	}
	for _, d := range s.jobs.Defs() {
		if !d.Recorded || d.Spec == config.JobOff || d.Spec == "" || d.Runs != nil && !d.Runs(today) {
			continue
		}
		sched, err := cron.ParseStandard(d.Spec)
		if err != nil {
			continue
		}
		first := sched.Next(today.Start(s.jobs.loc).Add(-time.Second))
		if DayOf(first, s.jobs.loc) != today || now.Before(first.Add(s.jobs.cfg.Jitter+2*time.Minute)) || now.Sub(first) > s.jobs.cfg.CatchUp {
			continue
		}
		if r, ok := byName[d.Name]; ok {
			leased := r.LeaseUntil != nil && r.LeaseUntil.After(s.jobs.store.Now())
			if r.Status == models.JobDone || r.Attempts >= maxAttempts || leased {
				continue
			}
		}
		s.log.InfoContext(ctx, "making up a run", "job", d.Name, "scheduled", first)
		_, _ = s.run(ctx, d, today, s.now(), false)
	}
}

// Next returns when d runs next after t: its next fire time on a run day. It
// returns the zero time for a job that is off.
func (s *Scheduler) Next(d Def, t time.Time) time.Time {
	if d.Spec == config.JobOff || d.Spec == "" {
		return time.Time{}
	}
	sched, err := cron.ParseStandard(d.Spec)
	if err != nil {
		return time.Time{}
	}
	t = t.In(s.jobs.loc)
	for range 1000 {
		t = sched.Next(t)
		if t.IsZero() || d.Runs == nil || d.Runs(DayOf(t, s.jobs.loc)) {
			return t
		}
	}
	return time.Time{}
}

// cronLogger routes cron's log into slog: its routine messages at Debug.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append([]any{"error", err}, kv...)...)
}

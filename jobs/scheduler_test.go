package jobs

import (
	"context"
	"crypto/rand"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"channelbot/bot/state"
	"channelbot/models"
	"channelbot/models/modelstest"
)

// redisLock returns a lock on TEST_REDIS_URL under a prefix of the test's own.
func redisLock(t *testing.T) *state.Redis {
	url := modelstest.RedisURL(t)
	r, err := state.NewRedis(context.Background(), url, "jobstest-"+strings.ToLower(rand.Text()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// TestSchedulersRace: replicas that fire the same run at once run it once, with a
// shared lock (Redis, or one process) and without one (replicas without Redis: the
// job_runs claim decides).
func TestSchedulersRace(t *testing.T) {
	t.Parallel()
	locks := map[string]func(t *testing.T, c *clock) (Locker, Locker){
		"shared memory": func(_ *testing.T, c *clock) (Locker, Locker) { l := newMemoryLock(c); return l, l },
		"no shared lock": func(_ *testing.T, c *clock) (Locker, Locker) {
			return newMemoryLock(c), newMemoryLock(c)
		},
		"redis": func(t *testing.T, _ *clock) (Locker, Locker) { l := redisLock(t); return l, l },
	}
	for _, name := range []string{"shared memory", "no shared lock", "redis"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			forEachDB(t, func(t *testing.T, opener storeOpener) {
				f := newFixture(t, opener)
				scriptReminders(f)
				now := at(t, "2026-11-23 08:31")
				f.clock.Set(now)
				la, lb := locks[name](t, f.clock)
				var scheds []*Scheduler
				for _, l := range []Locker{la, lb, la, lb} {
					s := NewScheduler(f.jobs, l, nil)
					s.now = f.clock.Now
					scheds = append(scheds, s)
				}
				var mu sync.Mutex
				var results []Result
				var wg sync.WaitGroup
				for _, s := range scheds {
					wg.Go(func() {
						res, err := s.RunScheduled(f.ctx, NameVisitReminders, now)
						if err != nil {
							t.Error(err)
						}
						mu.Lock()
						results = append(results, res)
						mu.Unlock()
					})
				}
				wg.Wait()
				ran := 0
				for _, r := range results {
					if r.Skipped == "" {
						ran++
					}
				}
				if ran != 1 {
					t.Errorf("%d runs, want 1: %+v", ran, results)
				}
				run, err := f.store.JobRun(f.ctx, NameVisitReminders, "2026-11-23")
				if err != nil || run.Status != models.JobDone || run.Attempts != 1 {
					t.Errorf("job run = %+v, %v", run, err)
				}
				for _, u := range []string{"R01", "R02", "R03", "M01", "M02"} {
					if n := len(f.sent(u)); n != 1 {
						t.Errorf("%s got %d messages, want 1", u, n)
					}
				}
				if run.Sent != 5 {
					t.Errorf("run sent %d, want 5", run.Sent)
				}
			})
		})
	}
}

// TestResumeAfterKill: a run killed half-way (its process gone, its run left
// running) is made up once its lease is out, and nobody gets a message twice.
func TestResumeAfterKill(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, opener storeOpener) {
		f := newFixture(t, opener)
		scriptReminders(f)
		lock := newMemoryLock(f.clock)
		commits := 0
		dying := f.jobs.WithSink(func(ctx context.Context, b *models.JobBatch) ([]*models.Message, error) {
			commits++
			if commits == 3 {
				runtime.Goexit() // the process dies: no error, no record of the end
			}
			return f.store.CommitJobBatch(ctx, b)
		})
		dying.BatchSize = 1
		s1 := NewScheduler(dying, lock, nil)
		s1.now = f.clock.Now
		f.clock.Set(at(t, "2026-11-23 08:31"))
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = s1.RunScheduled(f.ctx, NameVisitReminders, f.clock.Now())
		}()
		<-done
		run, err := f.store.JobRun(f.ctx, NameVisitReminders, "2026-11-23")
		if err != nil || run.Status != models.JobRunning || run.Sent != 2 {
			t.Fatalf("the killed run = %+v, %v", run, err)
		}
		before := len(f.sent("R01")) + len(f.sent("R02"))
		if before != 2 {
			t.Fatalf("%d messages before the kill, want 2", before)
		}

		// Another replica sweeps: nothing while the lease lasts, the rest after.
		s2 := NewScheduler(f.jobs, lock, nil)
		s2.now = f.clock.Now
		f.clock.Set(at(t, "2026-11-23 08:35"))
		s2.CatchUp(f.ctx)
		if run, _ := f.store.JobRun(f.ctx, NameVisitReminders, "2026-11-23"); run.Attempts != 1 {
			t.Fatalf("resumed within the lease: %+v", run)
		}
		f.clock.Set(at(t, "2026-11-23 08:45"))
		s2.CatchUp(f.ctx)
		run, err = f.store.JobRun(f.ctx, NameVisitReminders, "2026-11-23")
		if err != nil || run.Status != models.JobDone || run.Attempts != 2 || run.Sent != 5 {
			t.Errorf("the resumed run = %+v, %v", run, err)
		}
		for _, u := range []string{"R01", "R02", "R03", "M01", "M02"} {
			if n := len(f.sent(u)); n != 1 {
				t.Errorf("%s got %d messages, want 1", u, n)
			}
		}
		// Done: later sweeps leave it.
		f.clock.Set(at(t, "2026-11-23 08:50"))
		s2.CatchUp(f.ctx)
		if run, _ := f.store.JobRun(f.ctx, NameVisitReminders, "2026-11-23"); run.Attempts != 2 {
			t.Errorf("a done run was run again: %+v", run)
		}
	})
}

// TestCatchUp: runs missed while every replica was down are made up within
// JOBS_CATCH_UP, on their days only; failed runs are retried a few times.
func TestCatchUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, openSQLite)
	s := NewScheduler(f.jobs, newMemoryLock(f.clock), nil)
	s.now = f.clock.Now
	runs := func() map[string]models.JobRun {
		rs, err := f.store.JobRunsOn(f.ctx, "2026-11-23")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]models.JobRun{}
		for _, r := range rs {
			out[r.Name] = r
		}
		return out
	}
	f.clock.Set(at(t, "2026-11-23 08:31")) // within the jitter and grace: not yet
	s.CatchUp(f.ctx)
	if len(runs()) != 0 {
		t.Fatalf("made up too early: %+v", runs())
	}
	f.clock.Set(at(t, "2026-11-23 10:20")) // visit reminders (08:30), the weekly digest (08:45), stock warnings (10:00)
	s.CatchUp(f.ctx)
	got := runs()
	for _, name := range []string{NameVisitReminders, NameWeeklyDigest, NameStockWarnings} {
		if got[name].Status != models.JobDone {
			t.Errorf("%s not made up: %+v", name, got[name])
		}
	}
	if _, ok := got[NameDailyDigest]; ok || len(got) != 3 {
		t.Errorf("runs = %+v", got)
	}
	// Too late for the daily digest the next morning; a holiday has no runs.
	f.clock.Set(at(t, "2026-11-24 21:00"))
	s.CatchUp(f.ctx)
	if rs, _ := f.store.JobRunsOn(f.ctx, "2026-11-24"); len(rs) != 0 {
		t.Errorf("made up after the catch-up window: %+v", rs)
	}
	f.clock.Set(at(t, "2026-10-01 09:00"))
	s.CatchUp(f.ctx)
	if rs, _ := f.store.JobRunsOn(f.ctx, "2026-10-01"); len(rs) != 0 {
		t.Errorf("made up on a holiday: %+v", rs)
	}
}

// TestRunFailures: a failing or panicking job is recorded failed and retried by the
// sweep, at most maxAttempts times.
func TestRunFailures(t *testing.T) {
	t.Parallel()
	f := newFixture(t, openSQLite)
	s := NewScheduler(f.jobs, newMemoryLock(f.clock), nil)
	s.now = f.clock.Now
	f.clock.Set(at(t, "2026-11-23 10:00"))
	boom := Def{Name: "boom", Recorded: true, Run: func(context.Context, time.Time) error { panic("boom") }}
	if _, err := s.run(f.ctx, boom, DayOf(f.clock.Now(), shanghai), f.clock.Now(), false); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Errorf("panic = %v", err)
	}
	r, _ := f.store.JobRun(f.ctx, "boom", "2026-11-23")
	if r.Status != models.JobFailed || !strings.Contains(r.LastError, "boom") {
		t.Errorf("run = %+v", r)
	}
	fails := Def{Name: "fails", Recorded: true, Run: func(context.Context, time.Time) error { return errors.New("db down") }}
	for range 2 {
		_, _ = s.run(f.ctx, fails, DayOf(f.clock.Now(), shanghai), f.clock.Now(), false)
	}
	r, _ = f.store.JobRun(f.ctx, "fails", "2026-11-23")
	if r.Status != models.JobFailed || r.Attempts != 2 || r.LastError != "db down" {
		t.Errorf("run = %+v", r)
	}
	// The lock was released each time.
	if ok, _ := newMemoryLock(f.clock).SetNX(f.ctx, "x", []byte("y"), time.Minute); !ok {
		t.Error("lock store unusable")
	}
}

func TestJitter(t *testing.T) {
	t.Parallel()
	f := newFixture(t, openSQLite)
	f.jobs.cfg.Jitter = 4 * time.Minute
	s := NewScheduler(f.jobs, newMemoryLock(f.clock), nil)
	for _, fire := range []string{"2026-11-23 08:30", "2026-11-23 09:58", "2026-11-23 18:29", "2026-11-23 23:59"} {
		t0 := at(t, fire)
		for range 500 {
			d := s.delay(t0)
			if d < time.Minute || d > 5*time.Minute {
				t.Fatalf("delay %v at %s out of range", d, fire)
			}
			if m := t0.Add(d).Minute(); m == 0 || m == 30 {
				t.Fatalf("send at %s", t0.Add(d).Format("15:04:05"))
			}
		}
	}
	// At the edges of the random range too.
	for _, n := range []int64{0, int64(3 * time.Minute)} {
		s.randN = func(int64) int64 { return n }
		for _, fire := range []string{"2026-11-23 08:29", "2026-11-23 08:26", "2026-11-23 09:59"} {
			if m := at(t, fire).Add(s.delay(at(t, fire))).Minute(); m == 0 || m == 30 {
				t.Errorf("send at minute %d from %s", m, fire)
			}
		}
	}
	f.jobs.cfg.Jitter = 0
	if d := s.delay(at(t, "2026-11-23 08:30")); d != 0 {
		t.Errorf("delay without jitter = %v", d)
	}
}

// TestSchedulerStartStop runs the real cron: the stock-out watcher every second
// finds a count of zero and tells the manager; Stop returns once runs end.
func TestSchedulerStartStop(t *testing.T) {
	t.Parallel()
	f := newFixture(t, openSQLite)
	now := time.Now()
	f.clock.Set(now)
	f.jobs.cfg.VisitReminders, f.jobs.cfg.StockWarnings, f.jobs.cfg.DailyDigest, f.jobs.cfg.WeeklyDigest = "off", "off", "off", "off"
	f.jobs.cfg.StockOuts = "@every 1s"
	f.count("R01", "C001", now.In(shanghai).Add(-2*time.Minute).Format("2006-01-02 15:04"), map[string]int64{"P01": 0})
	s := NewScheduler(f.jobs, newMemoryLock(f.clock), nil)
	woken := make(chan struct{}, 10)
	s.OnQueued = func() {
		select {
		case woken <- struct{}{}:
		default:
		}
	}
	if err := s.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(f.sentBy("M01", NameStockOuts)) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(f.ctx, 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.sentBy("M01", NameStockOuts); len(got) != 1 {
		t.Fatalf("M01 got %q", got)
	}
	select {
	case <-woken:
	default:
		t.Error("the dispatcher was not woken")
	}
	next := s.Next(Def{Spec: "30 8 * * *", Runs: f.jobs.cal.Workday}, at(t, "2026-09-30 09:00"))
	if !next.Equal(at(t, "2026-10-08 08:30")) {
		t.Errorf("next run after 国庆 = %v", next)
	}
	if !s.Next(Def{Spec: "off"}, now).IsZero() {
		t.Error("a job that is off has a next run")
	}
}

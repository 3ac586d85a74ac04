package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"channelbot/config"
	"channelbot/jobs"
	"channelbot/models"
)

const jobsUsage = `Usage:
  channelbot jobs list [--db DSN]                          the jobs, their schedules and today's runs
  channelbot jobs run  [--db DSN] [--now RFC3339] NAME     run one job once, now (or as of --now)

With no platform configured, run prints the messages it would send, one JSON line
each ({"to":"R01","platform":"console","text":"…"}), and stores nothing. With WeCom or
Feishu configured, it queues them in the outbox (serve delivers them), records the
run, and prints the messages it queued; messages queued before today are not queued
again.
`

// enabledPlatforms are the platforms configured to send on.
func enabledPlatforms(cfg *config.Config) []string {
	var out []string
	if cfg.WeCom.Enabled() {
		out = append(out, models.PlatformWeCom)
	}
	if cfg.Feishu.Enabled() {
		out = append(out, models.PlatformFeishu)
	}
	return out
}

// newJobs builds the jobs of an opened app. Its AfterCount is the hook to call
// after a stock count is saved.
func newJobs(a *app) *jobs.Jobs {
	j := jobs.New(a.store, a.cfg.Jobs, a.cfg.Timezone, enabledPlatforms(a.cfg), a.log)
	j.Policies = jobs.PolicyBroadcasts{Store: a.store} // unconfirmed price policies, for the reps' visit lists
	j.TextLimits = textLimits()
	return j
}

// startJobs starts the scheduler of serve, unless JOBS_ENABLED is false; wake is
// called after runs that may have queued messages. The returned stop waits for
// running jobs until its context ends.
func startJobs(ctx context.Context, a *app, wake func()) (stop func(ctx context.Context) error, err error) {
	if !a.cfg.Jobs.Enabled {
		a.log.InfoContext(ctx, "jobs off", "setting", config.EnvJobsEnabled)
		return func(context.Context) error { return nil }, nil
	}
	j := newJobs(a)
	a.bot.OnCount = func(ctx context.Context, customerID int64, productIDs []int64) {
		if err := j.AfterCount(ctx, customerID, productIDs); err != nil {
			a.log.WarnContext(ctx, "stock-out notice failed", "error", err)
		}
		wake()
	}
	s := jobs.NewScheduler(j, a.state, a.log)
	s.OnQueued = wake
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	return s.Stop, nil
}

// jobsListCmd and jobsRunCmd are the command lines of jobs list and jobs run.
var (
	jobsListCmd = command{name: "jobs list", usage: jobsUsage}
	jobsRunCmd  = command{name: "jobs run", args: []string{"NAME"}, demo: true, clock: true, usage: jobsUsage}
)

// jobs is `channelbot jobs list|run`.
func (e *environment) jobs(ctx context.Context, args []string) error {
	return e.subcommands(ctx, "jobs", jobsUsage, args, map[string]func(context.Context, []string) error{
		"list": e.jobsList, "run": e.jobsRun})
}

// jobLine is one message of `jobs run`, as printed.
type jobLine struct {
	To       string `json:"to"`
	Platform string `json:"platform"`
	Text     string `json:"text"`
}

func (e *environment) jobsRun(ctx context.Context, args []string) error {
	var c commonFlags
	rest, err := e.cmdline(jobsRunCmd, args, &c)
	if err != nil {
		return err
	}
	name := rest[0]
	a, err := e.openApp(ctx, c)
	if err != nil {
		return err
	}
	defer a.close()
	at := e.now().In(a.cfg.Timezone)
	j := newJobs(a)
	def, ok := j.Def(name)
	if !ok {
		var names []string
		for _, d := range j.Defs() {
			names = append(names, d.Name)
		}
		return fmt.Errorf("no job %q: the jobs are %s", name, strings.Join(names, ", "))
	}
	var out []*models.Message
	if len(enabledPlatforms(a.cfg)) == 0 {
		// No platform: print what would be sent, store nothing.
		col := &jobs.Collector{}
		def, _ = j.WithSink(col.Commit).Def(name)
		if err := def.Run(ctx, at); err != nil {
			return err
		}
		out = col.Messages
	} else {
		j = j.WithSink(func(ctx context.Context, b *models.JobBatch) ([]*models.Message, error) {
			q, err := a.store.CommitJobBatch(ctx, b)
			out = append(out, q...)
			return q, err
		})
		res, err := jobs.NewScheduler(j, a.state, a.log).Run(ctx, name, at)
		if err != nil {
			return err
		}
		if res.Skipped != "" {
			fmt.Fprintf(e.stderr, "%s %s not run: %s\n", name, res.Day, res.Skipped)
		}
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for _, m := range out {
		if err := enc.Encode(jobLine{To: m.UserID, Platform: m.Platform, Text: m.Text}); err != nil {
			return err
		}
	}
	return nil
}

func (e *environment) jobsList(ctx context.Context, args []string) error {
	var c commonFlags
	if _, err := e.cmdline(jobsListCmd, args, &c); err != nil {
		return err
	}
	store, cfg, err := e.openStoreOnly(ctx, c, migrateAuto)
	if err != nil {
		return err
	}
	defer store.Close()
	loc := cfg.Timezone
	now := e.now().In(loc)
	today := jobs.DayOf(now, loc)
	runs, err := store.JobRunsOn(ctx, today.String())
	if err != nil {
		return err
	}
	done := map[string]models.JobRun{}
	for _, r := range runs {
		done[r.Name] = r
	}
	j := jobs.New(store, cfg.Jobs, loc, enabledPlatforms(cfg), nil)
	s := jobs.NewScheduler(j, nil, nil)
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tSCHEDULE\tNEXT\tTODAY\tWHAT")
	for _, d := range j.Defs() {
		next := "off"
		if t := s.Next(d, now); !t.IsZero() {
			next = t.Format("Mon 2006-01-02 15:04")
		}
		status := "-"
		if r, ok := done[d.Name]; ok {
			status = fmt.Sprintf("%s, %d sent", r.Status, r.Sent)
			if r.LastError != "" {
				status += ": " + r.LastError
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Name, d.Spec, next, status, d.About)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	cal := j.Calendar()
	work := "a working day"
	if !cal.Workday(today) {
		work = "not a working day"
	}
	fmt.Fprintf(e.stdout, "\nToday %s is %s (%s calendar, %s).\n", today.Label(), work, cfg.Jobs.Calendar, loc)
	for _, y := range []int{today.Time().Year(), today.Time().Year() + 1} {
		if !cal.Covers(y) {
			fmt.Fprintf(e.stdout, "The holiday table has no data for %d: working days are Monday to Friday there; set %s and %s.\n",
				y, config.EnvJobsHolidays, config.EnvJobsWorkdays)
		}
	}
	if !cfg.Jobs.Enabled {
		fmt.Fprintf(e.stdout, "%s is false: serve does not run them.\n", config.EnvJobsEnabled)
	}
	return nil
}

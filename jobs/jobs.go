// Package jobs is channelbot's scheduled work: each rep's visits of the day, stock-out
// warnings, and the managers' daily and weekly digests.
//
// A job is a named func(ctx, now) error (see Def) over *models.Store; it knows nothing
// about cron. The Scheduler runs the jobs on their cron specs in the bot's time zone,
// on working days of the Chinese calendar, with jitter, a timeout, a lock per run
// (through bot/state, so one replica runs each) and a record of every run in the
// database (models.JobRun), so that a completed run is never repeated for the same
// day and one that died half-way is resumed. Jobs send by writing outbound messages
// into the outbox, each under a key unique per job, day, recipient and item, in the
// transaction that records their progress: a resumed run skips what it queued before.
//
// Every job reads its data with a fixed number of set-based queries, however many
// reps and customers there are.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"channelbot/bot"
	"channelbot/config"
	"channelbot/models"
)

// Job names.
const (
	NameVisitReminders = "visit-reminders"
	NameStockWarnings  = "stock-warnings"
	NameStockOuts      = "stock-outs"
	NameDailyDigest    = "daily-digest"
	NameWeeklyDigest   = "weekly-digest"
)

// Sink takes a batch of a job's output: it queues the messages and records the
// progress, whole or not at all, and returns the messages queued now (those queued
// before under the same keys are skipped). (*models.Store).CommitJobBatch is the
// real one; a Collector keeps them instead.
type Sink func(ctx context.Context, b *models.JobBatch) ([]*models.Message, error)

// PolicySource tells, for the customers of a visit list, the price policies they
// have not acknowledged yet: one short line each, by customer ID. The price-policy
// broadcasts provide it.
type PolicySource interface {
	Unacknowledged(ctx context.Context, customerIDs []int64, at time.Time) (map[int64][]string, error)
}

// Jobs holds the jobs and what they need. Build it with New.
type Jobs struct {
	store     *models.Store
	cfg       config.Jobs
	loc       *time.Location
	cal       *Calendar
	log       *slog.Logger
	platforms []string // the platforms messages can go to; none: the console
	sink      Sink

	// Policies, when set, adds the unacknowledged price policies to the visit
	// reminders.
	Policies PolicySource
	// TextLimits are how long one message may be on each platform; longer
	// messages are split. None: no limit.
	TextLimits bot.TextLimits
	// BatchSize is how many messages are committed together (default 1000).
	BatchSize int
}

// New returns the jobs over store with settings cfg, dates in loc. platforms are the
// platforms with a sender (models.PlatformWeCom, PlatformFeishu); with none, messages
// go to the console: recorded with platform "console", never delivered.
func New(store *models.Store, cfg config.Jobs, loc *time.Location, platforms []string, log *slog.Logger) *Jobs {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Jobs{store: store, cfg: cfg, loc: loc, cal: NewCalendar(cfg), log: log.With("component", "jobs"),
		platforms: slices.Clone(platforms), sink: store.CommitJobBatch, BatchSize: 1000}
}

// WithSink returns a copy of j that hands its output to sink.
func (j *Jobs) WithSink(sink Sink) *Jobs {
	c := *j
	c.sink = sink
	return &c
}

// Calendar returns the working-day calendar.
func (j *Jobs) Calendar() *Calendar { return j.cal }

// Def is one job: its name, when it runs, and the work.
type Def struct {
	Name string
	// Spec is the cron spec in the bot's time zone, or config.JobOff.
	Spec string
	// Runs reports whether a scheduled run happens on a day (working days, the first
	// working day of the week); nil: every day.
	Runs func(Day) bool
	// Recorded runs are kept in job_runs, once a day each: a done run is not
	// repeated, an unfinished one is resumed. Frequent jobs are not recorded; their
	// keys and warnings keep them from repeating themselves.
	Recorded bool
	// Jitter says whether scheduled sends are spread.
	Jitter bool
	Run    func(ctx context.Context, now time.Time) error
	About  string // what it does, for `channelbot jobs list`
}

// Defs returns every job, in the order they run in a day.
func (j *Jobs) Defs() []Def {
	work := j.cal.Workday
	return []Def{
		{Name: NameVisitReminders, Spec: j.cfg.VisitReminders, Runs: work, Recorded: true, Jitter: true, Run: j.VisitReminders,
			About: "each rep's visits of the day: planned, due by cadence, overdue; overdue by more than a cycle also to the manager"},
		{Name: NameWeeklyDigest, Spec: j.cfg.WeeklyDigest, Runs: j.cal.FirstWorkdayOfWeek, Recorded: true, Jitter: true, Run: j.WeeklyDigest,
			About: "each manager's week compared with the week before, on the first working day of the week"},
		{Name: NameStockWarnings, Spec: j.cfg.StockWarnings, Runs: work, Recorded: true, Jitter: true, Run: j.StockWarnings,
			About: "stock-outs coming (days of cover against the next visit plus lead time) and near-expiry goods, to the owner reps; stock-outs to managers"},
		{Name: NameStockOuts, Spec: j.cfg.StockOuts, Run: j.StockOuts,
			About: "counts of zero, to the manager at once"},
		{Name: NameDailyDigest, Spec: j.cfg.DailyDigest, Runs: work, Recorded: true, Jitter: true, Run: j.DailyDigest,
			About: "each manager's day: exceptions first, then visits, counts, orders and deliveries per rep"},
		{Name: NamePolicyReminders, Spec: j.cfg.PolicyReminders, Run: j.PolicyReminders,
			About: "dealers who have not confirmed a price policy within JOBS_POLICY_REMIND_AFTER, reminded twice at most"},
	}
}

// NamePolicyReminders reminds dealers of price policies they have not confirmed.
const NamePolicyReminders = "policy-reminders"

// PolicyReminders queues a reminder to each dealer who has not confirmed a policy
// within the setting's time, at most twice each; after that the owner rep raises it
// at the next visit (Policies). Reminders are keyed by their number: a run repeated
// after a crash queues nothing twice.
func (j *Jobs) PolicyReminders(ctx context.Context, _ time.Time) error {
	if len(j.platforms) == 0 {
		return nil // nowhere to send; `jobs run` on the console prints nothing
	}
	n, err := j.store.RemindPolicies(ctx, j.cfg.PolicyRemindAfter, models.PolicyMaxReminders, bot.PolicyReminder)
	if err != nil {
		return err
	}
	if n > 0 {
		j.log.InfoContext(ctx, "policy reminders queued", "job", NamePolicyReminders, "queued", n)
	}
	return nil
}

// Def returns the job called name.
func (j *Jobs) Def(name string) (Def, bool) {
	for _, d := range j.Defs() {
		if d.Name == name {
			return d, true
		}
	}
	return Def{}, false
}

// runKey is a job run's identity: job name and day, "visit-reminders:2026-11-23".
func runKey(name string, d Day) string { return name + ":" + d.String() }

type runCtxKey struct{}

// withRun marks ctx as running inside the recorded run id.
func withRun(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, runCtxKey{}, id)
}

func runID(ctx context.Context) int64 {
	id, _ := ctx.Value(runCtxKey{}).(int64)
	return id
}

// route returns where to reach u: on one of the platforms the bot sends on, the
// console when there is none. ok is false when u cannot be reached.
func (j *Jobs) route(u *models.User) (platform, peer string, ok bool) {
	if u == nil {
		return "", "", false
	}
	if len(j.platforms) == 0 {
		return models.PlatformConsole, u.ID, true
	}
	if p, id := bot.Route(u, ""); slices.Contains(j.platforms, p) {
		return p, id, true
	}
	for _, want := range j.platforms {
		if p, id := bot.Route(u, want); p == want {
			return p, id, true
		}
	}
	return "", "", false
}

// emitter collects a job run's messages and warnings and commits them in batches.
type emitter struct {
	j     *Jobs
	key   string // the run key, the prefix of the message keys
	runID int64
	batch models.JobBatch
	sent  int
	lost  int // recipients with no platform
}

func (j *Jobs) emitter(ctx context.Context, name string, d Day) *emitter {
	return &emitter{j: j, key: runKey(name, d), runID: runID(ctx)}
}

// send addresses text (markdown: **bold**) to u, as message item of the run:
// rendered for u's platform and split to fit it.
func (e *emitter) send(u *models.User, item, text string) {
	if u == nil {
		return
	}
	platform, peer, ok := e.j.route(u)
	if !ok {
		e.lost++
		e.j.log.Warn("job message has no platform to go to", "user_id", u.ID, "job", e.key)
		return
	}
	md := platform != models.PlatformConsole
	if !md {
		text = strings.ReplaceAll(text, "**", "")
	}
	for i, part := range e.j.split(platform, text) {
		key := "job:" + e.key + ":" + u.ID + ":" + item
		if i > 0 {
			key += fmt.Sprintf("/%d", i+1)
		}
		e.batch.Messages = append(e.batch.Messages, &models.Message{Direction: models.Outbound, Platform: platform,
			Peer: peer, UserID: u.ID, Text: part, Markdown: md, PlatformMsgID: &key})
	}
}

// split cuts text to fit platform's limit, at line ends. Each part after the first
// starts with the first line marked （续）, so that it reads on its own (Feishu
// shows the first line as the card's title).
func (j *Jobs) split(platform, text string) []string {
	limit := j.TextLimits[platform]
	if limit <= 0 || len(text) <= limit {
		return []string{text}
	}
	title, body, _ := strings.Cut(text, "\n")
	cont := title + "（续）"
	if t, ok := strings.CutSuffix(title, "**"); ok && strings.HasPrefix(t, "**") && len(t) > 2 {
		cont = t + "（续）**"
	}
	room := limit - len(cont) - 1
	if room < limit/2 {
		return j.TextLimits.Split(platform, text) // a title too long to repeat
	}
	parts := bot.TextLimits{platform: room}.Split(platform, body)
	for i := range parts {
		if i == 0 {
			parts[i] = title + "\n" + parts[i]
		} else {
			parts[i] = cont + "\n" + strings.TrimLeft(parts[i], "\n")
		}
	}
	return parts
}

func (e *emitter) warn(w models.Warning) {
	w.LastJob = e.key
	e.batch.Warnings = append(e.batch.Warnings, w)
}

func (e *emitter) resolve(ids ...int64) { e.batch.Resolved = append(e.batch.Resolved, ids...) }

// maybeFlush commits the batch once it is full.
func (e *emitter) maybeFlush(ctx context.Context) error {
	if len(e.batch.Messages) < max(e.j.BatchSize, 1) {
		return nil
	}
	return e.flush(ctx)
}

func (e *emitter) flush(ctx context.Context) error {
	b := e.batch
	if len(b.Messages)+len(b.Warnings)+len(b.Resolved) == 0 {
		return nil
	}
	b.RunID = e.runID
	queued, err := e.j.sink(ctx, &b)
	if err != nil {
		return fmt.Errorf("jobs: %s: %w", e.key, err)
	}
	e.sent += len(queued)
	e.batch = models.JobBatch{}
	return nil
}

// done commits what is left and logs the run's output.
func (e *emitter) done(ctx context.Context, what ...any) error {
	if err := e.flush(ctx); err != nil {
		return err
	}
	level := slog.LevelInfo
	if e.sent == 0 && e.lost == 0 {
		level = slog.LevelDebug
	}
	e.j.log.Log(ctx, level, "job output", append([]any{"job", e.key, "queued", e.sent, "unreachable", e.lost}, what...)...)
	return nil
}

// Collector is a Sink that keeps messages instead of queueing them, and stores
// nothing: `channelbot jobs run` with no platform prints what would be sent.
type Collector struct {
	Messages []*models.Message
	seen     map[string]bool
}

// Commit implements Sink.
func (c *Collector) Commit(_ context.Context, b *models.JobBatch) ([]*models.Message, error) {
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	var out []*models.Message
	for _, m := range b.Messages {
		k := m.Platform + "\x00" + *m.PlatformMsgID
		if c.seen[k] {
			continue
		}
		c.seen[k] = true
		out = append(out, m)
	}
	c.Messages = append(c.Messages, out...)
	return out, nil
}

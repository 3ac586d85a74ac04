package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"channelbot/bot"
	"channelbot/bot/state"
	"channelbot/config"
	"channelbot/models"
)

// environment is what a command runs with: the process's environment, streams and
// clock.
type environment struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// now is the clock: time.Now, or the time --now names, running on from there.
	// The store, the bot, the jobs and the policy checks all read it.
	now func() time.Time
}

// clockFrom is a clock that starts at t and runs on with the wall clock, so that
// the order of what happens during a command is kept.
func clockFrom(t time.Time) func() time.Time {
	start := time.Now()
	return func() time.Time { return t.Add(time.Since(start)) }
}

// usageError says what is wrong with a command line, then prints the command's
// usage, on stderr. It returns errUsage.
func (e *environment) usageError(cmd command, problem string) error {
	fmt.Fprintf(e.stderr, "channelbot %s: %s\n\n%s\n", cmd.name, problem, strings.TrimRight(cmd.usage, "\n"))
	return errUsage
}

// commonFlags are the flags shared by the commands: --db, --no-demo and --now.
type commonFlags struct {
	db     string
	noDemo bool
	now    string
}

// command is one command's command line: what --help prints, and what it takes.
type command struct {
	name     string   // "policy status"
	usage    string   // the usage text, without a trailing newline
	args     []string // required arguments, in order, by name
	optional []string // optional arguments after them
	demo     bool     // takes --no-demo
	clock    bool     // takes --now: the command judges time
	flags    func(fs *flag.FlagSet)
}

// subcommands runs the subcommand args[0] of the command name (jobs, policy): one of
// subs, or help. A missing or unknown one says so with usage, on stderr.
func (e *environment) subcommands(ctx context.Context, name, usage string, args []string, subs map[string]func(context.Context, []string) error) error {
	usage = strings.TrimRight(usage, "\n")
	if len(args) == 0 {
		names := slices.Sorted(maps.Keys(subs))
		fmt.Fprintf(e.stderr, "channelbot %s: missing %s\n\n%s\n", name, strings.Join(names, " or "), usage)
		return errUsage
	}
	if run, ok := subs[args[0]]; ok {
		return run(ctx, args[1:])
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprintln(e.stdout, usage)
		return nil
	}
	fmt.Fprintf(e.stderr, "unknown %s command %q\n\n%s\n", name, args[0], usage)
	return errUsage
}

// errHelp is returned after a command printed its usage on request; run returns nil.
var errHelp = errors.New("help requested")

// cmdline reads a command's arguments into c and the command's own flags. Flags may
// stand anywhere among the arguments ("--" ends them). It returns the arguments, at
// least len(cmd.args) and at most len(cmd.args)+len(cmd.optional) of them. -h and
// --help print the usage to stdout and return errHelp; a bad flag or a missing or
// extra argument says what is wrong, prints the usage to stderr and returns errUsage.
// --now sets the environment's clock.
func (e *environment) cmdline(cmd command, args []string, c *commonFlags) ([]string, error) {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.db, "db", "", "database URL or SQLite file; overrides DATABASE_URL")
	if cmd.demo {
		fs.BoolVar(&c.noDemo, "no-demo", false, "do not load the demo company into an empty database")
	}
	if cmd.clock {
		fs.StringVar(&c.now, "now", "", "the time to act as, RFC 3339 (default: now)")
	}
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	var pos, tail []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, tail = args[:i], args[i+1:]
	}
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintln(e.stdout, strings.TrimRight(cmd.usage, "\n"))
				return nil, errHelp
			}
			return nil, e.usageError(cmd, err.Error())
		}
		if args = fs.Args(); len(args) > 0 {
			pos, args = append(pos, args[0]), args[1:]
		}
	}
	pos = append(pos, tail...)
	switch max, n := len(cmd.args)+len(cmd.optional), len(pos); {
	case n < len(cmd.args):
		return nil, e.usageError(cmd, "missing "+strings.Join(cmd.args[n:], " "))
	case n > max:
		return nil, e.usageError(cmd, fmt.Sprintf("unexpected argument %q", pos[max]))
	}
	if c.now != "" {
		t, err := time.Parse(time.RFC3339, c.now)
		if err != nil {
			return nil, e.usageError(cmd, fmt.Sprintf("--now %q is not RFC 3339 (2026-11-23T09:00:00+08:00)", c.now))
		}
		e.now = clockFrom(t)
	}
	return pos, nil
}

// config loads the configuration, with --db applied.
func (e *environment) config(c commonFlags) (*config.Config, error) {
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return nil, err
	}
	if c.db != "" {
		if err := cfg.WithDatabaseURL(c.db); err != nil {
			return nil, fmt.Errorf("--db: %w", err)
		}
	}
	return cfg, nil
}

func (e *environment) logger(cfg *config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == config.LogFormatText {
		return slog.New(slog.NewTextHandler(e.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(e.stderr, opts))
}

// app is everything a running bot needs, opened in order and closed in reverse.
type app struct {
	cfg   *config.Config
	log   *slog.Logger
	store *models.Store
	state state.Store
	bot   *bot.Bot
}

// migration says whether opening the database may bring its schema up to date.
type migration int

const (
	// migrateAuto migrates SQLite, and PostgreSQL when MIGRATE_ON_START is true;
	// otherwise it refuses an out-of-date schema.
	migrateAuto   migration = iota
	migrateAlways           // the migrate command
	migrateNever            // doctor: only looks
)

// openStore connects to the database, on the environment's clock, and brings its
// schema up to date as mode allows.
func (e *environment) openStore(ctx context.Context, cfg *config.Config, log *slog.Logger, mode migration) (*models.Store, error) {
	driver, dsn := cfg.DatabaseDriver()
	if driver == "sqlite" {
		if err := sqliteFolderExists(dsn); err != nil {
			return nil, err
		}
	}
	store, err := models.Open(ctx, driver, dsn, log, e.now)
	if err != nil {
		return nil, err
	}
	if mode == migrateNever {
		return store, nil
	}
	if mode == migrateAuto && driver == "postgres" && !cfg.MigrateOnStart {
		if err := schemaCurrent(ctx, store); err != nil {
			return nil, errors.Join(err, store.Close())
		}
		return store, nil
	}
	n, err := store.Migrate(ctx)
	if err != nil {
		return nil, errors.Join(err, store.Close())
	}
	if n > 0 {
		log.InfoContext(ctx, "database migrated", "migrations", n, "driver", driver)
	}
	return store, nil
}

// schemaCurrent returns an error naming "channelbot migrate" when the schema is
// behind this build.
func schemaCurrent(ctx context.Context, store *models.Store) error {
	have, err := store.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	want, err := store.LatestSchemaVersion()
	if err != nil {
		return err
	}
	if have < want {
		return fmt.Errorf("the database schema is at version %d and this build needs %d: run \"channelbot migrate\" first (or set %s=true)",
			have, want, config.EnvMigrateOnStart)
	}
	return nil
}

// sqliteFolderExists says in words when a SQLite file's folder is missing; the
// driver would only say "out of memory (14)".
func sqliteFolderExists(dsn string) error {
	path := sqlitePath(dsn)
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case err != nil && errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("database %s: the folder %s does not exist", path, dir)
	case err != nil:
		return fmt.Errorf("database %s: %w", path, err)
	case !st.IsDir():
		return fmt.Errorf("database %s: %s is not a folder", path, dir)
	}
	return nil
}

// sqlitePath is the file of a SQLite DSN; empty for an in-memory database.
func sqlitePath(dsn string) string {
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	if path == ":memory:" {
		return ""
	}
	return path
}

// quiet lowers logging to warnings for the commands other than serve, unless
// LOG_LEVEL says otherwise.
func (e *environment) quiet() *environment {
	q := *e
	q.getenv = func(k string) string {
		if v := e.getenv(k); v != "" || k != config.EnvLogLevel {
			return v
		}
		return "warn"
	}
	return &q
}

// openStoreOnly opens the database, for commands that need nothing else.
func (e *environment) openStoreOnly(ctx context.Context, c commonFlags, mode migration) (*models.Store, *config.Config, error) {
	cfg, err := e.config(c)
	if err != nil {
		return nil, nil, err
	}
	store, err := e.openStore(ctx, cfg, e.logger(cfg), mode)
	return store, cfg, err
}

// openApp opens the database (migrating it), loads the demo company into an empty
// one unless noDemo, connects the state store and builds the bot.
func (e *environment) openApp(ctx context.Context, c commonFlags) (*app, error) {
	cfg, err := e.config(c)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: e.logger(cfg)}
	if a.store, err = e.openStore(ctx, cfg, a.log, migrateAuto); err != nil {
		return nil, err
	}
	if !c.noDemo {
		empty, err := a.store.IsEmpty(ctx)
		if err != nil {
			return nil, errors.Join(err, a.close())
		}
		if empty {
			if err := a.store.LoadDemo(ctx); err != nil {
				return nil, errors.Join(err, a.close())
			}
			a.log.InfoContext(ctx, "demo company loaded into the empty database")
		}
	}
	// Shared state is an optimisation: with Redis down the replica runs on its
	// own (see state.Failover), and the database keeps intake exactly-once.
	if a.state, err = state.OpenFailover(ctx, cfg.RedisURL.Reveal(), cfg.StatePrefix, cfg.MaxReplicas, a.log); err != nil {
		return nil, errors.Join(err, a.close())
	}
	// The count reply and 查 read the stock engine with the jobs' next visits, so the
	// reply and the next morning's warnings agree.
	stockOpts := bot.WithStock(bot.StockSettings{Planner: newJobs(a), LeadDays: cfg.Jobs.LeadDays, HistoryDays: cfg.Jobs.HistoryDays})
	if a.bot, err = bot.New(ctx, a.store, a.state, a.log, cfg.Timezone, bot.WithTextLimits(textLimits()), stockOpts,
		bot.WithCorrectionWindow(cfg.CorrectionWindow), bot.WithVisitDayEnd(cfg.VisitDayEnd)); err != nil {
		return nil, errors.Join(err, a.close())
	}
	return a, nil
}

func (a *app) close() error {
	var errs []error
	if a.state != nil {
		errs = append(errs, a.state.Close())
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	return errors.Join(errs...)
}

// parseTime reads an RFC 3339 time, or returns the clock's time for an empty string.
func (e *environment) parseTime(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return e.now().In(loc), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not RFC 3339 (2026-11-23T09:00:00+08:00)", s)
	}
	return t.In(loc), nil
}

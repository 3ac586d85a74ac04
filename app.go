package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"channelbot/bot"
	"channelbot/bot/state"
	"channelbot/config"
	"channelbot/models"
)

// environment is what a command runs with: the process's environment and streams.
type environment struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// commonFlags are the flags every command that opens the database takes.
type commonFlags struct {
	db     string
	noDemo bool
}

// parseFlags parses a command's flags: --db, --no-demo when demo, and the ones more
// adds. It returns the remaining arguments.
func (e *environment) parseFlags(name string, args []string, c *commonFlags, demo bool, more func(*flag.FlagSet)) ([]string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&c.db, "db", "", "database URL or SQLite file; overrides DATABASE_URL")
	if demo {
		fs.BoolVar(&c.noDemo, "no-demo", false, "do not load the demo company into an empty database")
	}
	if more != nil {
		more(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, errUsage
	}
	return fs.Args(), nil
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

// openStore connects to the database and brings its schema up to date.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*models.Store, error) {
	driver, dsn := cfg.DatabaseDriver()
	store, err := models.Open(ctx, driver, dsn, log, nil)
	if err != nil {
		return nil, err
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

// quiet lowers logging to warnings for terminal commands, unless LOG_LEVEL says otherwise.
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

// openStoreOnly opens and migrates the database, for commands that need nothing else.
func (e *environment) openStoreOnly(ctx context.Context, c commonFlags) (*models.Store, error) {
	cfg, err := e.config(c)
	if err != nil {
		return nil, err
	}
	return openStore(ctx, cfg, e.logger(cfg))
}

// openApp opens the database (migrating it), loads the demo company into an empty
// one unless noDemo, connects the state store and builds the bot.
func (e *environment) openApp(ctx context.Context, c commonFlags) (*app, error) {
	cfg, err := e.config(c)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: e.logger(cfg)}
	if a.store, err = openStore(ctx, cfg, a.log); err != nil {
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
	if a.state, err = state.Open(ctx, cfg.RedisURL.Reveal(), cfg.StatePrefix, nil); err != nil {
		return nil, errors.Join(err, a.close())
	}
	if a.bot, err = bot.New(ctx, a.store, a.state, a.log, cfg.Timezone, bot.WithTextLimits(textLimits())); err != nil {
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

// parseTime reads an RFC 3339 time, or returns now for an empty string.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Now().In(loc), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not RFC 3339 (2026-11-23T09:00:00+08:00)", s)
	}
	return t.In(loc), nil
}

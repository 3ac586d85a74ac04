package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"channelbot/bot"
	"channelbot/bot/feishu"
	"channelbot/bot/inbox"
	"channelbot/bot/outbox"
	"channelbot/bot/wecom"
	"channelbot/config"
	"channelbot/handlers"
	"channelbot/models"
)

// shutdownGrace bounds how long a stopping server waits for work in flight.
const shutdownGrace = 20 * time.Second

// platformHTTP is the HTTP client for platform APIs.
var platformHTTP = &http.Client{Timeout: 15 * time.Second}

// textLimits are the sizes each platform's messages are split to, as its adapter
// states them.
func textLimits() bot.TextLimits {
	return bot.TextLimits{models.PlatformWeCom: wecom.SplitBytes, models.PlatformFeishu: feishu.SplitBytes}
}

// serveCmd is the command line of serve.
var serveCmd = command{name: "serve", demo: true,
	usage: `usage: channelbot serve [--db DSN] [--no-demo]

Run the HTTP server (webhooks, /healthz, /readyz, /metrics, the admin API), the inbox
workers, the outbox dispatcher and the scheduled jobs until SIGINT or SIGTERM. On
PostgreSQL the schema is migrated at start unless MIGRATE_ON_START=false.`}

// serve runs the HTTP server, the inbox workers and the outbox dispatcher until ctx
// is cancelled (SIGINT, SIGTERM), then shuts down cleanly.
func (e *environment) serve(ctx context.Context, args []string) error {
	var c commonFlags
	if _, err := e.cmdline(serveCmd, args, &c); err != nil {
		return err
	}
	a, err := e.openApp(ctx, c)
	if err != nil {
		return err
	}
	defer a.close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	callbacks := handlers.NewMetrics(reg)
	processed := inbox.NewMetrics(reg)
	sends := outbox.NewMetrics(reg, func() float64 {
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := a.store.OutboxDepth(dctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})

	senders := map[string]outbox.Sender{}
	limits := map[string]outbox.Limits{}
	deps := handlers.Deps{
		Log:    a.log,
		Checks: map[string]handlers.Pinger{"database": a.store},
		// Without Redis the replica still takes every message (the database
		// deduplicates), degraded: /readyz says so and stays ready.
		Degradable:   map[string]handlers.Pinger{"state": a.state},
		MetricsToken: a.cfg.MetricsToken.Reveal(),
	}
	// /metrics is on the public port only when it has no listener of its own.
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if a.cfg.MetricsAddr == "" {
		deps.Metrics = metrics
	}
	var wecomHandler *handlers.WeCom
	if w := a.cfg.WeCom; w.Enabled() {
		client, err := wecom.NewClient(w, platformHTTP, a.state, a.log)
		if err != nil {
			return err
		}
		senders[models.PlatformWeCom] = client
		limits[models.PlatformWeCom] = wecom.Limits(w.AppRatePerMinute)
		wecomHandler = &handlers.WeCom{
			Crypto:  wecom.Crypto{Token: w.Token.Reveal(), AESKey: w.AESKey.Reveal(), CorpID: w.CorpID},
			AgentID: w.AgentID, Dedup: a.state, Store: a.store, Metrics: callbacks, Log: a.log,
			MaxSkew: a.cfg.CallbackMaxSkew,
		}
		a.log.InfoContext(ctx, "wecom on", "corp_id", w.CorpID, "agent_id", w.AgentID)
	}
	// Feishu: events come to /feishu/events (webhook) or over the long
	// connection (websocket), and go to the same handler.
	var (
		feishuHandler *handlers.Feishu
		feishuStream  *feishu.Stream
	)
	if f := a.cfg.Feishu; f.Enabled() {
		client, err := feishu.NewClient(f, platformHTTP, a.state, a.log)
		if err != nil {
			return err
		}
		senders[models.PlatformFeishu] = client
		limits[models.PlatformFeishu] = feishu.Limits()
		feishuHandler = &handlers.Feishu{
			Verifier: feishu.Verifier{AppID: f.AppID, VerificationToken: f.VerificationToken.Reveal(), EncryptKey: f.EncryptKey.Reveal(),
				Window: a.cfg.CallbackMaxSkew},
			Dedup: a.state, Store: a.store, Metrics: callbacks, Log: a.log,
		}
		if f.Mode == config.FeishuModeWebsocket {
			if feishuStream, err = feishu.NewStream(f, feishuHandler, a.log); err != nil {
				return err
			}
			// Not ready while the long connection is down.
			deps.Checks["feishu"] = feishuStream
		}
		a.log.InfoContext(ctx, "feishu on", "app_id", f.AppID, "mode", f.Mode, "encrypted", f.EncryptKey != "")
	}
	dispatcher := outbox.NewDispatcher(a.store, senders, limits, a.state, a.log, sends)
	dispatcher.Lease = a.cfg.OutboxLease
	pool := inbox.NewPool(a.bot, a.store, a.log, processed, 8, 256, dispatcher.Wake)
	stopJobs, err := startJobs(ctx, a, dispatcher.Wake)
	if err != nil {
		return err
	}
	if tok := a.cfg.AdminToken.Reveal(); tok != "" {
		deps.Admin = &handlers.Admin{Token: tok, Log: a.log, Status: a.store.StatusOf,
			Create: func(ctx context.Context, d models.PolicyDraft) (int64, int, error) {
				id, n, err := createPolicy(ctx, a.store, d, a.cfg.Timezone)
				if err == nil {
					dispatcher.Wake()
				}
				return id, n, err
			}}
	}
	if wecomHandler != nil {
		wecomHandler.Inbox = pool
		deps.WeCom = wecomHandler
	}
	if feishuHandler != nil {
		feishuHandler.Inbox = pool
		if feishuStream == nil {
			deps.Feishu = feishuHandler
		}
	}

	srv := &http.Server{
		Handler:           handlers.New(deps),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", a.cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.ListenAddr, err)
	}
	a.log.InfoContext(ctx, "serving", "addr", ln.Addr().String(), "version", version)
	var metricsSrv *http.Server
	if a.cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", a.cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on %s: %w", a.cfg.MetricsAddr, err)
		}
		metricsSrv = &http.Server{
			Handler:           handlers.MetricsHandler(metrics, a.cfg.MetricsToken.Reveal()),
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      15 * time.Second,
			IdleTimeout:       60 * time.Second,
		}
		go func() {
			if err := metricsSrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.ErrorContext(ctx, "metrics server", "error", err)
			}
		}()
		a.log.InfoContext(ctx, "serving metrics", "addr", mln.Addr().String())
	}

	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var wg sync.WaitGroup
	wg.Go(func() { _ = pool.Run(work) })
	wg.Go(func() { _ = dispatcher.Run(work) })
	// The long connection is an input, like the HTTP server: it stops first.
	// Its Run returns at once; the SDK's goroutines are left behind (see
	// feishu.Stream), so shutdown never waits on them.
	streamCtx, stopStream := context.WithCancel(context.WithoutCancel(ctx))
	defer stopStream()
	if feishuStream != nil {
		wg.Go(func() { _ = feishuStream.Run(streamCtx) })
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var serveErr error
	select {
	case err := <-errc:
		serveErr = fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	stopStream()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		serveErr = errors.Join(serveErr, fmt.Errorf("http shutdown: %w", err))
	}
	if metricsSrv != nil {
		if err := metricsSrv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr = errors.Join(serveErr, fmt.Errorf("metrics shutdown: %w", err))
		}
	}
	serveErr = errors.Join(serveErr, stopJobs(sctx))
	stopWork()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-sctx.Done():
		serveErr = errors.Join(serveErr, errors.New("workers did not stop in time"))
	}
	return serveErr
}

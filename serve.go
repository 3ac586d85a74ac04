package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"channelbot/handlers"
)

// shutdownGrace bounds how long a stopping server waits for work in flight.
const shutdownGrace = 20 * time.Second

// serve runs the HTTP server until ctx is cancelled (SIGINT, SIGTERM), then shuts
// down cleanly.
func (e *environment) serve(ctx context.Context, args []string) error {
	var c commonFlags
	if _, err := e.parseFlags("serve", args, &c, true, nil); err != nil {
		return err
	}
	a, err := e.openApp(ctx, c)
	if err != nil {
		return err
	}
	defer a.close()
	h := handlers.New(handlers.Deps{
		Log:    a.log,
		Checks: map[string]handlers.Pinger{"database": a.store, "state": a.state},
	})
	srv := &http.Server{
		Handler:           h,
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
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

// Package handlers is channelbot's HTTP surface: health and readiness, the platform
// webhooks, metrics and the admin API. Handlers stay thin: they check, store the
// message in the inbox, hand it to the inbox workers (bot/inbox), and answer. The
// callback counters (Metrics) are kept here, with the intake they count.
package handlers

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Pinger is a dependency that /readyz checks.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are what the handlers need.
type Deps struct {
	Log *slog.Logger
	// Checks are named dependencies /readyz pings: the database. One that fails
	// makes the replica not ready.
	Checks map[string]Pinger
	// Degradable are named dependencies the replica works without, degraded:
	// shared state (Redis), whose store falls back to the replica's own. /readyz
	// pings them and reports a failure as "degraded", still ready.
	Degradable map[string]Pinger
	// Metrics serves /metrics when set. Leave it nil when metrics have a
	// listener of their own (MetricsHandler), so the public port has none.
	Metrics http.Handler
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// WeCom serves /wecom/callback when set.
	WeCom *WeCom
	// Feishu serves /feishu/events and /feishu/cards when set (webhook mode;
	// in websocket mode a feishu.Stream delivers to it instead, and the
	// routes are not needed).
	Feishu *Feishu
	// Admin serves /api/ when set (an admin token is configured).
	Admin *Admin
}

// New returns the HTTP handler with every route.
func New(d Deps) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /readyz", readyz(d))
	if d.Metrics != nil {
		mux.Handle("GET /metrics", guardMetrics(d.Metrics, d.MetricsToken))
	}
	if d.WeCom != nil {
		d.WeCom.register(mux)
	}
	if d.Feishu != nil {
		d.Feishu.register(mux)
	}
	if d.Admin != nil && d.Admin.Token != "" {
		d.Admin.register(mux)
	}
	return mux
}

// readyz answers 200 when every check answers a ping within two seconds, else 503
// naming the ones that failed (never their error text, which may hold addresses).
// A degradable dependency that fails is reported as "name: degraded", with 200.
func readyz(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		status, body := http.StatusOK, ""
		names := slices.Sorted(maps.Keys(d.Checks))
		for _, name := range slices.Sorted(maps.Keys(d.Degradable)) {
			if _, dup := d.Checks[name]; !dup {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			p, required := d.Checks[name]
			if !required {
				p = d.Degradable[name]
			}
			if err := p.Ping(ctx); err != nil {
				if d.Log != nil {
					d.Log.WarnContext(ctx, "readiness check failed", "check", name, "error", err, "degraded", !required)
				}
				if !required {
					body += name + ": degraded (down; working without it)\n"
					continue
				}
				status = http.StatusServiceUnavailable
				body += name + ": down\n"
				continue
			}
			body += name + ": ok\n"
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// MetricsHandler serves metrics at GET /metrics and nothing else, for a listener
// of its own (METRICS_ADDR). token, when not empty, is required as a bearer token.
func MetricsHandler(metrics http.Handler, token string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", guardMetrics(metrics, token))
	return mux
}

// guardMetrics lets through requests with the bearer token (compared in constant
// time), or every request when token is empty.
func guardMetrics(metrics http.Handler, token string) http.Handler {
	if token == "" {
		return metrics
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		metrics.ServeHTTP(w, r)
	})
}

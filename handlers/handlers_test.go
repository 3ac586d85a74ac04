package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type pinger func(context.Context) error

func (p pinger) Ping(ctx context.Context) error { return p(ctx) }

func TestReadyz(t *testing.T) {
	up := pinger(func(context.Context) error { return nil })
	down := pinger(func(context.Context) error { return errors.New("dial tcp 10.0.0.1:6379: refused") })
	tests := []struct {
		name     string
		checks   map[string]Pinger
		wantCode int
		wantBody string
	}{
		{"all up", map[string]Pinger{"database": up, "state": up}, http.StatusOK, "database: ok\nstate: ok\n"},
		{"redis down", map[string]Pinger{"database": up, "state": down}, http.StatusServiceUnavailable, "database: ok\nstate: down\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(Deps{Checks: tt.checks})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
				t.Errorf("/readyz = %d %q, want %d %q", rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
			}
			if strings.Contains(rec.Body.String(), "10.0.0.1") {
				t.Error("/readyz leaked an error's details")
			}
		})
	}
}

func TestHealthzMethod(t *testing.T) {
	h := New(Deps{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/healthz", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", rec.Code)
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// TestMetricsToken: with a token, /metrics answers only the right bearer token,
// on the public handler and on a listener of its own; MetricsHandler serves
// nothing but /metrics.
func TestMetricsToken(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("channelbot_up 1\n")) })
	for name, h := range map[string]http.Handler{
		"public":      New(Deps{Metrics: metrics, MetricsToken: "m-token"}),
		"own address": MetricsHandler(metrics, "m-token"),
	} {
		t.Run(name, func(t *testing.T) {
			for _, tt := range []struct {
				auth string
				want int
			}{{"", http.StatusUnauthorized}, {"Bearer wrong", http.StatusUnauthorized}, {"m-token", http.StatusUnauthorized}, {"Bearer m-token", http.StatusOK}} {
				r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				if tt.auth != "" {
					r.Header.Set("Authorization", tt.auth)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != tt.want || (tt.want == http.StatusOK) != strings.Contains(rec.Body.String(), "channelbot_up") {
					t.Errorf("Authorization %q: %d %q, want %d", tt.auth, rec.Code, rec.Body.String(), tt.want)
				}
			}
		})
	}
	rec := httptest.NewRecorder()
	MetricsHandler(metrics, "").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("metrics listener /healthz = %d, want 404", rec.Code)
	}
	rec = httptest.NewRecorder()
	New(Deps{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("public /metrics without Metrics = %d, want 404", rec.Code)
	}
}

package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestServe starts the server in-process, checks health and readiness, then stops it
// the way SIGTERM does (the context ends) and expects a clean exit.
func TestServe(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	var errOut bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--db", filepath.Join(t.TempDir(), "s.db")},
			env("LISTEN_ADDR", addr), strings.NewReader(""), io.Discard, &errOut)
	}()
	get := func(path string) (int, string) { return getServing(t, done, &errOut, "http://"+addr+path, "") }
	if code, body := get("/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get("/readyz"); code != http.StatusOK || !strings.Contains(body, "database: ok") || !strings.Contains(body, "state: ok") {
		t.Errorf("/readyz = %d %q", code, body)
	}
	if code, _ := get("/nope"); code != http.StatusNotFound {
		t.Errorf("/nope = %d, want 404", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"chat"}, env("BOT_TIMEZONE", "Mars/Olympus", "LOG_LEVEL", "loud"), strings.NewReader(""), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "BOT_TIMEZONE") || !strings.Contains(err.Error(), "LOG_LEVEL") {
		t.Fatalf("run with bad config = %v, want an error naming BOT_TIMEZONE and LOG_LEVEL", err)
	}
	err = run(context.Background(), []string{"frobnicate"}, env(), strings.NewReader(""), &out, &errOut)
	if err == nil || !strings.Contains(errOut.String(), "unknown command") {
		t.Fatalf("unknown command: err %v, stderr %q", err, errOut.String())
	}
}

// TestServeMetricsAddr: with METRICS_ADDR, /metrics is served there (behind
// METRICS_TOKEN when set) and not on the public port.
func TestServeMetricsAddr(t *testing.T) {
	addr, maddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	var errOut bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--db", filepath.Join(t.TempDir(), "s.db")},
			env("LISTEN_ADDR", addr, "METRICS_ADDR", maddr, "METRICS_TOKEN", "m-secret"), strings.NewReader(""), io.Discard, &errOut)
	}()
	get := func(url, token string) (int, string) { return getServing(t, done, &errOut, url, token) }
	if code, _ := get("http://"+addr+"/healthz", ""); code != http.StatusOK {
		t.Fatalf("/healthz = %d", code)
	}
	if code, _ := get("http://"+addr+"/metrics", "m-secret"); code != http.StatusNotFound {
		t.Errorf("public /metrics = %d, want 404", code)
	}
	if code, _ := get("http://"+maddr+"/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("metrics without the token = %d, want 401", code)
	}
	if code, body := get("http://"+maddr+"/metrics", "m-secret"); code != http.StatusOK || !strings.Contains(body, "channelbot_") {
		t.Errorf("metrics with the token = %d, %d bytes", code, len(body))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
	if c, err := net.DialTimeout("tcp", maddr, time.Second); err == nil {
		c.Close()
		t.Error("metrics listener still open after shutdown")
	}
}

// getServing GETs url from a server started by run in the background, retrying
// while it starts; done reports run's end, errOut its log. A token is sent as a
// bearer token.
func getServing(t *testing.T, done <-chan error, errOut *bytes.Buffer, url, token string) (int, string) {
	t.Helper()
	var lastErr error
	for range 100 {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b)
		}
		lastErr = err
		select {
		case err := <-done:
			t.Fatalf("server exited: %v\n%s", err, errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("GET %s: %v", url, lastErr)
	return 0, ""
}

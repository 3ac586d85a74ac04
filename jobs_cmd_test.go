package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"channelbot/models"
)

// jobsDay scripts a morning for R01 of the demo company: a plan for Monday and a
// count of zero the Friday before.
var jobsDay = []say{
	{"R01", "2026-11-20T10:00:00+08:00", "盘点 张老板 苹果汁 0"},
	{"R01", "2026-11-22T20:00:00+08:00", "计划 明天 宏城超市 百佳"},
}

// runJobs runs `channelbot jobs ARGS` and returns its output lines, failing on error.
func runJobs(t *testing.T, getenv func(string) string, args ...string) []jobLine {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), append([]string{"jobs"}, args...), getenv, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("jobs %v: %v\n%s", args, err, errOut.String())
	}
	var lines []jobLine
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l == "" {
			continue
		}
		var jl jobLine
		if err := json.Unmarshal([]byte(l), &jl); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		lines = append(lines, jl)
	}
	return lines
}

func linesTo(lines []jobLine, to string) []jobLine {
	var out []jobLine
	for _, l := range lines {
		if l.To == to {
			out = append(out, l)
		}
	}
	return out
}

// TestJobsRunConsole: with no platform, `jobs run` prints the messages it would send
// as JSON lines, and stores nothing: it can be run again and again.
func TestJobsRunConsole(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jobs.db")
	chatScript(t, db, jobsDay...)
	for _, args := range [][]string{
		{"run", "--db", db, "--now", "2026-11-23T08:31:00+08:00", "visit-reminders"},
		{"run", "visit-reminders", "--db", db, "--now", "2026-11-23T08:31:00+08:00"},
	} {
		lines := runJobs(t, env(), args...)
		r01 := linesTo(lines, "R01")
		if len(r01) != 1 || r01[0].Platform != "console" {
			t.Fatalf("R01 lines = %+v", lines)
		}
		mustContain(t, []string{r01[0].Text}, "📅 今日拜访 11月23日（周一）", "宏城超市（A类）", "🗓计划", "东一路百佳超市")
		mustNotContain(t, []string{r01[0].Text}, "**")
	}
	lines := runJobs(t, env(), "run", "--db", db, "--now", "2026-11-23T10:01:00+08:00", "stock-warnings")
	mustContain(t, []string{linesTo(lines, "R01")[0].Text}, "📦 库存预警", "张记商贸 · 苹果汁1L 断货")
	mustContain(t, []string{linesTo(lines, "M01")[0].Text}, "🔴 断货 · 1个", "张记商贸 · 苹果汁1L")

	s, err := models.Open(context.Background(), "sqlite", db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.JobRunsOn(context.Background(), "2026-11-23")
	if err != nil || len(runs) != 0 {
		t.Errorf("a console run was recorded: %+v, %v", runs, err)
	}
	msgs, _ := s.MessagesOf(context.Background(), "R01")
	for _, m := range msgs {
		if m.PlatformMsgID != nil && strings.HasPrefix(*m.PlatformMsgID, "job:") {
			t.Errorf("a console run stored %+v", m)
		}
	}
}

// TestJobsRunWeCom: with WeCom configured, `jobs run` queues the messages in the
// outbox, records the run, and prints what it queued; run again, it queues nothing.
func TestJobsRunWeCom(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jobs.db")
	chatScript(t, db, jobsDay...)
	getenv := env("WECOM_CORP_ID", tCorpID, "WECOM_AGENT_ID", fmt.Sprint(tAgentID), "WECOM_SECRET", tSecret,
		"WECOM_TOKEN", tToken, "WECOM_AES_KEY", tAESKey)
	lines := runJobs(t, getenv, "run", "--db", db, "--now", "2026-11-23T08:31:00+08:00", "visit-reminders")
	r01 := linesTo(lines, "R01")
	if len(r01) != 1 || r01[0].Platform != models.PlatformWeCom || !strings.Contains(r01[0].Text, "**宏城超市**") {
		t.Fatalf("R01 lines = %+v", lines)
	}
	if again := runJobs(t, getenv, "run", "--db", db, "--now", "2026-11-23T09:00:00+08:00", "visit-reminders"); len(again) != 0 {
		t.Errorf("a second run queued %+v", again)
	}
	s, err := models.Open(context.Background(), "sqlite", db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.Outbound(context.Background(), models.Peer{Platform: models.PlatformWeCom, Peer: "LiMing"})
	if err != nil || len(out) != 1 || out[0].Status != models.StatusPending || !out[0].Markdown {
		t.Errorf("LiMing's outbox = %+v, %v", out, err)
	}
	run, err := s.JobRun(context.Background(), "visit-reminders", "2026-11-23")
	if err != nil || run.Status != models.JobDone || run.Sent != len(lines) {
		t.Errorf("job run = %+v, %v", run, err)
	}

	var list bytes.Buffer
	if err := run2(getenv, &list, "list", "--db", db); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"visit-reminders", "30 8 * * *", "stock-warnings", "daily-digest", "weekly-digest", "stock-outs", "@every 1m"} {
		if !strings.Contains(list.String(), want) {
			t.Errorf("jobs list lacks %q:\n%s", want, list.String())
		}
	}
}

func run2(getenv func(string) string, out *bytes.Buffer, args ...string) error {
	var errOut bytes.Buffer
	err := run(context.Background(), append([]string{"jobs"}, args...), getenv, strings.NewReader(""), out, &errOut)
	if err != nil {
		return fmt.Errorf("%w: %s", err, errOut.String())
	}
	return nil
}

func TestJobsUsage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jobs.db")
	var out bytes.Buffer
	for _, args := range [][]string{{}, {"frobnicate"}, {"run"}, {"run", "--db", db}, {"run", "a", "b"}, {"list", "extra"}} {
		if err := run2(env(), &out, args...); !errors.Is(err, errUsage) {
			t.Errorf("jobs %v = %v, want usage", args, err)
		}
	}
	err := run2(env(), &out, "run", "--db", db, "nope")
	if err == nil || !strings.Contains(err.Error(), `no job "nope"`) || !strings.Contains(err.Error(), "visit-reminders") {
		t.Errorf("jobs run nope = %v", err)
	}
	if err := run2(env(), &out, "run", "--db", db, "--now", "yesterday", "daily-digest"); err == nil || !strings.Contains(err.Error(), "RFC 3339") {
		t.Errorf("bad --now = %v", err)
	}
	out.Reset()
	if err := run2(env("JOBS_ENABLED", "false", "JOBS_WEEKLY_DIGEST", "off"), &out, "list", "--db", db); err != nil {
		t.Fatal(err)
	}
	mustContain(t, []string{out.String()}, "weekly-digest     off", "JOBS_ENABLED is false", "calendar")
}

func TestStartJobs(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jobs.db")
	for _, enabled := range []string{"true", "false"} {
		e := &environment{getenv: env("JOBS_ENABLED", enabled), stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, now: time.Now}
		a, err := e.openApp(context.Background(), commonFlags{db: db})
		if err != nil {
			t.Fatal(err)
		}
		stop, err := startJobs(context.Background(), a, func() {})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := stop(ctx); err != nil {
			t.Errorf("stop (enabled %s): %v", enabled, err)
		}
		cancel()
		if err := a.close(); err != nil {
			t.Fatal(err)
		}
	}
	// AfterCount, the hook for saved counts, works on an opened app.
	e := &environment{getenv: env(), stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, now: time.Now}
	a, err := e.openApp(context.Background(), commonFlags{db: db})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if err := newJobs(a).AfterCount(context.Background(), 1, []int64{1}); err != nil {
		t.Error(err)
	}
}

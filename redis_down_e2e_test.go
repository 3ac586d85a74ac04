package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// TestServeRedisDown is issue 13 §2 end to end: `serve` on Redis, and Redis stops.
// Callbacks are still stored exactly once and answered 200 (the database's unique
// key deduplicates, retries included), the bot still replies, a question it asks
// is still answered on this replica (conversation state is the replica's own
// while Redis is down), and /readyz stays 200 saying the state is degraded.
func TestServeRedisDown(t *testing.T) {
	mr := miniredis.RunT(t)
	fake := newFake(t)
	w := startWeComBotEnv(t, fake, filepath.Join(t.TempDir(), "wecom.db"), "REDIS_URL", "redis://"+mr.Addr(), "MAX_REPLICAS", "2",
		"BOT_CORRECTION_WINDOW", "0") // the two counts come seconds apart: not a correction here
	readyz := func() (int, string) {
		resp, err := http.Get("http://" + w.addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	if code := w.post(w.text("LiMing", "盘点 张老板 苹果汁 120")); code != http.StatusOK {
		t.Fatalf("callback with Redis up = %d", code)
	}
	w.waitSent(1)
	if code, body := readyz(); code != http.StatusOK || !strings.Contains(body, "state: ok") {
		t.Errorf("/readyz with Redis up = %d %q", code, body)
	}

	mr.Close() // Redis stops

	if code, body := readyz(); code != http.StatusOK || !strings.Contains(body, "state: degraded") || !strings.Contains(body, "database: ok") {
		t.Errorf("/readyz with Redis down = %d %q, want 200 with state: degraded", code, body)
	}
	msg := w.text("LiMing", "盘点 张老板 苹果汁 100")
	for i := range 4 { // the first delivery and WeCom's three retries
		if code := w.post(msg); code != http.StatusOK {
			t.Fatalf("delivery %d with Redis down = %d, want 200", i+1, code)
		}
	}
	sent := w.waitSent(2)
	if !strings.Contains(sent[1].Content, "本存 100箱") {
		t.Errorf("reply with Redis down = %q", sent[1].Content)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(fake.Sent()); n != 2 {
		t.Errorf("%d replies after retries with Redis down, want 2", n)
	}
	if n := w.reports("R01"); n != 2 {
		t.Errorf("%d reports after retries with Redis down, want 2", n)
	}

	// A count above 上存 + 上进 asks for 确认: the question is kept in the
	// replica's own state, so the answer, on the same replica, completes it.
	if code := w.post(w.text("LiMing", "盘点 张老板 苹果汁 900")); code != http.StatusOK {
		t.Fatalf("callback = %d", code)
	}
	sent = w.waitSent(3)
	if !strings.Contains(sent[2].Content, "确认") {
		t.Fatalf("over-count reply = %q, want a question", sent[2].Content)
	}
	if code := w.post(w.text("LiMing", "确认")); code != http.StatusOK {
		t.Fatalf("callback = %d", code)
	}
	sent = w.waitSent(4)
	if !strings.Contains(sent[3].Content, "本存 900箱") {
		t.Errorf("answer to the question with Redis down = %q, want the count saved", sent[3].Content)
	}
	if n := w.reports("R01"); n != 3 {
		t.Errorf("%d reports, want 3", n)
	}
}

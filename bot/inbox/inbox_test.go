package inbox_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"channelbot/bot"
	"channelbot/bot/bottest"
	"channelbot/bot/inbox"
	"channelbot/bot/state"
	"channelbot/models"
)

var at = time.Date(2026, 11, 23, 9, 0, 0, 0, bottest.CST)

// TestInboxOrderAcrossReplicas: two replicas share one database; a rep's 20 messages,
// queued as a load balancer would spread them, are each processed once and in order.
func TestInboxOrderAcrossReplicas(t *testing.T) {
	b1, store := bottest.NewBot(t, nil)
	ctx := context.Background()
	st := state.NewMemory("shared", nil)
	b2, err := bot.New(ctx, store, st, nil, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	inboxes := []*inbox.Pool{inbox.NewPool(b1, store, nil, nil, 2, 8, nil), inbox.NewPool(b2, store, nil, nil, 2, 8, nil)}
	peer := models.Peer{Platform: models.PlatformWeCom, Peer: "LiMing"}
	for i := range 20 {
		in := bot.Inbound{Platform: models.PlatformWeCom, MsgID: fmt.Sprintf("m%d", i), From: "LiMing",
			Text: fmt.Sprintf("进货 张老板 苹果汁 %d", i+1), At: at.Add(time.Duration(i) * time.Second)}
		m := bot.InboxMessage(in)
		if err := store.EnqueueInbound(ctx, m, time.Minute); err != nil {
			t.Fatal(err)
		}
		inboxes[i%2].Submit(m)
	}
	// A re-delivery of a stored message is refused.
	dup := bot.Inbound{Platform: models.PlatformWeCom, MsgID: "m3", From: "LiMing", Text: "进货 张老板 苹果汁 4", At: at}
	if err := store.EnqueueInbound(ctx, bot.InboxMessage(dup), time.Minute); err != models.ErrDuplicate {
		t.Fatalf("re-delivery: %v, want ErrDuplicate", err)
	}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, ib := range inboxes {
		ib.SweepEvery = 50 * time.Millisecond
		wg.Go(func() { _ = ib.Run(rctx) })
	}
	deadline := time.Now().Add(10 * time.Second)
	var out []models.Message
	for time.Now().Before(deadline) {
		out, err = store.Outbound(ctx, peer)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) >= 20 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if len(out) != 20 {
		t.Fatalf("%d replies, want 20", len(out))
	}
	for i, m := range out {
		want := fmt.Sprintf("进货已记录 #%d", i+1)
		if !strings.Contains(m.Text, want) || !strings.Contains(m.Text, fmt.Sprintf("苹果汁1L %d箱", i+1)) {
			t.Fatalf("reply %d = %q: want report #%d for %d cases, in order", i, m.Text, i+1, i+1)
		}
		if m.Status != models.StatusPending {
			t.Errorf("reply %d status %q, want pending delivery", i, m.Status)
		}
	}
}

// TestInboxGivesUp: a message that keeps failing is tried MaxAttempts times, then
// given up with an apology to the sender, never the error.
func TestInboxGivesUp(t *testing.T) {
	b, store := bottest.NewBot(t, bottest.BrokenState{})
	ctx := context.Background()
	in := bot.Inbound{Platform: models.PlatformWeCom, MsgID: "m1", From: "LiMing", Text: "盘点 张老板 苹果汁 1", At: at}
	m := bot.InboxMessage(in)
	if err := store.EnqueueInbound(ctx, m, 30*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ib := inbox.NewPool(b, store, nil, nil, 1, 4, nil)
	ib.Lease, ib.SweepEvery, ib.MaxAttempts = 30*time.Millisecond, 20*time.Millisecond, 2
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = ib.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()
	peer := models.Peer{Platform: models.PlatformWeCom, Peer: "LiMing"}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := store.Outbound(ctx, peer)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) > 0 {
			if len(out) != 1 || !strings.Contains(out[0].Text, "系统出了点问题") || strings.Contains(out[0].Text, "10.1.2.3") {
				t.Fatalf("replies = %+v, want one apology", out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no apology after the message kept failing")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if first, _ := store.FirstQueued(ctx, peer); first != 0 {
		t.Errorf("message %d still queued after giving up", first)
	}
}

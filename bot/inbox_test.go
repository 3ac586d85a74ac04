package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"channelbot/bot"
	"channelbot/bot/state"
	"channelbot/models"
)

// TestInboxOrderAcrossReplicas: two replicas share one database; a rep's 20 messages,
// queued as a load balancer would spread them, are each processed once and in order.
func TestInboxOrderAcrossReplicas(t *testing.T) {
	b1, store := newBot(t, nil)
	ctx := context.Background()
	st := state.NewMemory("shared", nil)
	b2, err := bot.New(ctx, store, st, nil, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	inboxes := []*bot.Inbox{bot.NewInbox(b1, nil, 2, 8, nil), bot.NewInbox(b2, nil, 2, 8, nil)}
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

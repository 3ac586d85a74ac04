package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"channelbot/bot"
	"channelbot/bot/bottest"
	"channelbot/models"
)

var at = time.Date(2026, 11, 23, 9, 0, 0, 0, bottest.CST)

// TestDuplicateMessage: a platform re-delivering a message gets no second record or reply.
func TestDuplicateMessage(t *testing.T) {
	b, store := bottest.NewBot(t, nil)
	ctx := context.Background()
	in := bot.Inbound{Platform: models.PlatformWeCom, MsgID: "m-1", From: "LiMing", Text: "盘点 张老板 苹果汁 120", At: at}
	out, err := b.Handle(ctx, in)
	if err != nil || len(out.Replies) != 1 || !strings.Contains(out.Replies[0], "本存 120箱") {
		t.Fatalf("first delivery: %v %q", err, out)
	}
	for range 2 {
		again, err := b.Handle(ctx, in)
		if err != nil || len(again.Replies) != 0 {
			t.Fatalf("re-delivery: %v %q, want no replies", err, again)
		}
	}
	cat, _ := store.LoadCatalog(ctx)
	basis, err := store.StockBasis(ctx, cat.Customers[0].ID, []int64{cat.Products[0].ID}, at.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	// A second stored count would make the first one 上存 of the second; only one exists.
	if bs := basis[cat.Products[0].ID]; !bs.HasLast || bs.Last != 120*12 {
		t.Fatalf("basis = %+v", bs)
	}
	next, err := b.Handle(ctx, bot.Inbound{Platform: models.PlatformWeCom, MsgID: "m-2", From: "LiMing", Text: "盘点 张老板 苹果汁 100", At: at.Add(time.Hour)})
	if err != nil || !strings.Contains(next.Replies[0], "上存 120箱") {
		t.Fatalf("next count: %v %q", err, next)
	}
}

// TestInternalErrorsStayInternal: a failing dependency gets the user an apology, never
// the error's text, and stores nothing.
func TestInternalErrorsStayInternal(t *testing.T) {
	b, _ := bottest.NewBot(t, bottest.BrokenState{})
	out, err := b.Handle(context.Background(), bot.Inbound{Platform: models.PlatformConsole, From: "R01", Text: "盘点 张老板 苹果汁 120", At: at})
	replies := out.Replies
	if err == nil {
		t.Fatal("Handle with a broken state store returned no error")
	}
	all := strings.Join(replies, "\n")
	if len(replies) != 1 || !strings.Contains(all, "系统出了点问题") {
		t.Fatalf("replies = %q, want the apology", replies)
	}
	for _, leak := range []string{"10.1.2.3", "hunter2", "refused", "dial"} {
		if strings.Contains(all, leak) {
			t.Errorf("reply leaks %q: %s", leak, all)
		}
	}
}

// TestCatalogReloadsAfterImport: a bot notices master data imported by another process.
func TestCatalogReloadsAfterImport(t *testing.T) {
	b, store := bottest.NewBot(t, nil, bot.WithCatalogCheck(0))
	ctx := context.Background()
	before := b.Catalog(ctx).Version
	dir := t.TempDir()
	writeCSV(t, dir, "products.csv", "code,name,aliases,pack_size", func(w *strings.Builder) {
		w.WriteString("P99,桃汁1L,桃汁,12\n")
	})
	if _, err := store.ImportDir(ctx, dir); err != nil {
		t.Fatal(err)
	}
	cat := b.Catalog(ctx) // no Reload: the bot sees the new version itself
	if cat.Version == before || cat.Product("P99") == nil {
		t.Fatalf("catalog not reloaded: version %s → %s, P99 %v", before, cat.Version, cat.Product("P99"))
	}
	out, err := b.Handle(ctx, bot.Inbound{Platform: models.PlatformConsole, From: "R01", Text: "盘点 张老板 桃汁 5", At: at})
	if err != nil || !strings.Contains(out.Replies[0], "【桃汁1L】") {
		t.Fatalf("count of the new product: %v %q", err, out)
	}
}

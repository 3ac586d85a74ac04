package bot_test

import (
	"testing"

	"channelbot/bot"
	"channelbot/models"
)

// TestUndoStaysInItsConversation: 撤销 undoes the sender's latest action in the
// conversation it is sent in. 李明 reports on WeCom and on Feishu; 撤销 on WeCom
// never touches what he sent on Feishu, even when that is later, and the reverse.
func TestUndoStaysInItsConversation(t *testing.T) {
	r := newRig(t)
	wecom := func(hm, text string) []string {
		t.Helper()
		return r.handle(bot.Inbound{Platform: models.PlatformWeCom, From: "LiMing", Text: text, At: on(10, hm)}).Replies
	}
	feishu := func(hm, text string) []string {
		t.Helper()
		return r.handle(bot.Inbound{Platform: models.PlatformFeishu, From: "ou_r01li", Text: text, At: on(10, hm)}).Replies
	}
	alive := func() map[int64]bool {
		t.Helper()
		out := map[int64]bool{}
		for _, rep := range r.reports("R01") {
			out[rep.ID] = !rep.DeletedAt.Valid
		}
		return out
	}

	wantIn(t, wecom("10:00", "盘点 张老板 苹果汁 120"), "盘点已记录 #1")
	wantIn(t, feishu("10:05", "订货 宏城 橙汁 10"), "订货已记录 #2")
	// On WeCom the latest action is the count, though the Feishu order came after.
	wantIn(t, wecom("10:06", "撤销"), "已撤销 #1")
	if a := alive(); a[1] || !a[2] {
		t.Fatalf("after 撤销 on WeCom: alive %v, want #1 undone and #2 kept", a)
	}
	// On Feishu, the order.
	wantIn(t, feishu("10:08", "撤销"), "已撤销 #2")
	if a := alive(); a[1] || a[2] {
		t.Fatalf("after 撤销 on Feishu: alive %v, want both undone", a)
	}

	// A WeCom order; 撤销 on Feishu has nothing of its own left to undo.
	wantIn(t, wecom("10:20", "订货 张老板 苹果汁 5"), "订货已记录 #3")
	none := feishu("10:21", "撤销")
	wantNotIn(t, none, "已撤销", "#3")
	if a := alive(); !a[3] {
		t.Errorf("撤销 on Feishu undid the WeCom order #3")
	}
	// Back on WeCom it is still there to undo.
	wantIn(t, wecom("10:22", "撤销"), "已撤销 #3")
}

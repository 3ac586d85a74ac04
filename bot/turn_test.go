package bot_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"channelbot/bot"
	"channelbot/models"
)

// TestNearNamesAskFirst: names one slip away are not stored until confirmed; 确认
// stores the catalog's name, 取消 nothing.
func TestNearNamesAskFirst(t *testing.T) {
	tests := []struct {
		text  string
		ask   []string
		kind  models.ReportKind
		cust  string
		items string
		reply []string
	}{
		{"订货 张老板 苹果之 20箱", []string{"没认出「苹果之」，你是说 苹果汁1L 吗？", "按这样理解：订货 · 张记商贸 · 苹果汁1L 20箱"},
			models.KindOrder, "C001", "C001/P01/240", []string{"订货已记录 #1", "苹果汁1L 20箱"}},
		{"订货 宏成 苹果汁 5箱", []string{"没认出「宏成」，你是说 宏城超市 吗？"},
			models.KindOrder, "C004", "C004/P01/60", []string{"订货已记录 #1 · 宏城超市"}},
		{"价格 宏成 苹果汁 30", []string{"你是说 宏城超市 吗？", "30元/箱"},
			models.KindPriceReport, "C004", "C004/P01/-", []string{"价格已记录 #1 · 宏城超市", "乱价"}},
		{"拜访 宏成 谈陈列", []string{"你是说 宏城超市 吗？"},
			models.KindVisit, "C004", "", []string{"拜访已记录 #1 · 宏城超市"}},
		{"盘点 宏成 苹果汁 10", []string{"你是说 宏城超市 吗？", "盘点 · 宏城超市 · 苹果汁1L 10箱"},
			models.KindStockCount, "C004", "", []string{"盘点已记录 #1 · 宏城超市", "本存 10箱"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			r := newRig(t)
			ask := r.say("R01", on(10, "10:00"), tt.text)
			wantIn(t, ask.Replies, append(tt.ask, "对的请回复「确认」", "「取消」")...)
			wantNotIn(t, ask.Replies, "已记录")
			wantIn(t, r.say("R01", on(10, "10:01"), "取消").Replies, "已取消")
			if n := len(r.reports("R01")); n != 0 {
				t.Fatalf("stored %d reports before 确认", n)
			}

			r.say("R01", on(10, "10:02"), tt.text)
			out := r.say("R01", on(10, "10:03"), "确认")
			wantIn(t, out.Replies, tt.reply...)
			if tt.kind == models.KindPriceReport && (len(out.Notices) != 1 || out.Notices[0].UserID != "M01") {
				t.Errorf("notices %+v, want the manager told on 确认", out.Notices)
			}
			rep := r.only("R01")
			if rep.Kind != tt.kind || r.code(rep.CustomerID) != tt.cust || r.items(rep.ID) != tt.items {
				t.Errorf("stored %s for %s with %q, want %s for %s with %q", rep.Kind, r.code(rep.CustomerID), r.items(rep.ID), tt.kind, tt.cust, tt.items)
			}
			if !rep.ReportedAt.Equal(on(10, "10:02")) {
				t.Errorf("reported at %v, want when it was said", rep.ReportedAt)
			}
			if m, err := r.store.MessageByID(r.ctx, *rep.MessageID); err != nil || m.Text != tt.text {
				t.Errorf("report links to %+v (%v), want the report's message, not the 确认", m, err)
			}
		})
	}
}

// TestChooseCustomer: an admin's 张老板 is two shops; a number out of range asks again,
// 确认 is no answer, and the number completes the original report, of any kind.
func TestChooseCustomer(t *testing.T) {
	tests := []struct {
		text   string
		answer string
		kind   models.ReportKind
		cust   string
		items  string
		date   string
		note   string
		reply  []string
	}{
		{"订货 张老板 苹果汁 20箱", "2", models.KindOrder, "C006", "C006/P01/240", "", "", []string{"订货已记录 #1 · 张氏便利店"}},
		{"价格 张老板 苹果汁 30", "1", models.KindPriceReport, "C001", "C001/P01/-", "", "", []string{"价格已记录 #1 · 张记商贸", "乱价"}},
		{"计划 明天 张老板", "1", models.KindPlan, "C001", "C001/-/-", "2026-11-11", "", []string{"拜访 张记商贸"}},
		{"即期 张老板 苹果汁 8箱 12月15日", "2", models.KindNearExpiry, "C006", "C006/P01/96", "2026-12-15", "", []string{"即期已记录 #1 · 张氏便利店"}},
		{"答应 张老板 周五前换货", "2", models.KindPromise, "C006", "", "2026-11-13", "换货", []string{"承诺已记录 #1 · 张氏便利店"}},
		{"客诉 张老板 送货慢", "1", models.KindComplaint, "C001", "", "", "送货慢", []string{"客诉已记录 #1 · 张记商贸"}},
		{"拜访 张老板", "2", models.KindVisit, "C006", "", "", "", []string{"拜访已记录 #1 · 张氏便利店"}},
		{"盘点 张老板 苹果汁 30", "2", models.KindStockCount, "C006", "", "", "", []string{"盘点已记录 #1 · 张氏便利店", "本存 30箱"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			r := newRig(t)
			wantIn(t, r.say("A01", on(10, "10:00"), tt.text).Replies, "你说的「张老板」是：", "1 张记商贸（城东）", "2 张氏便利店（城西）", "回复数字选一个。")
			wantIn(t, r.say("A01", on(10, "10:01"), "3").Replies, "请回复 1 到 2 之间的数字")
			wantIn(t, r.say("A01", on(10, "10:02"), "确认").Replies, "请按上一条的提示回复")
			if n := len(r.reports("A01")); n != 0 {
				t.Fatalf("stored %d reports before the choice", n)
			}
			out := r.say("A01", on(10, "10:03"), tt.answer)
			wantIn(t, out.Replies, tt.reply...)
			if len(out.Notices) != 0 { // the admin has no manager
				t.Errorf("notices %+v", out.Notices)
			}
			rep := r.only("A01")
			if rep.Kind != tt.kind || r.code(rep.CustomerID) != tt.cust || deref(rep.OnDate) != tt.date || rep.Note != tt.note {
				t.Errorf("stored %s for %s on %q note %q, want %s for %s on %q note %q",
					rep.Kind, r.code(rep.CustomerID), deref(rep.OnDate), rep.Note, tt.kind, tt.cust, tt.date, tt.note)
			}
			if got := r.items(rep.ID); got != tt.items {
				t.Errorf("items %q, want %q", got, tt.items)
			}
			if !rep.ReportedAt.Equal(on(10, "10:00")) {
				t.Errorf("reported at %v, want when it was said", rep.ReportedAt)
			}
			if m, err := r.store.MessageByID(r.ctx, *rep.MessageID); err != nil || m.Text != tt.text {
				t.Errorf("report links to %+v (%v), want the report's message", m, err)
			}
		})
	}
}

// TestChooseThenConfirm: a report with an ambiguous customer and a near product name
// asks both questions in turn, and stores once both are answered.
func TestChooseThenConfirm(t *testing.T) {
	r := newRig(t)
	wantIn(t, r.say("A01", on(10, "10:00"), "订货 张老板 苹果之 20箱").Replies, "你说的「张老板」是")
	guess := r.say("A01", on(10, "10:01"), "2")
	wantIn(t, guess.Replies, "没认出「苹果之」，你是说 苹果汁1L 吗？", "订货 · 张氏便利店 · 苹果汁1L 20箱")
	if n := len(r.reports("A01")); n != 0 {
		t.Fatalf("stored %d reports before 确认", n)
	}
	wantIn(t, r.say("A01", on(10, "10:02"), "确认").Replies, "订货已记录 #1 · 张氏便利店", "苹果汁1L 20箱")
	if rep := r.only("A01"); r.code(rep.CustomerID) != "C006" || r.items(rep.ID) != "C006/P01/240" {
		t.Errorf("stored for %s: %s, want C006/P01/240", r.code(rep.CustomerID), r.items(rep.ID))
	}
}

// TestQuestionDroppedOrExpired: a new report drops an open choice and says what was
// not saved; a question lapses ten minutes (of message time) after it was asked, and
// the rep is told what was lost.
func TestQuestionDroppedOrExpired(t *testing.T) {
	r := newRig(t)
	say := func(hm, text string) []string { return r.say("A01", on(10, hm), text).Replies }
	say("10:00", "订货 张老板 苹果汁 20箱")
	wantIn(t, say("10:01", "订货 宏城 苹果汁 3箱"), "（上一条待确认的内容已取消，没有保存：「订货 张老板 苹果汁 20箱」）", "订货已记录 #1 · 宏城超市")
	wantIn(t, say("10:02", "1"), "现在没有需要确认的内容")
	say("10:03", "客诉 张老板 送货慢")
	late := say("10:14", "2")
	wantIn(t, late, "超过10分钟没有回复，没有保存：「客诉 张老板 送货慢」")
	wantNotIn(t, late, "已记录")
	say("10:20", "订货 宏成 橙汁 1箱")
	wantIn(t, say("10:29", "确认"), "订货已记录 #2 · 宏城超市", "橙汁1L 1箱")
	say("10:30", "拜访 张老板")
	wantIn(t, say("10:38", "9"), "1 到 2")
	wantIn(t, say("10:46", "2"), "拜访已记录 #3 · 张氏便利店") // the bad number asked again, from 10:38
	want := []string{"order C004", "order C004", "visit C006"}
	rs := r.reports("A01")
	if len(rs) != len(want) {
		t.Fatalf("stored %d reports, want %d", len(rs), len(want))
	}
	for i, rep := range rs {
		if got := string(rep.Kind) + " " + r.code(rep.CustomerID); got != want[i] {
			t.Errorf("report %d = %s, want %s", i, got, want[i])
		}
	}
}

// TestQuestionsOfferButtons: on a platform, a question's reply carries its answers as
// buttons, and clicking one answers it.
func TestQuestionsOfferButtons(t *testing.T) {
	r := newRig(t)
	send := func(id, text string, at time.Time) *bot.Outcome {
		return r.handle(bot.Inbound{Platform: models.PlatformFeishu, MsgID: id, From: "ou_admin01", Text: text, At: at})
	}
	lastButtons := func() models.Buttons {
		ms := r.messages("A01")
		return ms[len(ms)-1].Buttons
	}
	send("m1", "订货 张老板 苹果汁 20箱", on(10, "10:00"))
	bs := lastButtons()
	if len(bs) != 3 || bs[0] != (models.Button{Text: "1 张记商贸", Key: "1"}) || bs[1] != (models.Button{Text: "2 张氏便利店", Key: "2"}) || bs[2].Key != "取消" {
		t.Errorf("choice buttons = %+v", bs)
	}
	out := send("m2", bs[1].Key, on(10, "10:01"))
	wantIn(t, out.Replies, "订货已记录 #1 · 张氏便利店")
	if bs := lastButtons(); len(bs) != 0 {
		t.Errorf("a receipt offers buttons %+v", bs)
	}

	wantIn(t, send("m3", "盘点 宏城 苹果汁 1", on(10, "11:00")).Replies, "盘点已记录 #2")
	wantIn(t, send("m5", "盘点 宏城 苹果汁 99", on(10, "12:00")).Replies, "先没保存")
	bs = lastButtons()
	if len(bs) != 2 || bs[0] != (models.Button{Text: "确认", Key: "确认"}) || bs[1] != (models.Button{Text: "取消", Key: "取消"}) {
		t.Errorf("confirm buttons = %+v", bs)
	}
	wantIn(t, send("m6", bs[1].Key, on(10, "12:01")).Replies, "已取消")
	if b := r.basis("C004", "P01", on(10, "13:00")); b.Last != 12 {
		t.Errorf("上存 = %d pieces after 取消, want the first count's 12", b.Last)
	}
}

// TestWhoMayReport: dealers and unknown senders store no records, whatever they send.
func TestWhoMayReport(t *testing.T) {
	r := newRig(t)
	stranger := r.handle(bot.Inbound{Platform: models.PlatformWeCom, MsgID: "x1", From: "Stranger", Text: "价格 张老板 苹果汁 30", At: on(10, "10:00")})
	if len(stranger.Replies) != 1 || len(stranger.Notices) != 0 {
		t.Errorf("unknown sender got %q %+v, want one reply", stranger.Replies, stranger.Notices)
	}
	wantIn(t, stranger.Replies, "你还没有登记", "管理员")
	wantIn(t, r.say("NOBODY", on(10, "10:01"), "盘点 张老板 苹果汁 30").Replies, "还没有登记")
	for i, text := range []string{"订货 张老板 苹果汁 5箱", "盘点 张老板 苹果汁 30", "撤销", "查 李老板", "帮助"} {
		out := r.say("D01", on(10, "10:02").Add(time.Duration(i)*time.Minute), text)
		wantIn(t, out.Replies, "您好！这里报数是业务员用的", "经销商")
		wantNotIn(t, out.Replies, "已记录", "已撤销", "李氏", "本存")
		if len(out.Notices) != 0 {
			t.Errorf("dealer's %q sent notices %+v", text, out.Notices)
		}
	}
	for _, u := range []string{"", "NOBODY", "D01"} {
		if n := len(r.reports(u)); n != 0 {
			t.Errorf("%q has %d reports", u, n)
		}
	}
	if b := r.basis("C001", "P01", on(11, "00:00")); b.HasLast {
		t.Errorf("a count was stored: %+v", b)
	}
	// The stranger's message is audited, with nobody as its user.
	if m, err := r.store.MessageSeen(r.ctx, models.PlatformWeCom, "x1"); err != nil || !m {
		t.Errorf("stranger's message seen = %v, %v; want it audited", m, err)
	}
}

// TestDuplicateDelivery: a platform re-delivering a message changes nothing: no
// second record, no second notice, and an open question stays as it was. The same
// ID on another platform is another message.
func TestDuplicateDelivery(t *testing.T) {
	r := newRig(t)
	price := bot.Inbound{Platform: models.PlatformWeCom, MsgID: "w-1", From: "LiMing", Text: "价格 刘姐 苹果汁 30", At: on(10, "10:00")}
	if out := r.handle(price); len(out.Notices) != 1 {
		t.Fatalf("first delivery: notices %+v, want one", out.Notices)
	}
	again := price
	again.At = on(10, "10:05")
	if out := r.handle(again); len(out.Replies) != 0 || len(out.Notices) != 0 {
		t.Errorf("re-delivery answered %q %+v, want nothing", out.Replies, out.Notices)
	}
	if n := len(r.reports("R01")); n != 1 {
		t.Errorf("stored %d reports, want 1", n)
	}
	if n := len(r.messages("M01")); n != 1 {
		t.Errorf("manager has %d notices, want 1", n)
	}

	r.handle(bot.Inbound{Platform: models.PlatformWeCom, MsgID: "w-2", From: "LiMing", Text: "盘点 张老板 苹果汁 1", At: on(10, "11:00")})
	held := bot.Inbound{Platform: models.PlatformWeCom, MsgID: "w-3", From: "LiMing", Text: "盘点 张老板 苹果汁 50", At: on(10, "11:40")}
	wantIn(t, r.handle(held).Replies, "先没保存")
	if out := r.handle(held); len(out.Replies) != 0 {
		t.Errorf("re-delivered question answered %q", out.Replies)
	}
	wantIn(t, r.handle(bot.Inbound{Platform: models.PlatformWeCom, MsgID: "w-4", From: "LiMing", Text: "确认", At: on(10, "11:41")}).Replies,
		"盘点已记录 #3", "本存 50箱")

	other := bot.Inbound{Platform: models.PlatformFeishu, MsgID: "w-1", From: "ou_r01li", Text: "订货 张老板 苹果汁 2", At: on(10, "12:00")}
	wantIn(t, r.handle(other).Replies, "订货已记录 #4")
}

// TestQueuedMessage: a message stored in the inbox before processing is handled
// once; handling the row again (a replica whose lease ran out) changes nothing.
func TestQueuedMessage(t *testing.T) {
	r := newRig(t)
	id := "q-1"
	row := &models.Message{Platform: models.PlatformWeCom, PlatformMsgID: &id, Peer: "LiMing", Text: "订货 张老板 苹果汁 2", CreatedAt: on(10, "10:00")}
	if err := r.store.EnqueueInbound(r.ctx, row, time.Minute); err != nil {
		t.Fatal(err)
	}
	queued := bot.Inbound{Platform: row.Platform, MsgID: id, From: row.Peer, Text: row.Text, At: on(10, "10:00"), InboxID: row.ID}
	wantIn(t, r.handle(queued).Replies, "订货已记录 #1 · 张记商贸")
	if out := r.handle(queued); len(out.Replies) != 0 {
		t.Errorf("handled twice: %q", out.Replies)
	}
	if rep := r.only("R01"); *rep.MessageID != row.ID {
		t.Errorf("report links to message %d, want the inbox row %d", *rep.MessageID, row.ID)
	}
	if m, err := r.store.MessageByID(r.ctx, row.ID); err != nil || m.Status != models.StatusDone || m.UserID != "R01" {
		t.Errorf("inbox row = %+v, %v; want it done, from R01", m, err)
	}
}

// TestInboxKeepsPayload: what a location or photo carries survives the inbox row.
func TestInboxKeepsPayload(t *testing.T) {
	tests := []bot.Inbound{
		{Platform: models.PlatformWeCom, MsgID: "l1", From: "LiMing", At: on(10, "10:00"),
			Payload: bot.Payload{Kind: bot.KindLocation, Lat: 31.23, Lng: 121.47, Label: "张记商贸"}},
		{Platform: models.PlatformFeishu, MsgID: "i1", From: "ou_r01li", At: on(10, "10:00"),
			Payload: bot.Payload{Kind: bot.KindImage, MediaID: "img_v2_1", MediaURL: "https://example.invalid/p.jpg"}},
		{Platform: models.PlatformWeCom, From: "LiMing", Text: "盘点 张老板 苹果汁 1", At: on(10, "10:00")},
	}
	for _, in := range tests {
		m := bot.InboxMessage(in)
		if (in.Kind == bot.KindText) != (m.Payload == "") {
			t.Errorf("%+v stored payload %q", in.Payload, m.Payload)
		}
		got := bot.FromInbox(m)
		if got.Payload != in.Payload || got.MsgID != in.MsgID || got.From != in.From || got.Text != in.Text || !got.At.Equal(in.At) {
			t.Errorf("FromInbox(InboxMessage(%+v)) = %+v", in, got)
		}
	}
}

// TestMessageWithoutTime: a message that carries no time is dated by the store's clock.
func TestMessageWithoutTime(t *testing.T) {
	r := newRig(t)
	r.now = on(10, "10:00")
	out, err := r.bot.Handle(r.ctx, bot.Inbound{Platform: models.PlatformConsole, From: "R01", Text: "计划 明天 宏城"})
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, out.Replies, "11月11日（周三） 拜访 宏城超市")
	if rep := r.only("R01"); !rep.ReportedAt.Equal(on(10, "10:00")) || deref(rep.OnDate) != "2026-11-11" {
		t.Errorf("stored at %v for %s, want at %v for 2026-11-11", rep.ReportedAt, deref(rep.OnDate), on(10, "10:00"))
	}
}

// TestMessageTimeRules: how long a question or a visit lasts is judged by the
// messages' times, not by the server's clock (here stopped, as when a backlog of
// queued messages is processed at once).
func TestMessageTimeRules(t *testing.T) {
	r := newRig(t)
	r.now, r.frozen = on(10, "18:00"), true
	say := func(hm, text string) []string { return r.say("R01", on(10, hm), text).Replies }
	wantIn(t, say("10:00", "拜访 张老板"), "拜访已记录 #1")
	wantIn(t, say("09:59", "订货 苹果汁 1"), "没写客户") // said before the visit began
	wantIn(t, say("11:59", "订货 苹果汁 2"), "订货已记录 #2 · 张记商贸")
	wantIn(t, say("19:59", "订货 苹果汁 3"), "订货已记录 #3 · 张记商贸") // the visit lasts the working day
	wantIn(t, say("20:01", "订货 苹果汁 4"), "没写客户")            // which ends at 20:00

	say("12:50", "盘点 宏城 苹果汁 1") // over the correction window before the next
	wantIn(t, say("13:30", "盘点 宏城 苹果汁 9"), "先没保存")
	wantIn(t, say("13:41", "确认"), "超过10分钟没有回复，没有保存：宏城超市 苹果汁1L 9箱")
	wantIn(t, say("14:00", "盘点 宏城 苹果汁 9"), "先没保存")
	wantIn(t, say("14:10", "确认"), "盘点已记录 #5") // ten minutes is still in time

	want := []string{"visit C001", "order C001", "order C001", "stock_count C004", "stock_count C004"}
	rs := r.reports("R01")
	if len(rs) != len(want) {
		t.Fatalf("stored %d reports, want %d", len(rs), len(want))
	}
	for i, rep := range rs {
		if got := string(rep.Kind) + " " + r.code(rep.CustomerID); got != want[i] {
			t.Errorf("report %d = %s, want %s", i, got, want[i])
		}
	}
}

// gate holds every Get of a state store until n of them are waiting, so that n
// replicas read the same conversation before any of them acts on it.
type gate struct {
	bot.StateStore
	mu      sync.Mutex
	n       int
	open    chan struct{}
	stalled bool
}

func (g *gate) Get(ctx context.Context, key string) ([]byte, bool, error) {
	g.mu.Lock()
	if g.n > 0 {
		g.n--
		if g.n == 0 {
			close(g.open)
		}
	}
	g.mu.Unlock()
	select {
	case <-g.open:
	case <-time.After(5 * time.Second):
		g.mu.Lock()
		g.stalled = true
		g.mu.Unlock()
	}
	return g.StateStore.Get(ctx, key)
}

// TestOneAnswerCompletesAQuestion: two 确认 handled at once by two replicas store
// the held count once; the other is told there is nothing to confirm.
func TestOneAnswerCompletesAQuestion(t *testing.T) {
	r := newRig(t)
	r.say("R01", on(10, "09:00"), "盘点 张老板 苹果汁 1")
	wantIn(t, r.say("R01", on(10, "10:01"), "盘点 张老板 苹果汁 9").Replies, "先没保存")

	g := &gate{StateStore: r.state, n: 2, open: make(chan struct{})}
	var replicas [2]*bot.Bot
	for i := range replicas {
		b, err := bot.New(r.ctx, r.store, g, nil, cst)
		if err != nil {
			t.Fatal(err)
		}
		replicas[i] = b
	}
	var wg sync.WaitGroup
	replies := make([][]string, 2)
	for i, b := range replicas {
		wg.Go(func() {
			out, err := b.Handle(r.ctx, bot.Inbound{Platform: models.PlatformConsole, From: "R01", Text: "确认", At: on(10, "10:02")})
			if err != nil {
				t.Errorf("replica %d: %v", i, err)
				return
			}
			replies[i] = out.Replies
		})
	}
	wg.Wait()
	if g.stalled {
		t.Fatal("the replicas did not read the conversation together")
	}
	all := append(append([]string{}, replies[0]...), replies[1]...)
	wantIn(t, all, "盘点已记录 #2", "现在没有需要确认的内容")
	if n := len(r.reports("R01")); n != 2 {
		t.Errorf("stored %d reports, want the first count and the confirmed one", n)
	}
}

package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"channelbot/bot"
	"channelbot/models"
)

func money(p *models.Money) int64 {
	if p == nil {
		return -1
	}
	return int64(*p)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// TestEveryKind: each report kind is its own record, with its customer, lines, price,
// day, note and the message it came from; the reply echoes it with #N; a price below
// the floor and cross-region goods go to the sender's manager at once.
func TestEveryKind(t *testing.T) {
	tests := []struct {
		name   string
		as     string
		text   string
		kind   models.ReportKind
		cust   string // customer code, "" for none
		items  string // customer/product/pieces, space-separated
		price  int64  // fen; -1 for none
		date   string
		note   string
		place  string
		brand  string
		flag   bool
		reply  []string
		notice string   // the manager told, "" for nobody
		says   []string // in the notice
	}{
		{name: "order", as: "R01", text: "订货 张老板 苹果汁 20箱", kind: models.KindOrder, cust: "C001",
			items: "C001/P01/240", price: -1, reply: []string{"🧾 订货已记录 #1 · 张记商贸", "苹果汁1L 20箱"}},
		{name: "order in cases and bottles", as: "R01", text: "订货 张老板 苹果汁 3箱6瓶 橙汁 2", kind: models.KindOrder, cust: "C001",
			items: "C001/P01/42 C001/P02/24", price: -1, reply: []string{"订货已记录 #1", "苹果汁1L 3箱6瓶", "橙汁1L 2箱"}},
		{name: "visit", as: "R01", text: "拜访 张老板 聊了新品", kind: models.KindVisit, cust: "C001", price: -1, note: "聊了新品",
			reply: []string{"📍 拜访已记录 #1 · 张记商贸", "备注：聊了新品", "今天接下来不写客户的上报都记在这家，到别家报数或发位置就换过去。"}},
		{name: "plan", as: "R01", text: "计划 明天 拜访 张老板", kind: models.KindPlan, cust: "C001",
			items: "C001/-/-", price: -1, date: "2026-11-11",
			reply: []string{"🗓 计划已记录 #1", "11月11日（周三） 拜访 张记商贸"}},
		{name: "plan of two customers", as: "R01", text: "计划 后天 张老板 宏城", kind: models.KindPlan, cust: "C001",
			items: "C001/-/- C004/-/-", price: -1, date: "2026-11-12",
			reply: []string{"计划已记录 #1", "11月12日（周四） 拜访 张记商贸、宏城超市"}},
		{name: "near expiry", as: "R01", text: "即期 张老板 苹果汁 8箱 12月15日到期", kind: models.KindNearExpiry, cust: "C001",
			items: "C001/P01/96", price: -1, date: "2026-12-15",
			reply: []string{"⏳ 即期已记录 #1 · 张记商贸", "苹果汁1L 8箱", "到期 12月15日（周二）"}},
		{name: "damage", as: "R01", text: "破损 张老板 橙汁 2箱", kind: models.KindDamage, cust: "C001",
			items: "C001/P02/24", price: -1, reply: []string{"💔 破损已记录 #1 · 张记商贸", "橙汁1L 2箱"}},
		{name: "damage with a day", as: "R01", text: "破损 张老板 橙汁 2箱 昨天", kind: models.KindDamage, cust: "C001",
			items: "C001/P02/24", price: -1, date: "2026-11-09", reply: []string{"破损已记录 #1", "日期 11月9日（周一）"}},
		{name: "order for a day", as: "R01", text: "订货 张老板 苹果汁 20箱 明天", kind: models.KindOrder, cust: "C001",
			items: "C001/P01/240", price: -1, date: "2026-11-11", reply: []string{"订货已记录 #1", "日期 11月11日（周三）"}},
		{name: "price below the floor", as: "R01", text: "价格 刘姐 苹果汁 38元", kind: models.KindPriceReport, cust: "C009",
			items: "C009/P01/-", price: 3800, flag: true,
			reply:  []string{"💰 价格已记录 #1 · 北郊小食品批发市场刘姐", "价格 38元/箱", "⚠️ 低于苹果汁1L限价 40元/箱，是乱价，已报给经理。"},
			notice: "M01", says: []string{"⚠️ 乱价：北郊小食品批发市场刘姐 苹果汁1L 38元/箱，低于限价 40元/箱", "李明 报告 #1"}},
		{name: "price at the floor", as: "R01", text: "价格 刘姐 苹果汁 40元", kind: models.KindPriceReport, cust: "C009",
			items: "C009/P01/-", price: 4000, reply: []string{"价格已记录 #1", "价格 40元/箱"}},
		{name: "price above the floor", as: "R01", text: "价格 刘姐 苹果汁 41.5", kind: models.KindPriceReport, cust: "C009",
			items: "C009/P01/-", price: 4150, reply: []string{"价格已记录 #1", "价格 41.5元/箱"}},
		{name: "price per bottle below the floor", as: "R01", text: "价格 刘姐 苹果汁 3元一瓶", kind: models.KindPriceReport, cust: "C009",
			items: "C009/P01/-", price: 3600, flag: true,
			reply:  []string{"价格已记录 #1", "价格 3元/瓶（合36元/箱）", "乱价"},
			notice: "M01", says: []string{"乱价", "3元/瓶", "限价 40元/箱"}},
		{name: "price per bottle above the floor", as: "R01", text: "价格 刘姐 苹果汁 3.5元一瓶", kind: models.KindPriceReport, cust: "C009",
			items: "C009/P01/-", price: 4200, reply: []string{"价格已记录 #1", "3.5元/瓶（合42元/箱）"}},
		{name: "price at a place", as: "R01", text: "价格 北郊 苹果汁 38", kind: models.KindPriceReport,
			items: "-/P01/-", price: 3800, place: "北郊", flag: true,
			reply: []string{"价格已记录 #1 · 北郊", "乱价"}, notice: "M01", says: []string{"乱价：北郊"}},
		{name: "another rep of the same manager", as: "R02", text: "价格 王老板 橙汁 35", kind: models.KindPriceReport, cust: "C003",
			items: "C003/P02/-", price: 3500, flag: true,
			reply: []string{"价格已记录 #1 · 王记批发"}, notice: "M01", says: []string{"王记批发 橙汁1L 35元/箱", "赵强"}},
		{name: "a rep of another manager", as: "R03", text: "价格 永辉 苹果汁 30", kind: models.KindPriceReport, cust: "C010",
			items: "C010/P01/-", price: 3000, flag: true,
			reply: []string{"价格已记录 #1"}, notice: "M02", says: []string{"永辉城西店", "陈静"}},
		{name: "cross-region at a place", as: "R01", text: "冲货 北郊 苹果汁 38一箱", kind: models.KindCrossRegion,
			items: "-/P01/-", price: 3800, place: "北郊",
			reply:  []string{"🚨 冲货已记录 #1 · 北郊", "苹果汁1L", "价格 38元/箱", "已报给经理，有照片请补发。"},
			notice: "M01", says: []string{"🚨 冲货：北郊 苹果汁1L 38元/箱", "李明 报告 #1"}},
		{name: "cross-region at a customer", as: "R01", text: "冲货 张老板 橙汁 30", kind: models.KindCrossRegion, cust: "C001",
			items: "C001/P02/-", price: 3000,
			reply: []string{"冲货已记录 #1 · 张记商贸"}, notice: "M01", says: []string{"冲货：张记商贸 橙汁1L"}},
		{name: "cross-region with a note", as: "R01", text: "冲货 北郊 苹果汁 38 外地货很多", kind: models.KindCrossRegion,
			items: "-/P01/-", price: 3800, place: "北郊", note: "外地货很多",
			reply:  []string{"冲货已记录 #1 · 北郊", "备注：外地货很多", "已报给经理"},
			notice: "M01", says: []string{"🚨 冲货：北郊 苹果汁1L 38元/箱，外地货很多\n李明 报告 #1"}},
		{name: "competitor", as: "R01", text: "竞品 康师傅 百佳 冰红茶 特价2.5", kind: models.KindCompetitor, cust: "C008",
			items: "C008/P05/-", price: 250, brand: "康师傅", note: "特价2.5",
			reply: []string{"👀 竞品已记录 #1 · 康师傅 @ 东一路百佳超市", "冰红茶500ml", "价格 2.5元", "备注：特价2.5"}},
		{name: "complaint", as: "R01", text: "客诉 张老板 送货慢", kind: models.KindComplaint, cust: "C001", price: -1, note: "送货慢",
			reply: []string{"📣 客诉已记录 #1 · 张记商贸", "备注：送货慢"}},
		{name: "feedback", as: "R01", text: "建议 张老板 多投广告", kind: models.KindFeedback, cust: "C001", price: -1, note: "多投广告",
			reply: []string{"💡 建议已记录 #1 · 张记商贸", "备注：多投广告"}},
		{name: "promise with a due day", as: "R01", text: "答应 张老板 周五前换货", kind: models.KindPromise, cust: "C001", price: -1,
			date: "2026-11-13", note: "换货", reply: []string{"🤝 承诺已记录 #1 · 张记商贸", "期限 11月13日（周五）", "备注：换货"}},
		{name: "a manager's price report tells nobody", as: "M01", text: "价格 张老板 苹果汁 30", kind: models.KindPriceReport, cust: "C001",
			items: "C001/P01/-", price: 3000, flag: true, reply: []string{"价格已记录 #1", "是乱价。"}},
		{name: "an admin's cross-region report tells nobody", as: "A01", text: "冲货 北郊 橙汁 30", kind: models.KindCrossRegion,
			items: "-/P02/-", price: 3000, place: "北郊", reply: []string{"冲货已记录 #1", "\n有照片请补发。"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			when := on(10, "10:00")
			out := r.say(tt.as, when, tt.text)
			wantIn(t, out.Replies, tt.reply...)
			if tt.notice == "" {
				wantNotIn(t, out.Replies, "已报给经理")
				if len(out.Notices) != 0 {
					t.Errorf("notices %+v, want none", out.Notices)
				}
			} else if len(out.Notices) != 1 || out.Notices[0].UserID != tt.notice {
				t.Errorf("notices %+v, want one to %s", out.Notices, tt.notice)
			} else {
				wantIn(t, []string{out.Notices[0].Text}, tt.says...)
			}
			if !tt.flag {
				wantNotIn(t, out.Replies, "乱价")
			}

			rep := r.only(tt.as)
			if rep.Kind != tt.kind || r.code(rep.CustomerID) != tt.cust || rep.UserID != tt.as {
				t.Errorf("stored %s for %q by %s, want %s for %q by %s", rep.Kind, r.code(rep.CustomerID), rep.UserID, tt.kind, tt.cust, tt.as)
			}
			if got := r.items(rep.ID); got != tt.items {
				t.Errorf("items %q, want %q", got, tt.items)
			}
			if money(rep.Price) != tt.price || rep.Flagged != tt.flag {
				t.Errorf("price %d flagged %v, want %d flagged %v", money(rep.Price), rep.Flagged, tt.price, tt.flag)
			}
			if deref(rep.OnDate) != tt.date || rep.Note != tt.note || rep.Place != tt.place || rep.Brand != tt.brand {
				t.Errorf("date %q note %q place %q brand %q, want %q %q %q %q",
					deref(rep.OnDate), rep.Note, rep.Place, rep.Brand, tt.date, tt.note, tt.place, tt.brand)
			}
			if !rep.ReportedAt.Equal(when) {
				t.Errorf("reported at %v, want %v", rep.ReportedAt, when)
			}
			if m, err := r.store.MessageByID(r.ctx, *rep.MessageID); err != nil || m.Text != tt.text || m.Direction != models.Inbound {
				t.Errorf("report links to %+v (%v), want the inbound %q", m, err, tt.text)
			}
			if tt.notice != "" {
				// The notice is audited too, as a message to the manager.
				ms := r.messages(tt.notice)
				if len(ms) != 1 || ms[0].Direction != models.Outbound || ms[0].Text != out.Notices[0].Text {
					t.Errorf("manager's audit log %+v, want the notice", ms)
				}
			}
		})
	}
}

// TestNoticeGoesWhereTheManagerIs: the manager is told on the platform the rep wrote
// from, at the manager's identity there.
func TestNoticeGoesWhereTheManagerIs(t *testing.T) {
	tests := []struct{ platform, from, peer string }{
		{models.PlatformWeCom, "LiMing", "WangJianHua"},
		{models.PlatformFeishu, "ou_r01li", "ou_m01wang"},
	}
	for _, tt := range tests {
		t.Run(tt.platform, func(t *testing.T) {
			r := newRig(t)
			out := r.handle(bot.Inbound{Platform: tt.platform, MsgID: "m1", From: tt.from, Text: "价格 刘姐 苹果汁 30", At: on(10, "10:00")})
			wantIn(t, out.Replies, "价格已记录 #1", "已报给经理")
			if len(out.Notices) != 1 || out.Notices[0].UserID != "M01" {
				t.Fatalf("notices %+v, want one to M01", out.Notices)
			}
			ms := r.messages("M01")
			if len(ms) != 1 || ms[0].Platform != tt.platform || ms[0].Peer != tt.peer || ms[0].Status != models.StatusPending {
				t.Errorf("notice stored as %+v, want pending on %s to %s", ms, tt.platform, tt.peer)
			}
			if rep := r.only("R01"); !rep.Flagged {
				t.Errorf("report %+v not flagged", rep)
			}
		})
	}
}

// TestRepWithoutManager: a rep nobody manages still gets the flag; nobody is told.
func TestRepWithoutManager(t *testing.T) {
	r := newRig(t, func(ctx context.Context, s *models.Store) error {
		_, err := s.ImportRows(ctx, models.ImportUsers, "users", []string{"id", "name", "role"}, [][]string{{"R09", "独行侠", "rep"}})
		return err
	})
	price := r.say("R09", on(10, "10:00"), "价格 刘姐 苹果汁 30")
	cross := r.say("R09", on(10, "10:01"), "冲货 北郊 橙汁 30")
	for _, o := range []*bot.Outcome{price, cross} {
		if len(o.Notices) != 0 {
			t.Errorf("notices %+v, want none", o.Notices)
		}
		wantNotIn(t, o.Replies, "已报给经理")
	}
	wantIn(t, price.Replies, "价格已记录 #1", "是乱价。")
	wantIn(t, cross.Replies, "冲货已记录 #2", "有照片请补发")
	rs := r.reports("R09")
	if len(rs) != 2 || !rs[0].Flagged || rs[1].Kind != models.KindCrossRegion {
		t.Errorf("reports %+v, want a flagged price report and a cross-region report", rs)
	}
}

// TestPartialStoresNothing: a report the bot half understands says what it understood,
// what it lacks and how to write it, and stores nothing.
func TestPartialStoresNothing(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"计划 张老板", []string{"看懂了：计划 · 张记商贸", "✘ 没写日期", "写法：计划 日期 客户"}},
		{"计划 明天", []string{"看懂了：计划 · 11月11日（周三）", "✘ 没写客户", "写法：计划 日期 客户"}},
		{"价格 刘姐 苹果汁", []string{"看懂了：价格 · 北郊小食品批发市场刘姐 · 苹果汁1L", "✘ 没写价格", "写法：价格 客户或地点 产品 价格"}},
		{"价格 刘姐 38", []string{"看懂了：价格 · 北郊小食品批发市场刘姐 · 38元", "✘ 没写产品\n"}},
		{"价格 苹果汁 38", []string{"✘ 没写客户或地点"}},
		{"价格 张老板 苹果汁 30 橙汁 31", []string{"✘ 一条只能报一个产品的价格，请分开发"}},
		{"冲货 北郊", []string{"看懂了：冲货 · 北郊", "✘ 没写产品\n", "写法：冲货 地点或客户 产品 价格"}},
		{"冲货 苹果汁 30", []string{"✘ 没写在哪里（地点或客户）"}},
		{"即期 张老板 苹果汁 8箱", []string{"看懂了：即期 · 张记商贸 · 苹果汁1L 8箱", "✘ 没写日期", "写法：即期 客户 产品 数量 到期日"}},
		{"答应 张老板 周五", []string{"看懂了：承诺 · 张记商贸 · 11月13日（周五）", "✘ 没写内容", "写法：答应 客户 内容 日期"}},
		{"客诉 张老板", []string{"看懂了：客诉 · 张记商贸", "✘ 没写内容", "写法：客诉 客户 内容"}},
		{"订货 不认识的店 苹果汁 20箱", []string{"看懂了：订货 · 苹果汁1L 20箱", "✘ 没找到客户「不认识的店」", "写法：订货 客户 产品 数量"}},
		{"订货 张老板 葡萄汁 20", []string{"看懂了：订货 · 张记商贸", "✘ 没认出「葡萄汁」"}},
		{"订货 张老板", []string{"✘ 没写产品和数量"}},
		{"破损 张老板 葡萄汁 2 橙汁 1", []string{"看懂了：破损 · 张记商贸 · 橙汁1L 1箱", "✘ 没认出「葡萄汁」", "写法：破损 客户 产品 数量"}},
		{"订货 张老板 苹果汁", []string{"看懂了：订货 · 张记商贸 · 苹果汁1L", "✘ 苹果汁1L 没写数量"}},
		{"进货 张老板 苹果汁", []string{"✘ 苹果汁1L 没写数量", "写法：进货 客户 产品 数量"}},
		{"拜访", []string{"✘ 没写客户", "写法：拜访 客户 备注"}},
	}
	r := newRig(t)
	for i, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			out := r.say("R01", on(10, "10:00").Add(time.Duration(i)*time.Minute), tt.text)
			wantIn(t, out.Replies, append([]string{"这条没保存，还差一点："}, tt.want...)...)
			wantNotIn(t, out.Replies, "已记录")
			if len(out.Notices) != 0 {
				t.Errorf("notices %+v", out.Notices)
			}
		})
	}
	if rs := r.reports("R01"); len(rs) != 0 {
		t.Errorf("stored %d reports from incomplete messages: %+v", len(rs), rs)
	}
	if ms := r.messages("R01"); len(ms) != 2*len(tests) {
		t.Errorf("audit log has %d messages, want %d", len(ms), 2*len(tests))
	}
}

// TestVisitContext: after 拜访 X, reports without a customer go to X for the rest of
// the working day; a report at another customer moves the visit there; undoing the
// visit ends it.
func TestVisitContext(t *testing.T) {
	r := newRig(t)
	out := func(user, hm, text string) []string { return r.say(user, on(10, hm), text).Replies }
	wantIn(t, out("R01", "10:00", "拜访 张老板"), "拜访已记录 #1 · 张记商贸")
	wantIn(t, out("R01", "10:05", "盘点 苹果汁 100"), "盘点已记录 #2 · 张记商贸", "本存 100箱")
	wantIn(t, out("R01", "10:06", "订货 橙汁 5箱"), "订货已记录 #3 · 张记商贸")
	wantIn(t, out("R01", "10:07", "客诉 送货慢，三天没来"), "客诉已记录 #4 · 张记商贸", "备注：送货慢，三天没来")
	wantIn(t, out("R01", "10:08", "价格 苹果汁 30"), "价格已记录 #5 · 张记商贸", "乱价")
	wantIn(t, out("R01", "10:09", "订货 宏城 苹果汁 1箱"), "订货已记录 #6 · 宏城超市")             // a customer named wins
	wantIn(t, out("R02", "10:10", "盘点 苹果汁 7"), "这条没保存", "没写客户")                   // another rep's visit is not R02's
	wantIn(t, out("R01", "12:01", "盘点 橙汁 5"), "盘点已记录 #7 · 宏城超市", "按正在拜访的 宏城超市 记") // the order moved the visit

	var got []string
	for _, rep := range r.reports("R01") {
		got = append(got, string(rep.Kind)+" "+r.code(rep.CustomerID)+" "+rep.Note)
	}
	want := []string{"visit C001 ", "stock_count C001 ", "order C001 ", "complaint C001 送货慢，三天没来", "price_report C001 ", "order C004 ", "stock_count C004 "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("R01's reports:\n%q\nwant\n%q", got, want)
	}
	if rs := r.reports("R02"); len(rs) != 0 {
		t.Errorf("R02 stored %+v", rs)
	}

	wantIn(t, out("R01", "15:00", "拜访 宏城"), "拜访已记录 #8 · 宏城超市")
	wantIn(t, out("R01", "15:01", "撤销"), "已撤销 #8（拜访 · 宏城超市，11月10日 15:00 报的）")
	wantIn(t, out("R01", "15:02", "盘点 苹果汁 9"), "没写客户")
	if b := r.basis("C004", "P01", on(10, "16:00")); b.HasLast {
		t.Errorf("a count went to the undone visit: %+v", b)
	}
}

// TestUndo: 撤销 soft-deletes the sender's own last record of the past 24 hours, with its lines.
func TestUndo(t *testing.T) {
	r := newRig(t)
	say := func(user, hm, text string) []string { return r.say(user, on(12, hm), text).Replies }
	wantIn(t, r.say("R01", on(10, "10:00"), "撤销").Replies, "24小时内没有你的记录可以撤销。")
	r.say("R01", on(10, "10:00"), "盘点 张老板 苹果汁 100") // #1, two days before the rest
	say("R01", "15:00", "盘点 张老板 苹果汁 80")            // #2
	say("R02", "15:01", "订货 王老板 苹果汁 5箱")            // #3
	say("R01", "15:02", "价格 张老板 苹果汁 30")            // #4
	undo3 := r.say("R02", on(12, "15:03"), "撤销")
	wantIn(t, undo3.Replies, "↩️ 已撤销 #3（订货 · 王记批发，11月12日 15:01 报的）")
	if len(undo3.Notices) != 0 {
		t.Errorf("undo sent notices %+v", undo3.Notices)
	}
	wantIn(t, say("R02", "15:04", "撤销"), "24小时内没有你的记录可以撤销") // R01's records stay
	wantIn(t, say("R01", "15:05", "撤销"), "已撤销 #4（价格 · 张记商贸，11月12日 15:02 报的）")
	wantIn(t, say("R01", "15:06", "撤销"), "已撤销 #2（盘点 · 张记商贸，11月12日 15:00 报的）")
	wantIn(t, say("R01", "15:07", "撤销"), "24小时内没有你的记录可以撤销") // #1 is older than 24 hours
	wantIn(t, say("R01", "15:08", "盘点 张老板 苹果汁 90"), "盘点已记录 #5", "上存 100箱", "本存 90箱", "实销 10箱")

	deleted := func(user string) string {
		var b strings.Builder
		for _, rep := range r.reports(user) {
			b.WriteString(string(rep.Kind))
			if rep.DeletedAt.Valid {
				b.WriteString("(undone)")
			}
			b.WriteString(" ")
		}
		return b.String()
	}
	if got := deleted("R01"); got != "stock_count stock_count(undone) price_report(undone) stock_count " {
		t.Errorf("R01's reports = %s", got)
	}
	if got := deleted("R02"); got != "order(undone) " {
		t.Errorf("R02's reports = %s", got)
	}
	cs, err := r.store.ReportCounts(r.ctx, 2)
	if err != nil || len(cs) != 1 || !cs[0].DeletedAt.Valid {
		t.Errorf("counts of #2 = %+v, %v, want one undone count", cs, err)
	}
	its, err := r.store.ReportItems(r.ctx, 3)
	if err != nil || len(its) != 1 || !its[0].DeletedAt.Valid {
		t.Errorf("items of #3 = %+v, %v, want one undone line", its, err)
	}
}

// TestQuery: 查 and 库存 answer from the latest counts as of the message, and store nothing.
func TestQuery(t *testing.T) {
	r := newRig(t)
	r.say("R01", on(10, "10:00"), "盘点 张老板 苹果汁 100 橙汁 50")
	r.say("R01", on(12, "15:00"), "盘点 张老板 苹果汁 80")
	r.say("R01", on(12, "15:01"), "拜访 张老板")
	r.say("R01", on(12, "15:02"), "盘点 张老板 苹果汁 70")
	wantIn(t, r.say("R01", on(12, "15:03"), "撤销").Replies, "已撤销 #4") // the undone 70 is not the latest
	before := len(r.reports("R01"))

	ask := func(user string, when string, text string) *bot.Outcome { return r.say(user, on(25, when), text) }
	all := ask("R01", "10:00", "查 张老板")
	wantIn(t, all.Replies, "🔎 张记商贸（城东 A类）", "苹果汁1L 本存 80箱（11月12日盘点）", "橙汁1L 本存 50箱（11月10日盘点）", "上次拜访 11月12日")
	wantNotIn(t, all.Replies, "70箱")
	one := ask("R01", "10:01", "查 张老板 苹果汁")
	wantIn(t, one.Replies, "苹果汁1L 本存 80箱")
	wantNotIn(t, one.Replies, "橙汁")
	wantIn(t, ask("R01", "10:02", "库存 宏城").Replies, "🔎 宏城超市（城东 A类）", "还没有盘点记录。", "还没有拜访记录。")
	// As of its day: on the 11th only the first count and no visit existed.
	past := r.say("R01", on(11, "10:00"), "查 张老板")
	wantIn(t, past.Replies, "苹果汁1L 本存 100箱（11月10日盘点）", "还没有拜访记录。")
	wantIn(t, ask("R03", "10:03", "查 张老板").Replies, "张氏便利店", "还没有盘点记录") // R03's own 张老板
	wantIn(t, ask("A01", "10:04", "查 张老板").Replies, "1 张记商贸", "2 张氏便利店")
	wantIn(t, ask("A01", "10:05", "1").Replies, "张记商贸", "苹果汁1L 本存 80箱")
	wantIn(t, ask("R01", "10:06", "查").Replies, "查哪个客户？")
	if n := len(r.reports("R01")); n != before {
		t.Errorf("R01 has %d reports after queries, had %d", n, before)
	}
	if n := len(r.reports("R03")) + len(r.reports("A01")); n != 0 {
		t.Errorf("queries stored %d reports", n)
	}
}

// TestKeepPromise: a kept promise is closed by number or by customer, only by its rep
// or a manager, and stays closed.
func TestKeepPromise(t *testing.T) {
	r := newRig(t)
	say := func(user string, day int, text string) []string { return r.say(user, on(day, "10:00"), text).Replies }
	wantIn(t, say("R04", 10, "承诺 钱老板 周五前换掉破损的椰汁"), "承诺已记录 #1 · 钱氏商行")
	wantIn(t, say("R01", 10, "兑现 #1"), "没找到你未兑现的这条承诺") // not R01's
	kept := say("R04", 12, "兑现 钱老板")
	wantIn(t, kept, "✅ 承诺 #1 已兑现 · 钱氏商行：换掉破损的椰汁")
	wantIn(t, say("R04", 12, "兑现 钱老板"), "没找到") // already kept
	wantIn(t, say("R04", 12, "答应 钱老板 下次带海报"), "承诺已记录 #2")
	wantIn(t, say("M02", 12, "兑现 #2"), "✅ 承诺 #2 已兑现")
	wantIn(t, say("R04", 12, "兑现"), "兑现哪一条？写法：兑现 #编号 或 兑现 客户")
	rs := r.reports("R04")
	if len(rs) != 2 {
		t.Fatalf("R04 has %d reports, want the two promises (兑现 is no report)", len(rs))
	}
	for _, rep := range rs {
		if rep.ResolvedAt == nil || !rep.ResolvedAt.Equal(on(12, "10:00")) {
			t.Errorf("promise #%d resolved at %v, want %v", rep.ID, rep.ResolvedAt, on(12, "10:00"))
		}
	}
}

// TestHelpAndUnknown: 帮助 lists every report, a topic gives its usage; text the bot
// does not understand gets a pointer to 帮助. None of it is stored.
func TestHelpAndUnknown(t *testing.T) {
	r := newRig(t)
	menu := r.say("R01", on(10, "10:00"), "帮助").Replies
	wantIn(t, menu, "📋 可以这样报", "· 盘点 客户 产品 数量", "· 进货", "· 订货", "· 拜访", "· 计划", "· 即期", "· 破损",
		"· 价格", "· 冲货", "· 竞品", "· 客诉", "· 建议", "· 答应", "· 兑现", "· 查", "· 撤销", "盘点怎么报")
	topic := r.say("R01", on(10, "10:01"), "即期怎么报").Replies
	wantIn(t, topic, "📝 即期的写法：\n即期 客户 产品 数量 到期日", "3箱6瓶")
	wantNotIn(t, topic, "盘点 客户")
	wantIn(t, r.say("R01", on(10, "10:02"), "今天天气不错").Replies, "没看懂这条", "发「帮助」")
	if n := len(r.reports("R01")); n != 0 {
		t.Errorf("stored %d reports", n)
	}
}

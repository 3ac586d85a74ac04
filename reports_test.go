package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"channelbot/models"
)

// These tests drive every kind of report through `channelbot chat`, then open the
// database to check what was stored.

// chatFull is chatScript returning the whole output of each line, notices included.
func chatFull(t *testing.T, db string, lines ...say) []chatOutput {
	t.Helper()
	return chatOutputs(t, env(), db, lines...)
}

// dbView reads back what a chat stored.
type dbView struct {
	t     *testing.T
	s     *models.Store
	cust  map[int64]string // customer ID → code
	prod  map[int64]string // product ID → code
	custs map[string]int64 // code → ID
}

func openDB(t *testing.T, db string) *dbView {
	t.Helper()
	ctx := context.Background()
	s, err := models.Open(ctx, "sqlite", db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cat, err := s.LoadCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v := &dbView{t: t, s: s, cust: map[int64]string{}, prod: map[int64]string{}, custs: map[string]int64{}}
	for _, c := range cat.Customers {
		v.cust[c.ID], v.custs[c.Code] = c.Code, c.ID
	}
	for _, p := range cat.Products {
		v.prod[p.ID] = p.Code
	}
	return v
}

func (v *dbView) reports(user string) []models.Report {
	v.t.Helper()
	rs, err := v.s.ReportsOf(context.Background(), user)
	if err != nil {
		v.t.Fatal(err)
	}
	return rs
}

func (v *dbView) customerOf(id *int64) string {
	if id == nil {
		return ""
	}
	return v.cust[*id]
}

// items renders a report's lines as "customer/product/pieces", "-" for what a line lacks.
func (v *dbView) items(reportID int64) []string {
	v.t.Helper()
	its, err := v.s.ReportItems(context.Background(), reportID)
	if err != nil {
		v.t.Fatal(err)
	}
	var out []string
	for _, it := range its {
		c, p, n := "-", "-", "-"
		if it.CustomerID != nil {
			c = v.cust[*it.CustomerID]
		}
		if it.ProductID != nil {
			p = v.prod[*it.ProductID]
		}
		if it.Pieces != nil {
			n = fmt.Sprint(*it.Pieces)
		}
		out = append(out, c+"/"+p+"/"+n)
	}
	return out
}

// checkLink checks that r points at the inbound message it came from.
func (v *dbView) checkLink(r models.Report, text string) {
	v.t.Helper()
	if r.MessageID == nil {
		v.t.Errorf("report #%d has no message", r.ID)
		return
	}
	m, err := v.s.MessageByID(context.Background(), *r.MessageID)
	if err != nil {
		v.t.Fatalf("report #%d message %d: %v", r.ID, *r.MessageID, err)
	}
	if m.Direction != models.Inbound || m.Text != text || m.UserID != r.UserID {
		v.t.Errorf("report #%d links to %s message %q of %q, want the inbound %q of %s",
			r.ID, m.Direction, m.Text, m.UserID, text, r.UserID)
	}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func money(p *models.Money) int64 {
	if p == nil {
		return -1
	}
	return int64(*p)
}

// TestEveryKindStored: each report is its own record, with its customer, lines,
// price, day, note and the message it came from; the reply echoes it with #N; price
// violations and cross-region goods go to the sender's manager at once.
func TestEveryKindStored(t *testing.T) {
	tests := []struct {
		name   string
		as     string
		text   string
		kind   models.ReportKind
		cust   string   // customer code, "" for none
		items  []string // customer/product/pieces
		price  int64    // fen; -1 for none
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
			items: []string{"C001/P01/240"}, price: -1,
			reply: []string{"🧾 订货已记录 #1", "张记商贸", "苹果汁1L 20箱"}},
		{name: "order in cases and bottles", as: "R01", text: "订货 张老板 苹果汁 3箱6瓶 橙汁 2", kind: models.KindOrder, cust: "C001",
			items: []string{"C001/P01/42", "C001/P02/24"}, price: -1,
			reply: []string{"订货已记录 #1", "苹果汁1L 3箱6瓶", "橙汁1L 2箱"}},
		{name: "visit", as: "R01", text: "拜访 张老板 聊了新品", kind: models.KindVisit, cust: "C001", price: -1, note: "聊了新品",
			reply: []string{"📍 拜访已记录 #1", "张记商贸", "备注：聊了新品", "今天接下来不写客户的上报都记在这家"}},
		{name: "plan", as: "R01", text: "计划 明天 拜访 张老板", kind: models.KindPlan, cust: "C001",
			items: []string{"C001/-/-"}, price: -1, date: "2026-11-11",
			reply: []string{"🗓 计划已记录 #1", "11月11日（周三） 拜访 张记商贸"}},
		{name: "plan of two customers", as: "R01", text: "计划 后天 张老板 宏城", kind: models.KindPlan, cust: "C001",
			items: []string{"C001/-/-", "C004/-/-"}, price: -1, date: "2026-11-12",
			reply: []string{"计划已记录 #1", "11月12日（周四） 拜访 张记商贸、宏城超市"}},
		{name: "near expiry", as: "R01", text: "即期 张老板 苹果汁 8箱 12月15日到期", kind: models.KindNearExpiry, cust: "C001",
			items: []string{"C001/P01/96"}, price: -1, date: "2026-12-15",
			reply: []string{"⏳ 即期已记录 #1", "苹果汁1L 8箱", "到期 12月15日（周二）"}},
		{name: "damage", as: "R01", text: "破损 张老板 橙汁 2箱", kind: models.KindDamage, cust: "C001",
			items: []string{"C001/P02/24"}, price: -1,
			reply: []string{"💔 破损已记录 #1", "橙汁1L 2箱"}},
		{name: "price below the floor", as: "R01", text: "价格 刘姐 苹果汁 38元", kind: models.KindPriceReport, cust: "C009",
			items: []string{"C009/P01/-"}, price: 3800, flag: true,
			reply:  []string{"💰 价格已记录 #1", "北郊小食品批发市场刘姐", "价格 38元/箱", "乱价", "已报给经理"},
			notice: "M01", says: []string{"乱价", "北郊小食品批发市场刘姐", "苹果汁1L 38元/箱", "限价 40元/箱", "李明", "#1"}},
		{name: "price at the floor", as: "R01", text: "价格 刘姐 苹果汁 40元", kind: models.KindPriceReport, cust: "C009",
			items: []string{"C009/P01/-"}, price: 4000, reply: []string{"价格已记录 #1", "价格 40元/箱"}},
		{name: "price above the floor", as: "R01", text: "价格 刘姐 苹果汁 41.5", kind: models.KindPriceReport, cust: "C009",
			items: []string{"C009/P01/-"}, price: 4150, reply: []string{"价格已记录 #1", "价格 41.5元/箱"}},
		{name: "price per bottle below the floor", as: "R01", text: "价格 刘姐 苹果汁 3元一瓶", kind: models.KindPriceReport, cust: "C009",
			items: []string{"C009/P01/-"}, price: 3600, flag: true,
			reply:  []string{"价格已记录 #1", "3元/瓶", "36元/箱", "乱价"},
			notice: "M01", says: []string{"乱价", "3元/瓶", "限价 40元/箱"}},
		{name: "price per bottle above the floor", as: "R01", text: "价格 刘姐 苹果汁 3.5元一瓶", kind: models.KindPriceReport, cust: "C009",
			items: []string{"C009/P01/-"}, price: 4200, reply: []string{"价格已记录 #1", "3.5元/瓶"}},
		{name: "price at a place", as: "R01", text: "价格 北郊 苹果汁 38", kind: models.KindPriceReport,
			items: []string{"-/P01/-"}, price: 3800, place: "北郊", flag: true,
			reply: []string{"价格已记录 #1 · 北郊", "乱价"}, notice: "M01", says: []string{"乱价：北郊"}},
		{name: "another rep of the same manager", as: "R02", text: "价格 王老板 橙汁 35", kind: models.KindPriceReport, cust: "C003",
			items: []string{"C003/P02/-"}, price: 3500, flag: true,
			reply: []string{"价格已记录 #1", "王记批发"}, notice: "M01", says: []string{"王记批发 橙汁1L 35元/箱", "赵强"}},
		{name: "a rep of another manager", as: "R03", text: "价格 永辉 苹果汁 30", kind: models.KindPriceReport, cust: "C010",
			items: []string{"C010/P01/-"}, price: 3000, flag: true,
			reply: []string{"价格已记录 #1"}, notice: "M02", says: []string{"永辉城西店", "陈静"}},
		{name: "cross-region at a place", as: "R01", text: "冲货 北郊 苹果汁 38一箱", kind: models.KindCrossRegion,
			items: []string{"-/P01/-"}, price: 3800, place: "北郊",
			reply:  []string{"🚨 冲货已记录 #1 · 北郊", "苹果汁1L", "价格 38元/箱", "已报给经理"},
			notice: "M01", says: []string{"冲货：北郊 苹果汁1L 38元/箱", "李明 报告 #1"}},
		{name: "cross-region at a customer", as: "R01", text: "冲货 张老板 橙汁 30", kind: models.KindCrossRegion, cust: "C001",
			items: []string{"C001/P02/-"}, price: 3000,
			reply: []string{"冲货已记录 #1 · 张记商贸"}, notice: "M01", says: []string{"冲货：张记商贸 橙汁1L"}},
		{name: "competitor", as: "R01", text: "竞品 康师傅 百佳 冰红茶 特价2.5", kind: models.KindCompetitor, cust: "C008",
			items: []string{"C008/P05/-"}, price: 250, brand: "康师傅", note: "特价2.5",
			reply: []string{"👀 竞品已记录 #1 · 康师傅 @ 东一路百佳超市", "冰红茶500ml", "价格 2.5元"}},
		{name: "complaint", as: "R01", text: "客诉 张老板 送货慢", kind: models.KindComplaint, cust: "C001", price: -1, note: "送货慢",
			reply: []string{"📣 客诉已记录 #1 · 张记商贸", "备注：送货慢"}},
		{name: "feedback", as: "R01", text: "建议 张老板 多投广告", kind: models.KindFeedback, cust: "C001", price: -1, note: "多投广告",
			reply: []string{"💡 建议已记录 #1 · 张记商贸", "备注：多投广告"}},
		{name: "promise with a due day", as: "R01", text: "答应 张老板 周五前换货", kind: models.KindPromise, cust: "C001", price: -1,
			date: "2026-11-13", note: "换货",
			reply: []string{"🤝 承诺已记录 #1 · 张记商贸", "期限 11月13日（周五）", "备注：换货"}},
		{name: "a manager's price report tells nobody", as: "M01", text: "价格 张老板 苹果汁 30", kind: models.KindPriceReport, cust: "C001",
			items: []string{"C001/P01/-"}, price: 3000, flag: true, reply: []string{"价格已记录 #1", "乱价"}},
		{name: "an admin's cross-region report tells nobody", as: "A01", text: "冲货 北郊 橙汁 30", kind: models.KindCrossRegion,
			items: []string{"-/P02/-"}, price: 3000, place: "北郊", reply: []string{"冲货已记录 #1", "有照片请补发"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := tempDB(t)
			out := chatFull(t, db, say{tt.as, day1, tt.text})[0]
			mustContain(t, out.Replies, tt.reply...)
			if tt.notice == "" {
				mustNotContain(t, out.Replies, "已报给经理")
				if len(out.Notices) != 0 {
					t.Errorf("notices %+v, want none", out.Notices)
				}
			} else if len(out.Notices) != 1 || out.Notices[0].To != tt.notice {
				t.Errorf("notices %+v, want one to %s", out.Notices, tt.notice)
			} else {
				mustContain(t, []string{out.Notices[0].Text}, tt.says...)
			}
			if !tt.flag {
				mustNotContain(t, out.Replies, "乱价")
			}

			v := openDB(t, db)
			rs := v.reports(tt.as)
			if len(rs) != 1 {
				t.Fatalf("stored %d reports, want 1", len(rs))
			}
			r := rs[0]
			if r.Kind != tt.kind || v.customerOf(r.CustomerID) != tt.cust || r.UserID != tt.as {
				t.Errorf("stored %s for %q by %s, want %s for %q by %s", r.Kind, v.customerOf(r.CustomerID), r.UserID, tt.kind, tt.cust, tt.as)
			}
			if got := v.items(r.ID); strings.Join(got, " ") != strings.Join(tt.items, " ") {
				t.Errorf("items %v, want %v", got, tt.items)
			}
			if money(r.Price) != tt.price || r.Flagged != tt.flag {
				t.Errorf("price %d flagged %v, want %d flagged %v", money(r.Price), r.Flagged, tt.price, tt.flag)
			}
			if str(r.OnDate) != tt.date || r.Note != tt.note || r.Place != tt.place || r.Brand != tt.brand {
				t.Errorf("date %q note %q place %q brand %q, want %q %q %q %q", str(r.OnDate), r.Note, r.Place, r.Brand, tt.date, tt.note, tt.place, tt.brand)
			}
			if !r.ReportedAt.Equal(mustTime(t, day1)) {
				t.Errorf("reported at %v, want %s", r.ReportedAt, day1)
			}
			v.checkLink(r, tt.text)
			if tt.notice != "" {
				// The notice is in the audit log too, as a message to the manager.
				ms, err := v.s.MessagesOf(context.Background(), tt.notice)
				if err != nil {
					t.Fatal(err)
				}
				if len(ms) != 1 || ms[0].Direction != models.Outbound || ms[0].Text != out.Notices[0].Text {
					t.Errorf("manager's audit log %+v, want the notice", ms)
				}
			}
		})
	}
}

// TestCountsAndDeliveriesAreRecords: counts and deliveries are reports too, linked to
// their messages.
func TestCountsAndDeliveriesAreRecords(t *testing.T) {
	db := tempDB(t)
	texts := []string{"盘点 张老板 苹果汁 100 橙汁 5", "进货 张老板 苹果汁 50"}
	r := chatScript(t, db, say{"R01", day1, texts[0]}, say{"R01", day2, texts[1]})
	mustContain(t, r[0], "盘点已记录 #1")
	mustContain(t, r[1], "进货已记录 #2")
	v := openDB(t, db)
	rs := v.reports("R01")
	if len(rs) != 2 || rs[0].Kind != models.KindStockCount || rs[1].Kind != models.KindPurchase {
		t.Fatalf("reports %+v, want a count and a delivery", rs)
	}
	for i, r := range rs {
		if v.customerOf(r.CustomerID) != "C001" {
			t.Errorf("report #%d for %q, want C001", r.ID, v.customerOf(r.CustomerID))
		}
		v.checkLink(r, texts[i])
	}
	cs, err := v.s.ReportCounts(context.Background(), rs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || v.prod[cs[0].ProductID] != "P01" || cs[0].Pieces != 1200 || v.prod[cs[1].ProductID] != "P02" || cs[1].Pieces != 60 {
		t.Errorf("counts %+v, want P01 1200 and P02 60 pieces", cs)
	}
}

// TestRepWithoutManager: a rep nobody manages gets the flag, and nobody is told.
func TestRepWithoutManager(t *testing.T) {
	db := tempDB(t)
	ctx := context.Background()
	s, err := models.Open(ctx, "sqlite", db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportRows(ctx, models.ImportUsers, "users", []string{"id", "name", "role"}, [][]string{{"R09", "独行侠", "rep"}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	out := chatFull(t, db,
		say{"R09", day1, "价格 刘姐 苹果汁 30"},
		say{"R09", day1, "冲货 北郊 橙汁 30"},
	)
	for i, o := range out {
		if len(o.Notices) != 0 {
			t.Errorf("message %d: notices %+v, want none", i, o.Notices)
		}
		mustNotContain(t, o.Replies, "已报给经理", "系统出了点问题")
	}
	mustContain(t, out[0].Replies, "价格已记录 #1", "乱价")
	mustContain(t, out[1].Replies, "冲货已记录 #2")
	rs := openDB(t, db).reports("R09")
	if len(rs) != 2 || !rs[0].Flagged || rs[1].Kind != models.KindCrossRegion {
		t.Errorf("reports %+v, want a flagged price report and a cross-region report", rs)
	}
}

// TestPartialStoresNothing: a message the bot half understands says what it
// understood and what it lacks, with the usage line, and stores nothing.
func TestPartialStoresNothing(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"计划 张老板", []string{"看懂了：计划 · 张记商贸", "✘ 没写日期", "写法：计划 日期 客户"}},
		{"计划 明天", []string{"看懂了：计划 · 11月11日（周三）", "✘ 没写客户", "写法：计划 日期 客户"}},
		{"价格 刘姐 苹果汁", []string{"看懂了：价格 · 北郊小食品批发市场刘姐 · 苹果汁1L", "✘ 没写价格", "写法：价格 客户或地点 产品 价格"}},
		{"价格 刘姐 38", []string{"看懂了：价格 · 北郊小食品批发市场刘姐 · 38元", "✘ 没写产品", "写法：价格"}},
		{"即期 张老板 苹果汁 8箱", []string{"看懂了：即期 · 张记商贸 · 苹果汁1L 8箱", "✘ 没写日期", "写法：即期 客户 产品 数量 到期日"}},
		{"答应 张老板 周五", []string{"看懂了：承诺 · 张记商贸 · 11月13日（周五）", "✘ 没写内容", "写法：答应 客户 内容 日期"}},
		{"客诉 张老板", []string{"看懂了：客诉 · 张记商贸", "✘ 没写内容", "写法：客诉 客户 内容"}},
		{"订货 不认识的店 苹果汁 20箱", []string{"看懂了：订货 · 苹果汁1L 20箱", "✘ 没找到客户「不认识的店」", "写法：订货 客户 产品 数量"}},
		{"订货 张老板 葡萄汁 20", []string{"看懂了：订货 · 张记商贸", "✘ 没认出「葡萄汁」", "写法：订货"}},
		{"破损 张老板 葡萄汁 2 橙汁 1", []string{"看懂了：破损 · 张记商贸 · 橙汁1L 1箱", "✘ 没认出「葡萄汁」", "写法：破损 客户 产品 数量"}},
		{"订货 张老板 苹果汁", []string{"看懂了：订货 · 张记商贸 · 苹果汁1L", "✘ 苹果汁1L 没写数量"}},
		{"拜访", []string{"✘ 没写客户", "写法：拜访 客户 备注"}},
	}
	var script []say
	for _, tt := range tests {
		script = append(script, say{"R01", day1, tt.text})
	}
	db := tempDB(t)
	r := chatFull(t, db, script...)
	for i, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			mustContain(t, r[i].Replies, append([]string{"这条没保存"}, tt.want...)...)
			mustNotContain(t, r[i].Replies, "已记录")
			if len(r[i].Notices) != 0 {
				t.Errorf("notices %+v", r[i].Notices)
			}
		})
	}
	v := openDB(t, db)
	if rs := v.reports("R01"); len(rs) != 0 {
		t.Errorf("stored %d reports from incomplete messages: %+v", len(rs), rs)
	}
	ms, err := v.s.MessagesOf(context.Background(), "R01")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2*len(tests) { // each message and its reply are audited all the same
		t.Errorf("audit log has %d messages, want %d", len(ms), 2*len(tests))
	}
}

// TestNearNamesAskFirst: names one slip away are not stored until confirmed; 确认
// stores the catalog's name, 取消 nothing.
func TestNearNamesAskFirst(t *testing.T) {
	tests := []struct {
		text  string
		ask   []string
		kind  models.ReportKind
		cust  string
		items []string
		reply []string
	}{
		{"订货 张老板 苹果之 20箱", []string{"没认出「苹果之」，你是说 苹果汁1L 吗？", "订货 · 张记商贸 · 苹果汁1L 20箱"},
			models.KindOrder, "C001", []string{"C001/P01/240"}, []string{"订货已记录 #1", "苹果汁1L 20箱"}},
		{"订货 宏成 苹果汁 5箱", []string{"没认出「宏成」，你是说 宏城超市 吗？"},
			models.KindOrder, "C004", []string{"C004/P01/60"}, []string{"订货已记录 #1 · 宏城超市"}},
		{"价格 宏成 苹果汁 30", []string{"你是说 宏城超市 吗？", "30元/箱"},
			models.KindPriceReport, "C004", []string{"C004/P01/-"}, []string{"价格已记录 #1 · 宏城超市", "乱价"}},
		{"拜访 宏成 谈陈列", []string{"你是说 宏城超市 吗？"},
			models.KindVisit, "C004", nil, []string{"拜访已记录 #1 · 宏城超市"}},
		{"盘点 宏成 苹果汁 10", []string{"你是说 宏城超市 吗？", "盘点 · 宏城超市 · 苹果汁1L 10箱"},
			models.KindStockCount, "C004", nil, []string{"盘点已记录 #1 · 宏城超市", "本存 10箱"}},
	}
	at := "2026-11-10T10:03:00+08:00"
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			db := tempDB(t)
			out := chatFull(t, db, say{"R01", day1, tt.text}, say{"R01", at, "取消"}, say{"R01", day1, tt.text})
			mustContain(t, out[0].Replies, append(tt.ask, "确认", "取消")...)
			mustNotContain(t, out[0].Replies, "已记录")
			mustContain(t, out[1].Replies, "已取消")
			if n := len(openDB(t, db).reports("R01")); n != 0 {
				t.Fatalf("stored %d reports before 确认", n)
			}
			out = chatFull(t, db, say{"R01", at, tt.text}, say{"R01", at, "确认"})
			mustContain(t, out[1].Replies, tt.reply...)
			if tt.kind == models.KindPriceReport && (len(out[1].Notices) != 1 || out[1].Notices[0].To != "M01") {
				t.Errorf("notices %+v, want the manager told on 确认", out[1].Notices)
			}
			v := openDB(t, db)
			rs := v.reports("R01")
			if len(rs) != 1 {
				t.Fatalf("stored %d reports, want 1", len(rs))
			}
			if rs[0].Kind != tt.kind || v.customerOf(rs[0].CustomerID) != tt.cust {
				t.Errorf("stored %s for %s, want %s for %s", rs[0].Kind, v.customerOf(rs[0].CustomerID), tt.kind, tt.cust)
			}
			if got := v.items(rs[0].ID); strings.Join(got, " ") != strings.Join(tt.items, " ") {
				t.Errorf("items %v, want %v", got, tt.items)
			}
			v.checkLink(rs[0], tt.text) // the report, not the 确认
		})
	}
}

// TestChooseCustomer: the numbered answer completes the original report, of any kind.
func TestChooseCustomer(t *testing.T) {
	tests := []struct {
		text   string
		answer string
		kind   models.ReportKind
		cust   string
		items  []string
		date   string
		note   string
		reply  []string
		notice bool
	}{
		{"订货 张老板 苹果汁 20箱", "2", models.KindOrder, "C006", []string{"C006/P01/240"}, "", "", []string{"订货已记录 #1 · 张氏便利店"}, false},
		{"价格 张老板 苹果汁 30", "1", models.KindPriceReport, "C001", []string{"C001/P01/-"}, "", "", []string{"价格已记录 #1 · 张记商贸", "乱价"}, false},
		{"计划 明天 张老板", "1", models.KindPlan, "C001", []string{"C001/-/-"}, "2026-11-11", "", []string{"拜访 张记商贸"}, false},
		{"即期 张老板 苹果汁 8箱 12月15日", "2", models.KindNearExpiry, "C006", []string{"C006/P01/96"}, "2026-12-15", "", []string{"即期已记录 #1 · 张氏便利店"}, false},
		{"答应 张老板 周五前换货", "2", models.KindPromise, "C006", nil, "2026-11-13", "换货", []string{"承诺已记录 #1 · 张氏便利店"}, false},
		{"客诉 张老板 送货慢", "1", models.KindComplaint, "C001", nil, "", "送货慢", []string{"客诉已记录 #1 · 张记商贸"}, false},
		{"拜访 张老板", "2", models.KindVisit, "C006", nil, "", "", []string{"拜访已记录 #1 · 张氏便利店"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			db := tempDB(t)
			out := chatFull(t, db,
				say{"A01", day1, tt.text},
				say{"A01", "2026-11-10T10:01:00+08:00", "3"},
				say{"A01", "2026-11-10T10:02:00+08:00", tt.answer},
			)
			mustContain(t, out[0].Replies, "你说的「张老板」是", "1 张记商贸（城东）", "2 张氏便利店（城西）", "回复数字")
			mustContain(t, out[1].Replies, "1 到 2")
			mustContain(t, out[2].Replies, tt.reply...)
			if len(out[2].Notices) != 0 { // the admin has no manager
				t.Errorf("notices %+v", out[2].Notices)
			}
			v := openDB(t, db)
			rs := v.reports("A01")
			if len(rs) != 1 {
				t.Fatalf("stored %d reports, want 1", len(rs))
			}
			r := rs[0]
			if r.Kind != tt.kind || v.customerOf(r.CustomerID) != tt.cust || str(r.OnDate) != tt.date || r.Note != tt.note {
				t.Errorf("stored %s for %s on %q note %q, want %s for %s on %q note %q",
					r.Kind, v.customerOf(r.CustomerID), str(r.OnDate), r.Note, tt.kind, tt.cust, tt.date, tt.note)
			}
			if got := v.items(r.ID); strings.Join(got, " ") != strings.Join(tt.items, " ") {
				t.Errorf("items %v, want %v", got, tt.items)
			}
			if !r.ReportedAt.Equal(mustTime(t, day1)) {
				t.Errorf("reported at %v, want when it was said, %s", r.ReportedAt, day1)
			}
			v.checkLink(r, tt.text) // the report's message, not the answer's
		})
	}
}

// TestQuestionDroppedOrExpired: a new report drops the open question, and says so; a
// question lapses after 10 minutes of message time, and the next message says what
// was not saved.
func TestQuestionDroppedOrExpired(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"A01", "2026-11-10T10:00:00+08:00", "订货 张老板 苹果汁 20箱"},
		say{"A01", "2026-11-10T10:01:00+08:00", "订货 宏城 苹果汁 3箱"},
		say{"A01", "2026-11-10T10:02:00+08:00", "1"},
		// Asked at 10:03; 10:14 is too late.
		say{"A01", "2026-11-10T10:03:00+08:00", "客诉 张老板 送货慢"},
		say{"A01", "2026-11-10T10:14:00+08:00", "2"},
		// The guess is asked at 10:20; 确认 at 10:29 is in time.
		say{"A01", "2026-11-10T10:20:00+08:00", "订货 宏成 橙汁 1箱"},
		say{"A01", "2026-11-10T10:29:00+08:00", "确认"},
		// A bad number keeps asking, from then on.
		say{"A01", "2026-11-10T10:30:00+08:00", "拜访 张老板"},
		say{"A01", "2026-11-10T10:38:00+08:00", "9"},
		say{"A01", "2026-11-10T10:46:00+08:00", "2"},
	)
	mustContain(t, out[1].Replies, "上一条待确认的内容已取消", "订货已记录 #1 · 宏城超市")
	mustContain(t, out[2].Replies, "没有需要确认")
	mustContain(t, out[3].Replies, "回复数字")
	mustContain(t, out[4].Replies, "超过10分钟没有回复，没有保存：「客诉 张老板 送货慢」")
	mustNotContain(t, out[4].Replies, "已记录")
	mustContain(t, out[6].Replies, "订货已记录 #2 · 宏城超市", "橙汁1L 1箱")
	mustContain(t, out[8].Replies, "1 到 2")
	mustContain(t, out[9].Replies, "拜访已记录 #3 · 张氏便利店")
	v := openDB(t, db)
	rs := v.reports("A01")
	want := []string{"order C004 订货 宏城 苹果汁 3箱", "order C004 订货 宏成 橙汁 1箱", "visit C006 拜访 张老板"}
	if len(rs) != len(want) {
		t.Fatalf("stored %d reports, want %d: %+v", len(rs), len(want), rs)
	}
	for i, r := range rs {
		f := strings.SplitN(want[i], " ", 3)
		if string(r.Kind) != f[0] || v.customerOf(r.CustomerID) != f[1] {
			t.Errorf("report %d: %s for %s, want %s", i, r.Kind, v.customerOf(r.CustomerID), want[i])
		}
		v.checkLink(r, f[2])
	}
}

// TestVisitContext: after 拜访 X, reports without a customer go to X, until the rep
// reports at another customer (an order at 宏城 moves the visit there).
func TestVisitContext(t *testing.T) {
	db := tempDB(t)
	at := func(hm string) string { return "2026-11-10T" + hm + ":00+08:00" }
	out := chatFull(t, db,
		say{"R01", at("10:00"), "拜访 张老板"},
		say{"R01", at("10:05"), "盘点 苹果汁 100"},
		say{"R01", at("10:06"), "订货 橙汁 5箱"},
		say{"R01", at("10:07"), "客诉 送货慢，三天没来"},
		say{"R01", at("10:08"), "价格 苹果汁 30"},
		say{"R01", at("10:09"), "订货 宏城 苹果汁 1箱"}, // a customer named wins
		say{"R02", at("10:10"), "盘点 苹果汁 7"},     // another rep's visit is not R02's
		say{"R01", at("12:01"), "盘点 橙汁 5"},      // at 宏城, where the order was
	)
	mustContain(t, out[1].Replies, "盘点已记录 #2 · 张记商贸", "本存 100箱")
	mustContain(t, out[2].Replies, "订货已记录 #3 · 张记商贸")
	mustContain(t, out[3].Replies, "客诉已记录 #4 · 张记商贸", "备注：送货慢，三天没来")
	mustContain(t, out[4].Replies, "价格已记录 #5 · 张记商贸", "乱价")
	mustContain(t, out[5].Replies, "订货已记录 #6 · 宏城超市")
	mustContain(t, out[6].Replies, "这条没保存", "没写客户")
	mustContain(t, out[7].Replies, "盘点已记录 #7 · 宏城超市", "按正在拜访的 宏城超市 记")
	if n, ok := lastCount(t, db, "C001", "P01", mustTime(t, at("10:30"))); !ok || n != 1200 {
		t.Errorf("count at 张记商贸 = %d (found %v), want 1200 pieces", n, ok)
	}
	v := openDB(t, db)
	got := []string{}
	for _, r := range v.reports("R01") {
		got = append(got, string(r.Kind)+" "+v.customerOf(r.CustomerID)+" "+r.Note)
	}
	want := []string{"visit C001 ", "stock_count C001 ", "order C001 ", "complaint C001 送货慢，三天没来", "price_report C001 ", "order C004 ", "stock_count C004 "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("R01's reports:\n%q\nwant\n%q", got, want)
	}
	if rs := v.reports("R02"); len(rs) != 0 {
		t.Errorf("R02 stored %+v", rs)
	}

	// Undoing the visit ends it.
	out = chatFull(t, db,
		say{"R01", at("15:00"), "拜访 宏城"},
		say{"R01", at("15:01"), "撤销"},
		say{"R01", at("15:02"), "盘点 苹果汁 9"},
	)
	mustContain(t, out[1].Replies, "已撤销 #8（拜访 · 宏城超市")
	mustContain(t, out[2].Replies, "没写客户")
	if _, ok := lastCount(t, db, "C004", "P01", mustTime(t, at("16:00"))); ok {
		t.Error("a count went to the undone visit")
	}
}

// TestUndo: 撤销 soft-deletes the sender's own last record of the past 24 hours.
func TestUndo(t *testing.T) {
	db := tempDB(t)
	at := func(hm string) string { return "2026-11-12T" + hm + ":00+08:00" }
	out := chatFull(t, db,
		say{"R01", day1, "撤销"},
		say{"R01", day1, "盘点 张老板 苹果汁 100"},       // #1, two days before the rest
		say{"R01", at("15:00"), "盘点 张老板 苹果汁 80"}, // #2
		say{"R02", at("15:01"), "订货 王老板 苹果汁 5箱"}, // #3
		say{"R01", at("15:02"), "价格 张老板 苹果汁 30"}, // #4
		say{"R02", at("15:03"), "撤销"},            // removes #3
		say{"R02", at("15:04"), "撤销"},            // R02 has nothing left; R01's stay
		say{"R01", at("15:05"), "撤销"},            // removes #4
		say{"R01", at("15:06"), "撤销"},            // removes #2
		say{"R01", at("15:07"), "撤销"},            // #1 is older than 24 hours
		say{"R01", at("15:08"), "盘点 张老板 苹果汁 90"}, // 上存 is #1's 100 again
	)
	mustContain(t, out[0].Replies, "24小时内没有你的记录可以撤销")
	mustContain(t, out[5].Replies, "已撤销 #3（订货 · 王记批发，11月12日 15:01 报的）")
	mustContain(t, out[6].Replies, "24小时内没有你的记录可以撤销")
	mustContain(t, out[7].Replies, "已撤销 #4（价格 · 张记商贸，11月12日 15:02 报的）")
	mustContain(t, out[8].Replies, "已撤销 #2（盘点 · 张记商贸，11月12日 15:00 报的）")
	mustContain(t, out[9].Replies, "24小时内没有你的记录可以撤销")
	mustContain(t, out[10].Replies, "盘点已记录 #5", "上存 100箱", "本存 90箱", "实销 10箱")
	for _, i := range []int{5, 7, 8} {
		if len(out[i].Notices) != 0 {
			t.Errorf("undo %d sent notices %+v", i, out[i].Notices)
		}
	}

	v := openDB(t, db)
	deleted := func(rs []models.Report) string {
		var b strings.Builder
		for _, r := range rs {
			fmt.Fprintf(&b, "#%d:%v ", r.ID, r.DeletedAt.Valid)
		}
		return b.String()
	}
	if got := deleted(v.reports("R01")); got != "#1:false #2:true #4:true #5:false " {
		t.Errorf("R01's reports (undone?) = %s", got)
	}
	if got := deleted(v.reports("R02")); got != "#3:true " {
		t.Errorf("R02's reports (undone?) = %s", got)
	}
	// The lines go with their report, and stay in their tables.
	cs, err := v.s.ReportCounts(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || !cs[0].DeletedAt.Valid || cs[0].Pieces != 960 {
		t.Errorf("counts of #2 = %+v, want one undone count of 960 pieces", cs)
	}
	if its, err := v.s.ReportItems(context.Background(), 3); err != nil || len(its) != 1 || !its[0].DeletedAt.Valid {
		t.Errorf("items of #3 = %+v, %v, want one undone line", its, err)
	}
	if n, ok := lastCount(t, db, "C001", "P01", mustTime(t, at("15:07"))); !ok || n != 1200 {
		t.Errorf("last count after the undo = %d (found %v), want #1's 1200 pieces", n, ok)
	}
	// Each 撤销 is in the audit log with its reply.
	ms, err := v.s.MessagesOf(context.Background(), "R01")
	if err != nil {
		t.Fatal(err)
	}
	undos := 0
	for i, m := range ms {
		if m.Direction == models.Inbound && m.Text == "撤销" {
			undos++
			if i+1 >= len(ms) || ms[i+1].ReplyTo == nil || *ms[i+1].ReplyTo != m.ID || ms[i+1].Direction != models.Outbound {
				t.Errorf("撤销 message %d has no stored reply", m.ID)
			}
		}
	}
	if undos != 4 {
		t.Errorf("audit log has %d 撤销 of R01, want 4", undos)
	}
}

// TestWhoMayReportRecords: reps, managers and admins report; dealers are refused and
// unknown senders told how to register, with nothing stored.
func TestWhoMayReportRecords(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"D01", day1, "订货 张老板 苹果汁 5箱"},
		say{"D01", day1, "价格 张老板 苹果汁 30"},
		say{"D01", day1, "撤销"},
		say{"NOBODY", day1, "价格 张老板 苹果汁 30"},
		say{"M01", day1, "订货 张老板 苹果汁 5箱"},
		say{"A01", day1, "订货 宏城 苹果汁 5箱"},
		say{"R01", day1, "订货 宏城 苹果汁 6箱"},
	)
	for i := range 3 {
		if i != 1 { // "价格 …" from a dealer asks for its own prices
			mustContain(t, out[i].Replies, "您好", "经销商")
		}
		mustNotContain(t, out[i].Replies, "已记录", "已撤销", "乱价")
		if len(out[i].Notices) != 0 {
			t.Errorf("dealer message %d sent notices %+v", i, out[i].Notices)
		}
	}
	if len(out[3].Replies) != 1 || len(out[3].Notices) != 0 {
		t.Errorf("unknown sender got %q %+v, want one line", out[3].Replies, out[3].Notices)
	}
	mustContain(t, out[3].Replies, "还没有登记", "管理员")
	mustContain(t, out[4].Replies, "订货已记录 #1 · 张记商贸")
	mustContain(t, out[5].Replies, "订货已记录 #2 · 宏城超市")
	mustContain(t, out[6].Replies, "订货已记录 #3 · 宏城超市")
	v := openDB(t, db)
	for user, n := range map[string]int{"D01": 0, "NOBODY": 0, "": 0, "M01": 1, "A01": 1, "R01": 1} {
		if got := len(v.reports(user)); got != n {
			t.Errorf("%q has %d reports, want %d", user, got, n)
		}
	}
}

// TestQuery: 查 and 库存 answer from the latest counts and store nothing.
func TestQuery(t *testing.T) {
	db := tempDB(t)
	r := chatScript(t, db,
		say{"R01", day1, "盘点 张老板 苹果汁 100 橙汁 50"},
		say{"R01", day2, "盘点 张老板 苹果汁 80"},
		say{"R01", day2, "拜访 张老板"},
		say{"R01", day2, "盘点 张老板 苹果汁 70"},
		say{"R01", day2, "撤销"}, // the undone 70 is not the latest count
	)
	mustContain(t, r[4], "已撤销 #4")
	before := len(openDB(t, db).reports("R01"))
	out := chatFull(t, db,
		say{"R01", day3, "查 张老板"},
		say{"R01", day3, "查 张老板 苹果汁"},
		say{"R01", day3, "库存 宏城"},
		say{"R01", "2026-11-11T10:00:00+08:00", "查 张老板"},
		say{"R03", day3, "查 张老板"},
		say{"A01", day3, "查 张老板"},
		say{"A01", day3, "1"},
		say{"R01", day3, "查"},
	)
	mustContain(t, out[0].Replies, "🔎 张记商贸（城东 A类）", "苹果汁1L 本存 80箱（11月12日盘点）", "橙汁1L 本存 50箱（11月10日盘点）", "上次拜访 11月12日")
	mustNotContain(t, out[0].Replies, "70箱")
	mustContain(t, out[1].Replies, "苹果汁1L 本存 80箱")
	mustNotContain(t, out[1].Replies, "橙汁")
	mustContain(t, out[2].Replies, "宏城超市", "还没有盘点记录", "还没有拜访记录")
	mustContain(t, out[3].Replies, "苹果汁1L 本存 100箱（11月10日盘点）", "还没有拜访记录") // as of its day
	mustContain(t, out[4].Replies, "张氏便利店", "还没有盘点记录")                   // R03's own 张老板
	mustContain(t, out[5].Replies, "1 张记商贸", "2 张氏便利店")
	mustContain(t, out[6].Replies, "张记商贸", "苹果汁1L 本存 80箱")
	mustContain(t, out[7].Replies, "查哪个客户")
	for i, o := range out {
		mustNotContain(t, o.Replies, "已记录")
		if len(o.Notices) != 0 {
			t.Errorf("query %d sent notices", i)
		}
	}
	v := openDB(t, db)
	if n := len(v.reports("R01")); n != before {
		t.Errorf("R01 has %d reports after queries, had %d", n, before)
	}
	if n := len(v.reports("R03")) + len(v.reports("A01")); n != 0 {
		t.Errorf("queries stored %d reports", n)
	}
}

// TestKeepPromise: a kept promise is closed by number or by customer, only by its
// rep or a manager, and stays closed.
func TestKeepPromise(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"R04", day1, "承诺 钱老板 周五前换掉破损的椰汁"},
		say{"R01", day1, "兑现 #1"},
		say{"R04", day2, "兑现 钱老板"},
		say{"R04", day2, "兑现 钱老板"},
		say{"R04", day2, "答应 钱老板 下次带海报"},
		say{"M02", day2, "兑现 #2"},
		say{"R04", day2, "兑现"},
	)
	mustContain(t, out[0].Replies, "承诺已记录 #1")
	mustContain(t, out[1].Replies, "没找到")
	mustContain(t, out[2].Replies, "承诺 #1 已兑现", "钱氏商行", "换掉破损的椰汁")
	mustContain(t, out[3].Replies, "没找到")
	mustContain(t, out[5].Replies, "承诺 #2 已兑现")
	mustContain(t, out[6].Replies, "兑现哪一条")
	s, err := models.Open(context.Background(), "sqlite", db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rs, err := s.ReportsOf(context.Background(), "R04")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Kind == models.KindPromise && r.ResolvedAt == nil {
			t.Errorf("promise #%d still open", r.ID)
		}
	}
}

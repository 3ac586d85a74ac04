package bot_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"channelbot/models"
)

// TestWorkedExample is domain.md's example at the bot: 上存 100, 上进 50, 本存 120 →
// 实销 30, 安全库存 45, no order. Each step is its own record, and every saved count
// is announced to OnCount.
func TestWorkedExample(t *testing.T) {
	r := newRig(t)
	type call struct {
		customer int64
		products []int64
	}
	var calls []call
	r.bot.OnCount = func(_ context.Context, customerID int64, productIDs []int64) {
		calls = append(calls, call{customerID, slices.Clone(productIDs)})
	}

	first := r.say("R01", on(10, "10:00"), "盘点 张老板 苹果汁 100").Replies
	wantIn(t, first, "✅ 盘点已记录 #1 · 张记商贸", "【苹果汁1L】", "本存 100箱", "首次盘点")
	wantNotIn(t, first, "上存", "实销 ", "👉")

	in := r.say("R01", on(12, "15:00"), "进货 张老板 苹果汁 50").Replies
	wantIn(t, in, "📥 进货已记录 #2 · 张记商贸", "苹果汁1L 50箱", "下次盘点会算进上进")

	if b := r.basis("C001", "P01", on(25, "09:59")); !b.HasLast || b.Last != 100*12 || b.Delivered != 50*12 {
		t.Fatalf("basis before the second count = %+v, want 上存 1200 and 上进 600 pieces", b)
	}

	second := r.say("R01", on(25, "10:00"), "盘点 张老板 苹果汁 120").Replies
	wantIn(t, second, "✅ 盘点已记录 #3 · 张记商贸", "上存 100箱 · 上进 50箱 · 本存 120箱", "实销 30箱 · 安全库存 45箱", "👉 不用进货")
	wantNotIn(t, second, "首次盘点", "断货", "建议进货")

	rs := r.reports("R01")
	kinds := []models.ReportKind{models.KindStockCount, models.KindPurchase, models.KindStockCount}
	if len(rs) != len(kinds) {
		t.Fatalf("stored %d reports, want %d", len(rs), len(kinds))
	}
	for i, rep := range rs {
		if rep.Kind != kinds[i] || r.code(rep.CustomerID) != "C001" {
			t.Errorf("report %d is %s for %q, want %s for C001", i, rep.Kind, r.code(rep.CustomerID), kinds[i])
		}
	}
	if got := r.counts(rs[2].ID); got != "C001/P01/1440" {
		t.Errorf("counts of the second count = %s, want C001/P01/1440", got)
	}
	if b := r.basis("C001", "P01", on(25, "10:01")); b.Last != 1440 || b.Delivered != 0 {
		t.Errorf("basis after the second count = %+v, want 上存 1440 and nothing delivered since", b)
	}
	if len(calls) != 2 || calls[0].customer != r.custs["C001"] || !slices.Equal(calls[1].products, []int64{r.prods["P01"]}) {
		t.Errorf("OnCount calls = %+v, want two, for C001 and P01", calls)
	}
}

// TestCountReplies: what a rep reads to the dealer after a count, and what is stored.
func TestCountReplies(t *testing.T) {
	tests := []struct {
		name    string
		first   string // a count on the 10th, "" for none
		text    string // the count on the 25th
		want    []string
		wantNot []string
		stored  string // the counts of the last report
	}{
		{
			name: "first count", text: "盘点 张老板 橙汁 80",
			want:    []string{"本存 80箱", "首次盘点"},
			wantNot: []string{"断货", "上存", "实销 ", "👉"},
			stored:  "C001/P02/960",
		},
		{
			name: "zero on the first count is a stock-out", text: "盘点 张老板 橙汁 0",
			want:   []string{"本存 0箱", "⚠️ 断货！", "首次盘点", "按经验先补货"},
			stored: "C001/P02/0",
		},
		{
			name: "zero is a stock-out", first: "盘点 张老板 苹果汁 40", text: "盘点 张老板 苹果汁 0",
			want:    []string{"上存 40箱 · 上进 0箱 · 本存 0箱", "⚠️ 断货！", "实销 不明", "至少卖了40箱", "按经验先补货"},
			wantNot: []string{"首次盘点", "下次拜访前会断货"},
			stored:  "C001/P01/0",
		},
		{
			name: "stock below period sales warns", first: "盘点 张老板 苹果汁 100", text: "盘点 张老板 苹果汁 30",
			want:    []string{"实销 70箱 · 安全库存 105箱", "下次拜访前会断货", "👉 建议进货 75箱"},
			wantNot: []string{"断货！"},
			stored:  "C001/P01/360",
		},
		{
			name: "stock equal to period sales does not warn", first: "盘点 张老板 苹果汁 100", text: "盘点 张老板 苹果汁 50",
			want:    []string{"实销 50箱 · 安全库存 75箱", "👉 建议进货 25箱"},
			wantNot: []string{"断货"},
			stored:  "C001/P01/600",
		},
		{
			name: "stock at the safety stock needs no order", first: "盘点 张老板 苹果汁 100", text: "盘点 张老板 苹果汁 60",
			want:    []string{"实销 40箱 · 安全库存 60箱", "不用进货"},
			wantNot: []string{"断货", "建议进货"},
			stored:  "C001/P01/720",
		},
		{
			name: "nothing sold is plausible", first: "盘点 张老板 苹果汁 100", text: "盘点 张老板 苹果汁 100",
			want:    []string{"上存 100箱 · 上进 0箱 · 本存 100箱", "实销 0箱", "👉 不用进货"},
			wantNot: []string{"先没保存", "断货"},
			stored:  "C001/P01/1200",
		},
		{
			name: "bottles convert to cases", text: "盘点 张老板 苹果汁 24瓶",
			want: []string{"本存 2箱"}, stored: "C001/P01/24",
		},
		{
			name: "3箱6瓶 is three and a half cases", text: "盘点 张老板 苹果汁 3箱6瓶",
			want: []string{"本存 3箱6瓶"}, stored: "C001/P01/42",
		},
		{
			name: "loose bottles round the suggested order up to whole cases", first: "盘点 张老板 苹果汁 10", text: "盘点 张老板 苹果汁 3箱6瓶",
			// 实销 120−42 = 78 bottles; 安全库存 78×1.5 = 117; 117−42 = 75 bottles: 7 cases.
			want:   []string{"本存 3箱6瓶", "实销 6箱6瓶 · 安全库存 9箱9瓶", "下次拜访前会断货", "👉 建议进货 7箱"},
			stored: "C001/P01/42",
		},
		{
			name: "the safety factor is the product's", first: "盘点 张老板 矿泉水 100", text: "盘点 张老板 矿泉水 20",
			// 矿泉水 keeps 2.0 periods of sales, not 1.5.
			want:   []string{"实销 80箱 · 安全库存 160箱", "👉 建议进货 140箱"},
			stored: "C001/P04/480",
		},
		{
			name: "several products in one message", first: "盘点 张老板 苹果汁 200 橙汁 80", text: "盘点 张老板 苹果汁120 橙汁 10 矿泉水 5",
			want: []string{"【苹果汁1L】", "【橙汁1L】", "【矿泉水550ml】",
				"实销 80箱 · 安全库存 120箱", "不用进货", "实销 70箱 · 安全库存 105箱", "建议进货 95箱", "本存 5箱"},
			stored: "C001/P01/1440 C001/P02/120 C001/P04/120",
		},
		{
			name: "the rep's own customer wins an ambiguous name", text: "盘点 张老板 苹果汁 30",
			want: []string{"盘点已记录 #1 · 张记商贸"}, stored: "C001/P01/360",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			if tt.first != "" {
				wantIn(t, r.say("R01", on(10, "10:00"), tt.first).Replies, "盘点已记录")
			}
			out := r.say("R01", on(25, "10:00"), tt.text)
			wantIn(t, out.Replies, tt.want...)
			wantNotIn(t, out.Replies, tt.wantNot...)
			if len(out.Notices) != 0 {
				t.Errorf("notices %+v, want none", out.Notices)
			}
			rs := r.reports("R01")
			if len(rs) == 0 {
				t.Fatal("nothing stored")
			}
			last := rs[len(rs)-1]
			if last.Kind != models.KindStockCount || !last.ReportedAt.Equal(on(25, "10:00")) {
				t.Errorf("stored %s at %v, want a count at %v", last.Kind, last.ReportedAt, on(25, "10:00"))
			}
			if got := r.counts(last.ID); got != tt.stored {
				t.Errorf("counts = %s, want %s", got, tt.stored)
			}
		})
	}
}

// TestAnotherRepsAmbiguousName: 张老板 of 陈静 (R03) is her own 张氏便利店, not 张记商贸.
func TestAnotherRepsAmbiguousName(t *testing.T) {
	r := newRig(t)
	wantIn(t, r.say("R03", on(10, "10:00"), "盘点 张老板 苹果汁 30").Replies, "盘点已记录 #1 · 张氏便利店")
	if rep := r.only("R03"); r.code(rep.CustomerID) != "C006" {
		t.Errorf("count stored for %s, want C006", r.code(rep.CustomerID))
	}
}

// TestPurchase: goods received are stored per product and count as 上进 at the next count.
func TestPurchase(t *testing.T) {
	r := newRig(t)
	r.say("R01", on(10, "10:00"), "盘点 张老板 苹果汁 10 橙汁 10")
	out := r.say("R01", on(11, "10:00"), "进货 张老板 苹果汁 50 橙汁 2箱6瓶")
	wantIn(t, out.Replies, "📥 进货已记录 #2 · 张记商贸", "苹果汁1L 50箱", "橙汁1L 2箱6瓶")
	rep := r.reports("R01")[1]
	if rep.Kind != models.KindPurchase || r.code(rep.CustomerID) != "C001" {
		t.Errorf("stored %s for %s, want a purchase for C001", rep.Kind, r.code(rep.CustomerID))
	}
	if got := r.counts(rep.ID); got != "" {
		t.Errorf("a delivery stored counts: %s", got)
	}
	if b := r.basis("C001", "P02", on(12, "10:00")); b.Last != 120 || b.Delivered != 30 {
		t.Errorf("橙汁 basis = %+v, want 上存 120 and 上进 30 pieces", b)
	}
	if b := r.basis("C001", "P01", on(12, "10:00")); b.Delivered != 600 {
		t.Errorf("苹果汁 basis = %+v, want 上进 600 pieces", b)
	}
	// A delivery before the count is not 上进 of it.
	if b := r.basis("C001", "P01", on(10, "23:00")); b.Delivered != 0 {
		t.Errorf("basis before the delivery = %+v, want nothing delivered", b)
	}
	next := r.say("R01", on(12, "10:00"), "盘点 张老板 橙汁 1")
	wantIn(t, next.Replies, "上存 10箱 · 上进 2箱6瓶 · 本存 1箱", "实销 11箱6瓶")
}

// TestImplausibleCount: a count above 上存 + 上进 is held until 确认, which stores it
// as of when it was said; 取消, a lapse of ten minutes or another report drop it.
func TestImplausibleCount(t *testing.T) {
	r := newRig(t)
	counted := 0
	r.bot.OnCount = func(context.Context, int64, []int64) { counted++ }
	r.say("R01", on(10, "10:00"), "盘点 张老板 苹果汁 100")
	r.say("R01", on(12, "15:00"), "进货 张老板 苹果汁 50")

	held := r.say("R01", on(25, "10:00"), "盘点 张老板 苹果汁 200")
	wantIn(t, held.Replies, "🤔 张记商贸 的盘点数比上次还多，先没保存", "苹果汁1L 本存 200箱 > 上存 100箱 + 上进 50箱", "「确认」", "「取消」")
	wantNotIn(t, held.Replies, "已记录")
	if n := len(r.reports("R01")); n != 2 || counted != 1 {
		t.Fatalf("after the held count: %d reports, %d OnCount calls; want 2 and 1", n, counted)
	}
	if b := r.basis("C001", "P01", on(25, "10:05")); b.Last != 1200 {
		t.Fatalf("count saved before 确认: 上存 = %d pieces", b.Last)
	}

	// A number is not an answer to a yes/no question; the question stays open.
	wantIn(t, r.say("R01", on(25, "10:01"), "2").Replies, "请按上一条的提示回复")

	ok := r.say("R01", on(25, "10:03"), "确认")
	wantIn(t, ok.Replies, "✅ 盘点已记录 #3 · 张记商贸", "本存 200箱", "实销算不出来", "可能漏报了进货", "先核对进货")
	rs := r.reports("R01")
	if len(rs) != 3 || counted != 2 {
		t.Fatalf("after 确认: %d reports, %d OnCount calls; want 3 and 2", len(rs), counted)
	}
	if got := r.counts(rs[2].ID); got != "C001/P01/2400" {
		t.Errorf("confirmed counts = %s, want C001/P01/2400", got)
	}
	if !rs[2].ReportedAt.Equal(on(25, "10:00")) {
		t.Errorf("confirmed count reported at %v, want when it was said, %v", rs[2].ReportedAt, on(25, "10:00"))
	}
	if m, err := r.store.MessageByID(r.ctx, *rs[2].MessageID); err != nil || m.Text != "盘点 张老板 苹果汁 200" {
		t.Errorf("confirmed count links to %+v (%v), want the count's message", m, err)
	}
	wantIn(t, r.say("R01", on(25, "10:04"), "确认").Replies, "现在没有需要确认的内容")
	if n := len(r.reports("R01")); n != 3 {
		t.Fatalf("a second 确认 stored more: %d reports", n)
	}

	// 取消 drops it.
	wantIn(t, r.say("R01", on(25, "11:00"), "盘点 张老板 苹果汁 999").Replies, "先没保存")
	wantIn(t, r.say("R01", on(25, "11:01"), "取消").Replies, "好的，已取消，没有保存。")
	wantIn(t, r.say("R01", on(25, "11:02"), "确认").Replies, "现在没有需要确认的内容")

	// Another report keeps it open; 确认 then saves it.
	r.say("R01", on(25, "12:00"), "盘点 张老板 苹果汁 999")
	next := r.say("R01", on(25, "12:01"), "进货 张老板 橙汁 5")
	wantIn(t, next.Replies, "📥 进货已记录 #4")
	wantNotIn(t, next.Replies, "已取消")
	wantIn(t, r.say("R01", on(25, "12:02"), "确认").Replies, "盘点已记录 #5", "本存 999箱")

	// Ten minutes later the question has lapsed, and the rep is told what was lost.
	r.say("R01", on(25, "13:00"), "盘点 张老板 苹果汁 2000")
	late := r.say("R01", on(25, "13:11"), "确认")
	wantIn(t, late.Replies, "超过10分钟没有回复", "苹果汁1L 2000箱")

	if n := len(r.reports("R01")); n != 5 || counted != 3 {
		t.Errorf("%d reports and %d OnCount calls, want 5 and 3", n, counted)
	}
	if b := r.basis("C001", "P01", on(26, "00:00")); b.Last != 999*12 {
		t.Errorf("上存 = %d pieces, want the confirmed 999箱", b.Last)
	}
}

// TestImplausibleAmongPlausible: the plausible products of a count are saved at once;
// the implausible one waits, and 确认 stores it with its own numbers.
func TestImplausibleAmongPlausible(t *testing.T) {
	r := newRig(t)
	r.say("R01", on(10, "10:00"), "盘点 张老板 苹果汁 100 橙汁 100")
	held := r.say("R01", on(25, "10:00"), "盘点 张老板 苹果汁 50 橙汁 300")
	wantIn(t, held.Replies, "橙汁1L 本存 300箱 > 上存 100箱 + 上进 0箱", "盘点已记录 #2", "实销 50箱 · 安全库存 75箱", "建议进货 25箱")
	rs := r.reports("R01")
	if len(rs) != 2 {
		t.Fatalf("stored %d reports before 确认, want 2 (the plausible product at once)", len(rs))
	}
	if got := r.counts(rs[1].ID); got != "C001/P01/600" {
		t.Errorf("counts saved at once = %s, want C001/P01/600", got)
	}
	out := r.say("R01", on(25, "10:01"), "好的")
	wantIn(t, out.Replies, "盘点已记录 #3", "实销算不出来")
	if rs := r.reports("R01"); len(rs) != 3 || r.counts(rs[2].ID) != "C001/P02/3600" {
		t.Errorf("after 确认: %d reports, want the held product stored as #3", len(rs))
	}
}

// TestBadCountStoresNothing: a count the bot half understands says what it read and
// what is missing, and stores no part of it; message and reply are still audited.
func TestBadCountStoresNothing(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"盘点 张老板 葡萄汁 120 橙汁 80", []string{"看懂了：盘点 · 张记商贸 · 橙汁1L 80箱", "✘ 没认出「葡萄汁」"}},
		{"盘点 不认识的店 苹果汁 120", []string{"看懂了：盘点 · 苹果汁1L 120箱", "✘ 没找到客户「不认识的店」"}},
		{"盘点 张老板 苹果汁 橙汁 80", []string{"✘ 苹果汁1L 没写数量"}},
		{"盘点 张老板 苹果汁 3.5瓶", []string{"✘ 苹果汁1L 的数量「3.5瓶」不是整瓶"}},
		{"盘点 张老板 苹果汁 2 5", []string{"✘ 「5」不知道是哪个产品的"}},
		{"盘点 张老板 苹果汁 2 苹果汁 3", []string{"✘ 苹果汁1L 报了两次"}},
		{"盘点 张老板", []string{"看懂了：盘点 · 张记商贸", "✘ 没写产品和数量"}},
		{"盘点 苹果汁 5", []string{"✘ 没写客户"}},
	}
	r := newRig(t)
	counted := 0
	r.bot.OnCount = func(context.Context, int64, []int64) { counted++ }
	for i, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			out := r.say("R01", on(10, "10:00").Add(time.Duration(i)*time.Minute), tt.text)
			wantIn(t, out.Replies, append([]string{"这条没保存，还差一点：", "写法：盘点 客户 产品 数量"}, tt.want...)...)
			wantNotIn(t, out.Replies, "已记录")
		})
	}
	if rs := r.reports("R01"); len(rs) != 0 || counted != 0 {
		t.Errorf("stored %d reports (%d OnCount calls) from bad counts", len(rs), counted)
	}
	for _, p := range []string{"P01", "P02"} {
		if b := r.basis("C001", p, on(11, "00:00")); b.HasLast {
			t.Errorf("a count of %s was stored: %+v", p, b)
		}
	}
	if ms := r.messages("R01"); len(ms) != 2*len(tests) {
		t.Errorf("audit log has %d messages, want each message and its reply (%d)", len(ms), 2*len(tests))
	}
}

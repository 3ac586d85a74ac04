package main

import (
	"regexp"
	"strings"
	"testing"
)

// The stock engine through the rep's words: the count reply, 查, and the jobs that
// must agree with it (bot/stock).

var orderAmount = regexp.MustCompile(`建议进货 (\d+)箱`)

// amountIn returns the first 建议进货 in text (one product), "" when none.
func amountIn(text string) string {
	if m := orderAmount.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

func jobText(t *testing.T, db, job, now, to string) string {
	t.Helper()
	var texts []string
	for _, l := range linesTo(runJobs(t, env(), "run", job, "--db", db, "--now", now), to) {
		texts = append(texts, l.Text)
	}
	return strings.Join(texts, "\n")
}

// 1. 0 after 0, no deliveries, with earlier clean history: the reply orders from the
// clean rate and the manager's stock-out message says the same amount.
func TestStockZeroAfterZeroUsesCleanRate(t *testing.T) {
	db := tempDB(t)
	r := chatScript(t, db,
		say{"R01", "2026-10-26T10:00:00+08:00", "盘点 张老板 苹果汁 100"},
		say{"R01", "2026-11-10T10:00:00+08:00", "盘点 张老板 苹果汁 55"}, // 45箱 in 15 days: 3箱 a day
		say{"R01", "2026-11-25T10:00:00+08:00", "盘点 张老板 苹果汁 0"},
		say{"R01", "2026-12-10T10:00:00+08:00", "盘点 张老板 苹果汁 0"},
	)
	reply := r[3]
	t.Logf("reply:\n%s", strings.Join(reply, "\n"))
	mustContain(t, reply, "上存 0箱 · 上进 0箱 · 本存 0箱", "实销 不明", "断货", "按本店以往日均3箱估算", "安全库存 67箱6瓶", "👉 建议进货 68箱")
	mustNotContain(t, reply, "不用进货", "实销 0箱")
	out := jobText(t, db, "stock-outs", "2026-12-10T10:01:00+08:00", "M01")
	t.Logf("stock-outs:\n%s", out)
	if got, want := amountIn(out), amountIn(strings.Join(reply, "\n")); got == "" || got != want {
		t.Errorf("stock-outs says 建议进货 %q, the reply %q:\n%s", got, want, out)
	}
}

// 2. 0 after 0 with no usable history anywhere: say so, and what to do.
func TestStockZeroWithoutData(t *testing.T) {
	db := tempDB(t)
	r := chatScript(t, db,
		say{"R01", day1, "盘点 张老板 苹果汁 0"},
		say{"R01", day3, "盘点 张老板 苹果汁 0"},
	)
	t.Logf("reply:\n%s", strings.Join(r[1], "\n"))
	mustContain(t, r[1], "本存 0箱", "断货", "数据不够，算不出进货量", "请按经验先补货", "再盘点两次就能算出来")
	mustNotContain(t, r[1], "不用进货", "建议进货")
	out := jobText(t, db, "stock-outs", "2026-11-25T10:01:00+08:00", "M01")
	mustContain(t, []string{out}, "张记商贸", "苹果汁1L · 数据不够算进货量，请按经验补货")
}

// 3. No history of its own: the product's rate at customers of the same type.
func TestStockSimilarCustomers(t *testing.T) {
	db := tempDB(t)
	r := chatScript(t, db,
		say{"R03", day1, "盘点 李老板 苹果汁 100"}, // 李氏副食批发, a 经销商 too
		say{"R03", day3, "盘点 李老板 苹果汁 70"},  // 30箱 in 15 days: 2箱 a day
		say{"R01", day1, "盘点 张老板 苹果汁 0"},
		say{"R01", day3, "盘点 张老板 苹果汁 0"},
	)
	t.Logf("reply:\n%s", strings.Join(r[3], "\n"))
	mustContain(t, r[3], "断货", "本店数据不够，按同类客户日均2箱估算", "安全库存 45箱", "👉 建议进货 45箱")
	mustNotContain(t, r[3], "不用进货")
}

// 4. The 11-25 scenario: the count reply and the next morning's stock-warnings agree,
// both when the reply orders and when it says 不用进货.
func TestStockReplyAndWarningsAgree(t *testing.T) {
	history := []say{
		{"R01", "2026-10-26T10:00:00+08:00", "盘点 张老板 苹果汁 200"},
		{"R01", "2026-11-10T10:00:00+08:00", "盘点 张老板 苹果汁 120"}, // 80箱 in 15 days
	}
	t.Run("order", func(t *testing.T) {
		db := tempDB(t)
		r := chatScript(t, db, append(history, say{"R01", day3, "盘点 张老板 苹果汁 80"})...)
		reply := strings.Join(r[2], "\n")
		t.Logf("reply:\n%s", reply)
		// 120箱 in 30 days: 4箱 a day; next visit 12月10日, 15 days: 4 × 22.5 = 90.
		mustContain(t, r[2], "实销 40箱", "安全库存 90箱", "👉 建议进货 10箱")
		warn := jobText(t, db, "stock-warnings", "2026-11-26T10:01:00+08:00", "R01")
		t.Logf("stock-warnings:\n%s", warn)
		if got, want := amountIn(warn), amountIn(reply); want == "" || got != want {
			t.Errorf("stock-warnings says 建议进货 %q, the reply %q", got, want)
		}
	})
	t.Run("no order", func(t *testing.T) {
		db := tempDB(t)
		r := chatScript(t, db, append(history, say{"R01", day3, "盘点 张老板 苹果汁 100"})...)
		t.Logf("reply:\n%s", strings.Join(r[2], "\n"))
		mustContain(t, r[2], "👉 不用进货")
		for _, now := range []string{"2026-11-26T10:01:00+08:00", "2026-12-04T10:01:00+08:00"} {
			warn := jobText(t, db, "stock-warnings", now, "R01")
			mustNotContain(t, []string{warn}, "苹果汁1L")
		}
	})
}

// 5. The seed's worked example holds when the next visit is one period away (see
// TestWorkedExample); when it is further, the reply says so and orders for it.
func TestStockNextVisitFarther(t *testing.T) {
	db := tempDB(t)
	r := chatScript(t, db,
		say{"R01", "2026-11-20T10:00:00+08:00", "盘点 张老板 苹果汁 100"},
		say{"R01", day3, "盘点 张老板 苹果汁 70"}, // 30箱 in 5 days; next visit 12月10日
	)
	t.Logf("reply:\n%s", strings.Join(r[1], "\n"))
	// The last period alone would say 安全库存 45箱 · 不用进货; 6箱 a day for 15 days × 1.5 is 135.
	mustContain(t, r[1], "实销 30箱", "安全库存 135箱", "📅 下次拜访 12月10日，隔15天（比上个周期5天长），已按15天备货", "👉 建议进货 65箱")
	mustNotContain(t, r[1], "不用进货")
}

// 6. 查 shows the latest counts with their 建议进货 and what arrived since.
func TestStockQuery(t *testing.T) {
	db := tempDB(t)
	chatScript(t, db,
		say{"R01", day1, "盘点 张老板 苹果汁 100 橙汁 50"},
		say{"R01", day2, "进货 张老板 苹果汁 50"},
		say{"R01", day3, "盘点 张老板 苹果汁 120 橙汁 10"},
		say{"R01", "2026-11-26T09:00:00+08:00", "进货 张老板 橙汁 20"},
	)
	r := chatScript(t, db, say{"R01", "2026-11-27T09:00:00+08:00", "查 张老板"})
	t.Logf("查:\n%s", strings.Join(r[0], "\n"))
	mustContain(t, r[0], "苹果汁1L 本存 120箱（11月25日盘点） · 不用进货",
		"橙汁1L 本存 10箱（11月25日盘点） · 👉 建议进货 50箱 · 之后到货 20箱")
}

// 7. Short enough for a phone: 首次盘点 once; eight products lead with what needs
// goods, one line each.
func TestStockShortReplies(t *testing.T) {
	db := tempDB(t)
	r := chatScript(t, db,
		say{"R01", day1, "盘点 张老板 苹果汁 100 橙汁 50 矿泉水 30 冰红茶 20 绿茶 20 椰汁 10 酸梅汤 10 运动饮料 10"},
		say{"R01", day3, "盘点 张老板 苹果汁 90 橙汁 0 矿泉水 5 冰红茶 18 绿茶 19 椰汁 9 酸梅汤 10 运动饮料 9"},
	)
	first := strings.Join(r[0], "\n")
	t.Logf("first:\n%s", first)
	if n := strings.Count(first, "首次盘点"); n != 1 {
		t.Errorf("首次盘点 said %d times:\n%s", n, first)
	}
	second := strings.Join(r[1], "\n")
	t.Logf("second:\n%s", second)
	if n := len(strings.Split(second, "\n")); n > 14 {
		t.Errorf("an 8-product reply is %d lines, want at most 14", n)
	}
	if n := len(strings.Split(first, "\n")); n > 14 {
		t.Errorf("an 8-product first count is %d lines, want at most 14", n)
	}
	inOrder := []string{"⚠️ 要进货", "🔴【橙汁1L】断货", "🟡【矿泉水550ml】", "其余：", "【苹果汁1L】本存 90箱 · 实销 10箱"}
	at := 0
	for _, w := range inOrder {
		i := strings.Index(second[at:], w)
		if i < 0 {
			t.Fatalf("%q missing or out of order:\n%s", w, second)
		}
		at += i + len(w)
	}
	mustNotContain(t, r[1], "首次盘点")
}

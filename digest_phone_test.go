package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// Digests and reminders are read in a chat bubble on a phone, about 20 Chinese
// characters wide, in a proportional font: every line must fit, and nothing may be
// aligned with runs of spaces.

// phoneLine is the widest line a job message may have, in display columns (a
// Chinese character or an emoji is 2): jobs.lineWidth.
const phoneLine = 36

// phoneWidth measures s as a phone shows it: CJK, full-width forms and emoji take
// 2 columns, joiners and variation selectors none; markdown bold marks are not shown.
func phoneWidth(s string) int {
	n := 0
	for _, r := range strings.ReplaceAll(s, "**", "") {
		switch {
		case r == 0x200D || r >= 0xFE00 && r <= 0xFE0F:
		case r < 0x1100, r >= 0x2000 && r <= 0x206F && r != 0x2026, r == 0x2212:
			n++
		default:
			n += 2
		}
	}
	return n
}

// checkPhone fails for each line of text wider than phoneLine or with two spaces
// (of any kind) in a row.
func checkPhone(t *testing.T, who, text string) {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if w := phoneWidth(line); w > phoneLine {
			t.Errorf("%s: line %q is %d columns wide, over %d", who, line, w, phoneLine)
		}
		var prev rune
		for _, r := range line {
			if isSpace(r) && isSpace(prev) {
				t.Errorf("%s: line %q aligns with spaces", who, line)
				break
			}
			prev = r
		}
	}
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\u2007' || r == '\u3000' || r == '\u00a0' || r == '\t'
}

// tenRepCompany writes a company of one manager leading ten reps, two customers
// each, some with long names, and the demo's products; it returns the directory.
func tenRepCompany(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	products, err := os.ReadFile(filepath.Join("models", "demo", "products.csv"))
	if err != nil {
		t.Fatal(err)
	}
	users := "id,name,role,manager,wecom_userid,feishu_open_id,customer,region,phone\n" +
		"M01,王建华,manager,,,,,城东,\n"
	reps := []string{"李明", "赵强", "陈静", "孙磊", "周涛", "欧阳晓峰", "吴敏", "郑小东", "钱多宝", "冯晓丽"}
	for i, name := range reps {
		users += "R" + pad2(i+1) + "," + name + ",rep,M01,,,,城东,\n"
	}
	customers := "code,name,aliases,type,tier,region,owner,visit_days\n"
	names := [][2]string{
		{"张记商贸", "张老板"}, {"宏城超市", "宏城"},
		{"北郊小食品批发市场刘姐", "刘姐"}, {"王记批发", "王老板"},
		{"城西学校小卖部", "小卖部"}, {"永辉城西店", "永辉"},
		{"好又多城南店", "好又多"}, {"钱氏商行", "钱老板"},
		{"孙家铺子", "孙老板"}, {"华联城南店", "华联"},
		{"东一路百佳超市", "百佳"}, {"东一路惠民便利", "惠民"},
		{"陈记烟酒", "陈老板"}, {"北郊农贸综合批发", "老周"},
		{"新世纪便利店", "新世纪"}, {"王记批发二店", "王二店"},
		{"李氏副食批发", "李老板"}, {"张氏便利店", "小张"},
		{"城南国际商贸城一楼副食品总汇", "总汇"}, {"利民超市", "利民"},
	}
	for i, n := range names {
		customers += "C" + pad2(i+1) + "," + n[0] + "," + n[1] + ",超市,A,城东,R" + pad2(i/2+1) + ",7d\n"
	}
	for name, body := range map[string]string{"users.csv": users, "customers.csv": customers, "products.csv": string(products)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func pad2(n int) string { return fmt.Sprintf("%02d", n) }

// TestDigestsFitAPhone: a scripted week of a ten-rep team, in the reps' words; the
// morning reminders, the manager's daily digest and the weekly digest have no line
// wider than a phone's bubble and no space-aligned columns; the exceptions come
// before the per-rep lines and the total.
func TestDigestsFitAPhone(t *testing.T) {
	db := tempDB(t)
	if _, errOut, err := runCmd(t, "", "import", "--db", db, tenRepCompany(t)); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
	const lastWeek, today = "2026-11-24T10:00:00+08:00", "2026-12-01T"
	var history []say
	for i, alias := range []string{"张老板", "宏城", "刘姐", "王老板", "小卖部", "永辉", "好又多", "钱老板", "孙老板", "华联",
		"百佳", "惠民", "陈老板", "老周", "新世纪", "王二店", "李老板", "小张", "总汇", "利民"} {
		history = append(history, say{"R" + pad2(i/2+1), lastWeek, "拜访 " + alias + " 看陈列"})
	}
	history = append(history,
		say{"R01", "2026-11-24T10:05:00+08:00", "盘点 张老板 苹果汁 100 橙汁 40 乳酸菌 30"},
		say{"R02", "2026-11-24T11:00:00+08:00", "盘点 刘姐 苹果汁 80 冰红茶 20"},
		say{"R02", "2026-11-24T11:10:00+08:00", "答应 刘姐 11月27日 换掉破损的苹果汁和橙汁共十二箱"},
		say{"R10", "2026-11-24T11:10:00+08:00", "即期 总汇 乳酸菌 6箱 12月5日到期"},
		say{"R01", "2026-11-30T20:00:00+08:00", "计划 明天 张老板 宏城"},
	)
	for i, r := range chatScript(t, db, history...) {
		if len(r) == 0 || !strings.Contains(r[0], "已记录") {
			t.Fatalf("history line %d (%q) got %q", i, history[i].text, r)
		}
	}

	morning := runJobs(t, env(), "run", "--db", db, "--now", today+"08:31:00+08:00", "visit-reminders")
	if len(morning) < 10 {
		t.Errorf("visit reminders went to %d people, want all ten reps", len(morning))
	}
	for _, l := range morning {
		checkPhone(t, "visit-reminders to "+l.To, l.Text)
	}

	day := []say{
		{"R01", today + "09:30:00+08:00", "盘点 张老板 苹果汁 0 橙汁 35 乳酸菌 10"},
		{"R01", today + "09:40:00+08:00", "订货 张老板 苹果汁 60 橙汁 20"},
		{"R01", today + "10:30:00+08:00", "拜访 宏城 谈端架"},
		{"R02", today + "10:00:00+08:00", "盘点 刘姐 苹果汁 30 冰红茶 0"},
		{"R02", today + "10:10:00+08:00", "价格 刘姐 苹果汁 35"},
		{"R03", today + "10:00:00+08:00", "客诉 小卖部 送货总是晚两天，学生放学前货架空了一半，老板很不满意"},
		{"R04", today + "10:00:00+08:00", "冲货 北郊 橙汁 30"},
		{"R05", today + "10:00:00+08:00", "进货 钱老板 矿泉水 50"},
		{"R06", today + "10:00:00+08:00", "拜访 孙老板 谈陈列"},
		{"R06", today + "10:05:00+08:00", "订货 孙老板 运动饮料 15"},
		{"R10", today + "10:00:00+08:00", "价格 总汇 椰汁 40"},
	}
	for i, r := range chatScript(t, db, day...) {
		if len(r) == 0 || !strings.Contains(r[0], "已记录") {
			t.Fatalf("day line %d (%q) got %q", i, day[i].text, r)
		}
	}

	digest := linesTo(runJobs(t, env(), "run", "--db", db, "--now", today+"18:31:00+08:00", "daily-digest"), "M01")
	if len(digest) != 1 {
		t.Fatalf("M01's daily digests: %+v", digest)
	}
	text := digest[0].Text
	checkPhone(t, "daily digest", text)
	// Exceptions first, then one line per rep, then the total.
	inOrderText(t, text, "📊 日报 12月1日（周二）", "王建华组 10人", "⚠️ 异常",
		"🔇 没报 ", "吴敏", "🔴 断货 2", "张记商贸 苹果汁1L 👉进货75箱 · 李明", "💰 乱价 2", "北郊小食品批发市场刘姐 苹果汁1L", "🚨 冲货 1", "北郊 橙汁1L · 孙磊", "📣 客诉 1",
		"🚶 漏拜访", "🤝 承诺逾期 1", "已过期4天 · 赵强",
		"👥 各人", "吴敏 R07 🔇 拜访0/2 · 盘点0", "合计 ")
	// A rep's line too long for the bubble goes on in the next, indented.
	mustContain(t, []string{text}, "· 盘点1 · 订货80\n", "欧阳晓峰 R06 ⚠️ 拜访0/2 · 计划外1\n\u3000盘点0 · 订货15\n",
		"周涛 R05 ⚠️ 拜访1/2 · 计划外1\n\u3000盘点0 · 到货50\n", "合计 拜访5/20 · 计划外2") // a delivery is a visit; R06's visit at 孙老板 is on R05's list
	for _, rep := range []string{"R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R10"} {
		if n := strings.Count(text, " "+rep+" "); n != 1 {
			t.Errorf("%s has %d lines in the digest, want 1", rep, n)
		}
	}
	if i, j := strings.Index(text, "👥 各人"), strings.Index(text, "⚠️ 异常"); j < 0 || i < j {
		t.Errorf("the per-rep lines come before the exceptions:\n%s", text)
	}

	week := linesTo(runJobs(t, env(), "run", "--db", db, "--now", "2026-12-07T08:46:00+08:00", "weekly-digest"), "M01")
	if len(week) != 1 {
		t.Fatalf("M01's weekly digests: %+v", week)
	}
	checkPhone(t, "weekly digest", week[0].Text)
	inOrderText(t, week[0].Text, "📊 周报 11/30–12/6", "前一周 11/23–11/29", "⚠️ 异常 上周／前一周", "💰 乱价 2／0",
		"👥 各人", "李明 R01 ", "📈 合计 上周（比前一周）")
	if n := utf8.RuneCountInString(week[0].Text); n == 0 {
		t.Error("empty weekly digest")
	}
}

// inOrderText checks that the wants appear in text in that order.
func inOrderText(t *testing.T, text string, wants ...string) {
	t.Helper()
	pos := 0
	for _, w := range wants {
		i := strings.Index(text[pos:], w)
		if i < 0 {
			t.Errorf("%q missing or out of order:\n%s", w, text)
			return
		}
		pos += i + len(w)
	}
}

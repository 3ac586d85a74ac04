package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// These tests finish section 3 of issue 11: the visit is where the rep reported
// from, for every kind of report, until the working day ends (a setting).

// TestVisitForCrossRegionAndCompetitor: after 拜访 张老板, 冲货 and 竞品 without a
// customer or a place are filed at 张记商贸, and the reply says so; a place or a
// customer named wins; after the day's end they are not filed anywhere.
func TestVisitForCrossRegionAndCompetitor(t *testing.T) {
	db := tempDB(t)
	at := func(hm string) string { return "2026-11-23T" + hm + ":00+08:00" }
	out := chatFull(t, db,
		say{"R01", at("09:00"), "拜访 张老板"},
		say{"R01", at("09:05"), "冲货 苹果汁 30"},
		say{"R01", at("09:06"), "竞品 康师傅 冰红茶 特价2.5"},
		say{"R01", at("09:07"), "冲货 北郊 苹果汁 30"},          // a place named wins
		say{"R01", at("09:08"), "竞品 宏城超市 康师傅 冰红茶 特价2.5"}, // a customer named wins
		say{"R01", at("20:05"), "冲货 苹果汁 28"},             // the working day is over
		say{"R01", at("20:06"), "竞品 统一 冰红茶 特价2.3"},
	)
	mustContain(t, out[1].Replies, "🚨 冲货已记录 #2 · 张记商贸", "苹果汁1L", "价格 30元/箱",
		"📍 没写在哪里，按正在拜访的 张记商贸 记。不对请回复「撤销」后重发。")
	mustNotContain(t, out[1].Replies, "没保存")
	if len(out[1].Notices) != 1 || out[1].Notices[0].To != "M01" || !strings.Contains(out[1].Notices[0].Text, "🚨 冲货：张记商贸 苹果汁1L 30元/箱") {
		t.Errorf("the manager's notice of the cross-region goods: %+v", out[1].Notices)
	}
	mustContain(t, out[2].Replies, "👀 竞品已记录 #3 · 康师傅 @ 张记商贸", "按正在拜访的 张记商贸 记")
	mustContain(t, out[3].Replies, "🚨 冲货已记录 #4 · 北郊")
	mustNotContain(t, out[3].Replies, "正在拜访")
	mustContain(t, out[4].Replies, "👀 竞品已记录 #5 · 康师傅 @ 宏城超市")
	mustNotContain(t, out[4].Replies, "正在拜访")
	mustContain(t, out[5].Replies, "这条没保存", "✘ 没写在哪里（地点或客户）")
	mustContain(t, out[6].Replies, "👀 竞品已记录 #6 · 统一")
	mustNotContain(t, out[6].Replies, "张记商贸", "正在拜访")

	v := openDB(t, db)
	var got []string
	for _, r := range v.reports("R01") {
		got = append(got, string(r.Kind)+" "+v.customerOf(r.CustomerID)+" "+r.Place+" "+r.Brand)
	}
	want := []string{"visit C001  ", "cross_region C001  ", "competitor C001  康师傅", "cross_region  北郊 ",
		"competitor C004  康师傅", "competitor   统一"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("R01's reports:\n%q\nwant\n%q", got, want)
	}
}

// TestVisitDayEndSetting: with BOT_VISIT_DAY_END=18:00 the visit ends at 18:00: a
// count at 17:59 is filed at the visit, one at 18:00 asks for the customer and
// stores nothing. Without the setting the visit still holds at 18:00.
func TestVisitDayEndSetting(t *testing.T) {
	at := func(hm string) string { return "2026-11-23T" + hm + ":00+08:00" }
	script := []say{
		{"R01", at("09:00"), "拜访 张老板"},
		{"R01", at("17:59"), "盘点 苹果汁 100"},
		{"R01", at("18:00"), "盘点 橙汁 20"},
	}

	db := tempDB(t)
	out := chatScriptEnv(t, env("BOT_VISIT_DAY_END", "18:00"), db, script...)
	mustContain(t, out[1], "盘点已记录 #2 · 张记商贸", "按正在拜访的 张记商贸 记")
	mustContain(t, out[2], "这条没保存", "没写客户")
	if rs := openDB(t, db).reports("R01"); len(rs) != 2 {
		t.Errorf("R01 has %d reports, want the visit and one count", len(rs))
	}

	db = tempDB(t)
	out = chatScriptEnv(t, env(), db, script...)
	mustContain(t, out[2], "盘点已记录 #3 · 张记商贸", "按正在拜访的 张记商贸 记")

	// A bad value stops the command and names the variable.
	var stdout, errBuf bytes.Buffer
	err := run(context.Background(), []string{"chat", "--db", tempDB(t)}, env("BOT_VISIT_DAY_END", "6pm"), strings.NewReader(""), &stdout, &errBuf)
	errOut := errBuf.String()
	if err == nil || !strings.Contains(err.Error()+errOut, "BOT_VISIT_DAY_END") {
		t.Errorf("BOT_VISIT_DAY_END=6pm: err %v, stderr %q", err, errOut)
	}
}

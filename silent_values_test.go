package main

import (
	"strings"
	"testing"
)

// Silent wrong values (issue 12): messages the bot once stored without a question
// but with a value the rep did not mean. Each is said as a rep says it, through
// `channelbot chat`, and what is stored (or asked) is read back.

// TestSilentMagnitude: digits with a Chinese magnitude count it: 3百 is 300 cases,
// never 3; 1千2 is 1,200; a number past 7 digits is still refused, not stored.
func TestSilentMagnitude(t *testing.T) {
	db := tempDB(t)
	replies := chatScript(t, db,
		say{"R01", day1, "盘点 张老板 苹果汁 3百"},
		say{"R01", day1, "进货 张老板 橙汁 1千2"},
		say{"R01", day1, "盘点 张老板 矿泉水 3百5"},
		say{"R01", day1, "盘点 张老板 冰红茶 1000万"},
	)
	for i, r := range replies {
		t.Logf("reply %d: %s", i+1, strings.Join(r, " | "))
	}
	mustContain(t, replies[0], "本存 300箱")
	mustContain(t, replies[2], "本存 350箱")
	if n, ok := lastCount(t, db, "C001", "P01", mustTime(t, day1)); !ok || n != 300*12 {
		t.Errorf("苹果汁 count = %d (%v), want 300 cases", n, ok)
	}
	if n, ok := lastCount(t, db, "C001", "P04", mustTime(t, day1)); !ok || n != 350*24 {
		t.Errorf("矿泉水 count = %d (%v), want 350 cases", n, ok)
	}
	mustContain(t, replies[1], "1200箱")
	mustNotContain(t, replies[3], "已记录")
	if _, ok := lastCount(t, db, "C001", "P05", mustTime(t, day1)); ok {
		t.Error("1000万 stored a count")
	}
}

// TestSilentPriceUnit: 一箱, 一件, 一瓶 after a price is what it is the price of,
// never a decimal: 25块一箱 is 25 a case, not 25.1; 25块5 is 25.5.
func TestSilentPriceUnit(t *testing.T) {
	tests := []struct {
		text  string
		price int64 // stored, in fen per case
		reply string
	}{
		{"价格 刘姐 苹果汁 25块一箱", 2500, "25元/箱"},
		{"价格 刘姐 苹果汁 二十八块一箱", 2800, "28元/箱"},
		{"价格 刘姐 苹果汁 25块5", 2550, "25.5元/箱"},
		{"价格 刘姐 苹果汁 3块5一瓶", 4200, "3.5元/瓶"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			db := tempDB(t)
			replies := chatScript(t, db, say{"R01", day1, tc.text})
			t.Logf("reply: %s", strings.Join(replies[0], " | "))
			mustContain(t, replies[0], "价格已记录", tc.reply)
			rs := openDB(t, db).reports("R01")
			if len(rs) != 1 || rs[0].Price == nil || int64(*rs[0].Price) != tc.price {
				t.Fatalf("stored %+v, want one price of %d fen", rs, tc.price)
			}
		})
	}
}

// TestSilentRemarkNames: a product named in a remark is no item: 老板说水太贵 adds no
// 矿泉水, and 红茶卖得慢 neither adds 冰红茶 nor calls a counted 冰红茶 a duplicate. The
// count is stored as said, the remark kept whole.
func TestSilentRemarkNames(t *testing.T) {
	db := tempDB(t)
	replies := chatScript(t, db,
		say{"R01", day1, "盘点 张老板 苹果汁 120 老板说水太贵"},
		say{"R01", day1, "盘点 张老板 冰红茶 10 红茶卖得慢"},
	)
	for i, r := range replies {
		t.Logf("reply %d: %s", i+1, strings.Join(r, " | "))
	}
	mustContain(t, replies[0], "盘点已记录", "【苹果汁1L】", "本存 120箱")
	mustNotContain(t, replies[0], "矿泉水")
	mustContain(t, replies[1], "盘点已记录", "【冰红茶500ml】", "本存 10箱")
	mustNotContain(t, replies[1], "重复")
	if _, ok := lastCount(t, db, "C001", "P04", mustTime(t, day1)); ok {
		t.Error("a remark stored a count of 矿泉水")
	}
	if n, ok := lastCount(t, db, "C001", "P05", mustTime(t, day1)); !ok || n != 10*15 {
		t.Errorf("冰红茶 count = %d (%v), want 10 cases", n, ok)
	}
	rs := openDB(t, db).reports("R01")
	if len(rs) != 2 || rs[0].Note == rs[1].Note {
		t.Fatalf("stored %+v, want two counts with their remarks", rs)
	}
	notes := rs[0].Note + "/" + rs[1].Note
	if !strings.Contains(notes, "老板说水太贵") || !strings.Contains(notes, "红茶卖得慢") {
		t.Errorf("remarks = %q", notes)
	}
}

// TestSilentSizes: a size said with a product name selects the product of that size
// (小瓶装苹果汁, 300毫升苹果汁: 苹果汁300ml, 24 bottles a case), and a size no 苹果汁 comes
// in is asked about, with the sizes there are: nothing is stored as 苹果汁1L.
func TestSilentSizes(t *testing.T) {
	db := tempDB(t)
	replies := chatScript(t, db,
		say{"R01", day1, "盘点 张老板 小瓶装苹果汁 30"},
		say{"R01", day2, "盘点 张老板 300毫升苹果汁 20"},
		say{"R01", day2, "盘点 张老板 500毫升苹果汁 50"},
	)
	for i, r := range replies {
		t.Logf("reply %d: %s", i+1, strings.Join(r, " | "))
	}
	mustContain(t, replies[0], "盘点已记录", "【苹果汁300ml】", "本存 30箱")
	mustContain(t, replies[1], "盘点已记录", "【苹果汁300ml】", "上存 30箱", "本存 20箱")
	mustNotContain(t, replies[0], "苹果汁1L")
	mustNotContain(t, replies[2], "已记录")
	mustContain(t, replies[2], "没认出「500毫升苹果汁」，你是说 苹果汁1L 还是 苹果汁300ml？")
	if n, ok := lastCount(t, db, "C001", "P03", mustTime(t, day2)); !ok || n != 20*24 {
		t.Errorf("苹果汁300ml count = %d (%v), want 20 cases", n, ok)
	}
	if _, ok := lastCount(t, db, "C001", "P01", mustTime(t, day2)); ok {
		t.Error("a size stored a count of 苹果汁1L")
	}
}

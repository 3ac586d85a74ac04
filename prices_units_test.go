package main

import (
	"context"
	"testing"
	"time"

	"channelbot/models"
)

// These tests follow section B of the visit issue: prices and units as the rep
// means them.

// TestShelfPricePerBottle: 零售 3.8 of 苹果汁 (a 40元 case of 12) is a bottle's price,
// 45.6元 a case, above the floor: no 乱价, nothing to the manager. A price that fits
// neither a bottle nor a case is asked about, with nothing stored and no alarm.
func TestShelfPricePerBottle(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"R01", day1, "价格 惠民 苹果汁 零售 3.8"},
		say{"R01", day1, "价格 惠民 苹果汁 12"},
		say{"R01", day1, "价格 惠民 苹果汁 3元一瓶"},
	)
	mustContain(t, out[0].Replies, "价格已记录 #1 · 东一路惠民便利", "3.8元/瓶（合45.6元/箱）")
	mustNotContain(t, out[0].Replies, "乱价", "3.8元/箱")
	if len(out[0].Notices) != 0 {
		t.Errorf("the manager was told: %+v", out[0].Notices)
	}
	mustContain(t, out[1].Replies, "这条没保存", "12元 是一瓶还是一箱", "12元一瓶 或 12元一箱")
	mustNotContain(t, out[1].Replies, "12元/箱")
	if len(out[1].Notices) != 0 {
		t.Errorf("the manager was told: %+v", out[1].Notices)
	}
	// A bottle's price the rep said, below the floor, still reaches the manager.
	mustContain(t, out[2].Replies, "价格已记录 #2", "乱价")
	if len(out[2].Notices) != 1 || out[2].Notices[0].To != "M01" {
		t.Errorf("notices %+v, want one to M01", out[2].Notices)
	}
	v := openDB(t, db)
	rs := v.reports("R01")
	if len(rs) != 2 || money(rs[0].Price) != 4560 || rs[0].Flagged || !rs[1].Flagged {
		t.Fatalf("stored %+v", rs)
	}
	lines := runJobs(t, env(), "run", "--db", db, "--now", "2026-11-10T18:31:00+08:00", "daily-digest")
	for _, l := range linesTo(lines, "M01") {
		mustNotContain(t, []string{l.Text}, "45.6元/箱", "3.8元")
		mustContain(t, []string{l.Text}, "乱价", "36元/箱")
	}
}

// TestUnknownUnitAsked: 冰红茶 2提 is no 2箱: the rep is asked; once the catalog says
// 提=6瓶, 2提 is 12 bottles.
func TestUnknownUnitAsked(t *testing.T) {
	db := tempDB(t)
	importDemoAt(t, db, "2026-11-01T09:00:00+08:00")
	out := chatFull(t, db, say{"R01", day1, "盘点 张老板 冰红茶 2提"})
	mustContain(t, out[0].Replies, "这条没保存", "冰红茶500ml 的「2提」", "不知道一提是几瓶")
	if _, ok := lastCount(t, db, "C001", "P05", mustTime(t, day2)); ok {
		t.Fatal("2提 was stored")
	}
	csv := writeFile(t, "products.csv", "code,name,aliases,pack_size,pack_unit,floor_price,units\n"+
		"P05,冰红茶500ml,冰红茶|红茶,15,瓶,32,提=6瓶\n")
	if _, errOut, err := runCmd(t, "", "import", "--db", db, "--kind", "products", csv); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
	out = chatFull(t, db, say{"R01", day1, "盘点 张老板 冰红茶 2提"})
	mustContain(t, out[0].Replies, "盘点已记录", "本存 12瓶")
	if n, ok := lastCount(t, db, "C001", "P05", mustTime(t, day2)); !ok || n != 12 {
		t.Errorf("count = %d (%v), want 12 bottles", n, ok)
	}
}

// TestBadNumbersRefused: -5 and a 20-digit number are refused with a reply that says
// why; nothing is stored.
func TestBadNumbersRefused(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"R01", day1, "盘点 张老板 苹果汁 -5"},
		say{"R01", day1, "盘点 张老板 苹果汁 12345678901234567890 橙汁 20"},
		say{"R01", day1, "进货 张老板 苹果汁 -5"},
	)
	mustContain(t, out[0].Replies, "这条没保存", "「-5」是负数")
	mustContain(t, out[1].Replies, "这条没保存", "「12345678901234567890」太大了")
	mustContain(t, out[2].Replies, "这条没保存", "「-5」是负数")
	if rs := openDB(t, db).reports("R01"); len(rs) != 0 {
		t.Errorf("stored %+v", rs)
	}
}

// TestRemarksKept: the rep's remark is kept on counts and deliveries, and a day said
// in it dates the delivery.
func TestRemarksKept(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"R01", "2026-11-10T10:00:00+08:00", "盘点 张老板 苹果汁 120 仓库乱"},
		say{"R01", "2026-11-12T10:00:00+08:00", "进货 张老板 苹果汁 50 昨天到的"},
	)
	mustContain(t, out[0].Replies, "盘点已记录 #1", "备注：仓库乱")
	mustContain(t, out[1].Replies, "进货已记录 #2", "到货 11月11日（周三）", "备注：昨天到的")
	v := openDB(t, db)
	rs := v.reports("R01")
	if len(rs) != 2 || rs[0].Note != "仓库乱" || rs[1].Note != "昨天到的" {
		t.Fatalf("stored %+v", rs)
	}
	ds, err := v.s.DeliveryHistory(context.Background(), mustTime(t, "2026-11-01T00:00:00+08:00"), mustTime(t, "2026-11-13T00:00:00+08:00"), models.CountFilter{})
	if err != nil {
		t.Fatal(err)
	}
	day := func(at time.Time) string { return at.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly) }
	if len(ds) != 1 || day(ds[0].At) != "2026-11-11" || ds[0].Pieces != 600 {
		t.Errorf("deliveries %+v, want 50箱 received 2026-11-11", ds)
	}
}

// TestWhoseCustomer: R04 has no 张老板; two other reps do: R04 is asked. 小张 is R03's
// 张氏便利店: stored there and named as R03's. Once R04 has a 张老板 of their own,
// theirs wins.
func TestWhoseCustomer(t *testing.T) {
	db := tempDB(t)
	importDemoAt(t, db, "2026-11-01T09:00:00+08:00")
	out := chatFull(t, db,
		say{"R04", day1, "盘点 张老板 苹果汁 30"},
		say{"R04", day1, "取消"},
		say{"R04", day1, "盘点 小张 苹果汁 30"},
	)
	mustContain(t, out[0].Replies, "你说的「张老板」是", "张记商贸", "张氏便利店", "回复数字")
	mustContain(t, out[2].Replies, "盘点已记录 #1 · 张氏便利店", "（R03 的客户）")
	csv := writeFile(t, "customers.csv", "code,name,aliases,owner,visit_days\nC120,张老板粮油,张老板,R04,14d\n")
	if _, errOut, err := runCmd(t, "", "import", "--db", db, "--kind", "customers", csv); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
	out = chatFull(t, db,
		say{"R04", day1, "盘点 张老板 苹果汁 40"},
		say{"R03", day1, "盘点 张老板 苹果汁 20"},
	)
	mustContain(t, out[0].Replies, "盘点已记录 #2 · 张老板粮油")
	mustNotContain(t, out[0].Replies, "的客户）")
	mustContain(t, out[1].Replies, "盘点已记录 #3 · 张氏便利店")
	mustNotContain(t, out[1].Replies, "的客户）")
	if n, ok := lastCount(t, db, "C120", "P01", mustTime(t, day2)); !ok || n != 480 {
		t.Errorf("R04's count = %d (%v)", n, ok)
	}
}

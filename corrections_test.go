package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// These tests drive the corrections of the issue through `channelbot chat`, in the
// reps' words: a count corrected minutes later, a typo edited, 撤销 that touches
// only what the rep means, and a count waiting for 确认.

func at3(hms string) string { return "2026-11-25T" + hms + "+08:00" }

// changes renders a report's audit trail as "action old→new".
func (v *dbView) changes(reportID int64) []string {
	v.t.Helper()
	cs, err := v.s.ReportChanges(context.Background(), reportID)
	if err != nil {
		v.t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s→%s", c.Action, c.OldValue, c.NewValue))
	}
	return out
}

// TestCountCorrectedWithinWindow: 苹果汁 120, then 苹果汁 30 two minutes later at
// the same customer replaces the first count (已更正 #N), never a sales period; the
// next count measures against the corrected 30.
func TestCountCorrectedWithinWindow(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"R01", day1, "盘点 张老板 苹果汁 150"},    // #1, the last visit
		say{"R01", at3("10:00:00"), "拜访 张老板"}, // #2
		say{"R01", at3("10:05:00"), "盘点 苹果汁 120"},
		say{"R01", at3("10:07:00"), "盘点 苹果汁 30"},
		say{"R01", "2026-12-02T10:00:00+08:00", "盘点 张老板 苹果汁 20"},
	)
	mustContain(t, out[2].Replies, "盘点已记录 #3", "实销")
	mustContain(t, out[3].Replies, "✏️ 已更正 #3：苹果汁1L 120箱 → 30箱", "不算新的销售周期",
		"盘点已记录 #4", "上存 150箱", "本存 30箱", "实销 120箱", "建议进货 150箱")
	mustNotContain(t, out[3].Replies, "实销 90箱", "建议进货 105箱")
	mustContain(t, out[4].Replies, "上存 30箱", "本存 20箱", "实销 10箱")
	mustNotContain(t, out[4].Replies, "已更正")

	v := openDB(t, db)
	rs := v.reports("R01")
	if len(rs) != 5 || !rs[2].DeletedAt.Valid || rs[3].DeletedAt.Valid {
		t.Fatalf("reports %+v: want #3 replaced (deleted) and #4 kept", rs)
	}
	// The replaced count keeps its value, and the audit trail says what replaced it.
	cs, err := v.s.ReportCounts(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Pieces != 120*12 || !cs[0].DeletedAt.Valid {
		t.Errorf("counts of #3 = %+v, want one replaced count of 1440 pieces", cs)
	}
	if got := strings.Join(v.changes(3), "|"); got != "create →|supersede 1440→360" {
		t.Errorf("audit of #3 = %q", got)
	}

	// Outside the window a second count is a new period.
	out = chatFull(t, db,
		say{"R01", "2026-12-09T10:00:00+08:00", "盘点 张老板 苹果汁 10"},
		say{"R01", "2026-12-09T10:31:00+08:00", "盘点 张老板 苹果汁 5"},
	)
	mustContain(t, out[1].Replies, "上存 10箱", "实销 5箱")
	mustNotContain(t, out[1].Replies, "已更正")
}

// TestUndoCorrectionRestoresTheFirst: 撤销 of a correction brings back the count it
// replaced.
func TestUndoCorrectionRestoresTheFirst(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"R01", at3("10:00:00"), "盘点 张老板 苹果汁 120"},
		say{"R01", at3("10:02:00"), "盘点 张老板 苹果汁 30"},
		say{"R01", at3("10:03:00"), "撤销"},
	)
	mustContain(t, out[1].Replies, "已更正 #1")
	mustContain(t, out[2].Replies, "↩️ 已撤销 #2（盘点 · 张记商贸，11月25日 10:02 报的）")
	if n, ok := lastCount(t, db, "C001", "P01", mustTime(t, at3("11:00:00"))); !ok || n != 120*12 {
		t.Errorf("after undoing the correction last = %d (found %v), want #1's 1440 pieces", n, ok)
	}
}

// TestEditRecord: a confirmed typo (矿泉水 3000) is edited with 改 #N; the reply
// shows old → new with the numbers recomputed, the audit keeps the old value, and
// the next count's 实销 uses the corrected value. 更正 #N is the same; 撤销 right
// after an edit puts the old value back.
func TestEditRecord(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"R01", day1, "盘点 张老板 矿泉水 200 苹果汁 5"},            // #1
		say{"R01", day2, "盘点 张老板 矿泉水 3000 苹果汁 10"},          // asks about both
		say{"R01", day2, "确认"},                              // #2
		say{"R01", at3("09:00:00"), "改 #2 矿泉水 300"},         // 3000 → 300
		say{"R01", at3("09:01:00"), "更正 #2 苹果汁 12"},         // 10 → 12
		say{"R01", at3("09:03:00"), "撤销"},                   // 12 → 10 again
		say{"R01", at3("10:00:00"), "盘点 张老板 矿泉水 250 苹果汁 4"}, // #3
	)
	mustContain(t, out[2].Replies, "盘点已记录 #2", "本存 3000箱")
	mustContain(t, out[3].Replies, "✏️ 已改 #2（盘点 · 张记商贸，11月12日 15:00 报的）", "矿泉水550ml 3000箱 → 300箱",
		"按新数：矿泉水550ml 上存 200箱 · 上进 0箱 · 本存 300箱", "之后的实销和建议进货都按新数算")
	mustContain(t, out[4].Replies, "✏️ 已改 #2", "苹果汁1L 10箱 → 12箱")
	mustContain(t, out[5].Replies, "↩️ 已撤销对 #2 的修改，改回原数", "苹果汁1L 12箱 → 10箱")
	mustContain(t, out[6].Replies, "本存 250箱", "实销 50箱", "本存 4箱", "实销 6箱") // from 上存 300 and 10
	mustNotContain(t, out[6].Replies, "5160", "实销 2750箱")

	v := openDB(t, db)
	got := v.changes(2)
	want := []string{"create →", "edit stock_counts:72000→7200", "edit stock_counts:120→144", "undo →"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("audit of #2 = %q, want %q", got, want)
	}
	cs, err := v.s.ReportCounts(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Pieces != 300*24 || cs[1].Pieces != 10*12 {
		t.Errorf("counts of #2 = %+v, want 矿泉水 7200 and 苹果汁 120 pieces", cs)
	}
}

// TestEditRefused: 改 of a record that does not exist, is someone else's, or lacks
// the product is refused with a clear reply, and changes nothing.
func TestEditRefused(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"R01", day1, "盘点 张老板 苹果汁 100"}, // #1
		say{"R01", day1, "拜访 张老板"},         // #2
		say{"R01", day2, "改 #99 苹果汁 10"},
		say{"R02", day2, "改 #1 苹果汁 10"},
		say{"R01", day2, "改 #1 橙汁 5"},
		say{"R01", day2, "改 #1 葡萄汁 5"},
		say{"R01", day2, "改 #2 苹果汁 5"},
		say{"R01", day2, "改 #1"},
		say{"R01", day2, "改"},
	)
	mustContain(t, out[2].Replies, "没找到记录 #99", "没有改")
	mustContain(t, out[3].Replies, "#1 不是你报的，不能改")
	mustContain(t, out[4].Replies, "#1 里没有橙汁1L，没有改动")
	mustContain(t, out[5].Replies, "#1 没有改动", "没认出「葡萄汁」", "写法：改 #编号")
	mustContain(t, out[6].Replies, "#2 是拜访记录，只能改带数量的记录", "撤销 #2")
	mustContain(t, out[7].Replies, "#1 要改成多少？")
	mustContain(t, out[8].Replies, "改哪一条？")
	for i := 2; i < len(out); i++ {
		mustNotContain(t, out[i].Replies, "已改", "系统出了点问题")
	}
	if n, _ := lastCount(t, db, "C001", "P01", mustTime(t, day3)); n != 100*12 {
		t.Errorf("count after refused edits = %d pieces, want 1200", n)
	}
	if got := openDB(t, db).changes(1); len(got) != 1 {
		t.Errorf("audit of #1 = %q, want its creation only", got)
	}
}

// TestUndoTwiceInARow: the first 撤销 undoes the mistaken count; a second one right
// after does not touch the delivery from 10 minutes earlier but asks which.
func TestUndoTwiceInARow(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"R01", at3("10:00:00"), "进货 张老板 橙汁 20"},  // #1
		say{"R01", at3("10:10:00"), "盘点 张老板 苹果汁 99"}, // #2, the mistake
		say{"R01", at3("10:11:00"), "撤销"},
		say{"R01", at3("10:11:20"), "撤销"},
		say{"R01", at3("10:12:00"), "撤销 #1"},
	)
	mustContain(t, out[2].Replies, "↩️ 已撤销 #2（盘点 · 张记商贸")
	mustContain(t, out[3].Replies, "刚才已撤销 #2，这次没有再撤销", "撤销 #编号", "#1 进货 · 张记商贸，11月25日 10:00 报的")
	mustNotContain(t, out[3].Replies, "已撤销 #1")
	mustContain(t, out[4].Replies, "↩️ 已撤销 #1（进货 · 张记商贸")
	v := openDB(t, db)
	rs := v.reports("R01")
	if len(rs) != 2 || !rs[0].DeletedAt.Valid || !rs[1].DeletedAt.Valid {
		t.Errorf("reports %+v, want both undone at the end", rs)
	}
	// Before 撤销 #1 the delivery was still there: the second 撤销 stored nothing.
	ms, err := v.s.MessagesOf(context.Background(), "R01")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 10 {
		t.Errorf("audit log has %d messages, want 10", len(ms))
	}
	if got := strings.Join(v.changes(1), "|"); got != "create →|undo →" {
		t.Errorf("audit of #1 = %q", got)
	}
}

// TestUndoAfterKeepingAPromise: 撤销 right after 兑现 #N reopens that promise and
// deletes nothing.
func TestUndoAfterKeepingAPromise(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"R01", at3("09:00:00"), "答应 张老板 周五前换货"}, // #1
		say{"R01", at3("09:05:00"), "答应 宏城 周五前送海报"}, // #2
		say{"R01", at3("10:00:00"), "兑现 #1"},
		say{"R01", at3("10:01:00"), "撤销"},
	)
	mustContain(t, out[2].Replies, "✅ 承诺 #1 已兑现 · 张记商贸")
	mustContain(t, out[3].Replies, "↩️ 已撤销兑现：承诺 #1 重新打开", "换货")
	v := openDB(t, db)
	rs := v.reports("R01")
	if len(rs) != 2 || rs[0].DeletedAt.Valid || rs[1].DeletedAt.Valid || rs[0].ResolvedAt != nil {
		t.Errorf("reports %+v, want both promises kept, #1 open again", rs)
	}
	if got := strings.Join(v.changes(1), "|"); got != "create →|resolve →|undo →" {
		t.Errorf("audit of #1 = %q", got)
	}
}

// TestUndoOthersRecordRefused: nobody undoes another person's record, by number or not.
func TestUndoOthersRecordRefused(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"R01", at3("10:00:00"), "盘点 张老板 苹果汁 10"}, // #1
		say{"R02", at3("10:01:00"), "撤销 #1"},
		say{"R02", at3("10:02:00"), "撤销"},
		say{"M01", at3("10:03:00"), "撤销 #1"},
		say{"R01", at3("10:04:00"), "撤销 #7"},
	)
	mustContain(t, out[1].Replies, "#1 不是你报的，不能撤销")
	mustContain(t, out[2].Replies, "24小时内没有你的记录可以撤销")
	mustContain(t, out[3].Replies, "#1 不是你报的，不能撤销")
	mustContain(t, out[4].Replies, "没找到记录 #7")
	if rs := openDB(t, db).reports("R01"); len(rs) != 1 || rs[0].DeletedAt.Valid {
		t.Errorf("R01's reports %+v, want #1 kept", rs)
	}
}

// TestPendingKeepsTheRest: a count with one implausible product saves the others at
// once; the question stays open across an unrelated report until 确认.
func TestPendingKeepsTheRest(t *testing.T) {
	db := tempDB(t)
	out := chatFull(t, db,
		say{"R01", day1, "盘点 张老板 苹果汁 100 橙汁 50"},            // #1
		say{"R01", at3("10:00:00"), "盘点 张老板 苹果汁 200 橙汁 30"}, // #2: 橙汁 only
		say{"R01", at3("10:02:00"), "订货 张老板 橙汁 5箱"},         // #3
		say{"R01", at3("10:04:00"), "确认"},                   // #4: 苹果汁 200
	)
	mustContain(t, out[1].Replies, "盘点已记录 #2", "【橙汁1L】", "实销 20箱", "先没保存", "苹果汁1L 本存 200箱 > 上存 100箱")
	mustNotContain(t, out[1].Replies, "【苹果汁1L】")
	mustContain(t, out[2].Replies, "订货已记录 #3")
	mustNotContain(t, out[2].Replies, "已取消")
	mustContain(t, out[3].Replies, "盘点已记录 #4", "【苹果汁1L】", "本存 200箱")
	mustNotContain(t, out[3].Replies, "【橙汁1L】", "已更正")
	if n, _ := lastCount(t, db, "C001", "P02", mustTime(t, at3("11:00:00"))); n != 30*12 {
		t.Errorf("橙汁 = %d pieces, want 360", n)
	}
	if n, _ := lastCount(t, db, "C001", "P01", mustTime(t, at3("11:00:00"))); n != 200*12 {
		t.Errorf("苹果汁 = %d pieces, want 2400", n)
	}
}

// TestPendingExpiryTold: after the 10 minutes, the rep's next message says which
// products were not saved, whether it is 确认 or anything else.
func TestPendingExpiryTold(t *testing.T) {
	db := tempDB(t)
	chatFull(t, db, say{"R01", day1, "盘点 张老板 苹果汁 100 橙汁 50"})
	out := chatFull(t, db,
		say{"R01", at3("10:00:00"), "盘点 张老板 苹果汁 200 橙汁 30"},
		say{"R01", at3("10:15:00"), "确认"},
		say{"R01", at3("10:16:00"), "确认"},
		say{"R01", at3("11:00:00"), "盘点 张老板 橙汁 999"},
		say{"R01", at3("11:20:00"), "拜访 宏城"},
	)
	mustContain(t, out[1].Replies, "⌛ 上一条待确认的内容超过10分钟没有回复，没有保存：张记商贸 苹果汁1L 200箱")
	mustNotContain(t, out[1].Replies, "已记录")
	mustContain(t, out[2].Replies, "现在没有需要确认的内容")
	mustContain(t, out[3].Replies, "先没保存")
	mustContain(t, out[4].Replies, "没有保存：张记商贸 橙汁1L 999箱", "拜访已记录")
	if n, _ := lastCount(t, db, "C001", "P01", mustTime(t, at3("12:00:00"))); n != 100*12 {
		t.Errorf("苹果汁 = %d pieces, want the old 1200", n)
	}
	if n, _ := lastCount(t, db, "C001", "P02", mustTime(t, at3("12:00:00"))); n != 30*12 {
		t.Errorf("橙汁 = %d pieces, want 360", n)
	}
}

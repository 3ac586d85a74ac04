package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"channelbot/bot"
	"channelbot/models"
)

// policy creates a price policy as the CLI and the admin API do, checked as of today.
func (r *rig) policy(d models.PolicyDraft, today string) int64 {
	r.t.Helper()
	cat, err := r.store.LoadCatalog(r.ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	p, products, err := models.CheckPolicy(d, cat, today)
	if err != nil {
		r.t.Fatal(err)
	}
	id, err := r.store.CreatePolicy(r.ctx, p, products, cat, bot.PolicyMessage, bot.PolicyUnreachable)
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

func dec(day int, hm string) time.Time { return on(day, hm).AddDate(0, 1, 0) }

// TestPublishInChat: a manager previews a policy, and only 确认 broadcasts it to the
// dealers of its audience, each with a 收到 button; reps may not publish.
func TestPublishInChat(t *testing.T) {
	r := newRig(t)
	text := "发布 苹果汁 出厂价 39 12月1日起 城东 A类"
	preview := r.say("M01", on(23, "09:00"), text)
	wantIn(t, preview.Replies, "📢 政策预览", "苹果汁1L 出厂价自12月1日起调整为39元/箱", "生效：2026-12-01",
		"范围：2 家客户（张记商贸、宏城超市），1 位经销商会收到", "回复「确认」发送")
	if _, err := r.store.StatusOf(r.ctx, 1); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("policy created before 确认: %v", err)
	}
	wantIn(t, r.say("M01", on(23, "09:01"), "确认").Replies, "✅ 政策 #1 已发出：1 位经销商。发「政策 1」看谁已确认。")
	st, err := r.store.StatusOf(r.ctx, 1)
	if err != nil || st.Targeted != 1 || strings.Join(st.Missing, ",") != "C001" {
		t.Fatalf("status = %+v, %v; want D01 of C001 targeted", st, err)
	}
	ms := r.messages("D01")
	if len(ms) != 1 || !strings.Contains(ms[0].Text, "📢 价格政策 #1") || !strings.Contains(ms[0].Text, "生效日期：2026-12-01") ||
		len(ms[0].Buttons) != 1 || ms[0].Buttons[0].Key != "收到#1" {
		t.Errorf("dealer was sent %+v, want the policy with its 收到#1 button", ms)
	}
	if p, err := r.store.PolicyByID(r.ctx, 1); err != nil || p.Price != 3900 || p.PriceType != models.PriceFactory || p.CreatedBy != "M01" {
		t.Errorf("policy = %+v, %v", p, err)
	}

	// 取消 publishes nothing; a rep may not publish.
	r.say("M01", on(23, "09:02"), "发布 橙汁 批发价 41 12月5日起 C001")
	wantIn(t, r.say("M01", on(23, "09:03"), "取消").Replies, "已取消")
	wantIn(t, r.say("R01", on(23, "09:04"), "发布 苹果汁 出厂价 39 12月1日起 城东").Replies, "只有经理和管理员可以发布价格政策。")
	wantIn(t, r.say("R01", on(23, "09:05"), "确认").Replies, "现在没有需要确认的内容")
	if _, err := r.store.StatusOf(r.ctx, 2); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a second policy was created: %v", err)
	}
	if n := len(r.messages("D01")); n != 1 {
		t.Errorf("dealer has %d messages, want the one policy", n)
	}
}

// TestPublishProblems: a policy missing its parts, or reaching nobody, is not sent.
func TestPublishProblems(t *testing.T) {
	r := newRig(t)
	wantIn(t, r.say("M01", on(23, "09:00"), "发布 苹果汁").Replies, "政策没发出，还差：", "✘ 价格类型", "✘ 价格「」不是数字",
		"✘ 没写发给谁", "写法：发布 产品 价格类型 价格 生效日期 范围")
	wantIn(t, r.say("A01", on(23, "09:01"), "发布 苹果汁 出厂价 39 12月1日起 北郊 超市").Replies, "没有客户符合这个范围，政策没发出。")
	wantIn(t, r.say("M01", on(23, "09:02"), "确认").Replies, "现在没有需要确认的内容")
	if _, err := r.store.StatusOf(r.ctx, 1); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a policy was created: %v", err)
	}
}

// TestPolicyStatus: 政策 N shows who confirmed; 政策 alone says how to ask.
func TestPolicyStatus(t *testing.T) {
	r := newRig(t)
	id := r.policy(models.PolicyDraft{Products: []string{"P01"}, PriceType: models.PriceFactory, Price: "39", Effective: "2026-12-01",
		Audience: models.Audience{Types: []string{"经销商"}, Regions: []string{"城东", "城西"}}, Text: "苹果汁出厂价39", CreatedBy: "M01"}, "2026-11-23")
	if id != 1 {
		t.Fatalf("policy id %d", id)
	}
	st := r.say("M01", on(23, "10:00"), "政策 1").Replies
	wantIn(t, st, "📊 政策 #1", "目标 2 · 已送达 0 · 已确认 0 · 失败 0", "未确认：张记商贸、李氏副食批发")
	wantIn(t, r.say("D02", on(23, "10:01"), "收到").Replies, "已确认收到政策 #1")
	wantIn(t, r.say("M01", on(23, "10:02"), "政策 1").Replies, "已确认 1", "未确认：张记商贸")
	wantIn(t, r.say("D01", on(23, "10:03"), "好的").Replies, "已确认收到政策 #1")
	all := r.say("M01", on(23, "10:04"), "政策 1").Replies
	wantIn(t, all, "已确认 2", "全部已确认 ✔")
	wantNotIn(t, all, "未确认")
	wantIn(t, r.say("M01", on(23, "10:05"), "政策").Replies, "发「政策 编号」看某条政策的确认情况")
	wantIn(t, r.say("M01", on(23, "10:06"), "政策 7").Replies, "没有编号为 7 的政策。")
}

// TestPolicyReachesEveryDealer: the preview names five customers and counts the rest;
// a dealer with no platform account is a failure the manager sees in the status.
func TestPolicyReachesEveryDealer(t *testing.T) {
	r := newRig(t, func(ctx context.Context, s *models.Store) error {
		_, err := s.ImportRows(ctx, models.ImportUsers, "users", []string{"id", "name", "role", "customer"}, [][]string{{"D05", "好又多老板", "dealer", "C005"}})
		return err
	})
	preview := r.say("A01", on(23, "09:00"), "发布 苹果汁 出厂价 39 12月1日起 A类")
	wantIn(t, preview.Replies, "范围：6 家客户（张记商贸、李氏副食批发、宏城超市、好又多城南店、永辉城西店、…），4 位经销商会收到")
	wantNotIn(t, preview.Replies, "钱氏商行")
	wantIn(t, r.say("A01", on(23, "09:01"), "确认").Replies, "政策 #1 已发出：4 位经销商")
	st := r.say("A01", on(23, "09:02"), "政策 1").Replies
	wantIn(t, st, "目标 4 · 已送达 0 · 已确认 0 · 失败 1", "未确认：张记商贸、李氏副食批发、好又多城南店、钱氏商行", "失败：C005/D05")
}

// TestDealerAcknowledges: a dealer confirms the latest open policy with 收到 (or a
// button naming one), lists its policies with what it confirmed, and sees only its own.
func TestDealerAcknowledges(t *testing.T) {
	r := newRig(t)
	first := r.policy(models.PolicyDraft{Products: []string{"苹果汁"}, PriceType: models.PriceFactory, Price: "39", Effective: "2026-12-01",
		Audience: models.Audience{Customers: []string{"C001"}}, Text: "苹果汁1L 出厂价自12月1日起调整为39元/箱"}, "2026-11-23")
	second := r.policy(models.PolicyDraft{Products: []string{"橙汁"}, PriceType: models.PriceWholesale, Price: "41", Effective: "2026-12-05",
		Audience: models.Audience{Customers: []string{"C001"}}, Text: "橙汁1L 批发价自12月5日起调整为41元/箱"}, "2026-11-23")

	wantIn(t, r.say("D01", on(23, "09:00"), "政策").Replies, "📢 最近的价格政策",
		"#2 橙汁1L 批发价自12月5日起调整为41元/箱（2026-12-05起）⏳ 待确认", "#1 苹果汁1L 出厂价自12月1日起调整为39元/箱（2026-12-01起）⏳ 待确认")
	// The first policy's button, clicked late.
	wantIn(t, r.say("D01", on(23, "09:01"), "收到#1").Replies, "✅ 已确认收到政策 #1：苹果汁1L 出厂价自12月1日起调整为39元/箱（2026-12-01起）。谢谢！")
	wantIn(t, r.say("D01", on(23, "09:02"), "收到！").Replies, "已确认收到政策 #2")
	wantIn(t, r.say("D01", on(23, "09:03"), "收到").Replies, "现在没有需要确认的政策。")
	list := r.say("D01", on(23, "09:04"), "政策").Replies
	wantIn(t, list, "#2 橙汁1L", "#1 苹果汁1L", "✔ 已确认")
	wantNotIn(t, list, "待确认")
	for _, id := range []int64{first, second} {
		if st, err := r.store.StatusOf(r.ctx, id); err != nil || st.Acknowledged != 1 {
			t.Errorf("policy %d status %+v, %v; want it confirmed", id, st, err)
		}
	}

	// D02's customer is in neither policy.
	wantIn(t, r.say("D02", on(23, "09:05"), "政策").Replies, "最近没有价格政策。")
	wantIn(t, r.say("D02", on(23, "09:06"), "收到").Replies, "现在没有需要确认的政策")
	wantIn(t, r.say("D02", on(23, "09:07"), "你好").Replies, "您好！这里报数是业务员用的", "发「价格」查看当前价格")
}

// TestDealerPrices: a dealer's prices are its own, as of the message's day, with the
// changes to come.
func TestDealerPrices(t *testing.T) {
	r := newRig(t)
	r.policy(models.PolicyDraft{Products: []string{"P01"}, PriceType: models.PriceFactory, Price: "39", Effective: "2026-12-01",
		Audience: models.Audience{Customers: []string{"C001"}}, Text: "苹果汁出厂价39"}, "2026-11-23")
	r.policy(models.PolicyDraft{Products: []string{"P02"}, PriceType: models.PriceWholesale, Price: "41", Effective: "2026-11-20",
		Audience: models.Audience{Customers: []string{"C001"}}, Text: "橙汁批发价41"}, "2026-11-20")

	before := r.say("D01", on(23, "09:00"), "价格").Replies
	wantIn(t, before, "💰 您的当前价格（元/箱）", "苹果汁1L：出厂价 38.5 · （2026-12-01起出厂价 39） · 零售限价 40",
		"橙汁1L：出厂价 38.5 · 批发价 41 · 零售限价 40", "乳酸菌饮品100ml：")
	after := r.say("D01", dec(2, "09:00"), "价格 苹果汁").Replies
	wantIn(t, after, "苹果汁1L：出厂价 39 · 零售限价 40")
	wantNotIn(t, after, "橙汁", "38.5", "起")
	other := r.say("D02", dec(2, "09:00"), "查价 苹果汁").Replies
	wantIn(t, other, "苹果汁1L：出厂价 38.5 · 零售限价 40")
	wantNotIn(t, other, "39")
}

// TestFloorPriceInForce: 乱价 is judged by the floor price (零售限价) in force on the
// day of the report at its customer.
func TestFloorPriceInForce(t *testing.T) {
	r := newRig(t)
	r.policy(models.PolicyDraft{Products: []string{"苹果汁"}, PriceType: models.PriceRetailLimit, Price: "35", Effective: "2026-12-01",
		Audience: models.Audience{Regions: []string{"北郊"}}, Text: "苹果汁限价下调到35元"}, "2026-11-23")
	before := r.say("R02", on(30, "09:00"), "砸价 王记批发 苹果汁 37.5")
	wantIn(t, before.Replies, "低于苹果汁1L限价 40元/箱，是乱价")
	if len(before.Notices) != 1 || !strings.Contains(before.Notices[0].Text, "限价 40元/箱") {
		t.Errorf("notices %+v, want the manager told of the floor of 40", before.Notices)
	}
	after := r.say("R02", dec(2, "09:00"), "砸价 王记批发 苹果汁 37.5")
	wantNotIn(t, after.Replies, "乱价")
	if len(after.Notices) != 0 {
		t.Errorf("a price above the new floor was reported to the manager: %+v", after.Notices)
	}
	below := r.say("R02", dec(2, "09:01"), "砸价 王记批发 苹果汁 34")
	wantIn(t, below.Replies, "低于苹果汁1L限价 35元/箱，是乱价")
	// Elsewhere the product's own floor still holds.
	elsewhere := r.say("R01", dec(2, "09:02"), "价格 宏城 苹果汁 37.5")
	wantIn(t, elsewhere.Replies, "限价 40元/箱，是乱价")
	flags := ""
	for _, rep := range append(r.reports("R02"), r.reports("R01")...) {
		flags += map[bool]string{true: "F", false: "-"}[rep.Flagged]
	}
	if flags != "F-FF" {
		t.Errorf("flags = %s, want F-FF", flags)
	}
}

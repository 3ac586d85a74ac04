package bot_test

import (
	"testing"
	"time"

	"channelbot/bot"
	"channelbot/models"
)

// payload is user sending a message other than text on WeCom at when.
func (r *rig) payload(from string, when time.Time, p bot.Payload) *bot.Outcome {
	r.t.Helper()
	return r.handle(bot.Inbound{Platform: models.PlatformWeCom, From: from, At: when, Payload: p})
}

// TestEnterAndUnsupported: opening the app greets the user by name; voice, video and
// files are politely refused. Neither stores a record.
func TestEnterAndUnsupported(t *testing.T) {
	r := newRig(t)
	wantIn(t, r.payload("LiMing", on(10, "08:00"), bot.Payload{Kind: bot.KindEnter}).Replies, "你好 李明！", "发「帮助」")
	wantIn(t, r.payload("ZhaoQiang", on(10, "08:00"), bot.Payload{Kind: bot.KindEnter}).Replies, "你好 赵强！")
	for _, kind := range []string{bot.KindUnsupported, "sticker"} {
		out := r.payload("LiMing", on(10, "08:01"), bot.Payload{Kind: kind})
		wantIn(t, out.Replies, "只支持文字、位置和图片")
	}
	if n := len(r.reports("R01")); n != 0 {
		t.Errorf("stored %d reports", n)
	}
}

// TestLocationWithoutVisit: a location that names no customer, with no visit in
// progress, stores nothing and says how to check in; one whose label names a customer
// checks in there.
func TestLocationWithoutVisit(t *testing.T) {
	r := newRig(t)
	loc := bot.Payload{Kind: bot.KindLocation, Lat: 31.2304, Lng: 121.4737, Label: "人民路88号"}
	wantIn(t, r.payload("LiMing", on(10, "10:00"), loc).Replies, "没认出是哪家客户。先发「拜访 客户」再发位置")
	// Another rep's visit is not this rep's.
	r.say("R02", on(10, "10:00"), "拜访 王老板")
	wantIn(t, r.payload("LiMing", on(10, "10:01"), loc).Replies, "先发「拜访 客户」")
	if n := len(r.reports("R01")); n != 0 {
		t.Errorf("stored %d reports", n)
	}
	named := bot.Payload{Kind: bot.KindLocation, Lat: 31.2304, Lng: 121.4737, Label: "张记商贸门口"}
	wantIn(t, r.payload("LiMing", on(10, "10:02"), named).Replies, "📍 已签到 #2 · 张记商贸")
}

// TestLocationChecksIn: a location during a visit is a check-in at the visited customer.
func TestLocationChecksIn(t *testing.T) {
	r := newRig(t)
	r.handle(bot.Inbound{Platform: models.PlatformWeCom, From: "LiMing", Text: "拜访 张老板", At: on(10, "10:00")})
	out := r.payload("LiMing", on(10, "10:05"), bot.Payload{Kind: bot.KindLocation, Lat: 31.2304, Lng: 121.4737, Label: "张记商贸门口"})
	wantIn(t, out.Replies, "📍 已签到 #2 · 张记商贸", "位置：张记商贸门口")
	noLabel := r.payload("LiMing", on(10, "10:06"), bot.Payload{Kind: bot.KindLocation, Lat: 31.2304, Lng: 121.4737})
	wantIn(t, noLabel.Replies, "已签到 #3", "位置：31.23040, 121.47370")
	rs := r.reports("R01")
	if len(rs) != 3 {
		t.Fatalf("stored %d reports, want the visit and two check-ins", len(rs))
	}
	in := rs[1]
	if in.Kind != models.KindVisit || r.code(in.CustomerID) != "C001" || in.Place != "张记商贸门口" ||
		in.Lat == nil || *in.Lat != 31.2304 || in.Lng == nil || *in.Lng != 121.4737 {
		t.Errorf("check-in stored as %+v", in)
	}
}

// TestPhotoAttaches: a photo is evidence for the sender's last report of the past
// 24 hours; it is no report itself.
func TestPhotoAttaches(t *testing.T) {
	r := newRig(t)
	photo := bot.Payload{Kind: bot.KindImage, MediaID: "media-1"}
	wantIn(t, r.payload("LiMing", on(10, "09:00"), photo).Replies, "收到照片，但24小时内没有你的记录可以附上")

	r.say("R01", on(10, "10:00"), "订货 张老板 苹果汁 2")
	r.say("R01", on(10, "10:01"), "冲货 北郊 苹果汁 38")
	wantIn(t, r.payload("LiMing", on(10, "10:02"), photo).Replies, "📎 照片已附到 #2（冲货）")
	// Undone reports take no photos: it goes to the one before.
	r.say("R01", on(10, "10:03"), "撤销")
	wantIn(t, r.payload("LiMing", on(10, "10:04"), photo).Replies, "📎 照片已附到 #1（订货）")
	// Another rep's photo does not go to R01's report.
	wantIn(t, r.payload("ZhaoQiang", on(10, "10:05"), photo).Replies, "没有你的记录可以附上")
	// A day later it is too late.
	wantIn(t, r.payload("LiMing", on(11, "10:01"), photo).Replies, "没有你的记录可以附上")
	if n := len(r.reports("R01")); n != 2 {
		t.Errorf("R01 has %d reports, want 2: photos are no reports", n)
	}
}

// TestDealerPayloads: a dealer's location or photo is refused and stores nothing.
func TestDealerPayloads(t *testing.T) {
	r := newRig(t)
	for _, p := range []bot.Payload{{Kind: bot.KindLocation, Lat: 1, Lng: 2}, {Kind: bot.KindImage, MediaID: "m"}} {
		wantIn(t, r.payload("ZhangJianGuo", on(10, "10:00"), p).Replies, "经销商暂时只能接收价格政策")
	}
	if n := len(r.reports("D01")); n != 0 {
		t.Errorf("dealer stored %d reports", n)
	}
}

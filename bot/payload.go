package bot

import (
	"errors"
	"fmt"
	"time"

	"channelbot/models"
)

const (
	msgGreeting        = "你好 %s！我是渠道助手 👋 拜访时直接发「盘点 客户 产品 数量」等，发「帮助」看全部写法。"
	msgUnsupported     = "只支持文字、位置和图片哦。"
	msgLocationNoVisit = "收到位置，但没认出是哪家客户。先发「拜访 客户」再发位置，就能签到到这家客户。"
	msgPhotoNoReport   = "收到照片，但24小时内没有你的记录可以附上。先报一条，再发照片。"
)

// runPayload answers a message that is not text: a location checks the rep in at the
// visit in progress, a photo is evidence for the last report.
func (t *turn) runPayload() error {
	switch t.in.Kind {
	case KindEnter:
		t.reply(fmt.Sprintf(msgGreeting, t.user.Name))
		return nil
	case KindUnsupported:
		t.reply(msgUnsupported)
		return nil
	}
	if !t.user.Role.CanReport() {
		t.reply(msgDealerRefused)
		return nil
	}
	switch t.in.Kind {
	case KindLocation:
		return t.checkIn()
	case KindImage:
		return t.attach()
	}
	t.reply(msgUnsupported)
	return nil
}

// checkIn records where the rep is, as a visit: to the customer the location's
// label names (a WeCom or Feishu place name such as 宏城超市(东一路店)), else to the
// customer of the visit in progress. The visit in progress moves there.
func (t *turn) checkIn() error {
	cu := t.customerAt(t.in.Label)
	if cu == nil {
		v, err := t.visit()
		if err != nil {
			return err
		}
		cu = v
	}
	if cu == nil {
		t.reply(msgLocationNoVisit)
		return nil
	}
	lat, lng := t.in.Lat, t.in.Lng
	t.ex.Report = &models.Report{Kind: models.KindVisit, UserID: t.user.ID, CustomerID: &cu.ID,
		ReportedAt: t.in.At, Note: "位置签到", Place: t.in.Label, Lat: &lat, Lng: &lng}
	t.visitAt(models.KindVisit, cu)
	t.noteOwner(cu)
	label := t.in.Label
	if label == "" {
		label = fmt.Sprintf("%.5f, %.5f", lat, lng)
	}
	t.ex.Replies = t.render(func(id int64) string {
		return fmt.Sprintf("📍 已签到 #%d · %s\n位置：%s\n今天接下来不写客户的上报都记在这家。", id, cu.Name, label)
	})
	return nil
}

// customerAt returns the one customer a location's label names, read as a visit
// would be ("拜访 " + label) in the sender's scope, or nil.
func (t *turn) customerAt(label string) *models.Customer {
	if label == "" {
		return nil
	}
	res := t.cat.Parse("拜访 "+label, t.user, t.in.At)
	if res.Customer == nil || len(res.Guesses) > 0 {
		return nil
	}
	return res.Customer
}

// attach adds a photo to the sender's last report of the past 24 hours.
func (t *turn) attach() error {
	r, err := t.bot.store.LastReport(t.ctx, t.user.ID, t.in.At.Add(-24*time.Hour))
	if errors.Is(err, models.ErrNotFound) {
		t.reply(msgPhotoNoReport)
		return nil
	}
	if err != nil {
		return err
	}
	t.ex.Attach = &models.Attachment{ReportID: r.ID, Platform: t.in.Platform, MediaID: t.in.MediaID, URL: t.in.MediaURL, CreatedAt: t.in.At}
	t.reply(fmt.Sprintf("📎 照片已附到 #%d（%s）", r.ID, kindName(r.Kind)))
	return nil
}

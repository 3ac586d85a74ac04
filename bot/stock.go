package bot

import (
	"fmt"
	"strings"
	"time"

	"channelbot/bot/parser"
	"channelbot/models"
)

// countLine is one product of a stock count with the numbers a rep reads to the dealer.
type countLine struct {
	product *models.Product
	basis   models.Basis
	now     int64 // 本存, pieces
}

// sold is 实销: 上存 + 上进 − 本存.
func (l countLine) sold() int64 { return l.basis.Last + l.basis.Delivered - l.now }

// safety is 安全库存: 实销 × the product's safety factor, in whole pieces.
func (l countLine) safety() int64 {
	return models.ScalePieces(max(l.sold(), 0), l.product.SafetyFactor)
}

// implausible reports a count higher than last count plus deliveries.
func (l countLine) implausible() bool {
	return l.basis.HasLast && l.now > l.basis.Last+l.basis.Delivered
}

// saveCount stores a stock count of kind k, or asks for confirmation when a count is
// implausible.
func (t *turn) saveCount(k parser.Kind, res *parser.Result, opts handleOpts) error {
	ids := make([]int64, len(res.Items))
	for i, it := range res.Items {
		ids[i] = it.Product.ID
	}
	bases, err := t.bot.store.StockBasis(t.ctx, res.Customer.ID, ids, t.in.At)
	if err != nil {
		return err
	}
	lines := make([]countLine, len(res.Items))
	var odd []countLine
	for i, it := range res.Items {
		lines[i] = countLine{product: it.Product, basis: bases[it.Product.ID], now: it.Pieces}
		if lines[i].implausible() {
			odd = append(odd, lines[i])
		}
	}
	if len(odd) > 0 && !opts.confirmed {
		t.ask = &pending{Kind: pendingConfirm, Text: t.in.Text, At: t.in.At, Customer: res.Customer.Code, GuessesOK: opts.guessesOK}
		t.reply(implausibleText(res.Customer, odd))
		return nil
	}
	t.ex.Report = &models.Report{Kind: k.Stored, UserID: t.user.ID, CustomerID: &res.Customer.ID, ReportedAt: t.in.At, Note: res.Note}
	for _, it := range res.Items {
		t.ex.Counts = append(t.ex.Counts, models.StockCount{CustomerID: res.Customer.ID, ProductID: it.Product.ID, Pieces: it.Pieces})
	}
	t.visitAt(k.Stored, res.Customer)
	t.noteRemark(res.Note)
	t.ex.Replies = t.render(func(id int64) string { return countText(id, k.Title, res.Customer, lines) })
	return nil
}

// savePurchase stores goods received, a report of kind k. A day said in the
// remark (昨天到的) is when they were received: at that day's end, so that they
// count as received after any count made that day.
func (t *turn) savePurchase(k parser.Kind, res *parser.Result) {
	if res.Date != nil && res.Date.String() > t.in.At.Format(time.DateOnly) {
		t.reply(fmt.Sprintf("这条没保存：%s 还没到。进货请在货到后再报；要订货请发：%s", dateText(res.Date), parser.UsageOf(parser.IntentOrder)))
		return
	}
	t.ex.Report = &models.Report{Kind: k.Stored, UserID: t.user.ID, CustomerID: &res.Customer.ID, ReportedAt: t.in.At, Note: res.Note}
	var received time.Time
	if res.Date != nil && res.Date.String() < t.in.At.Format(time.DateOnly) {
		received = res.Date.In(t.bot.loc).AddDate(0, 0, 1).Add(-time.Second)
	}
	var b strings.Builder
	for _, it := range res.Items {
		t.ex.Deliveries = append(t.ex.Deliveries, models.Delivery{CustomerID: res.Customer.ID, ProductID: it.Product.ID, Pieces: it.Pieces, ReceivedAt: received})
		fmt.Fprintf(&b, "\n%s %s", it.Product.Name, it.Product.FormatQty(it.Pieces))
	}
	if res.Date != nil {
		fmt.Fprintf(&b, "\n到货 %s", dateText(res.Date))
	}
	t.visitAt(k.Stored, res.Customer)
	t.noteRemark(res.Note)
	t.ex.Replies = t.render(func(id int64) string {
		return fmt.Sprintf("%s已记录 #%d · %s%s\n下次盘点会算进上进。", k.Title, id, res.Customer.Name, b.String())
	})
}

// noteRemark adds the rep's remark to the receipt of a count or delivery.
func (t *turn) noteRemark(note string) {
	if note != "" {
		t.notes = append([]string{"备注：" + note}, t.notes...)
	}
}

// countText is the reply to a saved count, under title: per product 上存, 上进, 本存,
// 实销, 安全库存 and 建议进货, with warnings for stock-outs.
func countText(id int64, title string, cu *models.Customer, lines []countLine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s已记录 #%d · %s", title, id, cu.Name)
	for _, l := range lines {
		p := l.product
		fmt.Fprintf(&b, "\n\n【%s】", p.Name)
		if !l.basis.HasLast {
			fmt.Fprintf(&b, "\n本存 %s", p.FormatQty(l.now))
			if l.now == 0 {
				b.WriteString("\n⚠️ 断货！请尽快补货")
			}
			b.WriteString("\n首次盘点，还没有上次数据，下次盘点起算实销和建议进货。")
			continue
		}
		fmt.Fprintf(&b, "\n上存 %s · 上进 %s · 本存 %s", p.FormatQty(l.basis.Last), p.FormatQty(l.basis.Delivered), p.FormatQty(l.now))
		if l.sold() < 0 {
			// Confirmed although above 上存 + 上进: a delivery was probably not reported.
			b.WriteString("\n实销算不出来（本存比上存+上进还多，可能漏报了进货）\n👉 不用进货")
			continue
		}
		fmt.Fprintf(&b, "\n实销 %s · 安全库存 %s", p.FormatQty(l.sold()), p.FormatQty(l.safety()))
		switch {
		case l.now == 0:
			b.WriteString("\n⚠️ 断货！")
		case l.now < l.sold():
			b.WriteString("\n⚠️ 本存低于实销，下次拜访前会断货")
		}
		if need := l.safety() - l.now; need > 0 {
			fmt.Fprintf(&b, "\n👉 建议进货 %d%s", p.CeilCases(need), unitOf(p))
		} else {
			b.WriteString("\n👉 不用进货")
		}
	}
	return b.String()
}

func unitOf(p *models.Product) string {
	if p.Unit == "" {
		return "箱"
	}
	return p.Unit
}

// implausibleText asks the rep to confirm counts above last count plus deliveries.
func implausibleText(cu *models.Customer, odd []countLine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "🤔 %s 的盘点数比上次还多，先没保存：", cu.Name)
	for _, l := range odd {
		p := l.product
		fmt.Fprintf(&b, "\n%s 本存 %s > 上存 %s + 上进 %s", p.Name, p.FormatQty(l.now), p.FormatQty(l.basis.Last), p.FormatQty(l.basis.Delivered))
	}
	b.WriteString("\n可能漏报了进货或点错了。核对无误请回复「确认」，放弃请回复「取消」（10分钟内有效）。")
	return b.String()
}

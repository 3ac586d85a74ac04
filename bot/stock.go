package bot

import (
	"fmt"
	"slices"
	"strings"

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

// saveCount stores a stock count of kind k. Counts that are implausible wait for
// confirmation; the others are saved at once. A count of a product counted at the
// customer within the correction window replaces that count (a correction).
func (t *turn) saveCount(k parser.Kind, res *parser.Result, opts handleOpts) error {
	items := res.Items
	if len(opts.only) > 0 {
		items = nil
		for _, it := range res.Items {
			if slices.Contains(opts.only, it.Product.Code) {
				items = append(items, it)
			}
		}
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.Product.ID
	}
	recent, err := t.recentCounts(res.Customer.ID, ids)
	if err != nil {
		return err
	}
	except := make([]int64, len(recent))
	for i, c := range recent {
		except[i] = c.ID
	}
	bases, err := t.bot.store.StockBasisExcept(t.ctx, res.Customer.ID, ids, t.in.At, except)
	if err != nil {
		return err
	}
	var lines, odd []countLine
	for _, it := range items {
		l := countLine{product: it.Product, basis: bases[it.Product.ID], now: it.Pieces}
		if l.implausible() && !opts.confirmed {
			odd = append(odd, l)
			continue
		}
		lines = append(lines, l)
	}
	if len(odd) > 0 {
		t.ask = &pending{Kind: pendingConfirm, Text: t.in.Text, At: t.in.At, Customer: res.Customer.Code, GuessesOK: opts.guessesOK,
			What: res.Customer.Name}
		for _, l := range odd {
			t.ask.Only = append(t.ask.Only, l.product.Code)
			t.ask.What += " " + l.product.Name + " " + l.product.FormatQty(l.now)
		}
		t.reply(implausibleText(res.Customer, odd))
		if len(lines) == 0 {
			return nil
		}
	}
	t.ex.Report = &models.Report{Kind: k.Stored, UserID: t.user.ID, CustomerID: &res.Customer.ID, ReportedAt: t.in.At}
	saved := map[int64]int64{}
	for _, l := range lines {
		t.ex.Counts = append(t.ex.Counts, models.StockCount{CustomerID: res.Customer.ID, ProductID: l.product.ID, Pieces: l.now})
		saved[l.product.ID] = l.now
	}
	var replaced []models.StockCount
	for _, c := range recent {
		if _, ok := saved[c.ProductID]; ok {
			replaced = append(replaced, c)
		}
	}
	if len(replaced) > 0 {
		t.ex.Ops = append(t.ex.Ops, models.Supersede{Counts: replaced, New: saved})
	}
	t.ex.Replies = t.render(func(id int64) string {
		return t.correctionText(replaced, saved) + countText(id, k.Title, res.Customer, lines)
	})
	return nil
}

// savePurchase stores goods received, a report of kind k.
func (t *turn) savePurchase(k parser.Kind, res *parser.Result) {
	t.ex.Report = &models.Report{Kind: k.Stored, UserID: t.user.ID, CustomerID: &res.Customer.ID, ReportedAt: t.in.At}
	var b strings.Builder
	for _, it := range res.Items {
		t.ex.Deliveries = append(t.ex.Deliveries, models.Delivery{CustomerID: res.Customer.ID, ProductID: it.Product.ID, Pieces: it.Pieces})
		fmt.Fprintf(&b, "\n%s %s", it.Product.Name, it.Product.FormatQty(it.Pieces))
	}
	t.ex.Replies = t.render(func(id int64) string {
		return fmt.Sprintf("%s已记录 #%d · %s%s\n下次盘点会算进上进。", k.Title, id, res.Customer.Name, b.String())
	})
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

package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"channelbot/bot/parser"
	"channelbot/bot/stock"
	"channelbot/models"
)

// VisitPlanner tells the day of a customer's next visit after a visit at at: the
// earliest of its cadence and its plans. The jobs provide it; without one the next
// visit is taken to be one period away.
type VisitPlanner interface {
	NextVisit(ctx context.Context, cu *models.Customer, at time.Time) (time.Time, error)
}

// StockSettings are what the stock engine needs from config.
type StockSettings struct {
	Planner     VisitPlanner
	LeadDays    int // JOBS_LEAD_DAYS
	HistoryDays int // JOBS_HISTORY_DAYS
}

// WithStock sets the visit planner and the stock settings (defaults: no planner,
// 3 lead days, 120 days of history).
func WithStock(s StockSettings) Option {
	return func(b *Bot) {
		if s.LeadDays > 0 {
			b.stock.LeadDays = s.LeadDays
		}
		if s.HistoryDays > 0 {
			b.stock.HistoryDays = s.HistoryDays
		}
		b.stock.Planner = s.Planner
	}
}

var defaultStock = StockSettings{LeadDays: 3, HistoryDays: 120}

// assess runs the stock engine on products at cu as of at. taken holds counts just
// taken and not yet stored (pieces by product); the others are assessed on their
// latest stored count. Stored counts in except (by ID) are left out: they are being
// replaced. Products never counted are left out.
func (t *turn) assess(cu *models.Customer, products []*models.Product, taken map[int64]int64, at time.Time, except []int64) (map[int64]stock.Result, error) {
	b, ctx := t.bot, t.ctx
	ids := make([]int64, len(products))
	for i, p := range products {
		ids[i] = p.ID
	}
	since := at.AddDate(0, 0, -b.stock.HistoryDays)
	hs, err := stock.Load(ctx, b.store, since, at, models.CountFilter{CustomerIDs: []int64{cu.ID}, ProductIDs: ids})
	if err != nil {
		return nil, err
	}
	byProduct := make(map[int64]stock.History, len(hs))
	for _, h := range hs {
		if len(except) > 0 {
			h.Counts = slices.DeleteFunc(slices.Clone(h.Counts), func(c models.CountPoint) bool { return slices.Contains(except, c.ID) })
		}
		byProduct[h.ProductID] = h
	}
	for pid, pieces := range taken {
		h := byProduct[pid]
		h.CustomerID, h.ProductID = cu.ID, pid
		byProduct[pid] = h.With(models.CountPoint{CustomerID: cu.ID, ProductID: pid, Pieces: pieces, At: at, UserID: t.user.ID})
	}
	next := map[int64]time.Time{} // by count time
	nextAfter := func(c models.CountPoint) (time.Time, error) {
		if b.stock.Planner == nil {
			return time.Time{}, nil
		}
		k := c.At.UnixNano()
		if d, ok := next[k]; ok {
			return d, nil
		}
		d, err := b.stock.Planner.NextVisit(ctx, cu, c.At)
		next[k] = d
		return d, err
	}
	in := func(p *models.Product, h stock.History, similar float64) (stock.Input, error) {
		nv, err := nextAfter(h.Counts[len(h.Counts)-1])
		return stock.Input{History: h, Product: p, Now: at, Loc: b.loc, NextVisit: nv, LeadDays: b.stock.LeadDays, Similar: similar}, err
	}
	out := map[int64]stock.Result{}
	var lacking []int64
	for _, p := range products {
		h, ok := byProduct[p.ID]
		if !ok || len(h.Counts) == 0 {
			continue
		}
		x, err := in(p, h, 0)
		if err != nil {
			return nil, err
		}
		r := stock.Assess(x)
		out[p.ID] = r
		if r.Source == stock.SourceNone {
			lacking = append(lacking, p.ID)
		}
	}
	if len(lacking) == 0 {
		return out, nil
	}
	similar, err := t.similarRates(cu, lacking, since)
	if err != nil || len(similar) == 0 {
		return out, err
	}
	for _, p := range products {
		rate := similar[stock.SimilarKey{Type: cu.Type, ProductID: p.ID}]
		if r, ok := out[p.ID]; !ok || r.Source != stock.SourceNone || rate <= 0 {
			continue
		}
		x, err := in(p, byProduct[p.ID], rate)
		if err != nil {
			return nil, err
		}
		out[p.ID] = stock.Assess(x)
	}
	return out, nil
}

// similarRates reads the products' daily rates at customers of cu's type.
func (t *turn) similarRates(cu *models.Customer, productIDs []int64, since time.Time) (map[stock.SimilarKey]float64, error) {
	if cu.Type == "" {
		return nil, nil
	}
	var peers []int64
	for _, c := range t.cat.Models().Customers {
		if c.Type == cu.Type && c.ID != cu.ID {
			peers = append(peers, c.ID)
		}
	}
	if len(peers) == 0 {
		return nil, nil
	}
	hs, err := stock.Load(t.ctx, t.bot.store, since, t.in.At, models.CountFilter{CustomerIDs: peers, ProductIDs: productIDs})
	if err != nil {
		return nil, err
	}
	return stock.SimilarRates(hs, func(int64) string { return cu.Type }, t.bot.loc), nil
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
	products := make([]*models.Product, len(items))
	ids := make([]int64, len(items))
	taken := make(map[int64]int64, len(items))
	for i, it := range items {
		products[i], ids[i] = it.Product, it.Product.ID
		taken[it.Product.ID] = it.Pieces
	}
	recent, err := t.recentCounts(res.Customer.ID, ids)
	if err != nil {
		return err
	}
	except := make([]int64, len(recent))
	for i, c := range recent {
		except[i] = c.ID
	}
	results, err := t.assess(res.Customer, products, taken, t.in.At, except)
	if err != nil {
		return err
	}
	var lines, odd []stock.Result
	for _, it := range items {
		l := results[it.Product.ID]
		if l.Impossible && !opts.confirmed {
			odd = append(odd, l)
			continue
		}
		lines = append(lines, l)
	}
	if len(odd) > 0 {
		t.ask = &pending{Kind: pendingConfirm, Text: t.in.Text, At: t.in.At, Customer: res.Customer.Code, GuessesOK: opts.guessesOK,
			What: res.Customer.Name}
		for _, l := range odd {
			t.ask.Only = append(t.ask.Only, l.Product.Code)
			t.ask.What += " " + l.Product.Name + " " + l.Product.FormatQty(l.Count.Pieces)
		}
		t.reply(implausibleText(res.Customer, odd))
		if len(lines) == 0 {
			return nil
		}
	}
	t.ex.Report = &models.Report{Kind: k.Stored, UserID: t.user.ID, CustomerID: &res.Customer.ID, ReportedAt: t.in.At, Note: res.Note}
	saved := map[int64]int64{}
	for _, l := range lines {
		t.ex.Counts = append(t.ex.Counts, models.StockCount{CustomerID: res.Customer.ID, ProductID: l.Product.ID, Pieces: l.Count.Pieces})
		saved[l.Product.ID] = l.Count.Pieces
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
	t.visitAt(k.Stored, res.Customer)
	t.noteRemark(res.Note)
	t.ex.Replies = t.render(func(id int64) string {
		return t.correctionText(replaced, saved) + countText(id, k.Title, res.Customer, lines)
	})
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

// Texts of the stock engine's answers, shared by the count reply and 查.
const (
	msgFirstCount = "首次盘点，还没有上次数据，下次盘点起算实销和建议进货。"
	msgNoData     = "数据不够，算不出进货量：请按经验先补货；之后每次拜访都盘点，再盘点两次就能算出来。"
	msgCensored   = "期间断过货，实际卖多少不知道"
)

// countText is the reply to a saved count, under title. One product gets the numbers
// a rep reads to the dealer (上存, 上进, 本存, 实销, 安全库存, 建议进货); several products
// lead with those that need goods (断货, 建议进货), one line each, then one line per
// other product. 首次盘点 is said once.
func countText(id int64, title string, cu *models.Customer, lines []stock.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s已记录 #%d · %s", title, id, cu.Name)
	if len(lines) == 1 {
		writeBlock(&b, lines[0])
		return b.String()
	}
	fmt.Fprintf(&b, " · %d个产品", len(lines))
	var act, rest []stock.Result
	firsts := 0
	for _, l := range lines {
		if l.First {
			firsts++
		}
		if l.NeedsOrder() {
			act = append(act, l)
		} else {
			rest = append(rest, l)
		}
	}
	if firsts > 0 {
		note := msgFirstCount
		if firsts < len(lines) {
			note = "标「首次」的" + strings.TrimPrefix(note, "首次盘点，")
		}
		b.WriteString("\n" + note)
	}
	if len(act) > 0 {
		fmt.Fprintf(&b, "\n⚠️ 要进货 %d个：", len(act))
		for _, l := range act {
			b.WriteString("\n" + compactLine(l))
		}
	}
	if len(rest) > 0 {
		if len(act) > 0 {
			b.WriteString("\n其余：")
		}
		for _, l := range rest {
			b.WriteString("\n" + compactLine(l))
		}
	}
	var notes []string
	for _, l := range lines {
		if n := visitNote(l); n != "" && !contains(notes, n) {
			notes = append(notes, n)
		}
	}
	for _, n := range notes {
		b.WriteString("\n" + n)
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// writeBlock writes one product's numbers, several lines.
func writeBlock(b *strings.Builder, l stock.Result) {
	p := l.Product
	fmt.Fprintf(b, "\n\n【%s】", p.Name)
	if l.First {
		fmt.Fprintf(b, "\n本存 %s", p.FormatQty(l.Count.Pieces))
	} else {
		fmt.Fprintf(b, "\n上存 %s · 上进 %s · 本存 %s", p.FormatQty(l.Prev), p.FormatQty(l.In), p.FormatQty(l.Count.Pieces))
	}
	switch {
	case l.First:
	case l.Impossible:
		// Confirmed although above 上存 + 上进: a delivery was probably not reported.
		b.WriteString("\n实销算不出来（本存比上存+上进还多，可能漏报了进货）")
	case l.Censored:
		fmt.Fprintf(b, "\n实销 不明（%s%s）", msgCensored, soldFloor(l))
	default:
		fmt.Fprintf(b, "\n实销 %s", p.FormatQty(l.Sold))
	}
	if l.HasRate() {
		if !l.First && !l.Impossible && !l.Censored {
			fmt.Fprintf(b, " · 安全库存 %s", p.FormatQty(l.Safety))
		} else {
			fmt.Fprintf(b, "\n安全库存 %s", p.FormatQty(l.Safety))
		}
		if s := rateNote(l); s != "" {
			b.WriteString("\n" + s)
		}
	}
	switch {
	case l.Count.Pieces == 0:
		b.WriteString("\n⚠️ 断货！")
	case l.HasRate() && float64(l.Count.Pieces) < l.Rate*float64(l.DaysToVisit):
		fmt.Fprintf(b, "\n⚠️ 本存只够卖%s天，下次拜访前会断货", days(float64(l.Count.Pieces)/l.Rate))
	}
	if n := visitNote(l); n != "" {
		b.WriteString("\n" + n)
	}
	switch {
	case l.Suggest > 0:
		fmt.Fprintf(b, "\n👉 建议进货 %d%s", l.Suggest, p.CaseUnit())
	case l.Source != stock.SourceNone && l.Count.Pieces > 0:
		b.WriteString("\n👉 不用进货")
	case l.Count.Pieces == 0 && l.First:
		b.WriteString("\n👉 首次盘点，" + msgNoData)
	case l.Count.Pieces == 0:
		b.WriteString("\n👉 " + msgNoData)
	case l.First:
		b.WriteString("\n" + msgFirstCount)
	case l.Impossible:
		b.WriteString("\n👉 先核对进货，下次盘点再算建议进货")
	default:
		b.WriteString("\n👉 数据不够，还算不出建议进货，下次盘点再算")
	}
}

// compactLine writes one product of a several-product count on one line.
func compactLine(l stock.Result) string {
	p := l.Product
	var b strings.Builder
	switch {
	case l.Count.Pieces == 0:
		fmt.Fprintf(&b, "🔴【%s】断货", p.Name)
	case l.Suggest > 0:
		fmt.Fprintf(&b, "🟡【%s】本存 %s", p.Name, p.FormatQty(l.Count.Pieces))
	default:
		fmt.Fprintf(&b, "【%s】本存 %s", p.Name, p.FormatQty(l.Count.Pieces))
	}
	switch {
	case l.First:
		b.WriteString("（首次）")
	case l.Impossible:
		b.WriteString(" · 实销算不出来（可能漏报进货）")
	case l.Censored:
		b.WriteString(" · 实销不明（断过货）")
	default:
		fmt.Fprintf(&b, " · 实销 %s", p.FormatQty(l.Sold))
	}
	if l.HasRate() {
		fmt.Fprintf(&b, " · 安全库存 %s", p.FormatQty(l.Safety))
		if l.Source == stock.SourceSimilar {
			b.WriteString("（按同类客户估）")
		}
	}
	switch {
	case l.Suggest > 0:
		fmt.Fprintf(&b, " 👉 建议进货 %d%s", l.Suggest, p.CaseUnit())
	case l.Source != stock.SourceNone && l.Count.Pieces > 0:
		b.WriteString(" · 不用进货")
	case l.Count.Pieces == 0:
		b.WriteString(" 👉 数据不够算进货量，请按经验补货")
	}
	return b.String()
}

// rateNote says where the daily rate comes from when it is not the last period.
func rateNote(l stock.Result) string {
	p := l.Product
	rate := days(l.Rate/float64(p.PerCase())) + p.CaseUnit()
	switch {
	case l.Source == stock.SourceSimilar:
		return "本店数据不够，按同类客户日均" + rate + "估算"
	case l.Source == stock.SourceOwn && (l.First || l.Censored || l.Impossible || l.Periods > 1):
		return "按本店以往日均" + rate + "估算"
	}
	return ""
}

// visitNote says so when the next visit is further away than the last period.
func visitNote(l stock.Result) string {
	if !l.Farther || !l.HasRate() {
		return ""
	}
	return fmt.Sprintf("📅 下次拜访 %s，隔%d天（比上个周期%d天长），已按%d天备货", l.NextVisit.Format("1月2日"), l.DaysToVisit, l.PeriodDays, l.DaysToVisit)
}

// soldFloor is "，至少卖了40箱" for a censored period that sold something.
func soldFloor(l stock.Result) string {
	if l.Sold <= 0 {
		return ""
	}
	return "，至少卖了" + l.Product.FormatQty(l.Sold)
}

// days writes a number of days (or cases) with at most one decimal.
func days(v float64) string {
	s := strconv.FormatFloat(float64(int64(v*10+0.5))/10, 'f', -1, 64)
	return s
}

// implausibleText asks the rep to confirm counts above last count plus deliveries.
func implausibleText(cu *models.Customer, odd []stock.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "🤔 %s 的盘点数比上次还多，先没保存：", cu.Name)
	for _, l := range odd {
		p := l.Product
		fmt.Fprintf(&b, "\n%s 本存 %s > 上存 %s + 上进 %s", p.Name, p.FormatQty(l.Count.Pieces), p.FormatQty(l.Prev), p.FormatQty(l.In))
	}
	b.WriteString("\n可能漏报了进货或点错了。核对无误请回复「确认」，放弃请回复「取消」（10分钟内有效）。")
	return b.String()
}

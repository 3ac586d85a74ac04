package bot

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"channelbot/bot/parser"
	"channelbot/bot/stock"
	"channelbot/models"
)

// Mistakes are put right three ways, each one transaction with its audit entry
// (models.ReportChange):
//   - a second count of a product at a customer within the correction window
//     replaces the first (已更正 #N), so it never makes a sales period;
//   - 改 #N … re-reads the quantities of record N and changes them, old → new;
//   - 撤销 undoes the sender's latest action in this conversation (a record, an
//     edit, a 兑现), once; 撤销 #N undoes record N. Nobody undoes or edits
//     another person's record.

// undoRepeat is how soon after an undo a plain 撤销 asks which record is meant
// instead of undoing the next one.
const undoRepeat = time.Minute

// recordNumber reads the record number of "撤销 #12" or "改 #12 …".
var recordNumber = regexp.MustCompile(`[#＃]\s*(\d+)|^\D*?(\d+)`)

// editText splits "改 #12 矿泉水 300" into the number and the new content.
var editText = regexp.MustCompile(`^\s*(?:改正|更正|修改|改)\s*[#＃]?\s*(\d+)\s*(.*)$`)

func numberIn(text string) int64 {
	m := recordNumber.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(m[1]+m[2], 10, 64)
	return n
}

// recentCounts returns the counts of the products at the customer that the turn's
// count replaces: those taken within the correction window before it.
func (t *turn) recentCounts(customerID int64, productIDs []int64) ([]models.StockCount, error) {
	w := t.bot.correction
	if w <= 0 || len(productIDs) == 0 {
		return nil, nil
	}
	return t.bot.store.RecentCounts(t.ctx, customerID, productIDs, t.in.At.Add(-w), t.in.At)
}

// correctionText says which earlier counts a count replaced, old → new.
func (t *turn) correctionText(replaced []models.StockCount, saved map[int64]int64) string {
	if len(replaced) == 0 {
		return ""
	}
	var b strings.Builder
	for _, c := range replaced {
		p := t.cat.ProductByID(c.ProductID)
		if p == nil {
			continue
		}
		fmt.Fprintf(&b, "✏️ 已更正 #%d：%s %s → %s\n", c.ReportID, p.Name, p.FormatQty(c.Pieces), p.FormatQty(saved[c.ProductID]))
	}
	fmt.Fprintf(&b, "（%s内同一客户同一产品再次盘点，算更正，不算新的销售周期）\n\n", spanText(t.bot.correction))
	return b.String()
}

// spanText writes a duration as reps say it: 30分钟, 2小时.
func spanText(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return fmt.Sprintf("%d小时", d/time.Hour)
	}
	return fmt.Sprintf("%d分钟", max(d/time.Minute, 1))
}

// what names a record for replies: "盘点 · 张记商贸，11月12日 15:00 报的".
func (t *turn) what(r *models.Report) string {
	s := kindName(r.Kind)
	if r.CustomerID != nil {
		if cu := t.cat.CustomerByID(*r.CustomerID); cu != nil {
			s += " · " + cu.Name
		}
	}
	return s + "，" + r.ReportedAt.In(t.bot.loc).Format("1月2日 15:04") + " 报的"
}

// undo answers 撤销: the sender's latest action in this conversation, or with a
// number, that record.
func (t *turn) undo() error {
	if n := numberIn(t.in.Text); n != 0 {
		return t.undoRecord(n)
	}
	store, since := t.bot.store, t.in.At.Add(-24*time.Hour)
	last, err := store.LastAction(t.ctx, t.user.ID, t.in.Platform, t.in.From, since)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	if last != nil && last.Kind == models.ChangeUndo && t.in.At.Sub(last.At) < undoRepeat {
		return t.askWhichUndo(last)
	}
	a, err := store.LastUndoable(t.ctx, t.user.ID, t.in.Platform, t.in.From, since)
	if errors.Is(err, models.ErrNotFound) {
		t.reply(msgNothingToUndo)
		return nil
	}
	if err != nil {
		return err
	}
	r, err := store.ReportByID(t.ctx, a.Changes[0].ReportID)
	if err != nil {
		return err
	}
	t.ex.Ops = append(t.ex.Ops, models.Undo{Action: a})
	switch a.Kind {
	case models.ChangeResolve:
		t.reply(fmt.Sprintf("↩️ 已撤销兑现：承诺 #%d 重新打开（%s）%s", r.ID, t.what(r), noteSuffix(r.Note)))
	case models.ChangeEdit:
		var b strings.Builder
		fmt.Fprintf(&b, "↩️ 已撤销对 #%d 的修改，改回原数（%s）", r.ID, t.what(r))
		t.editLines(&b, a.Changes, true)
		t.reply(b.String())
	default:
		t.undone(r)
		t.reply(fmt.Sprintf("↩️ 已撤销 #%d（%s）", r.ID, t.what(r)))
	}
	return nil
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return "：" + note
}

// undone notes what else undoing r ends: an undone visit takes no more reports.
func (t *turn) undone(r *models.Report) {
	if r.Kind == models.KindVisit && r.CustomerID != nil {
		if cu := t.cat.CustomerByID(*r.CustomerID); cu != nil {
			t.unvisit = cu.Code
		}
	}
}

// undoRecord answers 撤销 #N: the sender's own record N, not yet undone.
func (t *turn) undoRecord(n int64) error {
	r, err := t.bot.store.ReportByID(t.ctx, n)
	if errors.Is(err, models.ErrNotFound) {
		t.reply(fmt.Sprintf(msgNoRecord, n, "撤销"))
		return nil
	}
	if err != nil {
		return err
	}
	if r.UserID != t.user.ID {
		t.reply(fmt.Sprintf(msgNotYours, n, "撤销"))
		return nil
	}
	t.ex.Ops = append(t.ex.Ops, models.Undo{ReportID: r.ID})
	t.undone(r)
	t.reply(fmt.Sprintf("↩️ 已撤销 #%d（%s）", r.ID, t.what(r)))
	return nil
}

// askWhichUndo answers a second 撤销 right after one: it lists the sender's
// latest records instead of undoing one more.
func (t *turn) askWhichUndo(last *models.Action) error {
	rs, err := t.bot.store.RecentReports(t.ctx, t.user.ID, t.in.Platform, t.in.From, t.in.At.Add(-24*time.Hour), 5)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "刚才已撤销 #%d，这次没有再撤销。", last.Changes[0].ReportID)
	if len(rs) == 0 {
		b.WriteString("\n24小时内你没有别的记录了。")
		t.reply(b.String())
		return nil
	}
	b.WriteString("\n还要撤销哪一条？请回复「撤销 #编号」：")
	for i := range rs {
		fmt.Fprintf(&b, "\n#%d %s", rs[i].ID, t.what(&rs[i]))
	}
	t.reply(b.String())
	return nil
}

// keepPromise marks a promise kept: "兑现 #12" or "兑现 钱老板" (the sender's latest
// open promise there). Managers and admins may close anyone's.
func (t *turn) keepPromise(res *parser.Result) error {
	id := numberIn(t.in.Text)
	var customerID int64
	if res.Customer != nil {
		customerID = res.Customer.ID
	}
	if id == 0 && customerID == 0 {
		t.reply("兑现哪一条？写法：" + parser.UsageOf(parser.IntentDone))
		return nil
	}
	all := t.user.Role == models.RoleManager || t.user.Role == models.RoleAdmin
	r, err := t.bot.store.OpenPromise(t.ctx, t.user.ID, all, id, customerID)
	if errors.Is(err, models.ErrNotFound) {
		t.reply("没找到你未兑现的这条承诺。写法：" + parser.UsageOf(parser.IntentDone))
		return nil
	}
	if err != nil {
		return err
	}
	t.ex.Ops = append(t.ex.Ops, models.Resolve{ReportID: r.ID})
	where := ""
	if r.CustomerID != nil {
		if cu := t.cat.CustomerByID(*r.CustomerID); cu != nil {
			where = " · " + cu.Name
		}
	}
	t.reply(fmt.Sprintf("✅ 承诺 #%d 已兑现%s：%s", r.ID, where, r.Note))
	return nil
}

// edit answers 改 #N 产品 数量: the quantities of the sender's record N, re-read
// as a report of its kind at its customer, old → new.
func (t *turn) edit() error {
	usage := parser.UsageOf(parser.IntentEdit)
	m := editText.FindStringSubmatch(t.in.Text)
	if m == nil {
		t.reply("改哪一条？写法：" + usage)
		return nil
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	rest := strings.TrimSpace(m[2])
	r, err := t.bot.store.ReportByID(t.ctx, n)
	if errors.Is(err, models.ErrNotFound) {
		t.reply(fmt.Sprintf(msgNoRecord, n, "改动"))
		return nil
	}
	if err != nil {
		return err
	}
	if r.UserID != t.user.ID {
		t.reply(fmt.Sprintf(msgNotYours, n, "改"))
		return nil
	}
	k, _ := parser.KindStored(r.Kind)
	var cu *models.Customer
	if r.CustomerID != nil {
		cu = t.cat.CustomerByID(*r.CustomerID)
	}
	if k.Carries&parser.CarriesItems == 0 || cu == nil {
		t.reply(fmt.Sprintf("#%d 是%s记录，只能改带数量的记录（盘点、进货、订货、即期、破损）。要改它，请「撤销 #%d」后重新发。", n, k.Name, n))
		return nil
	}
	if rest == "" {
		t.reply(fmt.Sprintf("#%d 要改成多少？写法：%s", n, usage))
		return nil
	}
	res := t.cat.Parse(k.Keywords[0]+" "+cu.Name+" "+rest, t.user, r.ReportedAt.In(t.bot.loc))
	if res.Intent != k.Intent || res.Customer == nil || res.Customer.ID != cu.ID || len(res.Guesses) > 0 || !res.Complete() {
		var b strings.Builder
		fmt.Fprintf(&b, "#%d 没有改动：", n)
		if got := understood(res); got != "" && res.Intent == k.Intent {
			b.WriteString("\n✔ 看懂了：" + got)
		}
		for _, g := range res.Guesses {
			fmt.Fprintf(&b, "\n✘ 没认出「%s」，你是说 %s 吗？", g.Typed, g.Meant)
		}
		for _, p := range res.Problems {
			switch p.Code {
			case parser.ProblemProductUnknown:
				fmt.Fprintf(&b, "\n✘ 没认出「%s」", p.Text)
			case parser.ProblemQtyMissing:
				fmt.Fprintf(&b, "\n✘ %s 没写数量", p.Text)
			case parser.ProblemItemsMissing:
				b.WriteString("\n✘ 没写产品和数量")
			default:
				if p.Text != "" {
					fmt.Fprintf(&b, "\n✘ 「%s」没看懂", p.Text)
				}
			}
		}
		if res.Customer != nil && res.Customer.ID != cu.ID {
			fmt.Fprintf(&b, "\n✘ #%d 是%s的记录，客户不能改；请「撤销 #%d」后重新发", n, cu.Name, n)
		}
		b.WriteString("\n写法：" + usage)
		t.reply(b.String())
		return nil
	}
	counts, deliveries, items, err := t.bot.store.LiveLines(t.ctx, n)
	if err != nil {
		return err
	}
	var edits []models.LineEdit
	for _, it := range res.Items {
		e, ok := findLine(it.Product.ID, counts, deliveries, items)
		if !ok {
			t.reply(fmt.Sprintf("#%d 里没有%s，没有改动。要补报请另发一条。", n, it.Product.Name))
			return nil
		}
		if e.Old != it.Pieces {
			e.New = it.Pieces
			edits = append(edits, e)
		}
	}
	if len(edits) == 0 {
		t.reply(fmt.Sprintf("#%d 的数和原来一样，没有改动。", n))
		return nil
	}
	t.ex.Ops = append(t.ex.Ops, models.Edit{ReportID: n, Lines: edits})
	var b strings.Builder
	fmt.Fprintf(&b, "✏️ 已改 #%d（%s）", n, t.what(r))
	for _, e := range edits {
		p := t.productOfLine(e, counts, deliveries, items)
		fmt.Fprintf(&b, "\n%s %s → %s", p.Name, p.FormatQty(e.Old), p.FormatQty(e.New))
	}
	if r.Kind == models.KindStockCount {
		if err := t.recount(&b, r, cu, edits, counts); err != nil {
			return err
		}
		b.WriteString("\n之后的实销和建议进货都按新数算。")
	}
	if r.Kind == models.KindPurchase {
		b.WriteString("\n之后盘点的上进按新数算。")
	}
	t.reply(b.String())
	return nil
}

// findLine returns the live line of product in a report's lines.
func findLine(product int64, counts []models.StockCount, deliveries []models.Delivery, items []models.ReportItem) (models.LineEdit, bool) {
	for _, c := range counts {
		if c.ProductID == product {
			return models.LineEdit{Table: models.LineCount, LineID: c.ID, Old: c.Pieces}, true
		}
	}
	for _, d := range deliveries {
		if d.ProductID == product {
			return models.LineEdit{Table: models.LineDelivery, LineID: d.ID, Old: d.Pieces}, true
		}
	}
	for _, it := range items {
		if it.ProductID != nil && *it.ProductID == product && it.Pieces != nil {
			return models.LineEdit{Table: models.LineItem, LineID: it.ID, Old: *it.Pieces}, true
		}
	}
	return models.LineEdit{}, false
}

func (t *turn) productOfLine(e models.LineEdit, counts []models.StockCount, deliveries []models.Delivery, items []models.ReportItem) *models.Product {
	var id int64
	for _, c := range counts {
		if e.Table == models.LineCount && c.ID == e.LineID {
			id = c.ProductID
		}
	}
	for _, d := range deliveries {
		if e.Table == models.LineDelivery && d.ID == e.LineID {
			id = d.ProductID
		}
	}
	for _, it := range items {
		if e.Table == models.LineItem && it.ID == e.LineID && it.ProductID != nil {
			id = *it.ProductID
		}
	}
	if p := t.cat.ProductByID(id); p != nil {
		return p
	}
	return &models.Product{Name: "?"}
}

// recount writes the numbers of an edited count as they are now, from the stock
// engine as of the count: one line per product changed.
func (t *turn) recount(b *strings.Builder, r *models.Report, cu *models.Customer, edits []models.LineEdit, counts []models.StockCount) error {
	var own []int64
	var products []*models.Product
	taken := map[int64]int64{}
	for _, c := range counts {
		own = append(own, c.ID)
	}
	for _, e := range edits {
		for _, c := range counts {
			if c.ID != e.LineID {
				continue
			}
			if p := t.cat.ProductByID(c.ProductID); p != nil {
				products = append(products, p)
				taken[p.ID] = e.New
			}
		}
	}
	results, err := t.assess(cu, products, taken, r.ReportedAt, own)
	if err != nil {
		return err
	}
	for _, p := range products {
		if l, ok := results[p.ID]; ok {
			b.WriteString("\n按新数：" + recountLine(l))
		}
	}
	return nil
}

// recountLine is one product of an edited count, on one line: 上存, 上进, 本存, 实销
// and 建议进货 as the stock engine now reads them.
func recountLine(l stock.Result) string {
	p := l.Product
	if l.First {
		return fmt.Sprintf("%s 本存 %s（首次盘点）", p.Name, p.FormatQty(l.Count.Pieces))
	}
	s := fmt.Sprintf("%s 上存 %s · 上进 %s · 本存 %s", p.Name, p.FormatQty(l.Prev), p.FormatQty(l.In), p.FormatQty(l.Count.Pieces))
	switch {
	case l.Impossible:
		return s + "，实销算不出来（本存比上存+上进还多）"
	case l.Censored:
		s += " · 实销不明（断过货）"
	default:
		s += " · 实销 " + p.FormatQty(l.Sold)
	}
	switch {
	case l.Suggest > 0:
		s += fmt.Sprintf(" · 建议进货 %d%s", l.Suggest, p.CaseUnit())
	case l.HasRate() && l.Count.Pieces > 0:
		s += " · 不用进货"
	}
	return s
}

// editLines writes the lines of an edit action, old → new, or new → old when it
// is being undone.
func (t *turn) editLines(b *strings.Builder, changes []models.ReportChange, undo bool) {
	for _, ch := range changes {
		table, old, _ := strings.Cut(ch.OldValue, ":")
		o, _ := strconv.ParseInt(old, 10, 64)
		nw, _ := strconv.ParseInt(ch.NewValue, 10, 64)
		p := t.lineProduct(ch.ReportID, table, ch.LineID)
		if undo {
			o, nw = nw, o
		}
		fmt.Fprintf(b, "\n%s %s → %s", p.Name, p.FormatQty(o), p.FormatQty(nw))
	}
}

// lineProduct returns the product of a line of report, or a stand-in.
func (t *turn) lineProduct(report int64, table string, line *int64) *models.Product {
	counts, deliveries, items, err := t.bot.store.LiveLines(t.ctx, report)
	if err != nil || line == nil {
		return &models.Product{Name: "?"}
	}
	return t.productOfLine(models.LineEdit{Table: table, LineID: *line}, counts, deliveries, items)
}

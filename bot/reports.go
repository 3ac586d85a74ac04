package bot

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"channelbot/bot/parser"
	"channelbot/bot/stock"
	"channelbot/models"
)

// DefaultVisitDayEnd is when a working day ends, after midnight: a visit in
// progress lasts until then on the day it began.
const DefaultVisitDayEnd = 20 * time.Hour

// WithVisitDayEnd sets when the working day ends (time after midnight, in the
// bot's location): the visit in progress ends then (default DefaultVisitDayEnd).
func WithVisitDayEnd(d time.Duration) Option {
	return func(b *Bot) {
		if d > 0 && d <= 24*time.Hour {
			b.visitDayEnd = d
		}
	}
}

func (t *turn) visitKey() string { return "visit:" + t.in.Platform + ":" + t.in.From }

// visitState is the visit in progress, as remembered. The state store's TTL only
// bounds how long it is kept: whether it still applies is judged by message time.
type visitState struct {
	Customer string    `json:"c"`
	At       time.Time `json:"at"`
}

func (t *turn) visitValue() []byte {
	b, _ := json.Marshal(visitState{Customer: t.visiting, At: t.in.At})
	return b
}

// dayEnd is when the working day of at ends.
func (t *turn) dayEnd(at time.Time) time.Time {
	at = at.In(t.bot.loc)
	y, m, d := at.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.bot.loc).Add(t.bot.visitDayEnd)
}

// visitTTL is how long the state store keeps a visit begun at the turn's message:
// to the end of the working day, and a minute at least.
func (t *turn) visitTTL() time.Duration {
	return max(t.dayEnd(t.in.At).Sub(t.in.At), time.Minute)
}

// visit returns the customer of the visit in progress at the turn's message, or nil.
// A visit lasts from the report that began it (拜访, a count, a delivery, an order, a
// check-in at a customer) until the rep reports at another customer or the working
// day ends.
func (t *turn) visit() (*models.Customer, error) {
	raw, ok, err := t.bot.state.Get(t.ctx, t.visitKey())
	if err != nil {
		return nil, fmt.Errorf("bot: load visit: %w", err)
	}
	if !ok {
		return nil, nil
	}
	var v visitState
	if err := json.Unmarshal(raw, &v); err != nil || v.At.IsZero() {
		return nil, nil // unreadable or undated: whether it is today's is unknown
	}
	if t.in.At.Before(v.At) || !t.in.At.Before(t.dayEnd(v.At)) || !sameDay(t.in.At.In(t.bot.loc), v.At.In(t.bot.loc)) {
		return nil, nil
	}
	return t.cat.Customer(v.Customer), nil
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// visitAt makes the visit in progress the one at cu, when a report of kind k
// there is a visit.
func (t *turn) visitAt(k models.ReportKind, cu *models.Customer) {
	if cu != nil && k.IsVisit() {
		t.visiting = cu.Code
	}
}

// forgetVisit ends the visit in progress if it is at the customer with code.
func (t *turn) forgetVisit(code string) error {
	raw, ok, err := t.bot.state.Get(t.ctx, t.visitKey())
	if err != nil || !ok {
		return err
	}
	var v visitState
	if json.Unmarshal(raw, &v) != nil {
		v.Customer = string(raw)
	}
	if v.Customer != code {
		return nil
	}
	if _, err := t.bot.state.CompareAndDelete(t.ctx, t.visitKey(), raw); err != nil {
		return fmt.Errorf("bot: forget visit: %w", err)
	}
	return nil
}

// applyVisit fills in the customer of the visit in progress when a report names none,
// nor a place when its kind may say one instead.
// The parser reads the first unknown words of a complaint, suggestion or promise
// as a customer's name ("客诉 送货慢"); during a visit they are what was said.
func (t *turn) applyVisit(res *parser.Result) error {
	if res.Customer != nil || len(res.Candidates) > 0 {
		return nil
	}
	if k, ok := parser.KindOf(res.Intent); ok && k.Needs&parser.CarriesCustomer == 0 && res.Place == "" && res.CustomerText == "" {
		// 冲货 苹果汁 30, 竞品 康师傅 冰红茶: a kind that may say where, said neither a
		// customer nor a place: it is where the rep is.
		cu, err := t.visit()
		if err != nil || cu == nil {
			return err
		}
		res.Customer = cu
		t.fromVisit, t.fromVisitWhere = cu, true
		res.Problems = dropProblem(res.Problems, parser.ProblemPlaceMissing)
		return nil
	}
	if len(res.Problems) == 0 {
		return nil
	}
	i, code := -1, parser.ProblemCustomerMissing
	if res.CustomerText != "" {
		if !carries(res, parser.CarriesNote) || len(res.Guesses) > 0 {
			return nil
		}
		code = parser.ProblemCustomerUnknown
	}
	for j, p := range res.Problems {
		if p.Code == code {
			i = j
		}
	}
	if i < 0 {
		return nil
	}
	cu, err := t.visit()
	if err != nil || cu == nil {
		return err
	}
	res.Customer = cu
	t.fromVisit = cu
	res.Problems = append(res.Problems[:i], res.Problems[i+1:]...)
	if res.CustomerText != "" {
		res.Note = noteFrom(t.in.Text, res.CustomerText, res.Note)
		res.CustomerText = ""
		res.Problems = dropProblem(res.Problems, parser.ProblemNoteMissing)
	}
	return nil
}

// noteFrom is the note of a message whose first words were taken for a customer's
// name: the text as typed from those words on.
func noteFrom(text, words, rest string) string {
	if i := strings.Index(text, words); i >= 0 {
		return strings.TrimRight(strings.TrimSpace(text[i:]), "。.，,！!")
	}
	return strings.TrimSpace(words + " " + rest)
}

// saveReport stores a report of kind k other than counts and deliveries, and tells
// the manager about price violations and cross-region goods.
func (t *turn) saveReport(k parser.Kind, res *parser.Result) {
	r := &models.Report{Kind: k.Stored, UserID: t.user.ID, ReportedAt: t.in.At,
		Note: res.Note, Place: res.Place, Brand: res.Brand, Price: casePrice(res)}
	if res.Customer != nil {
		r.CustomerID = &res.Customer.ID
	}
	if res.Date != nil {
		d := res.Date.String()
		r.OnDate = &d
	}
	t.ex.Report = r
	for _, it := range res.Items {
		item := models.ReportItem{CustomerID: r.CustomerID, ProductID: &it.Product.ID}
		if it.HasQty {
			item.Pieces = &it.Pieces
		}
		t.ex.Items = append(t.ex.Items, item)
	}
	if k.Carries&parser.CarriesCustomers != 0 {
		for _, cu := range append([]*models.Customer{res.Customer}, res.Customers...) {
			t.ex.Items = append(t.ex.Items, models.ReportItem{CustomerID: &cu.ID})
		}
	}
	var floor *models.Product
	if res.Intent == parser.IntentPriceReport {
		floor = belowFloor(res, t.floorOf(res))
		r.Flagged = floor != nil
	}
	t.visitAt(k.Stored, res.Customer)
	told := (floor != nil || res.Intent == parser.IntentCrossRegion) && t.user.ManagerID != ""
	t.ex.Replies = t.render(func(id int64) string { return receiptText(id, k, res, floor, told) })
	if told {
		mgr := t.user.ManagerID
		t.ex.Notices = func(id int64) []models.Notice {
			return []models.Notice{{UserID: mgr, Text: alertText(id, res, floor, t.user)}}
		}
	}
}

// casePrice is the price to store: per case for market prices said per piece
// (3元一瓶 of a 12-bottle case is 36元), as said for a brand's goods.
func casePrice(res *parser.Result) *models.Money {
	if res.Price == nil || !res.PerPiece || len(res.Items) == 0 || carries(res, parser.CarriesBrand) {
		return res.Price
	}
	v := *res.Price * models.Money(max(res.Items[0].Product.PackSize, 1))
	return &v
}

// belowFloor returns the first product whose reported price is under its floor
// price in force, as a copy carrying that floor.
func belowFloor(res *parser.Result, floorOf func(*models.Product) models.Money) *models.Product {
	if res.Price == nil {
		return nil
	}
	for _, it := range res.Items {
		p := *it.Product
		p.FloorPrice = floorOf(it.Product)
		perCase := *res.Price
		if res.PerPiece {
			perCase *= models.Money(max(p.PackSize, 1))
		}
		if p.FloorPrice > 0 && perCase < p.FloorPrice {
			return &p
		}
	}
	return nil
}

// floorOf returns the floor price (零售限价) in force on the report's day at its
// customer: the latest policy's, else the product's own.
func (t *turn) floorOf(res *parser.Result) func(*models.Product) models.Money {
	return func(p *models.Product) models.Money {
		if res.Customer == nil {
			return p.FloorPrice
		}
		price, ok, err := t.bot.store.PriceInForce(t.ctx, p.ID, res.Customer.ID, models.PriceRetailLimit, t.in.At.Format(time.DateOnly))
		if err != nil {
			t.log.WarnContext(t.ctx, "floor price in force unknown, using the product's", "error", err)
			return p.FloorPrice
		}
		if !ok {
			return p.FloorPrice
		}
		return price
	}
}

// where names the customer or place of a report.
func where(res *parser.Result) string {
	if res.Customer != nil {
		return res.Customer.Name
	}
	return res.Place
}

func priceText(res *parser.Result) string {
	if res.Price == nil {
		return ""
	}
	if res.PerPiece {
		if p := casePrice(res); p != res.Price {
			return fmt.Sprintf("%s元/%s（合%s元/箱）", res.Price, pieceUnit(res), p)
		}
		return res.Price.String() + "元/" + pieceUnit(res)
	}
	if len(res.Items) > 0 && !carries(res, parser.CarriesBrand) && !priceUnitAsked(res) {
		return res.Price.String() + "元/箱"
	}
	return res.Price.String() + "元"
}

// priceUnitAsked reports whether the price's unit is being asked about.
func priceUnitAsked(res *parser.Result) bool {
	for _, p := range res.Problems {
		if p.Code == parser.ProblemPriceUnit {
			return true
		}
	}
	return false
}

func pieceUnit(res *parser.Result) string {
	if len(res.Items) > 0 && res.Items[0].Product.PackUnit != "" {
		return res.Items[0].Product.PackUnit
	}
	return "瓶"
}

// dateText writes a day as reps say it: 11月24日（周二）.
func dateText(d *parser.Date) string {
	wd := []string{"日", "一", "二", "三", "四", "五", "六"}[d.In(time.UTC).Weekday()]
	return fmt.Sprintf("%d月%d日（周%s）", d.Month, d.Day, wd)
}

// carries reports whether the kind of report res is may carry c.
func carries(res *parser.Result, c parser.Carries) bool {
	k, _ := parser.KindOf(res.Intent)
	return k.Carries&c != 0
}

// receiptText echoes what was recorded as a report of kind k, with the record
// number; told says the sender's manager is being told.
func receiptText(id int64, k parser.Kind, res *parser.Result, floor *models.Product, told bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s已记录 #%d", k.Title, id)
	switch {
	case res.Brand != "":
		fmt.Fprintf(&b, " · %s", res.Brand)
		if w := where(res); w != "" {
			fmt.Fprintf(&b, " @ %s", w)
		}
	case where(res) != "" && res.Intent != parser.IntentPlan:
		fmt.Fprintf(&b, " · %s", where(res))
	}
	if res.Intent == parser.IntentPlan {
		names := []string{res.Customer.Name}
		for _, cu := range res.Customers {
			names = append(names, cu.Name)
		}
		fmt.Fprintf(&b, "\n%s 拜访 %s", dateText(res.Date), strings.Join(names, "、"))
	}
	for _, it := range res.Items {
		b.WriteString("\n" + it.Product.Name)
		if it.HasQty {
			b.WriteString(" " + it.Product.FormatQty(it.Pieces))
		}
	}
	if p := priceText(res); p != "" {
		b.WriteString("\n价格 " + p)
	}
	if res.Date != nil && res.Intent != parser.IntentPlan {
		fmt.Fprintf(&b, "\n%s %s", cmp.Or(k.DateLabel, "日期"), dateText(res.Date))
	}
	if res.Note != "" {
		b.WriteString("\n备注：" + res.Note)
	}
	switch {
	case floor != nil:
		fmt.Fprintf(&b, "\n⚠️ 低于%s限价 %s元/箱，是乱价", floor.Name, floor.FloorPrice)
		if told {
			b.WriteString("，已报给经理")
		}
		b.WriteString("。")
	case res.Intent == parser.IntentCrossRegion:
		if told {
			b.WriteString("\n已报给经理，")
		} else {
			b.WriteString("\n")
		}
		b.WriteString("有照片请补发。")
	case res.Intent == parser.IntentVisit:
		b.WriteString("\n今天接下来不写客户的上报都记在这家，到别家报数或发位置就换过去。")
	}
	return b.String()
}

// alertText is what the manager is told at once.
func alertText(id int64, res *parser.Result, floor *models.Product, rep *models.User) string {
	var b strings.Builder
	if floor != nil {
		fmt.Fprintf(&b, "⚠️ 乱价：%s %s %s，低于限价 %s元/箱", where(res), floor.Name, priceText(res), floor.FloorPrice)
	} else {
		b.WriteString("🚨 冲货：" + where(res))
		for _, it := range res.Items {
			b.WriteString(" " + it.Product.Name)
		}
		if p := priceText(res); p != "" {
			b.WriteString(" " + p)
		}
	}
	if res.Note != "" {
		b.WriteString("，" + res.Note)
	}
	fmt.Fprintf(&b, "\n%s 报告 #%d", rep.Name, id)
	return b.String()
}

// query answers "查 客户 [产品]" with the latest counts and the last visit.
func (t *turn) query(res *parser.Result) error {
	cu := res.Customer
	counts, err := t.bot.store.LatestCounts(t.ctx, cu.ID, t.in.At)
	if err != nil {
		return err
	}
	want := map[int64]bool{}
	for _, it := range res.Items {
		want[it.Product.ID] = true
	}
	var products []*models.Product
	for _, c := range counts {
		if p := t.cat.ProductByID(c.ProductID); p != nil && (len(want) == 0 || want[p.ID]) {
			products = append(products, p)
		}
	}
	results, err := t.assess(cu, products, nil, t.in.At, nil)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "🔎 %s（%s %s类）", cu.Name, cu.Region, cu.Tier)
	shown := 0
	for _, p := range products {
		r, ok := results[p.ID]
		if !ok {
			continue
		}
		shown++
		b.WriteString("\n" + queryLine(r, t.bot.loc))
	}
	if shown == 0 {
		b.WriteString("\n还没有盘点记录。")
	}
	v, err := t.bot.store.LastReportOfKind(t.ctx, cu.ID, models.KindVisit, t.in.At)
	switch {
	case err == nil:
		fmt.Fprintf(&b, "\n上次拜访 %s", v.ReportedAt.In(t.bot.loc).Format("1月2日"))
	case errors.Is(err, models.ErrNotFound):
		b.WriteString("\n还没有拜访记录。")
	default:
		return err
	}
	t.reply(b.String())
	return nil
}

// queryLine is one product of 查: the latest count with the 建议进货 it gave, and
// what arrived since.
func queryLine(r stock.Result, loc *time.Location) string {
	p := r.Product
	var b strings.Builder
	fmt.Fprintf(&b, "%s 本存 %s（%s盘点）", p.Name, p.FormatQty(r.Count.Pieces), r.Count.At.In(loc).Format("1月2日"))
	switch {
	case r.Suggest > 0:
		fmt.Fprintf(&b, " · 👉 建议进货 %d%s", r.Suggest, p.CaseUnit())
	case r.HasRate():
		b.WriteString(" · 不用进货")
	case r.Count.Pieces == 0:
		b.WriteString(" · 断货，数据不够算进货量")
	default:
		b.WriteString(" · 还算不出建议进货")
	}
	if r.Count.Pieces == 0 && r.Suggest > 0 {
		b.WriteString("（断货）")
	}
	if r.DeliveredSince > 0 {
		fmt.Fprintf(&b, " · 之后到货 %s", p.FormatQty(r.DeliveredSince))
	}
	return b.String()
}

// guessText asks whether near names meant what the bot read.
func guessText(res *parser.Result) string {
	var b strings.Builder
	for _, g := range res.Guesses {
		fmt.Fprintf(&b, "没认出「%s」，你是说 %s 吗？\n", g.Typed, g.Meant)
	}
	if got := understood(res); got != "" {
		b.WriteString("按这样理解：" + got + "\n")
	}
	b.WriteString("对的请回复「确认」，不对请回复「取消」后重发。")
	return b.String()
}

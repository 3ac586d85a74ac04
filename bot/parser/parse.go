// Package parser understands what reps type: it turns a message into an intent, a
// customer, items with quantities, a price, a date and a note, resolving names
// against an in-memory Catalog. It never touches the database. Each kind of report
// is declared once, in Kinds; the intents that report nothing, in Commands.
package parser

import (
	"strings"
	"time"

	"channelbot/models"
)

// Item is one product in a message, with its quantity in pieces when one was given.
type Item struct {
	Product *models.Product
	Pieces  int64
	HasQty  bool
}

// Problem codes: what a message lacks or what could not be understood.
const (
	ProblemCustomerMissing  = "customer_missing"      // no customer named
	ProblemCustomerUnknown  = "customer_unknown"      // Text names no customer
	ProblemItemsMissing     = "items_missing"         // a count or delivery with no products
	ProblemProductUnknown   = "product_unknown"       // Text looks like a product but is none
	ProblemQtyMissing       = "qty_missing"           // a product without a quantity
	ProblemQtyFraction      = "qty_fraction"          // not a whole number of pieces
	ProblemPriceMissing     = "price_missing"         // a price report without a price
	ProblemDateMissing      = "date_missing"          // a plan without a day
	ProblemStrayNumber      = "qty_without_product"   // a number no product claims
	ProblemDuplicateProduct = "duplicate_product"     // one product twice in a count
	ProblemPlaceMissing     = "place_missing"         // a cross-region report that says not where
	ProblemOnePrice         = "one_price_per_message" // several products with several prices
	ProblemNoteMissing      = "note_missing"          // a complaint, suggestion or promise that says nothing
	ProblemNegative         = "negative_number"       // -5: no quantity or price is negative
	ProblemTooLong          = "number_too_long"       // more digits than any count or price has
	ProblemUnitUnknown      = "unit_unknown"          // 2提 of a product that does not say how many pieces a 提 is
	ProblemPriceUnit        = "price_unit_unclear"    // a price neither near the case price nor near a piece's
)

// Problem is one thing Parse could not make sense of.
type Problem struct {
	Code    string
	Text    string          // the words concerned, as typed
	Product *models.Product // for quantity problems
	Suggest []string        // names it may mean, for unknown names
}

// Result is what a message says.
type Result struct {
	Intent Intent
	// Topic is the intent asked about, for help ("盘点怎么报").
	Topic Intent
	// Choice is the number answered to a numbered question.
	Choice int
	// Customer is the customer meant; nil when none was named or the name is ambiguous.
	Customer *models.Customer
	// Candidates lists the customers an ambiguous name could mean, in the sender's scope.
	Candidates []*models.Customer
	// CustomerText is the name as typed.
	CustomerText string
	// Customers are further customers a plan names (计划 明天 张老板 宏城).
	Customers []*models.Customer
	Items     []Item
	// Place is where, when it is not a customer (冲货 北郊); Brand a competitor's brand.
	Place, Brand string
	// PerPiece says Price is for one piece (3.5元一瓶), not one case.
	PerPiece bool
	// PieceGuessed says PerPiece was judged from the price (3.8 of a 40元 case is a
	// bottle's), not said.
	PieceGuessed bool
	// Guesses are names read as near catalog names; confirm before storing.
	Guesses  []Guess
	Price    *models.Money
	Date     *Date
	Note     string
	Problems []Problem

	priceSaid bool // the price said whether it is a case's or a piece's
}

// Complete reports whether the result can be stored as it is.
func (r *Result) Complete() bool { return len(r.Problems) == 0 }

// Parse reads text sent by sender (nil when unknown) at now, in now's location.
func (c *Catalog) Parse(text string, sender *models.User, now time.Time) *Result {
	var buf [24]token
	text = strings.TrimSpace(text)
	rs := normalize([]rune(text))
	toks := c.lex(rs, now, buf[:0])
	r := &Result{Intent: IntentUnknown}
	if len(toks) == 0 {
		return r
	}
	if c.answer(toks, rs, r) {
		return r
	}
	kw := c.intentOf(toks, rs, now, r)
	if r.Intent == IntentUnknown || r.Intent == IntentHelp || r.Intent == IntentUndo || r.Intent == IntentEdit {
		return r
	}
	if kw >= 0 {
		toks[kw].used = true
	}
	if r.Intent == IntentPlan {
		// 计划 明天 拜访 张老板: the visit is what a plan is; the word adds nothing.
		for i := range toks {
			if toks[i].kind == tkKeyword && c.values[toks[i].val].intent == IntentVisit {
				toks[i].used = true
			}
		}
	}
	if r.Intent == IntentStockCount {
		toks = c.dropInline(toks)
	}
	may, needs := carries(r.Intent)
	c.customer(toks, rs, sender, may, r)
	switch {
	case may&CarriesBrand != 0:
		r.Brand = c.firstText(toks, rs)
	case may&(CarriesPlace|CarriesCustomer) == CarriesPlace:
		if r.Customer == nil && len(r.Candidates) == 0 {
			r.Place = c.firstText(toks, rs)
		}
	}
	if may&CarriesItems != 0 {
		toks = c.items(toks, rs, may, r)
	} else {
		toks = c.mentions(toks, rs, may, r)
	}
	c.priceAndDate(toks, rs, may, r)
	if needs&CarriesPrice != 0 {
		c.morePrices(toks, r)
	}
	if may&CarriesProducts != 0 && may&CarriesBrand == 0 {
		judgePrice(r)
	}
	r.Note = note(toks, text, may&CarriesDate == 0)
	c.check(r, may, needs)
	return r
}

// answer recognizes a whole-message reply to a question: 确认, 取消 (said once or
// over again: 对对对), or a number.
func (c *Catalog) answer(toks []token, rs []rune, r *Result) bool {
	if len(toks) > 1 {
		for _, t := range toks {
			if t.kind != tkAnswer || c.values[t.val].intent != c.values[toks[0].val].intent {
				return false
			}
		}
		toks = toks[:1]
	}
	if len(toks) != 1 {
		return false
	}
	t := toks[0]
	switch t.kind {
	case tkAnswer:
		r.Intent = c.values[t.val].intent
		return true
	case tkNumber:
		if t.num.kind == numBare && t.num.val.scale == 0 && t.num.val.mant >= 1 && t.num.val.mant <= 99 {
			r.Intent, r.Choice = IntentChoice, int(t.num.val.mant)
			return true
		}
	}
	return false
}

// intentOf finds the message's keyword, or returns -1. A keyword counts where a
// report puts it:
//   - at the start, or after names and days only ("张老板 盘点", "明天 拜访 张老板");
//   - at the end of a report ("张老板 苹果汁 120 盘点"), unless glued to the words
//     before it: chit-chat that happens to end in a keyword ("今天下雨不去拜访了",
//     "张老板说下周要货", "今天不盘点了") is no report;
//   - 还剩/还有 anywhere, when a quantity follows ("张老板那里苹果汁还剩120箱").
//
// Words near a catalog name (宏成 for 宏城) count as names. Help words count anywhere
// (帮助一下, 盘点怎么报); a question mark only alone or after keywords (盘点？), as
// elsewhere it just ends a sentence. A visit after a day still to come is a plan
// (明天拜访张老板); after today or a past day it is a visit (昨天拜访了张老板).
func (c *Catalog) intentOf(toks []token, rs []rune, now time.Time, r *Result) int {
	found, help, qmark, allKeywords := -1, false, false, true
	last := len(toks) - 1
	for last > 0 && isQuestionMark(&toks[last], rs) {
		last--
	}
	lastQty := -1
	for i := range toks {
		if isQty(&toks[i]) {
			lastQty = i
		}
	}
	header := true // every token so far is a name, a day or a keyword
	for i := range toks {
		t := &toks[i]
		if t.kind != tkKeyword {
			allKeywords = false
			if header && found < 0 && t.kind != tkName && t.kind != tkDate && !(t.kind == tkText && c.nameLike(rs[t.start:t.end])) {
				header = false
			}
			continue
		}
		in := c.values[t.val].intent
		switch {
		case isQuestionMark(t, rs):
			qmark, t.used = true, true
		case in == IntentHelp:
			help = true
		case found >= 0:
		case in == intentStockInline:
			if lastQty > i {
				found = i
			}
		case header:
			found = i
		case i == last:
			p := &toks[i-1]
			glued := (p.kind == tkText || p.kind == tkAnswer) && !p.spaceAfter && p.end == t.start
			if !glued || p.kind == tkText && c.nameLike(rs[p.start:p.end]) {
				found = i
			}
		}
	}
	if help || qmark && allKeywords {
		r.Intent = IntentHelp
		if found >= 0 {
			r.Topic = c.values[toks[found].val].intent
			if r.Topic == intentStockInline || r.Topic == intentStock {
				r.Topic = IntentStockCount
			}
		}
		return found
	}
	if found < 0 {
		return -1
	}
	r.Intent = c.values[toks[found].val].intent
	switch r.Intent {
	case intentStockInline:
		r.Intent = IntentStockCount
	case intentStock:
		r.Intent = IntentQuery
		if lastQty >= 0 {
			r.Intent = IntentStockCount
		}
	case IntentVisit:
		today := dateOf(now)
		for _, t := range toks[:found] {
			if t.kind == tkDate && t.date.after(today) {
				r.Intent = IntentPlan
			}
		}
	}
	return found
}

// isQuestionMark reports whether t is a lone ? (？ once normalized).
func isQuestionMark(t *token, rs []rune) bool {
	return t.kind == tkKeyword && t.end-t.start == 1 && rs[t.start] == '?'
}

// nameLike reports whether words the vocabulary does not know are a slip away from
// a customer or product name.
func (c *Catalog) nameLike(s []rune) bool {
	return len(c.nearby(s, func(e *entry) bool { return len(e.customers) > 0 || len(e.products) > 0 })) > 0
}

// dropInline removes 还剩/还有 between products and their quantities.
func (c *Catalog) dropInline(toks []token) []token {
	out := toks[:0]
	for _, t := range toks {
		if t.kind != tkKeyword || c.values[t.val].intent != intentStockInline {
			out = append(out, t)
		}
	}
	return out
}

// customer picks the customer: the first name that names one, resolved in the
// sender's scope. Without one, the first unknown words before any product stand for
// the customer's name, read as a near name when the catalog has one. A plan may name
// more customers.
func (c *Catalog) customer(toks []token, rs []rune, sender *models.User, may Carries, r *Result) {
	for i := range toks {
		t := &toks[i]
		if t.kind != tkName || len(c.values[t.val].customers) == 0 {
			continue
		}
		if r.CustomerText != "" {
			if may&CarriesCustomers == 0 {
				break
			}
			t.used = true
			var more Result
			cands, end, guessed := c.glueCustomer(toks, i, rs)
			c.resolveCustomer(cands, sender, &more)
			if more.Customer != nil {
				r.Customers = append(r.Customers, more.Customer)
				if guessed {
					r.Guesses = append(r.Guesses, Guess{Typed: string(rs[t.start:end]), Meant: more.Customer.Name})
				}
			}
			continue
		}
		t.used = true
		cands, end, guessed := c.glueCustomer(toks, i, rs)
		r.CustomerText = string(rs[t.start:end])
		c.resolveCustomer(cands, sender, r)
		if guessed && r.Customer != nil {
			r.Guesses = append(r.Guesses, Guess{Typed: r.CustomerText, Meant: r.Customer.Name})
		}
	}
	if r.CustomerText != "" || may&CarriesCustomer == 0 {
		return
	}
	for i := range toks {
		t := &toks[i]
		if t.kind == tkName || t.kind == tkNumber {
			return
		}
		if t.kind != tkText {
			continue
		}
		t.used = true
		r.CustomerText = string(rs[t.start:t.end])
		if cands := c.fuzzyCustomers(rs[t.start:t.end]); len(cands) > 0 {
			c.resolveCustomer(cands, sender, r)
			if r.Customer != nil {
				r.Guesses = append(r.Guesses, Guess{Typed: r.CustomerText, Meant: r.Customer.Name})
			}
		}
		return
	}
}

// glueCustomer reads the customer name at toks[i] together with a character or two
// glued on after it, when the whole is near a customer's name: 王记二点 is 王记二店,
// not 王记 and 二点; 张记商茂 is 张记商贸. It returns the customers meant, where the
// name ends, and whether that is a guess.
func (c *Catalog) glueCustomer(toks []token, i int, rs []rune) ([]int32, int, bool) {
	t := &toks[i]
	cands := c.values[t.val].customers
	if i+1 >= len(toks) {
		return cands, t.end, false
	}
	nx := &toks[i+1]
	if nx.kind != tkText || nx.used || nx.start != t.end || nx.end-nx.start > 2 {
		return cands, t.end, false
	}
	fz := c.fuzzyCustomers(rs[t.start:nx.end])
	if len(fz) == 0 {
		return cands, t.end, false
	}
	nx.used = true
	if sameSet(fz, cands) {
		return cands, nx.end, false
	}
	return fz, nx.end, true
}

func sameSet(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for _, v := range a {
		if !contains(b, v) {
			return false
		}
	}
	return true
}

// resolveCustomer narrows candidates to the sender's own customers, then (for a
// manager) the team's, then everyone's; one left is the answer, several are a
// question. A rep's name that fits no customer of theirs and several of others' is
// asked about, not settled by team: another rep's shop is no likelier than a third's.
func (c *Catalog) resolveCustomer(cands []int32, sender *models.User, r *Result) {
	if len(cands) == 1 {
		r.Customer = &c.customers[cands[0]]
		return
	}
	levels := []func(*models.Customer) bool{}
	if sender != nil && sender.Role != models.RoleAdmin {
		levels = append(levels, func(cu *models.Customer) bool { return cu.OwnerID == sender.ID })
		team := ""
		if sender.Role == models.RoleManager {
			team = sender.ID
		}
		if team != "" {
			levels = append(levels, func(cu *models.Customer) bool {
				o := c.users[cu.OwnerID]
				return o != nil && (o.ManagerID == team || o.ID == team)
			})
		}
	}
	levels = append(levels, func(*models.Customer) bool { return true })
	for _, in := range levels {
		var hit []*models.Customer
		for _, i := range cands {
			if cu := &c.customers[i]; in(cu) {
				hit = append(hit, cu)
			}
		}
		switch {
		case len(hit) == 1:
			r.Customer = hit[0]
			return
		case len(hit) > 1:
			r.Candidates = hit
			return
		}
	}
}

// firstText takes the first unknown words left: a competitor's brand, a place.
func (c *Catalog) firstText(toks []token, rs []rune) string {
	for i := range toks {
		if t := &toks[i]; t.kind == tkText && !t.used {
			t.used = true
			return string(rs[t.start:t.end])
		}
	}
	return ""
}

// productOf returns the product a name token means, or nil.
func (c *Catalog) productOf(t *token) *models.Product {
	if t.used {
		return nil
	}
	if t.guess != nil {
		return t.guess
	}
	if t.kind != tkName {
		return nil
	}
	if ps := c.values[t.val].products; len(ps) > 0 {
		return &c.products[ps[0]]
	}
	return nil
}

func isQty(t *token) bool {
	return t.kind == tkNumber && !t.used && (t.num.kind == numBare || t.num.kind == numCases || t.num.kind == numPieces || t.num.kind == numUnit)
}

// glueProducts joins a product name with a character or two glued on into one word
// when the whole is near a product (苹果 之 → 苹果之); words with a short keyword or
// name glued on likewise (冰红 查 → 冰红查).
func (c *Catalog) glueProducts(toks []token, rs []rune) []token {
	out := toks[:0]
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if i+1 < len(toks) && !t.used {
			nx := toks[i+1]
			glued := !nx.used && nx.start == t.end && nx.end-nx.start <= 2
			switch {
			case !glued:
			case t.kind == tkName && nx.kind == tkText:
				glued = len(c.fuzzyProducts(rs[t.start:nx.end])) > 0
			case t.kind == tkText && (nx.kind == tkKeyword || nx.kind == tkName):
				glued = len(c.fuzzyProducts(rs[t.start:t.end])) == 0 && len(c.fuzzyProducts(rs[t.start:nx.end])) > 0
			default:
				glued = false
			}
			if glued {
				t.kind, t.end, t.spaceAfter = tkText, nx.end, nx.spaceAfter
				i++
			}
		}
		out = append(out, t)
	}
	return out
}

// guessProducts reads unknown words as the product they are one slip away from
// (苹果之 → 苹果汁), after gluing them (glueProducts). Words that could be several
// products become a problem that lists them.
func (c *Catalog) guessProducts(toks []token, rs []rune, r *Result) []token {
	toks = c.glueProducts(toks, rs)
	for i := range toks {
		t := &toks[i]
		if t.kind != tkText || t.used {
			continue
		}
		typed := rs[t.start:t.end]
		switch ps := c.fuzzyProducts(typed); len(ps) {
		case 0:
		case 1:
			t.guess = ps[0]
			r.Guesses = append(r.Guesses, Guess{Typed: string(typed), Meant: ps[0].Name})
		default:
			t.used = true
			pr := Problem{Code: ProblemProductUnknown, Text: string(typed)}
			for _, p := range ps {
				pr.Suggest = append(pr.Suggest, p.Name)
			}
			r.Problems = append(r.Problems, pr)
			if q := i + 1; q < len(toks) && isQty(&toks[q]) {
				toks[q].used = true
			}
		}
	}
	return toks
}

// items pairs products with quantities. A message puts quantities either after each
// product (苹果汁 120) or before it (120箱苹果汁); whichever comes first sets the order.
func (c *Catalog) items(toks []token, rs []rune, may Carries, r *Result) []token {
	toks = c.sizes(toks, rs, r)
	toks = c.guessProducts(toks, rs, r)
	// A quantity before the first product leads when it has a unit (120箱苹果汁) or,
	// bare, when the product follows it at once and no unknown words precede it
	// (120苹果汁; but 葡萄汁 120 苹果汁 30 is an unknown product and its count).
	qtyFirst := false
	for i := range toks {
		if c.productOf(&toks[i]) != nil {
			break
		}
		if isQty(&toks[i]) {
			next := i+1 < len(toks) && c.productOf(&toks[i+1]) != nil
			qtyFirst = next && (toks[i].num.kind != numBare || i == 0 || toks[i-1].kind != tkText || toks[i-1].used)
			break
		}
	}
	for i := range toks {
		t := &toks[i]
		p := c.productOf(t)
		if p == nil {
			continue
		}
		var q *token
		if qtyFirst {
			if i > 0 && isQty(&toks[i-1]) {
				q = &toks[i-1]
			}
		} else if i+1 < len(toks) && isQty(&toks[i+1]) {
			q = &toks[i+1]
		}
		if inRemark(toks, i, q != nil) {
			continue
		}
		t.used = true
		it := Item{Product: p}
		if q != nil {
			q.used = true
			typed := string(rs[q.start:q.end])
			if code := badNumber(q.num); code != "" {
				r.Problems = append(r.Problems, Problem{Code: code, Text: typed, Product: p})
				r.Items = append(r.Items, it)
				continue
			}
			if q.num.kind == numUnit {
				n, known := c.unitPieces(p, q.num.unit)
				if !known || q.num.val.scale != 0 {
					r.Problems = append(r.Problems, Problem{Code: ProblemUnitUnknown, Text: typed, Product: p})
					r.Items = append(r.Items, it)
					continue
				}
				it.Pieces, it.HasQty = q.num.val.mant*int64(n), true
				r.Items = append(r.Items, it)
				continue
			}
			pieces, ok := q.num.pieces(p.PackSize)
			if !ok {
				r.Problems = append(r.Problems, Problem{Code: ProblemQtyFraction, Text: typed, Product: p})
			}
			it.Pieces, it.HasQty = pieces, ok
		}
		r.Items = append(r.Items, it)
	}
	// A quantity no product claimed: the words next to it were meant as a product.
	for i := range toks {
		t := &toks[i]
		if !isQty(t) || may&CarriesDate != 0 && t.num.kind == numBare && len(r.Items) > 0 {
			continue
		}
		t.used = true
		j := i + 1
		if !qtyFirst {
			j = i - 1
		}
		if j >= 0 && j < len(toks) && toks[j].kind == tkText && !toks[j].used {
			toks[j].used = true
			r.Problems = append(r.Problems, Problem{Code: ProblemProductUnknown, Text: string(rs[toks[j].start:toks[j].end])})
			continue
		}
		r.Problems = append(r.Problems, Problem{Code: ProblemStrayNumber, Text: string(rs[t.start:t.end])})
	}
	// A size no product name took (苹果汁 30 小瓶装): which product it means is asked.
	for i := range toks {
		if t := &toks[i]; isSize(t, rs) {
			t.used = true
			r.Problems = append(r.Problems, Problem{Code: ProblemProductUnknown, Text: string(rs[t.start:t.end])})
		}
	}
	return toks
}

// inRemark reports whether the product name at toks[i] is part of a remark rather
// than an item: glued to words the vocabulary does not know (老板说水太贵, 红茶卖得慢)
// without a quantity of its own. A one-character alias (水) glued to such words is
// never an item, quantity or not: it needs a place of its own.
func inRemark(toks []token, i int, hasQty bool) bool {
	t := &toks[i]
	if t.guess != nil {
		return false
	}
	remark := func(o *token) bool { return o.kind == tkText && !o.used && o.guess == nil }
	glued := i > 0 && remark(&toks[i-1]) && toks[i-1].end == t.start && !toks[i-1].spaceAfter ||
		i+1 < len(toks) && remark(&toks[i+1]) && toks[i+1].start == t.end && !t.spaceAfter
	return glued && (!hasQty || t.end-t.start == 1)
}

// badNumber is the problem with a number no count or price may be: negative or
// too long; "" when there is none.
func badNumber(n number) string {
	switch {
	case n.negative:
		return ProblemNegative
	case n.tooLong:
		return ProblemTooLong
	}
	return ""
}

// mentions collects the products a message names without quantities. A report
// about products that names none may have mistyped one.
func (c *Catalog) mentions(toks []token, rs []rune, may Carries, r *Result) []token {
	add := func() {
		for i := range toks {
			if p := c.productOf(&toks[i]); p != nil && !(toks[i].end-toks[i].start == 1 && inRemark(toks, i, false)) {
				toks[i].used = true
				r.Items = append(r.Items, Item{Product: p})
			}
		}
	}
	if may&CarriesProducts == 0 {
		add()
		return toks
	}
	toks = c.sizes(toks, rs, r)
	toks = c.glueProducts(toks, rs)
	add()
	if len(r.Items) == 0 {
		toks = c.guessProducts(toks, rs, r)
		add()
	}
	if len(r.Items) == 0 && !hasProblem(r, ProblemProductUnknown) {
		// 价格 刘姐 葡萄汁 38: the words where the product goes name none.
		for i := range toks {
			if t := &toks[i]; t.kind == tkText && !t.used {
				t.used = true
				r.Problems = append(r.Problems, Problem{Code: ProblemProductUnknown, Text: string(rs[t.start:t.end])})
				break
			}
		}
	}
	return toks
}

// morePrices reports a report that needs a price naming several products and
// several prices, which one record cannot hold.
func (c *Catalog) morePrices(toks []token, r *Result) {
	if len(r.Items) < 2 {
		return
	}
	for _, t := range toks {
		if !t.used && t.kind == tkNumber && (t.num.kind == numPrice || t.num.kind == numBare) {
			r.Problems = append(r.Problems, Problem{Code: ProblemOnePrice})
			return
		}
	}
}

// priceAndDate takes the first price and the first day the message names.
func (c *Catalog) priceAndDate(toks []token, rs []rune, may Carries, r *Result) {
	for i := range toks {
		t := &toks[i]
		if t.used {
			continue
		}
		switch {
		case t.kind == tkDate && r.Date == nil:
			d := t.date
			r.Date, t.used = &d, true
		case t.kind == tkNumber && r.Price == nil &&
			(t.num.kind == numPrice || t.num.kind == numBare && may&CarriesPrice != 0):
			if code := badNumber(t.num); code != "" {
				t.used = true
				r.Problems = append(r.Problems, Problem{Code: code, Text: string(rs[t.start:t.end])})
				continue
			}
			if fen, ok := t.num.val.fen(); ok {
				m := models.Money(fen)
				r.Price, r.PerPiece, t.used = &m, t.num.perPiece, true
				r.priceSaid = t.num.perPiece || t.num.perCase
			}
		}
	}
}

// judgePrice decides whether a price that did not say its unit (价格 惠民 苹果汁 零售
// 3.8) is a case's or a piece's, by the product's case price (its floor price, else
// its factory price): near the case price it is a case's; near the case price over
// the pack size, a piece's. Anything else is asked about: a price read in the wrong
// unit would tell a manager of a violation no one saw.
func judgePrice(r *Result) {
	if r.Price == nil || r.priceSaid || r.PerPiece || len(r.Items) == 0 {
		return
	}
	p := r.Items[0].Product
	ref := p.FloorPrice
	if ref <= 0 {
		ref = p.FactoryPrice
	}
	if ref <= 0 {
		return // nothing to judge by: per case, as said
	}
	near := func(v, to float64) bool { return v >= to/2 && v <= to*2 }
	price, pack := float64(*r.Price), float64(max(p.PackSize, 1))
	switch {
	case near(price, float64(ref)):
		// a case's
	case pack > 1 && near(price, float64(ref)/pack):
		r.PerPiece, r.PieceGuessed = true, true
	default:
		r.Problems = append(r.Problems, Problem{Code: ProblemPriceUnit, Text: r.Price.String(), Product: p})
	}
}

// note is what the message says beyond the names, numbers and keywords it starts
// with: the rest of the text as typed, from the first word not taken.
//
// For a kind that carries no day, a day said just before the rest (进货 张老板 苹果汁
// 50 昨天到的) is part of it: the remark is "昨天到的". A day alone at the end is
// the report's day, not a remark.
func note(toks []token, text string, dayInNote bool) string {
	for k, t := range toks {
		if t.used {
			continue
		}
		if dayInNote && k > 0 && toks[k-1].kind == tkDate && k-1 > lastTaken(toks, k-1) {
			t = toks[k-1]
		}
		i := 0
		for off := range text {
			if i == t.start {
				return strings.TrimRight(strings.TrimSpace(text[off:]), "。.，,！!")
			}
			i++
		}
	}
	return ""
}

// lastTaken is the index of the last token before end that is used and no day, or -1.
func lastTaken(toks []token, end int) int {
	for k := end - 1; k >= 0; k-- {
		if toks[k].used && toks[k].kind != tkDate {
			return k
		}
	}
	return -1
}

// check lists what the message needs and lacks: needs is what its kind must say.
func (c *Catalog) check(r *Result, may, needs Carries) {
	// A query names a customer only when it asks about one, and one it names must exist.
	needsCustomer := needs&CarriesCustomer != 0 || r.Intent == IntentQuery && r.CustomerText != ""
	unresolved := r.Customer == nil && len(r.Candidates) == 0 && r.CustomerText != "" && len(r.Guesses) == 0
	switch {
	case unresolved && may&(CarriesCustomer|CarriesPlace) == CarriesCustomer|CarriesPlace:
		// 价格 北郊 苹果汁 38: a place, not a customer.
		r.Place, r.CustomerText = r.CustomerText, ""
	case unresolved && r.Note == "" && may&CarriesNote != 0:
		// 客诉 送货慢: what was said, without the customer.
		r.Note, r.CustomerText = r.CustomerText, ""
	}
	if r.Customer == nil && len(r.Candidates) == 0 && needsCustomer && r.Place == "" {
		if r.CustomerText != "" {
			r.Problems = append(r.Problems, Problem{Code: ProblemCustomerUnknown, Text: r.CustomerText})
		} else if r.Intent != IntentQuery {
			r.Problems = append(r.Problems, Problem{Code: ProblemCustomerMissing})
		}
	}
	if needs&(CarriesItems|CarriesProducts) != 0 && len(r.Items) == 0 && !hasProblem(r, ProblemProductUnknown) {
		r.Problems = append(r.Problems, Problem{Code: ProblemItemsMissing})
	}
	if needs&CarriesItems != 0 {
		for i, it := range r.Items {
			// Each repeat once: a long message repeating one product stays linear.
			for _, prev := range r.Items[:i] {
				if prev.Product == it.Product {
					r.Problems = append(r.Problems, Problem{Code: ProblemDuplicateProduct, Text: it.Product.Name, Product: it.Product})
					break
				}
			}
			if !it.HasQty && !hasProblemFor(r, it.Product) {
				r.Problems = append(r.Problems, Problem{Code: ProblemQtyMissing, Text: it.Product.Name, Product: it.Product})
			}
		}
	}
	if needs&CarriesNote != 0 && r.Note == "" && len(r.Items) == 0 && r.Brand == "" {
		r.Problems = append(r.Problems, Problem{Code: ProblemNoteMissing})
	}
	if needs&CarriesPlace != 0 && r.Customer == nil && len(r.Candidates) == 0 && r.Place == "" {
		r.Problems = append(r.Problems, Problem{Code: ProblemPlaceMissing})
	}
	if needs&CarriesPrice != 0 && r.Price == nil {
		r.Problems = append(r.Problems, Problem{Code: ProblemPriceMissing})
	}
	if needs&CarriesDate != 0 && r.Date == nil {
		r.Problems = append(r.Problems, Problem{Code: ProblemDateMissing})
	}
}

func hasProblem(r *Result, code string) bool {
	for _, p := range r.Problems {
		if p.Code == code {
			return true
		}
	}
	return false
}

func hasProblemFor(r *Result, p *models.Product) bool {
	for _, pr := range r.Problems {
		if pr.Product == p {
			return true
		}
	}
	return false
}

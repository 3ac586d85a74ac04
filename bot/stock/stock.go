// Package stock is the one stock engine. From one product's counts and deliveries at
// one customer it computes what a rep reads to the dealer (上存, 上进, 本存, 实销, 安全库存,
// 建议进货) and what the jobs warn about (days of cover, the warning level): the count
// reply, 查, the stock-out and stock-warning jobs, the visit lists and the digests
// all read it, so they never disagree.
//
// The method, in a rep's words (README.md, "How the bot computes 建议进货"):
//   - 实销 of a period = 上存 + 上进 − 本存. A period with a stock-out in it (a count of
//     0 at either end) is censored: the shop could have sold more, so its 实销 is
//     unknown, not zero. A period with 本存 above 上存 + 上进 is impossible.
//   - The daily rate is Σ 实销 ÷ Σ days over the customer's other periods (own
//     history). Without one, it is the median daily rate of the product at customers
//     of the same type (similar customers). Without that, there is no rate: the
//     engine says so and never says "no order needed" at zero stock.
//   - 安全库存 = daily rate × max(D × safety factor, D + lead days) where D is the
//     longer of the last period and the days from this count to the next visit:
//     the stock must last until the goods ordered at the next visit arrive, with the
//     product's safety margin. With one clean period and the next visit one period
//     away this is 实销 × safety factor (the seed's 30 → 45).
//   - 建议进货 = ⌈(安全库存 − 本存) ÷ pack⌉ cases when positive, else 不用进货.
//   - Later (the jobs), the stock is projected: 本存 + deliveries since − rate × whole
//     days since the count. A warning is due when the count's 建议进货 is still open
//     (nothing received since) or when the projected stock runs out before the next
//     visit plus the lead days. With no new data (no count, delivery or plan) the
//     warning of the next days repeats the count reply's amount exactly, and a count
//     whose reply said 不用进货 gets no warning before its next visit is due.
package stock

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"

	"channelbot/models"
)

// DefaultCycle is the days to the next visit assumed when it is not known.
const DefaultCycle = 14

// MaxCounts bounds how many counts per product and customer are read.
const MaxCounts = 8

// History is one product's counts at one customer, oldest first, and the goods it
// received in the same time, oldest first.
type History struct {
	CustomerID, ProductID int64
	Counts                []models.CountPoint
	Deliveries            []models.DeliveryPoint
}

// Group splits counts and deliveries, both ordered by customer, product and time,
// into histories: a merge, no lookups.
func Group(counts []models.CountPoint, deliveries []models.DeliveryPoint) []History {
	var out []History
	di := 0
	less := func(c1, p1, c2, p2 int64) bool { return c1 < c2 || c1 == c2 && p1 < p2 }
	for i := 0; i < len(counts); {
		c, p := counts[i].CustomerID, counts[i].ProductID
		k := i
		for k < len(counts) && counts[k].CustomerID == c && counts[k].ProductID == p {
			k++
		}
		for di < len(deliveries) && less(deliveries[di].CustomerID, deliveries[di].ProductID, c, p) {
			di++
		}
		dk := di
		for dk < len(deliveries) && deliveries[dk].CustomerID == c && deliveries[dk].ProductID == p {
			dk++
		}
		out = append(out, History{CustomerID: c, ProductID: p, Counts: counts[i:k], Deliveries: deliveries[di:dk]})
		i, di = k, dk
	}
	return out
}

// With returns h with a count just taken (not stored yet) appended.
func (h History) With(c models.CountPoint) History {
	h.Counts = append(slices.Clip(h.Counts), c)
	return h
}

// Source is where a daily rate comes from.
type Source int

// Sources of the daily rate.
const (
	SourceNone    Source = iota // not enough data
	SourceOwn                   // the customer's own uncensored periods
	SourceSimilar               // the product at customers of the same type
)

// Level is how bad a stock situation is; a higher level is worse.
type Level int

// Warning levels, in rising order.
const (
	LevelNone     Level = 0
	LevelLow      Level = 1 // under the safety stock, or runs out before the next visit plus lead time
	LevelCritical Level = 2 // runs out before goods ordered now can arrive, or sold out by now
	LevelOut      Level = 3 // counted zero, nothing received since: a stock-out now
)

// Reason says why a warning is due.
type Reason int

// Reasons for a warning.
const (
	ReasonNone      Reason = iota
	ReasonOut              // counted zero, nothing received since
	ReasonUnder            // the count was under the safety stock and nothing was received since
	ReasonSoldOut          // projected stock is zero by now
	ReasonLead             // projected cover is shorter than the lead time
	ReasonNextVisit        // projected cover is shorter than the days to the next visit plus the lead time
)

// Input is what the engine needs about one product at one customer.
type Input struct {
	History History         // the assessed count is the last one
	Product *models.Product // pack size and safety factor
	Now     time.Time       // when the assessment is read
	Loc     *time.Location  // the time zone days are counted in
	// NextVisit is the day of the next visit after the last count (its date in Loc
	// matters); zero when unknown: one period after the count, or DefaultCycle days
	// after a first count.
	NextVisit time.Time
	LeadDays  int
	// Similar is the product's daily rate (pieces) at similar customers; 0 for none.
	Similar float64
}

// Result is the engine's answer. Quantities are pieces unless named cases.
type Result struct {
	Product *models.Product
	Count   models.CountPoint // the assessed count: 本存 is Count.Pieces
	First   bool              // no earlier count of this product here
	Prev    int64             // 上存
	PrevAt  time.Time
	In      int64 // 上进: received between the previous count and this one
	// Sold is 实销 of the last period; meaningful when !First && !Impossible. When
	// Censored it is only a floor: the shop ran out in the period.
	Sold       int64
	Censored   bool
	Impossible bool // 本存 > 上存 + 上进: a delivery was probably not reported
	PeriodDays int  // days of the last period; 0 after a first count

	Rate    float64 // pieces a day
	Source  Source
	Periods int // own periods the rate is from

	NextVisit   time.Time // the day of the next visit, in Loc
	DaysToVisit int       // from the count's day to the next visit
	Farther     bool      // the next visit is further away than the last period
	LeadDays    int

	Safety  int64 // 安全库存; meaningful when Source != SourceNone
	Suggest int64 // 建议进货 in cases at the count; −1 when there is no rate

	// As of Now.
	DeliveredSince int64
	Stock          float64 // projected pieces now
	Cover          float64 // days the stock lasts; +Inf unknown
	DaysToVisitNow int     // from today to the next visit; 0 when due or overdue
	Level          Level
	Reason         Reason
	// Order is the order a warning asks for now, in cases; −1 unknown.
	Order int64
}

// HasRate reports whether there is a daily rate to compute with.
func (r Result) HasRate() bool { return r.Source != SourceNone && r.Rate > 0 }

// NeedsOrder reports whether the count's reply asks for goods: a suggested order, or a
// stock-out (with or without an amount).
func (r Result) NeedsOrder() bool { return r.Suggest > 0 || r.Count.Pieces == 0 }

// dayOf returns the day number of t in loc.
func dayOf(t time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Assess runs the engine on in. in.History must hold at least one count.
func Assess(in Input) Result {
	loc := in.Loc
	if loc == nil {
		loc = time.UTC
	}
	p := in.Product
	h := in.History
	n := len(h.Counts)
	r := Result{Product: p, Count: h.Counts[n-1], First: n == 1, Suggest: -1, Order: -1, Cover: math.Inf(1), LeadDays: in.LeadDays}

	// Own rate over uncensored, possible periods; the last period's numbers.
	var sold int64
	var days int
	di := 0
	for i := 1; i < n; i++ {
		start, end := h.Counts[i-1], h.Counts[i]
		var got int64
		for di < len(h.Deliveries) && !h.Deliveries[di].At.After(start.At) {
			di++
		}
		for di < len(h.Deliveries) && !h.Deliveries[di].At.After(end.At) {
			got += h.Deliveries[di].Pieces
			di++
		}
		cons := start.Pieces + got - end.Pieces
		d := dayOf(end.At, loc) - dayOf(start.At, loc)
		censored := start.Pieces == 0 || end.Pieces == 0
		if i == n-1 {
			r.Prev, r.PrevAt, r.In, r.Sold = start.Pieces, start.At, got, cons
			r.Censored, r.Impossible, r.PeriodDays = censored, cons < 0, d
		}
		if d <= 0 || censored || cons < 0 {
			continue
		}
		r.Periods++
		days += d
		sold += cons
	}
	switch {
	case days > 0:
		r.Rate, r.Source = float64(sold)/float64(days), SourceOwn
	case in.Similar > 0:
		r.Rate, r.Source = in.Similar, SourceSimilar
	}

	// The next visit, and the days the stock must last.
	countDay := dayOf(r.Count.At, loc)
	switch {
	case !in.NextVisit.IsZero():
		r.DaysToVisit = max(dayOf(in.NextVisit, loc)-countDay, 0)
	case r.PeriodDays > 0:
		r.DaysToVisit = r.PeriodDays
	default:
		r.DaysToVisit = DefaultCycle
	}
	r.NextVisit = time.Unix(int64(countDay+r.DaysToVisit)*86400, 0).UTC()
	r.NextVisit = time.Date(r.NextVisit.Year(), r.NextVisit.Month(), r.NextVisit.Day(), 0, 0, 0, 0, loc)
	r.Farther = r.PeriodDays > 0 && r.DaysToVisit > r.PeriodDays
	if r.HasRate() {
		r.Safety = safety(r.Rate, max(r.PeriodDays, r.DaysToVisit), r.DaysToVisit, in.LeadDays, p.SafetyFactor)
		r.Suggest = max(p.CeilCases(r.Safety-r.Count.Pieces), 0)
	}

	// As of now: deliveries since, the projected stock, the warning.
	for _, d := range h.Deliveries {
		if d.At.After(r.Count.At) && !d.At.After(in.Now) {
			r.DeliveredSince += d.Pieces
		}
	}
	today := dayOf(in.Now, loc)
	since := max(today-countDay, 0)
	r.DaysToVisitNow = max(countDay+r.DaysToVisit-today, 0)
	r.Stock = float64(r.Count.Pieces + r.DeliveredSince)
	if r.HasRate() {
		r.Stock = max(r.Stock-r.Rate*float64(since), 0)
		r.Cover = r.Stock / r.Rate
	}
	r.judge(in)
	return r
}

// safety is 安全库存 in whole pieces: rate × max(span × factor, toVisit + lead).
func safety(rate float64, span, toVisit, lead int, f models.Factor) int64 {
	days := max(float64(span)*float64(f)/float64(models.FactorOne), float64(toVisit+lead))
	return int64(math.Ceil(rate*days - 1e-9))
}

// judge sets the warning level, its reason and the order it asks for.
func (r *Result) judge(in Input) {
	lead := float64(in.LeadDays)
	switch {
	case r.Count.Pieces == 0 && r.DeliveredSince == 0:
		r.Level, r.Reason, r.Order, r.Cover = LevelOut, ReasonOut, r.Suggest, 0
		return
	case !r.HasRate():
		return
	case r.DeliveredSince == 0 && r.Suggest > 0:
		// What the count reply asked for has not arrived: the same amount.
		r.Level, r.Reason, r.Order = LevelLow, ReasonUnder, r.Suggest
		switch {
		case r.Stock <= 0:
			r.Level, r.Reason = LevelCritical, ReasonSoldOut
		case r.Cover < lead:
			r.Level, r.Reason = LevelCritical, ReasonLead
		}
		return
	case r.Stock <= 0:
		r.Level, r.Reason = LevelCritical, ReasonSoldOut
	case r.Cover < lead:
		r.Level, r.Reason = LevelCritical, ReasonLead
	case r.Cover < float64(r.DaysToVisitNow)+lead:
		r.Level, r.Reason = LevelLow, ReasonNextVisit
	default:
		return
	}
	// Ordered today: enough to last to the visit after, as at a count.
	target := safety(r.Rate, max(r.PeriodDays, r.DaysToVisitNow), r.DaysToVisitNow, in.LeadDays, r.Product.SafetyFactor)
	r.Order = max(r.Product.CeilCases(target-int64(math.Floor(r.Stock))), 1)
}

// SimilarRates returns the median daily rate of each product over customers of each
// type, from the customers' own uncensored periods: the fallback for a customer
// with no usable history of its own. typeOf gives a customer's type ("" to skip).
func SimilarRates(hs []History, typeOf func(customerID int64) string, loc *time.Location) map[SimilarKey]float64 {
	rates := map[SimilarKey][]float64{}
	for _, h := range hs {
		t := typeOf(h.CustomerID)
		if t == "" || len(h.Counts) < 2 {
			continue
		}
		r := Assess(Input{History: h, Product: &models.Product{PackSize: 1, SafetyFactor: models.FactorOne}, Now: h.Counts[len(h.Counts)-1].At, Loc: loc})
		if r.Source == SourceOwn && r.Rate > 0 {
			k := SimilarKey{Type: t, ProductID: h.ProductID}
			rates[k] = append(rates[k], r.Rate)
		}
	}
	out := make(map[SimilarKey]float64, len(rates))
	for k, v := range rates {
		slices.SortFunc(v, cmp.Compare[float64])
		if m := len(v); m%2 == 1 {
			out[k] = v[m/2]
		} else {
			out[k] = (v[m/2-1] + v[m/2]) / 2
		}
	}
	return out
}

// Load reads the histories of the customers and products f selects, with counts in
// [since, until] (the last MaxCounts of each) and the deliveries in the same time.
func Load(ctx context.Context, s *models.Store, since, until time.Time, f models.CountFilter) ([]History, error) {
	counts, err := s.CountHistory(ctx, since, until, MaxCounts, f)
	if err != nil {
		return nil, err
	}
	deliveries, err := s.DeliveryHistory(ctx, since, until, f)
	if err != nil {
		return nil, err
	}
	return Group(counts, deliveries), nil
}

// SimilarKey is a customer type and a product.
type SimilarKey struct {
	Type      string
	ProductID int64
}

package jobs

import (
	"fmt"
	"math"
	"time"

	"channelbot/models"
)

// The stock-out method of docs/domain.md (the one cStock, EWS and ILSGateway use):
// consumption in each period between two counts is start + deliveries − end; periods
// with a stock-out in them (demand censored) and impossible ones (end above start +
// deliveries) are dropped; the daily rate is Σ consumption ÷ Σ days, and with fewer
// than 2 periods or under 10 days of them there is not enough data to say more than
// "a count of zero is a stock-out now".
const (
	minPeriods     = 2
	minHistoryDays = 10
	// maxCounts bounds how many counts per product and customer are read.
	maxCounts = 8
)

// history is one product's counts at one customer, oldest first, and the goods it
// received in the same time.
type history struct {
	customer, product int64
	counts            []models.CountPoint
	deliveries        []models.DeliveryPoint
}

// histories groups counts and deliveries, both ordered by customer, product and
// time, by customer and product: a merge, no lookups.
func histories(counts []models.CountPoint, deliveries []models.DeliveryPoint) []history {
	var out []history
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
		out = append(out, history{customer: c, product: p, counts: counts[i:k], deliveries: deliveries[di:dk]})
		i, di = k, dk
	}
	return out
}

// Estimate is the stock analysis of one product at one customer.
type Estimate struct {
	Last           models.CountPoint
	DeliveredSince int64   // pieces received after the last count
	Periods        int     // periods between counts that were used
	Dropped        int     // periods dropped: with a stock-out (censored) or impossible
	Days           float64 // days the used periods cover
	Rate           float64 // pieces sold a day
	Enough         bool    // at least minPeriods periods and minHistoryDays days
	Stock          float64 // pieces now: at the last count, plus deliveries, less sales since
	// LastSold is the last period's 实销 (上存 + 上进 − 本存), as the count reply
	// showed it; HasLastSold is false after a first count or an impossible one.
	LastSold    int64
	HasLastSold bool
}

// estimate analyses h as of now.
func estimate(h history, now time.Time) Estimate {
	n := len(h.counts)
	e := Estimate{Last: h.counts[n-1]}
	var sold int64
	di := 0
	for i := 1; i < n; i++ {
		start, end := h.counts[i-1], h.counts[i]
		var got int64
		for di < len(h.deliveries) && !h.deliveries[di].At.After(start.At) {
			di++
		}
		for di < len(h.deliveries) && !h.deliveries[di].At.After(end.At) {
			got += h.deliveries[di].Pieces
			di++
		}
		cons := start.Pieces + got - end.Pieces
		if i == n-1 && cons >= 0 {
			e.LastSold, e.HasLastSold = cons, true
		}
		days := end.At.Sub(start.At).Hours() / 24
		switch {
		case days <= 0:
			continue
		case start.Pieces == 0 || end.Pieces == 0 || cons < 0:
			e.Dropped++
			continue
		}
		e.Periods++
		e.Days += days
		sold += cons
	}
	for _, d := range h.deliveries {
		if d.At.After(e.Last.At) && !d.At.After(now) {
			e.DeliveredSince += d.Pieces
		}
	}
	e.Enough = e.Periods >= minPeriods && e.Days >= minHistoryDays
	if e.Days > 0 {
		e.Rate = float64(sold) / e.Days
	}
	e.Stock = float64(e.Last.Pieces + e.DeliveredSince)
	if e.Enough {
		since := max(now.Sub(e.Last.At).Hours()/24, 0)
		e.Stock = max(e.Stock-e.Rate*since, 0)
	}
	return e
}

// Cover is how many days the stock lasts at the daily rate; +Inf when nothing sells
// or there is not enough data.
func (e Estimate) Cover() float64 {
	if !e.Enough || e.Rate <= 0 {
		return math.Inf(1)
	}
	return e.Stock / e.Rate
}

// Warning levels, in rising order: a level above the one last sent is worse.
const (
	levelLow      = 1 // runs out before the next visit plus lead time, or counted under safety stock
	levelCritical = 2 // runs out before goods ordered now can arrive, or sold out by now
	levelOut      = 3 // counted zero, nothing received since: a stock-out now
)

// stockAlert is one warning: which customer and product, how bad, the days of
// cover, the suggested order and why.
type stockAlert struct {
	Customer *models.Customer
	Product  *models.Product
	Est      Estimate
	Level    int
	Cover    float64 // days; +Inf unknown
	Suggest  int64   // cases; −1 unknown
	Why      string
}

// judge applies the warning rules to an estimate. nextVisit is the day of the
// customer's next visit (planned or by cadence; today when overdue).
func (j *Jobs) judge(e Estimate, cu *models.Customer, p *models.Product, today, nextVisit Day) (stockAlert, bool) {
	a := stockAlert{Customer: cu, Product: p, Est: e, Cover: e.Cover(), Suggest: -1}
	cad, _ := ParseCadence(cu.VisitDays)
	lead := j.cfg.LeadDays
	toVisit := max(int(nextVisit-today), 0)
	need := float64(toVisit + lead)
	safety := e.Rate * float64(cad.CycleDays()) * float64(p.SafetyFactor) / float64(models.FactorOne)
	if e.Enough && e.Rate > 0 {
		target := max(safety, e.Rate*need)
		a.Suggest = p.CeilCases(int64(math.Ceil(target - e.Stock)))
	}
	countedOn := DayOf(e.Last.At, j.loc).Short()
	rate := num(e.Rate/float64(pack(p))) + unitOf(p)
	switch {
	case e.Last.Pieces == 0 && e.DeliveredSince == 0:
		a.Level, a.Why, a.Cover = levelOut, countedOn+"盘点为0，之后没到货", 0
		if a.Suggest < 0 && e.HasLastSold {
			a.Suggest = p.CeilCases(models.ScalePieces(e.LastSold, p.SafetyFactor))
		}
	case !e.Enough || e.Rate <= 0:
		return a, false
	case e.Stock <= 0:
		a.Level = levelCritical
		a.Why = fmt.Sprintf("按日均%s估算已卖完（%s盘点%s", rate, countedOn, p.FormatQty(e.Last.Pieces))
		if e.DeliveredSince > 0 {
			a.Why += "，之后到货" + p.FormatQty(e.DeliveredSince)
		}
		a.Why += "）"
	case a.Cover < float64(lead):
		a.Level = levelCritical
		a.Why = fmt.Sprintf("只够卖%s天（日均%s），不够到货要的%d天", num(a.Cover), rate, lead)
	case a.Cover < need:
		a.Level = levelLow
		a.Why = fmt.Sprintf("只够卖%s天（日均%s），撑不到下次拜访%s再加到货%d天", num(a.Cover), rate, nextVisit.Short(), lead)
	case e.HasLastSold && e.DeliveredSince == 0 && e.Last.Pieces < models.ScalePieces(e.LastSold, p.SafetyFactor):
		// What the count reply said: 本存 under 安全库存 (实销 × factor), and the
		// order it suggested has not arrived.
		a.Level = levelLow
		a.Why = fmt.Sprintf("%s盘点%s，低于安全库存%s，之后没到货", countedOn, p.FormatQty(e.Last.Pieces),
			p.FormatQty(models.ScalePieces(e.LastSold, p.SafetyFactor)))
	default:
		return a, false
	}
	if a.Suggest == 0 {
		a.Suggest = 1 // a warning always asks for something
	}
	return a, true
}

func pack(p *models.Product) int64 {
	if p.PackSize < 1 {
		return 1
	}
	return int64(p.PackSize)
}

func unitOf(p *models.Product) string {
	if p.Unit == "" {
		return "箱"
	}
	return p.Unit
}

// lastCountSuggestion is what the count reply said about the last count: the
// suggested order in cases (安全库存 − 本存), ok false after a first count.
func lastCountSuggestion(e Estimate, p *models.Product) (cases int64, ok bool) {
	if !e.HasLastSold {
		return 0, false
	}
	need := models.ScalePieces(e.LastSold, p.SafetyFactor) - e.Last.Pieces
	return p.CeilCases(need), true
}

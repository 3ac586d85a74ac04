package jobs

import (
	"context"
	"fmt"
	"time"

	"channelbot/bot"
	"channelbot/bot/stock"
	"channelbot/models"
)

// The jobs read stock through the one engine in bot/stock, as the count reply and 查
// do: the same rate, the same next visit, the same 安全库存 and 建议进货.

var _ bot.VisitPlanner = (*Jobs)(nil)

// NextVisit returns the day (its start in the bot's time zone) of a customer's next
// visit after a visit at at: the earlier of its due day by cadence and its next plan
// after that day. The bot's count reply and 查 call it; the jobs compute the same day
// with nextVisits, taking the last count as a visit.
func (j *Jobs) NextVisit(ctx context.Context, cu *models.Customer, at time.Time) (time.Time, error) {
	day := DayOf(at, j.loc) + 1
	plans, err := j.store.FindReports(ctx, models.ReportFilter{Kinds: []models.ReportKind{models.KindPlan}, OnFrom: day.String()})
	if err != nil {
		return time.Time{}, err
	}
	return j.visitAfter(cu, at, plansByCustomer(plans)[cu.ID]).Start(j.loc), nil
}

// visitAfter returns the day of cu's next visit after a visit at at: its due day
// by cadence (defaultCycle days on without one), or an earlier planned day after
// at's day. It is not moved to today when overdue: the count reply said that day.
func (j *Jobs) visitAfter(cu *models.Customer, at time.Time, plans []Day) Day {
	d := DayOf(at, j.loc) + 1
	next := d + defaultCycle
	if r, ok := j.rhythmOf(cu, at, true, d); ok {
		next = max(r.Due, d)
	}
	for _, on := range plans {
		if on >= d && on < next {
			next = on
		}
	}
	return next
}

// plansByCustomer returns the planned days of each customer.
func plansByCustomer(plans []models.ReportWithItems) map[int64][]Day {
	out := map[int64][]Day{}
	for _, p := range plans {
		if p.OnDate == nil {
			continue
		}
		on, err := ParseDay(*p.OnDate)
		if err != nil {
			continue
		}
		for _, id := range planCustomers(p) {
			out[id] = append(out[id], on)
		}
	}
	return out
}

// stockPlans reads the plans the stock engine needs, by customer: those from the
// history window on.
func (j *Jobs) stockPlans(ctx context.Context, now time.Time) (map[int64][]Day, error) {
	from := DayOf(now, j.loc) - Day(j.cfg.HistoryDays)
	plans, err := j.store.FindReports(ctx, models.ReportFilter{Kinds: []models.ReportKind{models.KindPlan}, OnFrom: from.String()})
	if err != nil {
		return nil, err
	}
	return plansByCustomer(plans), nil
}

// assess runs the engine on each history as of now, with the next visit after its
// last count (as the count reply saw it); plans are the planned days by customer,
// similar the fallback rates by customer type and product.
func (j *Jobs) assess(hs []stock.History, items catalogIndex, plans map[int64][]Day, similar map[stock.SimilarKey]float64, now time.Time) []stock.Result {
	out := make([]stock.Result, 0, len(hs))
	for _, h := range hs {
		cu, p := items.customers[h.CustomerID], items.products[h.ProductID]
		if cu == nil || p == nil || len(h.Counts) == 0 {
			continue
		}
		in := stock.Input{History: h, Product: p, Now: now, Loc: j.loc, LeadDays: j.cfg.LeadDays,
			Similar: similar[stock.SimilarKey{Type: cu.Type, ProductID: p.ID}]}
		in.NextVisit = j.visitAfter(cu, h.Counts[len(h.Counts)-1].At, plans[cu.ID]).Start(j.loc)
		out = append(out, stock.Assess(in))
	}
	return out
}

// similarRates returns the fallback rates from hs, by customer type and product.
func (j *Jobs) similarRates(hs []stock.History, items catalogIndex) map[stock.SimilarKey]float64 {
	return stock.SimilarRates(hs, func(id int64) string {
		if cu := items.customers[id]; cu != nil {
			return cu.Type
		}
		return ""
	}, j.loc)
}

// stockAlert is one warning: which customer and product, how bad, the days of
// cover, the suggested order and why.
type stockAlert struct {
	Customer *models.Customer
	Product  *models.Product
	Res      stock.Result
	Level    int
	Cover    float64 // days; +Inf unknown
	Suggest  int64   // cases; −1 unknown
	Why      string
}

// Warning levels, in rising order: a level above the one last sent is worse.
const (
	levelLow      = int(stock.LevelLow)
	levelCritical = int(stock.LevelCritical)
	levelOut      = int(stock.LevelOut)
)

// alertOf turns an engine result into a warning; ok is false when none is due.
func (j *Jobs) alertOf(r stock.Result, cu *models.Customer) (stockAlert, bool) {
	p := r.Product
	a := stockAlert{Customer: cu, Product: p, Res: r, Level: int(r.Level), Cover: r.Cover, Suggest: r.Order}
	countedOn := DayOf(r.Count.At, j.loc).Short()
	rate := num(r.Rate/float64(p.PerCase())) + p.CaseUnit()
	switch r.Reason {
	case stock.ReasonNone:
		return a, false
	case stock.ReasonOut:
		a.Why = countedOn + "盘点为0，之后没到货"
		if a.Suggest < 0 {
			a.Why += "；数据不够算进货量，请按经验补货"
		}
	case stock.ReasonUnder:
		a.Why = fmt.Sprintf("%s盘点%s，低于安全库存%s，之后没到货", countedOn, p.FormatQty(r.Count.Pieces), p.FormatQty(r.Safety))
	case stock.ReasonSoldOut:
		a.Why = fmt.Sprintf("按日均%s估算已卖完（%s盘点%s", rate, countedOn, p.FormatQty(r.Count.Pieces))
		if r.DeliveredSince > 0 {
			a.Why += "，之后到货" + p.FormatQty(r.DeliveredSince)
		}
		a.Why += "）"
	case stock.ReasonLead:
		a.Why = fmt.Sprintf("只够卖%s天（日均%s），不够到货要的%d天", num(r.Cover), rate, j.cfg.LeadDays)
	case stock.ReasonNextVisit:
		a.Why = fmt.Sprintf("只够卖%s天（日均%s），撑不到下次拜访%s再加到货%d天", num(r.Cover), rate, DayOf(r.NextVisit, j.loc).Short(), j.cfg.LeadDays)
	}
	if r.Source == stock.SourceSimilar {
		a.Why += "（按同类客户日均估算）"
	}
	return a, true
}

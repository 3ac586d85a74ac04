package jobs

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"channelbot/bot/stock"
	"channelbot/models"
)

// Warning kinds in the warnings table.
const (
	warnStock   = "stock"   // a product at a customer: levelLow … levelOut
	warnExpiry  = "expiry"  // near-expiry goods at a customer
	warnOverdue = "overdue" // a customer overdue by more than a cycle; level: cycles missed
)

// VisitReminders tells each rep the visits of the day (run at 08:30 on working days):
// the ones planned (计划), the customers due by their cadence, and the overdue ones
// with how many days late, overdue first, then by tier. For each: the last visit,
// the last count with its suggested order, open promises (made within
// JOBS_HISTORY_DAYS), near-expiry goods and unacknowledged price policies (when
// Policies is set); then the rep's promises falling due elsewhere. Customers overdue by more than a full cycle are
// also reported to the owner's manager, again only when new, worse, or unresolved
// for JOBS_REPEAT_DAYS.
func (j *Jobs) VisitReminders(ctx context.Context, now time.Time) error {
	today := DayOf(now, j.loc)
	cat, err := j.store.LoadCatalog(ctx)
	if err != nil {
		return err
	}
	last, err := j.store.LastVisits(ctx, now)
	if err != nil {
		return err
	}
	plans, err := j.store.FindReports(ctx, models.ReportFilter{Kinds: []models.ReportKind{models.KindPlan}, OnFrom: today.String(), OnTo: today.String()})
	if err != nil {
		return err
	}
	since := now.AddDate(0, 0, -j.cfg.HistoryDays)
	promises, err := j.store.FindReports(ctx, models.ReportFilter{Kinds: []models.ReportKind{models.KindPromise}, Open: true, From: since})
	if err != nil {
		return err
	}
	expiring, err := j.store.FindReports(ctx, models.ReportFilter{Kinds: []models.ReportKind{models.KindNearExpiry}, Open: true, OnFrom: today.String()})
	if err != nil {
		return err
	}
	hist, err := stock.Load(ctx, j.store, since, now, models.CountFilter{})
	if err != nil {
		return err
	}
	stockPlans, err := j.stockPlans(ctx, now)
	if err != nil {
		return err
	}
	overdue, err := j.store.OpenWarnings(ctx, []string{warnOverdue}, nil)
	if err != nil {
		return err
	}

	users, items := indexUsers(cat), indexCatalog(cat)
	lists := j.visitLists(cat, last, plans, today)
	todayStart := today.Start(j.loc)
	var listed []int64
	for _, l := range lists {
		for _, s := range l {
			listed = append(listed, s.Customer.ID)
		}
	}
	slices.Sort(listed)
	listed = slices.Compact(listed)
	var policies map[int64][]string
	if j.Policies != nil {
		if policies, err = j.Policies.Unacknowledged(ctx, listed, now); err != nil {
			return fmt.Errorf("jobs: price policies: %w", err)
		}
	}

	// What to say about each customer, whoever's list it is on.
	counted := map[int64][]stock.Result{}
	for _, r := range j.assess(hist, items, stockPlans, j.similarRates(hist, items), now) {
		counted[r.Count.CustomerID] = append(counted[r.Count.CustomerID], r)
	}
	promisesTo, promisesBy := map[int64][]models.ReportWithItems{}, map[string][]models.ReportWithItems{}
	for _, p := range promises {
		if p.CustomerID != nil {
			promisesTo[*p.CustomerID] = append(promisesTo[*p.CustomerID], p)
		}
		promisesBy[p.UserID] = append(promisesBy[p.UserID], p)
	}
	expiringAt := map[int64][]models.ReportWithItems{}
	for _, r := range expiring {
		if r.CustomerID != nil {
			expiringAt[*r.CustomerID] = append(expiringAt[*r.CustomerID], r)
		}
	}

	e := j.emitter(ctx, NameVisitReminders, today)
	ids := make([]string, 0, len(lists))
	for id := range lists {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		u := users.byID[id]
		if u == nil || !u.Role.CanReport() {
			continue
		}
		var list []*stop
		for _, s := range lists[id] {
			// Visited today already (a run after the day began): done.
			if !s.Visited || s.Last.Before(todayStart) {
				list = append(list, s)
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "**📅 今日拜访 %s · %d家**", today.Label(), len(list))
		for i, s := range list {
			b.WriteString("\n\n")
			j.writeStop(&b, i+1, s, today, counted[s.Customer.ID], promisesTo[s.Customer.ID], expiringAt[s.Customer.ID], policies[s.Customer.ID], items)
		}
		// Promises falling due that are not about a customer on the list.
		onList := map[int64]bool{}
		for _, s := range list {
			onList[s.Customer.ID] = true
		}
		var due []string
		for _, p := range promisesBy[id] {
			if p.OnDate == nil || *p.OnDate > today.String() || p.CustomerID != nil && onList[*p.CustomerID] {
				continue
			}
			due = append(due, promiseLine(p, today, items, true))
		}
		if len(list) == 0 && len(due) == 0 {
			continue
		}
		if len(due) > 0 {
			b.WriteString("\n\n**🤝 到期的承诺**\n" + strings.Join(due, "\n"))
		}
		e.send(u, "list", shortLines(b.String()))
		if err := e.maybeFlush(ctx); err != nil {
			return err
		}
	}
	if err := j.escalate(ctx, e, lists, overdue, users, now); err != nil {
		return err
	}
	return e.done(ctx, "lists", len(ids))
}

// writeStop writes one customer of a visit list: a title line, then one short
// line for each thing to know there.
func (j *Jobs) writeStop(b *strings.Builder, n int, s *stop, today Day, est []stock.Result, promises, expiring []models.ReportWithItems, policies []string, items catalogIndex) {
	cu := s.Customer
	fmt.Fprintf(b, "%d. **%s**", n, cu.Name)
	if cu.Tier != "" {
		fmt.Fprintf(b, "（%s类）", cu.Tier)
	}
	var tags []string
	if late := s.late(); late > 0 {
		tags = append(tags, fmt.Sprintf("⏰逾期%d天", late))
	} else if s.Due {
		tags = append(tags, "📌今天该去")
	}
	if s.Planned {
		tags = append(tags, "🗓计划")
	}
	b.WriteString(" " + strings.Join(tags, " "))
	if s.Visited {
		fmt.Fprintf(b, "\n上次拜访 %s（%d天前）", DayOf(s.Last, j.loc).Short(), int(today-DayOf(s.Last, j.loc)))
	} else {
		b.WriteString("\n还没拜访过")
	}
	b.WriteString("\n" + j.countLine(est))
	for _, p := range promises {
		b.WriteString("\n🤝 " + promiseLine(p, today, items, false))
	}
	for _, r := range expiring {
		b.WriteString("\n⏳ " + expiryLine(r, items))
	}
	if len(policies) > 0 {
		b.WriteString("\n📢 价格政策未确认")
		for _, p := range policies {
			b.WriteString("\n" + p)
		}
	}
}

// countLine is the last count at a customer with its suggested orders, on one
// line, or two when there is something to order.
func (j *Jobs) countLine(est []stock.Result) string {
	if len(est) == 0 {
		return "还没盘点过"
	}
	var lastAt time.Time
	for _, e := range est {
		if e.Count.At.After(lastAt) {
			lastAt = e.Count.At
		}
	}
	type sug struct {
		name  string
		cases int64
	}
	var sugs []sug
	unknown := 0
	for _, e := range est {
		p := e.Product
		switch c := e.Suggest; {
		case c < 0 && e.Count.Pieces == 0:
			sugs = append(sugs, sug{p.Name + " 断货（按经验补）", 1 << 30})
		case c < 0:
			unknown++
		case c > 0:
			sugs = append(sugs, sug{p.Name + " " + fmt.Sprint(c) + p.CaseUnit(), c})
		}
	}
	slices.SortStableFunc(sugs, func(a, b sug) int { return cmp.Compare(b.cases, a.cases) })
	line := "上次盘点 " + DayOf(lastAt, j.loc).Short()
	switch {
	case len(sugs) > 0:
		names := make([]string, len(sugs))
		for i, s := range sugs {
			names[i] = s.name
		}
		return line + "\n👉 建议进货 " + capList(names, 3, "、")
	case unknown == len(est):
		return line + "\n还算不出建议进货"
	}
	return line + "：不用进货"
}

// promiseLine writes an open promise: to whom (when withCustomer), what, and
// when it falls due: 张记商贸：换货 · 已过期3天.
func promiseLine(p models.ReportWithItems, today Day, items catalogIndex, withCustomer bool) string {
	s := p.Note
	if s == "" {
		s = "（没写内容）"
	}
	if name := items.customerName(p.CustomerID); name != "" && withCustomer {
		s = name + "：" + s
	}
	if p.OnDate == nil {
		return s
	}
	due, err := ParseDay(*p.OnDate)
	switch {
	case err != nil:
		return s
	case due < today:
		return fmt.Sprintf("%s · 已过期%d天", s, int(today-due))
	case due == today:
		return s + " · 今天到期"
	}
	return fmt.Sprintf("%s · %s到期", s, due.Short())
}

// expiryLine writes near-expiry goods: products, quantities, the expiry day.
func expiryLine(r models.ReportWithItems, items catalogIndex) string {
	var goods []string
	for _, it := range r.Items {
		p := items.products[ptrOr(it.ProductID)]
		if p == nil {
			continue
		}
		g := p.Name
		if it.Pieces != nil {
			g += " " + p.FormatQty(*it.Pieces)
		}
		goods = append(goods, g)
	}
	s := "即期 " + strings.Join(goods, "、")
	if r.OnDate != nil {
		if d, err := ParseDay(*r.OnDate); err == nil {
			s += " " + d.Short() + "到期"
		}
	}
	return s
}

func ptrOr(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// escalate reports customers overdue by more than a full cycle to the owner's
// manager, when new, worse (another cycle missed) or unresolved for the repeat
// days, and resolves the overdue warnings of customers back on track.
func (j *Jobs) escalate(ctx context.Context, e *emitter, lists map[string][]*stop, open []models.Warning, users userIndex, now time.Time) error {
	openBy := map[int64]models.Warning{}
	for _, w := range open {
		openBy[w.CustomerID] = w
	}
	type entry struct {
		s   *stop
		rep *models.User
	}
	byManager := map[string][]entry{}
	still := map[int64]bool{}
	for _, l := range lists {
		for _, s := range l {
			if !s.Due || !s.Rhythm.Escalate || still[s.Customer.ID] {
				continue
			}
			still[s.Customer.ID] = true
			level := s.Rhythm.missedCycles()
			w, had := openBy[s.Customer.ID]
			if had && !j.repeat(w, level, e.key, now) {
				continue
			}
			rep := users.byID[s.Customer.OwnerID]
			m := users.managerOf(s.Customer, "")
			if m == nil {
				continue
			}
			byManager[m.ID] = append(byManager[m.ID], entry{s, rep})
			e.warn(models.Warning{CustomerID: s.Customer.ID, Kind: warnOverdue, Level: level, FirstSeen: w.FirstSeen})
		}
	}
	for _, w := range open {
		if !still[w.CustomerID] {
			e.resolve(w.ID)
		}
	}
	ids := make([]string, 0, len(byManager))
	for id := range byManager {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		list := byManager[id]
		slices.SortFunc(list, func(a, b entry) int {
			return cmp.Or(cmp.Compare(b.s.late(), a.s.late()), cmp.Compare(a.s.Customer.Code, b.s.Customer.Code))
		})
		var b strings.Builder
		fmt.Fprintf(&b, "**⏰ 超过一个周期没拜访 · %d家**", len(list))
		for _, x := range list {
			who := x.s.Customer.OwnerID
			if x.rep != nil {
				who = x.rep.Name
			}
			fmt.Fprintf(&b, "\n%s 逾期%d天（周期%d天） · %s", x.s.Customer.Name, x.s.late(), x.s.Rhythm.Cycle, who)
		}
		e.send(users.byID[id], "overdue", shortLines(b.String()))
	}
	return e.maybeFlush(ctx)
}

// repeat reports whether a warning that is open, last sent as w, is said again now
// at level: when worse, when unresolved for the repeat days, or when this run sent it
// before (a resumed run says again what it said; the message keys drop repeats).
func (j *Jobs) repeat(w models.Warning, level int, key string, now time.Time) bool {
	return level > w.Level || w.LastJob == key || now.Sub(w.LastSent) >= time.Duration(j.cfg.RepeatDays)*24*time.Hour-time.Hour
}

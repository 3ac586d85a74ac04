package jobs

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"channelbot/bot/parser"
	"channelbot/models"
)

// capItems is how many items of one kind of exception a digest lists.
const capItems = 5

// exceptionKinds are the kinds of report digests list among the exceptions, in
// the order of their sections.
var exceptionKinds = func() []parser.Kind {
	var out []parser.Kind
	for _, k := range parser.Kinds {
		if k.Digest.Label != "" {
			out = append(out, k)
		}
	}
	return out
}()

// exceptionKind returns the index in exceptionKinds of the kind a report is
// stored as, or -1 when digests do not list it or r is not flagged as they need.
func exceptionKind(r models.ReportWithItems) int {
	for i, k := range exceptionKinds {
		if k.Stored == r.Kind {
			if k.Digest.Flagged && !r.Flagged {
				return -1
			}
			return i
		}
	}
	return -1
}

// exceptionStored lists the stored kinds of exceptionKinds, after more.
func exceptionStored(more ...models.ReportKind) []models.ReportKind {
	for _, k := range exceptionKinds {
		more = append(more, k.Stored)
	}
	return more
}

// exceptionLine is a digest's line for a report of a kind that digest d describes:
// where, then what d shows of it.
func exceptionLine(d parser.Digest, r models.ReportWithItems, where string, items catalogIndex) string {
	s := where
	if d.Shows&parser.CarriesProducts != 0 {
		s = strings.TrimSpace(s + " " + firstProduct(r, items))
	}
	if d.Shows&parser.CarriesPrice != 0 && r.Price != nil {
		s += " " + r.Price.String() + "元/箱"
	}
	if d.Shows&parser.CarriesNote != 0 {
		s = strings.TrimSpace(s + "：" + r.Note)
	}
	return s
}

// repDay is one rep's day in numbers.
type repDay struct {
	user      *models.User
	reported  bool
	visited   map[int64]bool // customers visited
	planned   int            // customers on the morning's visit list
	done      int            // of those, visited today (by the rep or a colleague: not missed)
	extra     int            // customers visited that were not on the list
	counts    int64
	orders    float64  // cases
	delivered float64  // cases
	missed    []string // customers missed and why: "好又多 逾期7天"
	missedN   int
}

// DailyDigest sends each manager the day of their team (18:30 on working days):
// exceptions first — who reported nothing (谁没报), stock-outs (the day's zero
// counts the stock engine says are still out, with its 建议进货), price violations
// (乱价), cross-region goods (冲货), complaints, visits missed against plan and
// cadence, promises overdue — then per rep the visits done against the morning's
// list, counts, and orders and deliveries in cases, with the team total.
func (j *Jobs) DailyDigest(ctx context.Context, now time.Time) error {
	today := DayOf(now, j.loc)
	from, to := today.Start(j.loc), (today + 1).Start(j.loc)
	cat, err := j.store.LoadCatalog(ctx)
	if err != nil {
		return err
	}
	// The morning's lists: visits made before today.
	lastBefore, err := j.store.LastVisits(ctx, from.Add(-time.Microsecond))
	if err != nil {
		return err
	}
	plans, err := j.store.FindReports(ctx, models.ReportFilter{Kinds: []models.ReportKind{models.KindPlan}, OnFrom: today.String(), OnTo: today.String()})
	if err != nil {
		return err
	}
	reports, err := j.store.FindReports(ctx, models.ReportFilter{From: from, To: to, Kinds: exceptionStored()})
	if err != nil {
		return err
	}
	visits, err := j.store.Visits(ctx, from, to, j.loc)
	if err != nil {
		return err
	}
	promises, err := j.store.FindReports(ctx, models.ReportFilter{Kinds: []models.ReportKind{models.KindPromise}, Open: true,
		OnTo: (today - 1).String(), From: now.AddDate(0, 0, -j.cfg.HistoryDays)})
	if err != nil {
		return err
	}
	zero, err := j.store.ZeroCounts(ctx, from, now, models.CountFilter{})
	if err != nil {
		return err
	}
	outs, err := j.outsOf(ctx, cat, indexCatalog(cat), zero, now)
	if err != nil {
		return err
	}
	kinds, err := j.store.KindCounts(ctx, from, to)
	if err != nil {
		return err
	}
	ordered, err := j.store.OrderedPieces(ctx, from, to)
	if err != nil {
		return err
	}
	delivered, err := j.store.DeliveredPieces(ctx, from, to)
	if err != nil {
		return err
	}
	open, err := j.store.OpenPolicies(ctx)
	if err != nil {
		return err
	}
	var policyLines []string
	for _, p := range open {
		policyLines = append(policyLines, fmt.Sprintf("#%d %s（%d家未确认）", p.ID, p.Text, p.Missing))
	}

	users, items := indexUsers(cat), indexCatalog(cat)
	lists := j.visitLists(cat, lastBefore, plans, today)
	visited := map[int64]bool{}
	days := map[string]*repDay{}
	rd := func(id string) *repDay {
		d := days[id]
		if d == nil {
			d = &repDay{user: users.byID[id], visited: map[int64]bool{}}
			days[id] = d
		}
		return d
	}
	for _, v := range visits {
		visited[v.CustomerID] = true
		rd(v.UserID).visited[v.CustomerID] = true
	}
	for _, k := range kinds {
		d := rd(k.UserID)
		d.reported = true
		if k.Kind == models.KindStockCount {
			d.counts += k.Reports
		}
	}
	for _, o := range ordered {
		if p := items.products[o.ProductID]; p != nil {
			rd(o.UserID).orders += p.Cases(o.Pieces)
		}
	}
	for _, o := range delivered {
		if p := items.products[o.ProductID]; p != nil {
			rd(o.UserID).delivered += p.Cases(o.Pieces)
		}
	}
	for id, d := range days {
		onList := map[int64]bool{}
		for _, s := range lists[id] {
			onList[s.Customer.ID] = true
		}
		for c := range d.visited {
			if !onList[c] {
				d.extra++
			}
		}
	}
	for id, list := range lists {
		d := rd(id)
		d.planned = len(list)
		for _, s := range list {
			if visited[s.Customer.ID] {
				d.done++
				continue
			}
			d.missedN++
			switch late := s.late(); {
			case late > 0:
				d.missed = append(d.missed, fmt.Sprintf("%s 逾期%d天", s.Customer.Name, late))
			case s.Planned:
				d.missed = append(d.missed, s.Customer.Name+" 计划内")
			default:
				d.missed = append(d.missed, s.Customer.Name+" 今天到期")
			}
		}
	}

	e := j.emitter(ctx, NameDailyDigest, today)
	for _, m := range managers(cat) {
		team := reportingTeam(users, m.ID)
		if len(team) == 0 {
			continue
		}
		in := map[string]bool{}
		for _, u := range team {
			in[u.ID] = true
		}
		var ex []string // sections of exceptions: a title line, then one line per item
		section := func(label string, list []string) {
			if len(list) > 0 {
				ex = append(ex, fmt.Sprintf("%s %d", label, len(list))+"\n"+capList(list, capItems, "\n"))
			}
		}
		var silent []string
		for _, u := range team {
			if d := days[u.ID]; u.Role == models.RoleRep && (d == nil || !d.reported) {
				silent = append(silent, u.Name)
			}
		}
		if len(silent) > 0 {
			ex = append(ex, fmt.Sprintf("🔇 没报 %d人：%s", len(silent), strings.Join(silent, "、")))
		}
		var outLines []string
		for _, o := range outs {
			cu := o.a.Customer
			if !in[cu.OwnerID] && !in[o.z.UserID] {
				continue
			}
			outLines = append(outLines, outLine(o.a)+" · "+nameOf(users, o.z.UserID))
		}
		section("🔴 断货", outLines)
		listed := make([][]string, len(exceptionKinds))
		for _, r := range reports {
			i := exceptionKind(r)
			if i < 0 || !in[r.UserID] {
				continue
			}
			where := items.customerName(r.CustomerID)
			if where == "" {
				where = r.Place
			}
			line := exceptionLine(exceptionKinds[i].Digest, r, where, items)
			listed[i] = append(listed[i], line+" · "+nameOf(users, r.UserID))
		}
		for i, k := range exceptionKinds {
			section(k.Digest.Label, listed[i])
		}
		var missed []string
		byMissed := slices.Clone(team)
		slices.SortStableFunc(byMissed, func(a, b *models.User) int { return cmp.Compare(missedOf(days[b.ID]), missedOf(days[a.ID])) })
		for _, u := range byMissed {
			if d := days[u.ID]; d != nil {
				for _, c := range d.missed {
					missed = append(missed, c+" · "+u.Name)
				}
			}
		}
		if len(missed) > 0 {
			ex = append(ex, fmt.Sprintf("🚶 漏拜访 %d家\n%s", len(missed), capList(missed, capItems, "\n")))
		}
		var late []string
		for _, p := range promises {
			if in[p.UserID] {
				late = append(late, promiseLine(p, today, items, true)+" · "+nameOf(users, p.UserID))
			}
		}
		section("🤝 承诺逾期", late)

		var b strings.Builder
		fmt.Fprintf(&b, "**📊 日报 %s**\n%s组 %d人", today.Label(), m.Name, len(team))
		b.WriteString("\n\n**⚠️ 异常**\n")
		if len(ex) == 0 {
			b.WriteString("✅ 无")
		} else {
			b.WriteString(strings.Join(ex, "\n"))
		}
		b.WriteString("\n\n" + teamLines(team, days))
		if len(policyLines) > 0 {
			b.WriteString("\n\n**📢 政策未全部确认**\n" + capList(policyLines, capItems, "\n"))
		}
		e.send(m, "day", shortLines(b.String()))
		if err := e.maybeFlush(ctx); err != nil {
			return err
		}
	}
	return e.done(ctx)
}

// outLine is a stock-out in a digest: where, what, and the engine's 建议进货, as
// the stock-outs job said it: 张记商贸 苹果汁1L 👉进货12箱.
func outLine(a stockAlert) string {
	s := a.Customer.Name + " " + a.Product.Name
	if a.Suggest > 0 {
		return s + fmt.Sprintf(" 👉进货%d%s", a.Suggest, a.Product.CaseUnit())
	}
	return s + " 👉按经验补货"
}

func missedOf(d *repDay) int {
	if d == nil {
		return 0
	}
	return d.missedN
}

func firstProduct(r models.ReportWithItems, items catalogIndex) string {
	for _, it := range r.Items {
		if name := items.productName(it.ProductID); name != "" {
			return name
		}
	}
	return ""
}

// managers returns the catalog's managers, by ID.
func managers(cat *models.Catalog) []*models.User {
	var out []*models.User
	for i := range cat.Users {
		if cat.Users[i].Role == models.RoleManager {
			out = append(out, &cat.Users[i])
		}
	}
	slices.SortFunc(out, func(a, b *models.User) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// reportingTeam is the people who report to a manager and file reports, by ID.
func reportingTeam(users userIndex, managerID string) []*models.User {
	var out []*models.User
	for _, u := range users.teams[managerID] {
		if u.Role.CanReport() {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *models.User) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// teamLines is the per-rep lines of a daily digest, worst first, then the total:
// 李明 R01 ✅ 拜访3/4 · 盘点5 · 订货2.
func teamLines(team []*models.User, days map[string]*repDay) string {
	rows := make([]*repDay, 0, len(team))
	for _, u := range team {
		d := days[u.ID]
		if d == nil {
			d = &repDay{user: u, visited: map[int64]bool{}}
		}
		d.user = u
		rows = append(rows, d)
	}
	// Worst first: silent, then the most missed visits, then the fewest done.
	slices.SortStableFunc(rows, func(a, b *repDay) int {
		return cmp.Or(cmp.Compare(boolRank(a.reported), boolRank(b.reported)), cmp.Compare(b.missedN, a.missedN),
			cmp.Compare(len(a.visited), len(b.visited)), cmp.Compare(a.user.ID, b.user.ID))
	})
	var b strings.Builder
	b.WriteString("**👥 各人**（订货、到货按箱）")
	var total repDay
	for _, d := range rows {
		mark := "✅"
		switch {
		case !d.reported:
			mark = "🔇"
		case d.missedN > 0:
			mark = "⚠️"
		}
		b.WriteString("\n" + d.user.Name + " " + d.user.ID + " " + mark + " " + dayFigures(d))
		total.planned += d.planned
		total.done += d.done
		total.extra += d.extra
		total.counts += d.counts
		total.orders += d.orders
		total.delivered += d.delivered
	}
	b.WriteString("\n**合计 " + dayFigures(&total) + "**")
	return b.String()
}

// dayFigures is a day in numbers: the visits of the morning's list done of those
// due (拜访1/2), visits not on the list (计划外1), counts always, orders and
// deliveries when there were any. With nothing due, only the visits made are
// counted (计划外拜访1, 拜访0), never a ratio over zero.
func dayFigures(d *repDay) string {
	var parts []string
	switch {
	case d.planned == 0 && d.extra == 0:
		parts = append(parts, "拜访0")
	case d.planned == 0:
		parts = append(parts, fmt.Sprintf("计划外拜访%d", d.extra))
	case d.extra > 0:
		parts = append(parts, fmt.Sprintf("拜访%d/%d", d.done, d.planned), fmt.Sprintf("计划外%d", d.extra))
	default:
		parts = append(parts, fmt.Sprintf("拜访%d/%d", d.done, d.planned))
	}
	parts = append(parts, fmt.Sprintf("盘点%d", d.counts))
	if d.orders != 0 {
		parts = append(parts, "订货"+num(d.orders))
	}
	if d.delivered != 0 {
		parts = append(parts, "到货"+num(d.delivered))
	}
	return strings.Join(parts, " · ")
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// weekTotals is one rep's week in numbers.
type weekTotals struct {
	visits, counts     int64
	orders, deliveries float64
}

// WeeklyDigest sends each manager the past week (Monday to Sunday) of the team,
// compared with the week before: per rep visits, counts, orders and deliveries in
// cases with the change, and the price violations, cross-region reports and
// complaints of both weeks. It runs on the first working day of the week.
func (j *Jobs) WeeklyDigest(ctx context.Context, now time.Time) error {
	today := DayOf(now, j.loc)
	mon := today.Monday()
	thisFrom, thisTo, prevFrom := (mon - 7).Start(j.loc), mon.Start(j.loc), (mon - 14).Start(j.loc)
	cat, err := j.store.LoadCatalog(ctx)
	if err != nil {
		return err
	}
	load := func(from, to time.Time) (map[string]*weekTotals, error) {
		out := map[string]*weekTotals{}
		wt := func(id string) *weekTotals {
			if out[id] == nil {
				out[id] = &weekTotals{}
			}
			return out[id]
		}
		kinds, err := j.store.KindCounts(ctx, from, to)
		if err != nil {
			return nil, err
		}
		for _, k := range kinds {
			if k.Kind == models.KindStockCount {
				wt(k.UserID).counts += k.Reports
			}
		}
		visits, err := j.store.Visits(ctx, from, to, j.loc)
		if err != nil {
			return nil, err
		}
		for _, v := range visits {
			wt(v.UserID).visits++
		}
		ordered, err := j.store.OrderedPieces(ctx, from, to)
		if err != nil {
			return nil, err
		}
		delivered, err := j.store.DeliveredPieces(ctx, from, to)
		if err != nil {
			return nil, err
		}
		items := indexCatalog(cat)
		for _, o := range ordered {
			if p := items.products[o.ProductID]; p != nil {
				wt(o.UserID).orders += p.Cases(o.Pieces)
			}
		}
		for _, o := range delivered {
			if p := items.products[o.ProductID]; p != nil {
				wt(o.UserID).deliveries += p.Cases(o.Pieces)
			}
		}
		return out, nil
	}
	this, err := load(thisFrom, thisTo)
	if err != nil {
		return err
	}
	prev, err := load(prevFrom, thisFrom)
	if err != nil {
		return err
	}
	issues, err := j.store.FindReports(ctx, models.ReportFilter{From: prevFrom, To: thisTo, Kinds: exceptionStored()})
	if err != nil {
		return err
	}

	users := indexUsers(cat)
	e := j.emitter(ctx, NameWeeklyDigest, today)
	for _, m := range managers(cat) {
		team := reportingTeam(users, m.ID)
		if len(team) == 0 {
			continue
		}
		in := map[string]bool{}
		for _, u := range team {
			in[u.ID] = true
		}
		nowIssues, prevIssues := make([]int, len(exceptionKinds)), make([]int, len(exceptionKinds))
		for _, r := range issues {
			i := exceptionKind(r)
			if i < 0 || !in[r.UserID] {
				continue
			}
			if r.ReportedAt.Before(thisFrom) {
				prevIssues[i]++
			} else {
				nowIssues[i]++
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "**📊 周报 %s**\n%s组 %d人 · 前一周 %s", weekLabel(mon-7), m.Name, len(team), weekLabel(mon-14))
		b.WriteString("\n\n**⚠️ 异常** 上周／前一周")
		for i, k := range exceptionKinds {
			fmt.Fprintf(&b, "\n%s %d／%d", k.Digest.Label, nowIssues[i], prevIssues[i])
		}
		if fewer := fewerVisits(team, this, prev); len(fewer) > 0 {
			b.WriteString("\n📉 拜访比前一周少：" + strings.Join(fewer, "、"))
		}
		b.WriteString("\n\n" + weekLines(team, this, prev))
		e.send(m, "week", shortLines(b.String()))
		if err := e.maybeFlush(ctx); err != nil {
			return err
		}
	}
	return e.done(ctx)
}

// weekLines is the per-rep lines of a weekly digest, the fewest visits first, then
// the team's totals against the week before.
func weekLines(team []*models.User, this, prev map[string]*weekTotals) string {
	rows := slices.Clone(team)
	slices.SortStableFunc(rows, func(a, b *models.User) int {
		return cmp.Or(cmp.Compare(weekOf(this, a.ID).visits, weekOf(this, b.ID).visits), cmp.Compare(a.ID, b.ID))
	})
	var b strings.Builder
	b.WriteString("**👥 各人**（订货、到货按箱）")
	var tNow, tPrev weekTotals
	for _, u := range rows {
		n, p := weekOf(this, u.ID), weekOf(prev, u.ID)
		parts := []string{fmt.Sprintf("拜访%d", n.visits), fmt.Sprintf("盘点%d", n.counts)}
		if n.orders != 0 {
			parts = append(parts, "订货"+num(n.orders))
		}
		if n.deliveries != 0 {
			parts = append(parts, "到货"+num(n.deliveries))
		}
		b.WriteString("\n" + u.Name + " " + u.ID + " " + strings.Join(parts, " · "))
		tNow.visits, tNow.counts, tNow.orders, tNow.deliveries = tNow.visits+n.visits, tNow.counts+n.counts, tNow.orders+n.orders, tNow.deliveries+n.deliveries
		tPrev.visits, tPrev.counts, tPrev.orders, tPrev.deliveries = tPrev.visits+p.visits, tPrev.counts+p.counts, tPrev.orders+p.orders, tPrev.deliveries+p.deliveries
	}
	b.WriteString("\n\n**📈 合计** 上周（比前一周）")
	line := func(label string, n, p float64) {
		fmt.Fprintf(&b, "\n%s %s（%s）", label, num(n), signed(n-p))
	}
	line("拜访", float64(tNow.visits), float64(tPrev.visits))
	line("盘点", float64(tNow.counts), float64(tPrev.counts))
	line("订货", tNow.orders, tPrev.orders)
	line("到货", tNow.deliveries, tPrev.deliveries)
	return b.String()
}

// weekOf is a rep's week in m, zero when the rep reported nothing.
func weekOf(m map[string]*weekTotals, id string) weekTotals {
	if t := m[id]; t != nil {
		return *t
	}
	return weekTotals{}
}

// fewerVisits is the reps who made fewer visits than the week before, the biggest
// drop first: 赵强 −3.
func fewerVisits(team []*models.User, this, prev map[string]*weekTotals) []string {
	type drop struct {
		name string
		by   int64
	}
	var drops []drop
	for _, u := range team {
		if by := weekOf(prev, u.ID).visits - weekOf(this, u.ID).visits; by > 0 {
			drops = append(drops, drop{u.Name, by})
		}
	}
	slices.SortStableFunc(drops, func(a, b drop) int { return cmp.Compare(b.by, a.by) })
	out := make([]string, len(drops))
	for i, d := range drops {
		out[i] = d.name + " " + signed(float64(-d.by))
	}
	return out
}

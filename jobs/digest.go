package jobs

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
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
	counts    int64
	orders    float64 // cases
	delivered float64 // cases
	missed    []string
	missedN   int
}

// DailyDigest sends each manager the day of their team (18:30 on working days):
// exceptions first — who reported nothing (谁没报), stock-outs, price violations
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
	reports, err := j.store.FindReports(ctx, models.ReportFilter{From: from, To: to, Kinds: exceptionStored(slices.Clone(models.VisitKinds)...)})
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
	for _, r := range reports {
		if r.Kind.IsVisit() && r.CustomerID != nil {
			visited[*r.CustomerID] = true
			rd(r.UserID).visited[*r.CustomerID] = true
		}
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
	for id, list := range lists {
		d := rd(id)
		d.planned = len(list)
		for _, s := range list {
			if visited[s.Customer.ID] {
				continue
			}
			d.missedN++
			switch late := s.late(); {
			case late > 0:
				d.missed = append(d.missed, fmt.Sprintf("%s（逾期%d天）", s.Customer.Name, late))
			case s.Planned:
				d.missed = append(d.missed, s.Customer.Name+"（计划）")
			default:
				d.missed = append(d.missed, s.Customer.Name+"（到期）")
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
		var b strings.Builder
		fmt.Fprintf(&b, "**📊 日报 %s · %s组 %d人**", today.Label(), m.Name, len(team))
		var ex []string
		section := func(label string, list []string, sep string) {
			if len(list) > 0 {
				ex = append(ex, fmt.Sprintf("%s %d：%s", label, len(list), capList(list, capItems, sep)))
			}
		}
		var silent []string
		for _, u := range team {
			if d := days[u.ID]; u.Role == models.RoleRep && (d == nil || !d.reported) {
				silent = append(silent, u.Name)
			}
		}
		section("🔇 没报", silent, "、")
		var outs []string
		for _, z := range zero {
			cu := items.customers[z.CustomerID]
			if cu == nil || !in[cu.OwnerID] && !in[z.UserID] {
				continue
			}
			outs = append(outs, fmt.Sprintf("%s %s（%s）", cu.Name, items.productName(&z.ProductID), nameOf(users, z.UserID)))
		}
		section("🔴 断货", outs, "；")
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
			listed[i] = append(listed[i], line+"（"+nameOf(users, r.UserID)+"）")
		}
		for i, k := range exceptionKinds {
			section(k.Digest.Label, listed[i], "；")
		}
		var missed []string
		byMissed := slices.Clone(team)
		slices.SortStableFunc(byMissed, func(a, b *models.User) int { return cmp.Compare(missedOf(days[b.ID]), missedOf(days[a.ID])) })
		for _, u := range byMissed {
			if d := days[u.ID]; d != nil && d.missedN > 0 {
				missed = append(missed, u.Name+" "+capList(d.missed, 3, "、"))
			}
		}
		if n := countMissed(days, team); n > 0 {
			ex = append(ex, fmt.Sprintf("🚶 漏拜访 %d家：%s", n, capList(missed, capItems, "；")))
		}
		var late []string
		for _, p := range promises {
			if in[p.UserID] {
				late = append(late, promiseLine(p, today, items)+"（"+nameOf(users, p.UserID)+"）")
			}
		}
		section("🤝 承诺逾期", late, "；")
		b.WriteString("\n\n**⚠️ 异常**\n")
		if len(ex) == 0 {
			b.WriteString("✅ 无")
		} else {
			b.WriteString(strings.Join(ex, "\n"))
		}
		b.WriteString("\n\n" + teamTable(team, days))
		if len(policyLines) > 0 {
			b.WriteString("\n\n**📢 政策未全部确认**\n" + capList(policyLines, capItems, "\n"))
		}
		e.send(m, "day", b.String())
		if err := e.maybeFlush(ctx); err != nil {
			return err
		}
	}
	return e.done(ctx)
}

func missedOf(d *repDay) int {
	if d == nil {
		return 0
	}
	return d.missedN
}

func countMissed(days map[string]*repDay, team []*models.User) int {
	n := 0
	for _, u := range team {
		n += missedOf(days[u.ID])
	}
	return n
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

// teamTable is the per-rep lines of a daily digest, worst first, with the total.
func teamTable(team []*models.User, days map[string]*repDay) string {
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
	total := &repDay{user: &models.User{Name: "合计"}, visited: map[int64]bool{}}
	totalVisits := 0
	for _, d := range rows {
		totalVisits += len(d.visited)
		total.planned += d.planned
		total.counts += d.counts
		total.orders += d.orders
		total.delivered += d.delivered
	}
	all := append(rows, total)
	done, planned := make([]int, len(all)), make([]int, len(all))
	cells := make([][]string, len(all))
	for i, d := range all {
		done[i], planned[i] = len(d.visited), d.planned
		if d == total {
			done[i] = totalVisits
		}
		cells[i] = []string{strconv.FormatInt(d.counts, 10), num(d.orders), num(d.delivered)}
	}
	r := ratios(done, planned)
	cells = alignRight(cells)
	var b strings.Builder
	b.WriteString("**👥 各人** 拜访/应访 · 盘点 · 订货 · 到货（箱）")
	for i, d := range all {
		sep := figureSpace + figureSpace
		line := r[i] + sep + strings.Join(cells[i], sep) + sep + d.user.Name
		if d == total {
			line = "**" + line + "**"
		}
		b.WriteString("\n" + line)
	}
	return b.String()
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
			switch k.Kind {
			case models.KindVisit:
				wt(k.UserID).visits += k.Reports
			case models.KindStockCount:
				wt(k.UserID).counts += k.Reports
			}
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
		var b strings.Builder
		fmt.Fprintf(&b, "**📊 周报 %s–%s · %s组 %d人**", (mon - 7).Short(), (mon - 1).Short(), m.Name, len(team))
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
		b.WriteString("\n\n**⚠️ 异常**（上周）\n")
		for i, k := range exceptionKinds {
			if i > 0 {
				b.WriteString(" · ")
			}
			fmt.Fprintf(&b, "%s %d（%d）", k.Digest.Label, nowIssues[i], prevIssues[i])
		}
		b.WriteString("\n\n" + weekTable(team, this, prev))
		e.send(m, "week", b.String())
		if err := e.maybeFlush(ctx); err != nil {
			return err
		}
	}
	return e.done(ctx)
}

// weekTable is the per-rep lines of a weekly digest with the change from the week
// before, the fewest visits first, with the total.
func weekTable(team []*models.User, this, prev map[string]*weekTotals) string {
	get := func(m map[string]*weekTotals, id string) weekTotals {
		if t := m[id]; t != nil {
			return *t
		}
		return weekTotals{}
	}
	rows := slices.Clone(team)
	slices.SortStableFunc(rows, func(a, b *models.User) int {
		return cmp.Or(cmp.Compare(get(this, a.ID).visits, get(this, b.ID).visits), cmp.Compare(a.ID, b.ID))
	})
	var cells [][]string
	var names []string
	var tNow, tPrev weekTotals
	add := func(n, p weekTotals, name string) {
		cells = append(cells, []string{
			strconv.FormatInt(n.visits, 10), signed(float64(n.visits - p.visits)),
			strconv.FormatInt(n.counts, 10), signed(float64(n.counts - p.counts)),
			num(n.orders), signed(n.orders - p.orders),
			num(n.deliveries), signed(n.deliveries - p.deliveries),
		})
		names = append(names, name)
	}
	for _, u := range rows {
		n, p := get(this, u.ID), get(prev, u.ID)
		add(n, p, u.Name)
		tNow.visits, tNow.counts, tNow.orders, tNow.deliveries = tNow.visits+n.visits, tNow.counts+n.counts, tNow.orders+n.orders, tNow.deliveries+n.deliveries
		tPrev.visits, tPrev.counts, tPrev.orders, tPrev.deliveries = tPrev.visits+p.visits, tPrev.counts+p.counts, tPrev.orders+p.orders, tPrev.deliveries+p.deliveries
	}
	add(tNow, tPrev, "合计")
	cells = alignRight(cells)
	var b strings.Builder
	b.WriteString("**👥 本周 比上周** 拜访 · 盘点 · 订货 · 到货（箱）")
	for i, c := range cells {
		sep := figureSpace + figureSpace
		line := c[0] + figureSpace + c[1] + sep + c[2] + figureSpace + c[3] + sep + c[4] + figureSpace + c[5] + sep + c[6] + figureSpace + c[7] + sep + names[i]
		if i == len(cells)-1 {
			line = "**" + line + "**"
		}
		b.WriteString("\n" + line)
	}
	return b.String()
}

package jobs

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"channelbot/bot/stock"
	"channelbot/models"
)

var levelMarks = map[int]string{levelOut: "🔴", levelCritical: "🟠", levelLow: "🟡"}

// StockWarnings is the daily stock scan (10:00 on working days). For every product
// counted at every customer it estimates sales and the days of cover (see estimate)
// and warns the owner rep when the stock runs out before the next visit plus the
// delivery lead time, when it sold out by now, when the last count was under the
// safety stock with nothing received since, or when it was zero (a stock-out now,
// also to the manager). Near-expiry goods within JOBS_EXPIRY_DAYS of expiry are
// reminded to the owner rep. A warning is sent again only when it is new, worse, or
// still unresolved after JOBS_REPEAT_DAYS; warnings that no longer hold are resolved.
func (j *Jobs) StockWarnings(ctx context.Context, now time.Time) error {
	today := DayOf(now, j.loc)
	cat, err := j.store.LoadCatalog(ctx)
	if err != nil {
		return err
	}
	plans, err := j.stockPlans(ctx, now)
	if err != nil {
		return err
	}
	since := now.AddDate(0, 0, -j.cfg.HistoryDays)
	hist, err := stock.Load(ctx, j.store, since, now, models.CountFilter{})
	if err != nil {
		return err
	}
	expiring, err := j.store.FindReports(ctx, models.ReportFilter{Kinds: []models.ReportKind{models.KindNearExpiry}, Open: true,
		OnFrom: today.String(), OnTo: (today + Day(j.cfg.ExpiryDays)).String()})
	if err != nil {
		return err
	}
	open, err := j.store.OpenWarnings(ctx, []string{warnStock, warnExpiry}, nil)
	if err != nil {
		return err
	}

	users, items := indexUsers(cat), indexCatalog(cat)
	type wkey struct {
		c, p int64
		kind string
	}
	openBy := make(map[wkey]models.Warning, len(open))
	for _, w := range open {
		openBy[wkey{w.CustomerID, w.ProductID, w.Kind}] = w
	}
	e := j.emitter(ctx, NameStockWarnings, today)
	still := map[wkey]bool{}
	// Warnings due to be said, by recipient; recorded as sent only when shown.
	type due struct {
		a   stockAlert
		w   models.Warning
		got bool // shown to someone
	}
	var dues []*due
	toRep := map[string][]*due{}
	toManager := map[string][]*due{}
	for _, r := range j.assess(hist, items, plans, j.similarRates(hist, items), now) {
		cu, p := items.customers[r.Count.CustomerID], r.Product
		a, warn := j.alertOf(r, cu)
		if !warn {
			continue
		}
		k := wkey{cu.ID, p.ID, warnStock}
		still[k] = true
		w, had := openBy[k]
		if had && !j.repeat(w, a.Level, e.key, now) {
			continue
		}
		d := &due{a: a, w: models.Warning{CustomerID: cu.ID, ProductID: p.ID, Kind: warnStock, Level: a.Level, FirstSeen: w.FirstSeen}}
		dues = append(dues, d)
		if rep := users.ownerOf(cu, a.Res.Count.UserID); rep != nil {
			toRep[rep.ID] = append(toRep[rep.ID], d)
		}
		if a.Level == levelOut {
			if m := users.managerOf(cu, a.Res.Count.UserID); m != nil {
				toManager[m.ID] = append(toManager[m.ID], d)
			}
		}
	}
	// The worst first, and no more than a chat can take: the rest come the next day.
	shown := func(list []*due, n int) (top []stockAlert, more int) {
		slices.SortStableFunc(list, func(a, b *due) int { return compareAlerts(a.a, b.a) })
		for i, d := range list {
			if i == n {
				return top, len(list) - n
			}
			d.got = true
			top = append(top, d.a)
		}
		return top, 0
	}
	repAlerts, repMore := map[string][]stockAlert{}, map[string]int{}
	for id, list := range toRep {
		repAlerts[id], repMore[id] = shown(list, maxAlertsPerMessage)
	}
	managerAlerts, managerMore := map[string][]stockAlert{}, map[string]int{}
	for id, list := range toManager {
		managerAlerts[id], managerMore[id] = shown(list, maxAlertsPerMessage)
	}
	for _, d := range dues {
		if d.got {
			e.warn(d.w)
		}
	}
	expiries := map[string][]string{}
	for _, r := range expiring {
		cu := items.customers[ptrOr(r.CustomerID)]
		if cu == nil {
			continue
		}
		send := false
		for _, it := range r.Items {
			k := wkey{cu.ID, ptrOr(it.ProductID), warnExpiry}
			if still[k] {
				continue
			}
			still[k] = true
			w, had := openBy[k]
			if had && !j.repeat(w, 1, e.key, now) {
				continue
			}
			send = true
			e.warn(models.Warning{CustomerID: cu.ID, ProductID: k.p, Kind: warnExpiry, Level: 1, FirstSeen: w.FirstSeen})
		}
		if rep := users.ownerOf(cu, r.UserID); send && rep != nil {
			expiries[rep.ID] = append(expiries[rep.ID], cu.Name+" · "+strings.TrimPrefix(expiryLine(r, items), "即期 ")+j.daysLeft(r, today))
		}
	}
	for _, w := range open {
		if !still[wkey{w.CustomerID, w.ProductID, w.Kind}] {
			e.resolve(w.ID)
		}
	}

	for _, id := range union(idsOf(repAlerts), idsOf(expiries)) {
		u := users.byID[id]
		if u == nil {
			continue
		}
		alerts := repAlerts[id]
		var b strings.Builder
		if len(alerts) > 0 {
			fmt.Fprintf(&b, "**📦 库存预警 %s · %d条**", today.Label(), len(alerts)+repMore[id])
			for _, a := range alerts {
				b.WriteString("\n" + alertText(a, false, users))
			}
			if n := repMore[id]; n > 0 {
				fmt.Fprintf(&b, "\n…还有%d条较轻的，明天接着提醒", n)
			}
		}
		if x := expiries[id]; len(x) > 0 {
			if b.Len() > 0 {
				b.WriteString("\n\n")
			}
			fmt.Fprintf(&b, "**⏳ 即期提醒 · %d家**\n%s", len(x), strings.Join(x, "\n"))
		}
		e.send(u, "stock", b.String())
		if err := e.maybeFlush(ctx); err != nil {
			return err
		}
	}
	for _, id := range idsOf(managerAlerts) {
		alerts := managerAlerts[id]
		var b strings.Builder
		fmt.Fprintf(&b, "**🔴 断货 · %d个**", len(alerts)+managerMore[id])
		for _, a := range alerts {
			b.WriteString("\n" + alertText(a, true, users))
		}
		if n := managerMore[id]; n > 0 {
			fmt.Fprintf(&b, "\n…还有%d个，明天接着提醒", n)
		}
		e.send(users.byID[id], "stock-outs", b.String())
		if err := e.maybeFlush(ctx); err != nil {
			return err
		}
	}
	return e.done(ctx, "pairs", len(hist), "warnings", len(dues))
}

func (j *Jobs) daysLeft(r models.ReportWithItems, today Day) string {
	if r.OnDate == nil {
		return ""
	}
	d, err := ParseDay(*r.OnDate)
	if err != nil {
		return ""
	}
	if n := int(d - today); n > 0 {
		return fmt.Sprintf("（还有%d天）", n)
	}
	return "（今天到期）"
}

// maxAlertsPerMessage is how many stock warnings one message lists, the worst first.
const maxAlertsPerMessage = 20

// compareAlerts puts the worst first: higher level, then less cover.
func compareAlerts(a, b stockAlert) int {
	return cmp.Or(cmp.Compare(b.Level, a.Level), cmp.Compare(a.Cover, b.Cover),
		cmp.Compare(a.Customer.Code, b.Customer.Code), cmp.Compare(a.Product.Code, b.Product.Code))
}

// alertText is one warning in two short lines; forManager adds who counted.
func alertText(a stockAlert, forManager bool, users userIndex) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s **%s** · %s", levelMarks[a.Level], a.Customer.Name, a.Product.Name)
	switch {
	case a.Level == levelOut:
		b.WriteString(" 断货")
	case !math.IsInf(a.Cover, 1):
		fmt.Fprintf(&b, " 可售%s天", num(a.Cover))
	}
	b.WriteString("\n  " + a.Why)
	if a.Suggest > 0 {
		fmt.Fprintf(&b, " · 👉 建议进货 %d%s", a.Suggest, a.Product.CaseUnit())
	}
	if forManager {
		b.WriteString(" · " + nameOf(users, a.Customer.OwnerID))
	}
	return b.String()
}

// idsOf returns the keys of m, in order.
func idsOf[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// union merges two ordered lists of IDs.
func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// StockOuts tells the manager at once about counts of zero made in the last day that
// still stand (no later count, nothing received since) and were not reported before.
// It is cheap (an index of zero counts) and runs every minute; AfterCount does the
// same for one count as soon as it is saved.
func (j *Jobs) StockOuts(ctx context.Context, now time.Time) error {
	return j.stockOuts(ctx, now, now.Add(-24*time.Hour), models.CountFilter{})
}

// AfterCount tells the manager at once about the stock-outs in a count just saved:
// call it after a stock count of productIDs at customerID is stored. It is safe to
// call more than once, and from several replicas.
func (j *Jobs) AfterCount(ctx context.Context, customerID int64, productIDs []int64) error {
	now := j.store.Now()
	return j.stockOuts(ctx, now, now.Add(-time.Hour), models.CountFilter{CustomerIDs: []int64{customerID}, ProductIDs: productIDs})
}

func (j *Jobs) stockOuts(ctx context.Context, now, since time.Time, f models.CountFilter) error {
	zero, err := j.store.ZeroCounts(ctx, since, now, f)
	if err != nil || len(zero) == 0 {
		return err
	}
	var cids []int64
	for _, z := range zero {
		cids = append(cids, z.CustomerID)
	}
	slices.Sort(cids)
	cids = slices.Compact(cids)
	open, err := j.store.OpenWarnings(ctx, []string{warnStock}, cids)
	if err != nil {
		return err
	}
	told := map[[2]int64]bool{}
	for _, w := range open {
		if w.Level >= levelOut {
			told[[2]int64{w.CustomerID, w.ProductID}] = true
		}
	}
	var fresh []models.CountPoint
	for _, z := range zero {
		if !told[[2]int64{z.CustomerID, z.ProductID}] {
			fresh = append(fresh, z)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	cat, err := j.store.LoadCatalog(ctx)
	if err != nil {
		return err
	}
	items := indexCatalog(cat)
	outs, err := j.outsOf(ctx, cat, items, fresh, now)
	if err != nil {
		return err
	}
	users := indexUsers(cat)
	today := DayOf(now, j.loc)
	e := j.emitter(ctx, NameStockOuts, today)
	// One message per count report: its zero lines, to the owner's manager. The key
	// (customer and time of the count) is the same on every replica that sees it.
	type group struct {
		manager *models.User
		cu      *models.Customer
		z       models.CountPoint
		alerts  []stockAlert
	}
	groups := map[string]*group{}
	var keys []string
	for _, o := range outs {
		z, cu, p, a := o.z, o.a.Customer, o.a.Product, o.a
		e.warn(models.Warning{CustomerID: cu.ID, ProductID: p.ID, Kind: warnStock, Level: levelOut})
		m := users.managerOf(cu, z.UserID)
		if m == nil {
			continue
		}
		k := fmt.Sprintf("%s:%d-%d", m.ID, cu.ID, z.At.Unix())
		g := groups[k]
		if g == nil {
			g = &group{manager: m, cu: cu, z: z}
			groups[k] = g
			keys = append(keys, k)
		}
		g.alerts = append(g.alerts, a)
	}
	slices.Sort(keys)
	for _, k := range keys {
		g := groups[k]
		var b strings.Builder
		fmt.Fprintf(&b, "**🔴 断货 · %s**\n%s %s盘点为0：", g.cu.Name, nameOf(users, g.z.UserID), g.z.At.In(j.loc).Format("1月2日 15:04"))
		for _, a := range g.alerts {
			b.WriteString("\n" + a.Product.Name)
			if a.Suggest > 0 {
				fmt.Fprintf(&b, " · 👉 建议进货 %d%s", a.Suggest, a.Product.CaseUnit())
			} else {
				b.WriteString(" · 数据不够算进货量，请按经验补货")
			}
		}
		e.send(g.manager, strings.TrimPrefix(k, g.manager.ID+":"), b.String())
	}
	return e.done(ctx, "stock_outs", len(outs))
}

// stockOut is a stock-out now, as the engine sees it: a count of zero with
// nothing received since (stock.LevelOut), and its warning.
type stockOut struct {
	z models.CountPoint
	a stockAlert
}

// outsOf runs the stock engine on zero counts (from ZeroCounts) as of now, as the
// count reply saw them (the same next visit, the same fallback rates, the same
// suggested order), and returns those it says are out, in zero's order. The
// stock-outs job and the daily digest both list what it returns.
func (j *Jobs) outsOf(ctx context.Context, cat *models.Catalog, items catalogIndex, zero []models.CountPoint, now time.Time) ([]stockOut, error) {
	if len(zero) == 0 {
		return nil, nil
	}
	var cids, pids []int64
	for _, z := range zero {
		cids, pids = append(cids, z.CustomerID), append(pids, z.ProductID)
	}
	slices.Sort(cids)
	slices.Sort(pids)
	cids, pids = slices.Compact(cids), slices.Compact(pids)
	hsince := now.AddDate(0, 0, -j.cfg.HistoryDays)
	hist, err := stock.Load(ctx, j.store, hsince, now, models.CountFilter{CustomerIDs: cids, ProductIDs: pids})
	if err != nil {
		return nil, err
	}
	types := map[string]bool{}
	for _, id := range cids {
		if cu := items.customers[id]; cu != nil && cu.Type != "" {
			types[cu.Type] = true
		}
	}
	var peers []int64
	for i := range cat.Customers {
		if types[cat.Customers[i].Type] {
			peers = append(peers, cat.Customers[i].ID)
		}
	}
	similar := map[stock.SimilarKey]float64{}
	if len(peers) > 0 {
		ph, err := stock.Load(ctx, j.store, hsince, now, models.CountFilter{CustomerIDs: peers, ProductIDs: pids})
		if err != nil {
			return nil, err
		}
		similar = j.similarRates(ph, items)
	}
	plans, err := j.stockPlans(ctx, now)
	if err != nil {
		return nil, err
	}
	est := map[[2]int64]stock.Result{}
	for _, r := range j.assess(hist, items, plans, similar, now) {
		est[[2]int64{r.Count.CustomerID, r.Product.ID}] = r
	}
	var out []stockOut
	for _, z := range zero {
		cu, p := items.customers[z.CustomerID], items.products[z.ProductID]
		if cu == nil || p == nil {
			continue
		}
		r, ok := est[[2]int64{z.CustomerID, z.ProductID}]
		if !ok || r.Count.ID != z.ID {
			r = stock.Assess(stock.Input{History: stock.History{CustomerID: cu.ID, ProductID: p.ID, Counts: []models.CountPoint{z}}, Product: p, Now: now, Loc: j.loc, LeadDays: j.cfg.LeadDays})
		}
		if r.Level != stock.LevelOut {
			continue
		}
		a, _ := j.alertOf(r, cu)
		out = append(out, stockOut{z: z, a: a})
	}
	return out, nil
}

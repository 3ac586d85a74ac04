package jobs

import (
	"cmp"
	"slices"
	"time"

	"channelbot/models"
)

// rhythm is where a customer stands in its visit rhythm on a day.
type rhythm struct {
	Due      Day  // the day the next visit is due; on or before the day: due or overdue
	Late     int  // days past due on the day; 0 when due that day, negative when not yet due
	Cycle    int  // days of the cycle that began on the due day
	Escalate bool // overdue by more than one full cycle: the manager is told
}

// rhythmOf returns where cu stands on day d, given its last visit (visited false
// when never). ok is false for customers without a cadence.
func (j *Jobs) rhythmOf(cu *models.Customer, last time.Time, visited bool, d Day) (rhythm, bool) {
	cad, ok := ParseCadence(cu.VisitDays)
	if !ok {
		return rhythm{}, false
	}
	created := d
	if !cu.CreatedAt.IsZero() {
		created = DayOf(cu.CreatedAt, j.loc)
	}
	var lastDay Day
	if visited {
		lastDay = DayOf(last, j.loc)
	} else {
		created = firstDueFrom(cu, cad, created)
	}
	due := cad.Due(j.cal, lastDay, visited, created)
	r := rhythm{Due: due, Late: int(d - due), Cycle: cad.Cycle(j.cal, due)}
	r.Escalate = r.Late > r.Cycle
	return r, true
}

// firstDueFrom is the day from which a customer never visited is first due: not the
// day it was created (a company importing its customers on day 1 has not missed
// them all on day 2), but the day after, and for an interval cadence spread over
// the first cycle by the customer's ID, so that first visits come a few a day.
func firstDueFrom(cu *models.Customer, cad Cadence, created Day) Day {
	if cad.Every > 0 {
		return created + 1 + Day(cu.ID%int64(cad.Every))
	}
	return created + 1
}

// lastVisit returns the last visit of cu in last, or the last visit its import
// gave, at the start of that day; ok is false when it was never visited.
func (j *Jobs) lastVisit(cu *models.Customer, last map[int64]time.Time) (time.Time, bool) {
	if t, ok := last[cu.ID]; ok {
		return t, true
	}
	if cu.LastVisit != "" {
		if d, err := ParseDay(cu.LastVisit); err == nil {
			return d.Start(j.loc), true
		}
	}
	return time.Time{}, false
}

// missedCycles is how many whole cycles an escalated customer is behind: the level
// of its overdue warning.
func (r rhythm) missedCycles() int { return max(r.Late/max(r.Cycle, 1), 1) }

// stop is one customer on a user's visit list of a day.
type stop struct {
	Customer *models.Customer
	Planned  bool // in the user's 计划 for the day
	Due      bool // due by cadence that day or before
	Rhythm   rhythm
	Last     time.Time // the last visit before the list was made
	Visited  bool      // visited ever, before the list was made
}

// late is how many days the stop is overdue; 0 when it is not.
func (s *stop) late() int {
	if s.Due {
		return max(s.Rhythm.Late, 0)
	}
	return 0
}

// visitLists builds every user's visit list of day d: the customers they planned
// for d, and those they own that are due by cadence on d or before. last holds the
// last visits before the lists are made. Lists are ordered for a route: overdue
// first (the most late first), then tier A, B, C, then by code.
func (j *Jobs) visitLists(cat *models.Catalog, last map[int64]time.Time, plans []models.ReportWithItems, d Day) map[string][]*stop {
	byCustomer := make(map[int64]*models.Customer, len(cat.Customers))
	for i := range cat.Customers {
		byCustomer[cat.Customers[i].ID] = &cat.Customers[i]
	}
	lists := map[string]map[int64]*stop{}
	add := func(user string, cu *models.Customer) *stop {
		l := lists[user]
		if l == nil {
			l = map[int64]*stop{}
			lists[user] = l
		}
		s := l[cu.ID]
		if s == nil {
			t, ok := j.lastVisit(cu, last)
			s = &stop{Customer: cu, Last: t, Visited: ok}
			if r, has := j.rhythmOf(cu, t, ok, d); has {
				s.Rhythm = r
			}
			l[cu.ID] = s
		}
		return s
	}
	for i := range cat.Customers {
		cu := &cat.Customers[i]
		if cu.OwnerID == "" {
			continue
		}
		t, ok := j.lastVisit(cu, last)
		if r, has := j.rhythmOf(cu, t, ok, d); has && r.Late >= 0 {
			add(cu.OwnerID, cu).Due = true
		}
	}
	for _, p := range plans {
		ids := planCustomers(p)
		for _, id := range ids {
			if cu := byCustomer[id]; cu != nil {
				add(p.UserID, cu).Planned = true
			}
		}
	}
	out := make(map[string][]*stop, len(lists))
	for user, l := range lists {
		list := make([]*stop, 0, len(l))
		for _, s := range l {
			list = append(list, s)
		}
		slices.SortFunc(list, func(a, b *stop) int {
			return cmp.Or(
				cmp.Compare(b.late(), a.late()),
				cmp.Compare(tierRank(a.Customer.Tier), tierRank(b.Customer.Tier)),
				cmp.Compare(a.Customer.Code, b.Customer.Code))
		})
		out[user] = list
	}
	return out
}

// planCustomers returns the customers of a 计划 report: its lines, or its customer.
func planCustomers(p models.ReportWithItems) []int64 {
	var ids []int64
	for _, it := range p.Items {
		if it.CustomerID != nil && !slices.Contains(ids, *it.CustomerID) {
			ids = append(ids, *it.CustomerID)
		}
	}
	if len(ids) == 0 && p.CustomerID != nil {
		ids = append(ids, *p.CustomerID)
	}
	return ids
}

func tierRank(t string) int {
	switch t {
	case "A":
		return 0
	case "B":
		return 1
	case "C":
		return 2
	}
	return 3
}

// userIndex is the catalog's users by ID, and each manager's team.
type userIndex struct {
	byID  map[string]*models.User
	teams map[string][]*models.User // manager ID → their people, by ID
}

func indexUsers(cat *models.Catalog) userIndex {
	ix := userIndex{byID: make(map[string]*models.User, len(cat.Users)), teams: map[string][]*models.User{}}
	for i := range cat.Users {
		u := &cat.Users[i]
		ix.byID[u.ID] = u
	}
	for i := range cat.Users {
		u := &cat.Users[i]
		if u.ManagerID != "" && u.Role != models.RoleDealer {
			ix.teams[u.ManagerID] = append(ix.teams[u.ManagerID], u)
		}
	}
	return ix
}

// managerOf returns the manager of a customer's owner, or of who, or nil.
func (ix userIndex) managerOf(cu *models.Customer, who string) *models.User {
	if o := ix.byID[cu.OwnerID]; o != nil && o.ManagerID != "" {
		if m := ix.byID[o.ManagerID]; m != nil {
			return m
		}
	}
	if u := ix.byID[who]; u != nil && u.ManagerID != "" {
		return ix.byID[u.ManagerID]
	}
	return nil
}

// ownerOf returns the customer's owner, or who, or nil.
func (ix userIndex) ownerOf(cu *models.Customer, who string) *models.User {
	if o := ix.byID[cu.OwnerID]; o != nil {
		return o
	}
	return ix.byID[who]
}

func nameOf(ix userIndex, id string) string {
	if u := ix.byID[id]; u != nil && u.Name != "" {
		return u.Name
	}
	return id
}

// catalogIndex is the catalog's customers and products by ID.
type catalogIndex struct {
	customers map[int64]*models.Customer
	products  map[int64]*models.Product
}

func indexCatalog(cat *models.Catalog) catalogIndex {
	ix := catalogIndex{customers: make(map[int64]*models.Customer, len(cat.Customers)), products: make(map[int64]*models.Product, len(cat.Products))}
	for i := range cat.Customers {
		ix.customers[cat.Customers[i].ID] = &cat.Customers[i]
	}
	for i := range cat.Products {
		ix.products[cat.Products[i].ID] = &cat.Products[i]
	}
	return ix
}

func (ix catalogIndex) customerName(id *int64) string {
	if id == nil {
		return ""
	}
	if cu := ix.customers[*id]; cu != nil {
		return cu.Name
	}
	return ""
}

func (ix catalogIndex) productName(id *int64) string {
	if id == nil {
		return ""
	}
	if p := ix.products[*id]; p != nil {
		return p.Name
	}
	return ""
}

package jobs

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"channelbot/bot/state"
	"channelbot/config"
	"channelbot/models"
	"channelbot/models/modelstest"
)

// clock is the fake time of a test: the store's, the state's and the scheduler's.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at is a time in Shanghai: at("2026-11-23 08:31").
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The test company: two managers; R03 is on Feishu only, R04 on no platform.
const (
	testUsers = `id,name,role,manager,wecom_userid,feishu_open_id
M01,王经理,manager,,wang,ou_m01
M02,刘经理,manager,,,ou_m02
R01,李明,rep,M01,liming,ou_r01
R02,赵强,rep,M01,zhaoqiang,
R03,陈静,rep,M02,,ou_r03
R04,孙磊,rep,M02,,
`
	testProducts = `code,name,aliases,pack_size,pack_unit,safety_factor,floor_price
P01,苹果汁1L,苹果汁,12,瓶,1.5,40
P02,矿泉水550ml,矿泉水,24,瓶,2,20
P03,乳酸菌100ml,乳酸菌,40,瓶,1.2,35
`
	testCustomers = `code,name,aliases,tier,owner,visit_days
C001,张记商贸,张老板,A,R01,10|25
C002,宏城超市,宏城,B,R01,7d
C003,王记批发,王记,B,R02,14d
C004,永辉城西店,永辉,A,R03,10|25
C005,陈记烟酒,陈记,C,R01,10|25
C006,好又多,好又多,A,R01,7d
C007,华联,华联,B,R04,15|31
C008,北郊批发,北郊,C,R02,
`
)

// fixture is a store with the test company, a fake clock, and the jobs over them.
type fixture struct {
	t     testing.TB
	ctx   context.Context
	clock *clock
	store *models.Store
	jobs  *Jobs
	cat   *models.Catalog
}

// storeOpener opens an empty, migrated store reading the time from now.
type storeOpener func(t testing.TB, now func() time.Time) *models.Store

func openSQLite(t testing.TB, now func() time.Time) *models.Store {
	s, err := models.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "jobs.db"), nil, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func openPostgres(t testing.TB, now func() time.Time) *models.Store {
	s, err := models.Open(context.Background(), "postgres", modelstest.PostgresDSN(t), nil, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// forEachDB runs fn on SQLite and, when TEST_DATABASE_URL is set, PostgreSQL.
func forEachDB(t *testing.T, fn func(t *testing.T, opener storeOpener)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openSQLite) })
	t.Run("postgres", func(t *testing.T) { fn(t, openPostgres) })
}

func testSettings() config.Jobs {
	s := config.DefaultJobs()
	s.Jitter = 0
	return s
}

// newFixture imports the test company on 2026-10-01 and builds the jobs, sending on
// WeCom and Feishu.
func newFixture(t testing.TB, open storeOpener) *fixture {
	f := &fixture{t: t, ctx: context.Background(), clock: &clock{t: at(t, "2026-10-01 09:00")}}
	f.store = open(t, f.clock.Now)
	dir := t.TempDir()
	for name, body := range map[string]string{"users.csv": testUsers, "products.csv": testProducts, "customers.csv": testCustomers} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.store.ImportDir(f.ctx, dir); err != nil {
		t.Fatal(err)
	}
	cat, err := f.store.LoadCatalog(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.cat = cat
	f.jobs = New(f.store, testSettings(), shanghai, []string{models.PlatformWeCom, models.PlatformFeishu}, nil)
	return f
}

func (f *fixture) customer(code string) *models.Customer {
	for i := range f.cat.Customers {
		if f.cat.Customers[i].Code == code {
			return &f.cat.Customers[i]
		}
	}
	f.t.Fatalf("no customer %s", code)
	return nil
}

func (f *fixture) product(code string) *models.Product {
	for i := range f.cat.Products {
		if f.cat.Products[i].Code == code {
			return &f.cat.Products[i]
		}
	}
	f.t.Fatalf("no product %s", code)
	return nil
}

// save stores a report of user at when (Shanghai time), with its lines.
func (f *fixture) save(user, when string, r models.Report, ex models.Exchange) *models.Report {
	f.t.Helper()
	t := at(f.t, when)
	r.UserID, r.ReportedAt = user, t
	ex.In = &models.Message{Platform: models.PlatformConsole, Peer: user, UserID: user, Text: string(r.Kind), CreatedAt: t}
	ex.Report = &r
	if err := f.store.SaveExchange(f.ctx, &ex); err != nil {
		f.t.Fatal(err)
	}
	return &r
}

func (f *fixture) visit(user, code, when string) {
	f.save(user, when, models.Report{Kind: models.KindVisit, CustomerID: &f.customer(code).ID}, models.Exchange{})
}

// count stores a stock count: product code → cases.
func (f *fixture) count(user, code, when string, cases map[string]int64) {
	cu := f.customer(code)
	var ex models.Exchange
	for _, pc := range slices.Sorted(mapsKeys(cases)) {
		p := f.product(pc)
		ex.Counts = append(ex.Counts, models.StockCount{CustomerID: cu.ID, ProductID: p.ID, Pieces: p.PiecesOf(cases[pc], 0)})
	}
	f.save(user, when, models.Report{Kind: models.KindStockCount, CustomerID: &cu.ID}, ex)
}

func mapsKeys(m map[string]int64) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (f *fixture) deliver(user, code, when, product string, cases int64) {
	cu, p := f.customer(code), f.product(product)
	f.save(user, when, models.Report{Kind: models.KindPurchase, CustomerID: &cu.ID},
		models.Exchange{Deliveries: []models.Delivery{{CustomerID: cu.ID, ProductID: p.ID, Pieces: p.PiecesOf(cases, 0)}}})
}

func (f *fixture) order(user, code, when, product string, cases int64) {
	cu, p := f.customer(code), f.product(product)
	pieces := p.PiecesOf(cases, 0)
	f.save(user, when, models.Report{Kind: models.KindOrder, CustomerID: &cu.ID},
		models.Exchange{Items: []models.ReportItem{{CustomerID: &cu.ID, ProductID: &p.ID, Pieces: &pieces}}})
}

func (f *fixture) plan(user, when, on string, codes ...string) {
	first := f.customer(codes[0]).ID
	var items []models.ReportItem
	for _, c := range codes {
		id := f.customer(c).ID
		items = append(items, models.ReportItem{CustomerID: &id})
	}
	f.save(user, when, models.Report{Kind: models.KindPlan, CustomerID: &first, OnDate: &on}, models.Exchange{Items: items})
}

func (f *fixture) promise(user, code, when, on, note string) {
	f.save(user, when, models.Report{Kind: models.KindPromise, CustomerID: &f.customer(code).ID, OnDate: &on, Note: note}, models.Exchange{})
}

func (f *fixture) nearExpiry(user, code, when, on, product string, cases int64) {
	cu, p := f.customer(code), f.product(product)
	pieces := p.PiecesOf(cases, 0)
	f.save(user, when, models.Report{Kind: models.KindNearExpiry, CustomerID: &cu.ID, OnDate: &on},
		models.Exchange{Items: []models.ReportItem{{CustomerID: &cu.ID, ProductID: &p.ID, Pieces: &pieces}}})
}

func (f *fixture) price(user, code, when, product string, price models.Money) {
	cu, p := f.customer(code), f.product(product)
	f.save(user, when, models.Report{Kind: models.KindPriceReport, CustomerID: &cu.ID, Price: &price, Flagged: price < p.FloorPrice},
		models.Exchange{Items: []models.ReportItem{{CustomerID: &cu.ID, ProductID: &p.ID}}})
}

func (f *fixture) crossRegion(user, place, when, product string) {
	p := f.product(product)
	f.save(user, when, models.Report{Kind: models.KindCrossRegion, Place: place}, models.Exchange{Items: []models.ReportItem{{ProductID: &p.ID}}})
}

func (f *fixture) complaint(user, code, when, note string) {
	f.save(user, when, models.Report{Kind: models.KindComplaint, CustomerID: &f.customer(code).ID, Note: note}, models.Exchange{})
}

// sent returns the job messages to user, oldest first.
func (f *fixture) sent(user string) []models.Message {
	f.t.Helper()
	all, err := f.store.MessagesOf(f.ctx, user)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []models.Message
	for _, m := range all {
		if m.Direction == models.Outbound && m.PlatformMsgID != nil && strings.HasPrefix(*m.PlatformMsgID, "job:") {
			out = append(out, m)
		}
	}
	return out
}

// sentBy returns the texts of the job messages to user sent by job (its keys).
func (f *fixture) sentBy(user, job string) []string {
	var out []string
	for _, m := range f.sent(user) {
		if strings.HasPrefix(*m.PlatformMsgID, "job:"+job+":") {
			out = append(out, m.Text)
		}
	}
	return out
}

// run runs a job at when, as the clock says.
func (f *fixture) run(job, when string) {
	f.t.Helper()
	now := at(f.t, when)
	f.clock.Set(now)
	d, ok := f.jobs.Def(job)
	if !ok {
		f.t.Fatalf("no job %s", job)
	}
	if err := d.Run(f.ctx, now); err != nil {
		f.t.Fatalf("%s at %s: %v", job, when, err)
	}
}

func mustContain(t testing.TB, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
}

func mustNotContain(t testing.TB, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if strings.Contains(text, w) {
			t.Errorf("text has %q:\n%s", w, text)
		}
	}
}

// inOrder checks that the wants appear in text in that order.
func inOrder(t testing.TB, text string, wants ...string) {
	t.Helper()
	pos := 0
	for _, w := range wants {
		i := strings.Index(text[pos:], w)
		if i < 0 {
			t.Errorf("%q missing or out of order:\n%s", w, text)
			return
		}
		pos += i + len(w)
	}
}

// newMemoryLock is an in-process lock on the test's clock.
func newMemoryLock(c *clock) *state.Memory { return state.NewMemory("test", c.Now) }

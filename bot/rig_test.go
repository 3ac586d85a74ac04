package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"channelbot/bot"
	"channelbot/bot/state"
	"channelbot/models"
)

// cst is the company's time zone; every message of these tests is dated in it.
var cst = time.FixedZone("CST", 8*3600)

// on returns a fixed moment of November 2026: on(10, "10:00") is Tuesday 10 November, 10:00.
func on(day int, hm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", fmt.Sprintf("2026-11-%02d %s", day, hm), cst)
	if err != nil {
		panic(err)
	}
	return t
}

// rig is a bot over a fresh SQLite database holding the demo company, with a clock
// that reads the time of the message being handled: nothing depends on today.
type rig struct {
	t     *testing.T
	ctx   context.Context
	bot   *bot.Bot
	store *models.Store
	state *state.Memory

	mu  sync.Mutex
	now time.Time
	// frozen stops the clock from following the messages: the server's clock and
	// the messages' clock then disagree, as when a backlog is processed late.
	frozen bool

	cust  map[int64]string // customer ID → code
	prod  map[int64]string // product ID → code
	custs map[string]int64 // code → ID
	prods map[string]int64 // code → ID
}

// newRig returns a rig; setup, when given, runs on the store before the bot loads
// its catalog (to import more master data).
func newRig(t *testing.T, setup ...func(context.Context, *models.Store) error) *rig {
	t.Helper()
	ctx := context.Background()
	r := &rig{t: t, ctx: ctx, now: on(1, "08:00")}
	store, err := models.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "bot.db"), nil, r.clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := store.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range setup {
		if err := f(ctx, store); err != nil {
			t.Fatal(err)
		}
	}
	r.store, r.state = store, state.NewMemory("test", r.clock)
	r.bot, err = bot.New(ctx, store, r.state, nil, cst)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := store.LoadCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.cust, r.prod, r.custs, r.prods = map[int64]string{}, map[int64]string{}, map[string]int64{}, map[string]int64{}
	for _, c := range cat.Customers {
		r.cust[c.ID], r.custs[c.Code] = c.Code, c.ID
	}
	for _, p := range cat.Products {
		r.prod[p.ID], r.prods[p.Code] = p.Code, p.ID
	}
	return r
}

func (r *rig) clock() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

// handle passes in to the bot at in.At and fails the test on an error.
func (r *rig) handle(in bot.Inbound) *bot.Outcome {
	r.t.Helper()
	if in.Platform == "" {
		in.Platform = models.PlatformConsole
	}
	r.mu.Lock()
	if !r.frozen {
		r.now = in.At
	}
	r.mu.Unlock()
	out, err := r.bot.Handle(r.ctx, in)
	if err != nil {
		r.t.Fatalf("Handle(%s %q): %v", in.From, in.Text, err)
	}
	return out
}

// say is user (an ID: the console's identity) sending text at when.
func (r *rig) say(user string, when time.Time, text string) *bot.Outcome {
	r.t.Helper()
	return r.handle(bot.Inbound{From: user, Text: text, At: when})
}

// reports returns every report user filed, oldest first, undone ones included.
func (r *rig) reports(user string) []models.Report {
	r.t.Helper()
	rs, err := r.store.ReportsOf(r.ctx, user)
	if err != nil {
		r.t.Fatal(err)
	}
	return rs
}

// only returns user's one report, failing unless there is exactly one.
func (r *rig) only(user string) models.Report {
	r.t.Helper()
	rs := r.reports(user)
	if len(rs) != 1 {
		r.t.Fatalf("%s has %d reports, want 1: %+v", user, len(rs), rs)
	}
	return rs[0]
}

func (r *rig) code(id *int64) string {
	if id == nil {
		return ""
	}
	return r.cust[*id]
}

// items renders a report's lines as "customer/product/pieces", "-" for what a line lacks.
func (r *rig) items(reportID int64) string {
	r.t.Helper()
	its, err := r.store.ReportItems(r.ctx, reportID)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, it := range its {
		c, p, n := "-", "-", "-"
		if it.CustomerID != nil {
			c = r.cust[*it.CustomerID]
		}
		if it.ProductID != nil {
			p = r.prod[*it.ProductID]
		}
		if it.Pieces != nil {
			n = fmt.Sprint(*it.Pieces)
		}
		out = append(out, c+"/"+p+"/"+n)
	}
	return strings.Join(out, " ")
}

// counts renders a report's stock counts as "customer/product/pieces".
func (r *rig) counts(reportID int64) string {
	r.t.Helper()
	cs, err := r.store.ReportCounts(r.ctx, reportID)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s/%s/%d", r.cust[c.CustomerID], r.prod[c.ProductID], c.Pieces))
	}
	return strings.Join(out, " ")
}

// basis is the stock basis of a product at a customer as of at: the last count and
// what was delivered since.
func (r *rig) basis(cust, prod string, at time.Time) models.Basis {
	r.t.Helper()
	b, err := r.store.StockBasis(r.ctx, r.custs[cust], []int64{r.prods[prod]}, at)
	if err != nil {
		r.t.Fatal(err)
	}
	return b[r.prods[prod]]
}

// messages returns user's audit log.
func (r *rig) messages(user string) []models.Message {
	r.t.Helper()
	ms, err := r.store.MessagesOf(r.ctx, user)
	if err != nil {
		r.t.Fatal(err)
	}
	return ms
}

// wantIn fails unless every piece is in one of the texts.
func wantIn(t *testing.T, texts []string, pieces ...string) {
	t.Helper()
	all := strings.Join(texts, "\n")
	for _, p := range pieces {
		if !strings.Contains(all, p) {
			t.Errorf("reply lacks %q:\n%s", p, all)
		}
	}
}

// wantNotIn fails if any piece is in one of the texts.
func wantNotIn(t *testing.T, texts []string, pieces ...string) {
	t.Helper()
	all := strings.Join(texts, "\n")
	for _, p := range pieces {
		if strings.Contains(all, p) {
			t.Errorf("reply has %q:\n%s", p, all)
		}
	}
}

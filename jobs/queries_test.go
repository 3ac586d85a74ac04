package jobs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// grow adds reps, customers and their history to the test company: n more reps under
// M01 with three customers each, visited and counted.
func grow(t *testing.T, f *fixture, n int) {
	dir := t.TempDir()
	var users, customers strings.Builder
	users.WriteString(testUsers)
	customers.WriteString(testCustomers)
	for i := range n {
		fmt.Fprintf(&users, "X%03d,业务员%d,rep,M01,x%03d,\n", i, i, i)
		for k, cad := range []string{"10|25", "7d", "14d"} {
			fmt.Fprintf(&customers, "Y%03d%d,客户%d-%d,,B,X%03d,%s\n", i, k, i, k, i, cad)
		}
	}
	for name, body := range map[string]string{"users.csv": users.String(), "products.csv": testProducts, "customers.csv": customers.String()} {
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
	for i := range n {
		rep := fmt.Sprintf("X%03d", i)
		for k := range 3 {
			code := fmt.Sprintf("Y%03d%d", i, k)
			f.visit(rep, code, "2026-11-02 10:00")
			f.count(rep, code, "2026-11-02 10:00", map[string]int64{"P01": 30, "P02": 10})
			f.count(rep, code, "2026-11-09 10:00", map[string]int64{"P01": 20, "P02": 10})
			f.count(rep, code, "2026-11-16 10:00", map[string]int64{"P01": 10, "P02": 0})
		}
		f.plan(rep, "2026-11-22 20:00", "2026-11-23", fmt.Sprintf("Y%03d0", i))
		f.promise(rep, fmt.Sprintf("Y%03d1", i), "2026-11-20 10:00", "2026-11-21", "补货")
		f.visit(rep, fmt.Sprintf("Y%03d2", i), "2026-11-23 09:00")
		f.order(rep, fmt.Sprintf("Y%03d2", i), "2026-11-23 09:05", "P01", 3)
		f.price(rep, fmt.Sprintf("Y%03d2", i), "2026-11-23 09:06", "P01", 3000)
	}
}

// TestFixedQueries: every job runs the same number of SQL statements for a company of
// eight customers as for one thirty times larger.
func TestFixedQueries(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, opener storeOpener) {
		counts := func(n int) map[string]int64 {
			f := newFixture(t, opener)
			scriptDay(f)
			f.count("R01", "C006", "2026-11-16 10:00", map[string]int64{"P01": 0})
			grow(t, f, n)
			f.count("R02", "C003", "2026-11-23 10:30", map[string]int64{"P01": 0})
			out := map[string]int64{}
			for _, job := range []struct{ name, when string }{
				{NameVisitReminders, "2026-11-23 08:31"},
				{NameWeeklyDigest, "2026-11-23 08:46"},
				{NameStockWarnings, "2026-11-23 10:01"},
				{NameStockOuts, "2026-11-23 10:31"},
				{NameDailyDigest, "2026-11-23 18:31"},
			} {
				now := at(t, job.when)
				f.clock.Set(now)
				ctx, stmts := f.store.CountStatements(f.ctx)
				d, _ := f.jobs.Def(job.name)
				if err := d.Run(ctx, now); err != nil {
					t.Fatal(err)
				}
				out[job.name] = stmts.Load()
			}
			return out
		}
		small, large := counts(0), counts(30)
		for name, n := range small {
			if large[name] != n {
				t.Errorf("%s: %d statements for the small company, %d for the large one", name, n, large[name])
			}
			if n > 30 {
				t.Errorf("%s: %d statements", name, n)
			}
		}
		t.Logf("statements per run: %v", small)
	})
}

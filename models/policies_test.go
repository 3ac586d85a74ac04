package models

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"channelbot/models/modelstest"
)

// policyStore is a store holding the demo company, on a clock the test moves.
func policyStore(t *testing.T, driver string, now *time.Time) *Store {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "p.db")
	if driver == "postgres" {
		dsn = modelstest.PostgresDSN(t)
	}
	s, err := Open(context.Background(), driver, dsn, nil, func() time.Time { return *now })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func testMessage(p *Policy) (string, Buttons) {
	return "政策 " + p.Text, Buttons{{Text: "收到", Key: "收到"}}
}

// TestPolicyLifecycle: a broadcast reaches each dealer of the audience once;
// confirmations count; the unconfirmed are reminded after 24 hours, at most twice,
// and then show up for their rep.
func TestPolicyLifecycle(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
			s := policyStore(t, driver, &now)
			cat, err := s.LoadCatalog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			d := PolicyDraft{Products: []string{"苹果汁"}, PriceType: PriceFactory, Price: "39", Effective: "2026-12-01",
				Audience: Audience{Types: []string{"经销商"}}, Text: "苹果汁出厂价39"}
			p, prods, err := CheckPolicy(d, cat, "2026-11-23")
			if err != nil {
				t.Fatal(err)
			}
			id, err := s.CreatePolicy(ctx, p, prods, cat, testMessage, "unreachable")
			if err != nil {
				t.Fatal(err)
			}
			st, err := s.StatusOf(ctx, id)
			// D03's customer is a 批发商: not in the audience.
			if err != nil || st.Targeted != 3 || st.Acknowledged != 0 || len(st.Missing) != 3 {
				t.Fatalf("status = %+v, %v; want the dealers of C001, C002 and C011", st, err)
			}
			if _, err := s.Acknowledge(ctx, "D01", 0, now); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Acknowledge(ctx, "D01", 0, now); err != ErrNotFound {
				t.Fatalf("second confirmation: %v, want ErrNotFound", err)
			}
			remind := func(after time.Duration, want int) {
				t.Helper()
				now = now.Add(after)
				n, err := s.RemindPolicies(ctx, 24*time.Hour, 2, testMessage)
				if err != nil || n != want {
					t.Fatalf("at +%v: %d reminders (%v), want %d", after, n, err, want)
				}
			}
			remind(23*time.Hour, 0)
			remind(2*time.Hour, 2) // D02 and D04; D01 confirmed
			remind(time.Hour, 0)
			remind(24*time.Hour, 2)
			remind(48*time.Hour, 0) // at most twice
			open, err := s.UnconfirmedPolicies(ctx, 2)
			if err != nil || len(open) != 2 {
				t.Fatalf("unconfirmed after two reminders: %v %v", open, err)
			}
			st, _ = s.StatusOf(ctx, id)
			if st.Acknowledged != 1 || len(st.Missing) != 2 {
				t.Errorf("status = %+v", st)
			}
			day := "2026-12-02"
			c001 := cat.CustomerByCode("C001")
			if price, ok, err := s.PriceInForce(ctx, prods[0].ID, c001.ID, PriceFactory, day); err != nil || !ok || price != 3900 {
				t.Errorf("price in force at C001 on %s = %v %v %v, want 39", day, price, ok, err)
			}
			c004 := cat.CustomerByCode("C004") // a supermarket: not in the audience
			if _, ok, _ := s.PriceInForce(ctx, prods[0].ID, c004.ID, PriceFactory, day); ok {
				t.Error("the policy applies to a customer outside its audience")
			}
			if _, ok, _ := s.PriceInForce(ctx, prods[0].ID, c001.ID, PriceFactory, "2026-11-30"); ok {
				t.Error("the policy applies before its effective day")
			}
		})
	}
}

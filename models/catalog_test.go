package models

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestIsEmpty(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := []struct {
		name string
		rows []any
		want bool
	}{
		{"nothing", nil, true},
		{"a message and a report only", []any{
			&Message{Direction: Inbound, Platform: PlatformConsole, Text: "x"},
			&Report{Kind: KindPurchase, UserID: "R01", ReportedAt: now},
		}, true},
		{"a user", []any{&User{ID: "A01", Name: "管理员", Role: RoleAdmin}}, false},
		{"a product", []any{&Product{Code: "P01", Name: "苹果汁", PackSize: 12}}, false},
		{"a customer", []any{&Customer{Code: "C001", Name: "张记商贸"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			forEachStore(t, func(t *testing.T, s *Store) {
				for _, r := range tt.rows {
					if err := s.db.Create(r).Error; err != nil {
						t.Fatal(err)
					}
				}
				if got, err := s.IsEmpty(context.Background()); err != nil || got != tt.want {
					t.Errorf("IsEmpty() = %v, %v, want %v", got, err, tt.want)
				}
			})
		})
	}
}

func TestLoadCatalog(t *testing.T) {
	t.Parallel()
	dir := catalogDir
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if v, err := s.CatalogVersion(ctx); err != nil || v != "0" {
			t.Fatalf("CatalogVersion() on an empty database = %q, %v, want \"0\"", v, err)
		}
		if empty, err := s.IsEmpty(ctx); err != nil || !empty {
			t.Fatalf("IsEmpty() before the import = %v, %v, want true", empty, err)
		}
		c, err := s.LoadCatalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Version != "0" || len(c.Products)+len(c.Customers)+len(c.Users) != 0 {
			t.Fatalf("LoadCatalog() on an empty database = %+v, want version 0 and nothing", c)
		}

		res, err := s.ImportDir(ctx, dir)
		if err != nil {
			t.Fatalf("ImportDir(%s): %v", dir, err)
		}
		created := map[ImportKind]int{}
		for _, r := range res {
			created[r.Kind] = r.Created
		}
		v1, err := s.CatalogVersion(ctx)
		if err != nil || v1 == "0" || v1 == "" {
			t.Fatalf("CatalogVersion() after an import = %q, %v, want a new version", v1, err)
		}
		if empty, err := s.IsEmpty(ctx); err != nil || empty {
			t.Errorf("IsEmpty() after the import = %v, %v, want false", empty, err)
		}
		c, err = s.LoadCatalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Version != v1 {
			t.Errorf("LoadCatalog().Version = %q, want %q", c.Version, v1)
		}
		for _, k := range []struct {
			kind ImportKind
			n    int
			ids  []int64
		}{
			{ImportProducts, len(c.Products), idsOf(c.Products, func(p Product) int64 { return p.ID })},
			{ImportCustomers, len(c.Customers), idsOf(c.Customers, func(c Customer) int64 { return c.ID })},
			{ImportUsers, len(c.Users), nil},
		} {
			if k.n == 0 || k.n != created[k.kind] {
				t.Errorf("LoadCatalog() has %d %s, want the %d imported", k.n, k.kind, created[k.kind])
			}
			if !slices.IsSorted(k.ids) {
				t.Errorf("LoadCatalog() %s IDs %v, want them in order", k.kind, k.ids)
			}
		}
		if !slices.IsSortedFunc(c.Users, func(a, b User) int { return strings.Compare(a.ID, b.ID) }) {
			t.Errorf("LoadCatalog() users are not in ID order")
		}
		i := slices.IndexFunc(c.Products, func(p Product) bool { return p.Code == "P01" })
		if i < 0 {
			t.Fatal("LoadCatalog() has no product P01")
		}
		if p := c.Products[i]; p.PackSize != 12 || p.PackUnit != "瓶" || p.FactoryPrice != 3850 || p.SafetyFactor != 1500 ||
			!slices.Contains(SplitAliases(p.Aliases), "苹果汁") {
			t.Errorf("P01 = %+v, want pack 12 瓶, 38.5 yuan, factor 1.5, alias 苹果汁", p)
		}

		// Importing again changes the version even though nothing else changed.
		if _, err := s.ImportDir(ctx, dir); err != nil {
			t.Fatalf("second ImportDir: %v", err)
		}
		if v2, err := s.CatalogVersion(ctx); err != nil || v2 == v1 || v2 == "0" {
			t.Errorf("CatalogVersion() after a second import = %q, %v, want a version other than %q", v2, err, v1)
		}
	})
}

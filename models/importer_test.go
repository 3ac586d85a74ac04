package models

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// catalogDir is the acceptance demo company, a copy of shared/acceptance/catalog
// kept in the repository so that a clone alone passes its tests.
const catalogDir = "../testdata/acceptance/catalog"

// openImportTestStore returns a migrated SQLite store in a temporary directory.
func openImportTestStore(t testing.TB) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, "sqlite", filepath.Join(t.TempDir(), "t.db"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// forEachStore runs fn on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.
func forEachStore(t *testing.T, fn func(t *testing.T, s *Store)) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *Store
	}{{"sqlite", openImportTestStore}, {"postgres", openPostgresTestStore}} {
		t.Run(db.name, func(t *testing.T) { fn(t, db.open(t)) })
	}
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func loadCatalog(t testing.TB, s *Store) *Catalog {
	t.Helper()
	c, err := s.LoadCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func importErr(t testing.TB, err error) *ImportError {
	t.Helper()
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *ImportError", err)
	}
	return ie
}

func productByCode(c *Catalog, code string) *Product {
	for i := range c.Products {
		if c.Products[i].Code == code {
			return &c.Products[i]
		}
	}
	return nil
}

func customerByCode(c *Catalog, code string) *Customer {
	for i := range c.Customers {
		if c.Customers[i].Code == code {
			return &c.Customers[i]
		}
	}
	return nil
}

func userByID(c *Catalog, id string) *User {
	for i := range c.Users {
		if c.Users[i].ID == id {
			return &c.Users[i]
		}
	}
	return nil
}

func TestCatalogDirResolves(t *testing.T) {
	abs, err := filepath.Abs(catalogDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"products.csv", "customers.csv", "users.csv"} {
		if _, err := os.Stat(filepath.Join(abs, f)); err != nil {
			t.Errorf("shared catalog: %v", err)
		}
	}
}

func TestImportCatalog(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		res, err := s.ImportDir(ctx, catalogDir)
		if err != nil {
			t.Fatal(err)
		}
		want := []ImportResult{
			{Kind: ImportProducts, File: "products.csv", Created: 10},
			{Kind: ImportCustomers, File: "customers.csv", Created: 18},
			{Kind: ImportUsers, File: "users.csv", Created: 12},
		}
		if !reflect.DeepEqual(res, want) {
			t.Fatalf("ImportDir = %+v, want %+v", res, want)
		}
		c := loadCatalog(t, s)
		if len(c.Products) != 10 || len(c.Customers) != 18 || len(c.Users) != 12 {
			t.Fatalf("catalog has %d products, %d customers, %d users", len(c.Products), len(c.Customers), len(c.Users))
		}
		if c.Version == "0" {
			t.Error("catalog version not bumped")
		}

		p01 := productByCode(c, "P01")
		wantP01 := Product{ID: p01.ID, Code: "P01", Name: "苹果汁1L", Aliases: "苹果汁|苹果|大苹果|苹果汁1升", Unit: "箱",
			PackSize: 12, PackUnit: "瓶", ShelfLifeDays: 365, FactoryPrice: 3850, FloorPrice: 4000, SafetyFactor: 1500,
			CreatedAt: p01.CreatedAt, UpdatedAt: p01.UpdatedAt}
		if *p01 != wantP01 {
			t.Errorf("P01 = %+v, want %+v", *p01, wantP01)
		}
		if p := productByCode(c, "P04"); p.SafetyFactor != 2000 || p.PackSize != 24 {
			t.Errorf("P04 safety factor %v pack %d, want 2 and 24", p.SafetyFactor, p.PackSize)
		}
		if p := productByCode(c, "P08"); p.PackUnit != "罐" {
			t.Errorf("P08 pack unit = %q, want 罐", p.PackUnit)
		}
		c001 := customerByCode(c, "C001")
		if c001.OwnerID != "R01" || c001.VisitDays != "10|25" || c001.Tier != "A" || c001.Aliases != "张老板|张记|老张" {
			t.Errorf("C001 = %+v", *c001)
		}
		if c := customerByCode(c, "C004"); c.VisitDays != "7d" {
			t.Errorf("C004 visit days = %q, want 7d", c.VisitDays)
		}
		d01 := userByID(c, "D01")
		if d01.Role != RoleDealer || d01.CustomerID == nil || *d01.CustomerID != c001.ID {
			t.Errorf("D01 = %+v, want dealer of customer %d", *d01, c001.ID)
		}
		d04 := userByID(c, "D04")
		if c011 := customerByCode(c, "C011"); d04.CustomerID == nil || *d04.CustomerID != c011.ID {
			t.Errorf("D04 customer = %v, want %d", d04.CustomerID, c011.ID)
		}
		r01 := userByID(c, "R01")
		if r01.ManagerID != "M01" || r01.WeComUserID != "LiMing" || r01.FeishuOpenID != "ou_r01li" || r01.CustomerID != nil {
			t.Errorf("R01 = %+v", *r01)
		}
		if u, err := s.UserByPlatformID(ctx, PlatformWeCom, "ZhangJianGuo"); err != nil || u.ID != "D01" {
			t.Errorf("UserByPlatformID(wecom, ZhangJianGuo) = %v, %v", u, err)
		}

		// Re-importing the same files updates everything in place.
		res, err = s.ImportDir(ctx, catalogDir)
		if err != nil {
			t.Fatal(err)
		}
		want = []ImportResult{
			{Kind: ImportProducts, File: "products.csv", Updated: 10},
			{Kind: ImportCustomers, File: "customers.csv", Updated: 18},
			{Kind: ImportUsers, File: "users.csv", Updated: 12},
		}
		if !reflect.DeepEqual(res, want) {
			t.Fatalf("re-import = %+v, want %+v", res, want)
		}
		again := loadCatalog(t, s)
		if again.Version == c.Version {
			t.Error("catalog version not bumped by the re-import")
		}
		if ids(again) != ids(c) {
			t.Errorf("IDs changed on re-import:\n%s\nwant\n%s", ids(again), ids(c))
		}
		if d := userByID(again, "D01"); d.CustomerID == nil || *d.CustomerID != c001.ID {
			t.Errorf("D01 customer after re-import = %v, want %d", d.CustomerID, c001.ID)
		}
	})
}

// ids lists every record's key and ID, and each dealer's customer ID.
func ids(c *Catalog) string {
	var b strings.Builder
	for _, p := range c.Products {
		fmt.Fprintf(&b, "%s=%d ", p.Code, p.ID)
	}
	for _, cu := range c.Customers {
		fmt.Fprintf(&b, "%s=%d ", cu.Code, cu.ID)
	}
	for _, u := range c.Users {
		if u.CustomerID != nil {
			fmt.Fprintf(&b, "%s→%d ", u.ID, *u.CustomerID)
		}
	}
	return b.String()
}

const (
	productHeader  = "code,name,aliases,unit,pack_size,pack_unit,shelf_life_days,factory_price,floor_price,safety_factor\n"
	customerHeader = "code,name,aliases,type,tier,region,owner,visit_days\n"
	userHeader     = "id,name,role,manager,wecom_userid,feishu_open_id,customer,region,phone\n"

	// Rows 2 and 3 of every bad-row case: a new record and an update, both good.
	goodProducts  = "P90,新品甲,新品甲别名,箱,12,瓶,365,10,12,1.5\nP01,苹果汁1L改,苹果汁|苹果,箱,12,瓶,365,38.5,40,1.5\n"
	goodCustomers = "C090,新客户,张老板,零售店,C,城东,R01,30d\nC001,张记商贸改,张老板,经销商,A,城东,R01,10|25\n"
	goodUsers     = "R90,新业务员,rep,M01,NewRep,ou_new,,城东,\nR01,李明改,rep,M01,LiMing,ou_r01li,,城东,13900000001\n"
)

// TestImportBadRows imports, over the shared catalog, files with one bad row each. Every
// import must fail naming that row and leave the database exactly as it was.
func TestImportBadRows(t *testing.T) {
	tests := []struct {
		name  string
		kind  ImportKind
		csv   string
		row   int
		col   string
		index int // the column's 1-based position; 0 for a missing column
		code  RowProblem
		value string
	}{
		{"product code empty", ImportProducts, productHeader + goodProducts + ",新品乙,,箱,12,瓶,,,,\n", 4, "code", 1, RowMissing, ""},
		{"product name empty", ImportProducts, productHeader + goodProducts + "P91,,,箱,12,瓶,,,,\n", 4, "name", 2, RowMissing, ""},
		{"product pack_size empty", ImportProducts, productHeader + goodProducts + "P91,新品乙,,箱,,瓶,,,,\n", 4, "pack_size", 5, RowMissing, ""},
		{"product code twice", ImportProducts, productHeader + goodProducts + "P90,新品乙,,箱,12,瓶,,,,\n", 4, "code", 1, RowDuplicate, "P90"},
		{"product pack_size zero", ImportProducts, productHeader + goodProducts + "P91,新品乙,,箱,0,瓶,,,,\n", 4, "pack_size", 5, RowNotPositiveInt, "0"},
		{"product pack_size fraction", ImportProducts, productHeader + goodProducts + "P91,新品乙,,箱,12.5,瓶,,,,\n", 4, "pack_size", 5, RowNotPositiveInt, "12.5"},
		{"product pack_size text", ImportProducts, productHeader + goodProducts + "P91,新品乙,,箱,一打,瓶,,,,\n", 4, "pack_size", 5, RowNotPositiveInt, "一打"},
		{"product pack_size first row", ImportProducts, productHeader + "P91,新品乙,,箱,-3,瓶,,,,\n" + goodProducts, 2, "pack_size", 5, RowNotPositiveInt, "-3"},
		{"product factory_price text", ImportProducts, productHeader + goodProducts + "P91,新品乙,,箱,12,瓶,,abc,,\n", 4, "factory_price", 8, RowNotMoney, "abc"},
		{"product floor_price negative", ImportProducts, productHeader + goodProducts + "P91,新品乙,,箱,12,瓶,,,-1,\n", 4, "floor_price", 9, RowNotMoney, "-1"},
		{"product price three decimals", ImportProducts, productHeader + goodProducts + "P91,新品乙,,箱,12,瓶,,1.234,,\n", 4, "factory_price", 8, RowNotMoney, "1.234"},
		{"product safety_factor below 1", ImportProducts, productHeader + goodProducts + "P91,新品乙,,箱,12,瓶,,,,0.8\n", 4, "safety_factor", 10, RowFactorBelowOne, "0.8"},
		{"product safety_factor text", ImportProducts, productHeader + goodProducts + "P91,新品乙,,箱,12,瓶,,,,高\n", 4, "safety_factor", 10, RowNotFactor, "高"},
		{"product shelf_life negative", ImportProducts, productHeader + goodProducts + "P91,新品乙,,箱,12,瓶,-1,,,\n", 4, "shelf_life_days", 7, RowNotNonNegativeInt, "-1"},
		{"product shelf_life text", ImportProducts, productHeader + goodProducts + "P91,新品乙,,箱,12,瓶,一年,,,\n", 4, "shelf_life_days", 7, RowNotNonNegativeInt, "一年"},
		{"product alias shared in file", ImportProducts, productHeader + goodProducts + "P91,新品乙,乙|新品甲别名,箱,12,瓶,,,,\n", 4, "aliases", 3, RowTermTaken, "新品甲别名"},
		{"product name is another's alias in file", ImportProducts, productHeader + goodProducts + "P91,新品甲别名,,箱,12,瓶,,,,\n", 4, "name", 2, RowTermTaken, "新品甲别名"},
		{"product alias is another's name in file", ImportProducts, productHeader + goodProducts + "P91,新品乙,新品甲,箱,12,瓶,,,,\n", 4, "aliases", 3, RowTermTaken, "新品甲"},
		{"product alias in database", ImportProducts, productHeader + goodProducts + "P91,新品乙,橙汁,箱,12,瓶,,,,\n", 4, "aliases", 3, RowTermTaken, "橙汁"},
		{"product alias in database other case", ImportProducts, productHeader + goodProducts + "P91,新品乙,苹果汁300ML,箱,12,瓶,,,,\n", 4, "aliases", 3, RowTermTaken, "苹果汁300ML"},
		{"product name in database", ImportProducts, productHeader + goodProducts + "P91,矿泉水,,箱,12,瓶,,,,\n", 4, "name", 2, RowTermTaken, "矿泉水"},
		{"product unknown column", ImportProducts, strings.TrimSuffix(productHeader, "\n") + ",颜色\n" + goodProducts, 1, "颜色", 11, RowUnknownColumn, ""},
		{"product missing column", ImportProducts, "code,name\nP91,新品乙\n", 1, "pack_size/箱规", 0, RowMissingColumn, ""},
		{"product duplicate column", ImportProducts, "code,name,pack_size,箱规\nP91,新品乙,12,12\n", 1, "箱规", 4, RowDuplicateColumn, ""},
		{"product value without header", ImportProducts, productHeader + goodProducts + "P91,新品乙,,箱,12,瓶,,,,,多余\n", 4, "", 11, RowNoHeader, "多余"},

		{"customer code empty", ImportCustomers, customerHeader + goodCustomers + ",新客户乙,,零售店,C,城东,R01,\n", 4, "code", 1, RowMissing, ""},
		{"customer name empty", ImportCustomers, customerHeader + goodCustomers + "C091,,,零售店,C,城东,R01,\n", 4, "name", 2, RowMissing, ""},
		{"customer owner empty", ImportCustomers, customerHeader + goodCustomers + "C091,新客户乙,,零售店,C,城东,,\n", 4, "owner", 7, RowMissing, ""},
		{"customer code twice", ImportCustomers, customerHeader + goodCustomers + "C090,新客户乙,,零售店,C,城东,R01,\n", 4, "code", 1, RowDuplicate, "C090"},
		{"customer tier", ImportCustomers, customerHeader + goodCustomers + "C091,新客户乙,,零售店,D,城东,R01,\n", 4, "tier", 5, RowBadTier, "D"},
		{"customer visit day zero", ImportCustomers, customerHeader + goodCustomers + "C091,新客户乙,,零售店,C,城东,R01,0|25\n", 4, "visit_days", 8, RowBadVisitDays, "0|25"},
		{"customer visit day 32", ImportCustomers, customerHeader + goodCustomers + "C091,新客户乙,,零售店,C,城东,R01,10|32\n", 4, "visit_days", 8, RowBadVisitDays, "10|32"},
		{"customer visit interval zero", ImportCustomers, customerHeader + goodCustomers + "C091,新客户乙,,零售店,C,城东,R01,0d\n", 4, "visit_days", 8, RowBadVisitDays, "0d"},
		{"customer visit interval 366", ImportCustomers, customerHeader + goodCustomers + "C091,新客户乙,,零售店,C,城东,R01,366d\n", 4, "visit_days", 8, RowBadVisitDays, "366d"},
		{"customer visit text", ImportCustomers, customerHeader + goodCustomers + "C091,新客户乙,,零售店,C,城东,R01,每周\n", 4, "visit_days", 8, RowBadVisitDays, "每周"},
		{"customer owner unknown", ImportCustomers, customerHeader + goodCustomers + "C091,新客户乙,,零售店,C,城东,R99,\n", 4, "owner", 7, RowUnknownUser, "R99"},
		{"customer owner is a dealer", ImportCustomers, customerHeader + goodCustomers + "C091,新客户乙,,零售店,C,城东,D01,\n", 4, "owner", 7, RowOwnerRole, "D01"},
		{"customer missing owner column", ImportCustomers, "code,name\nC091,新客户乙\n", 1, "owner/负责人", 0, RowMissingColumn, ""},

		{"user id empty", ImportUsers, userHeader + goodUsers + ",某人,rep,M01,,,,,\n", 4, "id", 1, RowMissing, ""},
		{"user name empty", ImportUsers, userHeader + goodUsers + "R91,,rep,M01,,,,,\n", 4, "name", 2, RowMissing, ""},
		{"user role empty", ImportUsers, userHeader + goodUsers + "R91,某人,,M01,,,,,\n", 4, "role", 3, RowMissing, ""},
		{"user role unknown", ImportUsers, userHeader + goodUsers + "R91,某人,boss,M01,,,,,\n", 4, "role", 3, RowBadRole, "boss"},
		{"user id twice", ImportUsers, userHeader + goodUsers + "R90,某人,rep,M01,,,,,\n", 4, "id", 1, RowDuplicate, "R90"},
		{"user manager unknown", ImportUsers, userHeader + goodUsers + "R91,某人,rep,M99,,,,,\n", 4, "manager", 4, RowUnknownUser, "M99"},
		{"user manager is a rep", ImportUsers, userHeader + goodUsers + "R91,某人,rep,R02,,,,,\n", 4, "manager", 4, RowManagerRole, "R02"},
		{"user manager is a rep in the file", ImportUsers, userHeader + goodUsers + "R91,某人,rep,R90,,,,,\n", 4, "manager", 4, RowManagerRole, "R90"},
		{"user manager is a dealer", ImportUsers, userHeader + goodUsers + "R91,某人,rep,D01,,,,,\n", 4, "manager", 4, RowManagerRole, "D01"},
		{"user own manager", ImportUsers, userHeader + goodUsers + "M09,某人,manager,M09,,,,,\n", 4, "manager", 4, RowSelfManager, "M09"},
		{"dealer without customer", ImportUsers, userHeader + goodUsers + "D09,某人,dealer,,,,,,\n", 4, "customer", 7, RowDealerNoCustomer, ""},
		{"dealer customer unknown", ImportUsers, userHeader + goodUsers + "D09,某人,dealer,,,,C999,,\n", 4, "customer", 7, RowUnknownCustomer, "C999"},
		{"user wecom twice in file", ImportUsers, userHeader + goodUsers + "R91,某人,rep,M01,NewRep,,,,\n", 4, "wecom_userid", 5, RowIDTaken, "NewRep"},
		{"user wecom in database", ImportUsers, userHeader + goodUsers + "R91,某人,rep,M01,ZhaoQiang,,,,\n", 4, "wecom_userid", 5, RowIDTaken, "ZhaoQiang"},
		{"user feishu in database", ImportUsers, userHeader + goodUsers + "R91,某人,rep,M01,,ou_r02zhao,,,\n", 4, "feishu_open_id", 6, RowIDTaken, "ou_r02zhao"},
		{"user feishu twice in file", ImportUsers, userHeader + goodUsers + "R91,某人,rep,M01,,ou_new,,,\n", 4, "feishu_open_id", 6, RowIDTaken, "ou_new"},
	}
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.ImportDir(ctx, catalogDir); err != nil {
			t.Fatal(err)
		}
		before := loadCatalog(t, s)
		dir := t.TempDir()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				path := writeFile(t, dir, string(tt.kind)+".csv", tt.csv)
				res, err := s.ImportFile(ctx, tt.kind, path)
				if err == nil {
					t.Fatalf("ImportFile = %+v, want an error", res)
				}
				ie := importErr(t, err)
				if len(ie.Rows) != 1 {
					t.Fatalf("got %d bad rows, want 1:\n%v", len(ie.Rows), err)
				}
				got := ie.Rows[0]
				if got.Row != tt.row || got.Column != tt.col || got.File != string(tt.kind)+".csv" ||
					got.Index != tt.index || got.Code != tt.code || got.Value != tt.value {
					t.Errorf("bad row = %+v, want row %d column %q (%d) %s %q", got, tt.row, tt.col, tt.index, tt.code, tt.value)
				}
				if after := loadCatalog(t, s); !reflect.DeepEqual(after, before) {
					t.Errorf("the database changed though the import failed (version %s → %s)", before.Version, after.Version)
				}
			})
		}
		// The good rows alone import.
		for kind, rows := range map[ImportKind]string{
			ImportProducts:  productHeader + goodProducts,
			ImportCustomers: customerHeader + goodCustomers,
			ImportUsers:     userHeader + goodUsers,
		} {
			res, err := s.ImportFile(ctx, kind, writeFile(t, dir, string(kind)+".csv", rows))
			if err != nil || res.Created != 1 || res.Updated != 1 {
				t.Errorf("good %s rows: %+v, %v; want 1 created, 1 updated", kind, res, err)
			}
		}
	})
}

func TestImportEveryBadRow(t *testing.T) {
	s := openImportTestStore(t)
	path := writeFile(t, t.TempDir(), "products.csv", strings.TrimSuffix(productHeader, "\n")+",colour\n"+
		"P01,苹果汁,,箱,0,瓶,,abc,,\n"+ // row 2: pack_size and factory_price
		"P02,橙汁,,箱,12,瓶,,,,\n"+
		"P03,苹果汁,,箱,12,瓶,,,,0.5\n"+ // row 4: name shared with row 2, safety_factor
		"\n"+
		"P02,橙汁2,,箱,12,瓶,,,,\n") // row 6: code twice
	_, err := s.ImportFile(context.Background(), ImportProducts, path)
	ie := importErr(t, err)
	const f = "products.csv"
	want := []RowError{
		{File: f, Row: 1, Column: "colour", Index: 11, Code: RowUnknownColumn},
		{File: f, Row: 2, Column: "pack_size", Index: 5, Field: "pack_size", Code: RowNotPositiveInt, Value: "0"},
		{File: f, Row: 2, Column: "factory_price", Index: 8, Field: "factory_price", Code: RowNotMoney, Value: "abc"},
		{File: f, Row: 4, Column: "name", Index: 2, Field: "name", Code: RowTermTaken, Value: "苹果汁", Ref: "P01", RefRow: 2},
		{File: f, Row: 4, Column: "safety_factor", Index: 10, Field: "safety_factor", Code: RowFactorBelowOne, Value: "0.5"},
		{File: f, Row: 6, Column: "code", Index: 1, Field: "code", Code: RowDuplicate, Value: "P02", RefRow: 3},
	}
	if !reflect.DeepEqual(ie.Rows, want) {
		t.Errorf("bad rows = %+v, want %+v\n%v", ie.Rows, want, err)
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != len(want)+1 || !strings.HasPrefix(lines[0], "models: ") {
		t.Errorf("Error() = %q, want a header line and one line per bad row", err.Error())
	}
	for _, line := range []string{
		`products.csv row 2: pack_size "0": not_positive_int`,
		`products.csv row 4: name "苹果汁": term_taken (P01, row 2)`,
		`products.csv row 6: code "P02": duplicate (row 3)`,
	} {
		if !strings.Contains(err.Error(), line) {
			t.Errorf("Error() = %q, want a line %q naming the file, row, column, value and problem", err.Error(), line)
		}
	}
	if n := len(loadCatalog(t, s).Products); n != 0 {
		t.Errorf("%d products imported, want 0", n)
	}
}

func TestImportDirBadUsers(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		_, err := s.ImportDir(context.Background(), filepath.Join("testdata", "import", "bad_users"))
		ie := importErr(t, err)
		want := []RowError{{File: "users.csv", Row: 5, Column: "role", Index: 3, Field: "role", Code: RowBadRole, Value: "boss"}}
		if !reflect.DeepEqual(ie.Rows, want) {
			t.Errorf("bad rows = %+v, want %+v", ie.Rows, want)
		}
		c := loadCatalog(t, s)
		if len(c.Products)+len(c.Customers)+len(c.Users) != 0 || c.Version != "0" {
			t.Errorf("imported %d products, %d customers, %d users (version %s); want nothing",
				len(c.Products), len(c.Customers), len(c.Users), c.Version)
		}
	})
}

func TestImportDirReportsEveryFile(t *testing.T) {
	s := openImportTestStore(t)
	dir := t.TempDir()
	writeFile(t, dir, "products.csv", productHeader+"P01,苹果汁,,箱,12,瓶,,,,\nP02,橙汁,苹果汁,箱,12,瓶,,,,\n")
	writeFile(t, dir, "customers.csv", customerHeader+"C001,张记,,,A,,R01,\nC002,李记,,,A,,R09,\n")
	writeFile(t, dir, "users.csv", userHeader+"R01,李明,rep,,,,,,\nD01,张建国,dealer,,,,C003,,\n")
	_, err := s.ImportDir(context.Background(), dir)
	ie := importErr(t, err)
	var got []string
	for _, r := range ie.Rows {
		got = append(got, fmt.Sprintf("%s %d %s %s", r.File, r.Row, r.Column, r.Code))
	}
	want := []string{"products.csv 3 aliases term_taken", "customers.csv 3 owner unknown_user", "users.csv 3 customer unknown_customer"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bad rows = %q, want %q", got, want)
	}
}

func TestImportDirFiles(t *testing.T) {
	ctx := context.Background()
	s := openImportTestStore(t)

	if _, err := s.ImportDir(ctx, t.TempDir()); err == nil {
		t.Error("ImportDir(empty dir) succeeded, want an error")
	}

	twice := t.TempDir()
	writeFile(t, twice, "products.csv", productHeader)
	writeFile(t, twice, "产品.csv", productHeader)
	if _, err := s.ImportDir(ctx, twice); err == nil {
		t.Error("ImportDir(two products files) succeeded, want an error")
	}

	xls := t.TempDir()
	writeFile(t, xls, "customers.xls", "")
	if _, err := s.ImportDir(ctx, xls); err == nil || !strings.Contains(err.Error(), ".xls") {
		t.Errorf("ImportDir(.xls) = %v, want an error about .xls", err)
	}

	one := t.TempDir()
	writeFile(t, one, "~$products.xlsx", "lock file")
	writeFile(t, one, "readme.txt", "not an import file")
	writeFile(t, one, "Products.CSV", productHeader+"P01,苹果汁,,箱,12,瓶,,,,\n")
	res, err := s.ImportDir(ctx, one)
	want := []ImportResult{{Kind: ImportProducts, File: "Products.CSV", Created: 1}}
	if err != nil || !reflect.DeepEqual(res, want) {
		t.Errorf("ImportDir(products only) = %+v, %v; want %+v", res, err, want)
	}

	if _, err := s.ImportFile(ctx, "widgets", filepath.Join(one, "Products.CSV")); err == nil {
		t.Error("ImportFile(unknown kind) succeeded, want an error")
	}
}

func TestImportChineseHeaders(t *testing.T) {
	s := openImportTestStore(t)
	res, err := s.ImportDir(context.Background(), filepath.Join("testdata", "import", "zh"))
	if err != nil {
		t.Fatal(err)
	}
	want := []ImportResult{
		{Kind: ImportProducts, File: "产品.csv", Created: 2},
		{Kind: ImportCustomers, File: "客户.csv", Created: 2},
		{Kind: ImportUsers, File: "用户.csv", Created: 4},
	}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("ImportDir = %+v, want %+v", res, want)
	}
	c := loadCatalog(t, s)
	p04 := productByCode(c, "P04")
	if p04.Name != "矿泉水550ml" || p04.Unit != "箱" || p04.PackUnit != "瓶" || p04.PackSize != 24 ||
		p04.ShelfLifeDays != 540 || p04.FactoryPrice != 1800 || p04.FloorPrice != 2000 ||
		p04.SafetyFactor != 2000 || p04.Aliases != "矿泉水|水" {
		t.Errorf("P04 = %+v", *p04)
	}
	c001, c006 := customerByCode(c, "C001"), customerByCode(c, "C006")
	if c001.Name != "张记商贸" || c001.Tier != "A" || c001.VisitDays != "10|25" || c001.OwnerID != "R01" || c001.Type != "经销商" {
		t.Errorf("C001 = %+v", *c001)
	}
	if c006.Aliases != "张老板|张氏" { // customers may share an alias
		t.Errorf("C006 aliases = %q", c006.Aliases)
	}
	for id, role := range map[string]Role{"M01": RoleManager, "R01": RoleRep, "D01": RoleDealer, "A01": RoleAdmin} {
		if u := userByID(c, id); u.Role != role {
			t.Errorf("%s role = %q, want %q", id, u.Role, role)
		}
	}
	if d01 := userByID(c, "D01"); d01.CustomerID == nil || *d01.CustomerID != c001.ID || d01.Phone != "13700000001" {
		t.Errorf("D01 = %+v, want customer %d", *d01, c001.ID)
	}
	if r01 := userByID(c, "R01"); r01.ManagerID != "M01" || r01.WeComUserID != "LiMing" {
		t.Errorf("R01 = %+v", *r01)
	}
}

// writeXLSX writes header and rows to the first sheet of a new workbook, numbers as numbers.
func writeXLSX(t testing.TB, path string, header []string, rows [][]string) {
	t.Helper()
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	sheet := f.GetSheetName(0)
	for r, row := range append([][]string{header}, rows...) {
		for c, v := range row {
			cell, err := excelize.CoordinatesToCellName(c+1, r+1)
			if err != nil {
				t.Fatal(err)
			}
			var val any = v
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && r > 0 {
				val = n
			} else if x, err := strconv.ParseFloat(v, 64); err == nil && r > 0 {
				val = x
			}
			if err := f.SetCellValue(sheet, cell, val); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// withoutTimes drops what differs between two imports of the same data.
func withoutTimes(c *Catalog) *Catalog {
	out := &Catalog{}
	for _, p := range c.Products {
		p.CreatedAt, p.UpdatedAt = time.Time{}, time.Time{}
		out.Products = append(out.Products, p)
	}
	for _, cu := range c.Customers {
		cu.CreatedAt, cu.UpdatedAt = time.Time{}, time.Time{}
		out.Customers = append(out.Customers, cu)
	}
	for _, u := range c.Users {
		u.CreatedAt, u.UpdatedAt = time.Time{}, time.Time{}
		out.Users = append(out.Users, u)
	}
	return out
}

func TestImportXLSXMatchesCSV(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, name := range []string{"products", "customers", "users"} {
		header, rows, err := ReadTable(filepath.Join(catalogDir, name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		writeXLSX(t, filepath.Join(dir, name+".xlsx"), header, rows)
		xh, xrows, err := ReadTable(filepath.Join(dir, name+".xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(xh, header) || len(xrows) != len(rows) {
			t.Errorf("%s.xlsx: header %q with %d rows, want %q with %d", name, xh, len(xrows), header, len(rows))
		}
	}

	fromCSV := openImportTestStore(t)
	if _, err := fromCSV.ImportDir(ctx, catalogDir); err != nil {
		t.Fatal(err)
	}
	fromXLSX := openImportTestStore(t)
	res, err := fromXLSX.ImportDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].File != "products.xlsx" || res[0].Created != 10 {
		t.Errorf("ImportDir(xlsx) = %+v", res)
	}
	if got, want := withoutTimes(loadCatalog(t, fromXLSX)), withoutTimes(loadCatalog(t, fromCSV)); !reflect.DeepEqual(got, want) {
		t.Errorf("xlsx import differs from csv import:\n%+v\nwant\n%+v", got, want)
	}

	// A bad row in a workbook is reported by its spreadsheet row.
	header, rows, err := ReadTable(filepath.Join(catalogDir, "products.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows[4][4] = "zero" // P05's pack_size, spreadsheet row 6
	bad := filepath.Join(t.TempDir(), "products.xlsx")
	writeXLSX(t, bad, header, rows)
	_, err = fromXLSX.ImportFile(ctx, ImportProducts, bad)
	if ie := importErr(t, err); len(ie.Rows) != 1 || ie.Rows[0].Row != 6 || ie.Rows[0].File != "products.xlsx" ||
		ie.Rows[0].Code != RowNotPositiveInt || ie.Rows[0].Value != "zero" {
		t.Errorf("bad rows = %+v, want products.xlsx row 6 pack_size \"zero\" not_positive_int", ie.Rows)
	}
}

func TestExcelNumber(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"38.5", "38.5"},
		{"38.500000000000007", "38.5"},
		{"0.30000000000000004", "0.3"},
		{"1.1000000000000001", "1.1"},
		{"-2.0000000000000004", "-2"},
		{"13800000001", "13800000001"},
		{"10|25", "10|25"},
		{"P01", "P01"},
		{"1.2345678901x", "1.2345678901x"},
	} {
		if got := excelNumber(tt.in); got != tt.want {
			t.Errorf("excelNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReadTableCSV(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "products.csv", "\uFEFF Code ,NAME,Pack_Size\n"+
		"P01,苹果汁,12\n"+
		"\n"+
		"P02,\"橙汁\n1L\",12\n"+ // a quoted cell over lines 4 and 5
		"P03,绿茶,x\n") // line 6
	header, rows, err := ReadTable(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{" Code ", "NAME", "Pack_Size"}; !reflect.DeepEqual(header, want) {
		t.Errorf("header = %q, want %q", header, want)
	}
	if len(rows) != 5 || len(rows[1]) != 0 || rows[2][1] != "橙汁\n1L" || len(rows[3]) != 0 || rows[4][0] != "P03" {
		t.Errorf("rows = %q, want line numbers kept", rows)
	}
	s := openImportTestStore(t)
	_, err = s.ImportFile(context.Background(), ImportProducts, path)
	// A name over two lines is refused (a name is one line: issue 13 §4), at the
	// line its record starts on.
	if ie := importErr(t, err); len(ie.Rows) != 2 || ie.Rows[0].Row != 4 || ie.Rows[0].Column != "NAME" ||
		ie.Rows[0].Code != RowBadCharacters || ie.Rows[0].Ref != "U+000A" ||
		ie.Rows[1].Row != 6 || ie.Rows[1].Column != "Pack_Size" ||
		ie.Rows[1].Field != "pack_size" || ie.Rows[1].Code != RowNotPositiveInt {
		t.Errorf("bad rows = %+v, want row 4 column NAME bad_characters U+000A, row 6 column Pack_Size not_positive_int", ie.Rows)
	}

	gbk := writeFile(t, dir, "gbk.csv", "code,name\nP01,\xc6\xbb\xb9\xfb\n") // 苹果 in GBK
	if _, _, err := ReadTable(gbk); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("ReadTable(GBK) = %v, want an error about UTF-8", err)
	}
	if _, _, err := ReadTable(writeFile(t, dir, "empty.csv", "\n\n")); err == nil {
		t.Error("ReadTable(empty) succeeded, want an error")
	}
	if _, _, err := ReadTable(writeFile(t, dir, "notes.txt", "code\n")); err == nil {
		t.Error("ReadTable(.txt) succeeded, want an error")
	}
}

func TestImportUpdatesInPlace(t *testing.T) {
	ctx := context.Background()
	s := openImportTestStore(t)
	if _, err := s.ImportDir(ctx, catalogDir); err != nil {
		t.Fatal(err)
	}
	before := loadCatalog(t, s)
	// P01 gives up the alias 苹果, which the new P99 takes in the same file.
	path := writeFile(t, t.TempDir(), "products.csv", productHeader+
		"P99,苹果醋,苹果,箱,6,瓶,,,,\n"+
		"P01,苹果汁1L,苹果汁,箱,6,瓶,365,39,41,1.6\n")
	res, err := s.ImportFile(ctx, ImportProducts, path)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 || res.Updated != 1 || res.Kind != ImportProducts {
		t.Errorf("ImportFile = %+v, want 1 created, 1 updated", res)
	}
	after := loadCatalog(t, s)
	if len(after.Products) != 11 {
		t.Errorf("%d products, want 11", len(after.Products))
	}
	p01, old := productByCode(after, "P01"), productByCode(before, "P01")
	if p01.ID != old.ID || p01.PackSize != 6 || p01.Aliases != "苹果汁" || p01.FactoryPrice != 3900 ||
		p01.SafetyFactor != 1600 || !p01.CreatedAt.Equal(old.CreatedAt) {
		t.Errorf("P01 = %+v, was %+v", *p01, *old)
	}
	if p02 := productByCode(after, "P02"); !reflect.DeepEqual(*p02, *productByCode(before, "P02")) {
		t.Errorf("P02 changed: %+v", *p02)
	}
	if p99 := productByCode(after, "P99"); p99 == nil || p99.Aliases != "苹果" || p99.SafetyFactor != 1500 {
		t.Errorf("P99 = %+v", p99)
	}
}

func TestImportUsersAlone(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.ImportDir(ctx, catalogDir); err != nil {
			t.Fatal(err)
		}
		c := loadCatalog(t, s)
		// R01 and R02 swap WeCom IDs; D05 joins an existing customer; D01 moves to C002.
		path := writeFile(t, t.TempDir(), "users.csv", userHeader+
			"R01,李明,rep,M01,ZhaoQiang,ou_r01li,,城东,\n"+
			"R02,赵强,rep,M01,LiMing,ou_r02zhao,,北郊,\n"+
			"D05,新经销商,dealer,,,,C004,,\n"+
			"D01,张建国,dealer,,ZhangJianGuo,ou_d01zhang,C002,城东,13700000001\n")
		res, err := s.ImportFile(ctx, ImportUsers, path)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 1 || res.Updated != 3 {
			t.Errorf("ImportFile = %+v, want 1 created, 3 updated", res)
		}
		after := loadCatalog(t, s)
		if u := userByID(after, "R01"); u.WeComUserID != "ZhaoQiang" {
			t.Errorf("R01 wecom = %q", u.WeComUserID)
		}
		if u, err := s.UserByPlatformID(ctx, PlatformWeCom, "LiMing"); err != nil || u.ID != "R02" {
			t.Errorf("UserByPlatformID(wecom, LiMing) = %v, %v; want R02", u, err)
		}
		if u := userByID(after, "D05"); u.CustomerID == nil || *u.CustomerID != customerByCode(c, "C004").ID {
			t.Errorf("D05 customer = %v, want C004's ID", u.CustomerID)
		}
		if u := userByID(after, "D01"); u.CustomerID == nil || *u.CustomerID != customerByCode(c, "C002").ID {
			t.Errorf("D01 customer = %v, want C002's ID", u.CustomerID)
		}
	})
}

func TestImportRows(t *testing.T) {
	s := openImportTestStore(t)
	ctx := context.Background()
	header := []string{"编号", "姓名", "角色"}
	res, err := s.ImportRows(ctx, ImportUsers, "upload", header, [][]string{{"A01", "管理员", "管理员"}, nil, {"M01", "王建华", "主管"}})
	if err != nil || res.Created != 2 || res.File != "upload" {
		t.Fatalf("ImportRows = %+v, %v", res, err)
	}
	_, err = s.ImportRows(ctx, ImportUsers, "upload", header, [][]string{{"R01", "李明", "rep"}, {"R02", "", "rep"}})
	if ie := importErr(t, err); len(ie.Rows) != 1 || ie.Rows[0].Row != 3 || ie.Rows[0].Column != "姓名" || ie.Rows[0].File != "upload" ||
		ie.Rows[0].Code != RowMissing {
		t.Errorf("bad rows = %+v, want upload row 3 column 姓名 missing", ie.Rows)
	}
}

// writeCustomers writes a customers file of n rows owned by R01..R05.
func writeCustomers(t testing.TB, path string, n int) {
	t.Helper()
	var b strings.Builder
	b.WriteString(customerHeader)
	for i := range n {
		fmt.Fprintf(&b, "C%05d,客户%d,别名%d|老板%d,零售店,B,城东,R%02d,10|25\n", i, i, i, i%7, i%5+1)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

const benchUsers = userHeader + "M01,经理,manager,,,,,,\nR01,甲,rep,M01,,,,,\nR02,乙,rep,M01,,,,,\n" +
	"R03,丙,rep,M01,,,,,\nR04,丁,rep,M01,,,,,\nR05,戊,rep,M01,,,,,\n"

func TestImportManyCustomers(t *testing.T) {
	ctx := context.Background()
	s := openImportTestStore(t)
	dir := t.TempDir()
	if _, err := s.ImportFile(ctx, ImportUsers, writeFile(t, dir, "users.csv", benchUsers)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "customers.csv")
	writeCustomers(t, path, 2*importBatch+7)
	res, err := s.ImportFile(ctx, ImportCustomers, path)
	if err != nil || res.Created != 2*importBatch+7 || res.Updated != 0 {
		t.Fatalf("ImportFile = %+v, %v", res, err)
	}
	first := ids(loadCatalog(t, s))
	res, err = s.ImportFile(ctx, ImportCustomers, path)
	if err != nil || res.Created != 0 || res.Updated != 2*importBatch+7 {
		t.Fatalf("re-import = %+v, %v", res, err)
	}
	if again := ids(loadCatalog(t, s)); again != first {
		t.Error("customer IDs changed on re-import")
	}
}

func FuzzParseCSV(f *testing.F) {
	for _, name := range []string{"products.csv", "customers.csv", "users.csv"} {
		b, err := os.ReadFile(filepath.Join(catalogDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\uFEFFcode\n\n\"a\nb\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tbl, err := parseCSV("f.csv", data)
		if err != nil {
			return
		}
		sh := newSheet(ImportCustomers, tbl)
		parseCustomers(sh) // errors fine, panics not
	})
}

// BenchmarkImportCustomers50k imports 50,000 customers into a fresh SQLite store.
func BenchmarkImportCustomers50k(b *testing.B) {
	benchmarkImportCustomers(b, openImportTestStore, false)
}

// BenchmarkImportCustomers50kUpdate re-imports 50,000 customers, all of them updates.
func BenchmarkImportCustomers50kUpdate(b *testing.B) {
	benchmarkImportCustomers(b, openImportTestStore, true)
}

// BenchmarkImportCustomers50kPostgres is BenchmarkImportCustomers50k on PostgreSQL.
func BenchmarkImportCustomers50kPostgres(b *testing.B) {
	benchmarkImportCustomers(b, openPostgresTestStore, false)
}

func benchmarkImportCustomers(b *testing.B, open func(testing.TB) *Store, update bool) {
	ctx := context.Background()
	dir := b.TempDir()
	users := writeFile(b, dir, "users.csv", benchUsers)
	customers := filepath.Join(dir, "customers.csv")
	writeCustomers(b, customers, 50000)
	for b.Loop() {
		b.StopTimer()
		s := open(b)
		if _, err := s.ImportFile(ctx, ImportUsers, users); err != nil {
			b.Fatal(err)
		}
		if update {
			if _, err := s.ImportFile(ctx, ImportCustomers, customers); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		res, err := s.ImportFile(ctx, ImportCustomers, customers)
		if err != nil {
			b.Fatal(err)
		}
		if res.Created+res.Updated != 50000 || update != (res.Updated == 50000) {
			b.Fatalf("import = %+v, want 50000 rows, all updates: %t", res, update)
		}
	}
}

// TestImportBadCharacters: names with control characters (ESC, BEL, NUL, a newline)
// or a right-to-left override are refused with the row, column and character, the
// same way on SQLite and PostgreSQL (where a NUL used to fail the whole import with
// a raw SQLSTATE), and nothing is imported. A tab trimmed off a name's end, or
// plain Chinese text, is fine.
func TestImportBadCharacters(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		header := []string{"编号", "姓名", "角色", "电话"}
		rows := [][]string{
			{"A01", "管理员\t", "admin", ""},
			{"R01", "李\x1b[31m明", "rep", ""},
			{"R02", "赵\a强", "rep", ""},
			{"R03", "王\x00五", "rep", "138\x0000"},
			{"R04", "张\n三", "rep", ""},
			{"R05", "\u202e三张", "rep", ""},
		}
		_, err := s.ImportRows(ctx, ImportUsers, "users.csv", header, rows)
		ie := importErr(t, err)
		type got struct {
			Row          int
			Column, Code string
			Ref          string
		}
		var rowsGot []got
		for _, r := range ie.Rows {
			rowsGot = append(rowsGot, got{r.Row, r.Column, string(r.Code), r.Ref})
		}
		want := []got{
			{3, "姓名", "bad_characters", "U+001B"},
			{4, "姓名", "bad_characters", "U+0007"},
			{5, "姓名", "bad_characters", "U+0000"},
			{5, "电话", "bad_characters", "U+0000"},
			{6, "姓名", "bad_characters", "U+000A"},
			{7, "姓名", "bad_characters", "U+202E"},
		}
		if !reflect.DeepEqual(rowsGot, want) {
			t.Errorf("bad rows = %+v, want %+v", rowsGot, want)
		}
		if ie.Rows[0].Field != "name" || ie.Rows[0].Value != "李\x1b[31m明" || ie.Rows[0].Index != 2 {
			t.Errorf("first bad row = %+v", ie.Rows[0])
		}
		if c := loadCatalog(t, s); len(c.Users) != 0 {
			t.Errorf("imported %d users, want none", len(c.Users))
		}
		// Clean rows import.
		if res, err := s.ImportRows(ctx, ImportUsers, "users.csv", header, rows[:1]); err != nil || res.Created != 1 {
			t.Fatalf("clean row: %+v, %v", res, err)
		}
		if u := userByID(loadCatalog(t, s), "A01"); u.Name != "管理员" {
			t.Errorf("name = %q", u.Name)
		}
	})
}

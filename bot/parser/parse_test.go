package parser_test

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"channelbot/bot/parser"
	"channelbot/models"
)

// acceptanceDir is the acceptance material, copied from shared/acceptance into the
// repository so a clone alone passes (TestTestdataMatchesShared checks the copy).
const acceptanceDir = "../../testdata/acceptance"

// demoCatalog imports the acceptance catalog into a fresh SQLite database and indexes it.
func demoCatalog(t testing.TB) *parser.Catalog {
	t.Helper()
	ctx := context.Background()
	store, err := models.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "t.db"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ImportDir(ctx, filepath.Join(acceptanceDir, "catalog")); err != nil {
		t.Fatal(err)
	}
	c, err := store.LoadCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return parser.NewCatalog(c)
}

type expectedItem struct {
	Product string   `json:"product"`
	Qty     *float64 `json:"qty"`
}

type acceptanceCase struct {
	As     string `json:"as"`
	Now    string `json:"now"`
	Text   string `json:"text"`
	Expect struct {
		Intent     parser.Intent   `json:"intent"`
		Customer   *string         `json:"customer"`
		Candidates []string        `json:"candidates"`
		Items      *[]expectedItem `json:"items"`
		Price      *float64        `json:"price"`
		Date       *string         `json:"date"`
	} `json:"expect"`
	raw map[string]json.RawMessage
}

func loadAcceptance(t testing.TB) []acceptanceCase {
	f, err := os.Open(filepath.Join(acceptanceDir, "messages.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []acceptanceCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c acceptanceCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		var raw struct {
			Expect map[string]json.RawMessage `json:"expect"`
		}
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatal(err)
		}
		c.raw = raw.Expect
		out = append(out, c)
	}
	if len(out) < 50 {
		t.Fatalf("read %d acceptance cases, want the whole file", len(out))
	}
	return out
}

// TestAcceptanceMessages checks every message of the acceptance file (testdata/acceptance/messages.jsonl)
// against the fields its expectation names.
func TestAcceptanceMessages(t *testing.T) {
	cat := demoCatalog(t)
	for _, c := range loadAcceptance(t) {
		t.Run(c.Text, func(t *testing.T) {
			now, err := time.Parse(time.RFC3339, c.Now)
			if err != nil {
				t.Fatal(err)
			}
			r := cat.Parse(c.Text, cat.User(c.As), now)
			if r.Intent != c.Expect.Intent {
				t.Errorf("intent = %s, want %s", r.Intent, c.Expect.Intent)
			}
			if _, ok := c.raw["customer"]; ok {
				got := ""
				if r.Customer != nil {
					got = r.Customer.Code
				}
				want := ""
				if c.Expect.Customer != nil {
					want = *c.Expect.Customer
				}
				if got != want {
					t.Errorf("customer = %q, want %q", got, want)
				}
			}
			if _, ok := c.raw["candidates"]; ok {
				var got []string
				for _, cu := range r.Candidates {
					got = append(got, cu.Code)
				}
				if !equalStrings(got, c.Expect.Candidates) {
					t.Errorf("candidates = %v, want %v", got, c.Expect.Candidates)
				}
			}
			if c.Expect.Items != nil {
				want := *c.Expect.Items
				if len(r.Items) != len(want) {
					t.Fatalf("items = %s, want %d items", itemsString(r.Items), len(want))
				}
				for i, w := range want {
					it := r.Items[i]
					if it.Product.Code != w.Product {
						t.Errorf("item %d product = %s, want %s", i, it.Product.Code, w.Product)
					}
					switch {
					case w.Qty == nil && it.HasQty:
						t.Errorf("item %d qty = %v, want none", i, it.Product.Cases(it.Pieces))
					case w.Qty != nil && (!it.HasQty || math.Abs(it.Product.Cases(it.Pieces)-*w.Qty) > 1e-9):
						t.Errorf("item %d qty = %v (has %v), want %v", i, it.Product.Cases(it.Pieces), it.HasQty, *w.Qty)
					}
				}
			}
			if _, ok := c.raw["price"]; ok {
				switch {
				case r.Price == nil && c.Expect.Price != nil:
					t.Errorf("price = none, want %v", *c.Expect.Price)
				case r.Price != nil && (c.Expect.Price == nil || float64(*r.Price) != math.Round(*c.Expect.Price*100)):
					t.Errorf("price = %s, want %v", r.Price, c.Expect.Price)
				}
			}
			if c.Expect.Date != nil {
				if r.Date == nil || r.Date.String() != *c.Expect.Date {
					t.Errorf("date = %v, want %s", r.Date, *c.Expect.Date)
				}
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func itemsString(items []parser.Item) string {
	b, _ := json.Marshal(func() []map[string]any {
		var out []map[string]any
		for _, it := range items {
			out = append(out, map[string]any{"product": it.Product.Code, "qty": it.Product.Cases(it.Pieces), "has": it.HasQty})
		}
		return out
	}())
	return string(b)
}

// TestIncompleteReports: what each kind of report lacks is named, so nothing half is stored.
func TestIncompleteReports(t *testing.T) {
	cat := demoCatalog(t)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	tests := []struct {
		text, problem, note string
	}{
		{"价格 刘姐 葡萄汁 38", "product_unknown", ""},
		{"冲货 北郊 葡萄汁 30", "product_unknown", ""},
		{"冲货 苹果汁", "place_missing", ""},
		{"竞品", "note_missing", ""},
		{"价格 刘姐 橙汁 45 苹果汁 38", "one_price_per_message", ""},
		{"客诉 送货慢", "customer_missing", "送货慢"},
		{"订货 张老板 葡萄汁 20箱", "product_unknown", ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			r := cat.Parse(tt.text, cat.User("R01"), now)
			var codes []string
			for _, p := range r.Problems {
				codes = append(codes, p.Code)
			}
			if len(codes) != 1 || codes[0] != tt.problem {
				t.Errorf("problems = %v, want [%s]", codes, tt.problem)
			}
			if tt.note != "" && r.Note != tt.note {
				t.Errorf("note = %q, want %q", r.Note, tt.note)
			}
		})
	}
}

package parser

import (
	"cmp"
	"slices"

	"channelbot/models"
)

// Catalog is the in-memory index of products, customers, users and the bot's
// vocabulary that Parse resolves names against. It is immutable once built and safe
// for concurrent use; rebuild it when master data changes.
type Catalog struct {
	source     *models.Catalog
	Version    string
	products   []models.Product
	customers  []models.Customer
	users      map[string]*models.User
	byPlatform map[string]*models.User // platform + "\x00" + platform identity
	byCode     map[string]int32        // customer code → index
	byID       map[int64]int32         // customer ID → index
	prodByID   map[int64]int32         // product ID → index
	prodCode   map[string]int32        // product code → index
	words      *trie
	values     []entry
	fuzzy      fuzzyIndex
	maxName    int // the longest name or alias, in runes
	// units are the extra units products declare (提), longest first; prodUnits
	// their pieces, per product index.
	units     []string
	prodUnits map[int32]map[string]int
}

// entry is what a word in the vocabulary means. A word may name several customers
// (two shops both called 张老板), and in rare cases a customer and a product at once.
type entry struct {
	intent    Intent
	answer    bool // the intent is a Command.Answer
	date      dateWord
	filler    bool
	products  []int32
	customers []int32
}

// NewCatalog indexes master data. Names and aliases are normalized as messages are.
func NewCatalog(c *models.Catalog) *Catalog {
	cat := &Catalog{
		source:    c,
		Version:   c.Version,
		products:  c.Products,
		customers: c.Customers,
		users:     make(map[string]*models.User, len(c.Users)),
		byCode:    make(map[string]int32, len(c.Customers)),
		byID:      make(map[int64]int32, len(c.Customers)),
		prodByID:  make(map[int64]int32, len(c.Products)),
		prodCode:  make(map[string]int32, len(c.Products)),
	}
	cat.byPlatform = make(map[string]*models.User, 2*len(c.Users))
	for i := range c.Users {
		u := &c.Users[i]
		cat.users[u.ID] = u
		if u.WeComUserID != "" {
			cat.byPlatform[models.PlatformWeCom+"\x00"+u.WeComUserID] = u
		}
		if u.FeishuOpenID != "" {
			cat.byPlatform[models.PlatformFeishu+"\x00"+u.FeishuOpenID] = u
		}
	}
	idx := map[string]int32{}
	get := func(word string) *entry {
		k := string(normalizeKey(word))
		if k == "" {
			return nil
		}
		i, ok := idx[k]
		if !ok {
			i = int32(len(cat.values))
			idx[k] = i
			cat.values = append(cat.values, entry{})
		}
		return &cat.values[i]
	}
	for _, k := range Kinds {
		for _, w := range k.Keywords {
			get(w).intent = k.Intent
		}
	}
	for _, c := range Commands {
		for _, w := range c.Keywords {
			e := get(w)
			e.intent, e.answer = c.Intent, c.Answer
		}
	}
	for w, in := range stockWords {
		get(w).intent = in
	}
	for w, d := range dateWords {
		get(w).date = d
	}
	for _, w := range fillers {
		get(w).filler = true
	}
	cat.prodUnits = map[int32]map[string]int{}
	for i, p := range c.Products {
		if p.Units != "" {
			if us, ok := models.ParseUnits(p.Units, p.PackUnit); ok && len(us) > 0 {
				cat.prodUnits[int32(i)] = us
				for u := range us {
					if !slices.Contains(cat.units, u) {
						cat.units = append(cat.units, u)
					}
				}
			}
		}
		cat.prodCode[p.Code] = int32(i)
		cat.prodByID[p.ID] = int32(i)
		for _, w := range append([]string{p.Name}, models.SplitAliases(p.Aliases)...) {
			if e := get(w); e != nil && !contains(e.products, int32(i)) {
				e.products = append(e.products, int32(i))
			}
		}
	}
	for i, cu := range c.Customers {
		cat.byCode[cu.Code] = int32(i)
		cat.byID[cu.ID] = int32(i)
		for _, w := range append([]string{cu.Name}, models.SplitAliases(cu.Aliases)...) {
			if e := get(w); e != nil && !contains(e.customers, int32(i)) {
				e.customers = append(e.customers, int32(i))
			}
		}
	}
	keys := make([]trieKey, 0, len(idx))
	for k, i := range idx {
		keys = append(keys, trieKey{key: []rune(k), val: i})
		if e := &cat.values[i]; len(e.products) > 0 || len(e.customers) > 0 {
			cat.maxName = max(cat.maxName, len(keys[len(keys)-1].key))
		}
	}
	slices.SortFunc(cat.units, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b)) })
	cat.words = buildTrie(keys)
	return cat
}

func contains(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// UserByPlatform returns the user behind a platform identity (on the console, the
// user ID itself), or nil.
func (c *Catalog) UserByPlatform(platform, id string) *models.User {
	if platform == models.PlatformConsole {
		return c.users[id]
	}
	return c.byPlatform[platform+"\x00"+id]
}

// User returns the user with id, or nil.
func (c *Catalog) User(id string) *models.User { return c.users[id] }

// Product returns the product with code, or nil.
func (c *Catalog) Product(code string) *models.Product {
	if i, ok := c.prodCode[code]; ok {
		return &c.products[i]
	}
	return nil
}

// Customer returns the customer with code, or nil.
func (c *Catalog) Customer(code string) *models.Customer {
	if i, ok := c.byCode[code]; ok {
		return &c.customers[i]
	}
	return nil
}

// Models returns the master data the catalog was built from.
func (c *Catalog) Models() *models.Catalog { return c.source }

// Products returns every product, in import order.
func (c *Catalog) Products() []models.Product { return c.products }

// FirstUser returns the ID of the first user with role, or "".
func (c *Catalog) FirstUser(role models.Role) string {
	first := ""
	for id, u := range c.users {
		if u.Role == role && (first == "" || id < first) {
			first = id
		}
	}
	return first
}

// CustomerByID returns the customer with id, or nil.
func (c *Catalog) CustomerByID(id int64) *models.Customer {
	if i, ok := c.byID[id]; ok {
		return &c.customers[i]
	}
	return nil
}

// unitPieces returns how many pieces one unit of p is, when p declares the unit.
func (c *Catalog) unitPieces(p *models.Product, unit string) (int, bool) {
	i, ok := c.prodCode[p.Code]
	if !ok {
		return 0, false
	}
	n, ok := c.prodUnits[i][unit]
	return n, ok
}

// ProductByID returns the product with id, or nil.
func (c *Catalog) ProductByID(id int64) *models.Product {
	if i, ok := c.prodByID[id]; ok {
		return &c.products[i]
	}
	return nil
}

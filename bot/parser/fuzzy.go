package parser

import (
	"sync"

	"github.com/mozillazg/go-pinyin"

	"channelbot/models"
)

// Guess is a name the catalog does not have that Parse read as one it has: one edit
// away, or the same in pinyin (a slip of the input method).
type Guess struct {
	Typed string
	Meant string // the catalog name
}

// fuzzyIndex maps the toneless pinyin of every name to its vocabulary entries. It is
// built on first use: most catalogs never need it.
type fuzzyIndex struct {
	once   sync.Once
	pinyin map[string][]int32
}

var pinyinArgs = pinyin.NewArgs()

// pinyinKey spells s in toneless pinyin, keeping other characters as they are.
func pinyinKey(s []rune) string {
	var b []byte
	for _, r := range s {
		if p := pinyin.SinglePinyin(r, pinyinArgs); len(p) > 0 {
			b = append(b, p[0]...)
			b = append(b, '\'')
			continue
		}
		b = append(b, string(r)...)
	}
	return string(b)
}

func (c *Catalog) pinyinIndex() map[string][]int32 {
	c.fuzzy.once.Do(func() {
		m := make(map[string][]int32, len(c.values))
		c.walk(0, nil, func(key []rune, v int32) {
			if e := &c.values[v]; len(e.customers) > 0 || len(e.products) > 0 {
				k := pinyinKey(key)
				m[k] = append(m[k], v)
			}
		})
		c.fuzzy.pinyin = m
	})
	return c.fuzzy.pinyin
}

// walk calls fn for every key in the vocabulary.
func (c *Catalog) walk(node int32, prefix []rune, fn func([]rune, int32)) {
	nd := c.words.nodes[node]
	if nd.val >= 0 {
		fn(prefix, nd.val)
	}
	for _, e := range c.words.edges[nd.first : nd.first+nd.n] {
		c.walk(e.child, append(prefix, e.r), fn)
	}
}

// nearby returns the vocabulary entries within one edit of s (for names of three or
// more characters) or spelled the same in pinyin, keeping those keep accepts.
func (c *Catalog) nearby(s []rune, keep func(*entry) bool) []int32 {
	var out []int32
	if len(s) > c.maxName+1 {
		return nil // too long to be one slip from any name
	}
	add := func(v int32) {
		if keep(&c.values[v]) && !contains(out, v) {
			out = append(out, v)
		}
	}
	if len(s) >= 3 {
		c.edits(0, s, false, func(v int32, keyLen int) {
			if keyLen >= 3 {
				add(v)
			}
		})
	}
	if len(s) >= 2 {
		for _, v := range c.pinyinIndex()[pinyinKey(s)] {
			add(v)
		}
	}
	return out
}

// edits walks the trie along s allowing one substitution, insertion or deletion, and
// calls found for each key it reaches with an edit.
func (c *Catalog) edits(node int32, s []rune, edited bool, found func(v int32, keyLen int)) {
	c.editsAt(node, s, 0, 0, edited, found)
}

func (c *Catalog) editsAt(node int32, s []rune, i, depth int, edited bool, found func(int32, int)) {
	nd := c.words.nodes[node]
	if i == len(s) {
		if edited && nd.val >= 0 {
			found(nd.val, depth)
		}
		if !edited { // the key has one more character at the end
			for _, e := range c.words.edges[nd.first : nd.first+nd.n] {
				if v := c.words.nodes[e.child].val; v >= 0 {
					found(v, depth+1)
				}
			}
		}
		return
	}
	if ch := c.words.child(node, s[i]); ch >= 0 {
		c.editsAt(ch, s, i+1, depth+1, edited, found)
	}
	if edited {
		return
	}
	c.editsAt(node, s, i+1, depth, true, found) // s has an extra character
	for _, e := range c.words.edges[nd.first : nd.first+nd.n] {
		if e.r != s[i] {
			c.editsAt(e.child, s, i+1, depth+1, true, found) // one character differs
		}
		c.editsAt(e.child, s, i, depth+1, true, found) // s lacks a character
	}
}

// fuzzyProducts returns the products s may mean.
func (c *Catalog) fuzzyProducts(s []rune) []*models.Product {
	var out []*models.Product
	for _, v := range c.nearby(s, func(e *entry) bool { return len(e.products) > 0 }) {
		for _, p := range c.values[v].products {
			if pr := &c.products[p]; !containsProduct(out, pr) {
				out = append(out, pr)
			}
		}
	}
	return out
}

// fuzzyCustomers returns the customer indices s may mean.
func (c *Catalog) fuzzyCustomers(s []rune) []int32 {
	var out []int32
	for _, v := range c.nearby(s, func(e *entry) bool { return len(e.customers) > 0 }) {
		for _, i := range c.values[v].customers {
			if !contains(out, i) {
				out = append(out, i)
			}
		}
	}
	return out
}

func containsProduct(ps []*models.Product, p *models.Product) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

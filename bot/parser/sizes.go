package parser

import (
	"strings"

	"channelbot/models"
)

// sizeWords say which size of a product is meant, glued before or after its name:
// 小瓶装苹果汁, 苹果汁大瓶. small tells the smallest size from the largest.
var sizeWords = []struct {
	word  string
	small bool
}{
	{"小瓶装", true}, {"小瓶", true}, {"小包装", true}, {"小装", true}, {"小号", true}, {"小规格", true},
	{"大瓶装", false}, {"大瓶", false}, {"大包装", false}, {"大装", false}, {"大号", false}, {"大规格", false},
}

// sizeWord returns the size word s is, whole: small or big; ok is false when s is none.
func sizeWord(s []rune) (small, ok bool) {
	for _, w := range sizeWords {
		if string(s) == w.word {
			return w.small, true
		}
	}
	return false, false
}

// sizes reads a size said with a product name (300ml苹果汁, 苹果汁 500ml, 小瓶装苹果汁,
// 苹果汁大瓶) as the product of that size: the name and its size become one token
// for the product they select. A size no product of that name comes in is asked
// about, with the products that name covers: storing it as the named product (a
// 300ml count as 1L cases) would be a wrong value no one asked about.
func (c *Catalog) sizes(toks []token, rs []rune, r *Result) []token {
	if !c.hasSizes(toks, rs) {
		return toks
	}
	out := toks[:0]
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind != tkName || t.used || t.guess != nil || len(c.values[t.val].products) == 0 {
			out = append(out, t)
			continue
		}
		// A size before the name (a volume glued to it), else one after it.
		var q *token
		before := false
		if n := len(out); n > 0 && isSize(&out[n-1], rs) && (out[n-1].kind == tkText || out[n-1].end == t.start && !out[n-1].spaceAfter) {
			q, before = &out[n-1], true
		} else if i+1 < len(toks) && isSize(&toks[i+1], rs) {
			q = &toks[i+1]
		}
		if q == nil {
			out = append(out, t)
			continue
		}
		m := t
		if before {
			m.start = q.start
			out = out[:len(out)-1]
		} else {
			m.end, m.spaceAfter = q.end, q.spaceAfter
			i++
		}
		typed := rs[t.start:t.end]
		family := c.family(typed)
		if p := pickSize(family, q, rs); p != nil {
			m.guess = p
		} else {
			m.kind, m.used = tkText, true
			pr := Problem{Code: ProblemProductUnknown, Text: string(rs[m.start:m.end])}
			for _, f := range family {
				pr.Suggest = append(pr.Suggest, f.p.Name)
			}
			r.Problems = append(r.Problems, pr)
			if i+1 < len(toks) && isQty(&toks[i+1]) {
				toks[i+1].used = true
			}
		}
		out = append(out, m)
	}
	return out
}

// hasSizes reports whether any token may be a size, so that messages without one
// cost nothing more.
func (c *Catalog) hasSizes(toks []token, rs []rune) bool {
	for i := range toks {
		if isSize(&toks[i], rs) {
			return true
		}
	}
	return false
}

// isSize reports whether t says a product's size: a volume or a size word.
func isSize(t *token, rs []rune) bool {
	if t.used {
		return false
	}
	if t.kind == tkNumber {
		return t.num.kind == numVolume
	}
	if t.kind == tkText {
		_, ok := sizeWord(rs[t.start:t.end])
		return ok
	}
	return false
}

// sized is a product with its volume in millilitres, 0 when its name says none.
type sized struct {
	p  *models.Product
	ml int64
}

// family returns the products a name covers: those whose name or an alias contains
// it (苹果汁: 苹果汁1L and 苹果汁300ml), with their volumes.
func (c *Catalog) family(name []rune) []sized {
	typed := string(name)
	var out []sized
	for i := range c.products {
		p := &c.products[i]
		n := normalizeKey(p.Name)
		hit := strings.Contains(string(n), typed)
		for _, a := range models.SplitAliases(p.Aliases) {
			hit = hit || strings.Contains(string(normalizeKey(a)), typed)
		}
		if hit {
			out = append(out, sized{p: p, ml: volumeOf(n)})
		}
	}
	return out
}

// volumeOf reads the volume a normalized product name ends in (苹果汁1l: 1,000), or 0.
func volumeOf(name []rune) int64 {
	for k := len(name) - 1; k >= 0; k-- {
		if !isDigit(name[k]) || k > 0 && (isDigit(name[k-1]) || name[k-1] == '.') {
			continue
		}
		if n, ok := readNumber(name[k:]); ok && n.kind == numVolume && k+n.length == len(name) {
			v, _ := n.ml()
			return v
		}
		return 0
	}
	return 0
}

// pickSize returns the one product of family the size q says, or nil: a volume
// selects the product of that volume; 小 and 大 the smallest and the largest of
// two sizes or more.
func pickSize(family []sized, q *token, rs []rune) *models.Product {
	var hit *models.Product
	if q.kind == tkNumber {
		want, ok := q.num.ml()
		if !ok {
			return nil
		}
		for _, f := range family {
			if f.ml == want {
				if hit != nil {
					return nil
				}
				hit = f.p
			}
		}
		return hit
	}
	small, _ := sizeWord(rs[q.start:q.end])
	var best int64
	sizes := 0
	for _, f := range family {
		if f.ml == 0 {
			continue
		}
		sizes++
		switch {
		case hit == nil || small && f.ml < best || !small && f.ml > best:
			hit, best = f.p, f.ml
		case f.ml == best:
			return nil // two products of that size: ask
		}
	}
	if sizes < 2 {
		return nil
	}
	return hit
}

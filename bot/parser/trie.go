package parser

import (
	"slices"
	"sort"
)

// trie is an immutable prefix tree over runes, flattened into two arrays so that a
// catalog of 50,000 customers costs a few megabytes and no maps. Children of a node
// are a sorted run of edges, searched by binary search.
type trie struct {
	nodes []tnode
	edges []tedge
}

type tnode struct {
	first, n int32 // edges[first : first+n]
	val      int32 // index into the caller's values, -1 if no key ends here
}

type tedge struct {
	r     rune
	child int32
}

type trieKey struct {
	key []rune
	val int32
}

// buildTrie builds a trie from keys; each key must be unique.
func buildTrie(keys []trieKey) *trie {
	sort.Slice(keys, func(i, j int) bool { return slices.Compare(keys[i].key, keys[j].key) < 0 })
	t := &trie{}
	t.nodes = append(t.nodes, tnode{val: -1})
	t.fill(0, keys, 0)
	return t
}

// fill builds the subtree of node for keys, which all share their first depth runes.
func (t *trie) fill(node int32, keys []trieKey, depth int) {
	if len(keys) > 0 && len(keys[0].key) == depth {
		t.nodes[node].val = keys[0].val
		keys = keys[1:]
	}
	if len(keys) == 0 {
		return
	}
	// Group the remaining keys by their rune at depth.
	type group struct {
		r      rune
		lo, hi int
	}
	var groups []group
	for i := 0; i < len(keys); {
		r := keys[i].key[depth]
		j := i + 1
		for j < len(keys) && keys[j].key[depth] == r {
			j++
		}
		groups = append(groups, group{r, i, j})
		i = j
	}
	first := int32(len(t.edges))
	t.nodes[node].first, t.nodes[node].n = first, int32(len(groups))
	for _, g := range groups {
		t.nodes = append(t.nodes, tnode{val: -1})
		t.edges = append(t.edges, tedge{r: g.r, child: int32(len(t.nodes) - 1)})
	}
	for i, g := range groups {
		t.fill(t.edges[first+int32(i)].child, keys[g.lo:g.hi], depth+1)
	}
}

func (t *trie) child(node int32, r rune) int32 {
	nd := t.nodes[node]
	lo, hi := nd.first, nd.first+nd.n
	for lo < hi {
		m := int32(uint32(lo+hi) >> 1)
		if t.edges[m].r < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < nd.first+nd.n && t.edges[lo].r == r {
		return t.edges[lo].child
	}
	return -1
}

// longest returns the length and value of the longest key that is a prefix of s,
// or 0, -1 when none is.
func (t *trie) longest(s []rune) (int, int32) {
	if t == nil || len(t.nodes) == 0 {
		return 0, -1
	}
	node, bestLen, bestVal := int32(0), 0, int32(-1)
	for i, r := range s {
		node = t.child(node, r)
		if node < 0 {
			break
		}
		if v := t.nodes[node].val; v >= 0 {
			bestLen, bestVal = i+1, v
		}
	}
	return bestLen, bestVal
}

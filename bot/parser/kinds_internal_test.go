package parser

import (
	"strings"
	"testing"

	"channelbot/models"
)

// TestKindsDeclared checks that each report kind is fully declared, once.
func TestKindsDeclared(t *testing.T) {
	intents, stored := map[Intent]bool{}, map[models.ReportKind]bool{}
	for _, k := range Kinds {
		t.Run(string(k.Intent), func(t *testing.T) {
			if k.Intent == "" || k.Stored == "" || k.Name == "" || k.Title == "" || k.Usage == "" || len(k.Keywords) == 0 {
				t.Errorf("incomplete: %+v", k)
			}
			if k.Needs&^k.Carries != 0 {
				t.Errorf("Needs %b is not within Carries %b", k.Needs, k.Carries)
			}
			if intents[k.Intent] || stored[k.Stored] {
				t.Errorf("declared twice")
			}
			intents[k.Intent], stored[k.Stored] = true, true
			if got, ok := KindOf(k.Intent); !ok || got.Stored != k.Stored {
				t.Errorf("KindOf(%q) = %v, %v", k.Intent, got.Stored, ok)
			}
			if got, ok := KindStored(k.Stored); !ok || got.Intent != k.Intent {
				t.Errorf("KindStored(%q) = %v, %v", k.Stored, got.Intent, ok)
			}
			if NameOf(k.Intent) != k.Name || UsageOf(k.Intent) != k.Usage {
				t.Errorf("NameOf, UsageOf = %q, %q", NameOf(k.Intent), UsageOf(k.Intent))
			}
			if !startsWithOne(k.Usage, k.Keywords) {
				t.Errorf("Usage %q starts with none of its keywords", k.Usage)
			}
		})
	}
	for _, c := range Commands {
		if intents[c.Intent] {
			t.Errorf("%s is both a report kind and a command", c.Intent)
		}
		intents[c.Intent] = true
		if c.Usage != "" && !startsWithOne(c.Usage, c.Keywords) {
			t.Errorf("%s: Usage %q starts with none of its keywords", c.Intent, c.Usage)
		}
		if _, ok := KindOf(c.Intent); ok {
			t.Errorf("KindOf(%q) is a report kind", c.Intent)
		}
	}
	if _, ok := KindStored("gone"); ok {
		t.Error(`KindStored("gone") found a kind`)
	}
}

func startsWithOne(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// TestKeywordsOnce checks that no word announces two intents, or is also a filler
// or a date word, as normalized messages read it.
func TestKeywordsOnce(t *testing.T) {
	seen := map[string]string{}
	add := func(word, what string) {
		k := string(normalizeKey(word))
		if k == "" {
			t.Errorf("%s: %q normalizes to nothing", what, word)
			return
		}
		if prev, ok := seen[k]; ok {
			t.Errorf("%q is a word of both %s and %s", word, prev, what)
		}
		seen[k] = what
	}
	for _, k := range Kinds {
		for _, w := range k.Keywords {
			add(w, string(k.Intent))
		}
	}
	for _, c := range Commands {
		for _, w := range c.Keywords {
			add(w, string(c.Intent))
		}
	}
	for w, in := range stockWords {
		add(w, string(in))
	}
	for _, w := range fillers {
		add(w, "fillers")
	}
	for w := range dateWords {
		add(w, "dateWords")
	}
}

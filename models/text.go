package models

import (
	"strings"
	"unicode/utf8"
)

// Text that people type reaches replies, digests and other people's screens, and the
// database: characters that control a terminal or the direction of text, and NUL
// (which PostgreSQL refuses in text while SQLite keeps it), are kept out of both, the
// same way on every database.

// unsafeRune reports whether r is a control character (C0, DEL, C1) or a bidirectional
// formatting character (LRM, RLM, ALM, the embeddings, overrides and isolates), which
// make echoed text lie about what it says.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x200e, r == 0x200f, r == 0x061c, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// BadCharacter returns the first character of s an imported cell may not hold:
// a control character (newlines and tabs included: a name is one line) or a
// bidirectional formatting character. ok is false when there is none.
func BadCharacter(s string) (r rune, ok bool) {
	for _, r := range s {
		if unsafeRune(r) {
			return r, true
		}
	}
	return 0, false
}

// StripControls returns s without the characters BadCharacter finds, except
// newlines and tabs, which a message may hold; "\r\n" becomes "\n". Invalid UTF-8
// becomes U+FFFD. It returns s itself when there is nothing to remove.
func StripControls(s string) string {
	clean := utf8.ValidString(s)
	for _, r := range s {
		if !clean {
			break
		}
		if unsafeRune(r) && r != '\n' && r != '\t' {
			clean = false
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if !unsafeRune(r) || r == '\n' || r == '\t' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stripAll returns s without any character BadCharacter finds.
func stripAll(s string) string {
	if _, bad := BadCharacter(s); !bad {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unsafeRune(r) {
			return -1
		}
		return r
	}, s)
}

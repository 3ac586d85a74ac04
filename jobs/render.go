package jobs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Texts are markdown as WeCom and Feishu render it (**bold** only), read in a chat
// bubble on a phone, about 20 Chinese characters wide, in a proportional font: one
// short line per rep or per item, the worst first, never columns padded with spaces
// (they cannot line up and they wrap). Lines longer than lineWidth are folded.

// lineWidth is the widest a line of a digest or reminder may be, in display
// columns (a Chinese character or an emoji is 2): 18 characters, inside the
// narrowest bubble.
const lineWidth = 36

// foldIndent starts the continuation of a folded line: one ideographic space.
const foldIndent = "\u3000"

// runeWidth is how many columns r takes on screen: 2 for wide (CJK, full-width,
// emoji), 0 for joiners, variation selectors and combining marks, else 1. It errs
// on the wide side for symbols whose width depends on the font.
func runeWidth(r rune) int {
	switch {
	case r == 0x200B || r == 0x200C || r == 0x200D || r == 0xFE0E || r == 0xFE0F,
		r >= 0x0300 && r <= 0x036F:
		return 0
	case r < 0x1100:
		return 1
	case r <= 0x115F, // Hangul Jamo
		r == 0x2026 || r == 0x2014 || r == 0x203B, // … — ※: wide in Chinese fonts
		r >= 0x2190 && r <= 0x21FF,                // arrows
		r >= 0x2300 && r <= 0x23FF,                // ⌚ ⏰ ⏳
		r >= 0x2600 && r <= 0x27BF,                // ⚠ ✅ ❌ and dingbats
		r >= 0x2B00 && r <= 0x2BFF,                // ⬆ ⭐
		r >= 0x2E80 && r <= 0xA4CF,                // CJK, kana, ideographic space
		r >= 0xAC00 && r <= 0xD7A3,                // Hangul
		r >= 0xF900 && r <= 0xFAFF,                // CJK compatibility
		r >= 0xFE30 && r <= 0xFE4F,                // CJK compatibility forms
		r >= 0xFF00 && r <= 0xFF60,                // full-width forms: （）：，
		r >= 0xFFE0 && r <= 0xFFE6,
		r >= 0x1F000 && r <= 0x1FAFF, // emoji
		r >= 0x20000 && r <= 0x3FFFD:
		return 2
	}
	return 1
}

// displayWidth is how many columns s takes on screen, markdown bold marks aside.
func displayWidth(s string) int {
	n := 0
	for _, r := range strings.ReplaceAll(s, "**", "") {
		n += runeWidth(r)
	}
	return n
}

// shortLines folds every line of text wider than lineWidth.
func shortLines(text string) string {
	lines := strings.Split(text, "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, fold(l, lineWidth)...)
	}
	return strings.Join(out, "\n")
}

// fold cuts a line wider than limit into lines that fit: after a Chinese comma,
// colon or enumeration mark, or at a space, where it can; inside a word only when
// nothing else fits. Continuations start with foldIndent. Bold spans cut in two
// are closed and reopened, so that each line renders on its own.
func fold(line string, limit int) []string {
	if displayWidth(line) <= limit {
		return []string{line}
	}
	var out []string
	rest, bold := line, false
	for first := true; rest != ""; first = false {
		prefix := ""
		if !first {
			prefix = foldIndent
		}
		if bold {
			prefix += "**"
		}
		if displayWidth(prefix+rest) <= limit {
			out = append(out, prefix+rest)
			break
		}
		cut := cutAt(rest, limit-displayWidth(prefix))
		if strings.HasPrefix(rest[cut:], "**") && strings.Count(rest[:cut], "**")%2 == 1 {
			cut += 2 // keep a closing mark with its span
		}
		// A cut at a " · " between two items drops the dot.
		head := strings.TrimRight(rest[:cut], " ·")
		rest = strings.TrimLeft(rest[cut:], " ·")
		piece := prefix + head
		if strings.Count(head, "**")%2 == 1 {
			bold = !bold
		}
		if bold {
			piece += "**"
		}
		out = append(out, piece)
	}
	return out
}

// cutAt returns where to cut s so that s[:cut] fits width columns: the last break
// opportunity that fits, or as many runes as fit (at least one).
func cutAt(s string, width int) int {
	w, hard, soft := 0, 0, 0
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "**") { // bold marks take no room
			i += 2
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if w+runeWidth(r) > width {
			break
		}
		w += runeWidth(r)
		switch {
		case r == ' ' && i > 0:
			soft = i
		case strings.ContainsRune("，：、；。）", r):
			soft = i + size
		}
		i += size
		hard = i
	}
	switch {
	case soft > 0:
		return soft
	case hard > 0:
		return hard
	}
	_, size := utf8.DecodeRuneInString(s)
	return size
}

// weekLabel names the week that starts on Monday mon by its real dates, Monday to
// Sunday: 11/23–11/29; with the years when it spans two: 2026/12/28–2027/1/3.
func weekLabel(mon Day) string {
	a, b := mon.Time(), (mon + 6).Time()
	if a.Year() != b.Year() {
		return a.Format("2006/1/2") + "–" + b.Format("2006/1/2")
	}
	return a.Format("1/2") + "–" + b.Format("1/2")
}

// num formats a quantity with at most one decimal: 12, 12.5.
func num(v float64) string {
	r := math.Round(v*10) / 10
	if r == math.Trunc(r) {
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	return strconv.FormatFloat(r, 'f', 1, 64)
}

// signed formats a change: +3, −2, ±0.
func signed(v float64) string {
	switch s := num(math.Abs(v)); {
	case s == "0":
		return "±0"
	case v > 0:
		return "+" + s
	default:
		return "−" + s
	}
}

// capList joins items, showing at most n and how many more there are.
func capList(items []string, n int, sep string) string {
	if len(items) <= n {
		return strings.Join(items, sep)
	}
	return strings.Join(items[:n], sep) + fmt.Sprintf("%s…等%d项", sep, len(items))
}

package parser

import "unicode"

// normalize rewrites a message in place into the form the lexer reads: full-width
// letters, digits and punctuation become ASCII, ASCII letters lower case, and
// separators (，、：;x×* …) become spaces. A '-' after a space and before a digit
// stays: it is a minus sign. A letter x, × or * counts as a separator
// only before a digit ("苹果汁x120", "苹果汁 x 120"). ￥ becomes ¥.
func normalize(rs []rune) []rune {
	for i, r := range rs {
		switch {
		case r == 0x3000:
			r = ' '
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == '￥':
			r = '¥'
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		rs[i] = r
	}
	for i, r := range rs {
		if (r == '-' || r == '—') && (i == 0 || rs[i-1] == ' ') && i+1 < len(rs) && isDigit(rs[i+1]) {
			// A minus sign, not a separator: "苹果汁 -5" is minus five (refused), while
			// "苹果汁-120" is 120.
			rs[i] = '-'
			continue
		}
		switch r {
		case ',', '，', '、', ':', '：', ';', '；', '。', '!', '！', '"', '“', '”', '\'', '‘', '’',
			'(', ')', '（', '）', '[', ']', '【', '】', '《', '》', '<', '>', '~', '～', '-', '—', '_', '=', '+', '|', '\\':
			rs[i] = ' '
		case 'x', '×', '*':
			if j := skipSpaces(rs, i+1); j < len(rs) && isDigit(rs[j]) && (i == 0 || !isASCIILetter(rs[i-1])) {
				rs[i] = ' '
			}
		default:
			if unicode.IsSpace(r) {
				rs[i] = ' '
			}
		}
	}
	return rs
}

func isDigit(r rune) bool       { return r >= '0' && r <= '9' }
func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' }

// normalizeKey normalizes a catalog name or alias the same way as messages, without
// separators: spaces are dropped.
func normalizeKey(s string) []rune {
	rs := normalize([]rune(s))
	out := rs[:0]
	for _, r := range rs {
		if r != ' ' {
			out = append(out, r)
		}
	}
	return out
}

package parser

// decimal is an exact non-negative decimal: mant / 10^scale.
type decimal struct {
	mant  int64
	scale int8
}

// numKind is what a number in a message measures, judged from the unit after it.
type numKind uint8

const (
	numBare     numKind = iota // no unit: cases for quantities, yuan for prices
	numCases                   // 箱, 件
	numPieces                  // 瓶, 罐, 听, 个, …: the product's pack unit
	numPrice                   // 元, 块
	numDay                     // 25号: a day of the month
	numMonthDay                // 12月1日
	numOther                   // 20份, 3天: counted, but not goods or money
	numUnit                    // 2提: a unit the product may declare (Product.Units)
	numVolume                  // 300ml, 1升: a product's size, never a quantity
)

const maxMant = 1 << 40 // far above any real quantity or price, far below overflow

var (
	caseUnits  = []string{"箱", "件", "ctn"}
	pieceUnits = []string{"瓶", "罐", "听", "个", "支", "包", "袋", "盒", "桶", "杯"}
	otherUnits = []string{"份", "天", "次", "家", "人", "米", "个月", "周", "%"}
	// perCase follows a price: 38元一箱, 38一箱, 38元/箱, 38每箱.
	perCase = []string{"一箱", "每箱", "/箱", "一件", "每件"}
	// perPiece follows a price of one bottle: 3.5元一瓶.
	perPiece = []string{"一瓶", "每瓶", "/瓶", "一罐", "每罐", "一听", "一个", "一支", "一包", "一袋", "一盒"}
	// measureWords are units goods come in besides cases and pieces: 2提 is no
	// number of cases, and is read only as far as the product declares it.
	measureWords = []string{"提", "板", "排", "扎", "打", "托", "条", "套", "组", "拖", "层"}
	// volumeUnits name a product's size: 300ml, 300毫升, 1l, 1升.
	volumeUnits = []string{"毫升", "ml", "升", "l"}
)

// maxDigits is the most digits a whole part may have: no count or price has more,
// and a number longer is a slip (a phone number, a pasted code), never stored.
const maxDigits = 7

// hasPrefix reports whether s starts with p, rune by rune.
func hasPrefix(s []rune, p string) bool {
	i := 0
	for _, r := range p {
		if i >= len(s) || s[i] != r {
			return false
		}
		i++
	}
	return true
}

// prefixLen returns the rune length of the first of ps that s starts with, or 0.
func prefixLen(s []rune, ps []string) int {
	for _, p := range ps {
		if hasPrefix(s, p) {
			return len([]rune(p))
		}
	}
	return 0
}

// digits reads an ASCII decimal ("37.5") at the start of s.
func digits(s []rune) (decimal, int) {
	d, i, _ := digitsLen(s)
	return d, i
}

// digitsLen is digits, also returning how many digits the whole part has.
func digitsLen(s []rune) (decimal, int, int) {
	var d decimal
	i, dot, whole := 0, false, 0
	for i < len(s) {
		r := s[i]
		switch {
		case isDigit(r):
			if !dot {
				whole++
			}
			if d.mant < maxMant {
				d.mant = d.mant*10 + int64(r-'0')
				if dot {
					d.scale++
				}
			}
		case r == '.' && !dot && i+1 < len(s) && isDigit(s[i+1]) && i > 0:
			dot = true
		default:
			return d, i, whole
		}
		i++
	}
	return d, i, whole
}

var cnDigit = map[rune]int64{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

var cnUnit = map[rune]int64{'十': 10, '百': 100, '千': 1000, '万': 10000}

// chinese reads a Chinese numeral ("一百零五", "两百", "十五", "二十五") at the start of s.
// A digit right after 百, 千 or 万 counts in the next unit down, as people say it:
// 一百二 is 120, 两千五 is 2,500. Two digits in a row end the numeral (一二 reads 一).
// ASCII digits may stand for the Chinese ones (3百5 is 350, 1千零5 is 1,005).
func chinese(s []rune) (int64, int) {
	var total, section, digit, lastUnit int64
	seen, afterDigit, zero := false, false, false
	i := 0
	for i < len(s) {
		r := s[i]
		d, ok := cnDigit[r]
		l := 1
		if !ok && isDigit(r) {
			var dd decimal
			dd, l = digits(s[i:])
			if dd.scale != 0 {
				break
			}
			d, ok = dd.mant, true
		}
		if ok {
			if afterDigit && !zero {
				break
			}
			if d == 0 && l == 1 {
				zero = true
			}
			digit, seen, afterDigit = d, true, true
			i += l
			continue
		}
		u, ok := cnUnit[r]
		if !ok {
			break
		}
		if digit == 0 && u == 10 {
			digit = 1 // 十五 = 15
		}
		seen, afterDigit, zero, lastUnit = true, false, false, u
		if u == 10000 {
			total = min((total+section+digit)*u, maxMant)
			section = 0
		} else {
			section = min(section+digit*u, maxMant)
		}
		digit = 0
		i++
	}
	if !seen {
		return 0, 0
	}
	if digit > 0 && digit < 10 && lastUnit >= 100 && !zero && i >= 2 && cnUnit[s[i-2]] == lastUnit {
		digit *= lastUnit / 10 // 一百二 = 120
	}
	return min(total+section+digit, maxMant), i
}

// number is a number in a message with what follows it.
type number struct {
	val      decimal
	loose    int64 // 3箱6瓶: the 6
	half     bool  // 1箱半, 半箱: half a case more
	kind     numKind
	month    int  // numMonthDay
	perPiece bool // a price of one piece, not one case
	perCase  bool // a price said to be of one case (38元一箱)
	negative bool // -5: no quantity or price is
	tooLong  bool // more digits than maxDigits
	unit     string
	length   int // runes consumed, unit included
}

// startsNumber reports whether r may start a number: a digit, a Chinese numeral or
// 半 (半箱).
func startsNumber(r rune) bool {
	if isDigit(r) || r == '半' {
		return true
	}
	_, ok := cnDigit[r]
	return ok || r == '十'
}

// wholeAt reads a whole number, in digits or Chinese, at the start of s.
func wholeAt(s []rune) (int64, int) {
	if len(s) == 0 {
		return 0, 0
	}
	if isDigit(s[0]) {
		d, l := digits(s)
		if d.scale != 0 {
			return 0, 0
		}
		return d.mant, l
	}
	return chinese(s)
}

// readNumber reads a number and its unit at the start of s. ok is false when s does
// not start with one. Chinese numerals count only when a unit follows or the numeral
// stands alone, so that 东一路 stays a name.
func readNumber(s []rune) (n number, ok bool) {
	var i int
	switch {
	case isDigit(s[0]):
		var whole int
		n.val, i, whole = digitsLen(s)
		if i < len(s) && magnitudeAt(s[i:]) {
			// 3百, 1千2, 2万, 1.5万: digits with a Chinese magnitude.
			n.val, i = withMagnitude(s, n.val, i)
			whole = wholeDigits(n.val)
		}
		n.tooLong = whole > maxDigits
	case s[0] == '半':
		// 半箱: half a case.
		if l := prefixLen(s[1:], caseUnits); l > 0 {
			n.kind, n.half, n.length = numCases, true, 1+l
			return n, true
		}
		return n, false
	default:
		v, l := chinese(s)
		if l == 0 {
			return n, false
		}
		n.val, i = decimal{mant: v}, l
		rest := s[i:]
		if len(rest) > 0 && rest[0] != ' ' && unitAt(rest) == 0 && prefixLen(rest, perCase) == 0 && prefixLen(rest, perPiece) == 0 &&
			volumeAt(rest) == 0 {
			return n, false
		}
	}
	// 120 箱, 38 元: a unit typed apart from its number.
	if j := skipSpaces(s, i); j > i && (prefixLen(s[j:], caseUnits) > 0 || prefixLen(s[j:], pieceUnits) > 0 && !hasPrefix(s[j:], "个月") ||
		hasPrefix(s[j:], "元") || hasPrefix(s[j:], "块")) {
		i = j
	}
	rest := s[i:]
	if l := volumeAt(rest); l > 0 && i > 0 {
		// 300ml, 1升装: the product's size.
		n.kind, n.unit, n.length = numVolume, string(rest[:l]), i+l
		if hasPrefix(s[n.length:], "装") {
			n.length++
		}
		return n, true
	}
	switch {
	case hasPrefix(rest, "个月"):
		n.kind, n.length = numOther, i+2
		return n, true
	case hasPrefix(rest, "月") && len(rest) > 1:
		if day, l, ok := dayAt(rest[1:]); ok {
			n.kind, n.month, n.val, n.length = numMonthDay, int(n.val.mant), decimal{mant: int64(day)}, i+1+l
			return n, true
		}
	case hasPrefix(rest, "号") || hasPrefix(rest, "日"):
		n.kind, n.length = numDay, i+1
		return n, true
	case hasPrefix(rest, "元") || hasPrefix(rest, "块"):
		n.kind = numPrice
		i++
		if hasPrefix(s[i-1:], "块") && i < len(s) && n.val.scale == 0 && !priceUnitAt(s[i:]) {
			// 38块5, 三十八块五: 38.5 yuan; but 25块一箱 is 25 a case.
			if v, l := wholeAt(s[i:]); l > 0 && v < 10 && (isDigit(s[i]) || l == 1) {
				n.val = decimal{mant: n.val.mant*10 + v, scale: 1}
				i += l
			}
		}
		if hasPrefix(s[i:], "钱") {
			i++ // 38块钱
		}
		if l := prefixLen(s[i:], perCase); l > 0 {
			n.perCase = true
			i += l
		}
		if l := prefixLen(s[i:], perPiece); l > 0 {
			n.perPiece = true
			i += l
		}
		n.length = i
		return n, true
	}
	if l := prefixLen(rest, caseUnits); l > 0 {
		n.kind = numCases
		i += l
		switch {
		case hasPrefix(s[i:], "半"):
			// 1箱半: and a half.
			n.half = true
			i++
		case i < len(s) && n.val.scale == 0:
			// 3箱6瓶, 两箱三瓶: loose pieces after the cases.
			if v, vl := wholeAt(s[i:]); vl > 0 {
				if ul := prefixLen(s[i+vl:], pieceUnits); ul > 0 {
					n.loose = v
					i += vl + ul
				}
			}
		}
		n.length = i
		return n, true
	}
	if l := prefixLen(rest, pieceUnits); l > 0 {
		n.kind, n.length = numPieces, i+l
		return n, true
	}
	if l := prefixLen(rest, otherUnits); l > 0 {
		n.kind, n.length = numOther, i+l
		return n, true
	}
	if l := prefixLen(rest, perCase); l > 0 {
		// 38一箱: a price per case.
		n.kind, n.perCase, n.length = numPrice, true, i+l
		return n, true
	}
	if l := prefixLen(rest, perPiece); l > 0 {
		n.kind, n.perPiece, n.length = numPrice, true, i+l
		return n, true
	}
	if l := prefixLen(rest, measureWords); l > 0 && i > 0 && rest[0] != ' ' {
		n.kind, n.unit, n.length = numUnit, string(rest[:l]), i+l
		return n, true
	}
	n.kind, n.length = numBare, i
	return n, true
}

// magnitudeAt reports whether s starts with 十, 百, 千 or 万 used as a magnitude:
// not 千克, 千米, 百佳 and the like, where the character starts a word.
func magnitudeAt(s []rune) bool {
	if _, ok := cnUnit[s[0]]; !ok {
		return false
	}
	if len(s) > 1 {
		switch s[1] {
		case '克', '米', '瓦', '佳', '货', '事', '分':
			return false
		}
	}
	return true
}

// withMagnitude reads digits d (ending at i) with the Chinese magnitude after them,
// as people say numbers: 3百 is 300, 1千2 is 1,200, 1千零5 is 1,005, 1.5万 is 15,000.
func withMagnitude(s []rune, d decimal, i int) (decimal, int) {
	if d.scale == 0 {
		v, l := chinese(s)
		return decimal{mant: v}, l
	}
	// 1.5万: a decimal times one magnitude, nothing after it.
	u := cnUnit[s[i]]
	if d.mant > maxMant/u {
		return decimal{mant: maxMant}, i + 1
	}
	d.mant *= u
	for d.scale > 0 && d.mant%10 == 0 {
		d.mant /= 10
		d.scale--
	}
	return d, i + 1
}

// wholeDigits is the number of digits in d's whole part.
func wholeDigits(d decimal) int {
	v := d.mant
	for range d.scale {
		v /= 10
	}
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// priceUnitAt reports whether s starts with the unit a price is of: 一箱, 一瓶, 一件
// and the like, or 一 before any unit (一提). After 25块 it is never a decimal.
func priceUnitAt(s []rune) bool {
	if prefixLen(s, perCase) > 0 || prefixLen(s, perPiece) > 0 {
		return true
	}
	return len(s) > 1 && s[0] == '一' && (unitAt(s[1:]) > 0 || prefixLen(s[1:], measureWords) > 0)
}

// volumeAt returns the length of a volume unit at the start of s (ml, 毫升, l, 升), or
// 0; a letter after ml or l makes it a word, not a unit.
func volumeAt(s []rune) int {
	l := prefixLen(s, volumeUnits)
	if l > 0 && l < len(s) && isASCIILetter(s[l]) {
		return 0
	}
	return l
}

// ml is a volume's size in millilitres; ok is false when it is no whole number of them.
func (n number) ml() (int64, bool) {
	if n.kind != numVolume {
		return 0, false
	}
	v := n.val.mant
	if n.unit == "l" || n.unit == "升" {
		v *= 1000
	}
	for range n.val.scale {
		if v%10 != 0 {
			return 0, false
		}
		v /= 10
	}
	return v, v > 0
}

// skipSpaces returns the index of the first rune at or after i that is no space.
func skipSpaces(s []rune, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// unitAt returns the length of a unit word at the start of s, or 0.
func unitAt(s []rune) int {
	for _, set := range [][]string{caseUnits, pieceUnits, otherUnits, {"元", "块", "号", "日", "月"}} {
		if l := prefixLen(s, set); l > 0 {
			return l
		}
	}
	return 0
}

// dayAt reads "1日", "15号" or "三日" at the start of s.
func dayAt(s []rune) (int, int, bool) {
	if len(s) == 0 {
		return 0, 0, false
	}
	var v int64
	var l int
	if isDigit(s[0]) {
		d, dl := digits(s)
		if d.scale != 0 {
			return 0, 0, false
		}
		v, l = d.mant, dl
	} else {
		v, l = chinese(s)
	}
	if l == 0 || v < 1 || v > 31 {
		return 0, 0, false
	}
	if l < len(s) && (s[l] == '日' || s[l] == '号') {
		l++
	}
	return int(v), l, true
}

// pieces converts a quantity into pieces of a pack of packSize. ok is false when the
// quantity is not a whole number of pieces (0.3箱 of a 12-bottle case, 半箱 of 15).
func (n number) pieces(packSize int) (int64, bool) {
	pack := int64(max(packSize, 1))
	switch n.kind {
	case numPieces:
		if n.val.scale != 0 {
			return 0, false
		}
		return n.val.mant, true
	case numCases, numBare:
		v := n.val.mant * pack
		div := int64(1)
		for range n.val.scale {
			div *= 10
		}
		if v%div != 0 {
			return 0, false
		}
		v = v/div + n.loose
		if n.half {
			if pack%2 != 0 {
				return 0, false
			}
			v += pack / 2
		}
		return v, true
	}
	return 0, false
}

// fen converts a price in yuan to fen; ok is false for more than two decimals.
func (d decimal) fen() (int64, bool) {
	switch d.scale {
	case 0:
		return d.mant * 100, true
	case 1:
		return d.mant * 10, true
	case 2:
		return d.mant, true
	}
	return 0, false
}

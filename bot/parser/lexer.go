package parser

import (
	"time"

	"channelbot/models"
)

type tokKind uint8

const (
	tkText    tokKind = iota // a run of words the vocabulary does not know
	tkFiller                 // 那里, 店里: skipped
	tkKeyword                // an intent keyword
	tkName                   // a product or customer name
	tkNumber                 // a number with its unit
	tkDate                   // a day: 明天, 周三, 25号, 12月1日, 下月15号
	tkAnswer                 // 确认, 是, 不: an answer when alone, else part of the words around it
)

// token is one lexed piece of a message: a span of the normalized runes.
type token struct {
	kind       tokKind
	start, end int
	spaceAfter bool
	val        int32 // vocabulary entry, for keywords and names
	num        number
	date       Date
	used       bool            // consumed while assembling the result
	guess      *models.Product // the product unknown words were read as
}

// lex splits a normalized message into tokens: longest vocabulary match first, then
// numbers, else text. Adjacent unknown runes and fillers merge into one text token;
// a filler standing alone is dropped.
func (c *Catalog) lex(rs []rune, now time.Time, toks []token) []token {
	for i := 0; i < len(rs); {
		if rs[i] == ' ' {
			if n := len(toks); n > 0 {
				toks[n-1].spaceAfter = true
			}
			i++
			continue
		}
		if l, v := c.words.longest(rs[i:]); l > 0 {
			e := &c.values[v]
			t := token{start: i, end: i + l, val: v}
			switch {
			case len(e.products) > 0 || len(e.customers) > 0:
				t.kind = tkName
			case e.answer:
				t.kind = tkAnswer
			case e.intent != "":
				t.kind = tkKeyword
			case e.date.kind != dateNone:
				if d, n, ok := c.dateAt(rs, i, l, e.date, now); ok {
					t.kind, t.date, t.end = tkDate, d, i+n
				} else {
					t.kind = tkText
				}
			default:
				t.kind = tkFiller
			}
			toks = appendToken(toks, t)
			i = t.end
			continue
		}
		if rs[i] == '¥' && i+1 < len(rs) && isDigit(rs[i+1]) {
			// ¥38: a price whatever follows.
			if n, ok := readNumber(rs[i+1:]); ok && (n.kind == numBare || n.kind == numPrice) {
				n.kind = numPrice
				toks = appendToken(toks, token{kind: tkNumber, start: i, end: i + 1 + n.length, num: n})
				i += 1 + n.length
				continue
			}
		}
		if rs[i] == '-' && i+1 < len(rs) && isDigit(rs[i+1]) {
			// -5: read, to be refused where it stands.
			if n, ok := readNumber(rs[i+1:]); ok {
				n.negative = true
				toks = appendToken(toks, token{kind: tkNumber, start: i, end: i + 1 + n.length, num: n})
				i += 1 + n.length
				continue
			}
		}
		if startsNumber(rs[i]) {
			if n, ok := readNumber(rs[i:]); ok && (n.kind != numBare || isDigit(rs[i]) || !gluedToText(toks, i)) {
				if n.kind == numBare && isDigit(rs[i]) {
					// 2提: a unit a product declares.
					if l := prefixLen(rs[i+n.length:], c.units); l > 0 {
						n.kind, n.unit = numUnit, string(rs[i+n.length:i+n.length+l])
						n.length += l
					}
				}
				t := token{kind: tkNumber, start: i, end: i + n.length, num: n}
				switch n.kind {
				case numDay:
					t.date, ok = dayOfMonth(now, int(n.val.mant), false)
					t.kind = tkDate
				case numMonthDay:
					t.date, ok = monthDay(now, n.month, int(n.val.mant))
					t.kind = tkDate
				}
				if ok {
					toks = appendToken(toks, t)
					i = t.end
					if t.kind == tkDate {
						l := dateTail(rs[i:])
						toks[len(toks)-1].end += l
						i += l
					}
					continue
				}
			}
		}
		toks = appendToken(toks, token{kind: tkText, start: i, end: i + 1})
		i++
	}
	// Fillers that stand between names and numbers are dropped.
	out := toks[:0]
	for _, t := range toks {
		if t.kind != tkFiller {
			out = append(out, t)
		}
	}
	return joinLoose(out)
}

// gluedToText reports whether a token starting at i would touch the text before it:
// a Chinese numeral inside words (统一, 买二送一) is part of them.
func gluedToText(toks []token, i int) bool {
	n := len(toks)
	return n > 0 && toks[n-1].kind == tkText && toks[n-1].end == i
}

// joinLoose joins loose pieces typed apart from their cases ("3箱 6瓶") into one
// quantity, unless the pieces lead into a product of their own ("3箱 6瓶橙汁").
func joinLoose(toks []token) []token {
	out := toks[:0]
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if i+1 < len(toks) && t.kind == tkNumber && t.num.kind == numCases && t.num.loose == 0 && !t.num.half && t.num.val.scale == 0 {
			nx := toks[i+1]
			if nx.kind == tkNumber && nx.num.kind == numPieces && nx.num.val.scale == 0 &&
				!(i+2 < len(toks) && toks[i+2].kind == tkName && toks[i+2].start == nx.end) {
				t.num.loose, t.end, t.spaceAfter = nx.num.val.mant, nx.end, nx.spaceAfter
				i++
			}
		}
		out = append(out, t)
	}
	return out
}

// dateSuffixes follow a day without changing it: 周五前, 25号之前.
var dateSuffixes = []string{"之前", "以前", "前", "起执行", "开始", "起"}

// dateTail is the length of the words after a day that leave it as it is: a part of
// the day, then a suffix (明天下午, 周五前, 25号下午之前).
func dateTail(s []rune) int {
	l := prefixLen(s, dayParts)
	return l + prefixLen(s[l:], dateSuffixes)
}

// appendToken merges text and fillers that touch the previous text token, so that
// "不认识的店" stays one piece.
func appendToken(toks []token, t token) []token {
	if n := len(toks); n > 0 {
		p := &toks[n-1]
		mergeable := func(k tokKind) bool { return k == tkText || k == tkFiller || k == tkAnswer }
		if mergeable(p.kind) && mergeable(t.kind) && !p.spaceAfter && p.end == t.start &&
			(p.kind == tkText || t.kind == tkText) {
			p.kind, p.end = tkText, t.end
			return toks
		}
	}
	return append(toks, t)
}

// dateAt reads a date word at rs[i:i+l], with the day that follows 下月.
func (c *Catalog) dateAt(rs []rune, i, l int, w dateWord, now time.Time) (Date, int, bool) {
	rest := rs[i+l:]
	switch w.kind {
	case dateNextMonth, dateThisMonth:
		if day, dl, ok := dayAt(rest); ok {
			var d Date
			if w.kind == dateNextMonth {
				d, ok = dayOfMonth(now, day, true)
			} else {
				d, ok = validDate(now.Year(), now.Month(), day)
			}
			return d, l + dl + dateTail(rs[i+l+dl:]), ok
		}
		return Date{}, 0, false
	case dateYear:
		if len(rest) > 0 && startsNumber(rest[0]) {
			if n, ok := readNumber(rest); ok && n.kind == numMonthDay {
				d, ok := yearMonthDay(now.Year()+w.n, n.month, int(n.val.mant))
				return d, l + n.length + dateTail(rs[i+l+n.length:]), ok
			}
		}
		return Date{}, 0, false
	}
	d, ok := w.resolve(now)
	return d, l + dateTail(rs[i+l:]), ok
}

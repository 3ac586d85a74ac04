package jobs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Texts are markdown as WeCom and Feishu render it (**bold** only), read in a chat at
// a glance: short lines, the worst first, numbers in columns. Columns are padded with
// figure spaces (U+2007), as wide as a digit in proportional fonts too.
const figureSpace = "\u2007"

// alignRight pads each column of rows on the left to its widest cell.
func alignRight(rows [][]string) [][]string {
	var width []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for k, c := range r {
			out[i][k] = strings.Repeat(figureSpace, width[k]-utf8.RuneCountInString(c)) + c
		}
	}
	return out
}

// ratio formats done/planned columns so that the slashes line up.
func ratios(done, planned []int) []string {
	wd, wp := 0, 0
	for i := range done {
		wd = max(wd, len(strconv.Itoa(done[i])))
		wp = max(wp, len(strconv.Itoa(planned[i])))
	}
	out := make([]string, len(done))
	for i := range done {
		d, p := strconv.Itoa(done[i]), strconv.Itoa(planned[i])
		out[i] = strings.Repeat(figureSpace, wd-len(d)) + d + "/" + p + strings.Repeat(figureSpace, wp-len(p))
	}
	return out
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

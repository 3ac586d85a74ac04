package models

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in fen (0.01 CNY), so prices stay exact.
type Money int64

// ParseMoney parses a decimal yuan amount with at most two decimals ("38.5" → 3850).
func ParseMoney(s string) (Money, error) {
	v, err := parseFixed(s, 2)
	return Money(v), err
}

// String formats m in yuan without trailing zeros ("38.5").
func (m Money) String() string { return formatFixed(int64(m), 2) }

// Factor is a multiplier in thousandths (1.5 → 1500), for safety factors.
type Factor int64

// FactorOne is a factor of 1.
const FactorOne Factor = 1000

// ParseFactor parses a decimal factor with at most three decimals.
func ParseFactor(s string) (Factor, error) {
	v, err := parseFixed(s, 3)
	return Factor(v), err
}

// String formats f as a decimal ("1.5").
func (f Factor) String() string { return formatFixed(int64(f), 3) }

// parseFixed parses a non-negative decimal into an integer scaled by 10^scale,
// rejecting more decimals than scale allows.
func parseFixed(s string, scale int) (int64, error) {
	s = strings.TrimSpace(s)
	intPart, frac, hasDot := strings.Cut(s, ".")
	if s == "" || intPart == "" && !hasDot || len(frac) > scale || hasDot && frac == "" {
		return 0, fmt.Errorf("not a number with at most %d decimals: %q", scale, s)
	}
	if intPart == "" {
		intPart = "0"
	}
	whole, err := strconv.ParseUint(intPart, 10, 40)
	if err != nil {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	v := int64(whole)
	for i := 0; i < scale; i++ {
		v *= 10
		if i < len(frac) {
			d := frac[i]
			if d < '0' || d > '9' {
				return 0, fmt.Errorf("not a number: %q", s)
			}
			v += int64(d - '0')
		}
	}
	return v, nil
}

func formatFixed(v int64, scale int) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	div := int64(1)
	for i := 0; i < scale; i++ {
		div *= 10
	}
	whole, frac := v/div, v%div
	if frac == 0 {
		return sign + strconv.FormatInt(whole, 10)
	}
	fs := strings.TrimRight(fmt.Sprintf("%0*d", scale, frac), "0")
	return sign + strconv.FormatInt(whole, 10) + "." + fs
}

// SplitAliases splits a "|"-separated alias list, dropping blanks and duplicates.
func SplitAliases(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range strings.Split(s, "|") {
		a = strings.TrimSpace(a)
		if a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

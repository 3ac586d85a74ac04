package models

import (
	"strconv"
	"strings"
)

// ParseUnits reads a product's extra units: "提=6瓶|板=24" is 6 pieces to a 提 and
// 24 to a 板. A count after "=" may name the pack unit (瓶) or none. ok is false when
// an entry is unreadable, its count not a positive whole number, or its unit a
// number.
func ParseUnits(s, packUnit string) (units map[string]int, ok bool) {
	units = map[string]int{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ';' || r == '；' || r == '、' }) {
		name, n, found := strings.Cut(strings.TrimSpace(part), "=")
		name, n = strings.TrimSpace(name), strings.TrimSpace(n)
		if !found || name == "" || strings.ContainsAny(name, "0123456789. ") {
			return nil, false
		}
		if packUnit != "" {
			n = strings.TrimSuffix(n, packUnit)
		}
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 || v > 100000 {
			return nil, false
		}
		units[name] = v
	}
	return units, true
}

// Quantities are stored as whole pieces (the product's pack unit, such as 瓶), so
// that arithmetic is exact: 3箱6瓶 of a 12-bottle case is 42 pieces, 3.5 cases.

// Cases returns pieces as a number of cases, for display and JSON.
func (p *Product) Cases(pieces int64) float64 {
	return float64(pieces) / float64(p.PerCase())
}

// PiecesOf converts a whole number of cases plus loose pieces to pieces.
func (p *Product) PiecesOf(cases, loose int64) int64 { return cases*p.PerCase() + loose }

// FormatQty writes pieces the way a rep says them: "120箱", "3箱6瓶", "6瓶".
func (p *Product) FormatQty(pieces int64) string {
	unit := p.CaseUnit()
	sign := ""
	if pieces < 0 {
		sign, pieces = "-", -pieces
	}
	pack := p.PerCase()
	whole, loose := pieces/pack, pieces%pack
	switch {
	case loose == 0:
		return sign + strconv.FormatInt(whole, 10) + unit
	case whole == 0:
		return sign + strconv.FormatInt(loose, 10) + p.looseUnit()
	default:
		return sign + strconv.FormatInt(whole, 10) + unit + strconv.FormatInt(loose, 10) + p.looseUnit()
	}
}

// PerCase is how many pieces a case holds (at least 1).
func (p *Product) PerCase() int64 {
	if p.PackSize < 1 {
		return 1
	}
	return int64(p.PackSize)
}

// CaseUnit is the product's case unit word, 箱 when the catalog names none.
func (p *Product) CaseUnit() string {
	if p.Unit == "" {
		return "箱"
	}
	return p.Unit
}

func (p *Product) looseUnit() string {
	if p.PackUnit == "" {
		return "个"
	}
	return p.PackUnit
}

// ScalePieces multiplies pieces by f, rounding up to a whole piece.
func ScalePieces(pieces int64, f Factor) int64 {
	n := pieces * int64(f)
	q := n / int64(FactorOne)
	if n%int64(FactorOne) > 0 {
		q++
	}
	return q
}

// CeilCases rounds pieces up to whole cases and returns the number of cases.
func (p *Product) CeilCases(pieces int64) int64 {
	pack := p.PerCase()
	if pieces <= 0 {
		return 0
	}
	return (pieces + pack - 1) / pack
}

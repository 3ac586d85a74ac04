package models

import (
	"slices"
	"testing"
)

func TestParseMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Money
		wantErr bool
	}{
		{in: "38.5", want: 3850},
		{in: "38", want: 3800},
		{in: "38.50", want: 3850},
		{in: "0.05", want: 5},
		{in: ".5", want: 50},
		{in: "0", want: 0},
		{in: " 40 ", want: 4000},
		{in: "1234567.89", want: 123456789},
		{in: "38.555", wantErr: true},
		{in: "abc", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "+1", wantErr: true},
		{in: "", wantErr: true},
		{in: "   ", wantErr: true},
		{in: ".", wantErr: true},
		{in: "38.", wantErr: true},
		{in: "1.2.3", wantErr: true},
		{in: "1.a", wantErr: true},
		{in: "1e3", wantErr: true},
		{in: "3,850", wantErr: true},
		{in: "99999999999999999999", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMoney(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseMoney(%q) = %d, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseMoney(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
			}
			back, err := ParseMoney(got.String())
			if err != nil || back != got {
				t.Errorf("ParseMoney(%q) = %d, %v after String, want %d", got.String(), back, err, got)
			}
		})
	}
}

func TestMoneyString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   Money
		want string
	}{
		{3850, "38.5"},
		{3800, "38"},
		{5, "0.05"},
		{50, "0.5"},
		{3855, "38.55"},
		{0, "0"},
		{-150, "-1.5"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Money(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"38.5", "38", "0.05", ".5", "38.555", "abc", "-1", "", "1e3", " 7 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMoney(s)
		if err != nil {
			return
		}
		if m < 0 {
			t.Fatalf("ParseMoney(%q) = %d, want no negative amounts", s, m)
		}
		back, err := ParseMoney(m.String())
		if err != nil || back != m {
			t.Fatalf("ParseMoney(%q) = %d, %v after String, want %d", m.String(), back, err, m)
		}
	})
}

func TestParseFactor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Factor
		str     string
		wantErr bool
	}{
		{in: "1.5", want: 1500, str: "1.5"},
		{in: "2", want: 2000, str: "2"},
		{in: "2.0", want: 2000, str: "2"},
		{in: "1", want: FactorOne, str: "1"},
		{in: "0.001", want: 1, str: "0.001"},
		{in: "1.25", want: 1250, str: "1.25"},
		{in: "1.0005", wantErr: true},
		{in: "-1.5", wantErr: true},
		{in: "x", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFactor(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseFactor(%q) = %d, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseFactor(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("Factor(%d).String() = %q, want %q", int64(got), s, tt.str)
			}
		})
	}
}

func TestFormatQty(t *testing.T) {
	t.Parallel()
	juice := &Product{Unit: "箱", PackSize: 12, PackUnit: "瓶"}
	loose := &Product{Unit: "箱", PackSize: 0, PackUnit: "瓶"}
	bare := &Product{PackSize: 6} // no units: 箱 and 个
	tests := []struct {
		name   string
		p      *Product
		pieces int64
		want   string
	}{
		{"whole cases", juice, 1440, "120箱"},
		{"cases and pieces", juice, 42, "3箱6瓶"},
		{"pieces only", juice, 6, "6瓶"},
		{"zero", juice, 0, "0箱"},
		{"one case", juice, 12, "1箱"},
		{"negative", juice, -42, "-3箱6瓶"},
		{"pack 0 is 1", loose, 5, "5箱"},
		{"default units", bare, 7, "1箱1个"},
		{"default loose unit", bare, 5, "5个"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.FormatQty(tt.pieces); got != tt.want {
				t.Errorf("FormatQty(%d) with pack %d = %q, want %q", tt.pieces, tt.p.PackSize, got, tt.want)
			}
		})
	}
}

func TestScalePieces(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pieces int64
		f      Factor
		want   int64
	}{
		{360, 1500, 540},
		{7, 1500, 11}, // 10.5 rounds up
		{30, 1500, 45},
		{0, 1500, 0},
		{10, FactorOne, 10},
		{3, 2000, 6},
		{1, 1, 1}, // 0.001 of a piece is still a piece
		{1000, 1, 1},
		{1001, 1, 2},
	}
	for _, tt := range tests {
		if got := ScalePieces(tt.pieces, tt.f); got != tt.want {
			t.Errorf("ScalePieces(%d, %s) = %d, want %d", tt.pieces, tt.f, got, tt.want)
		}
	}
}

func TestCases(t *testing.T) {
	t.Parallel()
	juice := &Product{PackSize: 12}
	loose := &Product{PackSize: 0}
	tests := []struct {
		name   string
		p      *Product
		pieces int64
		cases  float64 // Cases
		ceil   int64   // CeilCases
	}{
		{"zero", juice, 0, 0, 0},
		{"one piece", juice, 1, 1.0 / 12, 1},
		{"one case", juice, 12, 1, 1},
		{"a case and a piece", juice, 13, 13.0 / 12, 2},
		{"three and a half", juice, 42, 3.5, 4},
		{"negative", juice, -5, -5.0 / 12, 0},
		{"pack 0 is 1", loose, 7, 7, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Cases(tt.pieces); got != tt.cases {
				t.Errorf("Cases(%d) with pack %d = %v, want %v", tt.pieces, tt.p.PackSize, got, tt.cases)
			}
			if got := tt.p.CeilCases(tt.pieces); got != tt.ceil {
				t.Errorf("CeilCases(%d) with pack %d = %d, want %d", tt.pieces, tt.p.PackSize, got, tt.ceil)
			}
		})
	}
}

func TestPiecesOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pack         int
		cases, loose int64
		want         int64
	}{
		{12, 3, 6, 42},
		{12, 120, 0, 1440},
		{12, 0, 6, 6},
		{0, 3, 2, 5},
	}
	for _, tt := range tests {
		p := &Product{PackSize: tt.pack}
		if got := p.PiecesOf(tt.cases, tt.loose); got != tt.want {
			t.Errorf("PiecesOf(%d, %d) with pack %d = %d, want %d", tt.cases, tt.loose, tt.pack, got, tt.want)
		}
		if got := p.FormatQty(p.PiecesOf(tt.cases, tt.loose)); got != p.FormatQty(tt.want) {
			t.Errorf("FormatQty(PiecesOf(%d, %d)) = %q", tt.cases, tt.loose, got)
		}
	}
}

func TestSplitAliases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"a| b||a", []string{"a", "b"}},
		{"苹果汁|苹果|大苹果", []string{"苹果汁", "苹果", "大苹果"}},
		{" 张老板 ", []string{"张老板"}},
		{"", nil},
		{" | |", nil},
	}
	for _, tt := range tests {
		if got := SplitAliases(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("SplitAliases(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r         Role
		valid     bool
		canReport bool
	}{
		{RoleRep, true, true},
		{RoleManager, true, true},
		{RoleAdmin, true, true},
		{RoleDealer, true, false},
		{"", false, false},
		{"Rep", false, false},
		{"boss", false, false},
	}
	for _, tt := range tests {
		if got := tt.r.Valid(); got != tt.valid {
			t.Errorf("Role(%q).Valid() = %v, want %v", tt.r, got, tt.valid)
		}
		if got := tt.r.CanReport(); got != tt.canReport {
			t.Errorf("Role(%q).CanReport() = %v, want %v", tt.r, got, tt.canReport)
		}
	}
}

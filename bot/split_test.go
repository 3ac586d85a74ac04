package bot

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitText(t *testing.T) {
	line := strings.Repeat("苹", 100) // 300 bytes
	long := strings.Repeat(line+"\n", 20)
	tests := []struct {
		name  string
		text  string
		limit int
		parts int
	}{
		{"short", "盘点已记录", 2048, 1},
		{"no limit", long, 0, 1},
		{"lines", long, 2048, 4}, // six 301-byte lines a part
		{"one huge line", strings.Repeat("苹", 1000), 2048, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := splitText(tt.text, tt.limit)
			if len(parts) != tt.parts {
				t.Fatalf("%d parts, want %d", len(parts), tt.parts)
			}
			joined := 0
			for _, p := range parts {
				if tt.limit > 0 && len(p) > tt.limit {
					t.Errorf("part of %d bytes over %d", len(p), tt.limit)
				}
				if !utf8.ValidString(p) {
					t.Error("a character was cut")
				}
				joined += utf8.RuneCountInString(strings.ReplaceAll(p, "\n", ""))
			}
			if want := utf8.RuneCountInString(strings.ReplaceAll(tt.text, "\n", "")); joined != want {
				t.Errorf("%d characters after splitting, want %d", joined, want)
			}
			if tt.name == "lines" && !strings.HasSuffix(parts[0], line) {
				t.Error("split inside a line although lines fit")
			}
		})
	}
}

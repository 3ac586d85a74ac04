package models

import "testing"

func TestStripControls(t *testing.T) {
	tests := []struct{ in, want string }{
		{"盘点 张老板 苹果汁 120", "盘点 张老板 苹果汁 120"},
		{"a\x1b[31mb\a\x00c\x7f\u0085d", "a[31mbcd"},
		{"line1\r\nline2\tx", "line1\nline2\tx"},
		{"\u202e反\u202c\u2066x\u2069\u200f", "反x"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	}
	for _, tt := range tests {
		if got := StripControls(tt.in); got != tt.want {
			t.Errorf("StripControls(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if r, bad := BadCharacter("张\n三"); !bad || r != '\n' {
		t.Errorf("BadCharacter(newline) = %U %v", r, bad)
	}
	if _, bad := BadCharacter("张三 (C001)"); bad {
		t.Error("BadCharacter(plain) = true")
	}
}

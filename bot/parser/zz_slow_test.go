package parser_test

import (
	"strings"
	"testing"
	"time"
)

func TestZZSlow(t *testing.T) {
	cat := demoCatalog(t)
	now := time.Now()
	in := []string{
		strings.Repeat("苹果之", 3000),
		strings.Repeat("张老扳 ", 3000),
		strings.Repeat("一", 10000),
		strings.Repeat("万", 10000),
		strings.Repeat("1", 10000),
		"盘点 " + strings.Repeat("苹果汁 120 ", 2000),
		strings.Repeat("宏成拜访", 2000),
		strings.Repeat("盘点", 5000),
		strings.Repeat("下月", 5000),
		strings.Repeat("明年", 5000),
		strings.Repeat("3箱 6瓶 ", 3000),
		strings.Repeat("天气不错哈哈", 2000),
		strings.Repeat("x", 10000) + "1",
		strings.Repeat(" ", 10000) + "x1",
	}
	for _, s := range in {
		st := time.Now()
		cat.Parse(s, cat.User("R01"), now)
		t.Logf("%-20q %v", []rune(s)[:8], time.Since(st))
	}
}

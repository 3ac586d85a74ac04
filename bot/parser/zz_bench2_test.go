package parser_test

import (
	"testing"
	"time"

	"channelbot/bot/parser"
)

func BenchmarkZZOther(b *testing.B) {
	cat := parser.NewCatalog(bigCatalog())
	sender := cat.User("R0040")
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for _, m := range []string{"今天下雨不去拜访了", "张老板40 苹果汁1990号 120 盘点", "盘点 张老扳40 苹果之1990号 120", "明天拜访张老板40", "张老板说下周要货"} {
		b.Run(m, func(b *testing.B) {
			cat.Parse(m, sender, now)
			b.ReportAllocs()
			for b.Loop() {
				cat.Parse(m, sender, now)
			}
		})
	}
}

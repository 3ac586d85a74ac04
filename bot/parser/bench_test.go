package parser_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"channelbot/bot/parser"
	"channelbot/models"
)

// bigCatalog is 2,000 products and 50,000 customers owned by 1,000 reps under 100
// managers, with names shaped like real ones.
func bigCatalog() *models.Catalog {
	c := &models.Catalog{Version: "bench"}
	for m := range 100 {
		c.Users = append(c.Users, models.User{ID: fmt.Sprintf("M%03d", m), Role: models.RoleManager})
	}
	for r := range 1000 {
		c.Users = append(c.Users, models.User{ID: fmt.Sprintf("R%04d", r), Role: models.RoleRep, ManagerID: fmt.Sprintf("M%03d", r%100)})
	}
	flavours := []string{"苹果汁", "橙汁", "葡萄汁", "芒果汁", "椰汁", "绿茶", "红茶", "乌龙茶", "矿泉水", "苏打水"}
	for i := range 2000 {
		name := flavours[i%len(flavours)] + strconv.Itoa(i) + "号"
		c.Products = append(c.Products, models.Product{ID: int64(i + 1), Code: fmt.Sprintf("P%04d", i), Name: name,
			Aliases: "货" + strconv.Itoa(i), Unit: "箱", PackSize: 12, PackUnit: "瓶", SafetyFactor: 1500})
	}
	surnames := []rune("张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗")
	kinds := []string{"商贸", "批发", "超市", "便利店", "副食店", "烟酒行"}
	for i := range 50000 {
		s := string(surnames[i%len(surnames)])
		c.Customers = append(c.Customers, models.Customer{ID: int64(i + 1), Code: fmt.Sprintf("C%05d", i),
			Name: s + "记" + kinds[i%len(kinds)] + strconv.Itoa(i), Aliases: s + "老板" + strconv.Itoa(i),
			OwnerID: fmt.Sprintf("R%04d", i%1000)})
	}
	return c
}

// BenchmarkParse parses and resolves one typical count against the big catalog.
func BenchmarkParse(b *testing.B) {
	cat := parser.NewCatalog(bigCatalog())
	sender := cat.User("R0040")
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	msgs := []string{
		"盘点 张老板40 苹果汁1990号 120 橙汁1号 3箱6瓶",
		"进货 王记批发1 货7 50箱",
		"张老板40那里芒果汁3号还剩二十箱",
		"计划 下周三 拜访 张老板40",
	}
	for _, m := range msgs {
		if r := cat.Parse(m, sender, now); r.Intent == parser.IntentUnknown || r.Customer == nil {
			b.Fatalf("Parse(%q) = %+v: the benchmark must parse real messages", m, r)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		cat.Parse(msgs[i%len(msgs)], sender, now)
		i++
	}
}

package parser_test

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"channelbot/bot/parser"
)

// Clocks the language cases are said at.
const (
	mon   = "2026-11-23T09:00:00+08:00" // a Monday
	wed   = "2026-11-25T10:00:00+08:00" // a Wednesday
	sun   = "2026-11-29T10:00:00+08:00" // a Sunday: the last day of its week
	jan31 = "2026-01-31T10:00:00+08:00" // a month's last day, before a short month
	dec20 = "2026-12-20T10:00:00+08:00" // December: January is next year
	dec31 = "2026-12-31T23:30:00+08:00" // the year's last evening
)

// langCase is one message as reps type it and everything Parse must read from it.
// Every field is checked: an empty one means "none".
type langCase struct {
	text   string
	as     string // sender; R01 when empty
	now    string // mon when empty
	intent parser.Intent
	topic  parser.Intent // help's subject
	cu     string        // customer code
	cands  string        // candidate codes when the name is ambiguous, space-separated
	more   string        // further customers of a plan
	items  string        // "P01=120 P02=-": code=cases, - for no quantity
	price  string        // yuan
	piece  bool          // the price is per piece
	date   string
	probs  string // problem codes, space-separated, any order
	guess  string // the catalog names guessed, space-separated
	place  string
	brand  string
	note   string // checked only when set
}

// languageCases are messages beyond the acceptance file: the variations reps type
// with one thumb. Decisions the table documents:
//   - A keyword must start the message, follow only names and days, or end a
//     report. A keyword glued to the end of other words is chit-chat, not a report:
//     "今天下雨不去拜访了", "张老板说下周要货", "今天不盘点了" are unknown.
//   - Without any keyword a message is unknown, however much it names
//     ("张老板苹果汁120", "今天卖了苹果汁20箱").
//   - 还剩/还有 make a count only with a quantity after them; "苹果汁还有吗" is a
//     question, unknown.
//   - A question mark is help alone or after keywords ("盘点？"); after a report it
//     only ends the sentence.
//   - A visit after a day still to come is a plan ("明天拜访张老板"); after today or
//     a day past it stays a visit ("昨天拜访了张老板"). A part of the day is today's,
//     or the day's it follows ("明天下午").
//   - '-' is a separator like '：' ("苹果汁-120" is 120): quantities never go negative.
var languageCases = []langCase{
	// Spacing, punctuation and full-width forms.
	{text: "盘点张老板苹果汁120橙汁80", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P02=80"},
	{text: "盘点   张老板    苹果汁    120", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "盘点，张老板，苹果汁：120，橙汁：80", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P02=80"},
	{text: "盘点：张老板；苹果汁120；橙汁80。", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P02=80"},
	{text: "盘点 张老板 苹果汁１２０箱 橙汁８０箱", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P02=80"},
	{text: "盘点\u3000张老板\u3000苹果汁\u3000１２０", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "盘点 张老板 苹果汁×120 橙汁＊80", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P02=80"},
	{text: "盘点 张老板 苹果汁X120", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "盘点 张老板 苹果汁120、橙汁80、矿泉水50", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P02=80 P04=50"},
	{text: "盘点 张老板 苹果汁-120", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "  盘点 张老板 苹果汁 120\n", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "盘点 张老板 苹果汁 120？", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "盘点 张老板 苹果汁120 橙汁80 矿泉水50 绿茶20 冰红茶10 椰汁5 酸梅汤6 运动饮料7 乳酸菌8 小苹果汁9", intent: parser.IntentStockCount, cu: "C001",
		items: "P01=120 P02=80 P04=50 P06=20 P05=10 P07=5 P08=6 P09=7 P10=8 P03=9"},
	{text: "盘点 张老板 苹果汁 x 120", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "盘点 张老板\n苹果汁 120\n橙汁 80", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P02=80"},
	{text: "盘点 张老板 苹果汁 120 👍", intent: parser.IntentStockCount, cu: "C001", items: "P01=120", note: "👍"},
	{text: "盘点 张老板 苹果汁1L 120 椰汁1.25L 5", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P07=5"},
	{text: "盘点 张老板 水 10 能量 5", intent: parser.IntentStockCount, cu: "C001", items: "P04=10 P09=5"},
	{text: "盘点 张老板 苹果 10 小苹果 5", intent: parser.IntentStockCount, cu: "C001", items: "P01=10 P03=5"},

	// The keyword last, or after the customer.
	{text: "张老板 苹果汁 120 盘点", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "张老板苹果汁120橙汁80盘点", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P02=80"},
	{text: "张老板 苹果汁 50箱 进货", intent: parser.IntentPurchase, cu: "C001", items: "P01=50"},
	{text: "张老板 苹果汁 50 到货了", intent: parser.IntentPurchase, cu: "C001", items: "P01=50"},
	{text: "钱老板 椰汁 20 订货", as: "R04", intent: parser.IntentOrder, cu: "C011", items: "P07=20"},
	{text: "张老板 苹果汁 2箱 破损", intent: parser.IntentDamage, cu: "C001", items: "P01=2"},
	{text: "宏城 拜访", intent: parser.IntentVisit, cu: "C004"},
	{text: "张老板 签到", intent: parser.IntentVisit, cu: "C001"},
	{text: "张老板 进货 苹果汁 50", intent: parser.IntentPurchase, cu: "C001", items: "P01=50"},
	{text: "刘姐 苹果汁 35 砸价", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "35"},
	{text: "张老扳 苹果汁 120 盘点", intent: parser.IntentStockCount, cu: "C001", items: "P01=120", guess: "张记商贸"},
	{text: "宏成拜访", intent: parser.IntentVisit, cu: "C004", guess: "宏城超市"},

	// The quantity before the product.
	{text: "盘点 张老板 120箱苹果汁 80箱橙汁 10箱矿泉水", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P02=80 P04=10"},
	{text: "盘点 张老板 120苹果汁", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "盘点 张老板 120 苹果汁", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "盘点 张老板 3箱6瓶苹果汁", intent: parser.IntentStockCount, cu: "C001", items: "P01=3.5"},
	{text: "进货 张老板 两百箱苹果汁", intent: parser.IntentPurchase, cu: "C001", items: "P01=200"},
	{text: "盘点 张老板 36瓶苹果汁 2箱橙汁", intent: parser.IntentStockCount, cu: "C001", items: "P01=3 P02=2"},
	{text: "订货钱老板椰汁20箱运动饮料10箱", as: "R04", intent: parser.IntentOrder, cu: "C011", items: "P07=20 P09=10"},

	// Units: cases, the product's pieces, both, halves.
	{text: "盘点 张老板 苹果汁 2箱3瓶", intent: parser.IntentStockCount, cu: "C001", items: "P01=2.25"},
	{text: "盘点 张老板 苹果汁 36瓶", intent: parser.IntentStockCount, cu: "C001", items: "P01=3"},
	{text: "盘点 张老板 苹果汁 1.5箱", intent: parser.IntentStockCount, cu: "C001", items: "P01=1.5"},
	{text: "盘点 张老板 苹果汁 3箱 6瓶", intent: parser.IntentStockCount, cu: "C001", items: "P01=3.5"},
	{text: "盘点 张老板 苹果汁 两箱三瓶", intent: parser.IntentStockCount, cu: "C001", items: "P01=2.25"},
	{text: "盘点 张老板 苹果汁 5瓶", intent: parser.IntentStockCount, cu: "C001", items: "P01=0.4166666666666667"},
	{text: "盘点 张老板 酸梅汤 48罐", intent: parser.IntentStockCount, cu: "C001", items: "P08=2"},
	{text: "盘点 张老板 苹果汁 2件", intent: parser.IntentStockCount, cu: "C001", items: "P01=2"},
	{text: "盘点 张老板 椰汁 半箱", intent: parser.IntentStockCount, cu: "C001", items: "P07=0.5"},
	{text: "盘点 张老板 苹果汁 1箱半", intent: parser.IntentStockCount, cu: "C001", items: "P01=1.5"},
	{text: "盘点 张老板 小苹果汁 两箱 苹果汁 一箱半", intent: parser.IntentStockCount, cu: "C001", items: "P03=2 P01=1.5"},
	{text: "盘点 张老板 苹果汁 120箱 橙汁 6瓶", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P02=0.5"},
	{text: "盘点 张老板 矿泉水 0", intent: parser.IntentStockCount, cu: "C001", items: "P04=0"},
	{text: "进货 张老板 矿泉水 1000", intent: parser.IntentPurchase, cu: "C001", items: "P04=1000"},

	{text: "盘点 张老板 苹果汁 120 箱", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "盘点 张老板 苹果汁 3 箱 6 瓶", intent: parser.IntentStockCount, cu: "C001", items: "P01=3.5"},
	{text: "盘点 张老板 苹果汁120箱 6瓶", intent: parser.IntentStockCount, cu: "C001", items: "P01=120.5"},

	// Chinese numerals.
	{text: "盘点 张老板 苹果汁 十", intent: parser.IntentStockCount, cu: "C001", items: "P01=10"},
	{text: "盘点 张老板 苹果汁 十五", intent: parser.IntentStockCount, cu: "C001", items: "P01=15"},
	{text: "盘点 张老板 苹果汁 二十", intent: parser.IntentStockCount, cu: "C001", items: "P01=20"},
	{text: "盘点 张老板 苹果汁 二十五箱", intent: parser.IntentStockCount, cu: "C001", items: "P01=25"},
	{text: "盘点 张老板 苹果汁 一百零五", intent: parser.IntentStockCount, cu: "C001", items: "P01=105"},
	{text: "盘点 张老板 苹果汁 两百", intent: parser.IntentStockCount, cu: "C001", items: "P01=200"},
	{text: "盘点 张老板 苹果汁 三千", intent: parser.IntentStockCount, cu: "C001", items: "P01=3000"},
	{text: "盘点 张老板 苹果汁一百二", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "盘点 张老板 苹果汁 两千五", intent: parser.IntentStockCount, cu: "C001", items: "P01=2500"},
	{text: "盘点 张老板 苹果汁 零", intent: parser.IntentStockCount, cu: "C001", items: "P01=0"},
	{text: "进货 张老板 苹果汁 五十", intent: parser.IntentPurchase, cu: "C001", items: "P01=50"},
	{text: "订货 钱老板 椰汁 二十箱 运动饮料 十箱", as: "R04", intent: parser.IntentOrder, cu: "C011", items: "P07=20 P09=10"},
	{text: "盘点 百佳 椰汁 六 酸梅 十", intent: parser.IntentStockCount, cu: "C008", items: "P07=6 P08=10"},

	// 还剩/还有: a count said in passing.
	{text: "宏城还有绿茶二十箱", intent: parser.IntentStockCount, cu: "C004", items: "P06=20"},
	{text: "张老板还剩苹果汁120", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "张老板店里苹果汁剩30箱", intent: parser.IntentStockCount, cu: "C001", items: "P01=30"},
	{text: "张老板那边苹果汁只剩20箱了", intent: parser.IntentStockCount, cu: "C001", items: "P01=20"},
	{text: "张老板苹果汁大概还剩20箱左右", intent: parser.IntentStockCount, cu: "C001", items: "P01=20"},
	{text: "张老板 苹果汁 120 盘点了", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "张老板 苹果汁 剩 120", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},

	// Days, relative to the message's time.
	{text: "计划 明天 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-24"},
	{text: "计划 后天 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-25"},
	{text: "计划 大后天 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-26"},
	{text: "计划 今天 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-23"},
	{text: "计划 周三 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-25"},
	{text: "计划 星期五 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-27"},
	{text: "计划 礼拜天 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-29"},
	{text: "计划 下周一 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-30"},
	{text: "计划 下下周一 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-12-07"},
	{text: "计划 25号 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-25"},
	{text: "计划 二十五号 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-25"},
	{text: "计划 20号 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-12-20"},
	{text: "计划 12月1号 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-12-01"},
	{text: "计划 十二月一日 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-12-01"},
	{text: "预约 下月15号 宏城", intent: parser.IntentPlan, cu: "C004", date: "2026-12-15"},
	{text: "计划 月底 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-30"},
	{text: "计划 周5 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-27"},
	{text: "计划 周末 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-28"},
	{text: "计划 下周末 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-12-05"},
	{text: "计划 下个礼拜三 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-12-02"},
	{text: "即期 张老板 12月3日到期 乳酸菌 5", intent: parser.IntentNearExpiry, cu: "C001", items: "P10=5", date: "2026-12-03"},
	{text: "计划 明天 张老板", now: "2026-11-23T23:59:00+08:00", intent: parser.IntentPlan, cu: "C001", date: "2026-11-24"},
	{text: "计划 明天 张老板 宏城 百佳", intent: parser.IntentPlan, cu: "C001", more: "C004 C008", date: "2026-11-24"},
	{text: "明天 拜访 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-24"},
	{text: "明天拜访张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-24"},
	{text: "今天下午拜访张老板", intent: parser.IntentVisit, cu: "C001", date: "2026-11-23"},
	{text: "昨天拜访了张老板", intent: parser.IntentVisit, cu: "C001", date: "2026-11-22"},
	{text: "明天上午 拜访 宏城", intent: parser.IntentPlan, cu: "C004", date: "2026-11-24"},
	{text: "计划 明天下午 张老板", intent: parser.IntentPlan, cu: "C001", date: "2026-11-24"},
	{text: "拜访 张老板 明天再来", intent: parser.IntentVisit, cu: "C001", date: "2026-11-24", note: "明天再来"},
	{text: "计划 周日 张老板", now: sun, intent: parser.IntentPlan, cu: "C001", date: "2026-11-29"},
	{text: "计划 周一 张老板", now: sun, intent: parser.IntentPlan, cu: "C001", date: "2026-11-30"},
	{text: "计划 下周一 张老板", now: sun, intent: parser.IntentPlan, cu: "C001", date: "2026-11-30"},
	{text: "计划 下周日 张老板", now: sun, intent: parser.IntentPlan, cu: "C001", date: "2026-12-06"},
	{text: "计划 明天 张老板", now: sun, intent: parser.IntentPlan, cu: "C001", date: "2026-11-30"},
	{text: "计划 周三 张老板", now: wed, intent: parser.IntentPlan, cu: "C001", date: "2026-11-25"},
	{text: "计划 周二 张老板", now: wed, intent: parser.IntentPlan, cu: "C001", date: "2026-12-01"},
	{text: "计划 下周三 张老板", now: wed, intent: parser.IntentPlan, cu: "C001", date: "2026-12-02"},
	{text: "即期 张老板 苹果汁 8 下月15号到期", now: jan31, intent: parser.IntentNearExpiry, cu: "C001", items: "P01=8", date: "2026-02-15"},
	{text: "即期 张老板 苹果汁 8 25号到期", now: jan31, intent: parser.IntentNearExpiry, cu: "C001", items: "P01=8", date: "2026-02-25"},
	{text: "计划 31号 张老板", now: jan31, intent: parser.IntentPlan, cu: "C001", date: "2026-01-31"},
	{text: "计划 月底 张老板", now: jan31, intent: parser.IntentPlan, cu: "C001", date: "2026-01-31"},
	{text: "即期 张老板 苹果汁 8 下月30号到期", now: jan31, intent: parser.IntentNearExpiry, cu: "C001", items: "P01=8", probs: "date_missing"},
	{text: "计划 1月5日 张老板", now: dec20, intent: parser.IntentPlan, cu: "C001", date: "2027-01-05"},
	{text: "计划 1月5号 张老板", now: dec20, intent: parser.IntentPlan, cu: "C001", date: "2027-01-05"},
	{text: "即期 张老板 苹果汁 8 一月五日到期", now: dec20, intent: parser.IntentNearExpiry, cu: "C001", items: "P01=8", date: "2027-01-05"},
	{text: "即期 张老板 苹果汁 8 明年1月5日到期", now: dec20, intent: parser.IntentNearExpiry, cu: "C001", items: "P01=8", date: "2027-01-05"},
	{text: "计划 下月3号 张老板", now: dec20, intent: parser.IntentPlan, cu: "C001", date: "2027-01-03"},
	{text: "计划 5号 张老板", now: dec20, intent: parser.IntentPlan, cu: "C001", date: "2027-01-05"},
	{text: "计划 12月25日 张老板", now: dec20, intent: parser.IntentPlan, cu: "C001", date: "2026-12-25"},
	{text: "计划 明天 张老板", now: dec31, intent: parser.IntentPlan, cu: "C001", date: "2027-01-01"},
	{text: "计划 下周一 张老板", now: dec31, intent: parser.IntentPlan, cu: "C001", date: "2027-01-04"},
	{text: "即期 张老板 乳酸菌 5 下周五到期", intent: parser.IntentNearExpiry, cu: "C001", items: "P10=5", date: "2026-12-04"},
	{text: "即期 张老板 苹果汁 8 本月30号到期", intent: parser.IntentNearExpiry, cu: "C001", items: "P01=8", date: "2026-11-30"},
	{text: "答应 张老板 25号之前送货", intent: parser.IntentPromise, cu: "C001", date: "2026-11-25", note: "送货"},
	{text: "承诺 张老板 周五前补两箱苹果汁", intent: parser.IntentPromise, cu: "C001", items: "P01=-", date: "2026-11-27"},

	// Prices.
	{text: "价格 刘姐 苹果汁 38块5", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "38.5"},
	{text: "价格 刘姐 苹果汁 37.5元一箱", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "37.5"},
	{text: "价格 刘姐 苹果汁 3.5元一瓶", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "3.5", piece: true},
	{text: "价格 刘姐 苹果汁 3块5一瓶", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "3.5", piece: true},
	{text: "价格 刘姐 苹果汁 38一箱", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "38"},
	{text: "价格 刘姐 苹果汁 38元/箱", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "38"},
	{text: "价格 刘姐 苹果汁 三十八块五", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "38.5"},
	{text: "价格 刘姐 苹果汁 ３７．５元", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "37.5"},
	{text: "价格 刘姐 苹果汁 ¥38", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "38"},
	{text: "价格 刘姐 苹果汁 ￥37.5", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "37.5"},
	{text: "价格 刘姐 苹果汁 38块钱一箱", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "38"},
	{text: "价格 刘姐 苹果汁 38 元", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "38"},
	{text: "价格 刘姐 苹果汁 3.5/瓶", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "3.5", piece: true},
	{text: "乱价 刘姐 苹果汁 36", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "36"},
	{text: "低价 北郊 苹果汁 36元", as: "R02", intent: parser.IntentPriceReport, items: "P01=-", price: "36", place: "北郊"},
	{text: "价格 刘姐 苹果汁", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", probs: "price_missing"},
	{text: "串货 永辉 苹果汁 38块5", as: "R03", intent: parser.IntentCrossRegion, cu: "C010", items: "P01=-", price: "38.5"},
	{text: "冲货 北郊 橙汁 36元一箱 外省的", as: "R02", intent: parser.IntentCrossRegion, items: "P02=-", price: "36", place: "北郊"},
	{text: "竞品 统一 张老板 绿茶 买二送一", intent: parser.IntentCompetitor, cu: "C001", items: "P06=-", brand: "统一", note: "买二送一"},
	{text: "竞品 康师傅 百佳 冰红茶 2.5元一瓶", intent: parser.IntentCompetitor, cu: "C008", items: "P05=-", price: "2.5", piece: true, brand: "康师傅"},
	{text: "竞品 娃哈哈 张老板 椰汁 35一箱 搞活动", intent: parser.IntentCompetitor, cu: "C001", items: "P07=-", price: "35", brand: "娃哈哈", note: "搞活动"},
	{text: "冲货 城北批发市场 苹果汁 35", as: "R02", intent: parser.IntentCrossRegion, items: "P01=-", price: "35", place: "城北批发市场"},
	{text: "竞品 康师傅 冰红茶 百佳 特价2.5", intent: parser.IntentCompetitor, cu: "C008", items: "P05=-", price: "2.5", brand: "康师傅"},
	{text: "竞品 康师傅 百佳 冰红茶特价2.5", intent: parser.IntentCompetitor, cu: "C008", items: "P05=-", price: "2.5", brand: "康师傅"},
	{text: "抱怨 张老板 苹果汁被砸到35一箱", intent: parser.IntentComplaint, cu: "C001", items: "P01=-", price: "35"},

	// Keyword synonyms.
	{text: "清点 张老板 苹果汁 120", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "盘库 张老板 苹果汁 120", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "库存盘点 张老板 苹果汁 120", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "库存 张老板 苹果汁 120", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "收货 张老板 苹果汁 20", intent: parser.IntentPurchase, cu: "C001", items: "P01=20"},
	{text: "补货 张老板 苹果汁 20", intent: parser.IntentOrder, cu: "C001", items: "P01=20"},
	{text: "要货 张老板 苹果汁 20", intent: parser.IntentOrder, cu: "C001", items: "P01=20"},
	{text: "订单 张老板 苹果汁 20", intent: parser.IntentOrder, cu: "C001", items: "P01=20"},
	{text: "走访 张老板", intent: parser.IntentVisit, cu: "C001"},
	{text: "巡店 张老板 陈列不错", intent: parser.IntentVisit, cu: "C001", note: "陈列不错"},
	{text: "临期 张老板 苹果汁 8 25号到期", intent: parser.IntentNearExpiry, cu: "C001", items: "P01=8", date: "2026-11-25"},
	{text: "损坏 张老板 苹果汁 2", intent: parser.IntentDamage, cu: "C001", items: "P01=2"},
	{text: "坏货 钱老板 椰汁 3瓶", as: "R04", intent: parser.IntentDamage, cu: "C011", items: "P07=0.5"},
	{text: "投诉 张老板 送货慢", intent: parser.IntentComplaint, cu: "C001", note: "送货慢"},
	{text: "客诉 张老板 送货太慢 苹果汁断货三天", intent: parser.IntentComplaint, cu: "C001", items: "P01=-"},
	{text: "反馈 张老板 包装容易破", intent: parser.IntentFeedback, cu: "C001", note: "包装容易破"},
	{text: "意见 百佳 希望多给点陈列费", intent: parser.IntentFeedback, cu: "C008", note: "希望多给点陈列费"},
	{text: "承诺 张老板 明天送货", intent: parser.IntentPromise, cu: "C001", date: "2026-11-24", note: "送货"},
	{text: "查询 张老板", intent: parser.IntentQuery, cu: "C001"},
	{text: "看看 张老板 苹果汁", intent: parser.IntentQuery, cu: "C001", items: "P01=-"},
	{text: "查张老板", intent: parser.IntentQuery, cu: "C001"},
	{text: "库存 张老板", intent: parser.IntentQuery, cu: "C001"},
	{text: "查 苹果汁", intent: parser.IntentQuery, items: "P01=-"},
	{text: "撤销刚才的", intent: parser.IntentUndo},
	{text: "撤回", intent: parser.IntentUndo},
	{text: "撤销 上一条", intent: parser.IntentUndo},
	{text: "取消上一条", intent: parser.IntentUndo},
	{text: "删除上一条", intent: parser.IntentUndo},
	{text: "help", intent: parser.IntentHelp},
	{text: "ＨＥＬＰ", intent: parser.IntentHelp},
	{text: "菜单", intent: parser.IntentHelp},
	{text: "？", intent: parser.IntentHelp},
	{text: "帮助一下", intent: parser.IntentHelp},
	{text: "进货怎么报", intent: parser.IntentHelp, topic: parser.IntentPurchase},
	{text: "怎么报盘点", intent: parser.IntentHelp, topic: parser.IntentStockCount},
	{text: "即期怎么写", intent: parser.IntentHelp, topic: parser.IntentNearExpiry},
	{text: "盘点？", intent: parser.IntentHelp, topic: parser.IntentStockCount},
	{text: "确认", intent: parser.IntentConfirm},
	{text: "好的", intent: parser.IntentConfirm},
	{text: "对对对", intent: parser.IntentConfirm},
	{text: "不对", intent: parser.IntentCancel},
	{text: "2", intent: parser.IntentChoice},

	// Names one slip away: one edit in 3+ characters, or the same pinyin.
	{text: "盘点 张老板 苹果之 120", intent: parser.IntentStockCount, cu: "C001", items: "P01=120", guess: "苹果汁1L"},
	{text: "盘点 张老板 平果汁 30", intent: parser.IntentStockCount, cu: "C001", items: "P01=30", guess: "苹果汁1L"},
	{text: "盘点 张老板 冰红查 30", intent: parser.IntentStockCount, cu: "C001", items: "P05=30", guess: "冰红茶500ml"},
	{text: "盘点 张老板 绿查 5", intent: parser.IntentStockCount, cu: "C001", items: "P06=5", guess: "绿茶500ml"},
	{text: "盘点 张老板 运动饮 30", intent: parser.IntentStockCount, cu: "C001", items: "P09=30", guess: "运动饮料600ml"},
	{text: "盘点 张老板 苹果之 120 橙之 80", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P02=80", guess: "苹果汁1L 橙汁1L"},
	{text: "价格 刘姐 苹果之 35", as: "R02", intent: parser.IntentPriceReport, cu: "C009", items: "P01=-", price: "35", guess: "苹果汁1L"},
	{text: "盘点 宏成 冰红茶 5", intent: parser.IntentStockCount, cu: "C004", items: "P05=5", guess: "宏城超市"},
	{text: "盘点 宏诚 苹果汁 30", intent: parser.IntentStockCount, cu: "C004", items: "P01=30", guess: "宏城超市"},
	{text: "盘点 张老扳 苹果汁 30", intent: parser.IntentStockCount, cu: "C001", items: "P01=30", guess: "张记商贸"},
	{text: "盘点 张老扳 苹果汁 30", as: "A01", intent: parser.IntentStockCount, cands: "C001 C006", items: "P01=30"},
	{text: "盘点 王记二点 红茶 8", as: "R02", intent: parser.IntentStockCount, cu: "C018", items: "P05=8", guess: "王记批发二店"},
	{text: "盘点 张记商茂 苹果汁 30", intent: parser.IntentStockCount, cu: "C001", items: "P01=30"},

	// Whose 张老板: the sender's own; for a rep with none, a question (not the
	// teammate's, silently); a manager's team's; admins see all.
	{text: "盘点 张老板 苹果汁 30", as: "A01", intent: parser.IntentStockCount, cands: "C001 C006", items: "P01=30"},
	{text: "盘点 张老板 苹果汁 30", as: "R03", intent: parser.IntentStockCount, cu: "C006", items: "P01=30"},
	{text: "盘点 张老板 苹果汁 30", as: "R02", intent: parser.IntentStockCount, cands: "C001 C006", items: "P01=30"},
	{text: "盘点 张老板 苹果汁 30", as: "R04", intent: parser.IntentStockCount, cands: "C001 C006", items: "P01=30"},
	{text: "盘点 小张 苹果汁 30", as: "R04", intent: parser.IntentStockCount, cu: "C006", items: "P01=30"},

	// Numbers no count is: negative, absurdly long; units the product does not declare.
	{text: "盘点 张老板 苹果汁 -5", intent: parser.IntentStockCount, cu: "C001", items: "P01=-", probs: "negative_number"},
	{text: "盘点 张老板 苹果汁：-5", intent: parser.IntentStockCount, cu: "C001", items: "P01=-", probs: "negative_number"},
	{text: "盘点 张老板 苹果汁 12345678901234567890", intent: parser.IntentStockCount, cu: "C001", items: "P01=-", probs: "number_too_long"},
	{text: "盘点 张老板 冰红茶 2提", intent: parser.IntentStockCount, cu: "C001", items: "P05=-", probs: "unit_unknown"},
	{text: "价格 惠民 苹果汁 -3", intent: parser.IntentPriceReport, cu: "C007", items: "P01=-", probs: "negative_number price_missing"},

	// A price that does not say its unit is judged by the product's case price (40):
	// near it, a case's; near it over the pack (12), a bottle's; else asked.
	{text: "价格 惠民 苹果汁 零售 3.8", intent: parser.IntentPriceReport, cu: "C007", items: "P01=-", price: "3.8", piece: true},
	{text: "价格 惠民 苹果汁 35", intent: parser.IntentPriceReport, cu: "C007", items: "P01=-", price: "35"},
	{text: "价格 惠民 苹果汁 12", intent: parser.IntentPriceReport, cu: "C007", items: "P01=-", price: "12", probs: "price_unit_unclear"},
	{text: "价格 惠民 苹果汁 12元一箱", intent: parser.IntentPriceReport, cu: "C007", items: "P01=-", price: "12"},

	// Remarks: a day said in a delivery's remark is part of it.
	{text: "进货 张老板 苹果汁 50 昨天到的", intent: parser.IntentPurchase, cu: "C001", items: "P01=50", date: "2026-11-22", note: "昨天到的"},
	{text: "盘点 张老板 苹果汁 120 仓库乱", intent: parser.IntentStockCount, cu: "C001", items: "P01=120", note: "仓库乱"},
	{text: "盘点 张老板 苹果汁 30", as: "M01", intent: parser.IntentStockCount, cu: "C001", items: "P01=30"},
	{text: "盘点 张老板 苹果汁 30", as: "M02", intent: parser.IntentStockCount, cu: "C006", items: "P01=30"},
	{text: "拜访 张老板", as: "R03", intent: parser.IntentVisit, cu: "C006"},

	// Chit-chat, even with a name or a keyword in it, is unknown.
	{text: "你好啊", intent: parser.IntentUnknown},
	{text: "早上好", intent: parser.IntentUnknown},
	{text: "在吗", intent: parser.IntentUnknown},
	{text: "谢谢", intent: parser.IntentUnknown},
	{text: "收到", intent: parser.IntentUnknown},
	{text: "哈哈哈哈", intent: parser.IntentUnknown},
	{text: "今天跑了三家店", intent: parser.IntentUnknown},
	{text: "明天去张老板那里", intent: parser.IntentUnknown},
	{text: "张老板人不错", intent: parser.IntentUnknown},
	{text: "苹果汁卖得好", intent: parser.IntentUnknown},
	{text: "张老板苹果汁120", intent: parser.IntentUnknown},
	{text: "今天卖了苹果汁20箱", intent: parser.IntentUnknown},
	{text: "今天下雨不去拜访了", intent: parser.IntentUnknown},
	{text: "今天不盘点了", intent: parser.IntentUnknown},
	{text: "没去拜访张老板", intent: parser.IntentUnknown},
	{text: "张老板说下周要货", intent: parser.IntentUnknown},
	{text: "张老板 苹果汁还剩多少?", intent: parser.IntentUnknown},
	{text: "苹果汁还有吗", intent: parser.IntentUnknown},
	{text: "张老板要苹果汁20箱", intent: parser.IntentUnknown},
	{text: "我建议多发点工资", intent: parser.IntentUnknown},

	// What a message lacks or gets wrong: problems, never guesses.
	{text: "盘点 张老板 葡萄汁 120", intent: parser.IntentStockCount, cu: "C001", probs: "product_unknown"},
	{text: "盘点 张老板 葡萄汁 120 苹果汁 30", intent: parser.IntentStockCount, cu: "C001", items: "P01=30", probs: "product_unknown"},
	{text: "盘点 张老板 橙子 30", intent: parser.IntentStockCount, cu: "C001", probs: "product_unknown"},
	{text: "盘点 张老板 苹果汁", intent: parser.IntentStockCount, cu: "C001", items: "P01=-", probs: "qty_missing"},
	{text: "盘点 张老板 苹果汁 120 橙汁", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P02=-", probs: "qty_missing"},
	{text: "进货 苹果汁 50", intent: parser.IntentPurchase, items: "P01=50", probs: "customer_missing"},
	{text: "订货 不认识的店 苹果汁 50", intent: parser.IntentOrder, items: "P01=50", probs: "customer_unknown"},
	{text: "盘点 张老板 苹果汁 0.3箱", intent: parser.IntentStockCount, cu: "C001", items: "P01=-", probs: "qty_fraction"},
	{text: "盘点 张老板 苹果汁 0.3", intent: parser.IntentStockCount, cu: "C001", items: "P01=-", probs: "qty_fraction"},
	{text: "盘点 张老板 冰红茶 半箱", intent: parser.IntentStockCount, cu: "C001", items: "P05=-", probs: "qty_fraction"},
	{text: "盘点 张老板 苹果汁 120 橙汁 80 苹果汁 30", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P02=80 P01=30", probs: "duplicate_product"},
	{text: "盘点 张老板 苹果汁 120 苹果 30", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P01=30", probs: "duplicate_product"},
	{text: "盘点 张老板 120", intent: parser.IntentStockCount, cu: "C001", probs: "qty_without_product items_missing"},
	{text: "盘点 张老板", intent: parser.IntentStockCount, cu: "C001", probs: "items_missing"},
	{text: "破损 张老板", intent: parser.IntentDamage, cu: "C001", probs: "items_missing"},
	{text: "即期 张老板 苹果汁 8 还有3个月到期", intent: parser.IntentNearExpiry, cu: "C001", items: "P01=8", probs: "date_missing"},
	{text: "即期 张老板 苹果汁 8", intent: parser.IntentNearExpiry, cu: "C001", items: "P01=8", probs: "date_missing"},
	{text: "计划 张老板", intent: parser.IntentPlan, cu: "C001", probs: "date_missing"},
	{text: "投诉 张老板", intent: parser.IntentComplaint, cu: "C001", probs: "note_missing"},
	{text: "反馈 张老板", intent: parser.IntentFeedback, cu: "C001", probs: "note_missing"},
	{text: "价格 刘姐 38", as: "R02", intent: parser.IntentPriceReport, cu: "C009", price: "38", probs: "items_missing"},
	{text: "拜访", intent: parser.IntentVisit, probs: "customer_missing"},
	{text: "盘点 张老板 苹果汁 120", as: "A01", now: mon, intent: parser.IntentStockCount, cands: "C001 C006", items: "P01=120"},

	// Silent wrong values (issue 12). Digits with a Chinese magnitude count it, as
	// reps say them: 3百 is 300, never 3; over 7 whole digits is still refused.
	{text: "盘点 张老板 苹果汁 3百", intent: parser.IntentStockCount, cu: "C001", items: "P01=300"},
	{text: "盘点 张老板 苹果汁3百箱", intent: parser.IntentStockCount, cu: "C001", items: "P01=300"},
	{text: "盘点 张老板 苹果汁 1千2", intent: parser.IntentStockCount, cu: "C001", items: "P01=1200"},
	{text: "进货 张老板 矿泉水 2万", intent: parser.IntentPurchase, cu: "C001", items: "P04=20000"},
	{text: "进货 张老板 矿泉水 1万2", intent: parser.IntentPurchase, cu: "C001", items: "P04=12000"},
	{text: "进货 张老板 矿泉水 1.5千", intent: parser.IntentPurchase, cu: "C001", items: "P04=1500"},
	{text: "盘点 张老板 苹果汁 3百5", intent: parser.IntentStockCount, cu: "C001", items: "P01=350"},
	{text: "盘点 张老板 苹果汁 两百五", intent: parser.IntentStockCount, cu: "C001", items: "P01=250"},
	{text: "盘点 张老板 苹果汁 1千零5", intent: parser.IntentStockCount, cu: "C001", items: "P01=1005"},
	{text: "盘点 张老板 苹果汁 一百20", intent: parser.IntentStockCount, cu: "C001", items: "P01=120"},
	{text: "盘点 张老板 3百箱苹果汁 2百箱橙汁", intent: parser.IntentStockCount, cu: "C001", items: "P01=300 P02=200"},
	{text: "盘点 张老板 苹果汁 1000万", intent: parser.IntentStockCount, cu: "C001", items: "P01=-", probs: "number_too_long"},
	{text: "盘点 张老板 苹果汁 99999万", intent: parser.IntentStockCount, cu: "C001", items: "P01=-", probs: "number_too_long"},
	// 一箱, 一瓶, 一件 after a price is its unit, never a decimal; 25块5 is 25.5.
	{text: "价格 惠民 苹果汁 25块一箱", intent: parser.IntentPriceReport, cu: "C007", items: "P01=-", price: "25"},
	{text: "价格 惠民 苹果汁 二十八块一箱", intent: parser.IntentPriceReport, cu: "C007", items: "P01=-", price: "28"},
	{text: "价格 惠民 苹果汁 三十八块一件", intent: parser.IntentPriceReport, cu: "C007", items: "P01=-", price: "38"},
	{text: "价格 惠民 苹果汁 38块钱一箱", intent: parser.IntentPriceReport, cu: "C007", items: "P01=-", price: "38"},
	{text: "价格 惠民 苹果汁 3块一瓶", intent: parser.IntentPriceReport, cu: "C007", items: "P01=-", price: "3", piece: true},
	{text: "价格 惠民 苹果汁 25块5", intent: parser.IntentPriceReport, cu: "C007", items: "P01=-", price: "25.5"},
	{text: "价格 惠民 苹果汁 25块5一瓶", intent: parser.IntentPriceReport, cu: "C007", items: "P01=-", price: "25.5", piece: true},
	{text: "价格 惠民 苹果汁 二十八块五一箱", intent: parser.IntentPriceReport, cu: "C007", items: "P01=-", price: "28.5"},
	// A product named inside a remark is no item: only a name with a quantity, or
	// standing apart, is one; a one-character alias (水) glued to words never is.
	{text: "盘点 张老板 苹果汁 120 老板说水太贵", intent: parser.IntentStockCount, cu: "C001", items: "P01=120", note: "老板说水太贵"},
	{text: "盘点 张老板 苹果汁 120 红茶卖得慢", intent: parser.IntentStockCount, cu: "C001", items: "P01=120", note: "红茶卖得慢"},
	{text: "盘点 张老板 冰红茶 10 红茶卖得慢", intent: parser.IntentStockCount, cu: "C001", items: "P05=10", note: "红茶卖得慢"},
	{text: "盘点 张老板 苹果汁 30 老板说苹果汁卖得快", intent: parser.IntentStockCount, cu: "C001", items: "P01=30", note: "老板说苹果汁卖得快"},
	{text: "进货 张老板 苹果汁 50 老板说红茶下周再要", intent: parser.IntentPurchase, cu: "C001", items: "P01=50", note: "老板说红茶下周再要"},
	{text: "反馈 张老板 老板说水太贵", intent: parser.IntentFeedback, cu: "C001", note: "老板说水太贵"},
	{text: "盘点 张老板 苹果汁 120 红茶 卖得慢", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P05=-", probs: "qty_missing"},
	{text: "盘点 张老板 苹果汁 120 水", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P04=-", probs: "qty_missing"},
	{text: "盘点 张老板 苹果汁120水50", intent: parser.IntentStockCount, cu: "C001", items: "P01=120 P04=50"},
	// A size said with a name selects the product of that size (苹果汁300ml is P03);
	// a size no product of the name comes in is asked about, never stored as 1L.
	{text: "盘点 张老板 小瓶装苹果汁 30", intent: parser.IntentStockCount, cu: "C001", items: "P03=30"},
	{text: "盘点 张老板 小瓶装 苹果汁 30", intent: parser.IntentStockCount, cu: "C001", items: "P03=30"},
	{text: "盘点 张老板 大瓶装苹果汁 30 橙汁 20", intent: parser.IntentStockCount, cu: "C001", items: "P01=30 P02=20"},
	{text: "盘点 张老板 苹果汁大瓶 30", intent: parser.IntentStockCount, cu: "C001", items: "P01=30"},
	{text: "盘点 张老板 300毫升苹果汁 30", intent: parser.IntentStockCount, cu: "C001", items: "P03=30"},
	{text: "盘点 张老板 三百毫升苹果汁 30", intent: parser.IntentStockCount, cu: "C001", items: "P03=30"},
	{text: "盘点 张老板 300ml装苹果汁 30", intent: parser.IntentStockCount, cu: "C001", items: "P03=30"},
	{text: "盘点 张老板 苹果汁300毫升 30", intent: parser.IntentStockCount, cu: "C001", items: "P03=30"},
	{text: "盘点 张老板 苹果汁 300ml 30", intent: parser.IntentStockCount, cu: "C001", items: "P03=30"},
	{text: "盘点 张老板 30箱300ml苹果汁", intent: parser.IntentStockCount, cu: "C001", items: "P03=30"},
	{text: "盘点 张老板 1升苹果汁 30", intent: parser.IntentStockCount, cu: "C001", items: "P01=30"},
	{text: "价格 惠民 300ml苹果汁 38", intent: parser.IntentPriceReport, cu: "C007", items: "P03=-", price: "38"},
	{text: "盘点 张老板 500毫升苹果汁 30", intent: parser.IntentStockCount, cu: "C001", probs: "product_unknown"},
	{text: "盘点 张老板 苹果汁 500ml 30", intent: parser.IntentStockCount, cu: "C001", probs: "product_unknown"},
	{text: "盘点 张老板 小瓶装橙汁 30", intent: parser.IntentStockCount, cu: "C001", probs: "product_unknown"},
	{text: "盘点 张老板 苹果汁 30 小瓶装", intent: parser.IntentStockCount, cu: "C001", items: "P01=30", probs: "product_unknown"},
}

func TestLanguage(t *testing.T) {
	if len(languageCases) < 120 {
		t.Fatalf("%d language cases, want at least 120", len(languageCases))
	}
	cat := demoCatalog(t)
	for _, c := range languageCases {
		name := c.text
		if c.as != "" {
			name = c.as + " " + name
		}
		if c.now != "" {
			name += " @" + c.now[:10]
		}
		t.Run(name, func(t *testing.T) {
			as, at := c.as, c.now
			if as == "" {
				as = "R01"
			}
			if at == "" {
				at = mon
			}
			now, err := time.Parse(time.RFC3339, at)
			if err != nil {
				t.Fatal(err)
			}
			sender := cat.User(as)
			if sender == nil {
				t.Fatalf("no user %s", as)
			}
			r := cat.Parse(c.text, sender, now)
			check := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %q, want %q", what, got, want)
				}
			}
			check("intent", string(r.Intent), string(c.intent))
			check("topic", string(r.Topic), string(c.topic))
			code := ""
			if r.Customer != nil {
				code = r.Customer.Code
			}
			check("customer", code, c.cu)
			var codes []string
			for _, cu := range r.Candidates {
				codes = append(codes, cu.Code)
			}
			check("candidates", strings.Join(codes, " "), c.cands)
			codes = codes[:0]
			for _, cu := range r.Customers {
				codes = append(codes, cu.Code)
			}
			check("more customers", strings.Join(codes, " "), c.more)
			checkItems(t, r.Items, c.items)
			price := ""
			if r.Price != nil {
				price = r.Price.String()
			}
			check("price", price, c.price)
			if r.PerPiece != c.piece {
				t.Errorf("per piece = %v, want %v", r.PerPiece, c.piece)
			}
			date := ""
			if r.Date != nil {
				date = r.Date.String()
			}
			check("date", date, c.date)
			var probs []string
			for _, p := range r.Problems {
				probs = append(probs, p.Code)
			}
			want := strings.Fields(c.probs)
			slices.Sort(probs)
			slices.Sort(want)
			check("problems", strings.Join(probs, " "), strings.Join(want, " "))
			var guesses []string
			for _, g := range r.Guesses {
				guesses = append(guesses, g.Meant)
			}
			check("guesses", strings.Join(guesses, " "), c.guess)
			check("place", r.Place, c.place)
			check("brand", r.Brand, c.brand)
			if c.note != "" {
				check("note", r.Note, c.note)
			}
			if r.Intent == parser.IntentUnknown && (len(r.Items) > 0 || r.Customer != nil || r.Price != nil) {
				t.Errorf("an unknown message yields %+v", r)
			}
		})
	}
}

// checkItems compares items with "P01=120 P02=-": product codes and quantities in
// cases, - for none.
func checkItems(t *testing.T, items []parser.Item, want string) {
	t.Helper()
	fields := strings.Fields(want)
	if len(items) != len(fields) {
		t.Errorf("items = %s, want %s", itemsString(items), want)
		return
	}
	for i, f := range fields {
		code, qty, _ := strings.Cut(f, "=")
		it := items[i]
		if it.Product.Code != code {
			t.Errorf("item %d product = %s, want %s", i, it.Product.Code, code)
		}
		if it.Pieces < 0 {
			t.Errorf("item %d pieces = %d", i, it.Pieces)
		}
		if qty == "-" {
			if it.HasQty {
				t.Errorf("item %d qty = %v, want none", i, it.Product.Cases(it.Pieces))
			}
			continue
		}
		w, err := strconv.ParseFloat(qty, 64)
		if err != nil {
			t.Fatal(err)
		}
		if !it.HasQty || math.Abs(it.Product.Cases(it.Pieces)-w) > 1e-9 {
			t.Errorf("item %d qty = %v (has %v), want %v", i, it.Product.Cases(it.Pieces), it.HasQty, w)
		}
	}
}

// TestLongMessage: a message repeating one product gets one problem per repeat, not
// one per pair (which made 2,000 repeats take over a second).
func TestLongMessage(t *testing.T) {
	cat := demoCatalog(t)
	now, _ := time.Parse(time.RFC3339, mon)
	r := cat.Parse("盘点 张老板 "+strings.Repeat("苹果汁 1 ", 2000), cat.User("R01"), now)
	if len(r.Items) != 2000 || len(r.Problems) != 1999 {
		t.Fatalf("%d items, %d problems; want 2000 and 1999", len(r.Items), len(r.Problems))
	}
	for _, p := range r.Problems {
		if p.Code != parser.ProblemDuplicateProduct {
			t.Fatalf("problem %s, want only duplicates", p.Code)
		}
	}
}

package parser

import "channelbot/models"

// Report intents: one per report kind, each described in Kinds.
const (
	IntentStockCount  Intent = "stock_count"
	IntentPurchase    Intent = "purchase"
	IntentOrder       Intent = "order"
	IntentVisit       Intent = "visit"
	IntentPlan        Intent = "plan"
	IntentNearExpiry  Intent = "near_expiry"
	IntentDamage      Intent = "damage"
	IntentPriceReport Intent = "price_report"
	IntentCrossRegion Intent = "cross_region"
	IntentCompetitor  Intent = "competitor"
	IntentComplaint   Intent = "complaint"
	IntentFeedback    Intent = "feedback"
	IntentPromise     Intent = "promise"
)

// Carries is a set of things a message may say besides its keyword. A Kind's
// Carries says how Parse reads a message of the kind; its Needs, what the message
// must say to be stored.
type Carries uint16

// What a message may carry.
const (
	// CarriesCustomer is the customer the message is about: unknown words before
	// any product are read as a customer's name. Needed, a place stands in for it
	// when the kind carries one.
	CarriesCustomer Carries = 1 << iota
	// CarriesCustomers are more customers after the first (计划 明天 张老板 宏城),
	// stored as the report's lines.
	CarriesCustomers
	// CarriesItems are products each with a quantity. Needed: at least one, each
	// with its quantity, each once.
	CarriesItems
	// CarriesProducts are products named without quantities, which the message is
	// about: mistyped names are guessed. Needed: at least one.
	CarriesProducts
	// CarriesPrice is a price: a bare number is read as one. Needed: one, not one
	// per product.
	CarriesPrice
	// CarriesPlace is where, when it is no customer: with CarriesCustomer, a name
	// no customer has (价格 北郊 苹果汁 38); without, the first unknown words when no
	// customer is named (冲货 北郊 苹果汁). Needed: a customer or a place.
	CarriesPlace
	// CarriesBrand is a competitor's brand: the first unknown words. Prices of a
	// brand's goods are kept as said, not turned into prices per case.
	CarriesBrand
	// CarriesNote is what was said, the substance of the report: words taken for
	// a customer's name that is none are the note. Needed: a note, products or a
	// brand.
	CarriesNote
	// CarriesDate is a day; a bare number after the items is no quantity.
	CarriesDate
)

// Digest is how managers' digests list the reports of a kind among the day's
// exceptions: one line per report, where it was and what Shows says.
type Digest struct {
	Label   string  // the section's mark and title: "💰 乱价"
	Flagged bool    // only reports flagged as violations are listed
	Shows   Carries // after where: CarriesProducts (the first), CarriesPrice, CarriesNote
}

// Kind describes one kind of report, declared once: Parse, the bot's records and
// replies, and the digests all read it.
type Kind struct {
	Intent    Intent            // what Parse reads a message of the kind as
	Stored    models.ReportKind // what its record is stored as
	Keywords  []string          // the words that announce it
	Carries   Carries           // what a message of the kind may say
	Needs     Carries           // what it must say to be stored
	Name      string            // what reps call it, in help, lists and undo replies
	Usage     string            // its help line
	Title     string            // its receipt's title: "🧾 订货" in "🧾 订货已记录 #12"
	DateLabel string            // what its day is on the receipt: 到期, 期限; empty for 日期
	Digest    Digest            // zero when digests do not list it
}

// Kinds are the kinds of report, in the order of the help menu. Adding a kind is
// adding one here, with its Intent constant above and its models.ReportKind; a
// parser rule is needed only when it carries something no kind carries yet. Kinds
// must not be changed at run time.
var Kinds = []Kind{
	{
		Intent: IntentStockCount, Stored: models.KindStockCount,
		Name: "盘点", Title: "✅ 盘点",
		Keywords: []string{"盘点", "点货", "清点", "盘库", "库存盘点"},
		Carries:  CarriesCustomer | CarriesItems,
		Needs:    CarriesCustomer | CarriesItems,
		Usage:    "盘点 客户 产品 数量，如：盘点 张老板 苹果汁 120 橙汁 80",
	},
	{
		Intent: IntentPurchase, Stored: models.KindPurchase,
		Name: "进货", Title: "📥 进货",
		Keywords: []string{"进货", "到货", "收货"},
		Carries:  CarriesCustomer | CarriesItems,
		Needs:    CarriesCustomer | CarriesItems,
		Usage:    "进货 客户 产品 数量，如：进货 张老板 苹果汁 50",
	},
	{
		Intent: IntentOrder, Stored: models.KindOrder,
		Name: "订货", Title: "🧾 订货",
		Keywords: []string{"订货", "下单", "订单", "要货", "补货"},
		Carries:  CarriesCustomer | CarriesItems,
		Needs:    CarriesCustomer | CarriesItems,
		Usage:    "订货 客户 产品 数量，如：订货 张老板 苹果汁 20箱",
	},
	{
		Intent: IntentVisit, Stored: models.KindVisit,
		Name: "拜访", Title: "📍 拜访",
		Keywords: []string{"拜访", "到店", "签到", "走访", "巡店"},
		Carries:  CarriesCustomer,
		Needs:    CarriesCustomer,
		Usage:    "拜访 客户 备注，如：拜访 张老板 聊了新品",
	},
	{
		Intent: IntentPlan, Stored: models.KindPlan,
		Name: "计划", Title: "🗓 计划",
		Keywords: []string{"计划", "安排", "预约"},
		Carries:  CarriesCustomer | CarriesCustomers | CarriesDate,
		Needs:    CarriesCustomer | CarriesDate,
		Usage:    "计划 日期 客户，如：计划 明天 拜访 张老板",
	},
	{
		Intent: IntentNearExpiry, Stored: models.KindNearExpiry,
		Name: "即期", Title: "⏳ 即期", DateLabel: "到期",
		Keywords: []string{"即期", "临期"},
		Carries:  CarriesCustomer | CarriesItems | CarriesDate,
		Needs:    CarriesCustomer | CarriesItems | CarriesDate,
		Usage:    "即期 客户 产品 数量 到期日，如：即期 张老板 苹果汁 8箱 12月15日到期",
	},
	{
		Intent: IntentDamage, Stored: models.KindDamage,
		Name: "破损", Title: "💔 破损",
		Keywords: []string{"破损", "损坏", "坏货"},
		Carries:  CarriesCustomer | CarriesItems,
		Needs:    CarriesCustomer | CarriesItems,
		Usage:    "破损 客户 产品 数量，如：破损 张老板 苹果汁 2箱",
	},
	{
		Intent: IntentPriceReport, Stored: models.KindPriceReport,
		Name: "价格", Title: "💰 价格",
		Keywords: []string{"价格", "砸价", "乱价", "低价"},
		Carries:  CarriesCustomer | CarriesPlace | CarriesProducts | CarriesPrice,
		Needs:    CarriesCustomer | CarriesProducts | CarriesPrice,
		Usage:    "价格 客户或地点 产品 价格，如：价格 刘姐 苹果汁 38元",
		Digest:   Digest{Label: "💰 乱价", Flagged: true, Shows: CarriesProducts | CarriesPrice},
	},
	{
		Intent: IntentCrossRegion, Stored: models.KindCrossRegion,
		Name: "冲货", Title: "🚨 冲货",
		Keywords: []string{"冲货", "窜货", "串货"},
		Carries:  CarriesPlace | CarriesProducts | CarriesPrice,
		Needs:    CarriesPlace | CarriesProducts,
		Usage:    "冲货 地点或客户 产品 价格，如：冲货 北郊 苹果汁 38一箱",
		Digest:   Digest{Label: "🚨 冲货", Shows: CarriesProducts},
	},
	{
		Intent: IntentCompetitor, Stored: models.KindCompetitor,
		Name: "竞品", Title: "👀 竞品",
		Keywords: []string{"竞品"},
		Carries:  CarriesBrand | CarriesPrice | CarriesNote,
		Needs:    CarriesNote,
		Usage:    "竞品 品牌 客户 产品 价格 备注，如：竞品 康师傅 百佳 冰红茶 特价2.5",
	},
	{
		Intent: IntentComplaint, Stored: models.KindComplaint,
		Name: "客诉", Title: "📣 客诉",
		Keywords: []string{"客诉", "投诉", "抱怨"},
		Carries:  CarriesCustomer | CarriesNote,
		Needs:    CarriesCustomer | CarriesNote,
		Usage:    "客诉 客户 内容，如：客诉 张老板 送货慢",
		Digest:   Digest{Label: "📣 客诉", Shows: CarriesNote},
	},
	{
		Intent: IntentFeedback, Stored: models.KindFeedback,
		Name: "建议", Title: "💡 建议",
		Keywords: []string{"建议", "反馈", "意见"},
		Carries:  CarriesCustomer | CarriesNote,
		Needs:    CarriesCustomer | CarriesNote,
		Usage:    "建议 客户 内容，如：建议 张老板 多投广告",
	},
	{
		Intent: IntentPromise, Stored: models.KindPromise,
		Name: "承诺", Title: "🤝 承诺", DateLabel: "期限",
		Keywords: []string{"答应", "承诺"},
		Carries:  CarriesCustomer | CarriesNote | CarriesDate,
		Needs:    CarriesCustomer | CarriesNote,
		Usage:    "答应 客户 内容 日期，如：答应 张老板 周五前换货",
	},
}

// Indexes of Kinds and Commands, built once.
var (
	kindByIntent    = map[Intent]int{}
	kindByStored    = map[models.ReportKind]int{}
	commandByIntent = map[Intent]int{}
)

func init() {
	for i, k := range Kinds {
		kindByIntent[k.Intent], kindByStored[k.Stored] = i, i
	}
	for i, c := range Commands {
		commandByIntent[c.Intent] = i
	}
}

// KindOf returns the kind of report of intent i; ok is false for an intent that
// reports nothing.
func KindOf(i Intent) (k Kind, ok bool) {
	if n, ok := kindByIntent[i]; ok {
		return Kinds[n], true
	}
	return Kind{}, false
}

// KindStored returns the kind of report stored as k; ok is false for a kind no
// longer known.
func KindStored(k models.ReportKind) (Kind, bool) {
	if n, ok := kindByStored[k]; ok {
		return Kinds[n], true
	}
	return Kind{}, false
}

// NameOf returns what reps call intent i, a report kind or a command; it is empty
// when help has no line for it.
func NameOf(i Intent) string {
	if n, ok := kindByIntent[i]; ok {
		return Kinds[n].Name
	}
	if n, ok := commandByIntent[i]; ok {
		return Commands[n].Name
	}
	return ""
}

// UsageOf returns the help line of intent i, a report kind or a command; it is
// empty when help has no line for it.
func UsageOf(i Intent) string {
	if n, ok := kindByIntent[i]; ok {
		return Kinds[n].Usage
	}
	if n, ok := commandByIntent[i]; ok {
		return Commands[n].Usage
	}
	return ""
}

// carries returns what a message of intent i may say and must say.
func carries(i Intent) (may, needs Carries) {
	if n, ok := kindByIntent[i]; ok {
		return Kinds[n].Carries, Kinds[n].Needs
	}
	if n, ok := commandByIntent[i]; ok {
		return Commands[n].Carries, 0
	}
	return 0, 0
}

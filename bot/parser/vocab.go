package parser

// Intent is what a message asks the bot to do.
type Intent string

// Intents that report nothing: they steer the conversation. The reporting ones are
// declared with their kinds (Kinds).
const (
	IntentQuery   Intent = "query"
	IntentUndo    Intent = "undo"
	IntentEdit    Intent = "edit"    // a stored record's quantities changed: 改 #12 …
	IntentPublish Intent = "publish" // a manager announces a price policy
	IntentPolicy  Intent = "policy"  // policies: a dealer's list, a manager's status
	IntentDone    Intent = "done"    // a promise kept
	IntentHelp    Intent = "help"
	IntentConfirm Intent = "confirm"
	IntentCancel  Intent = "cancel"
	IntentChoice  Intent = "choice"
	IntentUnknown Intent = "unknown"

	// intentStockInline marks 还剩/还有: a stock count said in passing
	// ("张老板那里苹果汁还剩120箱"), valid anywhere in the message.
	intentStockInline Intent = "stock_inline"
	// intentStock marks 库存: a query without quantities, a count with them.
	intentStock Intent = "stock"
)

// Command describes an intent that reports nothing: a question, an answer, an
// undo, a policy.
type Command struct {
	Intent   Intent
	Keywords []string // the words that announce it
	Carries  Carries  // what Parse reads from the rest of the message
	Name     string   // what help calls it; empty when help has no line for it
	Usage    string   // its help line, listed after the report kinds'; empty for none
	// Answer says the command is a reply to a question, meaningful only as the
	// whole message (对对对 is one 确认).
	Answer bool
}

// Commands are the intents that report nothing, in the order of the help menu.
// Commands must not be changed at run time.
var Commands = []Command{
	{
		Intent: IntentDone, Keywords: []string{"兑现", "已兑现", "完成", "已完成", "办好了"}, Carries: CarriesCustomer,
		Name: "兑现", Usage: "兑现 #编号 或 兑现 客户：承诺办到了，如：兑现 钱老板",
	},
	{
		Intent: IntentQuery, Keywords: []string{"查", "查询", "看看"}, Carries: CarriesCustomer,
		Name: "查询", Usage: "查 客户 [产品]，如：查 张老板 苹果汁",
	},
	{
		Intent: IntentUndo, Keywords: []string{"撤销", "撤回", "取消上一条", "删除上一条", "撤回上一条", "撤销上一条"},
		Name: "撤销", Usage: "撤销：撤回你刚才的一次操作；撤销 #编号：删除那一条",
	},
	{
		Intent: IntentEdit, Keywords: []string{"改", "更正", "修改", "改正"},
		Name: "更正", Usage: "改 #编号 产品 数量：改错的数，如：改 #12 矿泉水 300",
	},
	{Intent: IntentPublish, Keywords: []string{"发布", "发政策", "发布政策"}, Carries: CarriesPrice},
	{Intent: IntentPolicy, Keywords: []string{"政策", "价格政策"}},
	{Intent: IntentHelp, Keywords: []string{"帮助", "help", "?", "菜单", "怎么报", "怎么写", "怎么用"}},
	{Intent: IntentConfirm, Keywords: []string{"确认", "确定", "是", "对", "是的", "对的", "ok", "好", "好的", "没错"}, Answer: true},
	{Intent: IntentCancel, Keywords: []string{"取消", "不", "不是", "否", "算了", "不对"}, Answer: true},
}

// stockWords are the words of stock counts and queries that parser rules read
// (intentOf): 还剩 after a product, 库存 with or without quantities.
var stockWords = map[string]Intent{"还剩": intentStockInline, "还有": intentStockInline, "剩": intentStockInline, "库存": intentStock}

// fillers are words that carry nothing: skipped between names and numbers.
var fillers = []string{"那里", "那边", "这里", "店里", "家里", "仓库", "去", "在", "的", "了", "有", "共", "一共", "总共", "库里", "到期", "过期",
	"只", "就", "才", "还", "大概", "大约", "约", "差不多", "左右", "将近",
	// A shelf price is a price: 价格 惠民 苹果汁 零售 3.8.
	"零售价", "零售", "售价", "标价"}

package parser

// Intent is what a message asks the bot to do.
type Intent string

// Intents. The reporting ones become records; the others steer the conversation.
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
	IntentQuery       Intent = "query"
	IntentUndo        Intent = "undo"
	IntentPublish     Intent = "publish" // a manager announces a price policy
	IntentPolicy      Intent = "policy"  // policies: a dealer's list, a manager's status
	IntentDone        Intent = "done"    // a promise kept
	IntentHelp        Intent = "help"
	IntentConfirm     Intent = "confirm"
	IntentCancel      Intent = "cancel"
	IntentChoice      Intent = "choice"
	IntentUnknown     Intent = "unknown"

	// intentStockInline marks 还剩/还有: a stock count said in passing
	// ("张老板那里苹果汁还剩120箱"), valid anywhere in the message.
	intentStockInline Intent = "stock_inline"
	// intentStock marks 库存: a query without quantities, a count with them.
	intentStock Intent = "stock"
)

// keywords maps each keyword to its intent.
var keywords = map[string]Intent{
	"盘点": IntentStockCount, "点货": IntentStockCount, "清点": IntentStockCount, "盘库": IntentStockCount, "库存盘点": IntentStockCount,
	"还剩": intentStockInline, "还有": intentStockInline, "剩": intentStockInline,
	"进货": IntentPurchase, "到货": IntentPurchase, "收货": IntentPurchase,
	"订货": IntentOrder, "下单": IntentOrder, "订单": IntentOrder, "要货": IntentOrder, "补货": IntentOrder,
	"拜访": IntentVisit, "到店": IntentVisit, "签到": IntentVisit, "走访": IntentVisit, "巡店": IntentVisit,
	"计划": IntentPlan, "安排": IntentPlan, "预约": IntentPlan,
	"即期": IntentNearExpiry, "临期": IntentNearExpiry,
	"破损": IntentDamage, "损坏": IntentDamage, "坏货": IntentDamage,
	"价格": IntentPriceReport, "砸价": IntentPriceReport, "乱价": IntentPriceReport, "低价": IntentPriceReport,
	"冲货": IntentCrossRegion, "窜货": IntentCrossRegion, "串货": IntentCrossRegion,
	"竞品": IntentCompetitor,
	"客诉": IntentComplaint, "投诉": IntentComplaint, "抱怨": IntentComplaint,
	"建议": IntentFeedback, "反馈": IntentFeedback, "意见": IntentFeedback,
	"答应": IntentPromise, "承诺": IntentPromise,
	"查": IntentQuery, "查询": IntentQuery, "看看": IntentQuery, "库存": intentStock,
	"发布": IntentPublish, "发政策": IntentPublish, "发布政策": IntentPublish,
	"政策": IntentPolicy, "价格政策": IntentPolicy,
	"兑现": IntentDone, "已兑现": IntentDone, "完成": IntentDone, "已完成": IntentDone, "办好了": IntentDone,
	"撤销": IntentUndo, "撤回": IntentUndo, "取消上一条": IntentUndo, "删除上一条": IntentUndo, "撤回上一条": IntentUndo, "撤销上一条": IntentUndo,
	"帮助": IntentHelp, "help": IntentHelp, "?": IntentHelp, "菜单": IntentHelp, "怎么报": IntentHelp, "怎么写": IntentHelp, "怎么用": IntentHelp,
	"确认": IntentConfirm, "确定": IntentConfirm, "是": IntentConfirm, "对": IntentConfirm, "是的": IntentConfirm, "对的": IntentConfirm, "ok": IntentConfirm, "好": IntentConfirm, "好的": IntentConfirm, "没错": IntentConfirm,
	"取消": IntentCancel, "不": IntentCancel, "不是": IntentCancel, "否": IntentCancel, "算了": IntentCancel, "不对": IntentCancel,
}

// answerIntents are only meaningful as the whole message.
var answerIntents = map[Intent]bool{IntentConfirm: true, IntentCancel: true}

// fillers are words that carry nothing: skipped between names and numbers.
var fillers = []string{"那里", "那边", "这里", "店里", "家里", "仓库", "去", "在", "的", "了", "有", "共", "一共", "总共", "库里", "到期", "过期",
	"只", "就", "才", "还", "大概", "大约", "约", "差不多", "左右", "将近"}

// Usage is the one-line format of each reporting intent, for help and error replies.
var Usage = map[Intent]string{
	IntentStockCount:  "盘点 客户 产品 数量，如：盘点 张老板 苹果汁 120 橙汁 80",
	IntentPurchase:    "进货 客户 产品 数量，如：进货 张老板 苹果汁 50",
	IntentOrder:       "订货 客户 产品 数量，如：订货 张老板 苹果汁 20箱",
	IntentVisit:       "拜访 客户 备注，如：拜访 张老板 聊了新品",
	IntentPlan:        "计划 日期 客户，如：计划 明天 拜访 张老板",
	IntentNearExpiry:  "即期 客户 产品 数量 到期日，如：即期 张老板 苹果汁 8箱 12月15日到期",
	IntentDamage:      "破损 客户 产品 数量，如：破损 张老板 苹果汁 2箱",
	IntentPriceReport: "价格 客户或地点 产品 价格，如：价格 刘姐 苹果汁 38元",
	IntentCrossRegion: "冲货 地点或客户 产品 价格，如：冲货 北郊 苹果汁 38一箱",
	IntentCompetitor:  "竞品 品牌 客户 产品 价格 备注，如：竞品 康师傅 百佳 冰红茶 特价2.5",
	IntentComplaint:   "客诉 客户 内容，如：客诉 张老板 送货慢",
	IntentFeedback:    "建议 客户 内容，如：建议 张老板 多投广告",
	IntentPromise:     "答应 客户 内容 日期，如：答应 张老板 周五前换货",
	IntentQuery:       "查 客户 [产品]，如：查 张老板 苹果汁",
	IntentUndo:        "撤销：删除你最近一条记录",
	IntentDone:        "兑现 #编号 或 兑现 客户：承诺办到了，如：兑现 钱老板",
}

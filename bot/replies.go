package bot

import (
	"fmt"
	"strings"

	"channelbot/bot/parser"
	"channelbot/models"
)

// Fixed replies. User-facing text is zh-CN, short and friendly.
const (
	msgUnregistered   = "你好！你还没有登记，请把你的账号发给管理员，加入用户名单后就能用了。"
	msgDealerRefused  = "您好！这里是业务员报数的入口，经销商暂时只能接收价格政策。有问题请联系您的业务员。"
	msgInternal       = "抱歉，系统出了点问题，这条没有保存，请稍后再发一次。"
	msgNothingPending = "现在没有需要确认的内容。发「帮助」看看怎么报。"
	msgCancelled      = "好的，已取消，没有保存。"
	msgPendingDropped = "（上一条待确认的内容已取消，没有保存：%s）"
	// msgPendingRecounted: the same products were counted again while a confirmation was open.
	msgPendingRecounted = "（待确认的 %s 已作废，以这次的数为准）"
	msgPendingExpired   = "⌛ 上一条待确认的内容超过10分钟没有回复，没有保存：%s。需要的话请重新发送。"
	msgAnswerMismatch   = "请按上一条的提示回复，或回复「取消」放弃。"
	msgBadChoice        = "请回复 1 到 %d 之间的数字，或回复「取消」。"
	msgNothingToUndo    = "24小时内没有你的记录可以撤销。"
	msgNoRecord         = "没找到记录 #%d（编号不对，或已经撤销了），没有%s。"
	msgNotYours         = "#%d 不是你报的，不能%s。有问题请找报这条的同事或经理。"
	msgQueryWhom        = "查哪个客户？写法：查 客户 [产品]，如：查 张老板 苹果汁"
	msgUnknown          = "没看懂这条 😅 发「帮助」看看怎么报，例如：盘点 张老板 苹果汁 120"
)

// kindName is what reps call the kind a report is stored as.
func kindName(k models.ReportKind) string {
	kind, _ := parser.KindStored(k)
	return kind.Name
}

// helpText is the menu, or the usage of one report when topic is set.
func helpText(topic parser.Intent) string {
	if u := parser.UsageOf(topic); u != "" {
		return "📝 " + parser.NameOf(topic) + "的写法：\n" + u + "\n数量默认是箱，也可以写瓶，如 3箱6瓶。"
	}
	var b strings.Builder
	b.WriteString("📋 可以这样报（关键词开头，空格隔开）：")
	for _, k := range parser.Kinds {
		fmt.Fprintf(&b, "\n· %s", k.Usage)
	}
	for _, c := range parser.Commands {
		if c.Usage != "" {
			fmt.Fprintf(&b, "\n· %s", c.Usage)
		}
	}
	b.WriteString("\n问某一项的写法，发「盘点怎么报」。")
	return b.String()
}

// problemText says what was understood, what was not, and how to write it.
func problemText(res *parser.Result) string {
	k, _ := parser.KindOf(res.Intent)
	var b strings.Builder
	b.WriteString("这条没保存，还差一点：")
	if got := understood(res); got != "" {
		b.WriteString("\n✔ 看懂了：" + got)
	}
	for _, p := range res.Problems {
		b.WriteString("\n✘ ")
		switch p.Code {
		case parser.ProblemCustomerMissing:
			b.WriteString("没写客户")
			if k.Carries&parser.CarriesPlace != 0 {
				b.WriteString("或地点")
			}
		case parser.ProblemCustomerUnknown:
			fmt.Fprintf(&b, "没找到客户「%s」", p.Text)
		case parser.ProblemItemsMissing:
			b.WriteString("没写产品")
			if k.Needs&parser.CarriesItems != 0 {
				b.WriteString("和数量") // products named without quantities (prices, cross-region goods) need none
			}
		case parser.ProblemProductUnknown:
			fmt.Fprintf(&b, "没认出「%s」", p.Text)
			switch len(p.Suggest) {
			case 0:
			case 1:
				fmt.Fprintf(&b, "，你是说 %s 吗？", p.Suggest[0])
			default:
				fmt.Fprintf(&b, "，你是说 %s？", strings.Join(p.Suggest, " 还是 "))
			}
		case parser.ProblemQtyMissing:
			fmt.Fprintf(&b, "%s 没写数量", p.Text)
		case parser.ProblemQtyFraction:
			fmt.Fprintf(&b, "%s 的数量「%s」不是整%s", p.Product.Name, p.Text, p.Product.PackUnit)
		case parser.ProblemStrayNumber:
			fmt.Fprintf(&b, "「%s」不知道是哪个产品的", p.Text)
		case parser.ProblemDuplicateProduct:
			fmt.Fprintf(&b, "%s 报了两次", p.Text)
		case parser.ProblemPriceMissing:
			b.WriteString("没写价格")
		case parser.ProblemDateMissing:
			b.WriteString("没写日期")
		case parser.ProblemPlaceMissing:
			b.WriteString("没写在哪里（地点或客户）")
		case parser.ProblemOnePrice:
			b.WriteString("一条只能报一个产品的价格，请分开发")
		case parser.ProblemNoteMissing:
			b.WriteString("没写内容")
		case parser.ProblemNegative:
			fmt.Fprintf(&b, "「%s」是负数，数量和价格不能是负的", p.Text)
		case parser.ProblemTooLong:
			fmt.Fprintf(&b, "「%s」太大了，不像是数量或价格，请核对", p.Text)
		case parser.ProblemUnitUnknown:
			fmt.Fprintf(&b, "%s 的「%s」：不知道一%s是几%s，请写成箱或%s，如 %s 2箱 或 12%s",
				p.Product.Name, p.Text, unitWord(p.Text), p.Product.PackUnit, p.Product.PackUnit, p.Product.Name, p.Product.PackUnit)
		case parser.ProblemPriceUnit:
			fmt.Fprintf(&b, "%s元 是一%s还是一箱？请写明，如 %s元一%s 或 %s元一箱",
				p.Text, p.Product.PackUnit, p.Text, p.Product.PackUnit, p.Text)
		default:
			b.WriteString(p.Text)
		}
	}
	if u := parser.UsageOf(res.Intent); u != "" {
		b.WriteString("\n写法：" + u)
	}
	return b.String()
}

// unitWord is the unit of a quantity as typed: 提 of 2提.
func unitWord(typed string) string {
	return strings.TrimLeft(typed, "-0123456789.")
}

// understood lists what a message said that the bot understood.
func understood(res *parser.Result) string {
	parts := []string{parser.NameOf(res.Intent)}
	if res.Brand != "" {
		parts = append(parts, res.Brand)
	}
	if w := where(res); w != "" {
		parts = append(parts, w)
	}
	for _, it := range res.Items {
		if it.HasQty {
			parts = append(parts, it.Product.Name+" "+it.Product.FormatQty(it.Pieces))
		} else {
			parts = append(parts, it.Product.Name)
		}
	}
	if p := priceText(res); p != "" {
		parts = append(parts, p)
	}
	if res.Date != nil {
		parts = append(parts, dateText(res.Date))
	}
	if len(parts) == 1 {
		return ""
	}
	return strings.Join(parts, " · ")
}

// chooseText asks which customer an ambiguous name means.
func chooseText(res *parser.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "你说的「%s」是：", res.CustomerText)
	for i, cu := range res.Candidates {
		fmt.Fprintf(&b, "\n%d %s（%s）", i+1, cu.Name, cu.Region)
	}
	b.WriteString("\n回复数字选一个。")
	return b.String()
}

const (
	msgPublishManagersOnly = "只有经理和管理员可以发布价格政策。"
	msgPublishUsage        = "发布 产品 价格类型 价格 生效日期 范围，如：发布 苹果汁 出厂价 39 12月1日起 城东 A类"
	msgDealerNoCustomer    = "您好！您的账号还没有关联客户，请联系业务员。"
	msgDealerHelp          = "您好！这里报数是业务员用的。作为经销商，您可以发「价格」查看当前价格，发「政策」查看最近的价格政策；收到政策后回复「收到」确认。"
)

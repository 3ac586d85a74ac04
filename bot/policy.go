package bot

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"channelbot/bot/parser"
	"channelbot/models"
)

const pendingPublish = "publish" // a policy previewed, waiting for 确认

// PolicyMessage is what a dealer receives for a policy, with the button that
// confirms it.
func PolicyMessage(p *models.Policy) (string, models.Buttons) {
	text := fmt.Sprintf("📢 价格政策 #%d\n%s\n生效日期：%s\n请回复「收到」确认。", p.ID, p.Text, p.Effective)
	return text, models.Buttons{{Text: "收到", Key: fmt.Sprintf("收到#%d", p.ID)}}
}

// PolicyReminder is what a dealer who has not confirmed a policy is sent again:
// the policy's message, marked as a reminder.
func PolicyReminder(p *models.Policy) (string, models.Buttons) {
	text, buttons := PolicyMessage(p)
	return "⏰ 提醒：" + text, buttons
}

// PolicyUnreachable is recorded, and shown in a policy's status, for a dealer user
// with neither a WeCom nor a Feishu account.
const PolicyUnreachable = "没有企业微信或飞书账号"

// PolicyProblems words every problem of a rejected policy draft, in order, for
// whoever wrote it: the manager in chat, the admin API's caller, the CLI's user.
func PolicyProblems(e *models.PolicyError) []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = policyProblemText(p)
	}
	return out
}

func policyProblemText(p models.PolicyProblem) string {
	switch p.Code {
	case models.PolicyNoProducts:
		return "没写产品"
	case models.PolicyUnknownProduct:
		return fmt.Sprintf("没有产品「%s」", p.Value)
	case models.PolicyBadPriceType:
		n := len(models.PriceTypes)
		return fmt.Sprintf("价格类型「%s」不对，应为 %s 或 %s", p.Value,
			strings.Join(models.PriceTypes[:n-1], "、"), models.PriceTypes[n-1])
	case models.PolicyBadPrice:
		return fmt.Sprintf("价格「%s」不是数字", p.Value)
	case models.PolicyPriceNotPositive:
		return "价格要大于0"
	case models.PolicyBadEffective:
		return fmt.Sprintf("生效日期「%s」应写成 2026-12-01", p.Value)
	case models.PolicyPastEffective:
		return fmt.Sprintf("生效日期 %s 已经过去了", p.Value)
	case models.PolicyNoAudience:
		return "没写发给谁（区域、等级、客户类型或客户编码）"
	case models.PolicyUnknownCustomer:
		return fmt.Sprintf("没有客户「%s」", p.Value)
	case models.PolicyNoText:
		return "没写政策内容"
	}
	return fmt.Sprintf("%s「%s」不对", p.Field, p.Value)
}

var tierWord = regexp.MustCompile(`^([ABCabc])(类|级|类客户|级客户)?$`)

// draftFrom reads a manager's "发布 苹果汁 出厂价 39 12月1日起 城东 A类" into a draft.
func (t *turn) draftFrom(res *parser.Result) models.PolicyDraft {
	cat := t.cat.Models()
	d := models.PolicyDraft{CreatedBy: t.user.ID}
	for _, it := range res.Items {
		d.Products = append(d.Products, it.Product.Code)
	}
	if res.Price != nil {
		d.Price = models.Number(res.Price.String())
	}
	if res.Date != nil {
		d.Effective = res.Date.String()
	}
	regions, types := map[string]bool{}, map[string]bool{}
	for _, c := range cat.Customers {
		regions[c.Region], types[c.Type] = true, true
	}
	words := strings.FieldsFunc(t.in.Text, func(r rune) bool {
		return r == ' ' || r == '　' || r == '，' || r == ',' || r == '、' || r == '：' || r == ':'
	})
	for _, w := range words {
		switch {
		case slices.Contains(models.PriceTypes, w):
			d.PriceType = w
		case regions[w]:
			d.Audience.Regions = append(d.Audience.Regions, w)
		case types[w]:
			d.Audience.Types = append(d.Audience.Types, w)
		case tierWord.MatchString(w):
			d.Audience.Tiers = append(d.Audience.Tiers, strings.ToUpper(w[:1]))
		case cat.CustomerByCode(strings.ToUpper(w)) != nil:
			d.Audience.Customers = append(d.Audience.Customers, strings.ToUpper(w))
		}
	}
	var names []string
	for _, it := range res.Items {
		names = append(names, it.Product.Name)
	}
	if res.Date != nil && res.Price != nil {
		d.Text = fmt.Sprintf("%s %s自%d月%d日起调整为%s元/箱", strings.Join(names, "、"), d.PriceType, res.Date.Month, res.Date.Day, res.Price)
	}
	return d
}

// publish previews a manager's policy and, once confirmed, broadcasts it.
func (t *turn) publish(res *parser.Result, opts handleOpts) error {
	if t.user.Role != models.RoleManager && t.user.Role != models.RoleAdmin {
		t.reply(msgPublishManagersOnly)
		return nil
	}
	cat := t.cat.Models()
	p, products, err := models.CheckPolicy(t.draftFrom(res), cat, t.in.At.Format(time.DateOnly))
	var pe *models.PolicyError
	if errors.As(err, &pe) {
		t.reply("政策没发出，还差：\n✘ " + strings.Join(PolicyProblems(pe), "\n✘ ") + "\n写法：" + msgPublishUsage)
		return nil
	}
	if err != nil {
		return err
	}
	customers, dealers := cat.AudienceOf(p.Audience)
	if len(customers) == 0 {
		t.reply("没有客户符合这个范围，政策没发出。写法：" + msgPublishUsage)
		return nil
	}
	if !opts.confirmed {
		var sample []string
		for i, c := range customers {
			if i == 5 {
				sample = append(sample, "…")
				break
			}
			sample = append(sample, c.Name)
		}
		t.ask = &pending{Kind: pendingPublish, Text: t.in.Text, At: t.in.At}
		t.reply(fmt.Sprintf("📢 政策预览\n%s\n生效：%s\n范围：%d 家客户（%s），%d 位经销商会收到\n回复「确认」发送，「取消」放弃。",
			p.Text, p.Effective, len(customers), strings.Join(sample, "、"), len(dealers)))
		return nil
	}
	id, err := t.bot.store.CreatePolicy(t.ctx, p, products, cat, PolicyMessage, PolicyUnreachable)
	if err != nil {
		return err
	}
	t.reply(fmt.Sprintf("✅ 政策 #%d 已发出：%d 位经销商。发「政策 %d」看谁已确认。", id, len(dealers), id))
	return nil
}

var policyNumber = regexp.MustCompile(`\d+`)

// policyStatus answers a manager's "政策 N" (one policy) or "政策" (the latest).
func (t *turn) policyStatus() error {
	var id int64
	if m := policyNumber.FindString(t.in.Text); m != "" {
		id, _ = strconv.ParseInt(m, 10, 64)
	}
	if id == 0 {
		t.reply("发「政策 编号」看某条政策的确认情况，如：政策 3")
		return nil
	}
	st, err := t.bot.store.StatusOf(t.ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		t.reply(fmt.Sprintf("没有编号为 %d 的政策。", id))
		return nil
	}
	if err != nil {
		return err
	}
	t.reply(statusText(st, t.cat))
	return nil
}

// statusText is a policy's delivery and confirmation in a few lines.
func statusText(st *models.PolicyStatus, cat *parser.Catalog) string {
	var b strings.Builder
	fmt.Fprintf(&b, "📊 政策 #%d\n目标 %d · 已送达 %d · 已确认 %d · 失败 %d", st.ID, st.Targeted, st.Sent, st.Acknowledged, st.Failed)
	if len(st.Missing) > 0 {
		var names []string
		for _, code := range st.Missing {
			if c := cat.Customer(code); c != nil {
				names = append(names, c.Name)
			}
		}
		b.WriteString("\n未确认：" + strings.Join(names, "、"))
	} else {
		b.WriteString("\n全部已确认 ✔")
	}
	for _, f := range st.Failures {
		b.WriteString("\n失败：" + f)
	}
	return b.String()
}

var ackWords = []string{"收到", "确认", "已收到", "收到了", "好的", "好", "ok", "知道了", "明白"}

// dealer answers a dealer: confirming policies, their own prices and policies.
// A dealer sees nothing of other customers, whatever they ask.
func (t *turn) dealer() error {
	if t.user.CustomerID == nil {
		t.reply(msgDealerNoCustomer)
		return nil
	}
	text := strings.ToLower(strings.TrimSpace(t.in.Text))
	text = strings.TrimRight(text, "。!！.~")
	switch {
	case strings.HasPrefix(text, "收到#"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(text, "收到#"), 10, 64)
		return t.ack(id)
	case slices.Contains(ackWords, text):
		return t.ack(0)
	case strings.HasPrefix(text, "政策"):
		return t.dealerPolicies()
	case strings.HasPrefix(text, "价格") || strings.HasPrefix(text, "价钱") || strings.HasPrefix(text, "查价"):
		return t.dealerPrices(t.cat.Parse(t.in.Text, t.user, t.in.At))
	}
	t.reply(msgDealerHelp)
	return nil
}

func (t *turn) ack(id int64) error {
	p, err := t.bot.store.Acknowledge(t.ctx, t.user.ID, id, t.in.At)
	if errors.Is(err, models.ErrNotFound) {
		t.reply("现在没有需要确认的政策。发「政策」看最近的政策。")
		return nil
	}
	if err != nil {
		return err
	}
	t.reply(fmt.Sprintf("✅ 已确认收到政策 #%d：%s（%s起）。谢谢！", p.ID, p.Text, p.Effective))
	return nil
}

func (t *turn) dealerPolicies() error {
	ps, err := t.bot.store.PoliciesFor(t.ctx, *t.user.CustomerID, 5)
	if err != nil {
		return err
	}
	if len(ps) == 0 {
		t.reply("最近没有价格政策。")
		return nil
	}
	acked, err := t.bot.store.AckedPolicies(t.ctx, t.user.ID)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("📢 最近的价格政策")
	for _, p := range ps {
		mark := "⏳ 待确认"
		if acked[p.ID] {
			mark = "✔ 已确认"
		}
		fmt.Fprintf(&b, "\n#%d %s（%s起）%s", p.ID, p.Text, p.Effective, mark)
	}
	t.reply(b.String())
	return nil
}

// dealerPrices lists the dealer's prices in force today, and changes to come.
func (t *turn) dealerPrices(res *parser.Result) error {
	products := make([]*models.Product, 0)
	for _, it := range res.Items {
		products = append(products, it.Product)
	}
	if len(products) == 0 {
		for i := range t.cat.Products() {
			products = append(products, &t.cat.Products()[i])
		}
	}
	today := t.in.At.Format(time.DateOnly)
	far := "9999-12-31"
	var b strings.Builder
	b.WriteString("💰 您的当前价格（元/箱）")
	for _, p := range products {
		line := "\n" + p.Name + "："
		var parts []string
		for _, pt := range models.PriceTypes {
			base := map[string]models.Money{models.PriceFactory: p.FactoryPrice, models.PriceRetailLimit: p.FloorPrice}[pt]
			now, ok, err := t.bot.store.PriceInForce(t.ctx, p.ID, *t.user.CustomerID, pt, today)
			if err != nil {
				return err
			}
			if !ok {
				now = base
			}
			if now > 0 {
				parts = append(parts, fmt.Sprintf("%s %s", pt, now))
			}
			next, ok, err := t.bot.store.NextPrice(t.ctx, p.ID, *t.user.CustomerID, pt, today, far)
			if err != nil {
				return err
			}
			if ok {
				parts = append(parts, fmt.Sprintf("（%s起%s %s）", next.Effective, pt, next.Price))
			}
		}
		if len(parts) == 0 {
			continue
		}
		b.WriteString(line + strings.Join(parts, " · "))
	}
	t.reply(b.String())
	return nil
}

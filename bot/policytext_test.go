package bot_test

import (
	"errors"
	"slices"
	"testing"

	"channelbot/bot"
	"channelbot/models"
)

// TestPolicyProblems: every problem models.CheckPolicy finds is worded for whoever
// wrote the draft, in the draft's order.
func TestPolicyProblems(t *testing.T) {
	t.Parallel()
	cat := &models.Catalog{
		Products:  []models.Product{{ID: 1, Code: "P01", Name: "苹果汁"}},
		Customers: []models.Customer{{ID: 1, Code: "C001"}},
	}
	tests := []struct {
		name string
		d    models.PolicyDraft
		want []string
	}{
		{"unknown product, bad price, past date, nobody, no text",
			models.PolicyDraft{Products: []string{"葡萄汁"}, PriceType: models.PriceFactory, Price: "abc", Effective: "2020-01-01"},
			[]string{"没有产品「葡萄汁」", "价格「abc」不是数字", "生效日期 2020-01-01 已经过去了", "没写发给谁（区域、等级、客户类型或客户编码）", "没写政策内容"}},
		{"bad price type, no date",
			models.PolicyDraft{Products: []string{"P01"}, PriceType: "团购价", Price: "x"},
			[]string{"价格类型「团购价」不对，应为 出厂价、批发价 或 零售限价", "价格「x」不是数字", "生效日期「」应写成 2026-12-01", "没写发给谁（区域、等级、客户类型或客户编码）", "没写政策内容"}},
		{"no product, zero price, bad date, unknown customer",
			models.PolicyDraft{PriceType: models.PriceFactory, Price: "0", Effective: "2026-13-01", Audience: models.Audience{Customers: []string{"C999", "C001"}}, Text: "x"},
			[]string{"没写产品", "价格要大于0", "生效日期「2026-13-01」应写成 2026-12-01", "没有客户「C999」"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := models.CheckPolicy(tt.d, cat, "2026-11-23")
			var pe *models.PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("CheckPolicy: %v, want a *models.PolicyError", err)
			}
			if got := bot.PolicyProblems(pe); !slices.Equal(got, tt.want) {
				t.Errorf("PolicyProblems = %q, want %q", got, tt.want)
			}
		})
	}
}

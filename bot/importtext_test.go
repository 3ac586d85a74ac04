package bot_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"channelbot/bot"
	"channelbot/bot/bottest"
	"channelbot/models"
)

var updateImport = flag.Bool("update", false, "rewrite testdata/import/bad.golden")

// TestImportProblem pins the wording of every import problem code.
func TestImportProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    models.RowError
		want string
	}{
		{models.RowError{Column: "颜色", Index: 11, Code: models.RowUnknownColumn},
			`未知列 "颜色"`},
		{models.RowError{Column: "箱规", Index: 4, Field: "pack_size", Code: models.RowDuplicateColumn, Ref: "pack_size"},
			`列 "箱规" 与列 "pack_size" 重复（都是 pack_size）`},
		{models.RowError{Column: "owner/负责人", Field: "owner", Code: models.RowMissingColumn},
			`缺少必填列 owner/负责人`},
		{models.RowError{Index: 6, Code: models.RowNoHeader, Value: "多余"},
			`第6列 没有表头，却有值 "多余"`},
		{models.RowError{Column: "code", Index: 1, Field: "code", Code: models.RowMissing},
			`code 为空（必填）`},
		{models.RowError{Column: "编码", Index: 1, Field: "code", Code: models.RowDuplicate, Value: "P90", RefRow: 2},
			`编码 "P90" 与第 2 行重复`},
		{models.RowError{Column: "pack_size", Index: 5, Field: "pack_size", Code: models.RowNotPositiveInt, Value: "0"},
			`pack_size "0" 不是正整数`},
		{models.RowError{Column: "shelf_life_days", Index: 7, Field: "shelf_life_days", Code: models.RowNotNonNegativeInt, Value: "-1"},
			`shelf_life_days "-1" 不是非负整数`},
		{models.RowError{Column: "factory_price", Index: 8, Field: "factory_price", Code: models.RowNotMoney, Value: "abc"},
			`factory_price "abc" 不是金额（非负，最多两位小数）`},
		{models.RowError{Column: "safety_factor", Index: 10, Field: "safety_factor", Code: models.RowNotFactor, Value: "高"},
			`safety_factor "高" 不是数字（最多三位小数）`},
		{models.RowError{Column: "safety_factor", Index: 10, Field: "safety_factor", Code: models.RowFactorBelowOne, Value: "0.8"},
			`safety_factor "0.8" 小于 1`},
		{models.RowError{Column: "aliases", Index: 3, Field: "aliases", Code: models.RowTermTaken, Value: "新品甲别名", Ref: "P90", RefRow: 2},
			`aliases "新品甲别名" 已是产品 P90 的名称或别名（第 2 行）`},
		{models.RowError{Column: "aliases", Index: 3, Field: "aliases", Code: models.RowTermTaken, Value: "橙汁", Ref: "P02"},
			`aliases "橙汁" 已是产品 P02 的名称或别名（数据库中已有）`},
		{models.RowError{Column: "tier", Index: 5, Field: "tier", Code: models.RowBadTier, Value: "D"},
			`tier "D" 不是 A、B、C 之一`},
		{models.RowError{Column: "visit_days", Index: 8, Field: "visit_days", Code: models.RowBadVisitDays, Value: "每周"},
			`visit_days "每周" 无效：填每月几号如 10|25（1–31），或间隔天数如 7d（1–365）`},
		{models.RowError{Column: "units", Index: 11, Field: "units", Code: models.RowBadUnits, Value: "提", Ref: "瓶"},
			`units "提" 无效：填 单位=每个多少瓶，如 提=6瓶|板=24瓶`},
		{models.RowError{Column: "last_visit", Index: 9, Field: "last_visit", Code: models.RowBadDate, Value: "上周"},
			`last_visit "上周" 不是日期，如 2026-11-20`},
		{models.RowError{Column: "role", Index: 3, Field: "role", Code: models.RowBadRole, Value: "boss"},
			`role "boss" 无效：应为 rep、manager、dealer、admin（业务员、经理、经销商、管理员）`},
		{models.RowError{Column: "customer", Index: 7, Field: "customer", Code: models.RowDealerNoCustomer},
			`customer 为空：经销商必须填写所属客户编码`},
		{models.RowError{Column: "owner", Index: 7, Field: "owner", Code: models.RowUnknownUser, Value: "R01"},
			`owner "R01" 不是已有用户的编号`},
		{models.RowError{Column: "owner", Index: 7, Field: "owner", Code: models.RowOwnerRole, Value: "D01", Ref: "dealer"},
			`owner "D01" 的角色是 dealer，应为 rep、manager 或 admin`},
		{models.RowError{Column: "manager", Index: 4, Field: "manager", Code: models.RowSelfManager, Value: "M09"},
			`manager "M09" 是本人`},
		{models.RowError{Column: "上级", Index: 4, Field: "manager", Code: models.RowManagerRole, Value: "R02", Ref: "rep"},
			`上级 "R02" 的角色是 rep，应为 manager 或 admin`},
		{models.RowError{Column: "customer", Index: 7, Field: "customer", Code: models.RowUnknownCustomer, Value: "C999"},
			`customer "C999" 不是已有客户的编码`},
		{models.RowError{Column: "wecom_userid", Index: 5, Field: "wecom_userid", Code: models.RowIDTaken, Value: "NewRep", Ref: "R90"},
			`wecom_userid "NewRep" 已被用户 R90 使用`},
		{models.RowError{Column: "name", Index: 2, Field: "name", Code: models.RowBadCharacters, Value: "张老板\x1b[31m\u202e", Ref: "U+001B"},
			`name "张老板\x1b[31m\u202e" 含有不可见的控制字符 U+001B（如换行、ESC、NUL 或文字方向符），请删除后再导入`},
	}
	covered := map[models.RowProblem]bool{}
	for _, tt := range tests {
		covered[tt.e.Code] = true
		if got := bot.ImportProblem(tt.e); got != tt.want {
			t.Errorf("ImportProblem(%v) = %q, want %q", tt.e, got, tt.want)
		}
	}
	for _, code := range models.RowProblems() {
		if !covered[code] {
			t.Errorf("no wording pinned for %s", code)
		}
	}
}

// TestImportErrorText: a rejected import of files with every kind of bad row reads,
// line for line, as the import command printed it before the wording moved to bot.
func TestImportErrorText(t *testing.T) {
	_, store := bottest.NewBot(t, nil) // the demo company: bad rows may clash with its records
	_, err := store.ImportDir(context.Background(), filepath.Join("testdata", "import", "bad"))
	var ie *models.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("ImportDir: %v, want a *models.ImportError", err)
	}
	got := bot.ImportErrorText(ie)
	golden := filepath.Join("testdata", "import", "bad.golden")
	if *updateImport {
		if err := os.WriteFile(golden, []byte(got+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != strings.TrimSuffix(string(want), "\n") {
		t.Errorf("ImportErrorText =\n%s\nwant\n%s", got, want)
	}
}

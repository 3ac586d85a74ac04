package bot

import (
	"fmt"

	"channelbot/models"
)

// ImportErrorText words a rejected import for the admin who ran it: a summary line,
// then one line per bad row, "customers.csv row 2: owner "R01" 不是已有用户的编号".
// It is what the import command prints.
func ImportErrorText(e *models.ImportError) string { return e.Text(ImportProblem) }

// ImportProblem words one problem of an import file in zh-CN, naming the column and
// the value at fault: `owner "R01" 不是已有用户的编号`.
func ImportProblem(e models.RowError) string {
	switch e.Code {
	case models.RowUnknownColumn:
		return fmt.Sprintf("未知列 %q", e.Column)
	case models.RowDuplicateColumn:
		return fmt.Sprintf("列 %q 与列 %q 重复（都是 %s）", e.Column, e.Ref, e.Field)
	case models.RowMissingColumn:
		return "缺少必填列 " + e.Column
	}
	col := e.Column
	if col == "" { // a column without a header
		col = fmt.Sprintf("第%d列", e.Index)
	}
	return col + " " + importCellProblem(e)
}

// importCellProblem words a problem with a cell, after the column's name.
func importCellProblem(e models.RowError) string {
	switch e.Code {
	case models.RowNoHeader:
		return fmt.Sprintf("没有表头，却有值 %q", e.Value)
	case models.RowMissing:
		return "为空（必填）"
	case models.RowDuplicate:
		return fmt.Sprintf("%q 与第 %d 行重复", e.Value, e.RefRow)
	case models.RowNotPositiveInt:
		return fmt.Sprintf("%q 不是正整数", e.Value)
	case models.RowNotNonNegativeInt:
		return fmt.Sprintf("%q 不是非负整数", e.Value)
	case models.RowNotMoney:
		return fmt.Sprintf("%q 不是金额（非负，最多两位小数）", e.Value)
	case models.RowNotFactor:
		return fmt.Sprintf("%q 不是数字（最多三位小数）", e.Value)
	case models.RowFactorBelowOne:
		return fmt.Sprintf("%q 小于 1", e.Value)
	case models.RowTermTaken:
		where := "（数据库中已有）"
		if e.RefRow > 0 {
			where = fmt.Sprintf("（第 %d 行）", e.RefRow)
		}
		return fmt.Sprintf("%q 已是产品 %s 的名称或别名%s", e.Value, e.Ref, where)
	case models.RowBadTier:
		return fmt.Sprintf("%q 不是 A、B、C 之一", e.Value)
	case models.RowBadVisitDays:
		return fmt.Sprintf("%q 无效：填每月几号如 10|25（1–31），或间隔天数如 7d（1–365）", e.Value)
	case models.RowBadUnits:
		return fmt.Sprintf("%q 无效：填 单位=每个多少%s，如 提=6%s|板=24%s", e.Value, e.Ref, e.Ref, e.Ref)
	case models.RowBadDate:
		return fmt.Sprintf("%q 不是日期，如 2026-11-20", e.Value)
	case models.RowBadRole:
		return fmt.Sprintf("%q 无效：应为 rep、manager、dealer、admin（业务员、经理、经销商、管理员）", e.Value)
	case models.RowDealerNoCustomer:
		return "为空：经销商必须填写所属客户编码"
	case models.RowUnknownUser:
		return fmt.Sprintf("%q 不是已有用户的编号", e.Value)
	case models.RowOwnerRole:
		return fmt.Sprintf("%q 的角色是 %s，应为 rep、manager 或 admin", e.Value, e.Ref)
	case models.RowSelfManager:
		return fmt.Sprintf("%q 是本人", e.Value)
	case models.RowManagerRole:
		return fmt.Sprintf("%q 的角色是 %s，应为 manager 或 admin", e.Value, e.Ref)
	case models.RowUnknownCustomer:
		return fmt.Sprintf("%q 不是已有客户的编码", e.Value)
	case models.RowIDTaken:
		return fmt.Sprintf("%q 已被用户 %s 使用", e.Value, e.Ref)
	case models.RowBadCharacters:
		return fmt.Sprintf("%q 含有不可见的控制字符 %s（如换行、ESC、NUL 或文字方向符），请删除后再导入", e.Value, e.Ref)
	}
	if e.Value == "" {
		return "有误"
	}
	return fmt.Sprintf("%q 有误", e.Value)
}

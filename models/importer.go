package models

// Master-data import: products, customers and users from CSV or XLSX files.
//
// An import reads every file, checks every row against the files and the database, and
// writes nothing unless every row is good. The checks and the writes run in one
// transaction, which also bumps the catalog version.

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ImportKind names the master data a file holds.
type ImportKind string

// Import kinds.
const (
	ImportProducts  ImportKind = "products"
	ImportCustomers ImportKind = "customers"
	ImportUsers     ImportKind = "users"
)

// importKinds lists the kinds in the order results and errors are reported.
var importKinds = []ImportKind{ImportProducts, ImportCustomers, ImportUsers}

func (k ImportKind) valid() bool {
	return k == ImportProducts || k == ImportCustomers || k == ImportUsers
}

// Rows per INSERT: well under the bind-parameter limits of SQLite (32766) and
// PostgreSQL (65535) at a dozen columns a row. SQLite gets smaller batches because its
// driver matches arguments to parameters in quadratic time: 50,000 customers import in
// about half the time with 100 rows a statement than with 500.
const (
	importBatch       = 500
	importBatchSQLite = 100
)

// RowProblem says what is wrong with a row, or with the header, of an import file.
// Package bot words each problem for people.
type RowProblem string

// Row problem codes. Each notes what Value, Ref and RefRow hold, where it sets them.
const (
	// Problems with the header row.
	RowUnknownColumn   RowProblem = "unknown_column"   // Column is no known column's name
	RowDuplicateColumn RowProblem = "duplicate_column" // Ref: the header of the column seen first; both are Field
	RowMissingColumn   RowProblem = "missing_column"   // a required column is missing; Column names it

	// Problems with a cell. Value is the cell as written.
	RowNoHeader          RowProblem = "no_header"            // Value: a cell in a column without a header
	RowMissing           RowProblem = "missing"              // a required cell is empty
	RowDuplicate         RowProblem = "duplicate"            // Value: a code or ID; RefRow: the row with it first
	RowNotPositiveInt    RowProblem = "not_positive_int"     // Value: not a whole number above 0
	RowNotNonNegativeInt RowProblem = "not_non_negative_int" // Value: not a whole number, 0 or more
	RowNotMoney          RowProblem = "not_money"            // Value: not an amount, 0 or more, at most 2 decimals
	RowNotFactor         RowProblem = "not_factor"           // Value: not a number with at most 3 decimals
	RowFactorBelowOne    RowProblem = "factor_below_one"     // Value: a factor below 1
	RowTermTaken         RowProblem = "term_taken"           // Value: a name or alias; Ref: the product with it; RefRow: its row, 0: the database
	RowBadTier           RowProblem = "bad_tier"             // Value: not A, B or C
	RowBadVisitDays      RowProblem = "bad_visit_days"       // Value: neither days of the month (1-31) nor an interval (1d-365d)
	RowBadUnits          RowProblem = "bad_units"            // Value: not unit=pieces pairs; Ref: the product's piece unit
	RowBadDate           RowProblem = "bad_date"             // Value: not a date (2026-11-20)
	RowBadRole           RowProblem = "bad_role"             // Value: no role's name
	RowDealerNoCustomer  RowProblem = "dealer_no_customer"   // a dealer's customer cell is empty
	RowUnknownUser       RowProblem = "unknown_user"         // Value: no user's ID, in the database or the file
	RowOwnerRole         RowProblem = "owner_role"           // Value: the owner's ID; Ref: its role, which cannot own customers
	RowSelfManager       RowProblem = "self_manager"         // Value: the user's own ID
	RowManagerRole       RowProblem = "manager_role"         // Value: the manager's ID; Ref: its role, neither manager nor admin
	RowUnknownCustomer   RowProblem = "unknown_customer"     // Value: no customer's code, in the database or the file
	RowIDTaken           RowProblem = "id_taken"             // Value: a WeCom or Feishu ID; Ref: the user who has it
	RowBadCharacters     RowProblem = "bad_characters"       // Value: a cell with a control or text-direction character; Ref: the first, as U+XXXX
)

// RowProblems returns every row problem code, in the order they are declared.
func RowProblems() []RowProblem {
	return []RowProblem{RowUnknownColumn, RowDuplicateColumn, RowMissingColumn, RowNoHeader,
		RowMissing, RowDuplicate, RowNotPositiveInt, RowNotNonNegativeInt, RowNotMoney, RowNotFactor,
		RowFactorBelowOne, RowTermTaken, RowBadTier, RowBadVisitDays, RowBadUnits, RowBadDate, RowBadRole, RowDealerNoCustomer,
		RowUnknownUser, RowOwnerRole, RowSelfManager, RowManagerRole, RowUnknownCustomer, RowIDTaken, RowBadCharacters}
}

// RowError is one problem with one row of an import file. Row is the 1-based row
// number in the file, counting the header as row 1 (for CSV, the line the record
// starts on). Code says what is wrong; the other fields are what wording it needs.
type RowError struct {
	File string
	Row  int
	// Column is the column's header as written in the file, trimmed; for a missing
	// column, its canonical name and first alias ("owner/负责人"); empty for a column
	// without a header.
	Column string
	Index  int    // the column's 1-based position in the file; 0 for a missing column
	Field  string // the column's canonical name; empty for an unknown column or one without a header
	Code   RowProblem
	Value  string // the cell at fault, as written but trimmed; empty for an empty cell or a header problem
	Ref    string // what Value clashes with or points at, for the codes that say so
	RefRow int    // the row of the earlier record, for the codes that say so
}

// Error describes e in English, for logs: "customers.csv row 2: owner "R01": unknown_user".
func (e RowError) Error() string { return fmt.Sprintf("%s row %d: %s", e.File, e.Row, e.problem()) }

// problem is Error without the file and row.
func (e RowError) problem() string {
	var b strings.Builder
	if e.Column != "" {
		b.WriteString(e.Column)
	} else {
		fmt.Fprintf(&b, "column %d", e.Index)
	}
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", e.Value)
	}
	b.WriteString(": ")
	b.WriteString(string(e.Code))
	switch {
	case e.Ref != "" && e.RefRow > 0:
		fmt.Fprintf(&b, " (%s, row %d)", e.Ref, e.RefRow)
	case e.Ref != "":
		fmt.Fprintf(&b, " (%s)", e.Ref)
	case e.RefRow > 0:
		fmt.Fprintf(&b, " (row %d)", e.RefRow)
	}
	return b.String()
}

// ImportError lists every bad row an import found. Nothing was imported. Package bot
// words the problems for people.
type ImportError struct {
	Rows []RowError
}

// Error lists every bad row in English, one per line, after a summary line.
func (e *ImportError) Error() string { return e.Text(RowError.problem) }

// Text is Error with each row's problem worded by problem: a summary line, then one
// line per bad row, "file row N: " and the problem's words.
func (e *ImportError) Text(problem func(RowError) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "models: import: %d bad rows, nothing imported", len(e.Rows))
	for _, r := range e.Rows {
		fmt.Fprintf(&b, "\n%s row %d: %s", r.File, r.Row, problem(r))
	}
	return b.String()
}

// ImportResult counts what an import did with one file.
type ImportResult struct {
	Kind    ImportKind
	File    string // the file's base name
	Created int
	Updated int
}

// ReadTable reads a .csv file (UTF-8, with or without a BOM) or the first sheet of an
// .xlsx file. header is the first non-blank row. Blank rows after it come back as empty
// slices, so when the header is on row 1, rows[i] is row i+2 of the file. Cells are not
// trimmed. It returns an error if the file cannot be read, is not UTF-8, has another
// extension, or has no header.
func ReadTable(path string) (header []string, rows [][]string, err error) {
	t, err := readTable(path)
	if err != nil {
		return nil, nil, err
	}
	return t.header, t.rows, nil
}

// table is one file's cells: rows[i] is row first+i of the file.
type table struct {
	file   string // base name, for messages
	header []string
	rows   [][]string
	first  int
}

func readTable(path string) (*table, error) {
	name := filepath.Base(path)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("models: read %s: %w", name, err)
		}
		return parseCSV(name, data)
	case ".xlsx":
		return readXLSX(path)
	default:
		return nil, fmt.Errorf("models: read %s: not a .csv or .xlsx file", name)
	}
}

// parseCSV parses UTF-8 CSV text, keeping the line number of every record.
func parseCSV(name string, data []byte) (*table, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("models: read %s: not UTF-8 text (in Excel, save as \"CSV UTF-8\")", name)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	t := &table{file: name}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("models: read %s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		if t.header == nil {
			if !blankRow(rec) {
				t.header, t.first = rec, line+1
			}
			continue
		}
		// encoding/csv skips empty lines; put them back so indexes match lines.
		for t.first+len(t.rows) < line {
			t.rows = append(t.rows, nil)
		}
		t.rows = append(t.rows, rec)
	}
	if t.header == nil {
		return nil, fmt.Errorf("models: read %s: no header row", name)
	}
	return t, nil
}

// readXLSX reads the first sheet of a workbook, taking raw cell values rather than
// formatted ones, so that number formats (¥, thousands separators) do not get in the way.
func readXLSX(path string) (t *table, err error) {
	name := filepath.Base(path)
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("models: read %s: %w", name, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("models: read %s: %w", name, cerr)
		}
	}()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fmt.Errorf("models: read %s: no sheets", name)
	}
	rows, err := f.GetRows(sheets[0], excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fmt.Errorf("models: read %s: sheet %s: %w", name, sheets[0], err)
	}
	t = &table{file: name}
	for i, row := range rows {
		for j, c := range row {
			row[j] = excelNumber(c)
		}
		if t.header == nil {
			if !blankRow(row) {
				t.header, t.first = row, i+2
			}
			continue
		}
		t.rows = append(t.rows, row)
	}
	if t.header == nil {
		return nil, fmt.Errorf("models: read %s: no header row", name)
	}
	return t, nil
}

// excelNumber cleans up binary floating-point noise in a raw cell value, such as
// "38.500000000000007", by rounding it to the 15 significant digits Excel shows.
// Other values come back unchanged.
func excelNumber(s string) string {
	_, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) < 10 || strings.TrimLeft(frac, "0123456789") != "" {
		return s
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	v, err = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func blankRow(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// importColumn is one column an import file may have.
type importColumn struct {
	field    string   // the canonical English name
	names    []string // other accepted header names (compared lowercased)
	required bool
}

var importColumns = map[ImportKind][]importColumn{
	ImportProducts: {
		{"code", []string{"编码", "产品编码", "商品编码"}, true},
		{"name", []string{"名称", "产品名称", "商品名称"}, true},
		{"aliases", []string{"别名"}, false},
		{"unit", []string{"单位"}, false},
		{"pack_size", []string{"箱规", "每箱数量"}, true},
		{"pack_unit", []string{"包装单位", "小单位"}, false},
		{"shelf_life_days", []string{"保质期", "保质期天数"}, false},
		{"factory_price", []string{"出厂价"}, false},
		{"floor_price", []string{"最低限价", "限价"}, false},
		{"safety_factor", []string{"安全系数"}, false},
		{"units", []string{"其他单位", "单位换算"}, false},
	},
	ImportCustomers: {
		{"code", []string{"编码", "客户编码"}, true},
		{"name", []string{"名称", "客户名称"}, true},
		{"aliases", []string{"别名"}, false},
		{"type", []string{"类型"}, false},
		{"tier", []string{"等级"}, false},
		{"region", []string{"区域"}, false},
		{"owner", []string{"负责人", "业务员"}, true},
		{"visit_days", []string{"拜访日"}, false},
		{"last_visit", []string{"上次拜访", "上次拜访日期"}, false},
	},
	ImportUsers: {
		{"id", []string{"编号", "工号"}, true},
		{"name", []string{"姓名", "名称"}, true},
		{"role", []string{"角色"}, true},
		{"manager", []string{"上级", "主管"}, false},
		{"wecom_userid", []string{"企业微信"}, false},
		{"feishu_open_id", []string{"飞书"}, false},
		{"customer", []string{"客户"}, false},
		{"region", []string{"区域"}, false},
		{"phone", []string{"电话", "手机"}, false},
	},
}

// headerKey normalises a header cell: no BOM, trimmed, lowercased, spaces and dashes
// as underscores, no trailing "*" (a common "required" marker).
func headerKey(h string) string {
	h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
	h = strings.TrimSpace(strings.TrimRight(h, "*＊"))
	return headerSeparators.Replace(strings.ToLower(h))
}

var headerSeparators = strings.NewReplacer(" ", "_", "-", "_")

// sheet is a table bound to its kind's columns, collecting the problems found in it.
type sheet struct {
	kind  ImportKind
	t     *table
	index map[string]int // field → column
	blank []bool         // columns without a header
	errs  []sheetError
	// broken: a required column is missing or a column appears twice, so the rows
	// were not read. Unknown columns are reported but do not stop the rows' checks.
	broken bool
}

func newSheet(kind ImportKind, t *table) *sheet {
	sh := &sheet{kind: kind, t: t, index: map[string]int{}}
	byName := map[string]string{}
	for _, c := range importColumns[kind] {
		byName[c.field] = c.field
		for _, n := range c.names {
			byName[strings.ToLower(n)] = c.field
		}
	}
	sh.blank = make([]bool, len(t.header))
	for i, h := range t.header {
		key := headerKey(h)
		if key == "" {
			sh.blank[i] = true
			continue
		}
		field, ok := byName[key]
		switch {
		case !ok:
			sh.add(i, RowError{Row: t.first - 1, Column: strings.TrimSpace(h), Index: i + 1, Code: RowUnknownColumn})
		default:
			if j, dup := sh.index[field]; dup {
				sh.add(i, RowError{Row: t.first - 1, Column: strings.TrimSpace(h), Index: i + 1, Field: field,
					Code: RowDuplicateColumn, Ref: strings.TrimSpace(t.header[j])})
				sh.broken = true
				continue
			}
			sh.index[field] = i
		}
	}
	for _, c := range importColumns[kind] {
		if _, ok := sh.index[c.field]; c.required && !ok {
			sh.add(len(t.header), RowError{Row: t.first - 1, Column: c.field + "/" + c.names[0], Field: c.field,
				Code: RowMissingColumn})
			sh.broken = true
		}
	}
	return sh
}

// sortedErrs returns the problems in file order: by row, then by column.
func (sh *sheet) sortedErrs() []RowError {
	errs := sh.errs
	sort.SliceStable(errs, func(a, b int) bool {
		if errs[a].Row != errs[b].Row {
			return errs[a].Row < errs[b].Row
		}
		return errs[a].pos < errs[b].pos
	})
	out := make([]RowError, len(errs))
	for i, e := range errs {
		out[i] = e.RowError
	}
	return out
}

// fieldAt is the canonical name of column j, or "" for an unknown column.
func (sh *sheet) fieldAt(j int) string {
	for f, i := range sh.index {
		if i == j {
			return f
		}
	}
	return ""
}

// col is the column's header as written in the file.
func (sh *sheet) col(field string) string {
	if i, ok := sh.index[field]; ok {
		return strings.TrimSpace(sh.t.header[i])
	}
	return field
}

// sheetError is a problem found in a sheet, with the index of its column for sorting.
type sheetError struct {
	RowError
	pos int
}

// add records a problem in column pos (len(header) for a missing column).
func (sh *sheet) add(pos int, e RowError) {
	e.File = sh.t.file
	sh.errs = append(sh.errs, sheetError{e, pos})
}

// fail records a problem with field in row; e holds the code and the values.
func (sh *sheet) fail(row int, field string, e RowError) {
	pos, ok := sh.index[field]
	if ok {
		e.Index = pos + 1
	} else {
		pos = len(sh.t.header)
	}
	e.Row, e.Column, e.Field = row, sh.col(field), field
	sh.add(pos, e)
}

// eachRow calls fn for every non-blank row, with a getter for trimmed cells. It reports
// values in columns without a header.
func (sh *sheet) eachRow(fn func(row int, get func(field string) string)) {
	if sh.broken {
		return
	}
	for i, cells := range sh.t.rows {
		if blankRow(cells) {
			continue
		}
		row := sh.t.first + i
		for j, c := range cells {
			c = strings.TrimSpace(c)
			switch {
			case c == "":
			case j >= len(sh.blank) || sh.blank[j]:
				sh.add(j, RowError{Row: row, Index: j + 1, Code: RowNoHeader, Value: c})
			default:
				// Control and text-direction characters (ESC, BEL, NUL, newlines,
				// right-to-left overrides) are refused, on every database alike.
				if r, bad := BadCharacter(c); bad {
					sh.add(j, RowError{Row: row, Column: strings.TrimSpace(sh.t.header[j]), Index: j + 1,
						Field: sh.fieldAt(j), Code: RowBadCharacters, Value: c, Ref: fmt.Sprintf("U+%04X", r)})
				}
			}
		}
		fn(row, func(field string) string {
			if j, ok := sh.index[field]; ok && j < len(cells) {
				// Checked above; what the row's other checks (and the database,
				// which must never see a NUL) get is the text without them.
				return stripAll(strings.TrimSpace(cells[j]))
			}
			return ""
		})
	}
}

// required reports whether v is set, recording a problem if not.
func (sh *sheet) required(row int, field, v string) bool {
	if v == "" {
		sh.fail(row, field, RowError{Code: RowMissing})
		return false
	}
	return true
}

// atoi parses a plain decimal number of at most 9 digits.
func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func joinAliases(s string) string { return strings.Join(SplitAliases(s), "|") }

// productRec is a product read from a row.
type productRec struct {
	row int
	p   Product
}

func parseProducts(sh *sheet) []productRec {
	var out []productRec
	seen := map[string]int{}
	sh.eachRow(func(row int, get func(string) string) {
		p := Product{
			Code:         get("code"),
			Name:         get("name"),
			Aliases:      joinAliases(get("aliases")),
			Unit:         orDefault(get("unit"), "箱"),
			PackUnit:     orDefault(get("pack_unit"), "瓶"),
			SafetyFactor: 1500,
		}
		keep := sh.required(row, "code", p.Code)
		sh.required(row, "name", p.Name)
		if keep {
			if first, dup := seen[p.Code]; dup {
				sh.fail(row, "code", RowError{Code: RowDuplicate, Value: p.Code, RefRow: first})
				keep = false
			} else {
				seen[p.Code] = row
			}
		}
		if v := get("pack_size"); sh.required(row, "pack_size", v) {
			if n, ok := atoi(v); ok && n > 0 {
				p.PackSize = n
			} else {
				sh.fail(row, "pack_size", RowError{Code: RowNotPositiveInt, Value: v})
			}
		}
		if v := get("shelf_life_days"); v != "" {
			if n, ok := atoi(v); ok {
				p.ShelfLifeDays = n
			} else {
				sh.fail(row, "shelf_life_days", RowError{Code: RowNotNonNegativeInt, Value: v})
			}
		}
		for _, pr := range []struct {
			field string
			dst   *Money
		}{{"factory_price", &p.FactoryPrice}, {"floor_price", &p.FloorPrice}} {
			if v := get(pr.field); v != "" {
				m, err := ParseMoney(v)
				if err != nil {
					sh.fail(row, pr.field, RowError{Code: RowNotMoney, Value: v})
				}
				*pr.dst = m
			}
		}
		if v := get("safety_factor"); v != "" {
			f, err := ParseFactor(v)
			switch {
			case err != nil:
				sh.fail(row, "safety_factor", RowError{Code: RowNotFactor, Value: v})
			case f < FactorOne:
				sh.fail(row, "safety_factor", RowError{Code: RowFactorBelowOne, Value: v})
			}
			p.SafetyFactor = f
		}
		if v := get("units"); v != "" {
			if units, ok := ParseUnits(v, p.PackUnit); ok {
				p.Units = formatUnits(units)
			} else {
				sh.fail(row, "units", RowError{Code: RowBadUnits, Value: v, Ref: p.PackUnit})
			}
		}
		if keep {
			out = append(out, productRec{row: row, p: p})
		}
	})
	return out
}

// checkProductTerms reports a name or alias that two products share, within the file
// or with a product in the database that the file does not update. Matching ignores case.
func checkProductTerms(sh *sheet, recs []productRec, existing []Product) {
	type owner struct {
		code string
		row  int // 0: in the database
	}
	inFile := make(map[string]bool, len(recs))
	for _, r := range recs {
		inFile[r.p.Code] = true
	}
	owners := map[string]owner{}
	for _, p := range existing {
		if inFile[p.Code] {
			continue
		}
		for _, term := range append([]string{p.Name}, SplitAliases(p.Aliases)...) {
			if k := strings.ToLower(term); owners[k].code == "" {
				owners[k] = owner{p.Code, 0}
			}
		}
	}
	for _, r := range recs {
		terms := []struct{ field, term string }{{"name", r.p.Name}}
		for _, a := range SplitAliases(r.p.Aliases) {
			terms = append(terms, struct{ field, term string }{"aliases", a})
		}
		for _, t := range terms {
			if t.term == "" {
				continue
			}
			k := strings.ToLower(t.term)
			o, taken := owners[k]
			if !taken {
				owners[k] = owner{r.p.Code, r.row}
				continue
			}
			if o.code == r.p.Code {
				continue
			}
			sh.fail(r.row, t.field, RowError{Code: RowTermTaken, Value: t.term, Ref: o.code, RefRow: o.row})
		}
	}
}

// customerRec is a customer read from a row.
type customerRec struct {
	row int
	c   Customer
}

func parseCustomers(sh *sheet) []customerRec {
	var out []customerRec
	seen := map[string]int{}
	sh.eachRow(func(row int, get func(string) string) {
		c := Customer{
			Code:    get("code"),
			Name:    get("name"),
			Aliases: joinAliases(get("aliases")),
			Type:    get("type"),
			Region:  get("region"),
			OwnerID: get("owner"),
		}
		keep := sh.required(row, "code", c.Code)
		sh.required(row, "name", c.Name)
		sh.required(row, "owner", c.OwnerID)
		if keep {
			if first, dup := seen[c.Code]; dup {
				sh.fail(row, "code", RowError{Code: RowDuplicate, Value: c.Code, RefRow: first})
				keep = false
			} else {
				seen[c.Code] = row
			}
		}
		switch v := strings.ToUpper(get("tier")); v {
		case "", "A", "B", "C":
			c.Tier = v
		default:
			sh.fail(row, "tier", RowError{Code: RowBadTier, Value: get("tier")})
		}
		if v, ok := visitDays(get("visit_days")); ok {
			c.VisitDays = v
		} else {
			sh.fail(row, "visit_days", RowError{Code: RowBadVisitDays, Value: get("visit_days")})
		}
		if v := get("last_visit"); v != "" {
			if d, ok := lastVisitDay(v); ok {
				c.LastVisit = d
			} else {
				sh.fail(row, "last_visit", RowError{Code: RowBadDate, Value: v})
			}
		}
		if keep {
			out = append(out, customerRec{row: row, c: c})
		}
	})
	return out
}

// formatUnits writes extra units as stored: "提=6|板=24", by name.
func formatUnits(units map[string]int) string {
	names := make([]string, 0, len(units))
	for n := range units {
		names = append(names, n)
	}
	slices.Sort(names)
	for i, n := range names {
		names[i] = n + "=" + strconv.Itoa(units[n])
	}
	return strings.Join(names, "|")
}

// lastVisitDay reads a last-visit day (2026-11-20, 2026/11/20, an Excel serial
// already turned into a date) as YYYY-MM-DD.
func lastVisitDay(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.DateOnly, "2006/1/2", "2006-1-2", "2006.1.2", time.DateTime, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	return "", false
}

// visitDays normalises a visit rhythm: "" (none), days of the month ("10|25"; also
// separated by "、" or commas), or an interval in days ("7d").
func visitDays(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	if n, ok := strings.CutSuffix(strings.ToLower(s), "d"); ok {
		v, ok := atoi(strings.TrimSpace(n))
		if !ok || v < 1 || v > 365 {
			return "", false
		}
		return strconv.Itoa(v) + "d", true
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == '、' || r == ',' || r == '，' })
	if len(parts) == 0 {
		return "", false
	}
	var days []string
	seen := map[int]bool{}
	for _, p := range parts {
		v, ok := atoi(strings.TrimSpace(p))
		if !ok || v < 1 || v > 31 {
			return "", false
		}
		if !seen[v] {
			seen[v] = true
			days = append(days, strconv.Itoa(v))
		}
	}
	return strings.Join(days, "|"), true
}

// userRec is a user read from a row, with the customer code a dealer belongs to.
type userRec struct {
	row      int
	u        User
	customer string
}

// roleNames maps the role names an import file may use to roles.
var roleNames = map[string]Role{
	"rep": RoleRep, "业务员": RoleRep, "业务代表": RoleRep,
	"manager": RoleManager, "经理": RoleManager, "主管": RoleManager,
	"业务经理": RoleManager, "区域经理": RoleManager, "业务主任": RoleManager,
	"dealer": RoleDealer, "经销商": RoleDealer, "代理商": RoleDealer, "分销商": RoleDealer,
	"admin": RoleAdmin, "管理员": RoleAdmin,
}

func parseUsers(sh *sheet) []userRec {
	var out []userRec
	seen := map[string]int{}
	sh.eachRow(func(row int, get func(string) string) {
		r := userRec{row: row, customer: get("customer"), u: User{
			ID:           get("id"),
			Name:         get("name"),
			ManagerID:    get("manager"),
			WeComUserID:  get("wecom_userid"),
			FeishuOpenID: get("feishu_open_id"),
			Region:       get("region"),
			Phone:        get("phone"),
		}}
		keep := sh.required(row, "id", r.u.ID)
		sh.required(row, "name", r.u.Name)
		if keep {
			if first, dup := seen[r.u.ID]; dup {
				sh.fail(row, "id", RowError{Code: RowDuplicate, Value: r.u.ID, RefRow: first})
				keep = false
			} else {
				seen[r.u.ID] = row
			}
		}
		if v := get("role"); sh.required(row, "role", v) {
			if role, ok := roleNames[strings.ToLower(v)]; ok {
				r.u.Role = role
			} else {
				sh.fail(row, "role", RowError{Code: RowBadRole, Value: v})
			}
		}
		if r.u.Role == RoleDealer && r.customer == "" {
			sh.fail(row, "customer", RowError{Code: RowDealerNoCustomer})
		}
		if keep {
			out = append(out, r)
		}
	})
	return out
}

// importState is what the database holds, read inside the import's transaction.
type importState struct {
	products  []Product        // code, name, aliases
	customers map[string]int64 // code → ID
	users     map[string]User
}

func loadImportState(tx *gorm.DB, needProducts, needCustomers, needUsers bool) (*importState, error) {
	st := &importState{customers: map[string]int64{}, users: map[string]User{}}
	if needProducts {
		if err := tx.Select("id", "code", "name", "aliases").Find(&st.products).Error; err != nil {
			return nil, fmt.Errorf("products: %w", err)
		}
	}
	if needCustomers {
		var cs []struct {
			ID   int64
			Code string
		}
		if err := tx.Model(&Customer{}).Select("id", "code").Find(&cs).Error; err != nil {
			return nil, fmt.Errorf("customers: %w", err)
		}
		for _, c := range cs {
			st.customers[c.Code] = c.ID
		}
	}
	if needUsers {
		var us []User
		if err := tx.Find(&us).Error; err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		for _, u := range us {
			st.users[u.ID] = u
		}
	}
	return st, nil
}

// importJob is one import: up to one sheet of each kind, checked against each other
// and the database, then written in one transaction.
type importJob struct {
	products, customers, users *sheet
	batch                      int // rows per INSERT

	productRecs  []productRec
	customerRecs []customerRec
	userRecs     []userRec
}

func (j *importJob) sheets() []*sheet {
	var out []*sheet
	for _, sh := range []*sheet{j.products, j.customers, j.users} {
		if sh != nil {
			out = append(out, sh)
		}
	}
	return out
}

// ImportFile imports one file of the given kind. Rows are matched to existing records by
// code (products, customers) or ID (users): matches are updated in place, the rest
// created, and records the file does not mention are left alone. References (a
// customer's owner, a user's manager, a dealer's customer) must exist in the database or
// the same file. It returns an *ImportError listing every bad row, having imported
// nothing, if any row is bad.
func (s *Store) ImportFile(ctx context.Context, kind ImportKind, path string) (*ImportResult, error) {
	if !kind.valid() {
		return nil, fmt.Errorf("models: import %s: unknown kind %q", filepath.Base(path), kind)
	}
	t, err := readTable(path)
	if err != nil {
		return nil, err
	}
	res, err := s.importTables(ctx, map[ImportKind]*table{kind: t})
	if err != nil {
		return nil, err
	}
	return &res[0], nil
}

// ImportRows imports a table already read, as ImportFile does: rows[i] is row i+2 of the
// file named file, whose header is row 1.
func (s *Store) ImportRows(ctx context.Context, kind ImportKind, file string, header []string, rows [][]string) (*ImportResult, error) {
	if !kind.valid() {
		return nil, fmt.Errorf("models: import %s: unknown kind %q", file, kind)
	}
	t := &table{file: file, header: header, rows: rows, first: 2}
	res, err := s.importTables(ctx, map[ImportKind]*table{kind: t})
	if err != nil {
		return nil, err
	}
	return &res[0], nil
}

// importFileNames are the base names (lowercased, without extension) ImportDir looks for.
var importFileNames = map[ImportKind][]string{
	ImportProducts:  {"products", "product", "产品", "商品"},
	ImportCustomers: {"customers", "customer", "客户"},
	ImportUsers:     {"users", "user", "用户", "人员"},
}

// ImportDir imports the master-data files in dir: products, customers and users, each
// a .csv or .xlsx file named in English (products.csv) or Chinese (产品.xlsx, 客户, 用户).
// Any of them may be missing, but not all. Customers may name owners from the users file
// and dealers customers from the customers file: references are checked against the
// database and all the files together. Everything is imported in one transaction: if
// any row of any file is bad, it returns an *ImportError listing every bad row of every
// file and imports nothing. Results come in the order products, customers, users.
func (s *Store) ImportDir(ctx context.Context, dir string) ([]ImportResult, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("models: import dir: %w", err)
	}
	found := map[ImportKind]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") {
			continue // Excel's lock files start with ~$
		}
		ext := strings.ToLower(filepath.Ext(name))
		base := strings.ToLower(strings.TrimSuffix(name, filepath.Ext(name)))
		for kind, names := range importFileNames {
			for _, n := range names {
				if base != n {
					continue
				}
				switch {
				case ext == ".xls":
					return nil, fmt.Errorf("models: import %s: .xls is not supported, save it as .xlsx or CSV UTF-8", name)
				case ext != ".csv" && ext != ".xlsx":
					continue
				case found[kind] != "":
					return nil, fmt.Errorf("models: import dir: both %s and %s hold %s", found[kind], name, kind)
				}
				found[kind] = name
			}
		}
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("models: import dir %s: no products, customers or users file (.csv or .xlsx)", dir)
	}
	tables := map[ImportKind]*table{}
	for kind, name := range found {
		t, err := readTable(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		tables[kind] = t
	}
	return s.importTables(ctx, tables)
}

// importTables checks and writes up to one table of each kind in one transaction.
func (s *Store) importTables(ctx context.Context, tables map[ImportKind]*table) ([]ImportResult, error) {
	j := &importJob{batch: importBatch}
	if s.dialect == "sqlite" {
		j.batch = importBatchSQLite
	}
	for kind, t := range tables {
		sh := newSheet(kind, t)
		switch kind {
		case ImportProducts:
			j.products, j.productRecs = sh, parseProducts(sh)
		case ImportCustomers:
			j.customers, j.customerRecs = sh, parseCustomers(sh)
		case ImportUsers:
			j.users, j.userRecs = sh, parseUsers(sh)
		}
	}
	var results []ImportResult
	var failed error // the transaction's own error, already in final form
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		failed = j.run(tx, s.Now(), &results)
		return failed
	})
	switch {
	case err == nil:
		return results, nil
	case errors.Is(err, failed):
		return nil, err
	default:
		return nil, fmt.Errorf("models: import: commit: %w", err)
	}
}

// run checks the job against the database and, if every row is good, writes it and
// bumps the catalog version. It returns an *ImportError if any row is bad.
func (j *importJob) run(tx *gorm.DB, now time.Time, results *[]ImportResult) error {
	st, err := loadImportState(tx, j.products != nil, j.customers != nil || j.users != nil,
		j.customers != nil || j.users != nil)
	if err != nil {
		return fmt.Errorf("models: import: load %w", err)
	}
	j.check(st)
	var bad []RowError
	for _, sh := range j.sheets() {
		bad = append(bad, sh.sortedErrs()...)
	}
	if len(bad) > 0 {
		return &ImportError{Rows: bad}
	}
	if *results, err = j.write(tx, st); err != nil {
		return fmt.Errorf("models: import: %w", err)
	}
	if err := bumpCatalogVersion(tx, now); err != nil {
		return fmt.Errorf("models: import: catalog version: %w", err)
	}
	return nil
}

// check runs the checks that need the database or another file.
func (j *importJob) check(st *importState) {
	if j.products != nil {
		checkProductTerms(j.products, j.productRecs, st.products)
	}
	if j.customers == nil && j.users == nil {
		return
	}
	// Roles as they will be after the import: the file's win over the database's.
	// A file user with an invalid role maps to "": it exists, its own row is reported.
	roles := make(map[string]Role, len(st.users)+len(j.userRecs))
	for id, u := range st.users {
		roles[id] = u.Role
	}
	for _, r := range j.userRecs {
		roles[r.u.ID] = r.u.Role
	}
	usersKnown := j.users == nil || !j.users.broken
	if sh := j.customers; sh != nil {
		for _, r := range j.customerRecs {
			owner := r.c.OwnerID
			if owner == "" {
				continue
			}
			role, ok := roles[owner]
			switch {
			case !ok && usersKnown:
				sh.fail(r.row, "owner", RowError{Code: RowUnknownUser, Value: owner})
			case ok && role != "" && !role.CanReport():
				sh.fail(r.row, "owner", RowError{Code: RowOwnerRole, Value: owner, Ref: string(role)})
			}
		}
	}
	if sh := j.users; sh != nil {
		customerCodes := make(map[string]bool, len(j.customerRecs))
		for _, r := range j.customerRecs {
			customerCodes[r.c.Code] = true
		}
		customersKnown := j.customers == nil || !j.customers.broken
		inFile := make(map[string]bool, len(j.userRecs))
		for _, r := range j.userRecs {
			inFile[r.u.ID] = true
		}
		// Platform IDs held by database users the file does not update.
		wecom, feishu := map[string]string{}, map[string]string{}
		for id, u := range st.users {
			if inFile[id] {
				continue
			}
			if u.WeComUserID != "" {
				wecom[u.WeComUserID] = id
			}
			if u.FeishuOpenID != "" {
				feishu[u.FeishuOpenID] = id
			}
		}
		for _, r := range j.userRecs {
			if m := r.u.ManagerID; m != "" {
				role, ok := roles[m]
				switch {
				case m == r.u.ID:
					sh.fail(r.row, "manager", RowError{Code: RowSelfManager, Value: m})
				case !ok:
					sh.fail(r.row, "manager", RowError{Code: RowUnknownUser, Value: m})
				case role != "" && role != RoleManager && role != RoleAdmin:
					sh.fail(r.row, "manager", RowError{Code: RowManagerRole, Value: m, Ref: string(role)})
				}
			}
			if c := r.customer; c != "" && customersKnown {
				if _, ok := st.customers[c]; !ok && !customerCodes[c] {
					sh.fail(r.row, "customer", RowError{Code: RowUnknownCustomer, Value: c})
				}
			}
			for _, p := range []struct {
				field, v string
				taken    map[string]string
			}{{"wecom_userid", r.u.WeComUserID, wecom}, {"feishu_open_id", r.u.FeishuOpenID, feishu}} {
				if p.v == "" {
					continue
				}
				if other, ok := p.taken[p.v]; ok && other != r.u.ID {
					sh.fail(r.row, p.field, RowError{Code: RowIDTaken, Value: p.v, Ref: other})
					continue
				}
				p.taken[p.v] = r.u.ID
			}
		}
	}
}

var (
	productUpdateColumns = []string{"name", "aliases", "unit", "pack_size", "pack_unit", "shelf_life_days",
		"factory_price", "floor_price", "safety_factor", "updated_at"}
	// Optional columns are updated only by a file that has them: a file without
	// last_visit leaves the days imported before.
	optionalUpdateColumns = map[ImportKind][]string{ImportProducts: {"units"}, ImportCustomers: {"last_visit"}}
	customerUpdateColumns = []string{"name", "aliases", "type", "tier", "region", "owner_id", "visit_days", "updated_at"}
	userUpdateColumns     = []string{"name", "role", "manager_id", "wecom_userid", "feishu_open_id", "customer_id",
		"region", "phone", "updated_at"}
)

// upsert inserts rows in batches, updating cols of the rows whose key already exists.
// The IDs of existing rows stay as they are.
func upsert[T any](tx *gorm.DB, rows []T, batch int, key string, cols []string) error {
	if len(rows) == 0 {
		return nil
	}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: key}},
		DoUpdates: clause.AssignmentColumns(cols),
	}).CreateInBatches(rows, batch).Error
}

// chunks splits ids into slices short enough for an IN list.
func chunks(ids []string) [][]string {
	var out [][]string
	for len(ids) > importBatch {
		out = append(out, ids[:importBatch])
		ids = ids[importBatch:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

// write stores the checked records: products, then users without the customers that
// are new, then customers, then those users' customer IDs.
func (j *importJob) write(tx *gorm.DB, st *importState) ([]ImportResult, error) {
	byKind := map[ImportKind]*ImportResult{}
	result := func(sh *sheet) *ImportResult {
		r := &ImportResult{Kind: sh.kind, File: sh.t.file}
		byKind[sh.kind] = r
		return r
	}
	if sh := j.products; sh != nil {
		res := result(sh)
		existing := make(map[string]bool, len(st.products))
		for _, p := range st.products {
			existing[p.Code] = true
		}
		rows := make([]Product, len(j.productRecs))
		for i, r := range j.productRecs {
			rows[i] = r.p
			count(res, existing[r.p.Code])
		}
		if err := upsert(tx, rows, j.batch, "code", sh.updateColumns(productUpdateColumns)); err != nil {
			return nil, fmt.Errorf("products: %w", err)
		}
	}
	pending := map[string]string{} // user ID → code of a customer created below
	if sh := j.users; sh != nil {
		res := result(sh)
		rows := make([]User, len(j.userRecs))
		var moved []string // users whose platform IDs change, cleared first so swaps work
		for i, r := range j.userRecs {
			u := r.u
			if r.customer != "" {
				if id, ok := st.customers[r.customer]; ok {
					u.CustomerID = &id
				} else {
					pending[u.ID] = r.customer
				}
			}
			old, ok := st.users[u.ID]
			count(res, ok)
			if ok && (old.WeComUserID != u.WeComUserID || old.FeishuOpenID != u.FeishuOpenID) {
				moved = append(moved, u.ID)
			}
			rows[i] = u
		}
		for _, ids := range chunks(moved) {
			err := tx.Model(&User{}).Where("id IN ?", ids).
				Updates(map[string]any{"wecom_userid": "", "feishu_open_id": ""}).Error
			if err != nil {
				return nil, fmt.Errorf("users: %w", err)
			}
		}
		if err := upsert(tx, rows, j.batch, "id", userUpdateColumns); err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
	}
	if sh := j.customers; sh != nil {
		res := result(sh)
		rows := make([]Customer, len(j.customerRecs))
		for i, r := range j.customerRecs {
			rows[i] = r.c
			count(res, st.customers[r.c.Code] != 0)
		}
		if err := upsert(tx, rows, j.batch, "code", sh.updateColumns(customerUpdateColumns)); err != nil {
			return nil, fmt.Errorf("customers: %w", err)
		}
	}
	if len(pending) > 0 {
		var codes []string
		for _, c := range pending {
			codes = append(codes, c)
		}
		ids := map[string]int64{}
		for _, part := range chunks(codes) {
			var cs []struct {
				ID   int64
				Code string
			}
			if err := tx.Model(&Customer{}).Select("id", "code").Where("code IN ?", part).Find(&cs).Error; err != nil {
				return nil, fmt.Errorf("dealer customers: %w", err)
			}
			for _, c := range cs {
				ids[c.Code] = c.ID
			}
		}
		for uid, code := range pending {
			id, ok := ids[code]
			if !ok {
				return nil, fmt.Errorf("dealer %s: customer %s vanished", uid, code)
			}
			if err := tx.Model(&User{}).Where("id = ?", uid).Update("customer_id", id).Error; err != nil {
				return nil, fmt.Errorf("dealer %s: %w", uid, err)
			}
		}
	}
	var out []ImportResult
	for _, k := range importKinds {
		if r := byKind[k]; r != nil {
			out = append(out, *r)
		}
	}
	return out, nil
}

// updateColumns is cols with the optional columns the sheet has.
func (sh *sheet) updateColumns(cols []string) []string {
	for _, c := range optionalUpdateColumns[sh.kind] {
		if _, ok := sh.index[c]; ok {
			cols = append(slices.Clone(cols), c)
		}
	}
	return cols
}

func count(r *ImportResult, exists bool) {
	if exists {
		r.Updated++
	} else {
		r.Created++
	}
}

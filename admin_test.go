package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"channelbot/models"
)

func runCmd(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, env(), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestImportAndParse imports the acceptance catalog with the import command, then
// checks parse's JSON for a count and for an ambiguous name.
func TestImportAndParse(t *testing.T) {
	db := tempDB(t)
	out, errOut, err := runCmd(t, "", "import", "--db", db, "testdata/acceptance/catalog")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
	for _, want := range []string{"products: 10 created", "customers: 18 created", "users: 12 created"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	in := `{"as":"R01","now":"2026-11-23T09:00:00+08:00","text":"盘点 张老板 苹果汁 3箱6瓶"}
{"as":"A01","now":"2026-11-23T09:00:00+08:00","text":"计划 明天 拜访 张老板"}
`
	out, errOut, err = runCmd(t, in, "parse", "--db", db)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		`{"intent":"stock_count","customer":"C001","candidates":[],"items":[{"product":"P01","qty":3.5,"unit":"箱"}],"price":null,"date":null,"note":"","errors":[]}`,
		`{"intent":"plan","customer":null,"candidates":["C001","C006"],"items":[],"price":null,"date":"2026-11-24","note":"","errors":[]}`,
	}
	if len(lines) != len(want) {
		t.Fatalf("parse printed %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i := range want {
		if !json.Valid([]byte(lines[i])) || lines[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], want[i])
		}
	}
}

// TestImportBadFileImportsNothing: every bad row is listed with its row number and
// nothing is stored.
func TestImportBadFileImportsNothing(t *testing.T) {
	db := tempDB(t)
	dir := t.TempDir()
	csv := "code,name,aliases,pack_size,factory_price\nP01,苹果汁,苹果,12,38.5\nP02,橙汁,苹果,12,abc\nP01,葡萄汁,,0,30\n"
	if err := os.WriteFile(filepath.Join(dir, "products.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCmd(t, "", "import", "--db", db, "--kind", "products", filepath.Join(dir, "products.csv"))
	if err == nil {
		t.Fatal("import of a bad file succeeded")
	}
	for _, want := range []string{"3", "4", "factory_price", "pack_size", "苹果"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	out, _, err := runCmd(t, `{"as":"R01","text":"盘点 张老板 苹果汁 1"}`+"\n", "parse", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"items":[]`) {
		t.Errorf("a product from the rejected file is known: %s", out)
	}
}

// TestImportBadFileWording: the import command words every bad row for whoever wrote
// the file, and still returns the *models.ImportError.
func TestImportBadFileWording(t *testing.T) {
	dir := t.TempDir()
	csv := "code,name,aliases,pack_size,factory_price\nP01,苹果汁,苹果,12,38.5\nP02,橙汁,苹果,12,abc\nP01,葡萄汁,,0,30\n"
	if err := os.WriteFile(filepath.Join(dir, "products.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCmd(t, "", "import", "--db", tempDB(t), "--kind", "products", filepath.Join(dir, "products.csv"))
	want := `models: import: 4 bad rows, nothing imported
products.csv row 3: aliases "苹果" 已是产品 P01 的名称或别名（第 2 行）
products.csv row 3: factory_price "abc" 不是金额（非负，最多两位小数）
products.csv row 4: code "P01" 与第 2 行重复
products.csv row 4: pack_size "0" 不是正整数`
	if err == nil || err.Error() != want {
		t.Errorf("import error =\n%v\nwant\n%s", err, want)
	}
	var ie *models.ImportError
	if !errors.As(err, &ie) || len(ie.Rows) != 4 {
		t.Errorf("import error %T does not unwrap to the 4 bad rows", err)
	}
}

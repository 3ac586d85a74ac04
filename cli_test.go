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
	"channelbot/models/modelstest"
)

// runIn runs the program with getenv and stdin and returns stdout, stderr and the error.
func runIn(getenv func(string) string, stdin string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// noFiles fails the test when dir holds anything.
func noFiles(t *testing.T, dir, what string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("%s created %s", what, e.Name())
	}
}

// TestHelpEverywhere: -h and --help print the command's usage to stdout, succeed,
// and create no database file.
func TestHelpEverywhere(t *testing.T) {
	commands := [][]string{
		{}, {"chat"}, {"serve"}, {"migrate"}, {"import"}, {"parse"}, {"doctor"}, {"version"},
		{"jobs"}, {"jobs", "list"}, {"jobs", "run"}, {"policy"}, {"policy", "create"}, {"policy", "status"},
	}
	for _, cmd := range commands {
		for _, flag := range []string{"-h", "--help"} {
			args := append(append([]string{}, cmd...), flag)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				dir := t.TempDir()
				out, errOut, err := runIn(env("DATABASE_URL", filepath.Join(dir, "bot.db")), "", args...)
				if err != nil {
					t.Fatalf("err = %v, stderr %q", err, errOut)
				}
				if !strings.Contains(strings.ToLower(out), "usage") {
					t.Errorf("stdout has no usage:\n%s", out)
				}
				if errOut != "" {
					t.Errorf("stderr = %q, want nothing", errOut)
				}
				noFiles(t, dir, strings.Join(args, " "))
			})
		}
	}
}

// TestUsageErrors: a missing argument is named, an extra one is refused, and
// neither creates anything.
func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"policy", "status"}, "missing ID"},
		{[]string{"policy", "status", "1", "2"}, `unexpected argument "2"`},
		{[]string{"policy", "status", "x"}, `"x" is not a policy number`},
		{[]string{"policy", "create"}, "missing --file"},
		{[]string{"import"}, "missing PATH"},
		{[]string{"import", "a", "b"}, `unexpected argument "b"`},
		{[]string{"jobs", "run"}, "missing NAME"},
		{[]string{"jobs", "run", "daily-digest", "extra"}, `unexpected argument "extra"`},
		{[]string{"jobs", "list", "extra"}, `unexpected argument "extra"`},
		{[]string{"migrate", "now"}, `unexpected argument "now"`},
		{[]string{"doctor", "x"}, `unexpected argument "x"`},
		{[]string{"serve", "x"}, `unexpected argument "x"`},
		{[]string{"parse", "x"}, `unexpected argument "x"`},
		{[]string{"chat", "R01", "R02"}, `unexpected argument "R02"`},
		{[]string{"chat", "--as", "R01", "R02"}, "name two users"},
		{[]string{"chat", "--frobnicate"}, "flag provided but not defined"},
		{[]string{"jobs", "run", "daily-digest", "--now", "tomorrow"}, "RFC 3339"},
		{[]string{"version", "x"}, `unexpected argument "x"`},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			out, errOut, err := runIn(env("DATABASE_URL", filepath.Join(dir, "bot.db")), "", c.args...)
			if !errors.Is(err, errUsage) {
				t.Fatalf("err = %v, want a usage error", err)
			}
			if !strings.Contains(errOut, c.want) || !strings.Contains(strings.ToLower(errOut), "usage") {
				t.Errorf("stderr lacks %q and the usage:\n%s", c.want, errOut)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			noFiles(t, dir, strings.Join(c.args, " "))
		})
	}
}

// TestFlagsAnywhere: flags may follow the arguments, as the README writes them.
func TestFlagsAnywhere(t *testing.T) {
	db := tempDB(t)
	if _, errOut, err := runCmd(t, "", "import", "testdata/acceptance/catalog/products.csv", "--kind", "products", "--db", db); err != nil {
		t.Fatalf("import FILE --kind: %v %s", err, errOut)
	}
	if _, errOut, err := runCmd(t, "", "import", "models/demo", "--db", db); err != nil {
		t.Fatalf("import DIR --db: %v %s", err, errOut)
	}
	chatScript(t, db, say{"R01", "2026-11-23T09:00:00+08:00", "盘点 张老板 苹果汁 120"})
	out, errOut, err := runCmd(t, "", "jobs", "run", "daily-digest", "--db", db, "--now", "2026-11-23T18:30:00+08:00")
	if err != nil || !strings.Contains(out, "11月23日") {
		t.Fatalf("jobs run NAME --now T = %v %s\n%s, want the digest of 11-23", err, errOut, out)
	}
	p := writeFile(t, "p.yaml", "products: [苹果汁]\nprice_type: 出厂价\nprice: 39\neffective: 2026-12-01\naudience: {regions: [城东]}\ntext: 调价\n")
	if _, errOut, err := runCmd(t, "", "policy", "create", "--file", p, "--db", db, "--now", "2026-11-23T09:00:00+08:00"); err != nil {
		t.Fatalf("policy create: %v %s", err, errOut)
	}
	out, errOut, err = runCmd(t, "", "policy", "status", "1", "--json", "--db", db)
	if err != nil {
		t.Fatalf("policy status ID --json: %v %s", err, errOut)
	}
	var st models.PolicyStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.ID != 1 {
		t.Errorf("policy status 1 --json = %q (%v), want the JSON status of policy 1", out, err)
	}
	// "--" ends the flags: what follows is an argument even if it looks like one.
	if _, errOut, err := runCmd(t, "", "import", "--db", db, "--", "--kind"); err == nil || errors.Is(err, errUsage) {
		t.Errorf("import -- --kind = %v %s, want the path --kind not found", err, errOut)
	}
}

// TestPolicyDateJudgedByClock: policy create judges the effective date by --now, not
// by the wall clock.
func TestPolicyDateJudgedByClock(t *testing.T) {
	db := tempDB(t)
	if _, errOut, err := runCmd(t, "", "migrate", "--db", db); err != nil {
		t.Fatal(err, errOut)
	}
	if _, _, err := runCmd(t, "", "import", "--db", db, "models/demo"); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, "p.yaml", "products: [苹果汁]\nprice_type: 出厂价\nprice: 39\neffective: 2026-12-01\naudience: {regions: [城东]}\ntext: 调价\n")
	_, _, err := runCmd(t, "", "policy", "create", "--db", db, "--file", p, "--now", "2026-12-02T09:00:00+08:00")
	if err == nil || !strings.Contains(err.Error(), "2026-12-01") {
		t.Errorf("a policy effective the day before --now = %v, want refused naming the date", err)
	}
	if _, errOut, err := runCmd(t, "", "policy", "create", "--db", db, "--file", p, "--now", "2026-12-01T09:00:00+08:00"); err != nil {
		t.Errorf("a policy effective on the day of --now: %v %s", err, errOut)
	}
}

// TestChatPositionalUser: "chat R03" talks as R03, never silently as the first rep.
func TestChatPositionalUser(t *testing.T) {
	db := tempDB(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"chat", "--db", db, "D01"}, "价格"},     // a dealer's menu
		{[]string{"chat", "X99", "--db", db}, "你还没有登记"}, // an unknown user, not R01
		{[]string{"chat", "--db", db, "--as", "X99", "X99"}, "你还没有登记"},
	} {
		out, errOut, err := runCmd(t, "帮助\n", c.args...)
		if err != nil {
			t.Fatalf("%v: %v %s", c.args, err, errOut)
		}
		if !strings.Contains(out, c.want) {
			t.Errorf("%v 帮助 = %q, want %q", c.args, out, c.want)
		}
	}
	rep, _, _ := runCmd(t, "帮助\n", "chat", "--db", db)
	dealer, _, _ := runCmd(t, "帮助\n", "chat", "--db", db, "D01")
	if rep == dealer {
		t.Errorf("chat D01 answered as the default rep:\n%s", dealer)
	}
}

// TestDatabaseFolderMissing: a SQLite file in a folder that does not exist is named
// in words.
func TestDatabaseFolderMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "no", "such")
	_, _, err := runIn(env("DATABASE_URL", filepath.Join(dir, "bot.db")), "帮助\n", "chat")
	if err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), dir) {
		t.Errorf("chat on a missing folder = %v, want the folder named as missing", err)
	}
}

// TestChatBadJSONLine: a malformed script line is reported with its number and the
// session goes on.
func TestChatBadJSONLine(t *testing.T) {
	db := tempDB(t)
	in := `{"as":"R01","now":"2026-11-23T09:00:00+08:00","text":"帮助"}
{"as":"R01","text":
{"as":"R01","now":"2026-11-23T09:01:00+08:00","text":"盘点 张老板 苹果汁 120"}
`
	out, errOut, err := runCmd(t, in, "chat", "--db", db)
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	if !strings.Contains(errOut, "line 2") {
		t.Errorf("stderr = %q, want line 2 named", errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], `"line":2`) || !strings.Contains(lines[2], "盘点已记录") {
		t.Errorf("output = %q, want a reply, an error for line 2 and the count's reply", lines)
	}
}

// TestTerminalCommandsQuiet: at the default log level the terminal commands print
// their results and no log lines.
func TestTerminalCommandsQuiet(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return filepath.Join(dir, "bot.db")
		}
		return ""
	}
	p := writeFile(t, "p.yaml", "products: [苹果汁]\nprice_type: 出厂价\nprice: 39\neffective: 2026-12-01\naudience: {regions: [城东]}\ntext: 调价\n")
	for _, args := range [][]string{
		{"import", "models/demo"},
		{"policy", "create", "--file", p, "--now", "2026-11-23T09:00:00+08:00"},
		{"policy", "status", "1"},
		{"jobs", "list"},
		{"migrate"},
	} {
		_, errOut, err := runIn(getenv, "", args...)
		if err != nil {
			t.Fatalf("%v: %v %s", args, err, errOut)
		}
		if errOut != "" {
			t.Errorf("%v wrote to stderr: %q", args, errOut)
		}
	}
}

// TestDoctorNeverMigrates: doctor says the schema is missing or behind and changes
// nothing.
func TestDoctorNeverMigrates(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "bot.db")
	out, _, err := runIn(env(), "", "doctor", "--db", db)
	if !errors.Is(err, errDoctor) || !strings.Contains(out, "channelbot migrate") {
		t.Errorf("doctor on a missing file = %v\n%s", err, out)
	}
	noFiles(t, dir, "doctor")
	if _, _, err := runIn(env(), "", "migrate", "--db", db); err != nil {
		t.Fatal(err)
	}
	if out, _, err := runIn(env(), "", "doctor", "--db", db); err != nil || !strings.Contains(out, "✔ 数据库") {
		t.Errorf("doctor on a migrated database = %v\n%s", err, out)
	}
}

// TestPostgresMigrateOnStart: on PostgreSQL a command migrates by itself unless
// MIGRATE_ON_START is false; then it refuses an out-of-date schema, naming migrate,
// and doctor reports it without migrating.
func TestPostgresMigrateOnStart(t *testing.T) {
	dsn := modelstest.PostgresDSN(t)
	off := env("MIGRATE_ON_START", "false")
	_, _, err := runIn(off, "", "jobs", "list", "--db", dsn)
	if err == nil || !strings.Contains(err.Error(), "channelbot migrate") {
		t.Errorf("jobs list on an empty schema with MIGRATE_ON_START=false = %v, want migrate named", err)
	}
	out, _, err := runIn(off, "", "doctor", "--db", dsn)
	if !errors.Is(err, errDoctor) || !strings.Contains(out, "表结构版本 0") {
		t.Errorf("doctor on an empty schema = %v\n%s", err, out)
	}
	if _, errOut, err := runIn(env(), "", "jobs", "list", "--db", dsn); err != nil {
		t.Errorf("jobs list with MIGRATE_ON_START unset (true): %v %s", err, errOut)
	}
	if _, errOut, err := runIn(off, "", "jobs", "list", "--db", dsn); err != nil {
		t.Errorf("jobs list on a current schema with MIGRATE_ON_START=false: %v %s", err, errOut)
	}
}

// TestReadmePolicyExample: the README's policy file is accepted as written, on a
// clock set before its effective day.
func TestReadmePolicyExample(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "## Price policies")
	_, rest, ok2 := strings.Cut(rest, "```yaml\n")
	yaml, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README has no policy YAML example under ## Price policies")
	}
	var lines []string
	for _, l := range strings.Split(yaml, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "  "))
	}
	db := tempDB(t)
	if _, _, err := runCmd(t, "", "import", "--db", db, "models/demo"); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, "readme.yaml", strings.Join(lines, "\n"))
	out, errOut, err := runCmd(t, "", "policy", "create", "--file", p, "--db", db, "--now", "2027-02-20T09:00:00+08:00")
	if err != nil || !strings.Contains(out, "policy 1 created") {
		t.Errorf("README example: %v %s %s", err, out, errOut)
	}
}

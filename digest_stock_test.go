package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDigestStockOutsFromEngine: the daily digest's 断货 list and the stock-outs job
// read the one stock engine: on a scripted day they list the same products at the
// same customers with the same 建议进货. A count of 0 followed by a delivery the
// same day is out in neither; a count of 0 with no history says to order by
// experience in both.
func TestDigestStockOutsFromEngine(t *testing.T) {
	db := tempDB(t)
	for i, r := range chatScript(t, db,
		say{"R01", "2026-11-09T10:00:00+08:00", "盘点 张老板 苹果汁 50 橙汁 40"},
		say{"R01", "2026-11-16T10:00:00+08:00", "盘点 张老板 苹果汁 30 橙汁 20"},
		say{"R01", "2026-11-23T09:30:00+08:00", "盘点 张老板 苹果汁 0 橙汁 0"},
		say{"R01", "2026-11-23T10:00:00+08:00", "盘点 宏城超市 苹果汁 0"},
		say{"R01", "2026-11-23T11:00:00+08:00", "进货 张老板 橙汁 30"}, // 橙汁 is not out any more
	) {
		if len(r) == 0 || !strings.Contains(r[0], "已记录") {
			t.Fatalf("line %d: %q", i, r)
		}
	}
	const at = "2026-11-23T18:31:00+08:00"

	// The stock-outs job: one message per count, one line per product.
	jobOuts := []string{}
	head := regexp.MustCompile(`^🔴 断货 · (\S+)\n`)
	for _, l := range linesTo(runJobs(t, env(), "run", "--db", db, "--now", at, "stock-outs"), "M01") {
		m := head.FindStringSubmatch(l.Text)
		if m == nil {
			t.Fatalf("stock-outs message: %q", l.Text)
		}
		for _, line := range strings.Split(l.Text, "\n")[2:] {
			product, order, _ := strings.Cut(line, " · ")
			jobOuts = append(jobOuts, m[1]+" "+product+" "+strings.TrimPrefix(order, "👉 建议进货 "))
		}
	}

	// The daily digest's 断货 section, its folded lines joined again.
	digest := linesTo(runJobs(t, env(), "run", "--db", db, "--now", at, "daily-digest"), "M01")
	if len(digest) != 1 {
		t.Fatalf("M01's daily digests: %+v", digest)
	}
	text := digest[0].Text
	checkPhone(t, "daily digest", text)
	var digestOuts []string
	startsHan := regexp.MustCompile(`^\p{Han}`)
	lines := strings.Split(text, "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "🔴 断货 ") })
	if i < 0 {
		t.Fatalf("the digest has no 断货 section:\n%s", text)
	}
	for _, l := range lines[i+1:] {
		if strings.HasPrefix(l, "\u3000") { // a folded line goes on
			digestOuts[len(digestOuts)-1] += " · " + strings.TrimPrefix(l, "\u3000")
			continue
		}
		if !startsHan.MatchString(l) { // the next section, or the end of the exceptions
			break
		}
		digestOuts = append(digestOuts, l)
	}
	for k, line := range digestOuts {
		what, _, _ := strings.Cut(line, " · ")
		what = strings.Replace(what, " 👉进货", " ", 1)
		digestOuts[k] = strings.Replace(what, " 👉按经验补货", " 数据不够算进货量，请按经验补货", 1)
	}

	want := []string{"张记商贸 苹果汁1L 73箱", "宏城超市 苹果汁1L 数据不够算进货量，请按经验补货"}
	slices.Sort(want)
	slices.Sort(jobOuts)
	slices.Sort(digestOuts)
	if !slices.Equal(jobOuts, want) {
		t.Errorf("stock-outs job lists %q, want %q", jobOuts, want)
	}
	if !slices.Equal(digestOuts, jobOuts) {
		t.Errorf("the digest lists %q, the stock-outs job %q:\n%s", digestOuts, jobOuts, text)
	}
	mustContain(t, []string{text}, "🔴 断货 2\n", "张记商贸 苹果汁1L 👉进货73箱 · 李明")
	mustNotContain(t, []string{text}, "橙汁")
}

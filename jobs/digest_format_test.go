package jobs

import (
	"strings"
	"testing"

	"channelbot/bot"
	"channelbot/models"
)

func TestDisplayWidth(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]int{
		"李明 R01 ✅ 拜访3/4 · 盘点5 · 订货2": 35,
		"**合计**":      4,
		"⚠️ 异常":       7, // the emoji and its variation selector: 2
		"11/23–11/29": 11,
		"…等8项":        7,
	} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		line string
		want []string
	}{
		{"张记商贸 苹果汁1L · 李明", []string{"张记商贸 苹果汁1L · 李明"}},
		// At a " · " the dot goes; after a Chinese comma or colon.
		{"李明 R01 ⚠️ 拜访2/4 · 盘点1 · 订货5 · 到货20", []string{"李明 R01 ⚠️ 拜访2/4 · 盘点1 · 订货5", "\u3000到货20"}},
		{"城西学校小卖部：送货总是晚两天，学生放学前货架空了一半 · 陈静",
			[]string{"城西学校小卖部：送货总是晚两天，", "\u3000学生放学前货架空了一半 · 陈静"}},
		// Bold spans cut in two are closed and reopened.
		{"**合计 拜访12/20 · 盘点15 · 订货120 · 到货48**", []string{"**合计 拜访12/20 · 盘点15 · 订货120**", "\u3000**到货48**"}},
		// No break anywhere: cut between characters.
		{"城南国际商贸城一楼副食品总汇城南国际商贸城", []string{"城南国际商贸城一楼副食品总汇城南国际", "\u3000商贸城"}},
	} {
		got := fold(c.line, lineWidth)
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("fold(%q) = %q, want %q", c.line, got, c.want)
		}
		for _, l := range got {
			if displayWidth(l) > lineWidth {
				t.Errorf("fold(%q): %q is %d wide", c.line, l, displayWidth(l))
			}
		}
	}
}

func TestWeekLabel(t *testing.T) {
	t.Parallel()
	for mon, want := range map[string]string{
		"2026-11-23": "11/23–11/29",
		"2026-11-30": "11/30–12/6", // a month boundary
		"2026-12-28": "2026/12/28–2027/1/3",
		"2027-01-04": "1/4–1/10",
	} {
		d, err := ParseDay(mon)
		if err != nil || d.Weekday() != 1 {
			t.Fatalf("%s is not a Monday", mon)
		}
		if got := weekLabel(d); got != want {
			t.Errorf("weekLabel(%s) = %q, want %q", mon, got, want)
		}
	}
}

// TestDigestSplit: a digest too long for one WeCom message is split at line ends;
// every part fits, says whose digest it is on its first line, and together the
// parts hold every line once, in order.
func TestDigestSplit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, openSQLite)
	scriptDay(f)
	whole, parts := &Collector{}, &Collector{}
	f.jobs = f.jobs.WithSink(whole.Commit)
	f.run(NameDailyDigest, "2026-11-23 18:31")
	const limit = 400
	f.jobs = f.jobs.WithSink(parts.Commit)
	f.jobs.TextLimits = bot.TextLimits{models.PlatformWeCom: limit}
	f.run(NameDailyDigest, "2026-11-23 18:31")

	text := whole.Messages[0].Text // M01's, on WeCom
	if whole.Messages[0].UserID != "M01" || len(text) <= limit {
		t.Fatalf("the digest is %d bytes, want over %d: %+v", len(text), limit, whole.Messages[0])
	}
	title, _, _ := strings.Cut(text, "\n")
	var got []string
	var keys []string
	for i, m := range parts.Messages {
		if m.UserID != "M01" {
			continue
		}
		keys = append(keys, *m.PlatformMsgID)
		if len(m.Text) > limit {
			t.Errorf("part %d is %d bytes, over %d", i+1, len(m.Text), limit)
		}
		first, rest, _ := strings.Cut(m.Text, "\n")
		switch {
		case len(got) == 0 && first != title:
			t.Errorf("part 1 starts %q, want %q", first, title)
		case len(got) > 0 && first != "**📊 日报 11月23日（周一）（续）**":
			t.Errorf("part %d starts %q", len(keys), first)
		}
		if len(got) == 0 {
			got = append(got, first)
		}
		got = append(got, strings.Split(strings.Trim(rest, "\n"), "\n")...)
	}
	if len(keys) < 2 || keys[1] != keys[0]+"/2" {
		t.Errorf("message keys = %q, want at least 2 parts", keys)
	}
	var want []string
	for _, l := range strings.Split(text, "\n") {
		if l != "" {
			want = append(want, l)
		}
	}
	var gotLines []string
	for _, l := range got {
		if l != "" {
			gotLines = append(gotLines, l)
		}
	}
	if strings.Join(gotLines, "\n") != strings.Join(want, "\n") {
		t.Errorf("the parts hold:\n%s\n\nwant:\n%s", strings.Join(gotLines, "\n"), strings.Join(want, "\n"))
	}
}

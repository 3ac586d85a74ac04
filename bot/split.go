package bot

import (
	"strings"
	"unicode/utf8"

	"channelbot/models"
)

// TextLimits are how many bytes one message may hold, by platform; longer replies
// are split. The platform adapters state their sizes (wecom.SplitBytes,
// feishu.SplitBytes) and main gathers them. A platform not listed, or a zero,
// means no limit.
type TextLimits map[string]int

// Split cuts text into pieces that fit one message on platform.
func (l TextLimits) Split(platform, text string) []string { return splitText(text, l[platform]) }

// WithTextLimits sets how many bytes one message may hold on each platform (default:
// no limit).
func WithTextLimits(l TextLimits) Option { return func(b *Bot) { b.textLimits = l } }

// splitText cuts text into pieces of at most limit bytes, at line ends where it can,
// inside a line only when the line alone is too long (never inside a character).
func splitText(text string, limit int) []string {
	if limit <= 0 || len(text) <= limit {
		return []string{text}
	}
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimRight(cur.String(), "\n"); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		if cur.Len()+len(line) > limit {
			flush()
		}
		for len(line) > limit {
			cut := limit
			for cut > 0 && !utf8.RuneStart(line[cut]) {
				cut--
			}
			out = append(out, line[:cut])
			line = line[cut:]
		}
		cur.WriteString(line)
	}
	flush()
	return out
}

// splitReplies makes every reply and notice of ex fit its platform.
func splitReplies(ex *models.Exchange, platform string, maxTextBytes TextLimits) {
	if inner := ex.Replies; inner != nil {
		ex.Replies = func(id int64) []string {
			var out []string
			for _, r := range inner(id) {
				out = append(out, splitText(r, maxTextBytes[platform])...)
			}
			return out
		}
	}
	if inner := ex.Notices; inner != nil {
		ex.Notices = func(id int64) []models.Notice {
			var out []models.Notice
			for _, n := range inner(id) {
				for _, part := range splitText(n.Text, maxTextBytes[n.Platform]) {
					n.Text = part
					out = append(out, n)
				}
			}
			return out
		}
	}
}

// buttonsFor offers the answers to a question as buttons.
func buttonsFor(p *pending, cat interface {
	Customer(code string) *models.Customer
}) models.Buttons {
	switch p.Kind {
	case pendingConfirm, pendingGuess, pendingPublish:
		return models.Buttons{{Text: "确认", Key: "确认"}, {Text: "取消", Key: "取消"}}
	case pendingChoose:
		var bs models.Buttons
		for i, code := range p.Candidates {
			if i == 5 {
				break
			}
			label := code
			if cu := cat.Customer(code); cu != nil {
				label = cu.Name
			}
			n := string(rune('1' + i))
			bs = append(bs, models.Button{Text: n + " " + label, Key: n})
		}
		return append(bs, models.Button{Text: "取消", Key: "取消"})
	}
	return nil
}

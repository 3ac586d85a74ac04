package feishu

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"channelbot/bot/outbox"
)

// Card limits (platforms.md §4.2).
const (
	// MaxCardBytes is the most a card's JSON may hold (230025 beyond).
	MaxCardBytes = 30 << 10
	// maxTitleRunes keeps the header on one or two lines on a phone; the
	// rest of a longer first line goes on in the body.
	maxTitleRunes = 60
)

// Header colours: red for what needs attention, blue for the rest.
const (
	templateBlue = "blue"
	templateRed  = "red"
)

// card is a message card in the 1.0 JSON format (消息卡片): a coloured
// header, then elements.
type card struct {
	Config   cardConfig `json:"config"`
	Header   cardHeader `json:"header"`
	Elements []any      `json:"elements"`
}

type cardConfig struct {
	WideScreenMode bool `json:"wide_screen_mode"`
	// UpdateMulti makes the card shared: an update after a click is seen by
	// everyone in a group, not only by whoever clicked.
	UpdateMulti bool `json:"update_multi"`
}

type cardHeader struct {
	Template string    `json:"template"`
	Title    plainText `json:"title"`
}

type plainText struct {
	Tag     string `json:"tag"` // plain_text
	Content string `json:"content"`
}

type markdownElement struct {
	Tag     string `json:"tag"` // markdown
	Content string `json:"content"`
}

type divElement struct {
	Tag  string    `json:"tag"` // div
	Text plainText `json:"text"`
}

type actionElement struct {
	Tag     string          `json:"tag"` // action
	Actions []buttonElement `json:"actions"`
}

type buttonElement struct {
	Tag  string    `json:"tag"` // button
	Text plainText `json:"text"`
	Type string    `json:"type"` // default or primary
	// Value comes back in the click's callback: "key" is what the click
	// answers, "outbox" the card's outbox row.
	Value map[string]string `json:"value"`
}

// newCard lays text out as a card: the first line is the header's title,
// the rest the body, as markdown or as plain text.
func newCard(text string, markdown bool) *card {
	title, body := cardText(text)
	c := &card{
		Config: cardConfig{WideScreenMode: true, UpdateMulti: true},
		Header: cardHeader{Template: headerTemplate(title), Title: plainText{Tag: "plain_text", Content: title}},
		// Never null: a one-line card is a header and no elements.
		Elements: []any{},
	}
	if body != "" {
		if markdown {
			c.Elements = append(c.Elements, markdownElement{Tag: "markdown", Content: body})
		} else {
			c.Elements = append(c.Elements, divElement{Tag: "div", Text: plainText{Tag: "plain_text", Content: body}})
		}
	}
	return c
}

// questionCard is newCard with a row of buttons; a click answers with the
// button's key (see CardAction).
func questionCard(text string, markdown bool, buttons []outbox.Button, outbox int64) *card {
	c := newCard(text, markdown)
	row := actionElement{Tag: "action"}
	for _, b := range buttons {
		label := strings.TrimSpace(b.Text)
		if label == "" {
			label = b.Key
		}
		kind := "default"
		if b.Key == "确认" {
			kind = "primary"
		}
		value := map[string]string{"key": b.Key}
		if outbox > 0 {
			value["outbox"] = strconv.FormatInt(outbox, 10)
		}
		row.Actions = append(row.Actions, buttonElement{Tag: "button", Text: plainText{Tag: "plain_text", Content: label}, Type: kind, Value: value})
	}
	c.Elements = append(c.Elements, row)
	return c
}

// AnsweredCard is the card for text (markdown or not) after a click on the
// button labelled choice: the same header and body, with the buttons
// replaced by the line "已选择：<choice>". The callback's answer carries it,
// so the card changes for everyone as soon as it is clicked.
func AnsweredCard(text string, markdown bool, choice string) json.RawMessage {
	c := newCard(text, markdown)
	c.Elements = append(c.Elements, divElement{Tag: "div", Text: plainText{Tag: "plain_text", Content: "已选择：" + choice}})
	b, _ := marshal(c) // plain structs: cannot fail
	return b
}

// marshal encodes v as Feishu reads it, without HTML escapes.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// cardText splits text into a header title and a body. The title is the
// first non-blank line without markdown heading marks ('#') or bold stars;
// a first line too long for a title goes on in the body after "…".
func cardText(text string) (title, body string) {
	text = strings.TrimSpace(text)
	first, rest, _ := strings.Cut(text, "\n")
	first = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(first), "#"))
	if strings.HasPrefix(first, "**") && strings.HasSuffix(first, "**") && len(first) > 4 {
		first = strings.TrimSpace(first[2 : len(first)-2])
	}
	rest = strings.TrimSpace(rest)
	if utf8.RuneCountInString(first) > maxTitleRunes {
		r := []rune(first)
		tail := "…" + string(r[maxTitleRunes-1:])
		if rest != "" {
			tail += "\n" + rest
		}
		first, rest = string(r[:maxTitleRunes-1])+"…", tail
	}
	return first, rest
}

// headerTemplate colours a header red when its title is about a stock-out,
// a price violation or a warning, else blue.
func headerTemplate(title string) string {
	for _, w := range []string{"断货", "乱价", "⚠"} {
		if strings.Contains(title, w) {
			return templateRed
		}
	}
	return templateBlue
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"channelbot/bot"
	"channelbot/bot/parser"
	"channelbot/models"
)

// scriptLine is a chat or parse input line given as JSON: it sets the sender and the
// clock for that line.
type scriptLine struct {
	As   string `json:"as"`
	Now  string `json:"now"`
	Text string `json:"text"`
}

// lines calls fn for each non-blank input line, decoding JSON lines. Interactive
// sessions get a prompt. A line that starts like JSON but is not valid JSON is
// reported with its number, on stderr and as a JSON line {"line":N,"error":"…"} on
// stdout, and the session goes on.
func (e *environment) lines(ctx context.Context, prompt bool, fn func(line scriptLine, isJSON bool) error) error {
	sc := bufio.NewScanner(e.stdin)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; ; n++ {
		if prompt {
			fmt.Fprint(e.stdout, "> ")
		}
		if !sc.Scan() {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		raw := strings.TrimSpace(sc.Text())
		if raw == "" {
			continue
		}
		var l scriptLine
		isJSON := strings.HasPrefix(raw, "{")
		if isJSON {
			if err := json.Unmarshal([]byte(raw), &l); err != nil {
				problem := fmt.Sprintf("line %d is not valid JSON (%v); skipped", n, err)
				fmt.Fprintln(e.stderr, problem)
				if err := json.NewEncoder(e.stdout).Encode(lineError{Line: n, Error: problem}); err != nil {
					return err
				}
				continue
			}
		} else {
			l.Text = raw
		}
		if err := fn(l, isJSON); err != nil {
			return err
		}
	}
	return sc.Err()
}

// lineError is the output line for an input line that could not be read.
type lineError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// chatCmd is the command line of chat.
var chatCmd = command{name: "chat", demo: true, clock: true, optional: []string{"USER_ID"},
	usage: `usage: channelbot chat [--as USER_ID | USER_ID] [--now T] [--db DSN] [--no-demo]

Talk to the bot as USER_ID (default: the first rep), through the same code path a
webhook uses. Piped input is one message per line; a JSON line
{"as":"R01","now":"2026-11-23T09:00:00+08:00","text":"…"} sets the sender and the
time of that line and gets one JSON line of replies. --now T (RFC 3339) is the time
of the messages that name none.`}

// chat talks to the bot as a user, through the same Handle a webhook uses.
func (e *environment) chat(ctx context.Context, args []string) error {
	var c commonFlags
	var as string
	cmd := chatCmd
	cmd.flags = func(fs *flag.FlagSet) {
		fs.StringVar(&as, "as", "", "the user ID to talk as (default: the first rep)")
	}
	pos, err := e.cmdline(cmd, args, &c)
	if err != nil {
		return err
	}
	if len(pos) == 1 {
		if as != "" && as != pos[0] {
			return e.usageError(cmd, fmt.Sprintf("--as %s and %s name two users: name one", as, pos[0]))
		}
		as = pos[0]
	}
	a, err := e.openApp(ctx, c)
	if err != nil {
		return err
	}
	defer a.close()
	cat := a.bot.Catalog(ctx)
	if as == "" {
		as = defaultUser(cat)
	}
	interactive := isTerminal(e.stdin)
	if interactive {
		if u := cat.User(as); u != nil {
			fmt.Fprintf(e.stdout, "你好，我是渠道助手。你现在是 %s（%s）。发「帮助」看看怎么报，Ctrl-D 退出。\n", u.Name, u.ID)
		} else {
			fmt.Fprintf(e.stdout, "用户 %s 不在名单里，机器人会把你当作未登记用户。\n", as)
		}
	}
	return e.lines(ctx, interactive, func(l scriptLine, isJSON bool) error {
		from := as
		if l.As != "" {
			from = l.As
		}
		at, err := e.parseTime(l.Now, a.cfg.Timezone)
		if err != nil {
			return err
		}
		out, err := a.bot.Handle(ctx, bot.Inbound{Platform: models.PlatformConsole, From: from, Text: l.Text, At: at})
		if err != nil {
			a.log.ErrorContext(ctx, "chat message failed", "error", err)
		}
		if isJSON {
			return json.NewEncoder(e.stdout).Encode(chatOutput{Replies: nonNil(out.Replies), Notices: noticesOut(out.Notices)})
		}
		for _, r := range out.Replies {
			fmt.Fprintln(e.stdout, r)
			fmt.Fprintln(e.stdout)
		}
		for _, n := range out.Notices {
			fmt.Fprintf(e.stdout, "📨 发给 %s：\n%s\n\n", n.UserID, n.Text)
		}
		return nil
	})
}

// chatOutput is one JSON line of a scripted chat.
type chatOutput struct {
	Replies []string     `json:"replies"`
	Notices []chatNotice `json:"notices,omitempty"`
}

type chatNotice struct {
	To   string `json:"to"`
	Text string `json:"text"`
}

func noticesOut(ns []models.Notice) []chatNotice {
	var out []chatNotice
	for _, n := range ns {
		out = append(out, chatNotice{To: n.UserID, Text: n.Text})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// defaultUser is the first rep, for a chat started without --as.
func defaultUser(cat *parser.Catalog) string {
	if id := cat.FirstUser(models.RoleRep); id != "" {
		return id
	}
	return "R01"
}

// parseOutput is the JSON form of a parse, one object per input line.
type parseOutput struct {
	Intent     parser.Intent `json:"intent"`
	Customer   *string       `json:"customer"`
	Candidates []string      `json:"candidates"`
	Items      []parseItem   `json:"items"`
	Price      *float64      `json:"price"`
	Date       *string       `json:"date"`
	Note       string        `json:"note"`
	Errors     []string      `json:"errors"`
	Place      string        `json:"place,omitempty"`
	Brand      string        `json:"brand,omitempty"`
	Customers  []string      `json:"customers,omitempty"` // further customers of a plan
	Guesses    []string      `json:"guesses,omitempty"`   // "typed→meant"
}

type parseItem struct {
	Product string   `json:"product"`
	Qty     *float64 `json:"qty"`
	Unit    string   `json:"unit"`
}

func toParseOutput(r *parser.Result) parseOutput {
	out := parseOutput{Intent: r.Intent, Candidates: []string{}, Items: []parseItem{}, Note: r.Note, Errors: []string{},
		Place: r.Place, Brand: r.Brand}
	for _, cu := range r.Customers {
		out.Customers = append(out.Customers, cu.Code)
	}
	for _, g := range r.Guesses {
		out.Guesses = append(out.Guesses, g.Typed+"→"+g.Meant)
	}
	if r.Customer != nil {
		out.Customer = &r.Customer.Code
	}
	for _, cu := range r.Candidates {
		out.Candidates = append(out.Candidates, cu.Code)
	}
	for _, it := range r.Items {
		pi := parseItem{Product: it.Product.Code, Unit: it.Product.Unit}
		if it.HasQty {
			q := it.Product.Cases(it.Pieces)
			pi.Qty = &q
		}
		out.Items = append(out.Items, pi)
	}
	if r.Price != nil {
		p := float64(*r.Price) / 100
		out.Price = &p
	}
	if r.Date != nil {
		d := r.Date.String()
		out.Date = &d
	}
	for _, p := range r.Problems {
		s := p.Code
		if p.Text != "" {
			s += ": " + p.Text
		}
		out.Errors = append(out.Errors, s)
	}
	return out
}

// parseCmd is the command line of parse.
var parseCmd = command{name: "parse", clock: true,
	usage: `usage: channelbot parse [--as USER_ID] [--now T] [--db DSN]

Print how each line of standard input is understood, as one JSON line each, storing
nothing. A JSON input line {"as":"R01","now":"…","text":"…"} sets the sender and the
time of that line.`}

// parse prints how each input message is understood, storing nothing.
func (e *environment) parse(ctx context.Context, args []string) error {
	var c commonFlags
	var as string
	cmd := parseCmd
	cmd.flags = func(fs *flag.FlagSet) {
		fs.StringVar(&as, "as", "", "the sender's user ID (default: the first rep)")
	}
	if _, err := e.cmdline(cmd, args, &c); err != nil {
		return err
	}
	c.noDemo = true
	a, err := e.openApp(ctx, c)
	if err != nil {
		return err
	}
	defer a.close()
	cat := a.bot.Catalog(ctx)
	if as == "" {
		as = defaultUser(cat)
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	return e.lines(ctx, false, func(l scriptLine, _ bool) error {
		from := as
		if l.As != "" {
			from = l.As
		}
		t, err := e.parseTime(l.Now, a.cfg.Timezone)
		if err != nil {
			return err
		}
		return enc.Encode(toParseOutput(cat.Parse(l.Text, cat.User(from), t)))
	})
}

package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"channelbot/bot/parser"
	"channelbot/models"
)

// pendingTTL is how long a question waits for its answer.
const pendingTTL = 10 * time.Minute

// pendingKeep is how long a question is kept in the state store: well past
// pendingTTL, so that the rep's next message after it lapsed can say what was not
// saved.
const pendingKeep = 24 * time.Hour

const convVersion = 1

// conversation is what the bot remembers about a chat between messages.
type conversation struct {
	Version int      `json:"v"`
	Pending *pending `json:"pending,omitempty"`
}

// pending is a report waiting for an answer: a confirmation or a choice of customer.
// It keeps the original text, which is parsed again when the answer comes.
type pending struct {
	Kind       string    `json:"kind"` // pendingConfirm or pendingChoose
	Text       string    `json:"text"`
	At         time.Time `json:"at"`
	Candidates []string  `json:"candidates,omitempty"` // customer codes, for pendingChoose
	Customer   string    `json:"customer,omitempty"`   // chosen customer code
	GuessesOK  bool      `json:"guesses_ok,omitempty"` // near names were confirmed
	// MessageID is the stored message the report came from, which the report is
	// linked to when the answer completes it.
	MessageID int64 `json:"message_id,omitempty"`
	// AskedAt is when the question was asked (the time of the message that asked it);
	// the question lapses pendingTTL after it.
	AskedAt time.Time `json:"asked_at,omitempty"`
	// Only are the product codes a confirmation is about: the other products of
	// the count were saved at once.
	Only []string `json:"only,omitempty"`
	// What says what waits, for the rep: "张记商贸 苹果汁1L 200箱".
	What string `json:"what,omitempty"`
}

// what says what the question keeps waiting, as the rep wrote it when nothing shorter is known.
func (p *pending) what() string {
	if p.What != "" {
		return p.What
	}
	return "「" + p.Text + "」"
}

// expired reports whether the question lapsed before now, by message time: state
// TTLs run on the server's clock, which need not be the messages' clock.
func (p *pending) expired(now time.Time) bool {
	asked := p.AskedAt
	if asked.IsZero() {
		asked = p.At
	}
	return now.Sub(asked) > pendingTTL
}

const (
	pendingConfirm = "confirm" // an implausible count
	pendingGuess   = "guess"   // names read as near names
	pendingChoose  = "choose"  // which of several customers
)

// turn is the handling of one message from a known user.
type turn struct {
	bot  *Bot
	ctx  context.Context
	user *models.User
	in   Inbound
	ex   *models.Exchange
	log  *slog.Logger

	cat      *parser.Catalog
	prefix   string   // said before the replies, such as "the question before was dropped"
	ask      *pending // a question to remember once the exchange is saved
	visiting string   // the customer code of a visit begun, to remember
	// fromVisit is the customer of the visit in progress when the message named
	// none: the receipt says so, so that a misfiling shows at once.
	fromVisit *models.Customer
	// fromVisitWhere says the report's kind takes a customer or a place (冲货, 竞品)
	// and it named neither.
	fromVisitWhere bool
	// notes are lines added to the receipt: where the customer came from, whose it is.
	notes   []string
	unvisit string // the customer code of a visit undone, to forget
	origMsg int64  // the stored message a redone report came from; 0 for this one
	replies []string
}

func (t *turn) convKey() string { return "conv:" + t.in.Platform + ":" + t.in.From }

// run decides the replies and the records of the turn's message.
func (t *turn) run() error {
	if t.user.Role == models.RoleDealer {
		return t.dealer()
	}
	if !t.user.Role.CanReport() {
		t.ex.Replies = fixed(msgDealerRefused)
		return nil
	}
	raw, conv, err := t.loadConversation()
	if err != nil {
		return err
	}
	res := t.cat.Parse(t.in.Text, t.user, t.in.At)
	isAnswer := res.Intent == parser.IntentConfirm || res.Intent == parser.IntentCancel || res.Intent == parser.IntentChoice
	if p := conv.Pending; p != nil {
		switch {
		case p.expired(t.in.At):
			// Say what was lost, once: with whatever the rep sends next.
			claimed, err := t.bot.state.CompareAndDelete(t.ctx, t.convKey(), raw)
			if err != nil {
				return fmt.Errorf("bot: claim pending: %w", err)
			}
			if claimed {
				t.prefix = fmt.Sprintf(msgPendingExpired, p.what())
				if isAnswer {
					t.ex.Replies = t.render(nil)
					return nil
				}
			}
		case isAnswer || p.Kind != pendingConfirm:
			// An answer, or any message for other questions, settles it: claim it
			// first, so that two answers on two replicas cannot both complete it.
			claimed, err := t.bot.state.CompareAndDelete(t.ctx, t.convKey(), raw)
			if err != nil {
				return fmt.Errorf("bot: claim pending: %w", err)
			}
			if claimed {
				return t.answer(p, res)
			}
		default:
			// A count waiting for 确认 stays open across unrelated messages.
			return t.besides(p, raw, res)
		}
	}
	if isAnswer {
		t.ex.Replies = fixed(msgNothingPending)
		return nil
	}
	return t.handle(res, handleOpts{})
}

// besides handles a message sent while the count confirmation p is open. The
// question stays open unless this message asks one of its own (then p is dropped,
// and the rep told what was not saved) or counts the same products at the same
// customer again (then the new numbers win).
func (t *turn) besides(p *pending, raw []byte, res *parser.Result) error {
	if err := t.handle(res, handleOpts{}); err != nil {
		return err
	}
	recount := false
	if r := t.ex.Report; r != nil && r.Kind == models.KindStockCount && r.CustomerID != nil {
		if cu := t.cat.Customer(p.Customer); cu != nil && cu.ID == *r.CustomerID {
			for _, c := range t.ex.Counts {
				if pr := t.cat.ProductByID(c.ProductID); pr != nil && slices.Contains(p.Only, pr.Code) {
					recount = true
				}
			}
		}
	}
	switch {
	case t.ask != nil:
		// remember replaces the question.
		t.prefix = fmt.Sprintf(msgPendingDropped, p.what())
	case recount:
		if _, err := t.bot.state.CompareAndDelete(t.ctx, t.convKey(), raw); err != nil {
			return fmt.Errorf("bot: drop pending: %w", err)
		}
		t.prefix = fmt.Sprintf(msgPendingRecounted, p.what())
	}
	return nil
}

// answer completes, cancels or drops the pending question p with the new message res.
func (t *turn) answer(p *pending, res *parser.Result) error {
	switch {
	case res.Intent == parser.IntentCancel:
		t.ex.Replies = fixed(msgCancelled)
		return nil
	case res.Intent == parser.IntentConfirm && p.Kind == pendingConfirm:
		return t.redo(p, handleOpts{confirmed: true, guessesOK: true, customer: p.Customer, only: p.Only})
	case res.Intent == parser.IntentConfirm && p.Kind == pendingPublish:
		return t.redo(p, handleOpts{confirmed: true})
	case res.Intent == parser.IntentConfirm && p.Kind == pendingGuess:
		return t.redo(p, handleOpts{guessesOK: true, customer: p.Customer})
	case res.Intent == parser.IntentChoice && p.Kind == pendingChoose:
		if res.Choice < 1 || res.Choice > len(p.Candidates) {
			t.ask = p // keep asking
			t.ex.Replies = fixed(fmt.Sprintf(msgBadChoice, len(p.Candidates)))
			return nil
		}
		return t.redo(p, handleOpts{customer: p.Candidates[res.Choice-1], guessesOK: p.GuessesOK})
	case res.Intent == parser.IntentConfirm || res.Intent == parser.IntentChoice:
		t.ask = p
		t.ex.Replies = fixed(msgAnswerMismatch)
		return nil
	}
	t.prefix = fmt.Sprintf(msgPendingDropped, p.what())
	return t.handle(res, handleOpts{})
}

// redo handles the pending report again, as of when it was sent, with the answer applied.
func (t *turn) redo(p *pending, opts handleOpts) error {
	t.in.At, t.in.Text = p.At.In(t.bot.loc), p.Text
	t.origMsg = p.MessageID
	if err := t.handle(t.cat.Parse(p.Text, t.user, t.in.At), opts); err != nil {
		return err
	}
	if r := t.ex.Report; r != nil && p.MessageID != 0 {
		// The report is the original message's, not the answer's.
		id := p.MessageID
		r.MessageID = &id
	}
	return nil
}

type handleOpts struct {
	confirmed bool     // an implausible count was confirmed
	guessesOK bool     // names read as near names were confirmed
	customer  string   // the customer chosen for an ambiguous name
	only      []string // product codes: a confirmed count saves only these
}

// handle answers a parsed message.
func (t *turn) handle(res *parser.Result, opts handleOpts) error {
	if opts.customer != "" {
		if cu := t.cat.Customer(opts.customer); cu != nil {
			res.Customer, res.Candidates = cu, nil
			res.Problems = dropProblem(res.Problems, parser.ProblemCustomerUnknown)
		}
	}
	switch res.Intent {
	case parser.IntentHelp:
		t.reply(helpText(res.Topic))
		return nil
	case parser.IntentUnknown:
		t.reply(msgUnknown)
		return nil
	case parser.IntentUndo:
		return t.undo()
	case parser.IntentEdit:
		return t.edit()
	case parser.IntentPublish:
		return t.publish(res, opts)
	case parser.IntentPolicy:
		return t.policyStatus()
	case parser.IntentDone:
		return t.keepPromise(res)
	}
	if err := t.applyVisit(res); err != nil {
		return err
	}
	if res.Intent == parser.IntentQuery && res.Customer == nil && len(res.Candidates) == 0 && res.Complete() {
		t.reply(msgQueryWhom)
		return nil
	}
	if !res.Complete() {
		t.reply(problemText(res))
		return nil
	}
	if len(res.Candidates) > 0 {
		t.askCustomer(res, opts)
		return nil
	}
	if len(res.Guesses) > 0 && !opts.guessesOK {
		t.ask = &pending{Kind: pendingGuess, Text: t.in.Text, At: t.in.At}
		if res.Customer != nil {
			t.ask.Customer = res.Customer.Code
		}
		t.reply(guessText(res))
		return nil
	}
	if res.Intent == parser.IntentQuery {
		return t.query(res)
	}
	t.noteOwner(res.Customer)
	k, ok := parser.KindOf(res.Intent)
	if !ok {
		return fmt.Errorf("bot: intent %q is no report", res.Intent)
	}
	switch res.Intent {
	case parser.IntentStockCount:
		return t.saveCount(k, res, opts)
	case parser.IntentPurchase:
		t.savePurchase(k, res)
	default:
		t.saveReport(k, res)
	}
	return nil
}

// noteOwner adds to the receipt whose customer cu is, when it is another rep's: a
// rep reporting at a colleague's shop sees it at once.
func (t *turn) noteOwner(cu *models.Customer) {
	if cu == nil || t.user.Role != models.RoleRep || cu.OwnerID == "" || cu.OwnerID == t.user.ID {
		return
	}
	t.notes = append(t.notes, fmt.Sprintf("👤 %s（%s 的客户）", cu.Name, cu.OwnerID))
}

func dropProblem(ps []parser.Problem, code string) []parser.Problem {
	out := ps[:0]
	for _, p := range ps {
		if p.Code != code {
			out = append(out, p)
		}
	}
	return out
}

// askCustomer asks which of several customers an ambiguous name means.
func (t *turn) askCustomer(res *parser.Result, opts handleOpts) {
	p := &pending{Kind: pendingChoose, Text: t.in.Text, At: t.in.At, GuessesOK: opts.guessesOK}
	for _, cu := range res.Candidates {
		p.Candidates = append(p.Candidates, cu.Code)
	}
	t.ask = p
	t.reply(chooseText(res))
}

// receiptNotes are the lines added to a receipt: the customer taken from the visit
// in progress, and notes.
func (t *turn) receiptNotes() string {
	lines := slices.Clone(t.notes)
	if cu := t.fromVisit; cu != nil {
		what := "客户"
		if t.fromVisitWhere {
			what = "在哪里"
		}
		lines = append(lines, fmt.Sprintf("📍 没写%s，按正在拜访的 %s 记。不对请回复「撤销」后重发。", what, cu.Name))
	}
	return strings.Join(lines, "\n")
}

func (t *turn) reply(text string) {
	t.replies = append(t.replies, text)
	t.ex.Replies = t.render(nil)
}

// render returns the replies, with the first one rendered by withID once the
// report has its number.
func (t *turn) render(withID func(int64) string) func(int64) []string {
	return func(id int64) []string {
		out := make([]string, 0, len(t.replies)+2)
		if t.prefix != "" {
			out = append(out, t.prefix)
		}
		if withID != nil {
			first := withID(id)
			if n := t.receiptNotes(); n != "" {
				first += "\n" + n
			}
			out = append(out, first)
		}
		return append(out, t.replies...)
	}
}

func (t *turn) loadConversation() ([]byte, *conversation, error) {
	conv := &conversation{Version: convVersion}
	raw, ok, err := t.bot.state.Get(t.ctx, t.convKey())
	if err != nil {
		return nil, nil, fmt.Errorf("bot: load conversation: %w", err)
	}
	if !ok {
		return nil, conv, nil
	}
	if err := json.Unmarshal(raw, conv); err != nil || conv.Version != convVersion {
		t.log.WarnContext(t.ctx, "conversation state unreadable, starting afresh", "error", err)
		return raw, &conversation{Version: convVersion}, nil
	}
	return raw, conv, nil
}

// remember saves the question the turn asked and the visit it began, after its
// exchange was stored.
func (t *turn) remember() error {
	if t.unvisit != "" {
		if err := t.forgetVisit(t.unvisit); err != nil {
			return err
		}
	}
	if t.visiting != "" {
		if err := t.bot.state.Set(t.ctx, t.visitKey(), t.visitValue(), t.visitTTL()); err != nil {
			return fmt.Errorf("bot: save visit: %w", err)
		}
	}
	if t.ask == nil {
		return nil
	}
	if t.ask.MessageID == 0 {
		t.ask.MessageID = t.origMsg
		if t.ask.MessageID == 0 {
			t.ask.MessageID = t.ex.In.ID
		}
	}
	t.ask.AskedAt = t.ex.In.CreatedAt
	b, err := json.Marshal(&conversation{Version: convVersion, Pending: t.ask})
	if err != nil {
		return fmt.Errorf("bot: save conversation: %w", err)
	}
	if err := t.bot.state.Set(t.ctx, t.convKey(), b, pendingKeep); err != nil {
		return fmt.Errorf("bot: save conversation: %w", err)
	}
	return nil
}

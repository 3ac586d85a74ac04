package feishu

import "strings"

// The bot keeps one ID per inbound message (bot.Inbound.MsgID), stored with
// the message and handed back to the sender as outbox.Outgoing.ReplyTo. Feishu
// answers a group message by quoting it (the reply API) and a private one by
// writing to the sender's open_id, so the ID also says which:
//
//	om_x                 a private message om_x: reply to the sender's open_id
//	g:om_x               a group message om_x: reply quoting om_x
//	card:<event_id>      a click on a card in a private chat
//	g:om_c#card:<event>  a click on card om_c in a group: reply quoting the card
//
// The card forms are unique per click; the group forms start with "g:" and
// hold, up to any '#', the message to quote.
const (
	groupPrefix = "g:"
	clickPrefix = "card:"
)

// InboundID returns the bot.Inbound.MsgID of m.
func InboundID(m *Message) string {
	if m.Group() {
		return groupPrefix + m.MessageID
	}
	return m.MessageID
}

// ClickID returns the bot.Inbound.MsgID of a click on card cardMessageID,
// with callback event eventID; group tells whether the card is in a group
// (see IsGroupRef).
func ClickID(eventID, cardMessageID string, group bool) string {
	if group && cardMessageID != "" {
		return groupPrefix + cardMessageID + "#" + clickPrefix + eventID
	}
	return clickPrefix + eventID
}

// IsGroupRef reports whether an ID made by InboundID or ClickID (as an
// outbox row's quote holds it) belongs to a group chat.
func IsGroupRef(id string) bool { return strings.HasPrefix(id, groupPrefix) }

// quoteTarget returns the message a reply to ref must quote, and false when
// the reply goes to the recipient's open_id instead.
func quoteTarget(ref string) (string, bool) {
	rest, ok := strings.CutPrefix(ref, groupPrefix)
	if !ok {
		return "", false
	}
	id, _, _ := strings.Cut(rest, "#")
	return id, id != ""
}

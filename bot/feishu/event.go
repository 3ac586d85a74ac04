package feishu

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
)

// Message types and chat types of im.message.receive_v1 the bot tells apart.
// Others (file, audio, media, sticker, interactive, share_chat, …) parse
// too, with the common fields only.
const (
	MsgTypeText  = "text"
	MsgTypePost  = "post"
	MsgTypeImage = "image"

	ChatTypeP2P        = "p2p"
	ChatTypeGroup      = "group"
	ChatTypeTopicGroup = "topic_group"
)

// Message is a received message (接收消息 im.message.receive_v1,
// https://open.feishu.cn/document/server-docs/im-v1/message/events/receive).
type Message struct {
	EventID      string
	AppID        string
	MessageID    string // om_…: what replies quote and what dedup keys on
	ChatID       string // oc_…
	ChatType     string // ChatTypeP2P, ChatTypeGroup or ChatTypeTopicGroup
	MsgType      string // MsgTypeText, MsgTypePost, MsgTypeImage, …
	SenderOpenID string // ou_…: who the bot talks to
	SenderType   string // "user" for people
	// Text is what a text or post message says: the post's title and text
	// runs, one paragraph a line, with every @-mention removed.
	Text       string
	ImageKey   string // for MsgTypeImage
	Mentions   []Mention
	CreateTime time.Time
}

// Mention is one @ in a message: Key is the placeholder in the text
// ("@_user_1"), OpenID and Name who it is.
type Mention struct {
	Key, OpenID, Name string
}

// Group reports whether the message was sent in a group chat.
func (m *Message) Group() bool { return m.ChatType != ChatTypeP2P }

// ParseMessage parses the plaintext of an im.message.receive_v1 event
// (Event.Body). It requires a message_id, a message_type and the sender's
// open_id; errors wrap ErrJSON.
func ParseMessage(body []byte) (*Message, error) {
	var ev larkim.P2MessageReceiveV1
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fmt.Errorf("feishu: message: %w: %v", ErrJSON, err)
	}
	return messageFrom(&ev)
}

// messageFrom converts the SDK's event model, as the long connection's
// dispatcher also gives it.
func messageFrom(ev *larkim.P2MessageReceiveV1) (*Message, error) {
	if ev == nil || ev.Event == nil || ev.Event.Message == nil || ev.Event.Sender == nil || ev.Event.Sender.SenderId == nil {
		return nil, fmt.Errorf("feishu: message: %w: no message or sender", ErrJSON)
	}
	em, es := ev.Event.Message, ev.Event.Sender
	m := &Message{
		MessageID:    str(em.MessageId),
		ChatID:       str(em.ChatId),
		ChatType:     str(em.ChatType),
		MsgType:      str(em.MessageType),
		SenderOpenID: str(es.SenderId.OpenId),
		SenderType:   str(es.SenderType),
		CreateTime:   parseTime(str(em.CreateTime)),
	}
	if ev.EventV2Base != nil && ev.EventV2Base.Header != nil {
		m.EventID, m.AppID = ev.EventV2Base.Header.EventID, ev.EventV2Base.Header.AppID
	}
	if m.MessageID == "" || m.MsgType == "" || m.SenderOpenID == "" {
		return nil, fmt.Errorf("feishu: message: %w: no message_id, message_type or sender open_id", ErrJSON)
	}
	if m.ChatType == "" {
		m.ChatType = ChatTypeP2P
	}
	for _, mn := range em.Mentions {
		if mn == nil {
			continue
		}
		x := Mention{Key: str(mn.Key), Name: str(mn.Name)}
		if mn.Id != nil {
			x.OpenID = str(mn.Id.OpenId)
		}
		m.Mentions = append(m.Mentions, x)
	}
	content := []byte(str(em.Content))
	switch m.MsgType {
	case MsgTypeText:
		var c struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(content, &c); err != nil {
			return nil, fmt.Errorf("feishu: message %s: text content: %w: %v", m.MessageID, ErrJSON, err)
		}
		m.Text = stripMentions(c.Text, m.Mentions)
	case MsgTypePost:
		text, err := postText(content)
		if err != nil {
			return nil, fmt.Errorf("feishu: message %s: post content: %w: %v", m.MessageID, ErrJSON, err)
		}
		m.Text = stripMentions(text, m.Mentions)
	case MsgTypeImage:
		var c struct {
			ImageKey string `json:"image_key"`
		}
		if err := json.Unmarshal(content, &c); err != nil || c.ImageKey == "" {
			return nil, fmt.Errorf("feishu: message %s: image content: %w: no image_key", m.MessageID, ErrJSON)
		}
		m.ImageKey = c.ImageKey
	}
	return m, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// post is a rich-text message: received posts have title and content at the
// top; sent ones (and some clients) wrap them in a locale (zh_cn, en_us, …).
type post struct {
	Title   string      `json:"title"`
	Content [][]postRun `json:"content"`
}

type postRun struct {
	Tag    string `json:"tag"`
	Text   string `json:"text"`
	UserID string `json:"user_id"` // for tag "at": the mention key
}

// postText concatenates a post's text runs: the title, then each paragraph
// on a line of its own. Links keep their text; mentions, images and emoji
// are left out.
func postText(content []byte) (string, error) {
	var p post
	if err := json.Unmarshal(content, &p); err != nil {
		return "", err
	}
	if p.Content == nil {
		var byLocale map[string]json.RawMessage
		if err := json.Unmarshal(content, &byLocale); err != nil {
			return "", err
		}
		for _, loc := range []string{"zh_cn", "en_us", "ja_jp"} {
			if raw, ok := byLocale[loc]; ok {
				if err := json.Unmarshal(raw, &p); err != nil {
					return "", err
				}
				break
			}
		}
	}
	var lines []string
	if t := strings.TrimSpace(p.Title); t != "" {
		lines = append(lines, t)
	}
	for _, para := range p.Content {
		var b strings.Builder
		for _, r := range para {
			switch r.Tag {
			case "text", "a", "code_block", "md":
				b.WriteString(r.Text)
			case "at":
				b.WriteString(" ")
			}
		}
		lines = append(lines, b.String())
	}
	return strings.Join(lines, "\n"), nil
}

// mentionKey matches the placeholders Feishu puts in text for mentions.
var mentionKey = regexp.MustCompile(`@_user_\d+|@_all`)

// stripMentions removes the @-mention placeholders from text and tidies the
// spaces they leave, line by line.
func stripMentions(text string, mentions []Mention) string {
	for _, m := range mentions {
		if m.Key != "" {
			text = strings.ReplaceAll(text, m.Key, " ")
		}
	}
	text = mentionKey.ReplaceAllString(text, " ")
	lines := strings.Split(text, "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// CardAction is a click on a card button (卡片回传交互 card.action.trigger,
// platforms.md §3.8).
type CardAction struct {
	EventID        string
	AppID          string
	OperatorOpenID string // who clicked
	// Key is what the button answers (the value's "key"), Outbox the outbox
	// row of the card (the value's "outbox"), 0 when the card has none.
	Key    string
	Outbox int64
	// OpenMessageID and OpenChatID are the card's message and chat.
	OpenMessageID string
	OpenChatID    string
	// Token allows a delayed update of the card (interactive/v1/card/update).
	Token string
}

// ParseCardAction parses the plaintext of a card.action.trigger callback
// (Event.Body). It requires the operator's open_id; errors wrap ErrJSON.
func ParseCardAction(body []byte) (*CardAction, error) {
	var ev callback.CardActionTriggerEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fmt.Errorf("feishu: card action: %w: %v", ErrJSON, err)
	}
	return cardActionFrom(&ev)
}

func cardActionFrom(ev *callback.CardActionTriggerEvent) (*CardAction, error) {
	if ev == nil || ev.Event == nil || ev.Event.Operator == nil || ev.Event.Operator.OpenID == "" {
		return nil, fmt.Errorf("feishu: card action: %w: no operator", ErrJSON)
	}
	a := &CardAction{OperatorOpenID: ev.Event.Operator.OpenID, Token: ev.Event.Token}
	if ev.EventV2Base != nil && ev.EventV2Base.Header != nil {
		a.EventID, a.AppID = ev.EventV2Base.Header.EventID, ev.EventV2Base.Header.AppID
	}
	if c := ev.Event.Context; c != nil {
		a.OpenMessageID, a.OpenChatID = c.OpenMessageID, c.OpenChatID
	}
	if act := ev.Event.Action; act != nil {
		a.Key = valueString(act.Value["key"])
		if id, err := strconv.ParseInt(valueString(act.Value["outbox"]), 10, 64); err == nil && id > 0 {
			a.Outbox = id
		}
	}
	return a, nil
}

// valueString reads a button value field, a string or a number.
func valueString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	}
	return ""
}

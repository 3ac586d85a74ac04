package feishu

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func event(message string) []byte {
	return []byte(`{"schema":"2.0","header":{"event_id":"ev1","event_type":"im.message.receive_v1","create_time":"1774004597216","token":"t","app_id":"cli_1"},
	"event":{"sender":{"sender_id":{"open_id":"ou_r01li","union_id":"on_1"},"sender_type":"user","tenant_key":"tk"},
	"message":` + message + `}}`)
}

func TestParseMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		message string
		want    Message
	}{
		{"private text", `{"message_id":"om_1","chat_id":"oc_1","chat_type":"p2p","message_type":"text","content":"{\"text\":\"盘点 张老板 苹果汁 120\"}","create_time":"1774004597216"}`,
			Message{MessageID: "om_1", ChatID: "oc_1", ChatType: "p2p", MsgType: "text", Text: "盘点 张老板 苹果汁 120"}},
		{"group text, mention stripped", `{"message_id":"om_2","chat_id":"oc_g","chat_type":"group","message_type":"text",
			"content":"{\"text\":\"@_user_1 盘点  张老板 苹果汁 5 @_user_2\"}","mentions":[{"key":"@_user_1","id":{"open_id":"ou_bot"},"name":"渠道助手"},{"key":"@_user_2","id":{"open_id":"ou_x"},"name":"张三"}]}`,
			Message{MessageID: "om_2", ChatID: "oc_g", ChatType: "group", MsgType: "text", Text: "盘点 张老板 苹果汁 5",
				Mentions: []Mention{{"@_user_1", "ou_bot", "渠道助手"}, {"@_user_2", "ou_x", "张三"}}}},
		{"post: title and text runs", `{"message_id":"om_3","chat_type":"p2p","message_type":"post",
			"content":"{\"title\":\"日报\",\"content\":[[{\"tag\":\"at\",\"user_id\":\"@_user_1\"},{\"tag\":\"text\",\"text\":\"盘点 张老板\"},{\"tag\":\"text\",\"text\":\" 苹果汁 9\"}],[{\"tag\":\"img\",\"image_key\":\"img_1\"}],[{\"tag\":\"a\",\"href\":\"https://x\",\"text\":\"链接\"}]]}","mentions":[{"key":"@_user_1","id":{"open_id":"ou_bot"},"name":"bot"}]}`,
			Message{MessageID: "om_3", ChatType: "p2p", MsgType: "post", Text: "日报\n盘点 张老板 苹果汁 9\n链接", Mentions: []Mention{{"@_user_1", "ou_bot", "bot"}}}},
		{"post in a locale", `{"message_id":"om_4","chat_type":"p2p","message_type":"post","content":"{\"zh_cn\":{\"title\":\"\",\"content\":[[{\"tag\":\"text\",\"text\":\"进货 张老板 苹果汁 10\"}]]}}"}`,
			Message{MessageID: "om_4", ChatType: "p2p", MsgType: "post", Text: "进货 张老板 苹果汁 10"}},
		{"image", `{"message_id":"om_5","chat_type":"p2p","message_type":"image","content":"{\"image_key\":\"img_v2_abc\"}"}`,
			Message{MessageID: "om_5", ChatType: "p2p", MsgType: "image", ImageKey: "img_v2_abc"}},
		{"sticker: unsupported, parses", `{"message_id":"om_6","chat_type":"p2p","message_type":"sticker","content":"{\"file_key\":\"f\"}"}`,
			Message{MessageID: "om_6", ChatType: "p2p", MsgType: "sticker"}},
		{"no chat_type: private", `{"message_id":"om_7","message_type":"text","content":"{\"text\":\"hi\"}"}`,
			Message{MessageID: "om_7", ChatType: "p2p", MsgType: "text", Text: "hi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMessage(event(tt.message))
			if err != nil {
				t.Fatal(err)
			}
			if m.SenderOpenID != "ou_r01li" || m.SenderType != "user" || m.EventID != "ev1" || m.AppID != "cli_1" {
				t.Errorf("sender/header = %+v", m)
			}
			got := *m
			got.SenderOpenID, got.SenderType, got.EventID, got.AppID, got.CreateTime = "", "", "", "", time.Time{}
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(tt.want)
			if string(gj) != string(wj) {
				t.Errorf("ParseMessage =\n%s\nwant\n%s", gj, wj)
			}
		})
	}
	m, _ := ParseMessage(event(tests[0].message))
	if !m.CreateTime.Equal(time.UnixMilli(1774004597216)) {
		t.Errorf("CreateTime = %v", m.CreateTime)
	}
}

func TestParseMessageRejects(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"not JSON":          `{`,
		"no message":        `{"schema":"2.0","event":{"sender":{"sender_id":{"open_id":"ou_1"}}}}`,
		"no sender":         `{"schema":"2.0","event":{"message":{"message_id":"om_1","message_type":"text","content":"{}"}}}`,
		"no message_id":     string(event(`{"message_type":"text","content":"{\"text\":\"x\"}"}`)),
		"text not JSON":     string(event(`{"message_id":"om_1","message_type":"text","content":"hi"}`)),
		"image without key": string(event(`{"message_id":"om_1","message_type":"image","content":"{}"}`)),
		"post not a post":   string(event(`{"message_id":"om_1","message_type":"post","content":"[1]"}`)),
	} {
		if _, err := ParseMessage([]byte(body)); !errors.Is(err, ErrJSON) {
			t.Errorf("%s: ParseMessage = %v, want ErrJSON", name, err)
		}
	}
}

func TestParseCardAction(t *testing.T) {
	t.Parallel()
	body := `{"schema":"2.0","header":{"event_id":"ev9","event_type":"card.action.trigger","app_id":"cli_1","token":"t"},
	"event":{"operator":{"open_id":"ou_r01li"},"token":"c-tok","action":{"value":{"key":"确认","outbox":"42"},"tag":"button"},
	"context":{"open_message_id":"om_card","open_chat_id":"oc_1"}}}`
	a, err := ParseCardAction([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := CardAction{EventID: "ev9", AppID: "cli_1", OperatorOpenID: "ou_r01li", Key: "确认", Outbox: 42,
		OpenMessageID: "om_card", OpenChatID: "oc_1", Token: "c-tok"}
	if *a != want {
		t.Errorf("ParseCardAction = %+v, want %+v", *a, want)
	}
	numeric := strings.Replace(body, `"outbox":"42"`, `"outbox":42`, 1)
	if a, err := ParseCardAction([]byte(numeric)); err != nil || a.Outbox != 42 {
		t.Errorf("numeric outbox: %+v, %v", a, err)
	}
	if _, err := ParseCardAction([]byte(`{"schema":"2.0","event":{"action":{}}}`)); !errors.Is(err, ErrJSON) {
		t.Errorf("no operator: %v", err)
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()
	p2p := &Message{MessageID: "om_p", ChatType: ChatTypeP2P}
	group := &Message{MessageID: "om_g", ChatType: ChatTypeGroup}
	topic := &Message{MessageID: "om_t", ChatType: ChatTypeTopicGroup}
	tests := []struct {
		id        string
		group     bool
		quote     string
		useReply  bool
		wantMsgID string
	}{
		{InboundID(p2p), false, "", false, "om_p"},
		{InboundID(group), true, "om_g", true, "g:om_g"},
		{InboundID(topic), true, "om_t", true, "g:om_t"},
		{ClickID("ev1", "om_card", false), false, "", false, "card:ev1"},
		{ClickID("ev2", "om_card", true), true, "om_card", true, "g:om_card#card:ev2"},
		{ClickID("ev3", "", true), false, "", false, "card:ev3"},
		{"", false, "", false, ""},
	}
	for _, tt := range tests {
		if tt.id != tt.wantMsgID {
			t.Errorf("ID = %q, want %q", tt.id, tt.wantMsgID)
		}
		if IsGroupRef(tt.id) != tt.group {
			t.Errorf("IsGroupRef(%q) = %v", tt.id, !tt.group)
		}
		if q, ok := quoteTarget(tt.id); q != tt.quote || ok != tt.useReply {
			t.Errorf("quoteTarget(%q) = %q, %v; want %q, %v", tt.id, q, ok, tt.quote, tt.useReply)
		}
	}
}

func TestCardText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("长", 70)
	tests := []struct{ text, title, body, template string }{
		{"要补货吗？", "要补货吗？", "", "blue"},
		{"## 📊 周报\n**本周** 拜访 12 家", "📊 周报", "**本周** 拜访 12 家", "blue"},
		{"**⚠️ 断货预警**\n- 张记商贸 苹果汁", "⚠️ 断货预警", "- 张记商贸 苹果汁", "red"},
		{"乱价提醒：王记批发\n详情", "乱价提醒：王记批发", "详情", "red"},
		{"  \n标题\n\n正文 ", "标题", "正文", "blue"},
		{long + "\n下一行", strings.Repeat("长", 59) + "…", "…" + strings.Repeat("长", 11) + "\n下一行", "blue"},
	}
	for _, tt := range tests {
		title, body := cardText(tt.text)
		if title != tt.title || body != tt.body || headerTemplate(title) != tt.template {
			t.Errorf("cardText(%q) = %q, %q (%s); want %q, %q (%s)", tt.text, title, body, headerTemplate(title), tt.title, tt.body, tt.template)
		}
	}
}

func TestAnsweredCard(t *testing.T) {
	t.Parallel()
	var c struct {
		Header struct {
			Title struct{ Content string } `json:"title"`
		} `json:"header"`
		Elements []struct {
			Tag  string `json:"tag"`
			Text struct{ Content string }
		} `json:"elements"`
	}
	raw := AnsweredCard("🤔 数多了\n核对无误请确认", false, "确认")
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if c.Header.Title.Content != "🤔 数多了" || len(c.Elements) != 2 || c.Elements[1].Text.Content != "已选择：确认" {
		t.Errorf("AnsweredCard = %s", raw)
	}
	if strings.Contains(string(raw), `"action"`) {
		t.Errorf("answered card still has buttons: %s", raw)
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	l := Limits()
	// Per recipient: a burst and the next second's refill stay within 5.
	if len(l.PerRecipient) != 1 {
		t.Fatalf("per recipient = %+v", l.PerRecipient)
	}
	r := l.PerRecipient[0]
	if n := r.Burst + int(time.Second/r.Interval); n > 5 {
		t.Errorf("per recipient %+v lets %d through in a second", r, n)
	}
	// The app: under 1,000 a minute and, burst included, under 50 a second.
	app := l.App
	if n := int(time.Minute / app.Interval); n > 1000 || n < 900 {
		t.Errorf("app %+v: %d a minute", app, n)
	}
	if n := app.Burst + int(time.Second/app.Interval); n > 50 {
		t.Errorf("app %+v: %d in the first second", app, n)
	}
}

func TestScrubText(t *testing.T) {
	t.Parallel()
	in := `connected to wss://msg-frontier.feishu.cn/ws/v2?fpid=493&access_key=abc&ticket=def [conn_id=1] ` +
		`{"app_secret":"s3cr3t"} Authorization: Bearer t-g1044abc AppSecret=s3cr3t`
	out := scrubText(in, "s3cr3t")
	for _, leak := range []string{"access_key=abc", "ticket=def", "s3cr3t", "t-g1044abc"} {
		if strings.Contains(out, leak) {
			t.Errorf("scrubText left %q: %s", leak, out)
		}
	}
	if !strings.Contains(out, "wss://msg-frontier.feishu.cn/ws/v2?REDACTED") {
		t.Errorf("scrubText = %s", out)
	}
}

func TestOneLineCard(t *testing.T) {
	t.Parallel()
	b, err := marshal(newCard("## 今日无预警", true))
	if err != nil {
		t.Fatal(err)
	}
	if want := `"elements":[]`; !strings.Contains(string(b), want) {
		t.Errorf("card = %s, want %s", b, want)
	}
}

package feishutest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// call posts body to path with token and returns the HTTP status and code.
func call(t *testing.T, s *Server, path, token string, body any) (int, int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.URL()+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	code, _ := out["code"].(float64)
	return resp.StatusCode, int(code), out
}

func token(t *testing.T, s *Server) string {
	t.Helper()
	_, code, out := call(t, s, "/open-apis/auth/v3/tenant_access_token/internal", "", map[string]string{"app_id": "cli_1", "app_secret": "sec"})
	if code != 0 {
		t.Fatalf("token: %v", out)
	}
	return out["tenant_access_token"].(string)
}

func TestToken(t *testing.T) {
	s := NewServer(t, "cli_1", "sec")
	for _, tt := range []struct {
		app, secret string
		code        int
	}{{"cli_1", "sec", 0}, {"cli_2", "sec", 10003}, {"cli_1", "wrong", 10014}} {
		status, code, _ := call(t, s, "/open-apis/auth/v3/tenant_access_token/internal", "", map[string]string{"app_id": tt.app, "app_secret": tt.secret})
		if code != tt.code || (code != 0) != (status == http.StatusBadRequest) {
			t.Errorf("token(%s, %s) = HTTP %d code %d, want code %d", tt.app, tt.secret, status, code, tt.code)
		}
	}
	if s.TokenFetches() != 3 {
		t.Errorf("TokenFetches = %d", s.TokenFetches())
	}
}

func TestSendChecks(t *testing.T) {
	s := NewServer(t, "cli_1", "sec")
	s.SetUsers("ou_a")
	tok := token(t, s)
	text := Text("hi")
	card := `{"config":{"wide_screen_mode":true},"header":{"template":"blue","title":{"tag":"plain_text","content":"T"}},` +
		`"elements":[{"tag":"markdown","content":"**b**"},{"tag":"action","actions":[{"tag":"button","text":{"tag":"plain_text","content":"确认"},"type":"primary","value":{"key":"确认"}}]}]}`
	tests := []struct {
		name, query, token string
		body               map[string]any
		status, code       int
	}{
		{"text", "open_id", tok, map[string]any{"receive_id": "ou_a", "msg_type": "text", "content": text, "uuid": "u1"}, 200, 0},
		{"card", "open_id", tok, map[string]any{"receive_id": "ou_a", "msg_type": "interactive", "content": card, "uuid": "u2"}, 200, 0},
		{"post", "open_id", tok, map[string]any{"receive_id": "ou_a", "msg_type": "post", "content": `{"zh_cn":{"title":"t","content":[[{"tag":"text","text":"x"}]]}}`}, 200, 0},
		{"no token", "open_id", "", map[string]any{"receive_id": "ou_a", "msg_type": "text", "content": text}, 400, 99991661},
		{"unknown token", "open_id", "t-nope", map[string]any{"receive_id": "ou_a", "msg_type": "text", "content": text}, 400, 99991663},
		{"no receive_id_type", "", tok, map[string]any{"receive_id": "ou_a", "msg_type": "text", "content": text}, 400, 99992402},
		{"unknown user", "open_id", tok, map[string]any{"receive_id": "ou_b", "msg_type": "text", "content": text}, 400, 230001},
		{"chat without the bot", "chat_id", tok, map[string]any{"receive_id": "oc_x", "msg_type": "text", "content": text}, 400, 230002},
		{"content not a JSON string", "open_id", tok, map[string]any{"receive_id": "ou_a", "msg_type": "text", "content": "hi"}, 400, 230001},
		{"text without text", "open_id", tok, map[string]any{"receive_id": "ou_a", "msg_type": "text", "content": `{"txt":"hi"}`}, 400, 230001},
		{"card with a bad button", "open_id", tok, map[string]any{"receive_id": "ou_a", "msg_type": "interactive",
			"content": `{"elements":[{"tag":"action","actions":[{"tag":"button","value":{"key":1}}]}]}`}, 400, 230001},
		{"unknown msg_type", "open_id", tok, map[string]any{"receive_id": "ou_a", "msg_type": "telegram", "content": text}, 400, 230001},
		{"uuid too long", "open_id", tok, map[string]any{"receive_id": "ou_a", "msg_type": "text", "content": text, "uuid": strings.Repeat("u", 51)}, 400, 99992402},
		{"text too long", "open_id", tok, map[string]any{"receive_id": "ou_a", "msg_type": "text", "content": Text(strings.Repeat("x", maxTextBytes+1))}, 400, 230025},
	}
	for _, tt := range tests {
		path := "/open-apis/im/v1/messages"
		if tt.query != "" {
			path += "?receive_id_type=" + tt.query
		}
		status, code, out := call(t, s, path, tt.token, tt.body)
		if status != tt.status || code != tt.code {
			t.Errorf("%s: HTTP %d code %d (%v), want %d %d", tt.name, status, code, out["msg"], tt.status, tt.code)
		}
	}
	sent := s.Sent()
	if len(sent) != 3 || sent[1].Title != "T" || sent[1].Text != "**b**" || sent[1].Buttons[0].Key() != "确认" || sent[2].Text != "t\nx" {
		t.Errorf("sent %+v", sent)
	}
}

func TestReplyAndUUID(t *testing.T) {
	s := NewServer(t, "cli_1", "sec")
	tok := token(t, s)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s.SetNow(func() time.Time { return now })
	body := map[string]any{"msg_type": "text", "content": Text("好"), "uuid": "cb-1"}
	if status, code, _ := call(t, s, "/open-apis/im/v1/messages/om_unknown/reply", tok, body); status != 400 || code != 230001 {
		t.Errorf("reply to an unknown message: %d %d", status, code)
	}
	s.AddMessage("om_1", "oc_g")
	_, code, first := call(t, s, "/open-apis/im/v1/messages/om_1/reply", tok, body)
	_, code2, again := call(t, s, "/open-apis/im/v1/messages/om_1/reply", tok, body)
	id := func(out map[string]any) any { return out["data"].(map[string]any)["message_id"] }
	if code != 0 || code2 != 0 || id(first) != id(again) || len(s.Sent()) != 1 || s.Duplicates() != 1 {
		t.Errorf("uuid dedup: %v / %v, sent %d, duplicates %d", first, again, len(s.Sent()), s.Duplicates())
	}
	if r := s.Sent()[0]; r.ReplyTo != "om_1" || r.To != "oc_g" {
		t.Errorf("reply recorded as %+v", r)
	}
	now = now.Add(61 * time.Minute)
	if _, code, _ := call(t, s, "/open-apis/im/v1/messages/om_1/reply", tok, body); code != 0 || len(s.Sent()) != 2 {
		t.Errorf("after an hour the uuid is new again: code %d, sent %d", code, len(s.Sent()))
	}
}

func TestFailures(t *testing.T) {
	s := NewServer(t, "cli_1", "sec")
	tok := token(t, s)
	body := map[string]any{"receive_id": "ou_a", "msg_type": "text", "content": Text("x")}
	s.RateLimitNext(1, 9)
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/open-apis/im/v1/messages?receive_id_type=open_id", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("x-ogw-ratelimit-reset") != "9" {
		t.Errorf("rate limit: %d %v", resp.StatusCode, resp.Header)
	}
	s.FailNext(230020, 1)
	if status, code, _ := call(t, s, "/open-apis/im/v1/messages?receive_id_type=open_id", tok, body); status != 400 || code != 230020 {
		t.Errorf("FailNext: %d %d", status, code)
	}
	s.ExpireTokens()
	if _, code, _ := call(t, s, "/open-apis/im/v1/messages?receive_id_type=open_id", tok, body); code != 99991663 {
		t.Errorf("expired token: %d", code)
	}
	if s.Calls() != 3 || len(s.Sent()) != 0 {
		t.Errorf("calls %d, sent %d", s.Calls(), len(s.Sent()))
	}
}

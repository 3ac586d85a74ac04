package wecomtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// token fetches a token with raw HTTP.
func token(t *testing.T, s *Server) string {
	t.Helper()
	var r struct {
		ErrCode     int    `json:"errcode"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	get(t, s.URL()+"/cgi-bin/gettoken?corpid=corp&corpsecret=secret", &r)
	if r.ErrCode != 0 || r.AccessToken == "" || r.ExpiresIn != 7200 {
		t.Fatalf("gettoken = %+v", r)
	}
	return r.AccessToken
}

func get(t *testing.T, u string, out any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

type answer struct {
	ErrCode     int    `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	InvalidUser string `json:"invaliduser"`
}

func post(t *testing.T, s *Server, tok, body string) answer {
	t.Helper()
	resp, err := http.Post(s.URL()+"/cgi-bin/message/send?access_token="+url.QueryEscape(tok), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestGetToken(t *testing.T) {
	t.Parallel()
	s := NewServer(t, "corp", "secret", 7)
	tests := []struct {
		query string
		want  int
	}{
		{"corpid=corp&corpsecret=secret", 0},
		{"corpid=corp&corpsecret=wrong", 40001},
		{"corpid=other&corpsecret=secret", 40013},
	}
	for _, tt := range tests {
		var a answer
		get(t, s.URL()+"/cgi-bin/gettoken?"+tt.query, &a)
		if a.ErrCode != tt.want {
			t.Errorf("gettoken?%s = %+v, want errcode %d", tt.query, a, tt.want)
		}
	}
	if n := s.TokenFetches(); n != 3 {
		t.Errorf("TokenFetches = %d, want 3", n)
	}
}

func TestSendChecks(t *testing.T) {
	t.Parallel()
	card := func(taskID, buttons string) string {
		return `{"touser":"u1","msgtype":"template_card","agentid":7,"template_card":{"card_type":"button_interaction","main_title":{"title":"t"},"task_id":"` + taskID + `","button_list":[` + buttons + `]}}`
	}
	btn := `{"text":"a","style":1,"key":"a"}`
	seven := strings.TrimSuffix(strings.Repeat(`{"text":"a","style":1,"key":"k"},`, 7), ",")
	tests := []struct {
		name string
		body string
		want int
	}{
		{"text", `{"touser":"u1","msgtype":"text","agentid":7,"text":{"content":"hi"}}`, 0},
		{"agentid as a string", `{"touser":"u1","msgtype":"text","agentid":"7","text":{"content":"hi"}}`, 40056},
		{"another agent", `{"touser":"u1","msgtype":"text","agentid":8,"text":{"content":"hi"}}`, 301002},
		{"no touser", `{"msgtype":"text","agentid":7,"text":{"content":"hi"}}`, 40058},
		{"bad msgtype", `{"touser":"u1","msgtype":"voice","agentid":7}`, 40008},
		{"not JSON", `{"touser":`, 47001},
		{"empty content", `{"touser":"u1","msgtype":"markdown","agentid":7,"markdown":{"content":""}}`, 44004},
		{"content too long", `{"touser":"u1","msgtype":"text","agentid":7,"text":{"content":"` + strings.Repeat("x", 2049) + `"}}`, 45002},
		{"card", card("task-1", btn), 0},
		{"card task_id again", card("task-1", btn), 40058},
		{"card without task_id", card("", btn), 40058},
		{"card bad task_id", card("task 2", btn), 40058},
		{"card seven buttons", card("task-3", seven), 40058},
		{"card no buttons", card("task-4", ""), 40058},
		{"card duplicate keys", card("task-5", btn+","+btn), 40058},
	}
	s := NewServer(t, "corp", "secret", 7)
	tok := token(t, s)
	for _, tt := range tests { // in order: "task_id again" needs "card" first
		if a := post(t, s, tok, tt.body); a.ErrCode != tt.want {
			t.Errorf("%s: errcode %d (%s), want %d", tt.name, a.ErrCode, a.ErrMsg, tt.want)
		}
	}
	if n := len(s.Sent()); n != 2 {
		t.Errorf("Sent %d, want 2", n)
	}
}

func TestSendTokens(t *testing.T) {
	t.Parallel()
	s := NewServer(t, "corp", "secret", 7)
	body := `{"touser":"u1","msgtype":"text","agentid":7,"text":{"content":"hi"}}`
	if a := post(t, s, "", body); a.ErrCode != 41001 {
		t.Errorf("no token: %+v", a)
	}
	if a := post(t, s, "made-up", body); a.ErrCode != 40014 {
		t.Errorf("unknown token: %+v", a)
	}
	tok := token(t, s)
	s.ExpireTokens()
	if a := post(t, s, tok, body); a.ErrCode != 42001 {
		t.Errorf("expired token: %+v", a)
	}
	tok = token(t, s)
	s.FailNext(45009, 2)
	for range 2 {
		if a := post(t, s, tok, body); a.ErrCode != 45009 {
			t.Errorf("FailNext: %+v", a)
		}
	}
	if a := post(t, s, tok, body); a.ErrCode != 0 {
		t.Errorf("after FailNext: %+v", a)
	}
}

func TestSendUsers(t *testing.T) {
	t.Parallel()
	s := NewServer(t, "corp", "secret", 7)
	s.SetUsers("u1", "u2")
	tok := token(t, s)
	send := func(to string) answer {
		return post(t, s, tok, `{"touser":"`+to+`","msgtype":"text","agentid":7,"text":{"content":"hi `+to+`"}}`)
	}
	if a := send("ghost"); a.ErrCode != 81013 {
		t.Errorf("unknown user: %+v", a)
	}
	if a := send("u1|ghost|u2"); a.ErrCode != 0 || a.InvalidUser != "ghost" {
		t.Errorf("some unknown: %+v", a)
	}
	sent := s.Sent()
	if len(sent) != 2 || sent[0].To != "u1" || sent[1].To != "u2" {
		t.Errorf("Sent = %+v", sent)
	}
}

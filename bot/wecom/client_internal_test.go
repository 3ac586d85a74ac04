package wecom

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"channelbot/bot/outbox"
)

func TestCardText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("长", 40)
	tests := []struct {
		name, text, title, sub string
		cut                    bool
	}{
		{"one line", "要补货吗？", "要补货吗？", "", false},
		{"two lines", " 标题 \n 内容一\n内容二 \n", "标题", "内容一\n内容二", false},
		{"title at the limit", strings.Repeat("字", 36) + "\nx", strings.Repeat("字", 36), "x", false},
		{"title over the limit", long + "\n第二行", strings.Repeat("长", 35) + "…", "…" + strings.Repeat("长", 5) + "\n第二行", false},
		{"sub-title over the limit, no newline", "t\n" + strings.Repeat("内", 200), "t", strings.Repeat("内", 159) + "…", true},
		{"sub-title over the limit, cut at a newline", "t\n" + strings.Repeat("甲", 100) + "\n" + strings.Repeat("乙", 100), "t", strings.Repeat("甲", 100) + "…", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			title, sub, cut := cardText(tt.text)
			if title != tt.title || sub != tt.sub || cut != tt.cut {
				t.Errorf("cardText(%q) = %q, %q, %v; want %q, %q, %v", tt.text, title, sub, cut, tt.title, tt.sub, tt.cut)
			}
			if n := utf8.RuneCountInString(title); n > maxTitleRunes {
				t.Errorf("title has %d runes", n)
			}
			if n := utf8.RuneCountInString(sub); n > maxSubTitleRunes {
				t.Errorf("sub-title has %d runes", n)
			}
		})
	}
}

func TestSendResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		r         apiResponse
		wantErr   bool
		permanent bool
		retry     time.Duration
	}{
		{"ok", apiResponse{ErrMsg: "ok", MsgID: "m1"}, false, false, 0},
		{"invaliduser in an ok answer", apiResponse{ErrMsg: "ok", InvalidUser: "ghost"}, true, true, 0},
		{"unlicensed user", apiResponse{ErrMsg: "ok", UnlicensedUser: "u1"}, true, true, 0},
		{"81013", apiResponse{ErrCode: 81013}, true, true, 0},
		{"40001", apiResponse{ErrCode: 40001}, true, true, 0},
		{"45009", apiResponse{ErrCode: 45009}, true, false, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sendResult(tt.r)
			if (err != nil) != tt.wantErr {
				t.Fatalf("sendResult(%+v) = %v", tt.r, err)
			}
			if err == nil {
				return
			}
			var se *outbox.SendError
			if !errors.As(err, &se) || se.Permanent != tt.permanent || se.RetryAfter != tt.retry {
				t.Errorf("sendResult(%+v) = %+v", tt.r, err)
			}
		})
	}
}

func TestRewriteBase(t *testing.T) {
	t.Parallel()
	tests := []struct{ base, in, want string }{
		{"http://127.0.0.1:8080", "https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=a&corpsecret=b", "http://127.0.0.1:8080/cgi-bin/gettoken?corpid=a&corpsecret=b"},
		{"https://proxy.example/wecom", "https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=a", "https://proxy.example/wecom/cgi-bin/gettoken?corpid=a"},
		{"http://127.0.0.1:8080", "https://api.weixin.qq.com/cgi-bin/token?x=1", "https://api.weixin.qq.com/cgi-bin/token?x=1"},
	}
	for _, tt := range tests {
		base, err := url.Parse(tt.base)
		if err != nil {
			t.Fatal(err)
		}
		if got := rewriteBase(base)(tt.in); got != tt.want {
			t.Errorf("rewriteBase(%s)(%s) = %s, want %s", tt.base, tt.in, got, tt.want)
		}
	}
}

func TestScrubText(t *testing.T) {
	t.Parallel()
	const secret = "a+b/c=d e"
	in := `Get "https://h/cgi-bin/gettoken?corpid=x&corpsecret=a+b/c=d e": a%2Bb%2Fc%3Dd+e a+b%2Fc=d%20e access_token=tok123&x=1`
	got := scrubText(in, secret)
	for _, leak := range []string{"a+b/c", "a%2Bb", "tok123", "d%20e"} {
		if strings.Contains(got, leak) {
			t.Errorf("scrubText left %q in %s", leak, got)
		}
	}
	if !strings.Contains(got, "corpid=x") {
		t.Errorf("scrubText removed too much: %s", got)
	}
}

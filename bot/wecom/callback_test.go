package wecom_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"channelbot/bot/wecom"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// testdataXML returns the plaintext callbacks in testdata, by base name.
func testdataXML(tb testing.TB) map[string][]byte {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no testdata/*.xml: %v", err)
	}
	out := make(map[string][]byte, len(names))
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(name), ".xml")] = b
	}
	return out
}

// TestCallbackGolden seals each testdata/*.xml, opens it and compares the
// Message with testdata/<name>.golden.json (go test -run Golden -update
// rewrites them).
func TestCallbackGolden(t *testing.T) {
	t.Parallel()
	for name, plain := range testdataXML(t) {
		t.Run(name, func(t *testing.T) {
			b, err := vecCrypto.Seal(plain, "1718000000", "nonce-"+name)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := wecom.SealedSignature(b)
			if err != nil {
				t.Fatal(err)
			}
			m, err := vecCrypto.Open(sig, "1718000000", "nonce-"+name, b)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			got, err := json.MarshalIndent(struct {
				*wecom.Message
				DedupKey string
			}{m, m.DedupKey()}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Open(%s) =\n%s\nwant\n%s", name, got, want)
			}
		})
	}
}

// TestCallbackFields pins the fields each kind must carry, independently of
// the golden files.
func TestCallbackFields(t *testing.T) {
	t.Parallel()
	files := testdataXML(t)
	open := func(t *testing.T, name string) *wecom.Message {
		t.Helper()
		b, err := vecCrypto.Seal(files[name], "1", "2")
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := wecom.SealedSignature(b)
		m, err := vecCrypto.Open(sig, "1", "2", b)
		if err != nil {
			t.Fatalf("Open(%s): %v", name, err)
		}
		return m
	}
	t.Run("location", func(t *testing.T) {
		m := open(t, "location")
		if m.MsgType != wecom.MsgTypeLocation || m.LocationX != 31.230416 || m.LocationY != 121.473701 || m.Scale != 15 || m.Label != "上海市黄浦区南京东路 华联超市" {
			t.Errorf("location = %+v", m)
		}
	})
	t.Run("image", func(t *testing.T) {
		m := open(t, "image")
		if m.MsgType != wecom.MsgTypeImage || !strings.HasPrefix(m.PicURL, "https://wework.qpic.cn/") || m.MediaID == "" {
			t.Errorf("image = %+v", m)
		}
	})
	t.Run("enter_agent", func(t *testing.T) {
		m := open(t, "enter_agent")
		if m.MsgType != wecom.MsgTypeEvent || m.Event != wecom.EventEnterAgent || m.DedupKey() != "evt:ZhangJianGuo:1718000300" {
			t.Errorf("enter_agent = %+v, DedupKey %q", m, m.DedupKey())
		}
	})
	t.Run("template_card_event", func(t *testing.T) {
		m := open(t, "template_card_event")
		if m.Event != wecom.EventTemplateCard || m.EventKey != "confirm" || m.TaskID != "cb-42-0-K7Q2ZP4M" ||
			m.CardType != "button_interaction" || m.ResponseCode == "" || m.AgentID != "1000002" {
			t.Errorf("template_card_event = %+v", m)
		}
		if m.DedupKey() != "evt:ZhangJianGuo:1718000400" {
			t.Errorf("DedupKey = %q", m.DedupKey())
		}
	})
	t.Run("text with markup", func(t *testing.T) {
		m := open(t, "text_report")
		if !strings.Contains(m.Content, "<急> & 价格") {
			t.Errorf("content = %q", m.Content)
		}
	})
}

func TestDedupKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m    wecom.Message
		want string
	}{
		{wecom.Message{MsgType: "text", MsgID: "42", FromUserName: "u", CreateTime: 7}, "msg:42"},
		{wecom.Message{MsgType: "event", Event: "enter_agent", FromUserName: "u", CreateTime: 7}, "evt:u:7"},
		{wecom.Message{MsgType: "event", MsgID: "ignored", FromUserName: "u", CreateTime: 7}, "evt:u:7"},
		{wecom.Message{MsgType: "voice", FromUserName: "u", CreateTime: 8}, "evt:u:8"},
	}
	for _, tt := range tests {
		if got := tt.m.DedupKey(); got != tt.want {
			t.Errorf("DedupKey(%+v) = %q, want %q", tt.m, got, tt.want)
		}
	}
}

// FuzzWeComCallback feeds Open bodies (seeded with sealed testdata, the
// official vector and garbage) and plaintexts (sealed, so they pass the
// signature and the decryption and reach the XML parser). Errors are fine;
// panics are not, and an error must come with a nil Message.
func FuzzWeComCallback(f *testing.F) {
	for _, plain := range testdataXML(f) {
		b, err := vecCrypto.Seal(plain, vecReqTS, vecReqNonce)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, plain, true)
	}
	f.Add([]byte(vecReqData), []byte("<xml><FromUserName>u</FromUserName><MsgType>text</MsgType></xml>"), false)
	f.Add([]byte("<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>"), []byte("<xml>"), true)
	f.Add([]byte("<xml><Encrypt></Encrypt>"), []byte{0, 0xff, '<'}, true)
	f.Add([]byte{}, []byte{}, false)
	f.Add([]byte("\x00\x01garbage<<<>>>"), []byte("<xml><CreateTime>99999999999999999999</CreateTime></xml>"), true)

	f.Fuzz(func(t *testing.T, body, plain []byte, resign bool) {
		check := func(what string, m *wecom.Message, err error) {
			if err != nil && m != nil {
				t.Fatalf("%s: message %+v with error %v", what, m, err)
			}
			if err == nil && m == nil {
				t.Fatalf("%s: nil message and nil error", what)
			}
		}
		// 1. The body as it came, signed by the fuzzer's choice: with
		// the right signature over its Encrypt element, or the vector's.
		sig := vecReqSig
		if resign {
			var env struct {
				Encrypt string `xml:"Encrypt"`
			}
			if xml.Unmarshal(body, &env) == nil {
				sig = vecCrypto.Sign(vecReqTS, vecReqNonce, env.Encrypt)
			}
		}
		m, err := vecCrypto.Open(sig, vecReqTS, vecReqNonce, body)
		check("body", m, err)

		// 2. plain, sealed: exercises decryption and the XML parser.
		sealed, err := vecCrypto.Seal(plain, vecReqTS, vecReqNonce)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		s, err := wecom.SealedSignature(sealed)
		if err != nil {
			t.Fatalf("SealedSignature(Seal): %v", err)
		}
		m, err = vecCrypto.Open(s, vecReqTS, vecReqNonce, sealed)
		check("sealed", m, err)
	})
}

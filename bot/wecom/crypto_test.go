package wecom_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"channelbot/bot/wecom"
)

// The official vectors (企业微信 Sample.py/.cpp), platforms.md §1.4.
const (
	vecToken  = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
	vecAESKey = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
	vecCorpID = "ww1436e0e65a779aee"

	vecVerifySig     = "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb"
	vecVerifyTS      = "1476416373"
	vecVerifyNonce   = "47744683"
	vecVerifyEchoStr = "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="

	vecReqSig   = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e"
	vecReqTS    = "1476422779"
	vecReqNonce = "1597212914"
	vecReqData  = "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n<Encrypt><![CDATA[Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+]]></Encrypt>\n<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
)

var vecCrypto = wecom.Crypto{Token: vecToken, AESKey: vecAESKey, CorpID: vecCorpID}

// allErrs are the four error kinds; each failure must be exactly one.
var allErrs = []error{wecom.ErrSignature, wecom.ErrDecrypt, wecom.ErrCorpID, wecom.ErrXML}

// checkKind fails unless err is want and none of the other kinds.
func checkKind(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	for _, other := range allErrs {
		if other != want && errors.Is(err, other) {
			t.Errorf("error %v is also %v", err, other)
		}
	}
}

func TestVerifyURLVector(t *testing.T) {
	t.Parallel()
	got, err := vecCrypto.VerifyURL(vecVerifySig, vecVerifyTS, vecVerifyNonce, vecVerifyEchoStr)
	if err != nil {
		t.Fatalf("VerifyURL: %v", err)
	}
	if got != "1288432023552776189" {
		t.Errorf("VerifyURL = %q, want %q", got, "1288432023552776189")
	}
}

func TestVerifyURLErrors(t *testing.T) {
	t.Parallel()
	otherCorp := vecCrypto
	otherCorp.CorpID = "wwffffffffffffffff"
	tests := []struct {
		name   string
		c      wecom.Crypto
		sig    string
		echo   string
		wantIs error
	}{
		{"bad signature", vecCrypto, strings.Replace(vecVerifySig, "0", "1", 1), vecVerifyEchoStr, wecom.ErrSignature},
		{"empty signature", vecCrypto, "", vecVerifyEchoStr, wecom.ErrSignature},
		{"uppercase signature", vecCrypto, strings.ToUpper(vecVerifySig), vecVerifyEchoStr, wecom.ErrSignature},
		{"wrong corp", otherCorp, vecVerifySig, vecVerifyEchoStr, wecom.ErrCorpID},
		{"not base64", vecCrypto, vecCrypto.Sign(vecVerifyTS, vecVerifyNonce, "%%%"), "%%%", wecom.ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.VerifyURL(tt.sig, vecVerifyTS, vecVerifyNonce, tt.echo)
			checkKind(t, err, tt.wantIs)
			if got != "" {
				t.Errorf("VerifyURL = %q with error %v, want empty", got, err)
			}
		})
	}
}

func TestOpenVector(t *testing.T) {
	t.Parallel()
	m, err := vecCrypto.Open(vecReqSig, vecReqTS, vecReqNonce, []byte(vecReqData))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	want := wecom.Message{
		ToUserName:   vecCorpID,
		FromUserName: "ChenJiaShun",
		CreateTime:   1476422779,
		MsgType:      "text",
		Content:      "你好",
		MsgID:        "1456453720",
		AgentID:      "1000002",
	}
	if *m != want {
		t.Errorf("Open = %+v, want %+v", *m, want)
	}
	if got := m.DedupKey(); got != "msg:1456453720" {
		t.Errorf("DedupKey = %q, want msg:1456453720", got)
	}
}

// vecEncrypt is the Encrypt element of the POST vector.
func vecEncrypt(t *testing.T) string {
	t.Helper()
	var env struct {
		Encrypt string `xml:"Encrypt"`
	}
	if err := xml.Unmarshal([]byte(vecReqData), &env); err != nil {
		t.Fatal(err)
	}
	return env.Encrypt
}

// body builds a callback body around encrypted and signs it.
func body(c wecom.Crypto, encrypted string) (sig string, b []byte) {
	b = fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt><AgentID>1000002</AgentID></xml>", vecCorpID, encrypted)
	return c.Sign(vecReqTS, vecReqNonce, encrypted), b
}

// tamper flips bit 0 of ciphertext byte i and re-encodes.
func tamper(t *testing.T, encrypted string, i int) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		t.Fatal(err)
	}
	if i < 0 {
		i += len(raw)
	}
	raw[i] ^= 1
	return base64.StdEncoding.EncodeToString(raw)
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	enc := vecEncrypt(t)
	otherCorp := vecCrypto
	otherCorp.CorpID = "wwffffffffffffffff"
	badKey := vecCrypto
	badKey.AESKey = vecAESKey[:42]

	sealed := func(plain string) (string, []byte) {
		b, err := vecCrypto.Seal([]byte(plain), vecReqTS, vecReqNonce)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := wecom.SealedSignature(b)
		if err != nil {
			t.Fatal(err)
		}
		return sig, b
	}
	raw, _ := base64.StdEncoding.DecodeString(enc)
	short := base64.StdEncoding.EncodeToString(raw[:len(raw)-16])

	type input struct {
		sig  string
		body []byte
	}
	tests := []struct {
		name   string
		c      wecom.Crypto
		in     func() input
		wantIs error
	}{
		{"bad signature", vecCrypto, func() input {
			return input{strings.Replace(vecReqSig, "0c39", "0c38", 1), []byte(vecReqData)}
		}, wecom.ErrSignature},
		{"signature of another nonce", vecCrypto, func() input {
			return input{vecCrypto.Sign(vecReqTS, "1", enc), []byte(vecReqData)}
		}, wecom.ErrSignature},
		{"wrong token", wecom.Crypto{Token: "x", AESKey: vecAESKey, CorpID: vecCorpID}, func() input {
			return input{vecReqSig, []byte(vecReqData)}
		}, wecom.ErrSignature},
		{"wrong corp", otherCorp, func() input { return input{vecReqSig, []byte(vecReqData)} }, wecom.ErrCorpID},
		{"tampered length field", vecCrypto, func() input {
			s, b := body(vecCrypto, tamper(t, enc, 0))
			return input{s, b}
		}, wecom.ErrDecrypt},
		{"tampered padding", vecCrypto, func() input {
			s, b := body(vecCrypto, tamper(t, enc, -1))
			return input{s, b}
		}, wecom.ErrDecrypt},
		{"tampered last block", vecCrypto, func() input {
			s, b := body(vecCrypto, tamper(t, enc, -20))
			return input{s, b}
		}, wecom.ErrDecrypt},
		{"truncated ciphertext", vecCrypto, func() input {
			s, b := body(vecCrypto, short)
			return input{s, b}
		}, wecom.ErrDecrypt},
		{"not base64", vecCrypto, func() input {
			s, b := body(vecCrypto, "not*base64")
			return input{s, b}
		}, wecom.ErrDecrypt},
		{"bad AES key", badKey, func() input { return input{vecReqSig, []byte(vecReqData)} }, wecom.ErrDecrypt},
		{"body not XML", vecCrypto, func() input { return input{vecReqSig, []byte("{\"Encrypt\":1}")} }, wecom.ErrXML},
		{"body without Encrypt", vecCrypto, func() input {
			return input{vecReqSig, []byte("<xml><ToUserName>x</ToUserName></xml>")}
		}, wecom.ErrXML},
		{"plaintext truncated XML", vecCrypto, func() input {
			s, b := sealed("<xml><FromUserName>u</FromUserName><MsgType>text</MsgType")
			return input{s, b}
		}, wecom.ErrXML},
		{"plaintext wrong root", vecCrypto, func() input {
			s, b := sealed("<msg><FromUserName>u</FromUserName><MsgType>text</MsgType></msg>")
			return input{s, b}
		}, wecom.ErrXML},
		{"plaintext without sender", vecCrypto, func() input {
			s, b := sealed("<xml><MsgType>text</MsgType><Content>hi</Content></xml>")
			return input{s, b}
		}, wecom.ErrXML},
		{"plaintext bad CreateTime", vecCrypto, func() input {
			s, b := sealed("<xml><FromUserName>u</FromUserName><MsgType>text</MsgType><CreateTime>soon</CreateTime></xml>")
			return input{s, b}
		}, wecom.ErrXML},
		{"plaintext empty", vecCrypto, func() input {
			s, b := sealed("")
			return input{s, b}
		}, wecom.ErrXML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in()
			m, err := tt.c.Open(in.sig, vecReqTS, vecReqNonce, in.body)
			checkKind(t, err, tt.wantIs)
			if m != nil {
				t.Errorf("Open = %+v with error %v, want nil", m, err)
			}
		})
	}
}

// TestOpenTamperedNeverOK flips every byte of the vector's ciphertext,
// re-signed as only a holder of the token could: Open must never fail
// silently into a message from someone else, and must never panic.
func TestOpenTamperedNeverOK(t *testing.T) {
	t.Parallel()
	enc := vecEncrypt(t)
	raw, _ := base64.StdEncoding.DecodeString(enc)
	for i := range raw {
		sig, b := body(vecCrypto, tamper(t, enc, i))
		m, err := vecCrypto.Open(sig, vecReqTS, vecReqNonce, b)
		if err == nil {
			// CBC without a MAC: a flip in block k garbles block k and
			// flips one byte of block k+1, which may still parse. The
			// signature is what protects the ciphertext; here just check
			// the result is sane.
			if m == nil {
				t.Fatalf("byte %d: nil message and nil error", i)
			}
			continue
		}
		if m != nil {
			t.Errorf("byte %d: message with error %v", i, err)
		}
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	plain := []byte("<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><FromUserName><![CDATA[ChenJiaShun]]></FromUserName><CreateTime>1476422779</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好 <b>&amp;</b> ]]]]><![CDATA[>]]></Content><MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>")
	b1, err := vecCrypto.Seal(plain, vecReqTS, vecReqNonce)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	b2, err := vecCrypto.Seal(plain, vecReqTS, vecReqNonce)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if bytes.Equal(b1, b2) {
		t.Error("two Seals gave the same body: the random prefix is not random")
	}
	sig, err := wecom.SealedSignature(b1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := vecCrypto.Open(sig, vecReqTS, vecReqNonce, b1)
	if err != nil {
		t.Fatalf("Open(Seal): %v", err)
	}
	if m.Content != "你好 <b>&amp;</b> ]]>" || m.FromUserName != "ChenJiaShun" || m.AgentID != "1000002" {
		t.Errorf("Open(Seal) = %+v", m)
	}
	var env struct {
		ToUserName, AgentID, TimeStamp, Nonce string
	}
	if err := xml.Unmarshal(b1, &env); err != nil {
		t.Fatal(err)
	}
	if env.ToUserName != vecCorpID || env.AgentID != "1000002" || env.TimeStamp != vecReqTS || env.Nonce != vecReqNonce {
		t.Errorf("sealed envelope = %+v", env)
	}
	if _, err := vecCrypto.Open(sig, vecReqTS, "other", b1); !errors.Is(err, wecom.ErrSignature) {
		t.Errorf("Open with another nonce: %v, want ErrSignature", err)
	}
}

func TestSealBadKey(t *testing.T) {
	t.Parallel()
	c := vecCrypto
	c.AESKey = "short"
	if _, err := c.Seal([]byte("<xml/>"), "1", "2"); !errors.Is(err, wecom.ErrDecrypt) {
		t.Errorf("Seal with a bad key: %v, want ErrDecrypt", err)
	}
}

func TestCryptoHidesSecrets(t *testing.T) {
	t.Parallel()
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%q", "%x"} {
		out = append(out, fmt.Sprintf(verb, vecCrypto))
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "crypto", vecCrypto)
	out = append(out, buf.String())
	for _, s := range out {
		if strings.Contains(s, vecToken) || strings.Contains(s, vecAESKey) {
			t.Errorf("printed Crypto holds a secret: %s", s)
		}
	}
	if !strings.Contains(out[0], vecCorpID) {
		t.Errorf("%%v = %s, want the corp ID", out[0])
	}
}

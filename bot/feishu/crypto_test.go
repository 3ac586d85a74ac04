package feishu_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"

	"channelbot/bot/feishu"
	"channelbot/bot/feishu/feishutest"
)

// The official vector (platforms.md §3.4) and the signature derived from it
// with the pinned SDK.
const (
	vecKey       = "test key"
	vecEncrypt   = "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="
	vecPlain     = "hello world"
	vecTimestamp = "1700000000"
	vecNonce     = "abc"
	vecSignature = "0c09d96c2aef2ad08179b3967ea410bbc91dab24ce3aec05af962cf1935844af"
)

func TestDecryptVector(t *testing.T) {
	t.Parallel()
	got, err := feishu.Decrypt(vecEncrypt, vecKey)
	if err != nil || string(got) != vecPlain {
		t.Fatalf("Decrypt(vector) = %q, %v; want %q", got, err, vecPlain)
	}
	// Why Decrypt does not use the SDK's: it leaves the padding in.
	sdk, err := larkevent.EventDecrypt(vecEncrypt, vecKey)
	if err != nil || string(sdk) != vecPlain+"\x05\x05\x05\x05\x05" {
		t.Errorf("larkevent.EventDecrypt(vector) = %q, %v; the SDK changed", sdk, err)
	}
}

func TestSignatureVector(t *testing.T) {
	t.Parallel()
	body := []byte(`{"encrypt":"` + vecEncrypt + `"}`)
	if got := feishu.Signature(vecTimestamp, vecNonce, vecKey, body); got != vecSignature {
		t.Errorf("Signature = %s, want %s", got, vecSignature)
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 15, 16, 17, 1000} {
		plain := bytes.Repeat([]byte("飞"), n)
		enc, err := feishu.Encrypt(plain, "k")
		if err != nil {
			t.Fatal(err)
		}
		got, err := feishu.Decrypt(enc, "k")
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("round trip of %d bytes: %v", len(plain), err)
		}
		if _, err := feishu.Decrypt(enc, "other key"); !errors.Is(err, feishu.ErrDecrypt) && err == nil {
			// A wrong key almost always breaks the padding; when it does
			// not, the JSON check catches it.
			t.Logf("wrong key decrypted %d bytes without a padding error", len(plain))
		}
	}
}

const (
	appID    = "cli_a1b2c3d4e5f6"
	vtoken   = "vt-4QmZ8rXcWp2LkT9y"
	encKey   = "ek-Jd83mQx0Pz7Lw2Vb"
	otherApp = "cli_ffffffffffffffff"
)

var allErrs = []error{feishu.ErrSignature, feishu.ErrToken, feishu.ErrStale, feishu.ErrDecrypt, feishu.ErrJSON, feishu.ErrApp}

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

func message(token, app string, at time.Time) []byte {
	m := feishutest.Msg{Token: token, AppID: app, From: "ou_r01li", Content: feishutest.Text("盘点 张老板 苹果汁 120"), At: at}
	return m.JSON()
}

// signed returns headers and an encrypted body for plain, signed at ts.
func signed(t *testing.T, plain []byte, ts time.Time) (http.Header, []byte) {
	t.Helper()
	body := feishutest.Body(t, plain, encKey)
	h := http.Header{}
	feishutest.Sign(h, body, encKey, ts)
	return h, body
}

func TestOpen(t *testing.T) {
	t.Parallel()
	now := time.Now()
	plainV := feishu.Verifier{AppID: appID, VerificationToken: vtoken}
	encV := feishu.Verifier{AppID: appID, VerificationToken: vtoken, EncryptKey: encKey}

	t.Run("plaintext event", func(t *testing.T) {
		ev, err := plainV.Open(http.Header{}, message(vtoken, appID, now))
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type != feishu.EventMessageReceive || ev.Schema != "2.0" || ev.EventID == "" || ev.AppID != appID ||
			ev.CreateTime.Sub(now).Abs() > time.Millisecond {
			t.Errorf("Open = %+v", ev)
		}
	})
	t.Run("encrypted and signed event", func(t *testing.T) {
		plain := message(vtoken, appID, now)
		h, body := signed(t, plain, now)
		ev, err := encV.Open(h, body)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ev.Body, plain) || ev.Type != feishu.EventMessageReceive {
			t.Errorf("Open = %+v", ev)
		}
	})
	t.Run("url_verification in plaintext", func(t *testing.T) {
		ev, err := plainV.Open(http.Header{}, feishutest.Challenge(vtoken, "ajls384kdjx98XX"))
		if err != nil || ev.Type != feishu.TypeURLVerification || ev.Challenge != "ajls384kdjx98XX" {
			t.Errorf("Open = %+v, %v", ev, err)
		}
	})
	t.Run("url_verification encrypted, unsigned", func(t *testing.T) {
		body := feishutest.Body(t, feishutest.Challenge(vtoken, "c-123"), encKey)
		ev, err := encV.Open(http.Header{}, body)
		if err != nil || ev.Challenge != "c-123" {
			t.Errorf("Open = %+v, %v", ev, err)
		}
	})
	t.Run("v1 event", func(t *testing.T) {
		body := fmt.Sprintf(`{"ts":"%d","uuid":"u-1","token":%q,"type":"event_callback","event":{"type":"message","app_id":%q}}`, now.Unix(), vtoken, appID)
		ev, err := plainV.Open(http.Header{}, []byte(body))
		if err != nil || ev.Type != "message" || ev.EventID != "u-1" || ev.Schema != "" {
			t.Errorf("Open = %+v, %v", ev, err)
		}
	})
	t.Run("Feishu's retry hours later", func(t *testing.T) {
		plain := message(vtoken, appID, now.Add(-6*time.Hour))
		h, body := signed(t, plain, now)
		if _, err := encV.Open(h, body); err != nil {
			t.Errorf("a re-push 6 h after the event was refused: %v", err)
		}
	})
	t.Run("create_time in microseconds", func(t *testing.T) {
		plain := bytes.Replace(message(vtoken, appID, now), []byte(`"create_time":"`+strconv.FormatInt(now.UnixMilli(), 10)),
			[]byte(`"create_time":"`+strconv.FormatInt(now.UnixMicro(), 10)), 1)
		if ev, err := plainV.Open(http.Header{}, plain); err != nil || ev.CreateTime.Sub(now).Abs() > time.Millisecond {
			t.Errorf("Open = %+v, %v", ev, err)
		}
	})
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	now := time.Now()
	plainV := feishu.Verifier{AppID: appID, VerificationToken: vtoken}
	encV := feishu.Verifier{AppID: appID, VerificationToken: vtoken, EncryptKey: encKey}
	good := message(vtoken, appID, now)
	encrypt := func(plain []byte) []byte { return feishutest.Body(t, plain, encKey) }
	// sign signs body as is, so that what is wrong is inside.
	sign := func(body []byte, ts time.Time) http.Header {
		h := http.Header{}
		feishutest.Sign(h, body, encKey, ts)
		return h
	}
	rawEncrypt := func(raw []byte) []byte {
		b, _ := json.Marshal(map[string]string{"encrypt": base64.StdEncoding.EncodeToString(raw)})
		return b
	}
	tests := []struct {
		name string
		v    feishu.Verifier
		h    http.Header
		body []byte
		want error
	}{
		{"bad signature", encV, func() http.Header {
			h := sign(encrypt(good), now)
			h.Set(feishu.HeaderSignature, strings.Repeat("0", 64))
			return h
		}(), encrypt(good), feishu.ErrSignature},
		{"signature over another body", encV, sign(encrypt(good), now), encrypt(good), feishu.ErrSignature},
		{"missing signature header", encV, func() http.Header {
			h := sign(encrypt(good), now)
			h.Del(feishu.HeaderSignature)
			return h
		}(), encrypt(good), feishu.ErrSignature},
		{"missing nonce header", encV, func() http.Header {
			h := sign(encrypt(good), now)
			h.Del(feishu.HeaderNonce)
			return h
		}(), encrypt(good), feishu.ErrSignature},
		{"no headers at all", encV, http.Header{}, encrypt(good), feishu.ErrSignature},
		{"unsigned garbage", encV, http.Header{}, rawEncrypt(bytes.Repeat([]byte{7}, 48)), feishu.ErrSignature},
		{"stale timestamp", encV, nil, nil, feishu.ErrStale},
		{"future timestamp", encV, nil, nil, feishu.ErrStale},
		{"stale timestamp without encrypt key", plainV, http.Header{feishu.HeaderTimestamp: {strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)}}, good, feishu.ErrStale},
		{"event too old", plainV, http.Header{}, message(vtoken, appID, now.Add(-9*time.Hour)), feishu.ErrStale},
		{"event from the future", plainV, http.Header{}, message(vtoken, appID, now.Add(time.Hour)), feishu.ErrStale},
		{"wrong token without encrypt key (pitfall 8)", plainV, http.Header{}, message("WRONG", appID, now), feishu.ErrToken},
		{"no token without encrypt key", plainV, http.Header{}, message("", appID, now), feishu.ErrToken},
		{"wrong token in url_verification", plainV, http.Header{}, feishutest.Challenge("WRONG", "c"), feishu.ErrToken},
		{"no token configured, unsigned", feishu.Verifier{AppID: appID}, http.Header{}, message("", appID, now), feishu.ErrToken},
		{"wrong token inside a signed event", encV, nil, nil, feishu.ErrToken},
		{"ciphertext not base64", encV, nil, []byte(`{"encrypt":"%%%not base64"}`), feishu.ErrDecrypt},
		{"ciphertext not whole blocks", encV, nil, rawEncrypt(make([]byte, 40)), feishu.ErrDecrypt},
		{"ciphertext with bad padding", encV, nil, rawEncrypt(make([]byte, 48)), feishu.ErrDecrypt},
		{"encrypted body, no encrypt key", plainV, http.Header{}, encrypt(good), feishu.ErrDecrypt},
		{"plaintext body, with encrypt key", encV, sign(good, now), good, feishu.ErrDecrypt},
		{"wrong app", plainV, http.Header{}, message(vtoken, otherApp, now), feishu.ErrApp},
		{"wrong app, signed", encV, nil, nil, feishu.ErrApp},
		{"not JSON", plainV, http.Header{}, []byte("<xml/>"), feishu.ErrJSON},
		{"no event type", plainV, http.Header{}, []byte(`{"schema":"2.0","header":{"token":"` + vtoken + `"}}`), feishu.ErrJSON},
		{"neither event nor challenge", plainV, http.Header{}, []byte(`{"token":"` + vtoken + `"}`), feishu.ErrJSON},
		{"decrypts to non-JSON", encV, nil, func() []byte {
			enc, _ := feishu.Encrypt([]byte("hello world"), encKey)
			b, _ := json.Marshal(map[string]string{"encrypt": enc})
			return b
		}(), feishu.ErrJSON},
	}
	for i := range tests {
		tt := &tests[i]
		switch tt.name {
		case "stale timestamp":
			tt.body = encrypt(good)
			tt.h = sign(tt.body, now.Add(-6*time.Minute))
		case "future timestamp":
			tt.body = encrypt(good)
			tt.h = sign(tt.body, now.Add(6*time.Minute))
		case "wrong token inside a signed event":
			tt.body = encrypt(message("WRONG", appID, now))
			tt.h = sign(tt.body, now)
		case "wrong app, signed":
			tt.body = encrypt(message(vtoken, otherApp, now))
			tt.h = sign(tt.body, now)
		case "signature over another body":
			tt.h = sign(encrypt(good), now) // a fresh encryption: another body
		}
		if tt.h == nil {
			tt.h = sign(tt.body, now)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := tt.v.Open(tt.h, tt.body)
			if ev != nil {
				t.Errorf("Open returned an event with error %v", err)
			}
			checkKind(t, err, tt.want)
			for _, secret := range []string{vtoken, encKey} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q holds a secret", err)
				}
			}
		})
	}
}

func TestVerifierHidesSecrets(t *testing.T) {
	t.Parallel()
	v := feishu.Verifier{AppID: appID, VerificationToken: vtoken, EncryptKey: encKey}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "verifier", v)
	for _, s := range []string{fmt.Sprint(v), fmt.Sprintf("%+v %#v %v %s %d", v, v, &v, v, v), buf.String()} {
		if strings.Contains(s, vtoken) || strings.Contains(s, encKey) {
			t.Errorf("printed a secret: %s", s)
		}
	}
}

func FuzzOpen(f *testing.F) {
	now := time.Now()
	f.Add(message(vtoken, appID, now), false)
	f.Add(feishutest.Challenge(vtoken, "c"), false)
	f.Add([]byte(`{"encrypt":"`+vecEncrypt+`"}`), true)
	body := feishutest.Body(f, message(vtoken, appID, now), encKey)
	f.Add(body, true)
	encV := feishu.Verifier{AppID: appID, VerificationToken: vtoken, EncryptKey: encKey}
	plainV := feishu.Verifier{AppID: appID, VerificationToken: vtoken}
	f.Fuzz(func(t *testing.T, body []byte, encrypted bool) {
		v, h := plainV, http.Header{}
		if encrypted {
			v = encV
			feishutest.Sign(h, body, encKey, time.Now())
		}
		ev, err := v.Open(h, body)
		if (ev == nil) == (err == nil) {
			t.Fatalf("Open = %v, %v: want exactly one", ev, err)
		}
		if err == nil {
			_, _ = feishu.ParseMessage(ev.Body)
			_, _ = feishu.ParseCardAction(ev.Body)
		}
	})
}

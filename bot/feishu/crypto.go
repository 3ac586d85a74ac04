// Package feishu is channelbot's adapter for a Feishu (飞书) self-built app
// (企业自建应用): it verifies, decrypts and parses events ([Verifier],
// [ParseMessage], [ParseCardAction]), sends messages and cards ([Client]) and
// holds the long connection of websocket mode ([Stream]).
//
// It wraps github.com/larksuite/oapi-sdk-go/v3 for what that SDK does well
// (the signature, tokens, the typed im/v1 calls, the event models, the
// long-connection protocol) and fills the gaps listed in platforms.md §5.2:
// without an Encrypt Key the SDK's dispatcher checks the Verification Token
// only for url_verification (pitfall 8), its decryption does not check the
// padding, its token cache is process-global and never evicts a token Feishu
// rejected (pitfalls 5–7), API refusals come back with a nil error, and its
// long connection cannot be stopped (pitfall 12).
//
// Receiving is pure: [Verifier.Open] and the parsers do no I/O, so the HTTP
// handler can verify, decrypt and acknowledge within Feishu's 3 s.
//
// The package states Feishu's limits, and nothing else repeats them: the size
// replies are split to ([SplitBytes]) and the send rates the outbox keeps to
// ([Limits]).
package feishu

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
)

// Errors of Open, wrapped with %w. Each is distinct, so the handler can log
// why a request was refused; all of them mean "answer 4xx, do nothing".
var (
	// ErrSignature: with an Encrypt Key, X-Lark-Signature is missing or is
	// not sha256(timestamp + nonce + key + body); or an unsigned request is
	// not a url_verification.
	ErrSignature = errors.New("feishu: bad signature")
	// ErrToken: the Verification Token in the event is not ours (or none is
	// configured and the event is not signed).
	ErrToken = errors.New("feishu: bad verification token")
	// ErrStale: X-Lark-Request-Timestamp is not within Verifier.Window of
	// now, or the event's create_time is outside [now-MaxEventAge,
	// now+Window].
	ErrStale = errors.New("feishu: stale or future timestamp")
	// ErrDecrypt: "encrypt" is not base64, not whole AES blocks, or does
	// not decrypt to PKCS#7-padded plaintext; or the body is encrypted and
	// no Encrypt Key is configured.
	ErrDecrypt = errors.New("feishu: cannot decrypt")
	// ErrJSON: the body or the decrypted event is not the JSON we expect.
	ErrJSON = errors.New("feishu: bad JSON")
	// ErrApp: the event is for another app (header.app_id).
	ErrApp = errors.New("feishu: event for another app")
)

// Request headers of a signed event (将事件发送至开发者服务器, platforms.md §3.5).
const (
	HeaderTimestamp = larkevent.EventRequestTimestamp // X-Lark-Request-Timestamp, Unix seconds
	HeaderNonce     = larkevent.EventRequestNonce     // X-Lark-Request-Nonce
	HeaderSignature = larkevent.EventSignature        // X-Lark-Signature, lowercase hex
)

// TypeURLVerification is Event.Type of the check Feishu makes when the
// request URL is saved.
const TypeURLVerification = "url_verification"

// Event types the bot handles.
const (
	EventMessageReceive = "im.message.receive_v1"
	EventCardAction     = "card.action.trigger"
)

// DefaultWindow is how far X-Lark-Request-Timestamp may be from now.
const DefaultWindow = 5 * time.Minute

// MaxEventAge bounds how old an event's create_time may be. Feishu re-pushes
// an unacknowledged event for about 7.1 h (15 s, 5 min, 1 h, 6 h) with its
// original create_time, so a 5-minute window on create_time would refuse
// Feishu's own retries; the request timestamp gets the tight window instead.
const MaxEventAge = 8 * time.Hour

// Verifier checks and opens the events Feishu posts to the request URL
// (webhook mode). Its methods are pure, safe for concurrent use.
//
// With EncryptKey set every request must be encrypted, and every request
// but the url_verification (which Feishu sends unsigned) must carry a valid
// X-Lark-Signature over the raw body and a fresh timestamp. Without it the
// Verification Token inside the event is the only proof of origin, and it
// is checked on every event, not only on url_verification as the SDK's
// dispatcher does (platforms.md pitfall 8).
//
// VerificationToken and EncryptKey are secrets: a Verifier prints them as
// REDACTED with fmt and log/slog.
type Verifier struct {
	AppID             string // events for another app_id are refused; empty: not checked
	VerificationToken string // FEISHU_VERIFICATION_TOKEN
	EncryptKey        string // FEISHU_ENCRYPT_KEY; empty: events come in plaintext
	// Window bounds the request timestamp's distance from now
	// (DefaultWindow when zero).
	Window time.Duration
	// Now reads the clock (time.Now when nil).
	Now func() time.Time
}

// String hides the token and the key.
func (v Verifier) String() string {
	return fmt.Sprintf("feishu.Verifier{AppID:%q VerificationToken:REDACTED EncryptKey:REDACTED}", v.AppID)
}

// GoString hides the token and the key from %#v.
func (v Verifier) GoString() string { return v.String() }

// Format hides the token and the key from every fmt verb.
func (v Verifier) Format(f fmt.State, _ rune) { _, _ = fmt.Fprint(f, v.String()) }

// LogValue hides the token and the key from log/slog.
func (v Verifier) LogValue() slog.Value {
	return slog.GroupValue(slog.String("app_id", v.AppID), slog.Bool("encrypted", v.EncryptKey != ""))
}

func (v Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v Verifier) window() time.Duration {
	if v.Window > 0 {
		return v.Window
	}
	return DefaultWindow
}

// Event is a verified, decrypted event envelope.
type Event struct {
	Schema     string // "2.0", or "" for a v1 event or a url_verification
	Type       string // TypeURLVerification or the event type, e.g. EventMessageReceive
	Challenge  string // for TypeURLVerification: echo it as {"challenge": …}
	EventID    string // header.event_id (v1: uuid)
	AppID      string // header.app_id
	CreateTime time.Time
	// Body is the plaintext JSON, for ParseMessage and ParseCardAction.
	Body []byte
}

// envelope is what Open reads of a plaintext event: the v2.0 header, or the
// v1 and url_verification fields.
type envelope struct {
	Encrypt   string `json:"encrypt"`
	Schema    string `json:"schema"`
	Type      string `json:"type"`
	Token     string `json:"token"`
	Challenge string `json:"challenge"`
	UUID      string `json:"uuid"`
	TS        string `json:"ts"`
	Header    *struct {
		EventID    string `json:"event_id"`
		EventType  string `json:"event_type"`
		AppID      string `json:"app_id"`
		CreateTime string `json:"create_time"`
		Token      string `json:"token"`
	} `json:"header"`
	Event *struct {
		Type  string `json:"type"`
		AppID string `json:"app_id"`
	} `json:"event"`
}

// Open verifies and decrypts one request to the request URL: h holds its
// headers, body its raw body. It returns the envelope with the plaintext,
// or an error wrapping ErrSignature, ErrToken, ErrStale, ErrDecrypt, ErrJSON
// or ErrApp, in which case nothing about the request may be trusted.
//
// With an Encrypt Key the signature is checked before anything is
// decrypted; an unsigned request (only url_verification may be one) that
// fails in any way is refused with ErrSignature alone, so that its answers
// tell a forger nothing about the plaintext.
func (v Verifier) Open(h http.Header, body []byte) (*Event, error) {
	ts, nonce, sig := h.Get(HeaderTimestamp), h.Get(HeaderNonce), h.Get(HeaderSignature)
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("feishu: open: body: %w: %v", ErrJSON, err)
	}
	if v.EncryptKey == "" {
		if env.Encrypt != "" {
			return nil, fmt.Errorf("feishu: open: %w: the body is encrypted but no Encrypt Key is configured (FEISHU_ENCRYPT_KEY)", ErrDecrypt)
		}
		if ts != "" {
			if err := v.fresh(ts); err != nil {
				return nil, err
			}
		}
		return v.check(env, body, false)
	}
	if env.Encrypt == "" {
		return nil, fmt.Errorf("feishu: open: %w: body is not encrypted", ErrDecrypt)
	}
	if sig == "" && ts == "" && nonce == "" {
		// Feishu signs everything but the url_verification.
		ev, err := v.decrypt(env.Encrypt, false)
		if err != nil || ev.Type != TypeURLVerification {
			return nil, fmt.Errorf("feishu: open: %w: missing %s", ErrSignature, HeaderSignature)
		}
		return ev, nil
	}
	if sig == "" || ts == "" || nonce == "" {
		return nil, fmt.Errorf("feishu: open: %w: missing %s, %s or %s", ErrSignature, HeaderSignature, HeaderTimestamp, HeaderNonce)
	}
	want := Signature(ts, nonce, v.EncryptKey, body)
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(sig))) != 1 {
		return nil, fmt.Errorf("feishu: open: %w", ErrSignature)
	}
	if err := v.fresh(ts); err != nil {
		return nil, err
	}
	return v.decrypt(env.Encrypt, true)
}

// decrypt opens the encrypt field and checks the event inside.
func (v Verifier) decrypt(encrypted string, signed bool) (*Event, error) {
	plain, err := Decrypt(encrypted, v.EncryptKey)
	if err != nil {
		return nil, fmt.Errorf("feishu: open: %w", err)
	}
	var env envelope
	if err := json.Unmarshal(plain, &env); err != nil {
		return nil, fmt.Errorf("feishu: open: event: %w: %v", ErrJSON, err)
	}
	if env.Encrypt != "" {
		return nil, fmt.Errorf("feishu: open: %w: encrypted twice", ErrJSON)
	}
	return v.check(env, plain, signed)
}

// check reads the plaintext envelope env of plain and checks its token, app
// and age.
func (v Verifier) check(env envelope, plain []byte, signed bool) (*Event, error) {
	ev := &Event{Body: plain}
	token := env.Token
	switch {
	case env.Type == TypeURLVerification:
		ev.Type, ev.Challenge = TypeURLVerification, env.Challenge
	case env.Header != nil:
		ev.Schema, ev.Type, ev.EventID, ev.AppID = env.Schema, env.Header.EventType, env.Header.EventID, env.Header.AppID
		ev.CreateTime = parseTime(env.Header.CreateTime)
		token = env.Header.Token
	case env.Event != nil:
		ev.Type, ev.EventID, ev.CreateTime = env.Event.Type, env.UUID, parseTime(env.TS)
		ev.AppID = env.Event.AppID
	default:
		return nil, fmt.Errorf("feishu: open: %w: neither a url_verification nor an event", ErrJSON)
	}
	if ev.Type == "" {
		return nil, fmt.Errorf("feishu: open: %w: no event type", ErrJSON)
	}
	// The token is checked on every event: without an Encrypt Key it is the
	// only proof of origin; with one it confirms the key is this app's.
	switch {
	case v.VerificationToken == "" && !signed:
		return nil, fmt.Errorf("feishu: open: %w: no Verification Token configured and the request is not signed", ErrToken)
	case v.VerificationToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(v.VerificationToken)) != 1:
		return nil, fmt.Errorf("feishu: open: %w", ErrToken)
	}
	if ev.Type == TypeURLVerification {
		return ev, nil
	}
	if v.AppID != "" && ev.AppID != "" && ev.AppID != v.AppID {
		return nil, fmt.Errorf("feishu: open: %w: %q", ErrApp, ev.AppID)
	}
	if !ev.CreateTime.IsZero() {
		now := v.now()
		if ev.CreateTime.Before(now.Add(-MaxEventAge)) || ev.CreateTime.After(now.Add(v.window())) {
			return nil, fmt.Errorf("feishu: open: %w: create_time %s", ErrStale, ev.CreateTime.UTC().Format(time.RFC3339))
		}
	}
	return ev, nil
}

// fresh checks a request timestamp (Unix seconds) against the window.
func (v Verifier) fresh(ts string) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("feishu: open: %w: %s is not a number", ErrStale, HeaderTimestamp)
	}
	d := v.now().Sub(time.Unix(sec, 0))
	if d > v.window() || d < -v.window() {
		return fmt.Errorf("feishu: open: %w: %s is %v away", ErrStale, HeaderTimestamp, d.Round(time.Second))
	}
	return nil
}

// parseTime reads an event timestamp: Unix seconds, milliseconds (what the
// SDK documents for create_time) or microseconds (what some samples show),
// told apart by size. It returns the zero time for anything else.
func parseTime(s string) time.Time {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	switch {
	case err != nil || n <= 0:
		return time.Time{}
	case n >= 1e15:
		return time.UnixMicro(n)
	case n >= 1e12:
		return time.UnixMilli(n)
	default:
		return time.Unix(n, 0)
	}
}

// Signature returns X-Lark-Signature for a request: the lowercase hex
// SHA-256 of timestamp, nonce, the Encrypt Key and the raw body, as the SDK
// computes it (larkevent.Signature).
func Signature(timestamp, nonce, encryptKey string, body []byte) string {
	return larkevent.Signature(timestamp, nonce, encryptKey, string(body))
}

// Decrypt opens the "encrypt" field of an event: base64 of a 16-byte IV and
// the AES-256-CBC ciphertext, keyed with SHA-256(encryptKey), PKCS#7-padded
// to 16-byte blocks (platforms.md §3.4). Errors wrap ErrDecrypt.
//
// It does not use larkevent.EventDecrypt, which leaves the padding in place
// and, for JSON, cuts from the first '{' to the last '}', so that it accepts
// a garbled last block; Decrypt requires well-formed padding.
func Decrypt(encrypted, encryptKey string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrDecrypt)
	}
	if len(raw) < 2*aes.BlockSize || len(raw)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not an IV and whole AES blocks", ErrDecrypt, len(raw))
	}
	key := sha256.Sum256([]byte(encryptKey))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	plain := make([]byte, len(raw)-aes.BlockSize)
	cipher.NewCBCDecrypter(block, raw[:aes.BlockSize]).CryptBlocks(plain, raw[aes.BlockSize:])
	n := int(plain[len(plain)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, fmt.Errorf("%w: bad padding", ErrDecrypt)
	}
	pad := plain[len(plain)-n:]
	if subtle.ConstantTimeCompare(pad, bytes.Repeat([]byte{byte(n)}, n)) != 1 {
		return nil, fmt.Errorf("%w: bad padding", ErrDecrypt)
	}
	return plain[:len(plain)-n], nil
}

// Encrypt is the inverse of Decrypt, with a random IV: what Feishu puts in
// "encrypt". Tests and the fake use it to build encrypted events.
func Encrypt(plain []byte, encryptKey string) (string, error) {
	key := sha256.Sum256([]byte(encryptKey))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return "", fmt.Errorf("feishu: encrypt: %w", err)
	}
	n := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(append([]byte{}, plain...), bytes.Repeat([]byte{byte(n)}, n)...)
	out := make([]byte, aes.BlockSize+len(padded))
	if _, err := rand.Read(out[:aes.BlockSize]); err != nil {
		return "", fmt.Errorf("feishu: encrypt: %w", err)
	}
	cipher.NewCBCEncrypter(block, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], padded)
	return base64.StdEncoding.EncodeToString(out), nil
}

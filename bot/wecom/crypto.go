// Package wecom is channelbot's adapter for a WeCom (企业微信) self-built app
// (自建应用): it verifies and decrypts callbacks ([Crypto]) and sends
// messages ([Client]).
//
// It wraps github.com/silenceper/wechat/v2 for what that SDK does well
// (signatures, AES-256-CBC, the access-token fetch) and fills its gaps,
// listed in platforms.md §5.1: the SDK has no callback server for
// self-built apps, never evicts a rejected token, refreshes per process
// rather than per cluster, and quotes the corpsecret in its errors.
//
// Receiving is pure: [Crypto.VerifyURL] and [Crypto.Open] do no I/O, so the
// HTTP handler can verify, decrypt and acknowledge within WeCom's 5 s.
//
// The package states WeCom's limits, and nothing else repeats them: the size
// replies are split to ([SplitBytes]) and the send rates the outbox keeps to
// ([Limits]).
package wecom

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/silenceper/wechat/v2/util"
)

// Errors of VerifyURL and Open, wrapped with %w. Each is distinct, so the
// handler can log why a callback was refused; all of them mean "answer 4xx,
// do nothing".
var (
	// ErrSignature: msg_signature does not match sha1(token, timestamp,
	// nonce, ciphertext). WXBizMsgCrypt -40001.
	ErrSignature = errors.New("wecom: bad signature")
	// ErrDecrypt: the ciphertext is not base64, not whole AES blocks, or
	// does not decrypt to a well-formed plaintext; also an EncodingAESKey
	// that is not 43 characters of base64. WXBizMsgCrypt -40007.
	ErrDecrypt = errors.New("wecom: cannot decrypt")
	// ErrCorpID: the plaintext decrypted, but its receiveid is not our
	// CorpID. WXBizMsgCrypt -40005.
	ErrCorpID = errors.New("wecom: receiveid is not our corp ID")
	// ErrXML: the POST body or the decrypted message is not the XML we
	// expect. WXBizMsgCrypt -40002.
	ErrXML = errors.New("wecom: bad XML")
)

// Crypto verifies, decrypts and encrypts WeCom callbacks (加解密方案,
// https://developer.work.weixin.qq.com/document/path/91144). Its methods are
// pure functions, safe for concurrent use.
//
// Token and AESKey are secrets: a Crypto prints them as REDACTED with fmt
// and log/slog.
type Crypto struct {
	Token  string // the callback Token set in the admin console
	AESKey string // the 43-character EncodingAESKey
	CorpID string // the receiveid every plaintext must end with
}

// String hides Token and AESKey.
func (c Crypto) String() string {
	return fmt.Sprintf("wecom.Crypto{CorpID:%q Token:REDACTED AESKey:REDACTED}", c.CorpID)
}

// GoString hides Token and AESKey from %#v.
func (c Crypto) GoString() string { return c.String() }

// Format hides Token and AESKey from every fmt verb, including those such
// as %d that bypass String.
func (c Crypto) Format(f fmt.State, _ rune) { _, _ = fmt.Fprint(f, c.String()) }

// LogValue hides Token and AESKey from log/slog.
func (c Crypto) LogValue() slog.Value {
	return slog.GroupValue(slog.String("corp_id", c.CorpID))
}

// Sign returns msg_signature for a ciphertext: the lowercase hex SHA-1 of
// Token, timestamp, nonce and encrypted, sorted and concatenated.
func (c Crypto) Sign(timestamp, nonce, encrypted string) string {
	return util.Signature(c.Token, timestamp, nonce, encrypted)
}

// verify compares msgSignature with the expected one in constant time.
func (c Crypto) verify(msgSignature, timestamp, nonce, encrypted string) error {
	want := c.Sign(timestamp, nonce, encrypted)
	if subtle.ConstantTimeCompare([]byte(want), []byte(msgSignature)) != 1 {
		return ErrSignature
	}
	return nil
}

// VerifyURL answers the URL check WeCom makes when the callback URL is saved
// (GET ?msg_signature&timestamp&nonce&echostr): it verifies the signature
// over echostr, decrypts it and returns the plaintext, which the handler
// must write back as the whole 200 body. Pass the query values already
// URL-decoded, as r.URL.Query() gives them.
func (c Crypto) VerifyURL(msgSignature, timestamp, nonce, echostr string) (string, error) {
	if err := c.verify(msgSignature, timestamp, nonce, echostr); err != nil {
		return "", fmt.Errorf("wecom: verify URL: %w", err)
	}
	plain, err := c.decrypt(echostr)
	if err != nil {
		return "", fmt.Errorf("wecom: verify URL: %w", err)
	}
	return string(plain), nil
}

// envelope is the POST body of a callback. Seal also fills the fields of a
// passive reply (MsgSignature, TimeStamp, Nonce), so that its output can
// serve as either and carries its own signature.
type envelope struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	Encrypt      cdata    `xml:"Encrypt"`
	AgentID      cdata    `xml:"AgentID"`
	MsgSignature cdata    `xml:"MsgSignature,omitempty"`
	TimeStamp    string   `xml:"TimeStamp,omitempty"`
	Nonce        cdata    `xml:"Nonce,omitempty"`
}

// cdata marshals as a CDATA section, as WeCom writes its strings, and
// unmarshals like a plain string.
type cdata string

func (s cdata) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		V string `xml:",cdata"`
	}{string(s)}, start)
}

// Open verifies and decrypts a message callback (POST
// ?msg_signature&timestamp&nonce with body
// <xml><ToUserName/><Encrypt/><AgentID/></xml>) and parses the message
// inside. The signature covers the Encrypt element and is compared in
// constant time; the plaintext's receiveid must equal CorpID. On error the
// Message is nil and the error wraps ErrXML, ErrSignature, ErrDecrypt or
// ErrCorpID.
func (c Crypto) Open(msgSignature, timestamp, nonce string, body []byte) (*Message, error) {
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("wecom: open: body: %w: %v", ErrXML, err)
	}
	if env.Encrypt == "" {
		return nil, fmt.Errorf("wecom: open: body: %w: no Encrypt element", ErrXML)
	}
	if err := c.verify(msgSignature, timestamp, nonce, string(env.Encrypt)); err != nil {
		return nil, fmt.Errorf("wecom: open: %w", err)
	}
	plain, err := c.decrypt(string(env.Encrypt))
	if err != nil {
		return nil, fmt.Errorf("wecom: open: %w", err)
	}
	m, err := parseMessage(plain)
	if err != nil {
		return nil, fmt.Errorf("wecom: open: %w", err)
	}
	return m, nil
}

// Seal encrypts plainXML as WeCom would and returns a complete callback body
// whose signature for timestamp and nonce is valid: Open(sig, timestamp,
// nonce, body) returns the parsed plainXML. The body also carries
// MsgSignature, TimeStamp and Nonce elements, so it doubles as an encrypted
// passive reply (path/96469) and a test can read the signature from it
// (see SealedSignature). The AgentID element is copied from plainXML when it
// has a numeric one.
func (c Crypto) Seal(plainXML []byte, timestamp, nonce string) ([]byte, error) {
	if _, err := aesKey(c.AESKey); err != nil {
		return nil, fmt.Errorf("wecom: seal: %w", err)
	}
	random := []byte(rand.Text()[:16]) // 16 random letters and digits, like the official samples
	enc, err := util.EncryptMsg(random, plainXML, c.CorpID, c.AESKey)
	if err != nil {
		return nil, fmt.Errorf("wecom: seal: %w: %v", ErrDecrypt, err)
	}
	var inner struct {
		AgentID string `xml:"AgentID"`
	}
	_ = xml.Unmarshal(plainXML, &inner) // best effort: the AgentID is informational
	if _, err := strconv.ParseUint(inner.AgentID, 10, 63); err != nil {
		inner.AgentID = ""
	}
	env := envelope{
		ToUserName:   cdata(c.CorpID),
		Encrypt:      cdata(enc),
		AgentID:      cdata(inner.AgentID),
		MsgSignature: cdata(c.Sign(timestamp, nonce, string(enc))),
		TimeStamp:    timestamp,
		Nonce:        cdata(nonce),
	}
	out, err := xml.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("wecom: seal: %w", err)
	}
	return out, nil
}

// SealedSignature returns the MsgSignature element of a body made by Seal:
// the msg_signature to put in the callback's query.
func SealedSignature(body []byte) (string, error) {
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil {
		return "", fmt.Errorf("wecom: sealed body: %w: %v", ErrXML, err)
	}
	return string(env.MsgSignature), nil
}

// aesKey decodes the 43-character EncodingAESKey into the 32-byte AES key.
func aesKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("%w: EncodingAESKey has %d characters, want 43", ErrDecrypt, len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("%w: EncodingAESKey is not base64 of 32 bytes", ErrDecrypt)
	}
	return key, nil
}

// decrypt opens msg_encrypt = base64(AES-256-CBC(random(16) + len(4) + msg
// + receiveid)) and returns msg.
//
// The SDK's AESDecryptMsg checks only the last padding byte, so a garbled
// final block often passes and surfaces as a wrong receiveid. To tell
// tampering (ErrDecrypt) from a wrong corp (ErrCorpID), decrypt re-encrypts
// the parts with the same random prefix and requires the original
// ciphertext back: the encryption is deterministic (IV = key[:16]), so only
// a canonical plaintext with exact PKCS#7 padding round-trips.
func (c Crypto) decrypt(encrypted string) ([]byte, error) {
	key, err := aesKey(c.AESKey)
	if err != nil {
		return nil, err
	}
	ciphertext, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrDecrypt)
	}
	random, msg, receiveID, err := util.AESDecryptMsg(ciphertext, key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	again := util.AESEncryptMsg(random, msg, string(receiveID), key)
	if subtle.ConstantTimeCompare(again, ciphertext) != 1 {
		return nil, fmt.Errorf("%w: malformed plaintext", ErrDecrypt)
	}
	if !bytes.Equal(receiveID, []byte(c.CorpID)) {
		return nil, fmt.Errorf("%w: got %q", ErrCorpID, receiveID)
	}
	return msg, nil
}

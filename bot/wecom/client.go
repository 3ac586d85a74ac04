package wecom

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/util"

	"channelbot/bot"
	"channelbot/bot/outbox"
	"channelbot/bot/state"
	"channelbot/config"
)

var _ outbox.Sender = (*Client)(nil)

// Limits of message/send (platforms.md §2.2; template_card: path/94945).
const (
	// MaxContentBytes is the most text.content or markdown.content may
	// hold. The caller splits longer text; Send refuses it.
	MaxContentBytes = 2048
	// SplitBytes is the size the bot splits longer replies to: all that one
	// message may hold.
	SplitBytes = MaxContentBytes
	// MemberPerMinute and MemberPerHour are how many messages one member may
	// get from the app; WeCom drops the excess silently.
	MemberPerMinute = 30
	MemberPerHour   = 1000
	// MaxButtons is the most buttons a button_interaction card shows.
	MaxButtons = 6

	maxTitleRunes    = 36   // main_title.title: "建议不超过36个字"
	maxSubTitleRunes = 160  // sub_title_text: "建议不超过160个字"
	maxKeyBytes      = 1024 // button key
	maxTaskIDBytes   = 128  // task_id
	maxToBytes       = 64   // a UserID is at most 64 bytes

	// duplicateCheckInterval is how long WeCom refuses to deliver the same
	// content to the same user again, in seconds: the most the API allows
	// (4 hours). A resend after a crash between the send and the outbox
	// update is then harmless, and the outbox makes none after it
	// (Limits.DuplicateWindow).
	duplicateCheckInterval = 4 * 60 * 60

	defaultTimeout = 10 * time.Second // for an *http.Client without one
	maxResponse    = 1 << 20          // bytes of a response body read

	wecomHost = "qyapi.weixin.qq.com" // the host the SDK's URLs name
)

// Token cache and refresh lock, in the shared state.Store.
const (
	// tokenCachePrefix is the cacheKeyPrefix given to the SDK, which
	// stores the token under tokenCachePrefix+"_access_token_<corp>_<agent>"
	// (credential.WorkAccessToken) for expires_in-1500 s.
	tokenCachePrefix = "wecom"
	// refreshLockTTL bounds how long a crashed refresher blocks others; it
	// exceeds the HTTP timeout of a healthy one.
	refreshLockTTL = 15 * time.Second
	// refreshWait is how long Token waits for another replica's refresh
	// before giving up.
	refreshWait  = 2 * refreshLockTTL
	pollFirst    = 20 * time.Millisecond
	pollMax      = 250 * time.Millisecond
	redactedText = "REDACTED"
)

// Limits returns WeCom's send limits as the outbound dispatcher applies them:
// MemberPerMinute and MemberPerHour to one member, and the app's own rate of
// perMinute messages (config.WeCom.AppRatePerMinute), smoothed per second,
// which keeps every minute under perMinute too, with 2% to spare for the
// jitter between our clock and the platform's.
func Limits(perMinute int) outbox.Limits {
	return outbox.Limits{
		PerRecipient: []outbox.Rate{outbox.RateFor(MemberPerMinute, time.Minute, 5), outbox.RateFor(MemberPerHour, time.Hour, 10)},
		App:          outbox.RateFor(max(perMinute*98/100/60, 2), time.Second, 10),
		// Every send asks for the duplicate check over this time.
		DuplicateWindow: duplicateCheckInterval * time.Second,
	}
}

// Client sends messages as one WeCom app through the message/send API and
// keeps the app's access_token in a state.Store shared by all replicas.
// A Client is safe for concurrent use.
//
// The SDK's HTTP settings are process-global (util.DefaultHTTPClient,
// util.SetURIModifier) and NewClient sets them: one process talks to one
// WeCom API base. Create Clients at startup, before they are used
// concurrently; the last NewClient wins.
type Client struct {
	corpID  string
	agentID int64
	agent   string // agentID as configured, for the SDK and logs
	secret  string // revealed: pass only to the SDK, scrub from errors
	base    *url.URL
	hc      *http.Client
	st      state.Store
	log     *slog.Logger

	tokenKey string // where the SDK caches the token in st
	lockKey  string // the refresh lock in st
}

// NewClient returns a Client for the app in cfg (CorpID, AgentID, Secret,
// APIBase; an empty APIBase means config.DefaultWeComAPIBase), aimed at
// cfg.APIBase: the production API or, in tests, a wecomtest.Server.
// hc may be nil; a client without a Timeout gets one of 10 s. st holds the
// access token, shared by every replica on the same store. log may be nil.
//
// NewClient points the SDK's process-global HTTP client and URI modifier at
// hc and cfg.APIBase (see Client).
func NewClient(cfg config.WeCom, hc *http.Client, st state.Store, log *slog.Logger) (*Client, error) {
	if cfg.CorpID == "" || cfg.Secret == "" {
		return nil, errors.New("wecom: new client: corp ID and secret are required")
	}
	agentID, err := strconv.ParseInt(cfg.AgentID, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("wecom: new client: agent ID %q is not an integer", cfg.AgentID)
	}
	rawBase := cfg.APIBase
	if rawBase == "" {
		rawBase = config.DefaultWeComAPIBase
	}
	base, err := url.Parse(rawBase)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("wecom: new client: API base %q is not an http(s) URL", rawBase)
	}
	base.Path = strings.TrimSuffix(base.Path, "/")
	base.RawPath, base.RawQuery, base.Fragment = "", "", ""
	if st == nil {
		return nil, errors.New("wecom: new client: nil state store")
	}
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	} else if hc.Timeout == 0 {
		withTimeout := *hc
		withTimeout.Timeout = defaultTimeout
		hc = &withTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	agent := strconv.FormatInt(agentID, 10)
	c := &Client{
		corpID:   cfg.CorpID,
		agentID:  agentID,
		agent:    agent,
		secret:   cfg.Secret.Reveal(),
		base:     base,
		hc:       hc,
		st:       st,
		log:      log.With("platform", "wecom"),
		tokenKey: fmt.Sprintf("%s_access_token_%s_%s", tokenCachePrefix, cfg.CorpID, agent),
	}
	c.lockKey = c.tokenKey + ":refresh"
	util.DefaultHTTPClient = hc
	util.SetURIModifier(rewriteBase(base))
	return c, nil
}

// rewriteBase returns the SDK URI modifier that sends requests for
// qyapi.weixin.qq.com to base instead, keeping path and query.
func rewriteBase(base *url.URL) util.URIModifier {
	return func(uri string) string {
		u, err := url.Parse(uri)
		if err != nil || u.Host != wecomHost {
			return uri
		}
		u.Scheme, u.Host = base.Scheme, base.Host
		u.Path = base.Path + u.Path
		u.RawPath = ""
		return u.String()
	}
}

// APIError is a non-zero errcode in a WeCom response (全局错误码,
// https://developer.work.weixin.qq.com/document/path/90313).
type APIError struct {
	Code int
	Msg  string
}

func (e *APIError) Error() string { return fmt.Sprintf("errcode %d: %s", e.Code, e.Msg) }

// statusError is an HTTP status other than 200.
type statusError struct{ status int }

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d", e.status) }

// Errcodes that mean the access token must be replaced.
func tokenRejected(code int) bool {
	return code == 40014 || code == 42001 || code == 42009
}

// Token returns the app's access_token, from the shared cache or, when the
// cache has none, from WeCom (gettoken, path/91039) via the SDK, which caches
// it for expires_in-1500 s, so it is refreshed 25 minutes early.
//
// One caller at a time refreshes, across replicas: it holds a lock key in
// the store while the SDK fetches; the others poll the cache until the new
// token appears, the lock is free again, or ctx ends. Errors never contain
// the secret.
func (c *Client) Token(ctx context.Context) (string, error) {
	giveUp := time.Now().Add(refreshWait)
	wait := pollFirst
	for {
		tok, ok, err := c.st.Get(ctx, c.tokenKey)
		if err != nil {
			return "", fmt.Errorf("wecom: token: read cache: %w", err)
		}
		if ok && len(tok) > 0 {
			return string(tok), nil
		}
		owner := []byte(rand.Text())
		locked, err := c.st.SetNX(ctx, c.lockKey, owner, refreshLockTTL)
		if err != nil {
			return "", fmt.Errorf("wecom: token: take refresh lock: %w", err)
		}
		if locked {
			t, err := c.fetchToken(ctx, storeCache{ctx: ctx, st: c.st})
			if _, uerr := c.st.CompareAndDelete(context.WithoutCancel(ctx), c.lockKey, owner); uerr != nil {
				c.log.WarnContext(ctx, "release token refresh lock", "error", uerr)
			}
			if err == nil {
				c.log.InfoContext(ctx, "access token refreshed")
			}
			return t, err
		}
		if time.Now().After(giveUp) {
			return "", errors.New("wecom: token: gave up waiting for another refresh")
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return "", fmt.Errorf("wecom: token: wait for refresh: %w", ctx.Err())
		case <-timer.C:
		}
		wait = min(2*wait, pollMax)
	}
}

// fetchToken runs the SDK's token getter over cache: it reads the cache
// once more and, if empty, fetches a token and stores it there.
func (c *Client) fetchToken(ctx context.Context, cache tokenCache) (string, error) {
	h := newTokenHandle(c.corpID, c.secret, c.agent, cache)
	tok, err := h.GetAccessTokenContext(ctx)
	if err != nil {
		return "", c.tokenError(err)
	}
	if tok == "" {
		return "", errors.New("wecom: get token: empty access_token")
	}
	return tok, nil
}

// dropToken evicts tok from the cache, unless another caller has already
// replaced it with a fresh one.
func (c *Client) dropToken(ctx context.Context, tok string) error {
	if _, err := c.st.CompareAndDelete(ctx, c.tokenKey, []byte(tok)); err != nil {
		return fmt.Errorf("wecom: evict token: %w", err)
	}
	return nil
}

// The SDK's token errors, as of v2.1.10 (credential.GetTokenFromServerContext
// and util.HTTPGetContext). Both texts quote what WeCom said; the status one
// quotes the URL, corpsecret included.
var (
	sdkErrcode = regexp.MustCompile(`errcode=(-?\d+) , errormsg=(.*)$`)
	sdkStatus  = regexp.MustCompile(`statusCode=(\d+)`)
	secretArg  = regexp.MustCompile(`(?i)(corpsecret|access_token)=[^&\s"']*`)
)

// tokenError turns an SDK token error into *APIError, *statusError or a
// scrubbed network error. None of them holds the secret.
func (c *Client) tokenError(err error) error {
	text := scrubText(err.Error(), c.secret)
	if m := sdkErrcode.FindStringSubmatch(text); m != nil {
		code, _ := strconv.Atoi(m[1])
		return fmt.Errorf("wecom: get token: %w", &APIError{Code: code, Msg: m[2]})
	}
	if m := sdkStatus.FindStringSubmatch(text); m != nil {
		status, _ := strconv.Atoi(m[1])
		return fmt.Errorf("wecom: get token: %w", &statusError{status: status})
	}
	return scrub("wecom: get token", err, c.secret)
}

// scrubText removes every secret from s: as is, URL-escaped and
// Go-quoted, and any corpsecret= or access_token= query value.
func scrubText(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		quoted := strconv.Quote(secret)
		for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret), quoted[1 : len(quoted)-1]} {
			s = strings.ReplaceAll(s, form, redactedText)
		}
	}
	return secretArg.ReplaceAllString(s, "${1}="+redactedText)
}

// scrub returns prefix: err, with secrets removed from the text.
func scrub(prefix string, err error, secrets ...string) error {
	return bot.Scrub(prefix, err, func(s string) string { return scrubText(s, secrets...) })
}

// apiResponse is the common part of WeCom's JSON answers, with the fields
// of message/send.
type apiResponse struct {
	ErrCode        int    `json:"errcode"`
	ErrMsg         string `json:"errmsg"`
	InvalidUser    string `json:"invaliduser"`
	UnlicensedUser string `json:"unlicenseduser"`
	MsgID          string `json:"msgid"`
}

// call sends one API request with the access token and decodes the JSON
// answer into out. A network error or an HTTP status other than 200 is an
// error; a non-zero errcode is left in out for the caller. Errors never
// contain the token.
func (c *Client) call(ctx context.Context, method, path, token string, query url.Values, body []byte, out *apiResponse) error {
	u := *c.base
	u.Path += path
	if query == nil {
		query = url.Values{}
	}
	query.Set("access_token", token)
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return scrub("wecom: "+path, err, token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return scrub("wecom: "+path, err, token)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return scrub("wecom: "+path+": read answer", err, token)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wecom: %s: %w", path, &statusError{status: resp.StatusCode})
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("wecom: %s: answer is not JSON: %w", path, err)
	}
	out.ErrMsg = scrubText(out.ErrMsg, token)
	return nil
}

// Send delivers m to one member (m.To, a UserID) with message/send
// (https://developer.work.weixin.qq.com/document/path/90236): as text, as
// markdown when m.Markdown, or as a button_interaction template card when m
// has buttons. Duplicate checking is on for 4 hours (the API's most), so a
// retry of the same content after a crash is not delivered twice; the outbox
// resends nothing after that (Limits).
//
// A token WeCom rejects (40014, 42001, 42009) is evicted and the send
// retried once with a fresh one. Refusals are *outbox.SendError: permanent for
// an unknown user (81013, 40003, or a non-empty invaliduser), an IP not
// allowed (60020), a bad secret (40001), another app's token (301002), a
// forbidden API (48002) and a message WeCom cannot take (checked here
// first: text over 2048 bytes, no recipient, bad buttons); temporary with
// RetryAfter for -1, 45009 (60 s) and 45033. Network errors and HTTP 5xx
// are plain (temporary) errors.
func (c *Client) Send(ctx context.Context, m outbox.Outgoing) error {
	req, err := c.request(ctx, m)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // WeCom rejects \u003c escapes (40033)
	if err := enc.Encode(req); err != nil {
		return fmt.Errorf("wecom: send: encode: %w", err)
	}
	log := c.log.With("outbox_id", m.ID, "msg_type", req.MsgType)

	tok, err := c.Token(ctx)
	if err != nil {
		return sendTokenError(err)
	}
	var resp apiResponse
	if err := c.call(ctx, http.MethodPost, "/cgi-bin/message/send", tok, nil, buf.Bytes(), &resp); err != nil {
		return err
	}
	if tokenRejected(resp.ErrCode) {
		log.WarnContext(ctx, "access token rejected, refreshing", "errcode", resp.ErrCode)
		if err := c.dropToken(ctx, tok); err != nil {
			return err
		}
		if tok, err = c.Token(ctx); err != nil {
			return sendTokenError(err)
		}
		resp = apiResponse{}
		if err := c.call(ctx, http.MethodPost, "/cgi-bin/message/send", tok, nil, buf.Bytes(), &resp); err != nil {
			return err
		}
	}
	if err := sendResult(resp); err != nil {
		return err
	}
	log.DebugContext(ctx, "message sent", "msg_id", resp.MsgID)
	return nil
}

// sendResult turns a message/send answer into nil or *outbox.SendError.
func sendResult(r apiResponse) error {
	if r.ErrCode != 0 {
		return classify(r.ErrCode, r.ErrMsg)
	}
	if r.InvalidUser != "" {
		return &outbox.SendError{Permanent: true, Reason: "unknown user (invaliduser " + r.InvalidUser + ")"}
	}
	if r.UnlicensedUser != "" {
		return &outbox.SendError{Permanent: true, Reason: "user has no license (unlicenseduser " + r.UnlicensedUser + ")"}
	}
	return nil
}

// sendTokenError turns a token failure into what Send returns: a refusal
// WeCom gave is a *outbox.SendError classified like a send's; anything else
// (network, store) stays a plain, temporary error.
func sendTokenError(err error) error {
	var ae *APIError
	if errors.As(err, &ae) {
		se := classify(ae.Code, ae.Msg)
		se.Reason = "get token: " + se.Reason
		return se
	}
	return err
}

// classify maps a WeCom errcode (path/90313) to a SendError.
func classify(code int, msg string) *outbox.SendError {
	se := &outbox.SendError{Code: code, Reason: msg}
	switch code {
	case 40001, // invalid secret
		40003, 81013, 82001, // invalid or unknown user
		40013,         // invalid corp ID
		40056, 301002, // agent ID invalid or not this token's
		60011,                             // no privilege
		60020,                             // IP not in the app's trusted IPs
		48002,                             // API forbidden
		40008, 40058, 44004, 45002, 47001: // the message itself is malformed
		se.Permanent = true
	case 45009: // per-API minute/hour quota; a minute block lasts 60 s
		se.RetryAfter = 60 * time.Second
	case 45033, -1: // too many concurrent calls; system busy
		se.RetryAfter = 2 * time.Second
	}
	return se
}

// sendRequest is the body of message/send. agentid is an integer: the SDK's
// SendRequestCommon sends it as a string.
type sendRequest struct {
	ToUser                 string        `json:"touser"`
	MsgType                string        `json:"msgtype"`
	AgentID                int64         `json:"agentid"`
	Text                   *content      `json:"text,omitempty"`
	Markdown               *content      `json:"markdown,omitempty"`
	TemplateCard           *templateCard `json:"template_card,omitempty"`
	Safe                   int           `json:"safe"`
	EnableDuplicateCheck   int           `json:"enable_duplicate_check"`
	DuplicateCheckInterval int           `json:"duplicate_check_interval"`
}

type content struct {
	Content string `json:"content"`
}

type templateCard struct {
	CardType     string       `json:"card_type"`
	MainTitle    cardTitle    `json:"main_title"`
	SubTitleText string       `json:"sub_title_text,omitempty"`
	TaskID       string       `json:"task_id"`
	ButtonList   []cardButton `json:"button_list"`
}

type cardTitle struct {
	Title string `json:"title,omitempty"`
}

type cardButton struct {
	Text  string `json:"text"`
	Style int    `json:"style"`
	Key   string `json:"key"`
}

// refuse is a permanent SendError for a message Send will not try: WeCom
// would refuse it too. Its Code is 0: the refusal is ours.
func refuse(format string, args ...any) *outbox.SendError {
	return &outbox.SendError{Permanent: true, Reason: fmt.Sprintf(format, args...)}
}

// request builds the message/send body for m, or refuses m.
func (c *Client) request(ctx context.Context, m outbox.Outgoing) (*sendRequest, error) {
	switch {
	case m.To == "":
		return nil, refuse("no recipient")
	case m.To == "@all" || strings.ContainsAny(m.To, "|") || len(m.To) > maxToBytes:
		return nil, refuse("recipient %q is not one UserID", m.To)
	}
	r := &sendRequest{
		ToUser:                 m.To,
		AgentID:                c.agentID,
		EnableDuplicateCheck:   1,
		DuplicateCheckInterval: duplicateCheckInterval,
	}
	if len(m.Buttons) > 0 {
		card, err := c.card(ctx, m)
		if err != nil {
			return nil, err
		}
		r.MsgType, r.TemplateCard = "template_card", card
		return r, nil
	}
	if strings.TrimSpace(m.Text) == "" {
		return nil, refuse("empty text")
	}
	if len(m.Text) > MaxContentBytes {
		return nil, refuse("text is %d bytes, over WeCom's %d", len(m.Text), MaxContentBytes)
	}
	if m.Markdown {
		r.MsgType, r.Markdown = "markdown", &content{Content: m.Text}
	} else {
		r.MsgType, r.Text = "text", &content{Content: m.Text}
	}
	return r, nil
}

// taskIDChars is what a task_id may hold (platforms.md §2.2).
var taskIDChars = regexp.MustCompile(`^[0-9a-zA-Z_\-@]+$`)

// card builds a button_interaction template card: the first line of the
// text is the title, the rest the sub-title, and the buttons (at most
// MaxButtons; more are dropped with a warning) answer with their keys.
func (c *Client) card(ctx context.Context, m outbox.Outgoing) (*templateCard, error) {
	title, sub, cut := cardText(m.Text)
	if title == "" && sub == "" {
		return nil, refuse("empty text")
	}
	if cut {
		c.log.WarnContext(ctx, "card text shortened", "outbox_id", m.ID)
	}
	buttons := m.Buttons
	if len(buttons) > MaxButtons {
		c.log.WarnContext(ctx, "card buttons dropped", "outbox_id", m.ID, "buttons", len(buttons), "kept", MaxButtons)
		buttons = buttons[:MaxButtons]
	}
	seen := make(map[string]bool, len(buttons))
	list := make([]cardButton, 0, len(buttons))
	for _, b := range buttons {
		switch {
		case b.Key == "":
			return nil, refuse("button %q has no key", b.Text)
		case len(b.Key) > maxKeyBytes:
			return nil, refuse("button key is %d bytes, over %d", len(b.Key), maxKeyBytes)
		case seen[b.Key]:
			return nil, refuse("button key %q twice", b.Key)
		}
		seen[b.Key] = true
		text := strings.TrimSpace(b.Text)
		if text == "" {
			text = b.Key
		}
		list = append(list, cardButton{Text: text, Style: 1, Key: b.Key})
	}
	// task_id must be unique in the app for ever, so the outbox key alone
	// could collide (a new database, a second environment on one app).
	taskID := fmt.Sprintf("%s-%d-%s", m.Key(), m.Attempt, rand.Text()[:8])
	if len(taskID) > maxTaskIDBytes || !taskIDChars.MatchString(taskID) {
		return nil, refuse("task_id %q is not valid", taskID)
	}
	return &templateCard{
		CardType:     "button_interaction",
		MainTitle:    cardTitle{Title: title},
		SubTitleText: sub,
		TaskID:       taskID,
		ButtonList:   list,
	}, nil
}

// cardText splits text into a card's title (the first line, at most
// maxTitleRunes) and sub-title (the rest, at most maxSubTitleRunes). A
// first line too long for the title goes on in the sub-title after "…"; a
// sub-title too long ends at a line break if one is near, with "…". cut
// reports whether any text was lost.
func cardText(text string) (title, sub string, cut bool) {
	first, rest, _ := strings.Cut(strings.TrimSpace(text), "\n")
	first, rest = strings.TrimSpace(first), strings.TrimSpace(rest)
	if r := []rune(first); len(r) > maxTitleRunes {
		first = string(r[:maxTitleRunes-1]) + "…"
		tail := "…" + string(r[maxTitleRunes-1:])
		if rest != "" {
			tail += "\n" + rest
		}
		rest = tail
	}
	if utf8.RuneCountInString(rest) <= maxSubTitleRunes {
		return first, rest, false
	}
	r := []rune(rest)[:maxSubTitleRunes-1]
	if i := lastNewline(r); i >= maxSubTitleRunes/2 {
		r = r[:i]
	}
	return first, strings.TrimRight(string(r), " \n") + "…", true
}

func lastNewline(r []rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == '\n' {
			return i
		}
	}
	return -1
}

// Check is for `channelbot doctor`: it fetches a fresh token (bypassing
// the cache) and reads the app's settings (agent/get, path/90227), which
// proves the corp ID, the secret, the agent ID, the trusted-IP list and the
// API base. The error explains in plain words what to fix (errcode 40001:
// the secret; 60020: this server's IP; an unreachable base) and never
// contains the secret or the token.
func (c *Client) Check(ctx context.Context) error {
	tok, err := c.fetchToken(ctx, noCache{})
	if err != nil {
		return c.explain(err)
	}
	var r apiResponse
	if err := c.call(ctx, http.MethodGet, "/cgi-bin/agent/get", tok, url.Values{"agentid": {c.agent}}, nil, &r); err != nil {
		return c.explain(err)
	}
	if r.ErrCode != 0 {
		return c.explain(fmt.Errorf("wecom: agent/get: %w", &APIError{Code: r.ErrCode, Msg: r.ErrMsg}))
	}
	return nil
}

// explain prefixes err with what to do about it.
func (c *Client) explain(err error) error {
	var (
		ae   *APIError
		se   *statusError
		what string
	)
	switch {
	case errors.As(err, &ae):
		switch ae.Code {
		case 40001:
			what = fmt.Sprintf("WeCom refused the secret (WECOM_SECRET): copy the Secret of app %s from the admin console (应用管理)", c.agent)
		case 40013:
			what = fmt.Sprintf("WeCom does not know the corp ID %q (WECOM_CORP_ID)", c.corpID)
		case 60020:
			what = "WeCom refused this server's IP address: add it to the app's trusted IPs (企业可信IP) in the admin console"
		case 301002, 40056, 60011:
			what = fmt.Sprintf("the secret is not the secret of app %s (WECOM_AGENT_ID), or the app may not use this API", c.agent)
		case 48002:
			what = "WeCom forbids this app the API (48002): check the app's permissions"
		default:
			what = "WeCom refused the request"
		}
	case errors.As(err, &se):
		what = fmt.Sprintf("the WeCom API base %s (WECOM_API_BASE) answered HTTP %d", c.base, se.status)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		what = fmt.Sprintf("no answer from the WeCom API base %s (WECOM_API_BASE) in time", c.base)
	default:
		what = fmt.Sprintf("cannot reach the WeCom API base %s (WECOM_API_BASE)", c.base)
	}
	return fmt.Errorf("wecom: check: %s: %w", what, err)
}

package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"channelbot/bot"
	"channelbot/bot/outbox"
	"channelbot/bot/state"
	"channelbot/config"
)

var _ outbox.Sender = (*Client)(nil)

// Limits of the send and reply APIs (platforms.md §4.2, §4.3).
const (
	// MaxTextBytes is the most a text message may hold; the outbound
	// pipeline splits replies well below it.
	MaxTextBytes = 150 << 10
	// SplitBytes is the size the bot splits longer replies to: under
	// MaxCardBytes, so that a reply sent as a card (markdown, buttons)
	// mostly fits one, and far under MaxTextBytes.
	SplitBytes = 30000
	// MaxUUIDLen is the longest uuid (the idempotency key) Feishu takes.
	MaxUUIDLen = 50
	// UUIDWindow is how long Feishu drops a second send with the same uuid.
	UUIDWindow = time.Hour

	defaultTimeout = 10 * time.Second // for an *http.Client without one
	// Waits when Feishu throttles without saying how long.
	retryRateLimit = 3 * time.Second // 99991400, HTTP 429
	retryPerChat   = 3 * time.Second // 230020: 5 QPS per user or chat
	retryPressure  = 5 * time.Second // 11232: platform under pressure
	maxRetryAfter  = 10 * time.Minute
)

// Limits returns Feishu's send limits as the outbound dispatcher applies
// them: 5 messages a second to one user or chat, and for the app 50 a
// second and 1,000 a minute. Each keeps a little under Feishu's figure, so
// that the jitter between our clock and Feishu's never tips a window over:
// at most 4 a second to one recipient (bursts of 4, then one a second), and
// a smooth 980 a minute for the app with bursts of 30, which keeps every
// second under 50 (30 plus a second's 16).
func Limits() outbox.Limits {
	return outbox.Limits{
		PerRecipient: []outbox.Rate{outbox.RateFor(4, time.Second, 4)},
		App:          outbox.RateFor(980, time.Minute, 30),
		// Feishu drops a second send with the same uuid for an hour.
		DuplicateWindow: UUIDWindow,
	}
}

// Client sends messages as one Feishu app with the im/v1 message APIs of
// the SDK. The app's tenant_access_token lives in a state.Store shared by
// every replica. A Client is safe for concurrent use.
//
// The SDK's token cache is process-global (platforms.md pitfall 7):
// NewClient installs the Client's cache for every SDK client of the
// process, and the last NewClient wins. Create Clients at startup; one
// process talks to one Feishu app.
type Client struct {
	appID  string
	secret string // revealed: pass only to the SDK, scrub from errors
	base   string
	sdk    *lark.Client
	tokens *tokenCache
	log    *slog.Logger
}

// NewClient returns a Client for the app in cfg (AppID, AppSecret, APIBase;
// an empty APIBase means config.DefaultFeishuAPIBase), aimed at cfg.APIBase:
// the production API or, in tests, a feishutest.Server. hc may be nil; a
// client without a Timeout gets one of 10 s. st holds the token, shared by
// every replica on the same store. log may be nil.
func NewClient(cfg config.Feishu, hc *http.Client, st state.Store, log *slog.Logger) (*Client, error) {
	if cfg.AppID == "" || cfg.AppSecret == "" {
		return nil, errors.New("feishu: new client: app ID and app secret are required")
	}
	base, err := apiBase(cfg.APIBase)
	if err != nil {
		return nil, fmt.Errorf("feishu: new client: %w", err)
	}
	if st == nil {
		return nil, errors.New("feishu: new client: nil state store")
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
	log = log.With("platform", "feishu")
	c := &Client{
		appID:  cfg.AppID,
		secret: cfg.AppSecret.Reveal(),
		base:   base,
		tokens: newTokenCache(st),
		log:    log,
	}
	c.sdk = lark.NewClient(c.appID, c.secret,
		lark.WithOpenBaseUrl(base),
		lark.WithHttpClient(tokenRecorder{hc}),
		lark.WithTokenCache(c.tokens),
		lark.WithLogger(sdkLogger{log: log, secrets: []string{c.secret}}),
		lark.WithLogLevel(larkcore.LogLevelInfo),
	)
	return c, nil
}

// apiBase checks and normalises FEISHU_API_BASE.
func apiBase(raw string) (string, error) {
	if raw == "" {
		raw = config.DefaultFeishuAPIBase
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("API base %q is not an http(s) URL", raw)
	}
	return strings.TrimSuffix(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}

// usedToken records the access token a request went out with, so that the
// very token Feishu refuses is the one evicted.
type usedToken struct {
	mu  sync.Mutex
	tok string
}

func (u *usedToken) get() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.tok
}

type usedTokenKey struct{}

// tokenRecorder is the SDK's HTTP client: hc, noting the bearer token of
// each request in the usedToken of its context, if any.
type tokenRecorder struct{ hc *http.Client }

func (r tokenRecorder) Do(req *http.Request) (*http.Response, error) {
	if u, ok := req.Context().Value(usedTokenKey{}).(*usedToken); ok {
		if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
			u.mu.Lock()
			u.tok = tok
			u.mu.Unlock()
		}
	}
	return r.hc.Do(req)
}

// tokenRejected reports whether code means the access token must be
// replaced (platforms.md §4.1).
func tokenRejected(code int) bool {
	return code == 99991663 || code == 99991664 || code == 99991671
}

// result is what Send reads of a create or reply answer.
type result struct {
	status    int
	header    http.Header
	code      int
	msg       string
	messageID string
}

// Send delivers m: a reply quoting the message m.ReplyTo names when that is
// a group message (see InboundID), else a new message to the open_id m.To
// (发送消息 https://open.feishu.cn/document/server-docs/im-v1/message/create,
// 回复消息 …/im-v1/message/reply). It is a text message, or an interactive
// card when m.Markdown (header: the first line; body: the rest as markdown)
// or when m has buttons (each answers with its key). Every send carries the
// uuid m.Key(), so a retry within an hour is not delivered twice.
//
// A token Feishu rejects (99991663, 99991664, 99991671) is evicted from the
// shared cache and the send retried once. Refusals are *outbox.SendError:
// permanent for a message Feishu will never take (an unknown or foreign
// open_id, the bot not in the chat or not available to the user, no
// permission, too long, a bad app secret; see classify), temporary with
// RetryAfter when throttled (99991400 or HTTP 429: x-ogw-ratelimit-reset;
// 230020; 11232). Network errors are plain (temporary) errors. Errors never
// contain the secret or a token.
func (c *Client) Send(ctx context.Context, m outbox.Outgoing) error {
	msgType, content, err := c.content(ctx, m)
	if err != nil {
		return err
	}
	uuid := m.Key()
	if len(uuid) > MaxUUIDLen {
		return refuse("uuid %q is over %d characters", uuid, MaxUUIDLen)
	}
	quote, reply := quoteTarget(m.ReplyTo)
	if !reply && m.To == "" {
		return refuse("no recipient")
	}
	log := c.log.With("outbox_id", m.ID, "msg_type", msgType)
	var r result
	for attempt := 0; ; attempt++ {
		used := &usedToken{}
		r, err = c.call(context.WithValue(ctx, usedTokenKey{}, used), reply, quote, m.To, msgType, content, uuid)
		if err != nil {
			// A token fetch that failed leaves the refresh lock to us.
			if rerr := c.tokens.release(context.WithoutCancel(ctx), tenantTokenKey(c.appID)); rerr != nil {
				log.WarnContext(ctx, "release token refresh lock", "error", rerr)
			}
			return c.callError(err)
		}
		if !tokenRejected(r.code) || attempt > 0 {
			break
		}
		log.WarnContext(ctx, "tenant access token rejected, refreshing", "code", r.code)
		if err := c.tokens.evict(ctx, tenantTokenKey(c.appID), used.get()); err != nil {
			return err
		}
	}
	if se := classify(r); se != nil {
		se.Reason = scrubText(se.Reason, c.secret)
		return se
	}
	log.DebugContext(ctx, "message sent", "message_id", r.messageID, "reply", reply)
	return nil
}

// call makes one create or reply request through the SDK.
func (c *Client) call(ctx context.Context, reply bool, quote, to, msgType, content, uuid string) (result, error) {
	if reply {
		resp, err := c.sdk.Im.Message.Reply(ctx, larkim.NewReplyMessageReqBuilder().
			MessageId(quote).
			Body(larkim.NewReplyMessageReqBodyBuilder().MsgType(msgType).Content(content).Uuid(uuid).Build()).
			Build())
		if err != nil {
			return result{}, err
		}
		r := result{code: resp.Code, msg: resp.Msg}
		if resp.ApiResp != nil {
			r.status, r.header = resp.StatusCode, resp.Header
		}
		if resp.Data != nil {
			r.messageID = str(resp.Data.MessageId)
		}
		return r, nil
	}
	resp, err := c.sdk.Im.Message.Create(ctx, larkim.NewCreateMessageReqBuilder().
		ReceiveIdType(larkim.ReceiveIdTypeOpenId).
		Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId(to).MsgType(msgType).Content(content).Uuid(uuid).Build()).
		Build())
	if err != nil {
		return result{}, err
	}
	r := result{code: resp.Code, msg: resp.Msg}
	if resp.ApiResp != nil {
		r.status, r.header = resp.StatusCode, resp.Header
	}
	if resp.Data != nil {
		r.messageID = str(resp.Data.MessageId)
	}
	return r, nil
}

// refuse is a permanent SendError for a message Send will not try: Feishu
// would refuse it too. Its Code is 0: the refusal is ours.
func refuse(format string, args ...any) *outbox.SendError {
	return &outbox.SendError{Permanent: true, Reason: fmt.Sprintf(format, args...)}
}

// content returns the msg_type and content (a JSON string) for m.
func (c *Client) content(ctx context.Context, m outbox.Outgoing) (string, string, error) {
	if strings.TrimSpace(m.Text) == "" {
		return "", "", refuse("empty text")
	}
	if len(m.Buttons) > 0 || m.Markdown {
		seen := make(map[string]bool, len(m.Buttons))
		for _, b := range m.Buttons {
			switch {
			case b.Key == "":
				return "", "", refuse("button %q has no key", b.Text)
			case seen[b.Key]:
				return "", "", refuse("button key %q twice", b.Key)
			}
			seen[b.Key] = true
		}
		var crd *card
		if len(m.Buttons) > 0 {
			crd = questionCard(m.Text, m.Markdown, m.Buttons, m.ID)
		} else {
			crd = newCard(m.Text, true)
		}
		b, err := marshal(crd)
		if err != nil {
			return "", "", fmt.Errorf("feishu: send: encode card: %w", err)
		}
		if len(b) <= MaxCardBytes {
			return larkim.MsgTypeInteractive, string(b), nil
		}
		// Too big for a card: the text still gets through.
		c.log.WarnContext(ctx, "card too large, sent as text", "outbox_id", m.ID, "bytes", len(b))
	}
	if len(m.Text) > MaxTextBytes {
		return "", "", refuse("text is %d bytes, over Feishu's %d", len(m.Text), MaxTextBytes)
	}
	b, err := marshal(map[string]string{"text": m.Text})
	if err != nil {
		return "", "", fmt.Errorf("feishu: send: encode text: %w", err)
	}
	return larkim.MsgTypeText, string(b), nil
}

// permanent are the codes that retrying the same message cannot change
// (platforms.md §4.3; 99992361/99992364 from Feishu's error-code list).
var permanent = map[int]string{
	230001:   "invalid parameter (an unknown or another app's open_id: invalid receive_id)",
	230002:   "the bot is not in the chat",
	230006:   "the app has no bot ability, or no published version",
	230013:   "the user is not in the app's availability",
	230022:   "content refused as sensitive",
	230025:   "message too long",
	230027:   "no permission to send",
	230028:   "refused by data-loss prevention",
	230035:   "sending denied (muted or blocked)",
	230038:   "cross-tenant private chat forbidden",
	99992361: "open_id of another app",
	99992364: "user of another tenant",
	99991672: "the app lacks a permission (im:message or im:message:send_as_bot)",
	10003:    "invalid app_id (FEISHU_APP_ID)",
	10014:    "invalid app secret (FEISHU_APP_SECRET)",
}

// classify maps an answer to nil (sent) or a *outbox.SendError.
func classify(r result) *outbox.SendError {
	if r.code == 0 && r.status < 300 {
		return nil
	}
	se := &outbox.SendError{Code: r.code, Reason: r.msg}
	if r.code == 0 {
		se.Reason = fmt.Sprintf("HTTP %d", r.status)
	}
	switch {
	case r.code == 99991400 || r.status == http.StatusTooManyRequests:
		se.RetryAfter = retryAfter(r.header, retryRateLimit)
	case r.code == 230020:
		se.RetryAfter = retryAfter(r.header, retryPerChat)
	case r.code == 11232:
		se.RetryAfter = retryAfter(r.header, retryPressure)
	default:
		if why, ok := permanent[r.code]; ok {
			se.Permanent = true
			se.Reason = why + ": " + r.msg
		}
	}
	return se
}

// retryAfter reads x-ogw-ratelimit-reset, the seconds until the limit
// resets, or returns def.
func retryAfter(h http.Header, def time.Duration) time.Duration {
	if h == nil {
		return def
	}
	s, err := strconv.Atoi(strings.TrimSpace(h.Get("x-ogw-ratelimit-reset")))
	if err != nil || s < 0 {
		return def
	}
	return min(max(time.Duration(s)*time.Second, time.Second), maxRetryAfter)
}

// callError turns an error of the SDK call into what Send returns: a token
// fetch Feishu refused is a *outbox.SendError classified like a send; anything
// else (network, timeout, store) a plain, temporary error without secrets.
func (c *Client) callError(err error) error {
	var ce larkcore.CodeError
	if errors.As(err, &ce) {
		se := classify(result{code: ce.Code, msg: ce.Msg, status: http.StatusBadRequest})
		se.Reason = "get token: " + scrubText(se.Reason, c.secret)
		return se
	}
	return scrub("feishu: send", err, c.secret)
}

// scrub returns prefix: err, with secrets removed from the text.
func scrub(prefix string, err error, secrets ...string) error {
	return bot.Scrub(prefix, err, func(s string) string { return scrubText(s, secrets...) })
}

// Check is for `channelbot doctor`: it fetches a fresh tenant_access_token
// (auth/v3/tenant_access_token/internal, bypassing the cache), which proves
// the app ID, the secret and the API base. The error says in plain Chinese
// what to fix and never contains the secret or the token.
func (c *Client) Check(ctx context.Context) error {
	resp, err := c.sdk.GetTenantAccessTokenBySelfBuiltApp(ctx, &larkcore.SelfBuiltTenantAccessTokenReq{AppID: c.appID, AppSecret: c.secret})
	switch {
	case err != nil:
		what := fmt.Sprintf("连不上飞书接口 %s（FEISHU_API_BASE）", c.base)
		var syntax *json.SyntaxError
		switch {
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			what = fmt.Sprintf("飞书接口 %s（FEISHU_API_BASE）没有及时应答", c.base)
		case errors.As(err, &syntax):
			what = fmt.Sprintf("%s（FEISHU_API_BASE）的应答不是 JSON：它是飞书开放平台吗？", c.base)
		}
		return fmt.Errorf("%s：%w", what, scrub("feishu: check", err, c.secret))
	case resp.Code == 10014:
		return fmt.Errorf("飞书拒绝了 App Secret（FEISHU_APP_SECRET）：请到开发者后台「凭证与基础信息」复制应用 %s 的 App Secret（错误码 %d）", c.appID, resp.Code)
	case resp.Code == 10003:
		return fmt.Errorf("飞书不认识 App ID %q（FEISHU_APP_ID），或它不是企业自建应用（错误码 %d）", c.appID, resp.Code)
	case resp.Code != 0:
		return fmt.Errorf("飞书拒绝了获取 tenant_access_token 的请求（错误码 %d：%s）", resp.Code, scrubText(resp.Msg, c.secret))
	case resp.TenantAccessToken == "":
		return fmt.Errorf("飞书接口 %s（FEISHU_API_BASE）的应答里没有 tenant_access_token：它是飞书开放平台吗？", c.base)
	}
	return nil
}

// Package config loads channelbot's settings from environment variables into
// one typed Config.
//
// Load starts from Default, reads the variables named by the Env* constants,
// and reports every invalid setting in a single error, naming the variable
// and its raw value. Values of secrets are never shown: they are held as
// Secret, which prints as REDACTED. Every secret NAME (and DATABASE_URL) may
// instead be read from the file named by NAME_FILE.
//
// The package has no package-level configuration: main calls Load once and
// hands each constructor the values it needs.
package config

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/robfig/cron/v3"

	// Embed the time zone database so BOT_TIMEZONE works in distroless
	// images that have no /usr/share/zoneinfo.
	_ "time/tzdata"
)

// Names of the environment variables read by Load.
const (
	EnvDatabaseURL = "DATABASE_URL" // SQLite path or URL, or PostgreSQL URL
	EnvRedisURL    = "REDIS_URL"    // secret; empty: in-process state
	EnvStatePrefix = "STATE_PREFIX" // prefix of state keys
	// EnvMaxReplicas is the most serve replicas that run at once: while Redis
	// is down each keeps to its share of the platforms' send limits.
	EnvMaxReplicas = "MAX_REPLICAS"
	EnvListenAddr  = "LISTEN_ADDR"  // host:port of the HTTP server
	EnvTimezone    = "BOT_TIMEZONE" // IANA time zone name
	// EnvCorrectionWindow is a Go duration, 0 for none: a second count of a
	// product at a customer within it corrects the first.
	EnvCorrectionWindow = "BOT_CORRECTION_WINDOW"
	// EnvVisitDayEnd is a time of day, HH:MM in BOT_TIMEZONE: the working day,
	// and with it the visit in progress, ends then.
	EnvVisitDayEnd = "BOT_VISIT_DAY_END"
	EnvLogLevel    = "LOG_LEVEL"   // debug, info, warn or error
	EnvLogFormat   = "LOG_FORMAT"  // json or text
	EnvAdminToken  = "ADMIN_TOKEN" // secret; optional
	// EnvMigrateOnStart is true or false: whether commands bring a PostgreSQL
	// schema up to date by themselves (SQLite always is).
	EnvMigrateOnStart = "MIGRATE_ON_START"
	// EnvCallbackMaxSkew is a Go duration: how far a platform callback's
	// timestamps may be from now before it is refused.
	EnvCallbackMaxSkew = "CALLBACK_MAX_SKEW"
	// EnvMetricsAddr is host:port of a separate listener for /metrics; when
	// set, /metrics is not served on LISTEN_ADDR.
	EnvMetricsAddr  = "METRICS_ADDR"
	EnvMetricsToken = "METRICS_TOKEN" // secret; bearer token /metrics asks for

	EnvWeComCorpID  = "WECOM_CORP_ID"
	EnvWeComAgentID = "WECOM_AGENT_ID"
	EnvWeComSecret  = "WECOM_SECRET"              // secret
	EnvWeComToken   = "WECOM_TOKEN"               // secret
	EnvWeComAESKey  = "WECOM_AES_KEY"             // secret; 43-character EncodingAESKey
	EnvWeComAPIBase = "WECOM_API_BASE"            // base URL of the WeCom API
	EnvWeComAppRate = "WECOM_APP_RATE_PER_MINUTE" // app-wide send limit
	EnvOutboxLease  = "OUTBOX_LEASE"              // how long a claimed message is reserved

	EnvFeishuAppID             = "FEISHU_APP_ID"
	EnvFeishuAppSecret         = "FEISHU_APP_SECRET"         // secret
	EnvFeishuVerificationToken = "FEISHU_VERIFICATION_TOKEN" // secret
	EnvFeishuEncryptKey        = "FEISHU_ENCRYPT_KEY"        // secret; optional
	EnvFeishuAPIBase           = "FEISHU_API_BASE"           // base URL of the Feishu API
	EnvFeishuMode              = "FEISHU_MODE"               // webhook or websocket

	// FileSuffix turns a secret's variable name into the name of the
	// variable holding a path to a file with the secret, as in
	// FEISHU_APP_SECRET_FILE.
	FileSuffix = "_FILE"
)

// Default values used when a variable is unset or empty.
const (
	DefaultDatabaseURL = "channelbot.db" // SQLite file in the working directory
	DefaultStatePrefix = "channelbot"
	DefaultMaxReplicas = 4
	DefaultListenAddr  = ":8080"
	DefaultTimezone    = "Asia/Shanghai"
	// DefaultCorrectionWindow is BOT_CORRECTION_WINDOW's default.
	DefaultCorrectionWindow = 30 * time.Minute
	// DefaultVisitDayEnd is BOT_VISIT_DAY_END's default, 20:00, as time after
	// midnight.
	DefaultVisitDayEnd   = 20 * time.Hour
	DefaultWeComAPIBase  = "https://qyapi.weixin.qq.com"
	DefaultWeComAppRate  = 6000
	DefaultFeishuAPIBase = "https://open.feishu.cn"
	// DefaultCallbackMaxSkew is CALLBACK_MAX_SKEW's default.
	DefaultCallbackMaxSkew = 5 * time.Minute
)

// Database drivers returned by Config.DatabaseDriver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Log formats accepted in LOG_FORMAT.
const (
	LogFormatJSON = "json"
	LogFormatText = "text"
)

// Feishu event delivery modes accepted in FEISHU_MODE.
const (
	FeishuModeWebhook   = "webhook"   // Feishu posts events to our HTTP endpoint
	FeishuModeWebsocket = "websocket" // we hold a long connection to Feishu
)

const redacted = "REDACTED"

// Secret is a credential: an app secret, a token, a key or a URL that may
// carry a password. It prints as REDACTED with fmt (String, GoString, Format),
// log/slog (LogValue) and encoding/json (MarshalJSON). Use Reveal to get the
// value.
type Secret string

var (
	_ fmt.Stringer   = Secret("")
	_ fmt.GoStringer = Secret("")
	_ fmt.Formatter  = Secret("")
	_ slog.LogValuer = Secret("")
	_ json.Marshaler = Secret("")
)

// String returns "REDACTED", whatever the value.
func (Secret) String() string { return redacted }

// GoString returns "REDACTED", so %#v hides the value too.
func (Secret) GoString() string { return redacted }

// Format writes "REDACTED" for every verb, so that verbs which bypass
// String, such as %d, do not print the value either.
func (Secret) Format(f fmt.State, verb rune) {
	if verb != 'q' {
		verb = 's'
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), redacted)
}

// LogValue returns "REDACTED", so log/slog never writes the value.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes the secret as the JSON string "REDACTED". It never
// returns an error.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// Reveal returns the raw value. Use it only to pass the secret to an SDK, a
// client or a signature check; never log or display the result.
func (s Secret) Reveal() string { return string(s) }

// Config is the whole configuration of channelbot. Build it with Load (or
// Default in tests) and pass the values each component needs explicitly.
type Config struct {
	// DatabaseURL is DATABASE_URL: a SQLite file path, sqlite:///abs/path,
	// sqlite://relative/path, a file: URI, or a postgres:// or
	// postgresql:// URL. Use DatabaseDriver to get the driver and DSN. It
	// is a plain string, so String and LogValue hide any password in it.
	DatabaseURL string
	// RedisURL is REDIS_URL, a redis:// or rediss:// URL. Empty means
	// conversation state, dedup marks and locks live in process.
	RedisURL Secret
	// StatePrefix is STATE_PREFIX, the prefix of every state key.
	StatePrefix string
	// MaxReplicas is MAX_REPLICAS (default 4), the most serve replicas that
	// run at once. While Redis is down, rate limits can no longer be shared:
	// each replica then keeps to 1/MaxReplicas of every send limit.
	MaxReplicas int
	// ListenAddr is LISTEN_ADDR, the host:port the HTTP server listens on.
	ListenAddr string
	// MetricsAddr is METRICS_ADDR: when set, /metrics is served on this
	// host:port (say 127.0.0.1:9090) and not on ListenAddr.
	MetricsAddr string
	// MetricsToken is METRICS_TOKEN: when set, /metrics answers only requests
	// with "Authorization: Bearer <token>", wherever it is served.
	MetricsToken Secret
	// CallbackMaxSkew is CALLBACK_MAX_SKEW (default 5m): a WeCom or Feishu
	// callback whose signed timestamp is further than this from now is refused.
	CallbackMaxSkew time.Duration
	// Timezone is the location named by TimezoneName (BOT_TIMEZONE). Give
	// the same *time.Location to the scheduler and the bot.
	Timezone     *time.Location
	TimezoneName string
	// CorrectionWindow is BOT_CORRECTION_WINDOW (default 30m): a second count of
	// the same product at the same customer within it replaces the first (a
	// correction, not a sales period). 0 turns corrections off.
	CorrectionWindow time.Duration
	// VisitDayEnd is BOT_VISIT_DAY_END (HH:MM, default 20:00) as time after
	// midnight: a visit in progress lasts until then on the day it began.
	VisitDayEnd time.Duration
	// LogLevel is LOG_LEVEL: debug, info, warn or error.
	LogLevel slog.Level
	// LogFormat is LOG_FORMAT: LogFormatJSON or LogFormatText.
	LogFormat string
	// OutboxLease is OUTBOX_LEASE (a Go duration, default 60s): how long a message
	// being sent is reserved for its sender; after a crash it is retried once
	// this has passed.
	OutboxLease time.Duration
	// AdminToken is ADMIN_TOKEN, the bearer token of the admin endpoints.
	// Empty means the admin endpoints are off.
	AdminToken Secret
	// MigrateOnStart is MIGRATE_ON_START (default true): serve and the other
	// commands migrate a PostgreSQL schema by themselves. When false they refuse
	// to run on an out-of-date schema and name "channelbot migrate". An embedded
	// SQLite database is always migrated.
	MigrateOnStart bool

	WeCom  WeCom
	Feishu Feishu
	Jobs   Jobs
}

// WeCom holds the WeCom (企业微信) application settings, read from the
// WECOM_* variables. Set all of CorpID, AgentID, Secret, Token and AESKey,
// or none to turn WeCom off.
type WeCom struct {
	CorpID  string // WECOM_CORP_ID
	AgentID string // WECOM_AGENT_ID, an integer
	Secret  Secret // WECOM_SECRET
	Token   Secret // WECOM_TOKEN, for callback signatures
	AESKey  Secret // WECOM_AES_KEY, 43-character EncodingAESKey
	APIBase string // WECOM_API_BASE
	// AppRatePerMinute is WECOM_APP_RATE_PER_MINUTE: how many messages the app
	// sends per minute at most, all recipients together (default 6000, under the
	// 10 000 per minute WeCom allows one API of a company).
	AppRatePerMinute int
}

// Enabled reports whether any WeCom credential is set. After a successful
// Validate, an enabled WeCom is fully configured.
func (w WeCom) Enabled() bool {
	return w.CorpID != "" || w.AgentID != "" || w.Secret != "" || w.Token != "" || w.AESKey != ""
}

// Feishu holds the Feishu (飞书) application settings, read from the
// FEISHU_* variables. AppID and AppSecret are required, and
// VerificationToken too in webhook mode; set none of the credentials to
// turn Feishu off.
type Feishu struct {
	AppID             string // FEISHU_APP_ID
	AppSecret         Secret // FEISHU_APP_SECRET
	VerificationToken Secret // FEISHU_VERIFICATION_TOKEN
	EncryptKey        Secret // FEISHU_ENCRYPT_KEY, optional
	APIBase           string // FEISHU_API_BASE
	Mode              string // FEISHU_MODE: FeishuModeWebhook or FeishuModeWebsocket
}

// Enabled reports whether any Feishu credential (app ID, app secret,
// verification token or encrypt key) is set. After a successful Validate,
// an enabled Feishu is fully configured.
func (f Feishu) Enabled() bool {
	return f.AppID != "" || f.AppSecret != "" || f.VerificationToken != "" || f.EncryptKey != ""
}

// Default returns the configuration used when no variable is set: a SQLite
// file, in-process state, :8080, Asia/Shanghai, info level, JSON logs, and
// both platforms off.
func Default() *Config {
	loc, err := time.LoadLocation(DefaultTimezone)
	if err != nil {
		// Unreachable with time/tzdata embedded; China has had no DST since 1991.
		loc = time.FixedZone(DefaultTimezone, 8*60*60)
	}
	return &Config{
		DatabaseURL:      DefaultDatabaseURL,
		StatePrefix:      DefaultStatePrefix,
		MaxReplicas:      DefaultMaxReplicas,
		ListenAddr:       DefaultListenAddr,
		Timezone:         loc,
		TimezoneName:     DefaultTimezone,
		CorrectionWindow: DefaultCorrectionWindow,
		VisitDayEnd:      DefaultVisitDayEnd,
		CallbackMaxSkew:  DefaultCallbackMaxSkew,
		LogLevel:         slog.LevelInfo,
		MigrateOnStart:   true,
		LogFormat:        LogFormatJSON,
		WeCom:            WeCom{APIBase: DefaultWeComAPIBase, AppRatePerMinute: DefaultWeComAppRate},
		OutboxLease:      60 * time.Second,
		Feishu:           Feishu{APIBase: DefaultFeishuAPIBase, Mode: FeishuModeWebhook},
		Jobs:             DefaultJobs(),
	}
}

// Load builds a Config from getenv (usually os.Getenv), starting from
// Default. Unset and empty variables keep their defaults. A secret NAME may
// instead be given as NAME_FILE, the path of a file holding it (trailing
// white space is trimmed), and so may DATABASE_URL.
//
// Load reports every invalid setting at once, joined with errors.Join; each
// message names the variable and its raw value, except that values of
// secrets are never shown. It then applies Validate.
func Load(getenv func(string) string) (*Config, error) {
	return load(getenv, os.ReadFile)
}

func load(getenv func(string) string, readFile func(string) ([]byte, error)) (*Config, error) {
	c := Default()
	l := &loader{getenv: getenv, readFile: readFile, failed: map[string]bool{}}

	if v, ok := l.lookup(EnvDatabaseURL); ok {
		c.DatabaseURL = v
	}
	l.secret(EnvRedisURL, &c.RedisURL)
	l.string(EnvStatePrefix, &c.StatePrefix)
	l.positiveInt(EnvMaxReplicas, &c.MaxReplicas)
	l.string(EnvListenAddr, &c.ListenAddr)
	l.string(EnvMetricsAddr, &c.MetricsAddr)
	l.secret(EnvMetricsToken, &c.MetricsToken)
	l.span(EnvCallbackMaxSkew, &c.CallbackMaxSkew, false)
	l.timezone(EnvTimezone, &c.Timezone, &c.TimezoneName)
	l.span(EnvCorrectionWindow, &c.CorrectionWindow, true)
	l.clock(EnvVisitDayEnd, &c.VisitDayEnd)
	l.logLevel(EnvLogLevel, &c.LogLevel)
	l.choice(EnvLogFormat, &c.LogFormat, LogFormatJSON, LogFormatText)
	l.secret(EnvAdminToken, &c.AdminToken)
	l.boolean(EnvMigrateOnStart, &c.MigrateOnStart)

	l.string(EnvWeComCorpID, &c.WeCom.CorpID)
	l.string(EnvWeComAgentID, &c.WeCom.AgentID)
	l.secret(EnvWeComSecret, &c.WeCom.Secret)
	l.secret(EnvWeComToken, &c.WeCom.Token)
	l.secret(EnvWeComAESKey, &c.WeCom.AESKey)
	l.string(EnvWeComAPIBase, &c.WeCom.APIBase)
	l.positiveInt(EnvWeComAppRate, &c.WeCom.AppRatePerMinute)
	l.span(EnvOutboxLease, &c.OutboxLease, false)

	l.string(EnvFeishuAppID, &c.Feishu.AppID)
	l.secret(EnvFeishuAppSecret, &c.Feishu.AppSecret)
	l.secret(EnvFeishuVerificationToken, &c.Feishu.VerificationToken)
	l.secret(EnvFeishuEncryptKey, &c.Feishu.EncryptKey)
	l.string(EnvFeishuAPIBase, &c.Feishu.APIBase)
	l.choice(EnvFeishuMode, &c.Feishu.Mode, FeishuModeWebhook, FeishuModeWebsocket)

	l.jobs(&c.Jobs)

	// Rejected variables kept their defaults; validate skips them so each
	// problem is reported once.
	l.errs = append(l.errs, c.validate(l.failed)...)
	if err := errors.Join(l.errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// loader reads variables into a Config and collects the errors.
type loader struct {
	getenv   func(string) string
	readFile func(string) ([]byte, error)
	errs     []error
	failed   map[string]bool // variables whose value was rejected
}

// positiveInt reads a whole number above zero.
func (l *loader) positiveInt(key string, dst *int) {
	v, ok := l.lookup(key)
	if !ok {
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		l.fail(key, fmt.Errorf("config: %s=%q: want a whole number above 0", key, v))
		return
	}
	*dst = n
}

func (l *loader) fail(key string, err error) {
	l.failed[key] = true
	l.errs = append(l.errs, err)
}

// lookup returns the value of key, or the content of the file named by
// key+FileSuffix. ok is false if neither is set or the value is unusable.
// Error messages never contain the value, only the file's path.
func (l *loader) lookup(key string) (v string, ok bool) {
	fileKey := key + FileSuffix
	v, path := l.getenv(key), l.getenv(fileKey)
	switch {
	case v != "" && path != "":
		l.fail(key, fmt.Errorf("config: both %s and %s are set; set only one", key, fileKey))
		return "", false
	case path == "":
		return v, v != ""
	}
	b, err := l.readFile(path)
	if err != nil {
		l.fail(key, fmt.Errorf("config: %s: %w", fileKey, err))
		return "", false
	}
	v = strings.TrimRightFunc(string(b), unicode.IsSpace)
	if v == "" {
		l.fail(key, fmt.Errorf("config: %s=%q: file is empty", fileKey, path))
		return "", false
	}
	return v, true
}

func (l *loader) secret(key string, dst *Secret) {
	if v, ok := l.lookup(key); ok {
		*dst = Secret(v)
	}
}

func (l *loader) string(key string, dst *string) {
	if v := l.getenv(key); v != "" {
		*dst = v
	}
}

// choice sets *dst to the value of key, lowercased, if it is one of allowed.
func (l *loader) choice(key string, dst *string, allowed ...string) {
	raw := l.getenv(key)
	if raw == "" {
		return
	}
	v := strings.ToLower(strings.TrimSpace(raw))
	for _, a := range allowed {
		if v == a {
			*dst = v
			return
		}
	}
	l.fail(key, fmt.Errorf("config: %s=%q: want one of %s", key, raw, strings.Join(allowed, ", ")))
}

func (l *loader) timezone(key string, loc **time.Location, name *string) {
	raw := l.getenv(key)
	if raw == "" {
		return
	}
	z, err := time.LoadLocation(raw)
	if err != nil {
		l.fail(key, fmt.Errorf("config: %s=%q: %w", key, raw, err))
		return
	}
	*loc, *name = z, raw
}

func (l *loader) logLevel(key string, dst *slog.Level) {
	raw := l.getenv(key)
	if raw == "" {
		return
	}
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "debug":
		*dst = slog.LevelDebug
	case "info":
		*dst = slog.LevelInfo
	case "warn":
		*dst = slog.LevelWarn
	case "error":
		*dst = slog.LevelError
	default:
		l.fail(key, fmt.Errorf("config: %s=%q: want one of debug, info, warn, error", key, raw))
	}
}

// Validate checks every field and the rules that span fields: the forms of
// DATABASE_URL, REDIS_URL, LISTEN_ADDR and the API base URLs, the enum
// values, and that each platform is either fully configured or off. It
// returns all problems joined with errors.Join, or nil.
func (c *Config) Validate() error {
	return errors.Join(c.validate(nil)...)
}

// validate returns the problems of c, skipping the variables in skip,
// which Load has already reported.
func (c *Config) validate(skip map[string]bool) []error {
	var errs []error
	check := func(key string, err error) {
		if err != nil && !skip[key] {
			errs = append(errs, err)
		}
	}

	if _, _, err := parseDatabaseURL(c.DatabaseURL); err != nil {
		check(EnvDatabaseURL, fmt.Errorf("config: %s=%q: %w", EnvDatabaseURL, redactURL(c.DatabaseURL), err))
	}
	check(EnvRedisURL, checkRedisURL(c.RedisURL))
	check(EnvStatePrefix, checkStatePrefix(c.StatePrefix))
	check(EnvListenAddr, checkListenAddr(EnvListenAddr, c.ListenAddr))
	if c.MetricsAddr != "" {
		check(EnvMetricsAddr, checkListenAddr(EnvMetricsAddr, c.MetricsAddr))
	}
	if c.CallbackMaxSkew <= 0 || c.CallbackMaxSkew > time.Hour {
		check(EnvCallbackMaxSkew, fmt.Errorf("config: %s=%s: want above 0 and at most 1h", EnvCallbackMaxSkew, c.CallbackMaxSkew))
	}
	if c.Timezone == nil {
		check(EnvTimezone, fmt.Errorf("config: %s=%q: time zone not loaded", EnvTimezone, c.TimezoneName))
	}
	check(EnvLogFormat, checkChoice(EnvLogFormat, c.LogFormat, LogFormatJSON, LogFormatText))
	if c.CorrectionWindow < 0 || c.CorrectionWindow > 24*time.Hour {
		check(EnvCorrectionWindow, fmt.Errorf("config: %s=%s: want from 0 to 24h", EnvCorrectionWindow, c.CorrectionWindow))
	}
	if c.VisitDayEnd <= 0 || c.VisitDayEnd > 24*time.Hour {
		check(EnvVisitDayEnd, fmt.Errorf("config: %s=%s: want a time of day from 00:01 to 24:00", EnvVisitDayEnd, c.VisitDayEnd))
	}

	// WeCom.
	w := c.WeCom
	wecom := []field{
		{EnvWeComCorpID, w.CorpID},
		{EnvWeComAgentID, w.AgentID},
		{EnvWeComSecret, string(w.Secret)},
		{EnvWeComToken, string(w.Token)},
		{EnvWeComAESKey, string(w.AESKey)},
	}
	wecomOn := anySet(wecom, skip)
	if wecomOn {
		check("", checkComplete("WeCom", wecom, wecom, skip))
	}
	if w.AgentID != "" {
		if _, err := strconv.ParseInt(w.AgentID, 10, 64); err != nil {
			check(EnvWeComAgentID, fmt.Errorf("config: %s=%q: want an integer", EnvWeComAgentID, w.AgentID))
		}
	}
	if w.AESKey != "" {
		check(EnvWeComAESKey, checkAESKey(w.AESKey))
	}
	check(EnvWeComAPIBase, checkAPIBase(EnvWeComAPIBase, w.APIBase, wecomOn))

	// Feishu.
	f := c.Feishu
	check(EnvFeishuMode, checkChoice(EnvFeishuMode, f.Mode, FeishuModeWebhook, FeishuModeWebsocket))
	feishu := []field{
		{EnvFeishuAppID, f.AppID},
		{EnvFeishuAppSecret, string(f.AppSecret)},
		{EnvFeishuVerificationToken, string(f.VerificationToken)},
		{EnvFeishuEncryptKey, string(f.EncryptKey)},
	}
	feishuOn := anySet(feishu, skip)
	if feishuOn {
		required := feishu[:2]
		if f.Mode == FeishuModeWebhook {
			required = feishu[:3]
		}
		check("", checkComplete("Feishu", feishu, required, skip))
	}
	check(EnvFeishuAPIBase, checkAPIBase(EnvFeishuAPIBase, f.APIBase, feishuOn))

	errs = append(errs, c.Jobs.validate(skip)...)
	return errs
}

// field is a variable and its value, for completeness checks.
type field struct{ key, value string }

// anySet reports whether any of fields has a value or was rejected by Load
// (a rejected value counts as set).
func anySet(fields []field, skip map[string]bool) bool {
	for _, f := range fields {
		if f.value != "" || skip[f.key] {
			return true
		}
	}
	return false
}

// checkComplete returns an error naming the required variables that are
// unset, given that at least one of the platform's fields is set.
func checkComplete(platform string, all, required []field, skip map[string]bool) error {
	var missing, set []string
	for _, f := range required {
		if f.value == "" && !skip[f.key] {
			missing = append(missing, f.key)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	for _, f := range all {
		if f.value != "" || skip[f.key] {
			set = append(set, f.key)
		}
	}
	return fmt.Errorf("config: %s is partly configured (%s set): missing %s; set all required variables or none",
		platform, strings.Join(set, ", "), strings.Join(missing, ", "))
}

func checkChoice(key, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("config: %s=%q: want one of %s", key, v, strings.Join(allowed, ", "))
}

// checkRedisURL never puts the URL in the error: it may hold a password.
func checkRedisURL(s Secret) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s.Reveal())
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return fmt.Errorf("config: %s: want a redis:// or rediss:// URL with a host (value hidden: it may hold a password)", EnvRedisURL)
	}
	return nil
}

func checkStatePrefix(p string) error {
	if p == "" {
		return fmt.Errorf("config: %s is empty", EnvStatePrefix)
	}
	if strings.ContainsFunc(p, unicode.IsSpace) {
		return fmt.Errorf("config: %s=%q: must not contain white space", EnvStatePrefix, p)
	}
	return nil
}

func checkListenAddr(key, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("config: %s=%q: want host:port such as :8080: %w", key, addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("config: %s=%q: port must be a number from 0 to 65535", key, addr)
	}
	return nil
}

// checkAESKey checks the WeCom EncodingAESKey: 43 base64 characters that
// decode, with "=" appended, to a 32-byte AES key. The error shows only the
// length of the key.
func checkAESKey(k Secret) error {
	if len(k) != 43 {
		return fmt.Errorf("config: %s: want 43 characters, got %d (value hidden)", EnvWeComAESKey, len(k))
	}
	if b, err := base64.StdEncoding.DecodeString(k.Reveal() + "="); err != nil || len(b) != 32 {
		return fmt.Errorf("config: %s: not valid base64 (value hidden)", EnvWeComAESKey)
	}
	return nil
}

// checkAPIBase checks an http(s) base URL; empty is allowed only while the
// platform is off.
func checkAPIBase(key, v string, required bool) error {
	if v == "" {
		if required {
			return fmt.Errorf("config: %s is empty", key)
		}
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("config: %s=%q: want an http:// or https:// URL", key, v)
	}
	return nil
}

// DatabaseDriver returns the driver (DriverSQLite or DriverPostgres) and the
// DSN to open for DatabaseURL: sqlite:///data/x.db gives ("sqlite",
// "/data/x.db"), sqlite://x.db gives ("sqlite", "x.db"), a plain path or a
// file: URI is passed as is, and a postgres:// or postgresql:// URL gives
// ("postgres", url). It returns two empty strings if DatabaseURL is invalid,
// which Validate reports.
func (c *Config) DatabaseDriver() (driver, dsn string) {
	driver, dsn, err := parseDatabaseURL(c.DatabaseURL)
	if err != nil {
		return "", ""
	}
	return driver, dsn
}

// WithDatabaseURL sets DatabaseURL to u, for a --db flag that overrides
// DATABASE_URL. If u is not one of the forms DATABASE_URL accepts, it
// returns an error naming u (with any password hidden) and leaves c
// unchanged.
func (c *Config) WithDatabaseURL(u string) error {
	if _, _, err := parseDatabaseURL(u); err != nil {
		return fmt.Errorf("config: database URL %q: %w", redactURL(u), err)
	}
	c.DatabaseURL = u
	return nil
}

// parseDatabaseURL normalises the accepted forms of DATABASE_URL. Its errors
// never contain raw, which may hold a password.
func parseDatabaseURL(raw string) (driver, dsn string, err error) {
	if raw == "" {
		return "", "", errors.New("empty")
	}
	scheme, rest, ok := splitScheme(raw)
	if !ok {
		if strings.HasPrefix(strings.ToLower(raw), "file:") && len(raw) == len("file:") {
			return "", "", errors.New("file: URI without a path")
		}
		return DriverSQLite, raw, nil // a path, or a file: URI
	}
	switch strings.ToLower(scheme) {
	case "sqlite":
		p, _, _ := strings.Cut(rest, "?")
		if p == "" || strings.HasSuffix(p, "/") {
			return "", "", errors.New("want a file path after sqlite://, such as sqlite:///data/channelbot.db")
		}
		return DriverSQLite, rest, nil
	case "file":
		return DriverSQLite, raw, nil
	case "postgres", "postgresql":
		// Do not wrap url.Parse's error: it quotes the URL.
		if _, err := url.Parse(raw); err != nil {
			return "", "", errors.New("not a valid URL")
		}
		return DriverPostgres, raw, nil
	default:
		return "", "", fmt.Errorf("unsupported scheme %q: want a file path, sqlite://, file:, postgres:// or postgresql://", scheme)
	}
}

// splitScheme splits "scheme://rest". ok is false if s has no such scheme.
func splitScheme(s string) (scheme, rest string, ok bool) {
	scheme, rest, ok = strings.Cut(s, "://")
	if !ok || scheme == "" {
		return "", "", false
	}
	for i, r := range scheme {
		letter := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
		if !letter && (i == 0 || !('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return "", "", false
		}
	}
	return scheme, rest, true
}

// redactURL returns s with the password of a URL replaced by "xxxxx". If s
// looks like a URL with credentials but does not parse, it is hidden whole.
func redactURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil && strings.Contains(s, "@"):
		return "(unparsable URL hidden)"
	case err != nil || u.User == nil:
		return s
	}
	return u.Redacted()
}

// LogValue returns the settings as a log group, with secrets shown only as
// set or not and any password in DatabaseURL hidden. It lets main log the
// effective configuration at start.
func (c *Config) LogValue() slog.Value {
	driver, _ := c.DatabaseDriver()
	return slog.GroupValue(
		slog.String("database_driver", driver),
		slog.String("database_url", redactURL(c.DatabaseURL)),
		slog.Bool("redis", c.RedisURL != ""),
		slog.String("state_prefix", c.StatePrefix),
		slog.String("listen_addr", c.ListenAddr),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.Bool("metrics_token", c.MetricsToken != ""),
		slog.Duration("callback_max_skew", c.CallbackMaxSkew),
		slog.String("timezone", c.TimezoneName),
		slog.Duration("correction_window", c.CorrectionWindow),
		slog.String("visit_day_end", FormatClock(c.VisitDayEnd)),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("log_format", c.LogFormat),
		slog.Bool("admin_token", c.AdminToken != ""),
		slog.Group("wecom",
			slog.Bool("enabled", c.WeCom.Enabled()),
			slog.String("corp_id", c.WeCom.CorpID),
			slog.String("agent_id", c.WeCom.AgentID),
			slog.String("api_base", c.WeCom.APIBase),
		),
		slog.Group("feishu",
			slog.Bool("enabled", c.Feishu.Enabled()),
			slog.String("app_id", c.Feishu.AppID),
			slog.String("mode", c.Feishu.Mode),
			slog.String("api_base", c.Feishu.APIBase),
		),
		slog.Group("jobs",
			slog.Bool("enabled", c.Jobs.Enabled),
			slog.String("visit_reminders", c.Jobs.VisitReminders),
			slog.String("stock_warnings", c.Jobs.StockWarnings),
			slog.String("stock_outs", c.Jobs.StockOuts),
			slog.String("daily_digest", c.Jobs.DailyDigest),
			slog.String("weekly_digest", c.Jobs.WeeklyDigest),
			slog.String("calendar", c.Jobs.Calendar),
		),
	)
}

// String formats the settings as space-separated key=value pairs, like
// LogValue: no secret and no database password appears.
func (c *Config) String() string {
	var b strings.Builder
	var walk func(prefix string, attrs []slog.Attr)
	walk = func(prefix string, attrs []slog.Attr) {
		for _, a := range attrs {
			if a.Value.Kind() == slog.KindGroup {
				walk(prefix+a.Key+".", a.Value.Group())
				continue
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%s%s=%s", prefix, a.Key, strconv.Quote(a.Value.String()))
		}
	}
	walk("", c.LogValue().Group())
	return b.String()
}

// Names of the JOBS_* variables, the settings of the scheduled jobs (Config.Jobs).
const (
	EnvJobsEnabled           = "JOBS_ENABLED"             // true or false: serve runs the scheduler
	EnvJobsVisitReminders    = "JOBS_VISIT_REMINDERS"     // cron spec, or off
	EnvJobsStockWarnings     = "JOBS_STOCK_WARNINGS"      // cron spec, or off
	EnvJobsStockOuts         = "JOBS_STOCK_OUTS"          // cron spec, or off
	EnvJobsPolicyReminders   = "JOBS_POLICY_REMINDERS"    // cron spec, or off
	EnvJobsPolicyRemindAfter = "JOBS_POLICY_REMIND_AFTER" // a duration
	EnvJobsDailyDigest       = "JOBS_DAILY_DIGEST"        // cron spec, or off
	EnvJobsWeeklyDigest      = "JOBS_WEEKLY_DIGEST"       // cron spec, or off
	EnvJobsJitter            = "JOBS_JITTER"              // Go duration, 0 for none
	EnvJobsTimeout           = "JOBS_TIMEOUT"             // Go duration
	EnvJobsCatchUp           = "JOBS_CATCH_UP"            // Go duration, 0 for none
	EnvJobsCalendar          = "JOBS_CALENDAR"            // cn or weekdays
	EnvJobsHolidays          = "JOBS_HOLIDAYS"            // dates off, YYYY-MM-DD, comma-separated
	EnvJobsWorkdays          = "JOBS_WORKDAYS"            // dates on, YYYY-MM-DD, comma-separated
	EnvJobsLeadDays          = "JOBS_LEAD_DAYS"           // delivery lead time in days
	EnvJobsRepeatDays        = "JOBS_REPEAT_DAYS"         // days before an unresolved warning is repeated
	EnvJobsExpiryDays        = "JOBS_EXPIRY_DAYS"         // days before expiry that near-expiry goods are reminded
	EnvJobsHistoryDays       = "JOBS_HISTORY_DAYS"        // days of stock counts and promises the jobs read
)

// Working-day calendars accepted in JOBS_CALENDAR.
const (
	// CalendarChina follows the Chinese public holidays and make-up working days
	// (调休), from a table, and Monday to Friday in years the table lacks.
	CalendarChina = "cn"
	// CalendarWeekdays is Monday to Friday.
	CalendarWeekdays = "weekdays"
)

// JobOff is the schedule of a job that does not run.
const JobOff = "off"

// Jobs holds the settings of the scheduled jobs, read from the JOBS_* variables.
// Schedules are standard 5-field cron specs ("30 8 * * *") or descriptors
// ("@every 1m") in BOT_TIMEZONE, or JobOff.
type Jobs struct {
	// Enabled is JOBS_ENABLED (default true): whether serve runs the scheduler.
	// Turn it off on replicas that should only answer messages.
	Enabled bool
	// VisitReminders is JOBS_VISIT_REMINDERS (default "30 8 * * *"): each rep's
	// visits of the day, on working days.
	VisitReminders string
	// StockWarnings is JOBS_STOCK_WARNINGS (default "0 10 * * *"): the daily scan
	// for stock-outs coming and near-expiry goods, on working days.
	StockWarnings string
	// StockOuts is JOBS_STOCK_OUTS (default "@every 1m"): how often counts of zero
	// are looked for, to tell the manager at once.
	StockOuts string
	// DailyDigest is JOBS_DAILY_DIGEST (default "30 18 * * *"): each manager's
	// digest, on working days.
	DailyDigest string
	// PolicyReminders is JOBS_POLICY_REMINDERS (default "7,37 * * * *"): how often
	// dealers who have not confirmed a price policy are looked for.
	PolicyReminders string
	// PolicyRemindAfter is JOBS_POLICY_REMIND_AFTER (default 24h): how long a
	// dealer has to confirm a policy before each reminder (two at most).
	PolicyRemindAfter time.Duration
	// WeeklyDigest is JOBS_WEEKLY_DIGEST (default "45 8 * * *"): when the weekly
	// digest is looked at; it is sent on the first working day of the week.
	WeeklyDigest string
	// Jitter is JOBS_JITTER (default 4m): scheduled sends wait between a quarter of
	// it and all of it, and never go at :00 or :30 exactly. 0 sends on time.
	Jitter time.Duration
	// Timeout is JOBS_TIMEOUT (default 10m): how long one run may take.
	Timeout time.Duration
	// CatchUp is JOBS_CATCH_UP (default 2h): how late a run that was missed or
	// died half-way is still made up the same day. 0 makes up nothing.
	CatchUp time.Duration
	// Calendar is JOBS_CALENDAR: CalendarChina (default) or CalendarWeekdays.
	Calendar string
	// Holidays (JOBS_HOLIDAYS) and Workdays (JOBS_WORKDAYS) override the calendar
	// for single days, YYYY-MM-DD.
	Holidays []string
	Workdays []string
	// LeadDays is JOBS_LEAD_DAYS (default 3): days from an order to the goods
	// arriving, added to the time to the next visit when judging stock cover.
	LeadDays int
	// RepeatDays is JOBS_REPEAT_DAYS (default 3): a warning that is neither new nor
	// worse is sent again only after this many days unresolved.
	RepeatDays int
	// ExpiryDays is JOBS_EXPIRY_DAYS (default 7): near-expiry goods are reminded
	// from this many days before they expire.
	ExpiryDays int
	// HistoryDays is JOBS_HISTORY_DAYS (default 120): how far back stock counts
	// are read to estimate sales, and open promises to remind.
	HistoryDays int
}

// DefaultJobs returns the job settings used when no JOBS_* variable is set: the
// rhythm of docs/domain.md.
func DefaultJobs() Jobs {
	return Jobs{
		Enabled:           true,
		VisitReminders:    "30 8 * * *",
		StockWarnings:     "0 10 * * *",
		StockOuts:         "@every 1m",
		DailyDigest:       "30 18 * * *",
		WeeklyDigest:      "45 8 * * *",
		PolicyReminders:   "7,37 * * * *",
		PolicyRemindAfter: 24 * time.Hour,
		Jitter:            4 * time.Minute,
		Timeout:           10 * time.Minute,
		CatchUp:           2 * time.Hour,
		Calendar:          CalendarChina,
		LeadDays:          3,
		RepeatDays:        3,
		ExpiryDays:        7,
		HistoryDays:       120,
	}
}

// jobs reads the JOBS_* variables into j.
func (l *loader) jobs(j *Jobs) {
	l.boolean(EnvJobsEnabled, &j.Enabled)
	for _, s := range j.schedules() {
		l.string(s.key, s.spec)
		*s.spec = strings.TrimSpace(*s.spec)
	}
	l.span(EnvJobsJitter, &j.Jitter, true)
	l.span(EnvJobsPolicyRemindAfter, &j.PolicyRemindAfter, false)
	l.span(EnvJobsTimeout, &j.Timeout, false)
	l.span(EnvJobsCatchUp, &j.CatchUp, true)
	l.choice(EnvJobsCalendar, &j.Calendar, CalendarChina, CalendarWeekdays)
	l.dates(EnvJobsHolidays, &j.Holidays)
	l.dates(EnvJobsWorkdays, &j.Workdays)
	l.positiveInt(EnvJobsLeadDays, &j.LeadDays)
	l.positiveInt(EnvJobsRepeatDays, &j.RepeatDays)
	l.positiveInt(EnvJobsExpiryDays, &j.ExpiryDays)
	l.positiveInt(EnvJobsHistoryDays, &j.HistoryDays)
}

type jobSchedule struct {
	key  string
	spec *string
}

func (j *Jobs) schedules() []jobSchedule {
	return []jobSchedule{
		{EnvJobsVisitReminders, &j.VisitReminders},
		{EnvJobsStockWarnings, &j.StockWarnings},
		{EnvJobsStockOuts, &j.StockOuts},
		{EnvJobsDailyDigest, &j.DailyDigest},
		{EnvJobsWeeklyDigest, &j.WeeklyDigest},
		{EnvJobsPolicyReminders, &j.PolicyReminders},
	}
}

// validate returns the problems of the job settings, skipping the variables in
// skip, which Load has already reported.
func (j *Jobs) validate(skip map[string]bool) []error {
	var errs []error
	check := func(key string, err error) {
		if err != nil && !skip[key] {
			errs = append(errs, err)
		}
	}
	for _, s := range j.schedules() {
		if *s.spec == JobOff {
			continue
		}
		if _, err := cron.ParseStandard(*s.spec); err != nil {
			check(s.key, fmt.Errorf("config: %s=%q: want a cron spec such as \"30 8 * * *\", or %s: %w", s.key, *s.spec, JobOff, err))
		}
	}
	if j.Timeout <= 0 {
		check(EnvJobsTimeout, fmt.Errorf("config: %s=%s: must be above zero", EnvJobsTimeout, j.Timeout))
	}
	if j.Jitter < 0 || j.Jitter > 30*time.Minute {
		check(EnvJobsJitter, fmt.Errorf("config: %s=%s: want from 0 to 30m", EnvJobsJitter, j.Jitter))
	}
	if j.CatchUp < 0 {
		check(EnvJobsCatchUp, fmt.Errorf("config: %s=%s: must not be negative", EnvJobsCatchUp, j.CatchUp))
	}
	check(EnvJobsCalendar, checkChoice(EnvJobsCalendar, j.Calendar, CalendarChina, CalendarWeekdays))
	for _, f := range []struct {
		key string
		n   int
	}{{EnvJobsLeadDays, j.LeadDays}, {EnvJobsRepeatDays, j.RepeatDays}, {EnvJobsExpiryDays, j.ExpiryDays}, {EnvJobsHistoryDays, j.HistoryDays}} {
		if f.n < 1 {
			check(f.key, fmt.Errorf("config: %s=%d: want a whole number above 0", f.key, f.n))
		}
	}
	if j.HistoryDays > 0 && j.HistoryDays < 10 {
		check(EnvJobsHistoryDays, fmt.Errorf("config: %s=%d: the stock warnings need at least 10 days of history", EnvJobsHistoryDays, j.HistoryDays))
	}
	off := map[string]bool{}
	for _, d := range j.Holidays {
		off[d] = true
	}
	for _, d := range j.Workdays {
		if off[d] {
			check(EnvJobsWorkdays, fmt.Errorf("config: %s and %s both name %s", EnvJobsHolidays, EnvJobsWorkdays, d))
		}
	}
	return errs
}

// boolean reads true/false (also 1/0, yes/no, on/off).
func (l *loader) boolean(key string, dst *bool) {
	raw := l.getenv(key)
	if raw == "" {
		return
	}
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "true", "1", "yes", "on":
		*dst = true
	case "false", "0", "no", "off":
		*dst = false
	default:
		l.fail(key, fmt.Errorf("config: %s=%q: want true or false", key, raw))
	}
}

// span reads a Go duration ("4m", "2h"); zero is accepted when zeroOK.
func (l *loader) span(key string, dst *time.Duration, zeroOK bool) {
	raw := l.getenv(key)
	if raw == "" {
		return
	}
	v := strings.TrimSpace(raw)
	d, err := time.ParseDuration(v)
	if v == "0" {
		d, err = 0, nil
	}
	if err != nil || d < 0 || d == 0 && !zeroOK {
		want := "a duration above zero such as 10m"
		if zeroOK {
			want = "a duration such as 4m, or 0"
		}
		l.fail(key, fmt.Errorf("config: %s=%q: want %s", key, raw, want))
		return
	}
	*dst = d
}

// clock reads a time of day, HH:MM (H:MM too), from 00:01 to 24:00, as the time
// after midnight.
func (l *loader) clock(key string, dst *time.Duration) {
	raw := l.getenv(key)
	if raw == "" {
		return
	}
	d, ok := parseClock(strings.TrimSpace(raw))
	if !ok {
		l.fail(key, fmt.Errorf("config: %s=%q: want a time of day from 00:01 to 24:00 such as 20:00", key, raw))
		return
	}
	*dst = d
}

// parseClock parses HH:MM into the time after midnight; ok is false unless it is
// from 00:01 to 24:00.
func parseClock(v string) (time.Duration, bool) {
	hh, mm, found := strings.Cut(v, ":")
	if !found || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 {
		return 0, false
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || strings.ContainsAny(v, "+- ") {
		return 0, false
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	if d <= 0 || d > 24*time.Hour {
		return 0, false
	}
	return d, true
}

// FormatClock writes a time after midnight as HH:MM.
func FormatClock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// dates reads a list of days, YYYY-MM-DD, separated by commas or white space.
func (l *loader) dates(key string, dst *[]string) {
	raw := l.getenv(key)
	if raw == "" {
		return
	}
	var out []string
	for _, f := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		if _, err := time.Parse(time.DateOnly, f); err != nil {
			l.fail(key, fmt.Errorf("config: %s=%q: %q is not a date YYYY-MM-DD", key, raw, f))
			return
		}
		out = append(out, f)
	}
	*dst = out
}

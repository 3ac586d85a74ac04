package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// env is a map-backed getenv.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// with returns a copy of e with kv (key, value, key, value...) added.
func (e env) with(kv ...string) env {
	out := env{}
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

const (
	wecomSecret   = "wecom-secret-Zq81"
	wecomToken    = "wecom-token-Kp27"
	wecomAESKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" // 43 chars
	feishuSecret  = "feishu-secret-Lm55"
	feishuVerify  = "feishu-verify-Rt09"
	feishuEncrypt = "feishu-encrypt-Yh64"
	redisPassword = "redis-pass-Wx33"
	adminToken    = "admin-token-Bb71"
	dbPassword    = "db-pass-Qq48"
)

// allSecrets are the secret values used in the tests; none may leak.
var allSecrets = []string{wecomSecret, wecomToken, wecomAESKey, feishuSecret, feishuVerify, feishuEncrypt, redisPassword, adminToken, dbPassword}

func fullEnv() env {
	return env{
		EnvDatabaseURL:             "postgres://bot:" + dbPassword + "@db:5432/channelbot?sslmode=disable",
		EnvRedisURL:                "redis://:" + redisPassword + "@redis:6379/0",
		EnvAdminToken:              adminToken,
		EnvWeComCorpID:             "ww1234567890",
		EnvWeComAgentID:            "1000002",
		EnvWeComSecret:             wecomSecret,
		EnvWeComToken:              wecomToken,
		EnvWeComAESKey:             wecomAESKey,
		EnvFeishuAppID:             "cli_a1b2c3",
		EnvFeishuAppSecret:         feishuSecret,
		EnvFeishuVerificationToken: feishuVerify,
		EnvFeishuEncryptKey:        feishuEncrypt,
	}
}

func assertNoSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range allSecrets {
		if strings.Contains(text, s) {
			t.Errorf("%s contains secret %q:\n%s", what, s, text)
		}
	}
}

func TestDefault(t *testing.T) {
	c, err := Load(env{}.get)
	if err != nil {
		t.Fatalf("Load(empty) error: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() on defaults = %v", err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("Load(empty) = %#v, want Default() %#v", c, Default())
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"DatabaseURL", c.DatabaseURL, "channelbot.db"},
		{"RedisURL", c.RedisURL.Reveal(), ""},
		{"StatePrefix", c.StatePrefix, "channelbot"},
		{"ListenAddr", c.ListenAddr, ":8080"},
		{"TimezoneName", c.TimezoneName, "Asia/Shanghai"},
		{"Timezone", c.Timezone.String(), "Asia/Shanghai"},
		{"LogLevel", c.LogLevel, slog.LevelInfo},
		{"LogFormat", c.LogFormat, "json"},
		{"WeCom.Enabled", c.WeCom.Enabled(), false},
		{"WeCom.APIBase", c.WeCom.APIBase, "https://qyapi.weixin.qq.com"},
		{"Feishu.Enabled", c.Feishu.Enabled(), false},
		{"Feishu.APIBase", c.Feishu.APIBase, "https://open.feishu.cn"},
		{"Feishu.Mode", c.Feishu.Mode, "webhook"},
		{"AdminToken", c.AdminToken.Reveal(), ""},
		{"MetricsAddr", c.MetricsAddr, ""},
		{"MetricsToken", c.MetricsToken.Reveal(), ""},
		{"CallbackMaxSkew", c.CallbackMaxSkew, 5 * time.Minute},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	if d, dsn := c.DatabaseDriver(); d != "sqlite" || dsn != "channelbot.db" {
		t.Errorf("DatabaseDriver() = %q, %q, want sqlite, channelbot.db", d, dsn)
	}
}

func TestLoadFull(t *testing.T) {
	c, err := Load(fullEnv().with(
		EnvStatePrefix, "cb-test",
		EnvListenAddr, "127.0.0.1:9090",
		EnvTimezone, "Europe/Berlin",
		EnvLogLevel, "DEBUG",
		EnvLogFormat, "Text",
		EnvFeishuMode, "WebSocket",
		EnvWeComAPIBase, "http://127.0.0.1:1234",
		EnvMetricsAddr, "127.0.0.1:9091",
		EnvMetricsToken, "metrics-token-value",
		EnvCallbackMaxSkew, "90s",
	).get)
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"RedisURL", c.RedisURL.Reveal(), "redis://:" + redisPassword + "@redis:6379/0"},
		{"StatePrefix", c.StatePrefix, "cb-test"},
		{"ListenAddr", c.ListenAddr, "127.0.0.1:9090"},
		{"Timezone", c.Timezone.String(), "Europe/Berlin"},
		{"TimezoneName", c.TimezoneName, "Europe/Berlin"},
		{"LogLevel", c.LogLevel, slog.LevelDebug},
		{"LogFormat", c.LogFormat, "text"},
		{"Feishu.Mode", c.Feishu.Mode, "websocket"},
		{"WeCom.Enabled", c.WeCom.Enabled(), true},
		{"WeCom.AgentID", c.WeCom.AgentID, "1000002"},
		{"WeCom.Secret", c.WeCom.Secret.Reveal(), wecomSecret},
		{"WeCom.APIBase", c.WeCom.APIBase, "http://127.0.0.1:1234"},
		{"Feishu.Enabled", c.Feishu.Enabled(), true},
		{"Feishu.AppSecret", c.Feishu.AppSecret.Reveal(), feishuSecret},
		{"AdminToken", c.AdminToken.Reveal(), adminToken},
		{"MetricsAddr", c.MetricsAddr, "127.0.0.1:9091"},
		{"MetricsToken", c.MetricsToken.Reveal(), "metrics-token-value"},
		{"CallbackMaxSkew", c.CallbackMaxSkew, 90 * time.Second},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestDatabaseURL(t *testing.T) {
	tests := []struct {
		name       string
		raw        string
		driver     string
		dsn        string
		wantErrSub string // non-empty: Load must fail with this in the message
	}{
		{name: "default", raw: "", driver: "sqlite", dsn: "channelbot.db"},
		{name: "relative path", raw: "data/bot.db", driver: "sqlite", dsn: "data/bot.db"},
		{name: "absolute path", raw: "/var/lib/bot/bot.sqlite", driver: "sqlite", dsn: "/var/lib/bot/bot.sqlite"},
		{name: "any path", raw: "./state", driver: "sqlite", dsn: "./state"},
		{name: "memory", raw: ":memory:", driver: "sqlite", dsn: ":memory:"},
		{name: "sqlite absolute", raw: "sqlite:///data/x.db", driver: "sqlite", dsn: "/data/x.db"},
		{name: "sqlite relative", raw: "sqlite://x.db", driver: "sqlite", dsn: "x.db"},
		{name: "sqlite with query", raw: "sqlite:///data/x.db?_pragma=busy_timeout(5000)", driver: "sqlite", dsn: "/data/x.db?_pragma=busy_timeout(5000)"},
		{name: "sqlite upper-case scheme", raw: "SQLITE://x.db", driver: "sqlite", dsn: "x.db"},
		{name: "file uri", raw: "file:bot.db?cache=shared", driver: "sqlite", dsn: "file:bot.db?cache=shared"},
		{name: "file uri absolute", raw: "file:///data/bot.db", driver: "sqlite", dsn: "file:///data/bot.db"},
		{name: "postgres", raw: "postgres://bot@db/channelbot", driver: "postgres", dsn: "postgres://bot@db/channelbot"},
		{name: "postgresql", raw: "postgresql://bot@db:5432/channelbot?sslmode=require", driver: "postgres", dsn: "postgresql://bot@db:5432/channelbot?sslmode=require"},
		{name: "mysql", raw: "mysql://bot@db/channelbot", wantErrSub: `DATABASE_URL="mysql://bot@db/channelbot": unsupported scheme "mysql"`},
		{name: "sqlite without path", raw: "sqlite://", wantErrSub: "DATABASE_URL"},
		{name: "sqlite root", raw: "sqlite:///", wantErrSub: "DATABASE_URL"},
		{name: "file without path", raw: "file:", wantErrSub: "DATABASE_URL"},
		{name: "bad postgres url", raw: "postgres://bot@db:port/x", wantErrSub: "not a valid URL"},
		{name: "mysql password hidden", raw: "mysql://bot:" + dbPassword + "@db/x", wantErrSub: "mysql://bot:xxxxx@db/x"},
		{name: "unparsable password hidden", raw: "postgres://bot:" + dbPassword + "@db:port/x", wantErrSub: "DATABASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env{EnvDatabaseURL: tt.raw}.get)
			if tt.wantErrSub != "" {
				if err == nil {
					t.Fatalf("Load(DATABASE_URL=%q) = nil error, want one containing %q", tt.raw, tt.wantErrSub)
				}
				if !strings.Contains(err.Error(), tt.wantErrSub) {
					t.Errorf("Load(DATABASE_URL=%q) error = %q, want it to contain %q", tt.raw, err, tt.wantErrSub)
				}
				assertNoSecrets(t, "error", err.Error())
				return
			}
			if err != nil {
				t.Fatalf("Load(DATABASE_URL=%q) error: %v", tt.raw, err)
			}
			if d, dsn := c.DatabaseDriver(); d != tt.driver || dsn != tt.dsn {
				t.Errorf("DatabaseDriver() for %q = %q, %q, want %q, %q", tt.raw, d, dsn, tt.driver, tt.dsn)
			}
		})
	}
}

func TestWithDatabaseURL(t *testing.T) {
	c := Default()
	if err := c.WithDatabaseURL("sqlite:///tmp/flag.db"); err != nil {
		t.Fatalf("WithDatabaseURL(sqlite) error: %v", err)
	}
	if d, dsn := c.DatabaseDriver(); d != "sqlite" || dsn != "/tmp/flag.db" {
		t.Errorf("DatabaseDriver() = %q, %q, want sqlite, /tmp/flag.db", d, dsn)
	}

	err := c.WithDatabaseURL("mysql://u:" + dbPassword + "@h/db")
	if err == nil {
		t.Fatal("WithDatabaseURL(mysql) = nil, want error")
	}
	assertNoSecrets(t, "error", err.Error())
	if c.DatabaseURL != "sqlite:///tmp/flag.db" {
		t.Errorf("DatabaseURL after failed WithDatabaseURL = %q, want unchanged", c.DatabaseURL)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}

	c.DatabaseURL = "mysql://x"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), EnvDatabaseURL) {
		t.Errorf("Validate() with mysql URL = %v, want error naming %s", err, EnvDatabaseURL)
	}
	if d, dsn := c.DatabaseDriver(); d != "" || dsn != "" {
		t.Errorf("DatabaseDriver() on invalid URL = %q, %q, want empty", d, dsn)
	}
}

// TestLoadReportsAllErrors checks that every bad setting is reported in one
// error, each naming the variable and the raw value.
func TestLoadReportsAllErrors(t *testing.T) {
	_, err := Load(env{
		EnvTimezone:   "Mars/Olympus_Mons",
		EnvLogLevel:   "verbose",
		EnvListenAddr: "8080",
	}.get)
	if err == nil {
		t.Fatal("Load() = nil error, want errors")
	}
	for _, want := range []string{
		`BOT_TIMEZONE="Mars/Olympus_Mons"`,
		`LOG_LEVEL="verbose"`,
		`LISTEN_ADDR="8080"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Load() error = %q\nwant it to contain %q", err, want)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 3 {
		t.Errorf("Load() error has %d lines, want 3:\n%s", n, err)
	}
}

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want []string // substrings of the error
	}{
		{"log format", env{EnvLogFormat: "xml"}, []string{`LOG_FORMAT="xml"`}},
		{"listen port", env{EnvListenAddr: ":http"}, []string{`LISTEN_ADDR=":http"`}},
		{"listen port range", env{EnvListenAddr: ":70000"}, []string{`LISTEN_ADDR=":70000"`}},
		{"metrics addr", env{EnvMetricsAddr: "9090"}, []string{`METRICS_ADDR="9090"`}},
		{"callback skew zero", env{EnvCallbackMaxSkew: "0"}, []string{"CALLBACK_MAX_SKEW"}},
		{"callback skew word", env{EnvCallbackMaxSkew: "five"}, []string{"CALLBACK_MAX_SKEW"}},
		{"callback skew too long", env{EnvCallbackMaxSkew: "72h"}, []string{"CALLBACK_MAX_SKEW"}},
		{"state prefix", env{EnvStatePrefix: "my bot"}, []string{`STATE_PREFIX="my bot"`}},
		{"redis scheme", env{EnvRedisURL: "http://:" + redisPassword + "@h:6379"}, []string{"REDIS_URL"}},
		{"redis garbage", env{EnvRedisURL: redisPassword}, []string{"REDIS_URL"}},
		{"redis unparsable", env{EnvRedisURL: "redis://:" + redisPassword + "@h:port"}, []string{"REDIS_URL"}},
		{"wecom api base", env{EnvWeComAPIBase: "qyapi.weixin.qq.com"}, []string{`WECOM_API_BASE="qyapi.weixin.qq.com"`}},
		{"feishu api base", env{EnvFeishuAPIBase: "ftp://x"}, []string{`FEISHU_API_BASE="ftp://x"`}},
		{"wecom agent id", fullEnv().with(EnvWeComAgentID, "agent7"), []string{`WECOM_AGENT_ID="agent7"`}},
		{"wecom aes key short", fullEnv().with(EnvWeComAESKey, wecomAESKey[:40]), []string{"WECOM_AES_KEY", "43"}},
		{"wecom aes key not base64", fullEnv().with(EnvWeComAESKey, "!"+wecomAESKey[1:]), []string{"WECOM_AES_KEY", "base64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.env.get)
			if err == nil {
				t.Fatalf("Load(%v) = nil error, want error", tt.env)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load() error = %q, want it to contain %q", err, w)
				}
			}
			assertNoSecrets(t, "error", err.Error())
		})
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tokenFile := write("admin", adminToken+"\n\n")
	redisFile := write("redis", "redis://:"+redisPassword+"@redis:6379\r\n")
	dbFile := write("db", "postgres://bot:"+dbPassword+"@db/x\n")
	emptyFile := write("empty", " \n")
	missing := filepath.Join(dir, "missing")

	tests := []struct {
		name    string
		env     env
		check   func(t *testing.T, c *Config)
		wantErr []string
		single  bool // the error reports exactly one problem
	}{
		{
			name: "file ok",
			env:  env{EnvAdminToken + FileSuffix: tokenFile, EnvRedisURL + FileSuffix: redisFile},
			check: func(t *testing.T, c *Config) {
				if got := c.AdminToken.Reveal(); got != adminToken {
					t.Errorf("AdminToken = %q, want %q (trailing newlines trimmed)", got, adminToken)
				}
				if got, want := c.RedisURL.Reveal(), "redis://:"+redisPassword+"@redis:6379"; got != want {
					t.Errorf("RedisURL = %q, want %q", got, want)
				}
			},
		},
		{
			name: "database url file",
			env:  env{EnvDatabaseURL + FileSuffix: dbFile},
			check: func(t *testing.T, c *Config) {
				if d, _ := c.DatabaseDriver(); d != "postgres" {
					t.Errorf("DatabaseDriver() = %q, want postgres", d)
				}
			},
		},
		{
			name: "wecom secrets from files",
			env: fullEnv().with(
				EnvWeComSecret, "", EnvWeComSecret+FileSuffix, write("ws", wecomSecret+"\n"),
				EnvWeComAESKey, "", EnvWeComAESKey+FileSuffix, write("aes", wecomAESKey+"\n"),
			),
			check: func(t *testing.T, c *Config) {
				if c.WeCom.Secret.Reveal() != wecomSecret || c.WeCom.AESKey.Reveal() != wecomAESKey {
					t.Errorf("WeCom secrets not read from files")
				}
			},
		},
		{
			name:    "both set",
			env:     env{EnvAdminToken: adminToken, EnvAdminToken + FileSuffix: tokenFile},
			wantErr: []string{"ADMIN_TOKEN", "ADMIN_TOKEN_FILE", "only one"},
			single:  true,
		},
		{
			name: "missing file",
			env:  env{EnvFeishuAppSecret + FileSuffix: missing},
			// Also reported: Feishu is partly configured.
			wantErr: []string{"FEISHU_APP_SECRET_FILE", missing, "missing FEISHU_APP_ID, FEISHU_VERIFICATION_TOKEN;"},
		},
		{
			name:    "empty file",
			env:     env{EnvWeComToken + FileSuffix: emptyFile},
			wantErr: []string{"WECOM_TOKEN_FILE", emptyFile, "empty"},
		},
		{
			// A secret whose file fails is reported once, not also as missing.
			name:    "missing file in full platform",
			env:     fullEnv().with(EnvWeComSecret, "", EnvWeComSecret+FileSuffix, missing),
			wantErr: []string{"WECOM_SECRET_FILE"},
			single:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.env.get)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("Load() = nil error, want error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("Load() error = %q, want it to contain %q", err, w)
					}
				}
				if tt.single && strings.Contains(err.Error(), "\n") {
					t.Errorf("Load() reported more than one problem:\n%s", err)
				}
				assertNoSecrets(t, "error", err.Error())
				return
			}
			if err != nil {
				t.Fatalf("Load() error: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestPlatformCompleteness(t *testing.T) {
	tests := []struct {
		name        string
		env         env
		wantErr     []string // substrings; nil means success
		wantMissing []string // variables that must NOT be named as missing
		wecom       bool
		feishu      bool
	}{
		{name: "both off", env: env{}},
		{name: "both on", env: fullEnv(), wecom: true, feishu: true},
		{
			name: "wecom half",
			env:  env{EnvWeComCorpID: "ww1", EnvWeComSecret: wecomSecret, EnvWeComToken: wecomToken},
			wantErr: []string{
				"WeCom is partly configured",
				"missing WECOM_AGENT_ID, WECOM_AES_KEY;",
			},
		},
		{
			name:    "wecom only api base is off",
			env:     env{EnvWeComAPIBase: "http://localhost:1"},
			wantErr: nil,
		},
		{
			name:    "feishu webhook needs verification token",
			env:     env{EnvFeishuAppID: "cli_1", EnvFeishuAppSecret: feishuSecret},
			wantErr: []string{"Feishu is partly configured", "missing FEISHU_VERIFICATION_TOKEN;"},
		},
		{
			name:   "feishu websocket needs no verification token",
			env:    env{EnvFeishuAppID: "cli_1", EnvFeishuAppSecret: feishuSecret, EnvFeishuMode: "websocket"},
			feishu: true,
		},
		{
			name:    "feishu only encrypt key",
			env:     env{EnvFeishuEncryptKey: feishuEncrypt, EnvFeishuMode: "websocket"},
			wantErr: []string{"missing FEISHU_APP_ID, FEISHU_APP_SECRET;"},
		},
		{
			name:    "feishu bad mode",
			env:     env{EnvFeishuMode: "polling"},
			wantErr: []string{`FEISHU_MODE="polling"`, "webhook, websocket"},
		},
		{
			name:    "feishu bad mode with platform on",
			env:     fullEnv().with(EnvFeishuMode, "longpoll"),
			wantErr: []string{`FEISHU_MODE="longpoll"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.env.get)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatal("Load() = nil error, want error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("Load() error = %q, want it to contain %q", err, w)
					}
				}
				assertNoSecrets(t, "error", err.Error())
				return
			}
			if err != nil {
				t.Fatalf("Load() error: %v", err)
			}
			if c.WeCom.Enabled() != tt.wecom || c.Feishu.Enabled() != tt.feishu {
				t.Errorf("Enabled() = wecom %v, feishu %v, want %v, %v", c.WeCom.Enabled(), c.Feishu.Enabled(), tt.wecom, tt.feishu)
			}
		})
	}
}

func TestValidateDirect(t *testing.T) {
	c := Default()
	c.Timezone = nil
	c.StatePrefix = ""
	c.LogFormat = "yaml"
	c.WeCom.CorpID = "ww1"
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want errors")
	}
	for _, w := range []string{"BOT_TIMEZONE", "STATE_PREFIX", `LOG_FORMAT="yaml"`, "missing WECOM_AGENT_ID, WECOM_SECRET, WECOM_TOKEN, WECOM_AES_KEY;"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() = %q, want it to contain %q", err, w)
		}
	}
}

func TestSecretRedaction(t *testing.T) {
	s := Secret(adminToken)
	if s.Reveal() != adminToken {
		t.Errorf("Reveal() = %q, want %q", s.Reveal(), adminToken)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%10s", "%T %[1]v"} {
		got := fmt.Sprintf(verb, s)
		if !strings.Contains(got, "REDACTED") || strings.Contains(got, adminToken) {
			t.Errorf("Sprintf(%q, secret) = %q, want REDACTED", verb, got)
		}
	}
	b, err := json.Marshal(struct{ Token Secret }{s})
	if err != nil || string(b) != `{"Token":"REDACTED"}` {
		t.Errorf("json.Marshal = %s, %v, want {\"Token\":\"REDACTED\"}", b, err)
	}
}

func TestConfigNeverShowsSecrets(t *testing.T) {
	c, err := Load(fullEnv().get)
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	for _, verb := range []string{"%v", "%+v", "%s"} {
		assertNoSecrets(t, "Sprintf("+verb+", cfg)", fmt.Sprintf(verb, c))
	}
	// The struct value (not the pointer) has no String method: its Secret
	// fields still redact themselves.
	raw := fmt.Sprintf("%v %+v %#v", *c, *c, c.WeCom)
	for _, s := range []string{wecomSecret, wecomToken, wecomAESKey, feishuSecret, feishuVerify, feishuEncrypt, redisPassword, adminToken} {
		if strings.Contains(raw, s) {
			t.Errorf("fmt of Config value contains secret %q", s)
		}
	}
	if !strings.Contains(c.String(), "postgres://bot:xxxxx@db:5432") {
		t.Errorf("String() = %q, want the database URL with its password hidden", c.String())
	}

	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
	} {
		var buf bytes.Buffer
		log := slog.New(h.new(&buf))
		log.Info("config loaded", "config", c)
		log.Info("platform", "wecom", c.WeCom, "feishu", c.Feishu, "token", c.AdminToken, "redis", c.RedisURL)
		assertNoSecrets(t, h.name+" log", buf.String())
		if !strings.Contains(buf.String(), "REDACTED") {
			t.Errorf("%s log has no REDACTED:\n%s", h.name, buf.String())
		}
	}
}

func TestJobsDefault(t *testing.T) {
	c, err := Load(env{}.get)
	if err != nil {
		t.Fatal(err)
	}
	j := c.Jobs
	want := Jobs{Enabled: true, VisitReminders: "30 8 * * *", StockWarnings: "0 10 * * *", StockOuts: "@every 1m",
		DailyDigest: "30 18 * * *", WeeklyDigest: "45 8 * * *", Jitter: 4 * time.Minute, Timeout: 10 * time.Minute,
		CatchUp: 2 * time.Hour, Calendar: CalendarChina, LeadDays: 3, RepeatDays: 3, ExpiryDays: 7, HistoryDays: 120,
		PolicyReminders: "7,37 * * * *", PolicyRemindAfter: 24 * time.Hour}
	if !reflect.DeepEqual(j, want) {
		t.Errorf("Jobs = %+v\nwant %+v", j, want)
	}
	if !strings.Contains(c.String(), `jobs.visit_reminders="30 8 * * *"`) {
		t.Errorf("String() lacks the jobs: %s", c)
	}
}

func TestJobsLoad(t *testing.T) {
	c, err := Load(env{
		EnvJobsEnabled:           "false",
		EnvJobsVisitReminders:    " 15 8 * * 1-5 ",
		EnvJobsStockWarnings:     "off",
		EnvJobsStockOuts:         "@every 30s",
		EnvJobsDailyDigest:       "10 18 * * *",
		EnvJobsWeeklyDigest:      "off",
		EnvJobsJitter:            "0",
		EnvJobsTimeout:           "90s",
		EnvJobsCatchUp:           "0s",
		EnvJobsCalendar:          "Weekdays",
		EnvJobsHolidays:          "2027-01-01, 2027-02-06",
		EnvJobsWorkdays:          "2027-02-07",
		EnvJobsLeadDays:          "2",
		EnvJobsRepeatDays:        "5",
		EnvJobsExpiryDays:        "10",
		EnvJobsHistoryDays:       "60",
		EnvJobsPolicyReminders:   "off",
		EnvJobsPolicyRemindAfter: "36h",
	}.get)
	if err != nil {
		t.Fatal(err)
	}
	want := Jobs{Enabled: false, VisitReminders: "15 8 * * 1-5", StockWarnings: "off", StockOuts: "@every 30s",
		DailyDigest: "10 18 * * *", WeeklyDigest: "off", Jitter: 0, Timeout: 90 * time.Second, CatchUp: 0,
		Calendar: CalendarWeekdays, Holidays: []string{"2027-01-01", "2027-02-06"}, Workdays: []string{"2027-02-07"},
		LeadDays: 2, RepeatDays: 5, ExpiryDays: 10, HistoryDays: 60, PolicyReminders: "off", PolicyRemindAfter: 36 * time.Hour}
	if !reflect.DeepEqual(c.Jobs, want) {
		t.Errorf("Jobs = %+v\nwant %+v", c.Jobs, want)
	}
}

func TestJobsInvalid(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want []string
	}{
		{"enabled", env{EnvJobsEnabled: "sometimes"}, []string{`JOBS_ENABLED="sometimes"`}},
		{"spec", env{EnvJobsVisitReminders: "8:30"}, []string{`JOBS_VISIT_REMINDERS="8:30"`, "cron spec"}},
		{"spec fields", env{EnvJobsDailyDigest: "30 18 * *"}, []string{`JOBS_DAILY_DIGEST="30 18 * *"`}},
		{"jitter", env{EnvJobsJitter: "soon"}, []string{`JOBS_JITTER="soon"`}},
		{"jitter too long", env{EnvJobsJitter: "2h"}, []string{"JOBS_JITTER=2h0m0s"}},
		{"timeout zero", env{EnvJobsTimeout: "0"}, []string{`JOBS_TIMEOUT="0"`}},
		{"catch-up negative", env{EnvJobsCatchUp: "-1h"}, []string{`JOBS_CATCH_UP="-1h"`}},
		{"calendar", env{EnvJobsCalendar: "lunar"}, []string{`JOBS_CALENDAR="lunar"`}},
		{"holidays", env{EnvJobsHolidays: "2027-01-01,1/2/2027"}, []string{"JOBS_HOLIDAYS", `"1/2/2027"`}},
		{"both", env{EnvJobsHolidays: "2027-01-01", EnvJobsWorkdays: "2027-01-01"}, []string{"both name 2027-01-01"}},
		{"lead days", env{EnvJobsLeadDays: "0"}, []string{`JOBS_LEAD_DAYS="0"`}},
		{"history", env{EnvJobsHistoryDays: "7"}, []string{"JOBS_HISTORY_DAYS=7", "10 days"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.env.get)
			if err == nil {
				t.Fatalf("Load(%v) = nil error", tt.env)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load() error = %q, want it to contain %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Errorf("one bad setting gave %d errors:\n%s", n, err)
			}
		})
	}
	c := Default()
	c.Jobs.Timeout = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "JOBS_TIMEOUT") {
		t.Errorf("Validate() with no timeout = %v", err)
	}
}

package feishu

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
)

const redactedText = "REDACTED"

var _ larkcore.Logger = sdkLogger{}

// sdkLogger routes the SDK's log lines into slog, scrubbed of secrets, and
// lets the long connection watch them (see Stream): its Start reports
// connecting and disconnecting only there.
type sdkLogger struct {
	log     *slog.Logger
	secrets []string
	// watch, if set, sees every line first, before it is scrubbed, and
	// says whether to log it.
	watch func(level slog.Level, line string) bool
}

func (l sdkLogger) Debug(ctx context.Context, args ...any) { l.emit(ctx, slog.LevelDebug, args) }
func (l sdkLogger) Info(ctx context.Context, args ...any)  { l.emit(ctx, slog.LevelInfo, args) }
func (l sdkLogger) Warn(ctx context.Context, args ...any)  { l.emit(ctx, slog.LevelWarn, args) }
func (l sdkLogger) Error(ctx context.Context, args ...any) { l.emit(ctx, slog.LevelError, args) }

func (l sdkLogger) emit(ctx context.Context, level slog.Level, args []any) {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		parts = append(parts, fmt.Sprint(a))
	}
	line := strings.Join(parts, " ")
	if l.watch != nil && !l.watch(level, line) {
		return
	}
	if l.log == nil || !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, "feishu sdk", "detail", scrubText(line, l.secrets...))
}

// wsURL matches the query of a URL, where the long connection's address
// carries its ticket.
var (
	urlQuery  = regexp.MustCompile(`((?:wss?|https?)://[^\s?"']+)\?[^\s"']*`)
	secretArg = regexp.MustCompile(`(?i)("?(?:app_?secret|tenant_access_token|access_key|ticket)"?\s*[:=]\s*"?)[^&\s",}]*`)
	bearer    = regexp.MustCompile(`(?i)(Bearer\s+)\S+`)
)

// scrubText removes secrets from s: each of secrets as is, URL-escaped and
// Go-quoted; URL queries; and values named like credentials.
func scrubText(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		quoted := strconv.Quote(secret)
		for _, form := range []string{secret, url.QueryEscape(secret), quoted[1 : len(quoted)-1]} {
			s = strings.ReplaceAll(s, form, redactedText)
		}
	}
	s = urlQuery.ReplaceAllString(s, "${1}?"+redactedText)
	s = bearer.ReplaceAllString(s, "${1}"+redactedText)
	return secretArg.ReplaceAllString(s, "${1}"+redactedText)
}

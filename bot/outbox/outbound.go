package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"channelbot/models"
)

// Button is a choice offered with a message; a click answers as if Key were typed.
type Button = models.Button

// Outgoing is one message to deliver, as the outbox holds it.
type Outgoing struct {
	ID       int64    // the outbox row; stable across retries
	Platform string   // models.PlatformWeCom, PlatformFeishu
	To       string   // the recipient's identity on the platform (WeCom userid, Feishu open_id)
	Text     string   // plain text, already split to fit the platform
	Markdown bool     // Text is markdown
	Buttons  []Button // offered as a card when the platform has cards
	// ReplyTo is the platform message ID this answers, for platforms that quote
	// (Feishu replies in groups); empty for notices.
	ReplyTo string
	// Attempt counts deliveries tried before this one; a platform with duplicate
	// checking uses it to make a retry after a crash harmless.
	Attempt int
	// Install names the database the message comes from (models.Store.InstallID).
	Install string
}

// Key is an idempotency key for the message, the same on every retry and different
// for every database (at most 22 characters).
func (m Outgoing) Key() string {
	if m.Install == "" {
		return fmt.Sprintf("cb-%d", m.ID)
	}
	return fmt.Sprintf("cb-%s-%d", m.Install, m.ID)
}

// Sender delivers messages on one platform.
type Sender interface {
	// Send delivers m. Errors that are not *SendError are treated as temporary.
	Send(ctx context.Context, m Outgoing) error
}

// SendError is a platform's refusal of a message.
type SendError struct {
	// Permanent means retrying cannot help (unknown user, IP not allowed).
	Permanent bool
	// RetryAfter, when set, is how long the platform asked us to wait.
	RetryAfter time.Duration
	// Code and Reason are the platform's, for logs and the failure record.
	Code   int
	Reason string
}

func (e *SendError) Error() string {
	kind := "temporary"
	if e.Permanent {
		kind = "permanent"
	}
	return fmt.Sprintf("send: %s error %d: %s", kind, e.Code, e.Reason)
}

// IsPermanent reports whether err is a permanent send failure.
func IsPermanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Permanent
}

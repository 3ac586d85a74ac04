// Package outbox is the sending side of the delivery runtime: a Dispatcher delivers
// the messages the brain (package bot) and the jobs wrote to the outbox, through one
// Sender per platform, in order per recipient, within each platform's Limits, with
// backoff on failures and pauses when a platform says "too many", and counts the
// results. The platform adapters (bot/wecom, bot/feishu) implement Sender and state
// their Limits; package bot never imports this one.
package outbox

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"channelbot/models"
)

// Throttler is a shared rate limiter (bot/state implements it on Redis or in process).
type Throttler interface {
	Throttle(ctx context.Context, key string, interval time.Duration, burst int) (time.Duration, error)
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
}

// Rate is a limit as the generic cell rate algorithm sees it: one message per
// Interval on average, bursts of up to Burst.
type Rate struct {
	Interval time.Duration
	Burst    int
}

// RateFor returns a Rate that never lets more than limit messages through in any
// window of length window (at most burst + window/Interval do), allowing bursts of
// burst.
func RateFor(limit int, window time.Duration, burst int) Rate {
	limit = max(limit, 2)
	burst = min(max(burst, 1), limit-1)
	return Rate{Interval: window / time.Duration(limit-burst), Burst: burst}
}

// Limits are one platform's send limits, applied before the platform enforces them.
type Limits struct {
	PerRecipient []Rate // each must allow a message to the recipient
	App          Rate   // all messages of the app
	// DuplicateWindow is how long the platform drops a resend of a message it
	// has (WeCom's duplicate_check_interval, Feishu's uuid hour), counted from
	// the first send that may have reached it. The outbox never resends after
	// it: a resend that could arrive later is given up with a recorded failure.
	// 0 means the platform does not deduplicate; resends are then not limited.
	DuplicateWindow time.Duration
}

// windowMargin is kept clear of the end of a platform's duplicate-check window,
// for the clocks of the replicas and the platform.
const windowMargin = time.Minute

// Dispatcher delivers the outbox: it claims due messages, holds back what rate
// limits do not allow yet, sends the rest, and records the result. Several replicas
// may run one each.
type Dispatcher struct {
	store    *models.Store
	senders  map[string]Sender
	limits   map[string]Limits
	throttle Throttler
	log      *slog.Logger
	metrics  *Metrics
	wake     chan struct{}

	// Lease, Batch and Parallel tune the work: how long a claimed message is
	// reserved, how many are claimed at once, how many are sent at once.
	Lease          time.Duration
	Batch          int
	Parallel       int
	Idle           time.Duration // how long to wait for work when there is none
	MaxAttempts    int           // tries before a temporary failure becomes permanent
	MaxBackoff     time.Duration
	SendTimeout    time.Duration
	platformsCache []string
	install        sync.Once
	installID      string
}

// NewDispatcher returns a Dispatcher for the given senders, by platform.
// limits are by platform too; a platform without limits is held back only by its
// pauses. log may be nil; metrics may be nil to record nothing.
func NewDispatcher(store *models.Store, senders map[string]Sender, limits map[string]Limits, throttle Throttler, log *slog.Logger, metrics *Metrics) *Dispatcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{store: store, senders: senders, limits: limits, throttle: throttle,
		log: log.With("component", "outbox"), metrics: metrics, wake: make(chan struct{}, 1),
		Lease: 60 * time.Second, Batch: 400, Parallel: 32, Idle: time.Second,
		MaxAttempts: 15, MaxBackoff: 10 * time.Minute, SendTimeout: 15 * time.Second}
	for p := range senders {
		d.platformsCache = append(d.platformsCache, p)
	}
	return d
}

// Wake tells the dispatcher there is new work. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, finishing the sends in flight. It claims the next
// batch while the last one is still being sent, so that the platform's rate is
// used without gaps.
func (d *Dispatcher) Run(ctx context.Context) error {
	if len(d.platformsCache) == 0 {
		<-ctx.Done()
		return nil
	}
	work := make(chan models.Message, d.Batch)
	var wg sync.WaitGroup
	for range max(d.Parallel, 1) {
		wg.Go(func() {
			for m := range work {
				d.deliver(ctx, &m)
			}
		})
	}
	defer func() {
		close(work)
		wg.Wait()
	}()
	for ctx.Err() == nil {
		if len(work) > d.Parallel {
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		msgs, err := d.store.ClaimOutbound(ctx, d.platformsCache, cap(work)-len(work), d.Lease)
		if err != nil {
			d.log.WarnContext(ctx, "outbox claim failed", "error", err)
		}
		for _, m := range msgs {
			work <- m
		}
		if len(msgs) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-time.After(d.Idle):
		}
	}
	return nil
}

// Once claims one batch and delivers it, returning how many it claimed: one round of
// Run, for tests and tools.
func (d *Dispatcher) Once(ctx context.Context) (int, error) {
	msgs, err := d.store.ClaimOutbound(ctx, d.platformsCache, d.Batch, d.Lease)
	if err != nil {
		return 0, err
	}
	sem := make(chan struct{}, max(d.Parallel, 1))
	var wg sync.WaitGroup
	for i := range msgs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			d.deliver(ctx, &msgs[i])
		})
	}
	wg.Wait()
	return len(msgs), nil
}

func pauseKey(platform string) string { return "pause:" + platform }

// deliver sends one claimed message and records what happened. The message is in
// hand: it is sent and recorded even after ctx ends, which only cuts short a wait
// for the app's rate (the message is then put back until the wait is over).
//
// The attempt is recorded (StartAttempt) before the request goes out, so that a
// resend after a crash knows an earlier send may have arrived; a resend that could
// reach the platform after its duplicate-check window is not made (given up, with
// the reason recorded). Backoff counts from the end of the attempt.
func (d *Dispatcher) deliver(ctx context.Context, m *models.Message) {
	log := d.log.With("platform", m.Platform, "outbox_id", m.ID)
	stop := ctx
	ctx = context.WithoutCancel(ctx)
	d.install.Do(func() {
		id, err := d.store.InstallID(ctx)
		if err != nil {
			log.WarnContext(ctx, "install id unknown: idempotency keys are per message only", "error", err)
		}
		d.installID = id
	})
	start := d.store.Now()
	if d.outsideWindow(m.Platform, m.FirstAttemptAt, start) {
		d.giveUp(ctx, log, m)
		return
	}
	if err := d.store.StartAttempt(ctx, m.ID); err != nil {
		if !errors.Is(err, models.ErrNotFound) {
			// Not recorded, so not sent: the message goes back, the try uncounted.
			log.WarnContext(ctx, "recording a send attempt", "error", err)
			if err := d.store.Retry(ctx, m.ID, start.Add(time.Second), "", false); err != nil {
				log.ErrorContext(ctx, "rescheduling an unsent message", "error", err)
			}
		}
		return
	}
	// The rate limits are asked last, right before the request: a token taken
	// before a slow database write would let sends bunch up at the platform.
	wait, err := d.hold(stop, m)
	if err != nil || wait > 0 {
		if err != nil {
			log.WarnContext(ctx, "rate limiter unavailable", "error", err)
			wait = time.Second
		}
		d.metrics.Send(m.Platform, "throttled")
		// Not sent: the try is not counted and, if it was the first, the
		// duplicate-check window has not started.
		if err := d.store.Held(ctx, m.ID, d.store.Now().Add(wait)); err != nil {
			log.ErrorContext(ctx, "rescheduling a held message", "error", err)
		}
		return
	}
	first := m.FirstAttemptAt
	if first == nil {
		first = &start
	}
	sctx, cancel := context.WithTimeout(ctx, d.SendTimeout)
	err = d.senders[m.Platform].Send(sctx, Outgoing{ID: m.ID, Platform: m.Platform, To: m.Peer, Text: m.Text,
		Markdown: m.Markdown, Buttons: m.Buttons, ReplyTo: m.Quote, Attempt: m.Attempts - 1, Install: d.installID})
	cancel()
	end := d.store.Now() // backoff and pauses count from here, not from start
	var se *SendError
	refused := errors.As(err, &se) // the platform answered: this send did not arrive
	if refused && m.FirstAttemptAt == nil {
		first = nil
	}
	switch {
	case err == nil:
		d.metrics.Send(m.Platform, "sent")
		err = d.store.MarkSent(ctx, m.ID)
	case IsPermanent(err) || m.Attempts >= d.MaxAttempts:
		d.metrics.Send(m.Platform, "failed")
		log.WarnContext(ctx, "message not delivered", "error", err, "attempts", m.Attempts)
		err = d.store.MarkFailed(ctx, m.ID, err.Error())
	case se != nil && se.RetryAfter > 0:
		d.metrics.Send(m.Platform, "retry")
		// The platform throttles the whole app: every replica waits.
		if perr := d.throttle.Set(ctx, pauseKey(m.Platform), []byte(end.Add(se.RetryAfter).Format(time.RFC3339Nano)), se.RetryAfter); perr != nil {
			log.WarnContext(ctx, "pausing sends", "error", perr)
		}
		err = d.retry(ctx, log, m, first, end.Add(se.RetryAfter), err, refused)
	default:
		d.metrics.Send(m.Platform, "retry")
		log.InfoContext(ctx, "send will be retried", "error", err, "attempts", m.Attempts)
		err = d.retry(ctx, log, m, first, end.Add(d.backoff(m.Attempts)), err, refused)
	}
	if err != nil {
		log.ErrorContext(ctx, "recording a delivery", "error", err)
	}
}

// retry puts m back for next, or gives it up when a resend then could fall
// outside the platform's duplicate-check window counted from first.
func (d *Dispatcher) retry(ctx context.Context, log *slog.Logger, m *models.Message, first *time.Time, next time.Time, cause error, refused bool) error {
	if d.outsideWindow(m.Platform, first, next) {
		d.giveUp(ctx, log, m)
		return nil
	}
	if refused {
		return d.store.RetryRefused(ctx, m.ID, next, cause.Error())
	}
	return d.store.Retry(ctx, m.ID, next, cause.Error(), true)
}

// outsideWindow reports whether a send starting at at could reach the platform
// after its duplicate-check window, counted from first (nil: no send may have
// arrived yet, so any time is fine).
func (d *Dispatcher) outsideWindow(platform string, first *time.Time, at time.Time) bool {
	w := d.limits[platform].DuplicateWindow
	return w > 0 && first != nil && at.Add(d.SendTimeout+windowMargin).Sub(*first) > w
}

// giveUp records m as failed: an earlier send may have arrived, and the platform
// would no longer recognise a resend.
func (d *Dispatcher) giveUp(ctx context.Context, log *slog.Logger, m *models.Message) {
	d.metrics.Send(m.Platform, "failed")
	w := d.limits[m.Platform].DuplicateWindow
	log.WarnContext(ctx, "message given up: a resend would fall outside the duplicate check",
		"attempts", m.Attempts, "window", w)
	reason := "gave up: an earlier send may have arrived, and a resend now would fall outside the platform's duplicate check of " + w.String()
	if m.LastError != "" {
		reason += "; last error: " + m.LastError
	}
	if err := d.store.MarkFailed(ctx, m.ID, reason); err != nil {
		log.ErrorContext(ctx, "recording a delivery", "error", err)
	}
}

// maxAppWait is the longest wait for the app's rate that a sender sleeps through.
const maxAppWait = 2 * time.Second

// hold returns how long m must wait for the platform's pause and rate limits; 0
// means it may go now (and has been counted against the limits). A short wait for
// the app's own rate is spent here rather than rescheduling, unless ctx ends first.
// The limiter is asked even after ctx ended.
func (d *Dispatcher) hold(ctx context.Context, m *models.Message) (time.Duration, error) {
	stop := ctx
	ctx = context.WithoutCancel(ctx)
	if until, ok, err := d.throttle.Get(ctx, pauseKey(m.Platform)); err != nil {
		return 0, err
	} else if ok {
		if t, perr := time.Parse(time.RFC3339Nano, string(until)); perr == nil && t.After(d.store.Now()) {
			return t.Sub(d.store.Now()), nil
		}
	}
	lim := d.limits[m.Platform]
	for lim.App.Interval > 0 {
		wait, err := d.throttle.Throttle(ctx, "rl:"+m.Platform+":app", lim.App.Interval, lim.App.Burst)
		if err != nil || wait == 0 || wait > maxAppWait {
			if err != nil || wait > 0 {
				return wait, err
			}
			break
		}
		if !sleep(stop, wait) {
			return wait, nil
		}
	}
	for i, r := range lim.PerRecipient {
		key := "rl:" + m.Platform + ":" + strconv.Itoa(i) + ":" + m.Peer
		if wait, err := d.throttle.Throttle(ctx, key, r.Interval, r.Burst); err != nil || wait > 0 {
			return wait, err
		}
	}
	return 0, nil
}

// sleep waits for d and reports true, or reports false as soon as ctx ends.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// backoff grows exponentially with attempts, with jitter, up to MaxBackoff.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	b := time.Second << min(attempts, 20)
	b = min(b, d.MaxBackoff)
	return b/2 + rand.N(b/2+1)
}

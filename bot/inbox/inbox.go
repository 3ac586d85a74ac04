// Package inbox is the receiving side of the delivery runtime: a Pool of workers
// hands the platform messages stored in the inbox to the brain (package bot), one
// sender's in order, different senders in parallel, leasing each message so that
// replicas share the work and a crash loses none, and counts what it processed.
// Package bot never imports this one.
package inbox

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"channelbot/bot"
	"channelbot/models"
)

// Pool processes queued platform messages: one sender's messages one at a time and
// in order (also across replicas: the claim is in the database), different senders in
// parallel on a fixed number of workers. Messages are stored before the platform is
// answered, so a crash loses none: a sweep picks up what was left.
type Pool struct {
	bot     *bot.Bot
	store   *models.Store
	log     *slog.Logger
	metrics *Metrics
	queues  []chan work
	onDone  func()

	// Lease is how long a claimed message is reserved for its worker.
	Lease time.Duration
	// SweepEvery is how often left-over messages are looked for.
	SweepEvery time.Duration
	// MaxAttempts is how often a message that fails to process is tried.
	MaxAttempts int
}

// NewPool returns a Pool that has b handle the messages queued in store, with workers
// workers, each with a queue of queue senders. log may be nil; metrics may be nil to
// record nothing. onDone, if set, runs after each message (to wake the outbox
// dispatcher).
func NewPool(b *bot.Bot, store *models.Store, log *slog.Logger, metrics *Metrics, workers, queue int, onDone func()) *Pool {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ib := &Pool{bot: b, store: store, log: log.With("component", "inbox"), metrics: metrics, onDone: onDone,
		Lease: 30 * time.Second, SweepEvery: 2 * time.Second, MaxAttempts: 5}
	for range max(workers, 1) {
		ib.queues = append(ib.queues, make(chan work, max(queue, 1)))
	}
	return ib
}

// work is a sender whose queued messages to process, with the one just stored and
// claimed for the worker, if any.
type work struct {
	peer    models.Peer
	claimed *models.Message
}

// LeaseFor returns how long an enqueued message stays claimed for the worker it is
// handed to.
func (ib *Pool) LeaseFor() time.Duration { return ib.Lease }

// Submit hands a message just stored by EnqueueInbound (and so claimed) to the
// sender's worker. It never blocks: when the worker's queue is full the message is
// released, and the sweep finds it. It reports whether the worker took it.
func (ib *Pool) Submit(m *models.Message) bool {
	w := work{peer: models.Peer{Platform: m.Platform, Peer: m.Peer}, claimed: m}
	if ib.push(w) {
		return true
	}
	if err := ib.store.ReleaseInbound(context.Background(), m.ID); err != nil {
		ib.log.Warn("releasing a message", "error", err)
	}
	return false
}

func (ib *Pool) push(w work) bool {
	h := fnv.New32a()
	_, _ = h.Write([]byte(w.peer.Platform + "\x00" + w.peer.Peer))
	select {
	case ib.queues[h.Sum32()%uint32(len(ib.queues))] <- w:
		return true
	default:
		return false
	}
}

// Run processes messages until ctx ends, then waits for the messages in hand.
func (ib *Pool) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, q := range ib.queues {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case w := <-q:
					ib.take(ctx, w)
				}
			}
		})
	}
	t := time.NewTicker(ib.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil
		case <-t.C:
			ib.sweep(ctx)
		}
	}
}

// sweep submits senders whose messages wait with no one working on them.
func (ib *Pool) sweep(ctx context.Context) {
	peers, err := ib.store.QueuedPeers(ctx, 200)
	if err != nil {
		ib.log.WarnContext(ctx, "inbox sweep failed", "error", err)
		return
	}
	for _, p := range peers {
		ib.push(work{peer: p})
	}
}

// take processes the message handed over, if it is its sender's oldest, then
// whatever else of theirs is queued.
func (ib *Pool) take(ctx context.Context, w work) {
	if m := w.claimed; m != nil {
		first, err := ib.store.FirstQueued(ctx, w.peer)
		switch {
		case err != nil:
			ib.log.WarnContext(ctx, "inbox read failed", "error", err)
			return
		case first == m.ID:
			ib.process(ctx, m)
		default:
			// Earlier messages of the sender come first; whoever has them goes
			// on with this one.
			if err := ib.store.ReleaseInbound(ctx, m.ID); err != nil {
				ib.log.WarnContext(ctx, "releasing a message", "error", err)
			}
		}
		if first, err := ib.store.FirstQueued(ctx, w.peer); err != nil || first == 0 {
			return
		}
	}
	ib.drain(ctx, w.peer)
}

// drain processes p's queued messages, oldest first, until none is left to claim.
func (ib *Pool) drain(ctx context.Context, p models.Peer) {
	for ctx.Err() == nil {
		m, err := ib.store.ClaimInbound(context.WithoutCancel(ctx), p, ib.Lease)
		if errors.Is(err, models.ErrNotFound) {
			return
		}
		if err != nil {
			ib.log.WarnContext(ctx, "inbox claim failed", "error", err)
			return
		}
		ib.process(ctx, m)
	}
}

// process handles one claimed message. A message is finished even if ctx ends
// meanwhile: a half-done message would only be retried.
func (ib *Pool) process(ctx context.Context, m *models.Message) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ib.Lease*2/3)
	defer cancel()
	log := ib.log.With("platform", m.Platform, "inbox_id", m.ID)
	if m.Attempts > ib.MaxAttempts {
		log.ErrorContext(ctx, "giving up on a message", "attempts", m.Attempts, "error", m.LastError)
		if err := ib.store.FailInbound(ctx, m, "too many attempts: "+m.LastError, bot.Apology); err != nil {
			log.ErrorContext(ctx, "marking message failed", "error", err)
		}
		return
	}
	start := time.Now()
	if _, err := ib.bot.Handle(ctx, bot.FromInbox(m)); err != nil {
		// Left queued: the lease runs out and the message is tried again.
		log.WarnContext(ctx, "message will be retried", "error", err, "attempts", m.Attempts)
		return
	}
	ib.metrics.Process(m.Platform, time.Since(start))
	if ib.onDone != nil {
		ib.onDone()
	}
}

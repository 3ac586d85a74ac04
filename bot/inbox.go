package bot

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"channelbot/models"
)

// Inbox processes queued platform messages: one sender's messages one at a time and
// in order (also across replicas: the claim is in the database), different senders in
// parallel on a fixed number of workers. Messages are stored before the platform is
// answered, so a crash loses none: a sweep picks up what was left.
type Inbox struct {
	bot     *Bot
	log     *slog.Logger
	metrics *Metrics
	queues  []chan models.Peer
	onDone  func()

	// Lease is how long a claimed message is reserved for its worker.
	Lease time.Duration
	// SweepEvery is how often left-over messages are looked for.
	SweepEvery time.Duration
	// MaxAttempts is how often a message that fails to process is tried.
	MaxAttempts int
}

// NewInbox returns an Inbox with workers workers, each with a queue of queue senders.
// onDone, if set, runs after each message (to wake the outbox dispatcher).
func NewInbox(b *Bot, metrics *Metrics, workers, queue int, onDone func()) *Inbox {
	ib := &Inbox{bot: b, log: b.log.With("component", "inbox"), metrics: metrics, onDone: onDone,
		Lease: 30 * time.Second, SweepEvery: 2 * time.Second, MaxAttempts: 5}
	for range max(workers, 1) {
		ib.queues = append(ib.queues, make(chan models.Peer, max(queue, 1)))
	}
	return ib
}

// Submit asks for p's queued messages to be processed. It never blocks: when the
// worker's queue is full the sweep will find the messages later. It reports whether
// p was queued.
func (ib *Inbox) Submit(p models.Peer) bool {
	h := fnv.New32a()
	_, _ = h.Write([]byte(p.Platform + "\x00" + p.Peer))
	select {
	case ib.queues[h.Sum32()%uint32(len(ib.queues))] <- p:
		return true
	default:
		return false
	}
}

// Run processes messages until ctx ends, then waits for the messages in hand.
func (ib *Inbox) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, q := range ib.queues {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case p := <-q:
					ib.drain(ctx, p)
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
func (ib *Inbox) sweep(ctx context.Context) {
	peers, err := ib.bot.store.QueuedPeers(ctx, ib.bot.store.Now().Add(-ib.SweepEvery), 200)
	if err != nil {
		ib.log.WarnContext(ctx, "inbox sweep failed", "error", err)
		return
	}
	for _, p := range peers {
		ib.Submit(p)
	}
}

// drain processes p's queued messages, oldest first, until none is left to claim.
func (ib *Inbox) drain(ctx context.Context, p models.Peer) {
	for ctx.Err() == nil {
		m, err := ib.bot.store.ClaimInbound(context.WithoutCancel(ctx), p, ib.Lease)
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
func (ib *Inbox) process(ctx context.Context, m *models.Message) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ib.Lease*2/3)
	defer cancel()
	log := ib.log.With("platform", m.Platform, "inbox_id", m.ID)
	if m.Attempts > ib.MaxAttempts {
		log.ErrorContext(ctx, "giving up on a message", "attempts", m.Attempts, "error", m.LastError)
		if err := ib.bot.store.FailInbound(ctx, m.ID, "too many attempts"); err != nil {
			log.ErrorContext(ctx, "marking message failed", "error", err)
		}
		return
	}
	start := time.Now()
	if _, err := ib.bot.Handle(ctx, FromInbox(m)); err != nil {
		// Left queued: the lease runs out and the message is tried again.
		log.WarnContext(ctx, "message will be retried", "error", err, "attempts", m.Attempts)
		return
	}
	ib.metrics.Process(m.Platform, time.Since(start))
	if ib.onDone != nil {
		ib.onDone()
	}
}

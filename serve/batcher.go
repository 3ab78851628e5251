package serve

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maskgit-go/maskgit/pipeline"
)

// Inpainter runs one batch of inpainting jobs with shared options;
// *pipeline.Model is one.
type Inpainter interface {
	Inpaint(ctx context.Context, jobs []pipeline.Job, opt pipeline.InpaintOptions) ([]pipeline.Output, error)
}

// item is one queued request.
type item struct {
	ctx     context.Context
	key     batchKey
	opt     pipeline.InpaintOptions
	job     pipeline.Job
	arrived time.Time
	done    chan result // buffered: the worker never blocks on it
}

// result is a request's answer.
type result struct {
	out   pipeline.Output
	batch int // requests in the model call that produced out
	err   error
}

// group is the pending requests of one batch key.
type group struct {
	key      batchKey
	items    []*item
	deadline time.Time
}

// batcher queues requests and runs them in batches on one worker: the
// model call of one batch at a time (TensorFlow spreads each over its
// threads).
type batcher struct {
	model    Inpainter
	maxBatch int
	maxWait  time.Duration
	queue    chan *item
	quit     chan struct{}
	// base is the parent of every model call's context; close cancels it.
	base     context.Context
	cancel   context.CancelFunc
	closing  sync.Once
	finished chan struct{}

	// pending counts requests accepted and not yet answered; limit caps it.
	pending atomic.Int64
	limit   int64

	requests, batches atomic.Int64
}

// newBatcher accepts up to queueSize requests waiting beyond the maxBatch
// of a running model call.
func newBatcher(m Inpainter, maxBatch, queueSize int, maxWait time.Duration) *batcher {
	limit := queueSize + maxBatch
	b := &batcher{model: m, maxBatch: maxBatch, maxWait: maxWait, limit: int64(limit),
		queue: make(chan *item, limit), quit: make(chan struct{}), finished: make(chan struct{})}
	b.base, b.cancel = context.WithCancel(context.Background())
	go b.run()
	return b
}

// submit queues a request and waits for its result, its context's end or
// the batcher's close.
func (b *batcher) submit(ctx context.Context, key batchKey, opt pipeline.InpaintOptions, job pipeline.Job) result {
	it := &item{ctx: ctx, key: key, opt: opt, job: job, arrived: time.Now(), done: make(chan result, 1)}
	select {
	case <-b.quit:
		return result{err: errClosed()}
	default:
	}
	if b.pending.Add(1) > b.limit {
		b.pending.Add(-1)
		return result{err: errQueueFull()}
	}
	b.queue <- it // never blocks: the channel holds limit items
	select {
	case r := <-it.done:
		return r
	case <-ctx.Done():
		return result{err: errTimeout()}
	case <-b.finished:
		// The worker is gone; it may have answered just before leaving.
		select {
		case r := <-it.done:
			return r
		default:
			return result{err: errClosed()}
		}
	}
}

// answer delivers r to it's submitter.
func (b *batcher) answer(it *item, r result) {
	it.done <- r
	b.pending.Add(-1)
}

// inFlight returns the number of requests accepted and not yet answered.
func (b *batcher) inFlight() int { return int(b.pending.Load()) }

// close cancels the running model call and stops the worker; queued and
// pending requests are answered errClosed(). Safe to call twice.
func (b *batcher) close() {
	b.closing.Do(func() {
		close(b.quit)
		b.cancel()
	})
	<-b.finished
}

func (b *batcher) run() {
	defer close(b.finished)
	groups := map[batchKey]*group{}
	add := func(it *item) {
		g := groups[it.key]
		if g == nil {
			g = &group{key: it.key, deadline: it.arrived.Add(b.maxWait)}
			groups[it.key] = g
		}
		g.items = append(g.items, it)
	}
	for {
		// Closing: answer everything waiting rather than start another
		// model call on a cancelled context.
		select {
		case <-b.quit:
			b.answerClosed(groups)
			return
		default:
		}
		// Take everything already queued before choosing what to run.
	drain:
		for {
			select {
			case it := <-b.queue:
				add(it)
			default:
				break drain
			}
		}
		if g := b.due(groups, time.Now()); g != nil {
			n := min(len(g.items), b.maxBatch)
			batch := g.items[:n]
			if g.items = g.items[n:]; len(g.items) == 0 {
				delete(groups, g.key)
			} else {
				g.deadline = g.items[0].arrived.Add(b.maxWait)
			}
			b.runBatch(batch)
			continue
		}
		var wake <-chan time.Time
		var timer *time.Timer
		if next := b.earliest(groups); next != nil {
			timer = time.NewTimer(time.Until(next.deadline))
			wake = timer.C
		}
		select {
		case it := <-b.queue:
			add(it)
		case <-wake:
		case <-b.quit:
			if timer != nil {
				timer.Stop()
			}
			b.answerClosed(groups)
			return
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// answerClosed answers every grouped and queued request errClosed().
func (b *batcher) answerClosed(groups map[batchKey]*group) {
	for _, g := range groups {
		for _, it := range g.items {
			b.answer(it, result{err: errClosed()})
		}
	}
	for {
		select {
		case it := <-b.queue:
			b.answer(it, result{err: errClosed()})
		default:
			return
		}
	}
}

// due returns the group to run now: the full group with the earliest
// deadline, else the group with the earliest deadline if that has passed,
// else nil.
func (b *batcher) due(groups map[batchKey]*group, now time.Time) *group {
	var full *group
	for _, g := range groups {
		if len(g.items) >= b.maxBatch && (full == nil || g.deadline.Before(full.deadline)) {
			full = g
		}
	}
	if full != nil {
		return full
	}
	if g := b.earliest(groups); g != nil && !now.Before(g.deadline) {
		return g
	}
	return nil
}

// earliest returns the group with the earliest deadline, or nil.
func (b *batcher) earliest(groups map[batchKey]*group) *group {
	var best *group
	for _, g := range groups {
		if best == nil || g.deadline.Before(best.deadline) {
			best = g
		}
	}
	return best
}

// runBatch calls the model once for the items still wanted and answers
// each. The call's context ends when every item's context has ended or the
// batcher is closing.
func (b *batcher) runBatch(items []*item) {
	live := items[:0:0]
	for _, it := range items {
		if it.ctx.Err() != nil {
			b.answer(it, result{err: errTimeout()})
			continue
		}
		live = append(live, it)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(b.base)
	defer cancel()
	var remaining atomic.Int64
	remaining.Store(int64(len(live)))
	for _, it := range live {
		stop := context.AfterFunc(it.ctx, func() {
			if remaining.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}
	jobs := make([]pipeline.Job, len(live))
	for i, it := range live {
		jobs[i] = it.job
	}
	outs, err := b.call(ctx, jobs, live[0].opt)
	b.requests.Add(int64(len(live)))
	b.batches.Add(1)
	if err == nil && len(outs) != len(live) {
		err = errorf(500, "internal", "model returned %d outputs for %d jobs", len(outs), len(live))
	}
	closing := b.base.Err() != nil // close cancelled the call
	for i, it := range live {
		switch {
		case err != nil && closing:
			b.answer(it, result{err: errClosed()})
		case err != nil && it.ctx.Err() != nil:
			b.answer(it, result{err: errTimeout()})
		case err != nil:
			b.answer(it, result{err: err, batch: len(live)})
		default:
			b.answer(it, result{out: outs[i], batch: len(live)})
		}
	}
}

// call runs the model, turning a panic into an error so that one bad batch
// cannot take the server down.
func (b *batcher) call(ctx context.Context, jobs []pipeline.Job, opt pipeline.InpaintOptions) (outs []pipeline.Output, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("serve: model panicked: %v", p)
		}
	}()
	return b.model.Inpaint(ctx, jobs, opt)
}

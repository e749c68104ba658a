package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Notifier delivers alerts to Alertmanagers and webhooks.
type Notifier struct {
	dests       []*destination
	client      *http.Client
	timeout     time.Duration
	externalURL string
	logger      *slog.Logger
	metrics     *metrics

	// now and backoff are replaced by tests.
	now     func() time.Time
	backoff backoff

	running atomic.Bool
}

// New checks opts and returns a Notifier that delivers nothing until Run.
func New(opts Options) (*Notifier, error) {
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("alert timeout %s: it must be positive", opts.Timeout)
	}
	if opts.Timeout == 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.QueueCapacity < 0 {
		return nil, fmt.Errorf("alert queue capacity %d: it must be positive", opts.QueueCapacity)
	}
	if opts.QueueCapacity == 0 {
		opts.QueueCapacity = defaultQueueCapacity
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	targets, err := opts.targets()
	if err != nil {
		return nil, err
	}
	if opts.BearerTokenFile != "" {
		// Read now so that a wrong path fails at start, not at the
		// first alert.
		if _, err := readToken(opts.BearerTokenFile); err != nil {
			return nil, err
		}
	}

	m := newMetrics()
	if opts.Registerer != nil {
		if err := m.register(opts.Registerer); err != nil {
			return nil, err
		}
	}
	n := &Notifier{
		client:      newClient(),
		timeout:     opts.Timeout,
		externalURL: opts.ExternalURL,
		logger:      opts.Logger,
		metrics:     m,
		now:         time.Now,
		backoff:     defaultBackoff,
	}
	for _, t := range targets {
		d := newDestination(t, opts.QueueCapacity, m.forDestination(t.name))
		if t.kind == KindAlertmanager {
			d.bearerTokenFile = opts.BearerTokenFile
		}
		n.dests = append(n.dests, d)
	}
	return n, nil
}

// Send queues alerts for every destination and returns at once. The maps
// of the alerts are copied, so the caller may reuse them.
func (n *Notifier) Send(alerts ...Alert) {
	batch := make([]entry, 0, len(alerts))
	unlabeled := 0
	for _, a := range alerts {
		if len(a.Labels) == 0 {
			unlabeled++
			continue
		}
		a.Labels = maps.Clone(a.Labels)
		a.Annotations = maps.Clone(a.Annotations)
		if a.Annotations == nil {
			a.Annotations = map[string]string{} // JSON {}, not null
		}
		batch = append(batch, entry{alert: a, fp: a.Fingerprint()})
	}
	if unlabeled > 0 {
		n.logger.Warn("dropping alerts without labels", "count", unlabeled)
	}
	for _, d := range n.dests {
		d.m.dropped.Add(float64(unlabeled))
		if dropped, first := d.enqueue(batch); first {
			n.logger.Warn("alert queue full, dropping the oldest alerts until the destination answers",
				"destination", d.name, "dropped", dropped, "capacity", d.q.capacity)
		}
	}
}

// Destinations returns the state of every destination: the Alertmanagers,
// then the webhooks, in the order of the options.
func (n *Notifier) Destinations() []Destination {
	out := make([]Destination, len(n.dests))
	for i, d := range n.dests {
		out[i] = d.state()
	}
	return out
}

// Run delivers queued alerts until ctx is done, then tries once more, for
// at most the request timeout, to deliver what is still queued. It returns
// when all its goroutines have. Run must not be called again before it
// returns.
func (n *Notifier) Run(ctx context.Context) {
	if !n.running.CompareAndSwap(false, true) {
		panic("alert: Notifier.Run called while it runs")
	}
	defer n.running.Store(false)
	// Idle keep-alive connections each hold two goroutines.
	defer n.client.CloseIdleConnections()

	var wg sync.WaitGroup
	for _, d := range n.dests {
		wg.Go(func() { n.deliverLoop(ctx, d) })
	}
	<-ctx.Done()
	wg.Wait()

	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.timeout)
	defer cancel()
	for _, d := range n.dests {
		wg.Go(func() { n.flush(flushCtx, d) })
	}
	wg.Wait()
}

// deliverLoop sends d's queue, batch after batch, and after a failure
// waits out the back-off before it retries the same batch.
func (n *Notifier) deliverLoop(ctx context.Context, d *destination) {
	for {
		batch := d.next()
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-d.wake:
				continue
			}
		}
		err := n.deliver(ctx, d, batch)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			continue
		}
		if _, ok := errors.AsType[rejectedError](err); ok {
			// Retrying a batch the destination refuses would hold up every
			// alert behind it for ever: drop it, count it, say so.
			queued := d.rejected(batch, err)
			n.logger.Warn("alert destination refused alerts; dropping them, as sending them again cannot succeed",
				"destination", d.name, "err", err, "dropped", len(batch), "queued", queued)
			continue
		}
		failures, queued := d.failed(err)
		wait := n.backoff.delay(failures, rand.Float64())
		if failures == 1 {
			n.logger.Warn("alert destination is down, retrying", "destination", d.name, "err", err, "queued", queued, "retry_in", wait)
		} else {
			n.logger.Debug("alert destination is still down", "destination", d.name, "err", err, "failures", failures, "queued", queued, "retry_in", wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// flush is the last attempt at shutdown: what d still holds, batch after
// batch, until the first failure or until ctx ends.
func (n *Notifier) flush(ctx context.Context, d *destination) {
	for {
		batch := d.next()
		if len(batch) == 0 {
			return
		}
		if err := n.deliver(ctx, d, batch); err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("no answer within the %s allowed at shutdown", n.timeout)
			} else {
				d.failed(err)
			}
			n.logger.Warn("alerts not delivered before shutdown", "destination", d.name, "err", err, "queued", d.state().Queued)
			return
		}
	}
}

// deliver posts one batch and, if it got through, removes it from the
// queue. A failure is returned for the caller to record, unless ctx ended:
// that says nothing about the destination.
func (n *Notifier) deliver(ctx context.Context, d *destination, batch []entry) error {
	if err := n.post(ctx, d, batch); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	if wasDown, queued := d.delivered(batch); wasDown {
		n.logger.Info("alert destination is up again", "destination", d.name, "queued", queued)
	}
	return nil
}

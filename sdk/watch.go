package sdk

import (
	"context"
	"errors"
	"time"

	"github.com/licet/licet/verify"
)

// DefaultPollInterval is how often [License.Watch] polls by default.
const DefaultPollInterval = 30 * time.Second

// DefaultExpiringWindow is how long before expiry OnExpiring fires by
// default.
const DefaultExpiringWindow = 14 * 24 * time.Hour

// WatchOptions configures [License.Watch]. Every callback is optional and
// runs on the watcher's goroutine, one at a time: it should return
// quickly, and must not call [Watcher.Close].
type WatchOptions struct {
	// Interval is the time between polls; 0 means DefaultPollInterval.
	Interval time.Duration
	// ExpiringWithin is the window before expiry in which OnExpiring
	// fires; 0 means DefaultExpiringWindow.
	ExpiringWithin time.Duration

	// OnChange is called when another license comes into effect: a
	// license file was replaced, or a license was installed where there
	// was none.
	OnChange func(Status)
	// OnExpiring is called once per license when it will expire within
	// ExpiringWithin, with the time left.
	OnExpiring func(st Status, left time.Duration)
	// OnGrace is called once per license when it is past its expiry and
	// within its grace period: it still allows what it grants.
	OnGrace func(Status)
	// OnExpired is called once per license when it is past its expiry
	// and grace: it allows nothing any more.
	OnExpired func(Status)
	// OnError is called with each new problem: a reload that failed (the
	// last good license stays in effect), a revocation list that could
	// not be taken (the previous one stays), a state file that could not
	// be written; and the reasons that deny everything: a license now
	// revoked, a clock rollback, ... (not the expiry of the license in
	// effect: OnExpired reports that). An error is reported once, when it
	// appears, not at every poll; the error Load returned is not reported
	// again.
	OnError func(error)
}

// Watcher is a running [License.Watch]. Stop it with Close or by cancelling
// the context given to Watch.
type Watcher struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Close stops the watcher and waits until its goroutine has returned.
// It is safe to call more than once.
func (w *Watcher) Close() error {
	w.cancel()
	<-w.done
	return nil
}

// Done is closed when the watcher has stopped.
func (w *Watcher) Done() <-chan struct{} { return w.done }

// Watch polls the license places, the revocation list and the clock every
// opts.Interval (with the standard library: the files' size, modification
// time and content hash), swaps in a new license when one appears, and
// calls the callbacks of opts. A license file that is replaced by a broken
// one, or deleted, leaves the last good license in effect (and OnError
// told); a license that expires or gets revoked stops allowing.
//
// Watch returns at once; the polling runs until ctx is done or
// [Watcher.Close] is called.
func (l *License) Watch(ctx context.Context, opts WatchOptions) (*Watcher, error) {
	if l == nil || l.s == nil {
		return nil, errors.New("sdk: watch: no License from Load (Load failed with a configuration error)")
	}
	if opts.Interval < 0 || opts.ExpiringWithin < 0 {
		return nil, errors.New("sdk: watch: negative interval or window")
	}
	if opts.Interval == 0 {
		opts.Interval = DefaultPollInterval
	}
	if opts.ExpiringWithin == 0 {
		opts.ExpiringWithin = DefaultExpiringWindow
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &Watcher{cancel: cancel, done: make(chan struct{})}
	cur := l.cur.Load()
	ob := &observer{l: l, opts: opts, gen: cur.gen}
	if cur.err != nil {
		// Load returned it already.
		ob.reported = map[string]bool{cur.err.Error(): true}
	}
	go func() {
		defer close(w.done)
		t := time.NewTicker(opts.Interval)
		defer t.Stop()
		ob.events() // a license already in grace or expiring says so at once
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				ob.report(l.refresh())
				ob.events()
			}
		}
	}()
	return w, nil
}

// observer turns the state of a License into callbacks, each once.
type observer struct {
	l    *License
	opts WatchOptions

	gen                      uint64
	expiring, grace, expired bool // sent for gen
	reported                 map[string]bool
}

// report calls OnError with the errors of a poll that the previous poll
// did not have.
func (o *observer) report(errs []error) {
	seen := make(map[string]bool, len(errs))
	for _, err := range errs {
		if ve, ok := err.(*verify.Error); ok && ve.Code == verify.CodeExpired {
			continue // the license in effect expired: OnExpired says so
		}
		msg := err.Error()
		seen[msg] = true
		if !o.reported[msg] && o.opts.OnError != nil {
			o.opts.OnError(err)
		}
	}
	o.reported = seen
}

// events calls the callbacks of the license's state that were not called
// yet.
func (o *observer) events() {
	s, now := o.l.cur.Load(), o.l.s.clock()
	if s.gen != o.gen {
		o.gen = s.gen
		o.expiring, o.grace, o.expired = false, false, false
		if s.lic != nil && s.err == nil && o.opts.OnChange != nil {
			o.opts.OnChange(o.l.Status())
		}
	}
	if s.lic == nil {
		return
	}
	live := s.live(now)
	switch {
	case !o.expired && (verify.CodeOf(s.err) == verify.CodeExpired || s.err == nil && !live):
		o.expired = true
		if o.opts.OnExpired != nil {
			o.opts.OnExpired(o.l.Status())
		}
	case !live:
	case s.inGrace(now):
		if !o.grace {
			o.grace = true
			if o.opts.OnGrace != nil {
				o.opts.OnGrace(o.l.Status())
			}
		}
	case !o.expiring && !s.lic.Claims.Expiry.IsZero() && s.lic.Claims.Expiry.Sub(now) <= o.opts.ExpiringWithin:
		o.expiring = true
		if o.opts.OnExpiring != nil {
			o.opts.OnExpiring(o.l.Status(), s.lic.Claims.Expiry.Sub(now))
		}
	}
}

package sdk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/licet/licet/machine"
	"github.com/licet/licet/token"
)

// KindLease is the [Candidate] kind of the lease from Config.LeaseServer,
// the first place [Load] looks when it is set.
const KindLease = "lease"

// Lease timing. A lease is renewed after a third of its life, give or take
// LeaseJitter of that third, so that the clients of one server spread
// their renewals; a failed attempt is tried again after a thirtieth of the
// lease's life (at least a second, at most 30 s), or when the server's
// Retry-After says.
const (
	LeaseJitter       = 0.2
	leaseRequestLimit = 30 * time.Second
	leaseDefaultTick  = 30 * time.Second
)

// errReleased is the reason a closed License allows nothing.
var errReleased = errors.New("sdk: the lease was released (License.Close)")

// RenewDelay returns when, after it was issued, a lease of the given life
// is renewed: a third of its life, moved by up to LeaseJitter of that
// third either way, r (in [0, 1)) choosing where.
func RenewDelay(life time.Duration, r float64) time.Duration {
	third := float64(life) / 3
	return time.Duration(third * (1 - LeaseJitter + 2*LeaseJitter*r))
}

// retryDelay returns how long to wait before trying again after err,
// for a lease of the given life (0 when there is none).
func retryDelay(err error, life time.Duration) time.Duration {
	var se *SeatError
	if errors.As(err, &se) && se.RetryAfter > 0 {
		return se.RetryAfter
	}
	d := life / 30
	return min(max(d, time.Second), 30*time.Second)
}

// leaser keeps a lease from the site's lease server for a License: it
// acquires one, renews it in the background, acquires anew when the server
// has forgotten it, and keeps the last one until its signed expiry while
// the server cannot be reached.
type leaser struct {
	l      *License
	client *SeatClient
	fp     string
	fpErr  error
	path   string
	tick   time.Duration
	jitter func() float64

	ctx    context.Context // cancelled by close: ends requests in flight
	cancel context.CancelFunc
	stop   chan struct{}
	done   chan struct{}

	mu       sync.Mutex
	raw      []byte // the current lease, text form; nil when none
	id       string // its lease id
	iat, exp time.Time
	err      error     // why the last attempt failed, nil if it did not
	next     time.Time // when to renew or try again
	closed   bool
}

// newLeaser sets up the lease for l, reads the saved lease, if any, and
// makes the first attempt (synchronously) before the loop starts.
func newLeaser(l *License) *leaser {
	s := l.s
	hc := s.cfg.LeaseHTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: leaseRequestLimit}
	}
	ls := &leaser{
		l:      l,
		client: &SeatClient{Server: s.cfg.LeaseServer, HTTPClient: hc},
		path:   s.cfg.LeasePath,
		tick:   s.cfg.leaseTick,
		jitter: rand.Float64,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	if ls.tick <= 0 {
		ls.tick = leaseDefaultTick
	}
	ls.ctx, ls.cancel = context.WithCancel(context.Background())
	if fp, ok := s.binding[machine.BindingKey]; ok {
		ls.fp = fp
	} else {
		ls.fpErr = fmt.Errorf("sdk: no machine fingerprint to bind a lease to: %v", s.fpErr)
	}
	if ls.path != "" {
		ls.readSaved()
	}
	return ls
}

// start makes the first attempt and starts the loop.
func (ls *leaser) start() {
	ls.attempt()
	go ls.loop()
}

// readSaved takes the lease saved at LeasePath, if it is still in its
// signed life: it is renewed (or, the server being unreachable, used until
// it expires). Whether it verifies is decided like for any license.
func (ls *leaser) readSaved() {
	data, _, err := readFile(ls.path, maxFileSize)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			ls.err = fmt.Errorf("sdk: saved lease %s: %w", ls.path, err)
		}
		return
	}
	id, iat, exp, err := leaseTimes(data)
	if err != nil {
		ls.err = fmt.Errorf("sdk: saved lease %s: %w", ls.path, err)
		return
	}
	if ls.l.s.clock().Before(exp) {
		ls.raw, ls.id, ls.iat, ls.exp = data, id, iat, exp
	}
}

// leaseTimes reads the lease id and life of a lease, without verifying
// it (for scheduling only: verification decides whether it counts).
func leaseTimes(data []byte) (id string, iat, exp time.Time, err error) {
	m, _, err := token.Decode(data)
	if err != nil {
		return "", time.Time{}, time.Time{}, err
	}
	c, err := token.DecodeLicense(m.Payload)
	if err != nil {
		return "", time.Time{}, time.Time{}, err
	}
	if len(c.ID) != token.IDSize || c.Expiry.IsZero() || !c.Expiry.After(c.IssuedAt) {
		return "", time.Time{}, time.Time{}, errors.New("not a lease: it needs a 16-byte id and an expiry after its issue time")
	}
	return hex.EncodeToString(c.ID), c.IssuedAt, c.Expiry, nil
}

// loop renews the lease when due, until close. It wakes at least every
// tick to look at the clock (which may be set, or jump after a suspend).
func (ls *leaser) loop() {
	defer close(ls.done)
	for {
		ls.mu.Lock()
		wait := ls.next.Sub(ls.l.s.clock())
		ls.mu.Unlock()
		if wait > 0 {
			t := time.NewTimer(min(wait, ls.tick))
			select {
			case <-ls.stop:
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		select {
		case <-ls.stop:
			return
		default:
		}
		ls.attempt()
	}
}

// attempt renews the lease held, or acquires one, then brings the License
// up to date.
func (ls *leaser) attempt() {
	now := ls.l.s.clock()
	ls.mu.Lock()
	raw, id, life := ls.raw, ls.id, ls.exp.Sub(ls.iat)
	if raw != nil && !now.Before(ls.exp) {
		raw, ls.raw = nil, nil // expired: a new lease is needed
	}
	ls.mu.Unlock()
	if ls.fpErr != nil {
		ls.failed(ls.fpErr, now, 0, false)
		return
	}
	ctx, cancel := context.WithTimeout(ls.ctx, leaseRequestLimit)
	defer cancel()
	var (
		lease *Lease
		err   error
		gone  bool
	)
	if raw != nil {
		lease, err = ls.client.Renew(ctx, id, ls.fp, string(raw))
		var se *SeatError
		if errors.As(err, &se) && (se.Code == CodeLeaseGone || se.Code == CodeWrongMachine) {
			// The server no longer counts this lease: stop using it,
			// and ask for a new one.
			gone = true
			lease, err = ls.client.Acquire(ctx, ls.request())
		}
	} else {
		lease, err = ls.client.Acquire(ctx, ls.request())
	}
	now = ls.l.s.clock()
	if err != nil {
		ls.failed(err, now, life, gone)
		return
	}
	data := []byte(lease.Token)
	lid, iat, exp, err := leaseTimes(data)
	switch {
	case err != nil:
		err = fmt.Errorf("sdk: lease server %s: the lease it sent: %w", ls.client.Server, err)
	case lid != lease.ID:
		err = fmt.Errorf("sdk: lease server %s: the lease it sent has id %s, not %s", ls.client.Server, lid, lease.ID)
	}
	if err != nil {
		ls.failed(err, now, life, gone)
		return
	}
	ls.mu.Lock()
	if ls.closed {
		ls.mu.Unlock()
		return
	}
	ls.raw, ls.id, ls.iat, ls.exp, ls.err = data, lid, iat, exp, nil
	ls.next = now.Add(RenewDelay(exp.Sub(iat), ls.jitter()))
	ls.mu.Unlock()
	if ls.path != "" {
		if err := writeFileAtomic(ls.path, append(data, '\n'), 0o600); err != nil {
			ls.mu.Lock()
			ls.err = fmt.Errorf("sdk: saving the lease: %w", err)
			ls.mu.Unlock()
		}
	}
	ls.l.refresh()
}

// failed records a failed attempt and when to try again; gone drops the
// lease held.
func (ls *leaser) failed(err error, now time.Time, life time.Duration, gone bool) {
	ls.mu.Lock()
	if ls.closed {
		ls.mu.Unlock()
		return
	}
	ls.err = err
	if gone {
		ls.raw, ls.id = nil, ""
		if ls.path != "" {
			os.Remove(ls.path)
		}
	}
	ls.next = now.Add(retryDelay(err, life))
	ls.mu.Unlock()
	ls.l.refresh()
}

func (ls *leaser) request() LeaseRequest {
	return LeaseRequest{Product: ls.l.s.cfg.Product, Fingerprint: ls.fp, Client: ls.l.s.cfg.LeaseClient}
}

// input is the lease as a license candidate: the lease held, or why there
// is none.
func (ls *leaser) input() input {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	c := Candidate{Kind: KindLease, Where: "lease from " + ls.client.Server}
	if ls.raw == nil {
		switch {
		case ls.closed:
			c.Err = errReleased
		case ls.err != nil:
			c.Err = ls.err
		default:
			c.Err = &notFoundError{msg: "no lease yet"}
		}
		return input{c: c}
	}
	return input{c: c, data: ls.raw, sig: fileSig{exists: true, size: int64(len(ls.raw)), sum: sha256.Sum256(ls.raw)}}
}

// holds reports whether raw is the lease held now.
func (ls *leaser) holds(raw []byte) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.raw != nil && string(ls.raw) == string(raw)
}

// problem returns the error of the last attempt, if it failed.
func (ls *leaser) problem() error {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.raw == nil {
		return nil // the candidate reports it
	}
	return ls.err
}

// close stops the loop, forgets the lease, removes the saved copy and
// releases the lease on the server.
func (ls *leaser) close(ctx context.Context) error {
	ls.mu.Lock()
	if ls.closed {
		ls.mu.Unlock()
		return nil
	}
	ls.closed = true
	ls.mu.Unlock()
	ls.cancel()
	close(ls.stop)
	<-ls.done
	ls.mu.Lock()
	raw, id := ls.raw, ls.id
	ls.raw, ls.id, ls.err = nil, "", nil
	ls.mu.Unlock()
	var errs []error
	if ls.path != "" {
		if err := os.Remove(ls.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("sdk: removing the saved lease: %w", err))
		}
	}
	ls.l.refresh()
	if raw != nil && ls.fpErr == nil {
		if err := ls.client.Release(ctx, id, ls.fp); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close releases the lease of a License loaded with Config.LeaseServer and
// stops renewing it: from then on the License allows nothing (unless
// another place holds a license). A release the server does not get (it is
// unreachable, ctx ends) is returned as an error; the seat then comes back
// when the lease expires. Close does nothing for a License without a lease
// server, and nothing the second time.
func (l *License) Close(ctx context.Context) error {
	if l == nil || l.lease == nil {
		return nil
	}
	return l.lease.close(ctx)
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, synced and renamed over path, with mode perm.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
)

// DefaultWindows are the license.expiring windows: 30, 7 and 1 days.
var DefaultWindows = []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour}

// Dispatcher delivers the ledger's events to their subscriptions (see
// the package documentation). Zero fields take the defaults named.
type Dispatcher struct {
	Ledger *ledger.Ledger
	// Client posts the requests; nil is a client with a 15 s timeout
	// that refuses loopback, link-local, unspecified and multicast
	// addresses (see AllowLoopbackInsecure) and follows no redirect.
	Client *http.Client
	// LookupEnv resolves env: secret references; nil is os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// MaxAttempts is the attempts before a delivery is parked (8).
	MaxAttempts int
	// Backoff is the wait after the first failure (10 s); each further
	// failure doubles it, up to MaxBackoff (1 h), and jitter takes up to
	// half of it off.
	Backoff, MaxBackoff time.Duration
	// Lease is how long a claimed delivery is the dispatcher's (1 min).
	Lease time.Duration
	// Poll is the wait between two rounds when there is nothing to do
	// (1 s).
	Poll time.Duration
	// Batch is the deliveries claimed, and posted at once, per round (16).
	Batch int
	// Windows are the license.expiring windows (DefaultWindows), checked
	// every ExpiringEvery (1 h): each (license, window) is announced once.
	Windows       []time.Duration
	ExpiringEvery time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
	// Log receives a line per failed attempt and parked delivery (nil:
	// slog.Default()).
	Log *slog.Logger
	// AllowLoopbackInsecure lets the default client connect to loopback,
	// link-local (cloud metadata), unspecified and multicast addresses:
	// for tests only.
	AllowLoopbackInsecure bool

	once         sync.Once
	client       *http.Client
	lastExpiring time.Time
}

func (d *Dispatcher) init() {
	d.once.Do(func() {
		def := func(p *time.Duration, v time.Duration) {
			if *p <= 0 {
				*p = v
			}
		}
		def(&d.Backoff, 10*time.Second)
		def(&d.MaxBackoff, time.Hour)
		def(&d.Lease, time.Minute)
		def(&d.Poll, time.Second)
		def(&d.ExpiringEvery, time.Hour)
		if d.MaxAttempts <= 0 {
			d.MaxAttempts = 8
		}
		if d.Batch <= 0 {
			d.Batch = 16
		}
		if d.Windows == nil {
			d.Windows = DefaultWindows
		}
		if d.Now == nil {
			d.Now = time.Now
		}
		if d.Log == nil {
			d.Log = slog.Default()
		}
		d.client = d.Client
		if d.client == nil {
			d.client = newClient(d.AllowLoopbackInsecure)
		}
	})
}

// newClient returns the default client: no redirects, a timeout, and
// (unless allowLocal) no connection to a loopback, link-local,
// unspecified or multicast address, checked on the address dialled, so a
// name that resolves to 127.0.0.1 is refused too. Private networks are
// allowed: a CRM may run on one.
func newClient(allowLocal bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		if allowLocal {
			return nil
		}
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip := net.ParseIP(host)
		if ip == nil || ip.IsLoopback() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
			return fmt.Errorf("webhook: refusing to connect to %s: a loopback, link-local, unspecified or multicast address", host)
		}
		return nil
	}}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = dialer.DialContext
	tr.Proxy = nil
	return &http.Client{
		Transport:     tr,
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Run delivers events until ctx is done, then drains: the requests under
// way finish (each within the client's timeout), the deliveries claimed
// and not started are given back, and Run returns nil. An error of the
// ledger is logged and tried again next round.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.init()
	for {
		n, err := d.Round(ctx)
		if err != nil && ctx.Err() == nil {
			d.Log.Error("webhook: delivering events", "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if n > 0 && err == nil {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(d.Poll):
		}
	}
}

// Round runs one round (never two at once, nor beside Run): license.expiring events when due, the fan-out of
// new events, then one batch of due deliveries posted in parallel. It
// returns the number of deliveries attempted. When ctx ends during the
// round, the posts under way finish and the others are given back.
func (d *Dispatcher) Round(ctx context.Context) (int, error) {
	d.init()
	now := d.Now()
	if now.Sub(d.lastExpiring) >= d.ExpiringEvery {
		if _, err := expiringEvents(ctx, d.Ledger, now, d.Windows); err != nil {
			return 0, err
		}
		d.lastExpiring = now
	}
	for {
		n, err := d.Ledger.Outbox().FanOut(ctx, now, 100)
		if err != nil {
			return 0, err
		}
		if n < 100 {
			break
		}
	}
	ds, err := d.Ledger.Outbox().ClaimDeliveries(ctx, now, d.Lease, d.Batch)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	// The posts and their results outlive ctx: a shutdown waits for them.
	bg := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var released []*outbox.Delivery
	var firstErr error
	attempted := 0
	for _, del := range ds {
		if ctx.Err() != nil {
			released = append(released, del)
			continue
		}
		attempted++
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.deliver(bg, del); err != nil {
				mu.Lock()
				firstErr = cmp(firstErr, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(released) > 0 {
		if err := d.Ledger.Outbox().ReleaseDeliveries(bg, released); err != nil {
			firstErr = cmp(firstErr, err)
		}
	}
	return attempted, firstErr
}

func cmp(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// deliver posts one delivery and records the outcome.
func (d *Dispatcher) deliver(ctx context.Context, del *outbox.Delivery) error {
	status, err := d.post(ctx, del)
	at := d.Now()
	if err == nil {
		err := d.Ledger.Outbox().DeliveryDone(ctx, del, at, status)
		if errors.Is(err, outbox.ErrLeaseLost) {
			return nil // delivered twice: at least once
		}
		return err
	}
	park := del.Attempts+1 >= d.MaxAttempts || del.Subscription == nil
	next := at.Add(d.backoff(del.Attempts + 1))
	if park {
		d.Log.Warn("webhook: delivery parked", "event", del.Event.ID, "type", del.Event.Type, "subscription", del.SubscriptionID, "attempts", del.Attempts+1, "err", err)
	} else {
		d.Log.Info("webhook: delivery failed", "event", del.Event.ID, "subscription", del.SubscriptionID, "attempt", del.Attempts+1, "next", next, "err", err)
	}
	ferr := d.Ledger.Outbox().DeliveryFailed(ctx, del, at, status, truncate(err.Error(), 500), next, park)
	if errors.Is(ferr, outbox.ErrLeaseLost) {
		return nil
	}
	return ferr
}

// backoff is the wait after the n-th failed attempt: Backoff doubled
// n-1 times, capped at MaxBackoff, less up to half of it at random.
func (d *Dispatcher) backoff(n int) time.Duration {
	b := d.Backoff
	for i := 1; i < n && b < d.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.MaxBackoff)
	return b - time.Duration(rand.Int64N(int64(b)/2+1))
}

// post sends a delivery signed; a 2xx answer is success, with its status.
func (d *Dispatcher) post(ctx context.Context, del *outbox.Delivery) (int, error) {
	s := del.Subscription
	if s == nil {
		return 0, errors.New("the subscription was deleted")
	}
	if err := CheckURL(s.URL); err != nil {
		return 0, err
	}
	secret := s.Secret
	if s.SecretRef != "" {
		var err error
		if secret, err = ResolveSecret(s.SecretRef, d.LookupEnv); err != nil {
			return 0, err
		}
	}
	ts := d.Now()
	sig, err := Sign(secret, del.Event.ID, ts, del.Event.Payload)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(del.Event.Payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "licet-webhooks")
	req.Header.Set(HeaderID, del.Event.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("the endpoint answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

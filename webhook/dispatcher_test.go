package webhook_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/token"
	"github.com/licet/licet/webhook"
)

type backend struct {
	name string
	open func(t testing.TB) string
}

func backends() []backend {
	return []backend{
		{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "licet.db") }},
		{"postgres", func(t testing.TB) string { return pgtest.Location(t, "licet_webhook_test") }},
	}
}

func openLedger(t testing.TB, location string) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open(context.Background(), location)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// newIssuer returns an Issuer of a new key on l, writing nowhere.
func newIssuer(t testing.TB, l *ledger.Ledger) *issue.Issuer {
	t.Helper()
	k, err := keys.Generate(rand.Reader, "acme")
	if err != nil {
		t.Fatal(err)
	}
	return &issue.Issuer{Name: k.Issuer, PublicKey: k.Public().Key, Ledger: l,
		Unlock: func() (crypto.Signer, error) { return k.Signer(), nil },
		Write:  func(string, []byte, bool) error { return nil }}
}

func mint(t testing.TB, is *issue.Issuer, sub string, days int) *ledger.Entry {
	t.Helper()
	r, err := is.License(context.Background(), &issue.LicenseRequest{
		License: &token.License{Subject: sub, Audience: []string{"acme-db"}, Tier: "pro", Expiry: time.Now().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second)},
		Out:     issue.Out{Encode: func(e *ledger.Entry) ([]byte, error) { return e.Raw, nil }},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r.Entry
}

// receiver is a webhook endpoint on 127.0.0.1 that verifies signatures
// and counts deliveries by webhook-id.
type receiver struct {
	t      testing.TB
	secret string
	srv    *httptest.Server

	mu       sync.Mutex
	fail     bool
	block    chan struct{} // when set, requests wait for it
	got      map[string]int
	attempts map[string][]time.Time
	types    map[string]string
	arrived  chan string
	now      func() time.Time // the receiver's clock; nil: time.Now
}

// quiet discards the dispatcher's logs.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newReceiver(t testing.TB, secret string) *receiver {
	r := &receiver{t: t, secret: secret, got: map[string]int{}, attempts: map[string][]time.Time{}, types: map[string]string{}, arrived: make(chan string, 1000)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	now := time.Now()
	if r.now != nil {
		now = r.now()
	}
	id, err := webhook.Verify(r.secret, req.Header, body, now)
	if err != nil {
		r.t.Errorf("receiver: %v", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var p struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Type == "" || len(p.Data) == 0 {
		r.t.Errorf("receiver: body %s: %v", body, err)
	}
	r.mu.Lock()
	r.attempts[id] = append(r.attempts[id], time.Now())
	r.types[id] = p.Type
	fail, block := r.fail, r.block
	r.mu.Unlock()
	r.arrived <- id
	if block != nil {
		<-block
	}
	if fail {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	r.mu.Lock()
	r.got[id]++
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) delivered() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.got {
		out[k] = v
	}
	return out
}

// run starts d until the test ends (or stop is called).
func run(t testing.TB, d *webhook.Dispatcher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func eventIDs(t testing.TB, l *ledger.Ledger, types ...string) []string {
	t.Helper()
	evs, err := l.Outbox().Events(context.Background(), outbox.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		if len(types) == 0 || slices.Contains(types, ev.Type) {
			out = append(out, ev.ID)
		}
	}
	return out
}

// TestDeliversSigned: every event reaches every subscription that wants
// it (from licet.toml with an env: secret, and one made through the API),
// signed so that the receiver verifies it.
func TestDeliversSigned(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			l := openLedger(t, b.open(t))
			cfgSecret := webhook.NewSecret()
			crm := newReceiver(t, cfgSecret)
			env := func(name string) (string, bool) { return cfgSecret, name == "CRM_SECRET" }
			if err := webhook.ConfigSubscriptions(ctx, l, []*policy.Webhook{{Name: "crm", URL: crm.srv.URL + "/hook", Secret: "env:CRM_SECRET"}}, env); err != nil {
				t.Fatal(err)
			}
			sub, err := webhook.Subscribe(ctx, l, "http://placeholder/", []string{"license.revoked"})
			if err != nil {
				t.Fatal(err)
			}
			ops := newReceiver(t, sub.Secret)
			// The API subscription's URL, now that the receiver listens.
			if err := l.Outbox().DeleteSubscription(ctx, sub.ID); err != nil {
				t.Fatal(err)
			}
			sub.URL = ops.srv.URL
			if err := l.Outbox().AddSubscription(ctx, sub); err != nil {
				t.Fatal(err)
			}

			is := newIssuer(t, l)
			var lics []*ledger.Entry
			for i := range 5 {
				lics = append(lics, mint(t, is, fmt.Sprintf("c%d", i), 365))
			}
			id := func(e *ledger.Entry) []byte { b, _ := token.ParseUnverified(e.Raw); return b.License.ID }
			if _, err := is.Revoke(ctx, &issue.RevokeRequest{Revoke: []issue.ListEntry{{ID: id(lics[0])}}, NextUpdate: time.Now().Add(24 * time.Hour),
				Out: issue.Out{Encode: func(e *ledger.Entry) ([]byte, error) { return e.Raw, nil }}}); err != nil {
				t.Fatal(err)
			}
			d := &webhook.Dispatcher{Ledger: l, Poll: 5 * time.Millisecond, LookupEnv: env, Log: quiet, AllowLoopbackInsecure: true}
			run(t, d)
			all := eventIDs(t, l)
			if len(all) != 6 {
				t.Fatalf("%d events, want 6", len(all))
			}
			revoked := eventIDs(t, l, outbox.EventLicenseRevoked)
			waitFor(t, "every delivery", func() bool { return len(crm.delivered()) == 6 && len(ops.delivered()) == 1 })
			for _, id := range all {
				if crm.delivered()[id] < 1 {
					t.Errorf("event %s not delivered to crm", id)
				}
			}
			if ops.delivered()[revoked[0]] != 1 {
				t.Errorf("ops got %v, want the license.revoked event %s", ops.delivered(), revoked[0])
			}
			waitFor(t, "7 deliveries recorded delivered", func() bool {
				done, _ := l.Outbox().Deliveries(ctx, outbox.DeliveryFilter{State: outbox.DeliveryDelivered})
				return len(done) == 7
			})
			if pending, _ := l.Outbox().Deliveries(ctx, outbox.DeliveryFilter{State: outbox.DeliveryPending}); len(pending) != 0 {
				t.Fatalf("%d pending after all were delivered", len(pending))
			}
		})
	}
}

// TestFailingReceiverBacksOffThenParks: a receiver that fails gets
// MaxAttempts attempts, further and further apart, then the delivery is
// parked; a retry delivers it (the same webhook-id) once the receiver is
// back.
func TestFailingReceiverBacksOffThenParks(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			l := openLedger(t, b.open(t))
			secret := webhook.NewSecret()
			rc := newReceiver(t, secret)
			rc.fail = true
			if err := webhook.ConfigSubscriptions(ctx, l, []*policy.Webhook{{Name: "crm", URL: rc.srv.URL, Secret: "env:S"}},
				func(string) (string, bool) { return secret, true }); err != nil {
				t.Fatal(err)
			}
			d := &webhook.Dispatcher{Ledger: l, Poll: 5 * time.Millisecond, Backoff: 200 * time.Millisecond, MaxAttempts: 4,
				LookupEnv: func(string) (string, bool) { return secret, true }, Log: quiet, AllowLoopbackInsecure: true}
			run(t, d)
			e := mint(t, newIssuer(t, l), "c1", 365)
			waitFor(t, "the delivery parked", func() bool {
				ds, _ := l.Outbox().Deliveries(ctx, outbox.DeliveryFilter{State: outbox.DeliveryParked})
				return len(ds) == 1
			})
			ids := eventIDs(t, l)
			rc.mu.Lock()
			at := slices.Clone(rc.attempts[ids[0]])
			rc.mu.Unlock()
			if len(at) != 4 {
				t.Fatalf("%d attempts, want 4", len(at))
			}
			gap1, gap3 := at[1].Sub(at[0]), at[3].Sub(at[2])
			if gap1 < 100*time.Millisecond || gap3 <= gap1 {
				t.Fatalf("gaps between attempts %v then %v: want at least half the backoff, growing", gap1, gap3)
			}
			parked, _ := l.Outbox().Deliveries(ctx, outbox.DeliveryFilter{State: outbox.DeliveryParked})
			if p := parked[0]; p.Attempts != 4 || p.LastStatus != http.StatusServiceUnavailable || !strings.Contains(p.LastError, "503") || p.Event.Subject != e.ID {
				t.Fatalf("parked %+v", p)
			}
			time.Sleep(100 * time.Millisecond)
			if n := len(rc.attempts[ids[0]]); n != 4 {
				t.Fatalf("a parked delivery was attempted again: %d attempts", n)
			}
			rc.mu.Lock()
			rc.fail = false
			rc.mu.Unlock()
			if n, err := l.Outbox().RetryDeliveries(ctx, time.Now(), ids[0], ""); err != nil || n != 1 {
				t.Fatalf("retry: %d, %v", n, err)
			}
			waitFor(t, "the retried delivery", func() bool { return rc.delivered()[ids[0]] == 1 })
		})
	}
}

// TestLoopbackRefused: without AllowLoopbackInsecure the dispatcher does
// not connect to a loopback address, even under a name.
func TestLoopbackRefused(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, filepath.Join(t.TempDir(), "licet.db"))
	secret := webhook.NewSecret()
	rc := newReceiver(t, secret)
	url := strings.Replace(rc.srv.URL, "127.0.0.1", "localhost", 1)
	if err := webhook.ConfigSubscriptions(ctx, l, []*policy.Webhook{{Name: "crm", URL: url, Secret: "env:S"}},
		func(string) (string, bool) { return secret, true }); err != nil {
		t.Fatal(err)
	}
	mint(t, newIssuer(t, l), "c1", 365)
	d := &webhook.Dispatcher{Ledger: l, MaxAttempts: 1, LookupEnv: func(string) (string, bool) { return secret, true }, Log: quiet}
	if _, err := d.Round(ctx); err != nil {
		t.Fatal(err)
	}
	parked, _ := l.Outbox().Deliveries(ctx, outbox.DeliveryFilter{State: outbox.DeliveryParked})
	if len(parked) != 1 || !strings.Contains(parked[0].LastError, "a loopback, link-local") {
		t.Fatalf("parked %+v", parked)
	}
	if len(rc.delivered()) != 0 {
		t.Fatal("delivered to loopback")
	}
}

// TestDrainOnShutdown: a request under way when Run's context ends
// finishes and is recorded delivered before Run returns.
func TestDrainOnShutdown(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, filepath.Join(t.TempDir(), "licet.db"))
	secret := webhook.NewSecret()
	rc := newReceiver(t, secret)
	rc.block = make(chan struct{})
	if err := webhook.ConfigSubscriptions(ctx, l, []*policy.Webhook{{Name: "crm", URL: rc.srv.URL, Secret: "env:S"}},
		func(string) (string, bool) { return secret, true }); err != nil {
		t.Fatal(err)
	}
	mint(t, newIssuer(t, l), "c1", 365)
	d := &webhook.Dispatcher{Ledger: l, Poll: 5 * time.Millisecond, LookupEnv: func(string) (string, bool) { return secret, true }, Log: quiet, AllowLoopbackInsecure: true}
	stop := run(t, d)
	<-rc.arrived
	go func() { time.Sleep(100 * time.Millisecond); close(rc.block) }()
	stop()
	done, _ := l.Outbox().Deliveries(ctx, outbox.DeliveryFilter{State: outbox.DeliveryDelivered})
	if len(done) != 1 || len(rc.delivered()) != 1 {
		t.Fatalf("after shutdown: %d delivered in the ledger, %d received", len(done), len(rc.delivered()))
	}
}

// TestExpiringDelivered: the dispatcher announces licenses entering their
// windows, once per window however many rounds run.
func TestExpiringDelivered(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, filepath.Join(t.TempDir(), "licet.db"))
	secret := webhook.NewSecret()
	rc := newReceiver(t, secret)
	if err := webhook.ConfigSubscriptions(ctx, l, []*policy.Webhook{{Name: "crm", URL: rc.srv.URL, Events: []string{"license.expiring"}, Secret: "env:S"}},
		func(string) (string, bool) { return secret, true }); err != nil {
		t.Fatal(err)
	}
	is := newIssuer(t, l)
	mint(t, is, "soon", 5)
	mint(t, is, "later", 300)
	var now atomic.Int64 // the clock of the dispatcher and the receiver
	now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	rc.now = clock
	d := &webhook.Dispatcher{Ledger: l, ExpiringEvery: time.Nanosecond, Now: clock,
		LookupEnv: func(string) (string, bool) { return secret, true }, Log: quiet, AllowLoopbackInsecure: true}
	for range 3 {
		if _, err := d.Round(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := rc.delivered(); len(got) != 1 {
		t.Fatalf("delivered %v, want one license.expiring", got)
	}
	now.Add(int64(4*24*time.Hour + time.Hour)) // "soon" enters its 1-day window
	for range 3 {
		if _, err := d.Round(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := rc.delivered()
	if len(got) != 2 {
		t.Fatalf("delivered %v, want two license.expiring (7 and 1 days)", got)
	}
	for id, n := range got {
		if n != 1 || rc.types[id] != outbox.EventLicenseExpiring {
			t.Fatalf("event %s (%s) delivered %d times", id, rc.types[id], n)
		}
	}
}

// TestSeveralDispatchers: dispatchers on one PostgreSQL (each with its own
// connections, as separate servers) deliver every event, each claiming
// other deliveries.
func TestSeveralDispatchers(t *testing.T) {
	ctx := context.Background()
	loc := pgtest.Location(t, "licet_webhook_test")
	l := openLedger(t, loc)
	secret := webhook.NewSecret()
	rc := newReceiver(t, secret)
	if err := webhook.ConfigSubscriptions(ctx, l, []*policy.Webhook{{Name: "crm", URL: rc.srv.URL, Secret: "env:S"}},
		func(string) (string, bool) { return secret, true }); err != nil {
		t.Fatal(err)
	}
	is := newIssuer(t, l)
	for i := range 40 {
		mint(t, is, fmt.Sprintf("c%d", i), 365)
	}
	for range 3 {
		run(t, &webhook.Dispatcher{Ledger: openLedger(t, loc), Poll: 5 * time.Millisecond, Batch: 4,
			LookupEnv: func(string) (string, bool) { return secret, true }, Log: quiet, AllowLoopbackInsecure: true})
	}
	waitFor(t, "40 events delivered", func() bool { return len(rc.delivered()) == 40 })
	total := 0
	for _, n := range rc.delivered() {
		total += n
	}
	if total != 40 {
		t.Fatalf("%d deliveries of 40 events: a delivery was claimed twice", total)
	}
}

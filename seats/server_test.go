package seats

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/machine"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// fixture is a vendor, a site key, a site grant, a clock and a state
// directory.
type fixture struct {
	vendor ed25519.PrivateKey
	site   ed25519.PrivateKey
	g      *token.Grant
	grant  []byte
	clock  *fakeClock
	dir    string
}

const fp1, fp2, fp3 = "aa01aa01aa01aa01", "bb02bb02bb02bb02", "cc03cc03cc03cc03"

func newFixture(t testing.TB, site token.Site) *fixture {
	t.Helper()
	f := &fixture{
		vendor: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)),
		site:   ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32)),
		clock:  &fakeClock{t: t0},
		dir:    filepath.Join(t.TempDir(), "state"),
	}
	maxLife, maxGrace := site.MaxLease(), time.Duration(0)
	f.g = &token.Grant{Issuer: "acme", Subject: "site-hq", Audience: []string{"widget", "gadget"},
		IssuedAt: t0.Add(-time.Hour), Expiry: t0.Add(365 * 24 * time.Hour), ID: bytes.Repeat([]byte{7}, 16),
		Key: f.site.Public().(ed25519.PublicKey), Tiers: []string{"pro"}, Scopes: []string{"export:*"},
		Limits: map[string]uint64{"users": 5}, MaxLife: &maxLife, MaxGrace: &maxGrace, Site: &site}
	raw, err := token.SignGrant(f.vendor, f.g)
	if err != nil {
		t.Fatal(err)
	}
	f.grant = raw
	return f
}

func (f *fixture) config() Config {
	return Config{Dir: f.dir, Key: f.site, Grant: f.grant, Clock: f.clock.Now}
}

func (f *fixture) open(t testing.TB) *Server {
	t.Helper()
	s, err := Open(f.config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// verifyLease checks a lease the way a product does, offline, with the
// vendor's key alone.
func (f *fixture) verifyLease(t testing.TB, text, product, fp string) *verify.License {
	t.Helper()
	keys, err := verify.NewKeySet(verify.Key{PublicKey: f.vendor.Public().(ed25519.PublicKey), Issuer: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(keys, verify.WithClock(f.clock.Now), verify.WithProduct(product),
		verify.WithBinding(map[string]string{machine.BindingKey: fp}))
	if err != nil {
		t.Fatal(err)
	}
	l, err := v.Verify([]byte(text))
	if err != nil {
		t.Fatalf("the lease does not verify: %v", err)
	}
	return l
}

var site25 = token.Site{Seats: 3, Lease: time.Hour, Borrow: 7 * 24 * time.Hour, Borrows: 2}

func acquire(t testing.TB, s *Server, fp string) *Lease {
	t.Helper()
	l, err := s.Acquire(context.Background(), Request{Product: "widget", Fingerprint: fp, Client: "host-" + fp[:4]})
	if err != nil {
		t.Fatalf("acquire for %s: %v", fp, err)
	}
	return l
}

func wantCode(t testing.TB, err error, code string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	return e
}

func TestAcquireSignsAVerifiableLease(t *testing.T) {
	f := newFixture(t, site25)
	s := f.open(t)
	l := acquire(t, s, fp1)
	if len(l.ID) != 32 || l.Borrowed || l.Seats != (Seats{Total: 3, InUse: 1}) {
		t.Fatalf("lease %+v", l)
	}
	if !l.Expires.Equal(t0.Add(time.Hour)) || !l.RenewAfter.Equal(t0.Add(20*time.Minute)) {
		t.Fatalf("expires %v, renew after %v", l.Expires, l.RenewAfter)
	}
	v := f.verifyLease(t, l.Token, "widget", fp1)
	c := v.Claims
	if hex.EncodeToString(c.ID) != l.ID || c.Issuer != "site-hq" || c.Subject != "site-hq" || c.Tier != "pro" ||
		c.Limits["users"] != 5 || c.Expiry.Sub(c.IssuedAt) != time.Hour || c.Meta[MetaSiteSeq] != "1" || c.Meta[MetaLease] != "" {
		t.Fatalf("claims %+v", c)
	}
	// Another machine, another product: refused by the verifier.
	keys, _ := verify.NewKeySet(verify.Key{PublicKey: f.vendor.Public().(ed25519.PublicKey)})
	other, _ := verify.New(keys, verify.WithClock(f.clock.Now), verify.WithProduct("widget"), verify.WithBinding(map[string]string{machine.BindingKey: fp2}))
	if _, err := other.Verify([]byte(l.Token)); err == nil {
		t.Fatal("a lease verified on another machine")
	}
	b, err := s.Acquire(context.Background(), Request{Product: "gadget", Fingerprint: fp2, Borrow: 3 * 24 * 3600})
	if err != nil {
		t.Fatal(err)
	}
	bv := f.verifyLease(t, b.Token, "gadget", fp2)
	if !b.Borrowed || bv.Claims.Meta[MetaLease] != "borrow" || bv.Claims.Expiry.Sub(bv.Claims.IssuedAt) != 72*time.Hour || b.Seats.Borrowed != 1 {
		t.Fatalf("borrowed lease %+v, claims %+v", b, bv.Claims)
	}
	// A product outside the grant.
	_, err = s.Acquire(context.Background(), Request{Product: "other", Fingerprint: fp3})
	wantCode(t, err, CodeWrongProduct)
}

func TestRequestChecks(t *testing.T) {
	f := newFixture(t, site25)
	s := f.open(t)
	ctx := context.Background()
	for _, req := range []Request{
		{Product: "widget"},
		{Product: "widget", Fingerprint: "not hex!"},
		{Product: "widget", Fingerprint: "abc"},
		{Product: "widget", Fingerprint: fp1, Client: "a\x1b[31m"},
		{Product: "widget", Fingerprint: fp1, Wait: -1},
		{Product: "", Fingerprint: fp1},
	} {
		_, err := s.Acquire(ctx, req)
		if CodeOf(err) != CodeBadRequest && CodeOf(err) != CodeWrongProduct {
			t.Errorf("%+v: %v", req, err)
		}
	}
	_, err := s.Renew(ctx, "XYZ", RenewRequest{Fingerprint: fp1})
	wantCode(t, err, CodeBadRequest)
	_, err = s.Renew(ctx, strings.Repeat("a", 32), RenewRequest{Fingerprint: fp1, Token: "garbage"})
	wantCode(t, err, CodeBadToken)
}

// TestNeverMoreThanN: borrowed seats count; the N+1th request is refused
// with when to retry, the borrow cap holds, and the refusals are logged.
func TestNeverMoreThanN(t *testing.T) {
	f := newFixture(t, site25)
	s := f.open(t)
	ctx := context.Background()
	if _, err := s.Acquire(ctx, Request{Product: "widget", Fingerprint: fp1, Borrow: 3600 * 24}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(10 * time.Minute)
	acquire(t, s, fp2)
	f.clock.Add(10 * time.Minute)
	acquire(t, s, fp3)
	_, err := s.Acquire(ctx, Request{Product: "widget", Fingerprint: "dd04dd04"})
	e := wantCode(t, err, CodeSeatsFull)
	if e.Status != 429 || e.RetryAfter != 50*time.Minute {
		t.Fatalf("refusal %+v: the next seat frees in 50 min", e)
	}
	if st := s.Status(); st.Seats != (Seats{Total: 3, InUse: 3, Borrowed: 1}) {
		t.Fatalf("status %+v", st)
	}
	// Release one: borrowing is then capped by borrows, not seats.
	release := func(fp string) {
		for _, o := range s.Leases() {
			if o.Fingerprint == fp {
				if err := s.Release(ctx, o.ID, ReleaseRequest{Fingerprint: fp}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	release(fp2)
	if _, err := s.Acquire(ctx, Request{Product: "widget", Fingerprint: "dd04dd04", Borrow: 60}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Acquire(ctx, Request{Product: "widget", Fingerprint: "ee05ee05", Borrow: 60})
	wantCode(t, err, CodeBorrowsFull)
	release(fp3)
	if st := s.Status(); st.Seats != (Seats{Total: 3, InUse: 2, Borrowed: 2}) {
		t.Fatalf("status %+v", st)
	}
	_, err = s.Acquire(ctx, Request{Product: "widget", Fingerprint: "ee05ee05", Borrow: 60})
	wantCode(t, err, CodeBorrowsFull)
	acquire(t, s, "ee05ee05")
	s.Close()
	l, err := ReadLog(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	var refused []string
	for _, r := range l.Records {
		if r.Event == EventRefused {
			refused = append(refused, r.Reason)
		}
		if r.InUse > 3 {
			t.Fatalf("record %d: %d seats in use", r.Seq, r.InUse)
		}
	}
	if strings.Join(refused, ",") != "seats_full,borrows_full,borrows_full" {
		t.Fatalf("refusals logged: %v", refused)
	}
}

func TestBorrowRules(t *testing.T) {
	f := newFixture(t, token.Site{Seats: 2, Lease: time.Hour})
	s := f.open(t)
	_, err := s.Acquire(context.Background(), Request{Product: "widget", Fingerprint: fp1, Borrow: 60})
	wantCode(t, err, CodeBorrowNotAllowed)
	f2 := newFixture(t, site25)
	s2 := f2.open(t)
	_, err = s2.Acquire(context.Background(), Request{Product: "widget", Fingerprint: fp1, Borrow: 7*24*3600 + 1})
	wantCode(t, err, CodeBorrowTooLong)
	if _, err := s2.Acquire(context.Background(), Request{Product: "widget", Fingerprint: fp1, Borrow: 7 * 24 * 3600}); err != nil {
		t.Fatal(err)
	}
}

func TestRenewAndRelease(t *testing.T) {
	f := newFixture(t, site25)
	s := f.open(t)
	ctx := context.Background()
	l := acquire(t, s, fp1)
	f.clock.Add(20 * time.Minute)
	r1, err := s.Renew(ctx, l.ID, RenewRequest{Fingerprint: fp1, Token: l.Token})
	if err != nil {
		t.Fatal(err)
	}
	if r1.ID != l.ID || !r1.Expires.Equal(t0.Add(80*time.Minute)) || r1.Token == l.Token || r1.Seats.InUse != 1 {
		t.Fatalf("renewed %+v", r1)
	}
	f.verifyLease(t, r1.Token, "widget", fp1)
	// Repeated: harmless, still one seat.
	r2, err := s.Renew(ctx, l.ID, RenewRequest{Fingerprint: fp1, Token: l.Token})
	if err != nil || r2.Seats.InUse != 1 || !r2.Expires.Equal(r1.Expires) {
		t.Fatalf("repeated renewal %+v %v", r2, err)
	}
	_, err = s.Renew(ctx, l.ID, RenewRequest{Fingerprint: fp2})
	wantCode(t, err, CodeWrongMachine)
	err = s.Release(ctx, l.ID, ReleaseRequest{Fingerprint: fp2})
	wantCode(t, err, CodeWrongMachine)
	_, err = s.Renew(ctx, strings.Repeat("ab", 16), RenewRequest{Fingerprint: fp1})
	wantCode(t, err, CodeLeaseGone)
	if err := s.Release(ctx, l.ID, ReleaseRequest{Fingerprint: fp1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, l.ID, ReleaseRequest{Fingerprint: fp1}); err != nil {
		t.Fatalf("a repeated release: %v", err)
	}
	_, err = s.Renew(ctx, l.ID, RenewRequest{Fingerprint: fp1})
	wantCode(t, err, CodeLeaseGone)
	if st := s.Status(); st.Seats.InUse != 0 {
		t.Fatalf("status %+v", st)
	}
	// A borrowed seat released is returned.
	b, err := s.Acquire(ctx, Request{Product: "widget", Fingerprint: fp2, Borrow: 3600})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, b.ID, ReleaseRequest{Fingerprint: fp2}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	lg, _ := ReadLog(f.dir)
	var events []string
	for _, r := range lg.Records {
		events = append(events, r.Event)
	}
	if got := strings.Join(events, " "); got != "started granted renewed renewed released borrowed returned" {
		t.Fatalf("events %s", got)
	}
}

func TestExpiry(t *testing.T) {
	f := newFixture(t, token.Site{Seats: 1, Lease: time.Hour})
	s := f.open(t)
	ctx := context.Background()
	l := acquire(t, s, fp1)
	_, err := s.Acquire(ctx, Request{Product: "widget", Fingerprint: fp2})
	wantCode(t, err, CodeSeatsFull)
	f.clock.Add(time.Hour - time.Second)
	_, err = s.Acquire(ctx, Request{Product: "widget", Fingerprint: fp2})
	wantCode(t, err, CodeSeatsFull)
	f.clock.Add(time.Second)
	acquire(t, s, fp2)
	_, err = s.Renew(ctx, l.ID, RenewRequest{Fingerprint: fp1})
	wantCode(t, err, CodeLeaseGone)
	s.Close()
	lg, _ := ReadLog(f.dir)
	var expired []Record
	for _, r := range lg.Records {
		if r.Event == EventExpired {
			expired = append(expired, r)
		}
	}
	if len(expired) != 1 || expired[0].Lease != l.ID || expired[0].InUse != 0 {
		t.Fatalf("expired records %+v", expired)
	}
}

// TestQueue: a request that may wait gets the seat freed before its wait
// ends, in order; one whose wait ends first is refused.
func TestQueue(t *testing.T) {
	f := newFixture(t, token.Site{Seats: 1, Lease: time.Hour})
	s := f.open(t)
	ctx := context.Background()
	l := acquire(t, s, fp1)
	got := make(chan *Lease)
	go func() {
		q, err := s.Acquire(ctx, Request{Product: "widget", Fingerprint: fp2, Wait: 30})
		if err != nil {
			t.Error(err)
		}
		got <- q
	}()
	for s.Status().Queue != 1 {
		time.Sleep(time.Millisecond)
	}
	// A request that does not wait does not jump the queue.
	_, err := s.Acquire(ctx, Request{Product: "widget", Fingerprint: fp3})
	wantCode(t, err, CodeSeatsFull)
	if err := s.Release(ctx, l.ID, ReleaseRequest{Fingerprint: fp1}); err != nil {
		t.Fatal(err)
	}
	select {
	case q := <-got:
		if q == nil || q.Seats.InUse != 1 {
			t.Fatalf("queued lease %+v", q)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the queued request did not get the freed seat")
	}
	// A wait beyond MaxWait is capped at it (not overflowed into none).
	s.cfg.MaxWait = time.Second
	start := time.Now()
	_, err = s.Acquire(ctx, Request{Product: "widget", Fingerprint: fp3, Wait: 1 << 62})
	wantCode(t, err, CodeSeatsFull)
	if d := time.Since(start); d < time.Second {
		t.Fatalf("refused after %v, before the wait ended", d)
	}
	if s.Status().Queue != 0 {
		t.Fatalf("queue %d", s.Status().Queue)
	}
}

// TestRestore: a restarted server counts the leases of its log and
// renews them.
func TestRestore(t *testing.T) {
	f := newFixture(t, site25)
	s := f.open(t)
	l1 := acquire(t, s, fp1)
	acquire(t, s, fp2)
	released := acquire(t, s, fp3)
	s.Release(context.Background(), released.ID, ReleaseRequest{Fingerprint: fp3})
	s.Close()
	f.clock.Add(time.Minute)
	s = f.open(t)
	if st := s.Status(); st.Seats.InUse != 2 || st.SafeUntil != nil {
		t.Fatalf("restored %+v", st)
	}
	if _, err := s.Renew(context.Background(), l1.ID, RenewRequest{Fingerprint: fp1, Token: l1.Token}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Renew(context.Background(), released.ID, RenewRequest{Fingerprint: fp3})
	wantCode(t, err, CodeLeaseGone)
	acquire(t, s, fp3)
	_, err = s.Acquire(context.Background(), Request{Product: "widget", Fingerprint: "dd04dd04"})
	wantCode(t, err, CodeSeatsFull)
	// Leases that expired while the server was down are gone.
	s.Close()
	f.clock.Add(2 * time.Hour)
	s = f.open(t)
	if st := s.Status(); st.Seats.InUse != 0 {
		t.Fatalf("after the leases' end %+v", st)
	}
}

func TestClockMovedBack(t *testing.T) {
	f := newFixture(t, site25)
	s := f.open(t)
	acquire(t, s, fp1)
	f.clock.Add(-time.Second) // within the allowance
	acquire(t, s, fp2)
	f.clock.Add(-time.Hour)
	_, err := s.Acquire(context.Background(), Request{Product: "widget", Fingerprint: fp3})
	wantCode(t, err, CodeClockMovedBack)
	s.Close()
	_, err = Open(f.config())
	if err == nil || !strings.Contains(err.Error(), "behind the log's newest record") {
		t.Fatalf("started with the clock back: %v", err)
	}
	f.clock.Set(t0)
	s = f.open(t)
	if s.Status().Seats.InUse != 2 {
		t.Fatal(s.Status())
	}
}

// safeFor checks that s refuses new leases (state_unverified, Retry-After
// up to the end of safe mode) until the clock passes one longest lease,
// and grants one after.
func safeFor(t *testing.T, f *fixture, s *Server, until time.Time) {
	t.Helper()
	_, err := s.Acquire(context.Background(), Request{Product: "widget", Fingerprint: "ff06ff06"})
	e := wantCode(t, err, CodeStateUnverified)
	if e.Status != 503 || e.RetryAfter != until.Sub(f.clock.Now()) {
		t.Fatalf("refusal %+v, safe until %v", e, until)
	}
	if st := s.Status(); st.SafeUntil == nil || !st.SafeUntil.Equal(until) {
		t.Fatalf("status %+v, want safe until %v", st, until)
	}
	f.clock.Set(until.Add(-time.Second))
	_, err = s.Acquire(context.Background(), Request{Product: "widget", Fingerprint: "ff06ff06"})
	wantCode(t, err, CodeStateUnverified)
	f.clock.Set(until)
	if _, err := s.Acquire(context.Background(), Request{Product: "widget", Fingerprint: "ff06ff06"}); err != nil {
		t.Fatalf("after safe mode: %v", err)
	}
}

func TestSafeModeAtStart(t *testing.T) {
	longest := site25.MaxLease()
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, f *fixture, early []byte)
	}{
		{"log missing", func(t *testing.T, f *fixture, early []byte) {
			os.Remove(filepath.Join(f.dir, LogFile))
		}},
		{"head missing", func(t *testing.T, f *fixture, early []byte) {
			os.Remove(filepath.Join(f.dir, HeadFile))
		}},
		{"log shorter than the head", func(t *testing.T, f *fixture, early []byte) {
			os.WriteFile(filepath.Join(f.dir, LogFile), early, 0o600)
		}},
		{"head signed by another key", func(t *testing.T, f *fixture, early []byte) {
			other, _ := checkpoint.NewSigner("licet/seats/"+hex.EncodeToString(f.g.ID), ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)))
			l, _ := ReadLog(f.dir)
			msg, _ := checkpoint.Sign(l.Head().Checkpoint, other)
			os.WriteFile(filepath.Join(f.dir, HeadFile), msg, 0o600)
		}},
		{"log signed by another key", func(t *testing.T, f *fixture, early []byte) {
			// Another site key wrote a log of the same grant id.
			g := newFixture(t, site25)
			g.site = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
			g.g.Key = g.site.Public().(ed25519.PublicKey)
			g.grant, _ = token.SignGrant(g.vendor, g.g)
			g.dir = f.dir + "-other"
			s := g.open(t)
			acquire(t, s, fp1)
			s.Close()
			data, _ := os.ReadFile(filepath.Join(g.dir, LogFile))
			os.WriteFile(filepath.Join(f.dir, LogFile), data, 0o600)
		}},
		{"a record changed", func(t *testing.T, f *fixture, early []byte) {
			path := filepath.Join(f.dir, LogFile)
			data, _ := os.ReadFile(path)
			os.WriteFile(path, bytes.Replace(data, []byte(fp2), []byte(fp3), 1), 0o600)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, site25)
			s := f.open(t)
			acquire(t, s, fp1)
			early, _ := os.ReadFile(filepath.Join(f.dir, LogFile))
			acquire(t, s, fp2)
			s.Close()
			tc.damage(t, f, early)
			f.clock.Add(time.Minute)
			s = f.open(t)
			until := f.clock.Now().Add(longest)
			// Safe mode outlives a restart.
			s.Close()
			f.clock.Add(time.Minute)
			s = f.open(t)
			safeFor(t, f, s, until)
			matches, _ := filepath.Glob(filepath.Join(f.dir, LogFile+".broken-*"))
			if strings.Contains(tc.name, "another key") && !strings.Contains(tc.name, "head") || tc.name == "a record changed" {
				if len(matches) != 1 {
					t.Fatalf("the untrusted log was not kept aside: %v", matches)
				}
			}
		})
	}
}

// TestRolledBackStateDir: a state directory copied back from earlier is
// consistent in itself; the first client that renews a lease granted
// after the copy shows it, and the server refuses new leases for one
// longest lease (and still after a restart).
func TestRolledBackStateDir(t *testing.T) {
	for _, grow := range []bool{false, true} {
		t.Run(fmt.Sprintf("log grown past the lease %v", grow), func(t *testing.T) {
			site := token.Site{Seats: 10, Lease: time.Hour}
			f := newFixture(t, site)
			s := f.open(t)
			early := acquire(t, s, fp1)
			s.Close()
			saved := t.TempDir()
			copyDir(t, f.dir, saved)
			s = f.open(t)
			f.clock.Add(time.Minute)
			late := acquire(t, s, fp2)
			s.Close()
			os.RemoveAll(f.dir)
			copyDir(t, saved, f.dir)
			s = f.open(t)
			if st := s.Status(); st.SafeUntil != nil || st.Seats.InUse != 1 {
				t.Fatalf("the copy alone shows nothing: %+v", st)
			}
			if grow {
				for i := range 6 {
					acquire(t, s, fmt.Sprintf("%08x", 0xd0+i))
				}
			}
			_, err := s.Renew(context.Background(), late.ID, RenewRequest{Fingerprint: fp2, Token: late.Token})
			wantCode(t, err, CodeStateUnverified)
			until := f.clock.Now().Add(time.Hour)
			// A lease the log holds still renews: it is counted.
			if _, err := s.Renew(context.Background(), early.ID, RenewRequest{Fingerprint: fp1, Token: early.Token}); err != nil {
				t.Fatalf("renewing a lease of the log in safe mode: %v", err)
			}
			s.Close()
			s = f.open(t)
			safeFor(t, f, s, until)
		})
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConcurrentNeverMoreThanN: many goroutines acquire, renew and
// release at once; at no point are more than N leases out, and the log
// says the same.
func TestConcurrentNeverMoreThanN(t *testing.T) {
	f := newFixture(t, token.Site{Seats: 5, Lease: time.Hour, Borrow: 2 * time.Hour, Borrows: 2})
	s := f.open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	held := map[string]bool{}
	maxHeld := 0
	for g := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fp := fmt.Sprintf("%08x", g)
			for i := range 30 {
				l, err := s.Acquire(ctx, Request{Product: "widget", Fingerprint: fp, Borrow: int64(i%5/4) * 60})
				if err != nil {
					if c := CodeOf(err); c != CodeSeatsFull && c != CodeBorrowsFull {
						t.Error(err)
					}
					continue
				}
				mu.Lock()
				held[l.ID] = true
				maxHeld = max(maxHeld, len(held))
				mu.Unlock()
				if _, err := s.Renew(ctx, l.ID, RenewRequest{Fingerprint: fp, Token: l.Token}); err != nil {
					t.Error(err)
				}
				mu.Lock()
				delete(held, l.ID)
				mu.Unlock()
				if err := s.Release(ctx, l.ID, ReleaseRequest{Fingerprint: fp}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	s.Close()
	if maxHeld > 5 {
		t.Fatalf("%d leases held at once", maxHeld)
	}
	l, err := ReadLog(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]bool{}
	for _, r := range l.Records {
		switch r.Event {
		case EventGranted, EventBorrowed:
			in[r.Lease] = true
		case EventReleased, EventReturned, EventExpired:
			delete(in, r.Lease)
		}
		if len(in) > 5 || r.InUse > 5 {
			t.Fatalf("record %d: %d leases out (in_use %d)", r.Seq, len(in), r.InUse)
		}
	}
}

// TestCloseInFlight: closing the server while requests are queued or
// signing refuses the queued ones and writes the others; nothing is
// committed after the log closed.
func TestCloseInFlight(t *testing.T) {
	f := newFixture(t, token.Site{Seats: 4, Lease: time.Hour})
	s := f.open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Acquire(ctx, Request{Product: "widget", Fingerprint: fmt.Sprintf("%08x", g), Wait: 30})
			errs <- err
		}()
	}
	for s.Status().Queue < 12 {
		time.Sleep(time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	granted, refused := 0, 0
	for err := range errs {
		switch CodeOf(err) {
		case "":
			granted++
		case "shutting_down":
			refused++
		default:
			t.Errorf("unexpected %v", err)
		}
	}
	if granted != 4 || refused != 12 {
		t.Fatalf("%d granted, %d refused at shutdown", granted, refused)
	}
	l, err := ReadLog(f.dir)
	if err != nil || l.Cut != 0 {
		t.Fatalf("log after close: %v, cut %d", err, l.Cut)
	}
	if _, err := s.Acquire(ctx, Request{Product: "widget", Fingerprint: fp1}); CodeOf(err) != "shutting_down" {
		t.Fatalf("acquire after close: %v", err)
	}
}

func TestOpenRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f *fixture, cfg *Config)
		want   string
	}{
		{"state open to others", func(f *fixture, cfg *Config) { os.MkdirAll(f.dir, 0o755); os.Chmod(f.dir, 0o755) }, "chmod 700"},
		{"grant of another key", func(f *fixture, cfg *Config) { cfg.Key = f.vendor }, "the grant is for the key"},
		{"not a grant", func(f *fixture, cfg *Config) { cfg.Grant = []byte("hello") }, "the site grant"},
		{"scope outside the grant", func(f *fixture, cfg *Config) { cfg.Scopes = []string{"admin"} }, `scope "admin" is not covered`},
		{"tier outside the grant", func(f *fixture, cfg *Config) { cfg.Tier = "gold" }, `tier "gold" is not in the grant`},
		{"no key", func(f *fixture, cfg *Config) { cfg.Key = nil }, "no site key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, site25)
			cfg := f.config()
			tc.change(f, &cfg)
			s, err := Open(cfg)
			if err == nil {
				s.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// Scopes within the grant's patterns are carried by every lease.
	f := newFixture(t, site25)
	cfg := f.config()
	cfg.Scopes = []string{"export:pdf"}
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l := acquire(t, s, fp1)
	if v := f.verifyLease(t, l.Token, "widget", fp1); !v.Claims.Allows("export:pdf") {
		t.Fatalf("scopes %v", v.Claims.Scopes)
	}
}

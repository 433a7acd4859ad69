package usage

import (
	"context"
	"crypto/ed25519"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/seats"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestServerLog: the records package seats's lease server writes make
// reports the vendor accepts, every lease token verifying, across a
// restart; the statement counts what the server did.
func TestServerLog(t *testing.T) {
	vendor, site := key(1), key(2)
	c := &clock{t: T0}
	lease := time.Hour
	g := &token.Grant{Issuer: "acme", Subject: "plant-1", Audience: []string{"widget", "gadget"}, Tiers: []string{"pro"}, Scopes: []string{},
		IssuedAt: T0.Add(-time.Hour), Expiry: T0.Add(365 * 24 * time.Hour), ID: []byte("0123456789abcdef"), Key: site.Public().(ed25519.PublicKey),
		Site: &token.Site{Seats: 2, Lease: lease, Borrow: 24 * time.Hour, Borrows: 1}}
	grant, err := token.SignGrant(vendor, g)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir() + "/state"
	open := func() *seats.Server {
		s, err := seats.Open(seats.Config{Dir: dir, Key: site, Grant: grant, Clock: c.now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ctx := context.Background()
	fp1, fp2, fp3 := "aa01aa01aa01aa01", "bb02bb02bb02bb02", "cc03cc03cc03cc03"

	s := open()
	a, err := s.Acquire(ctx, seats.Request{Product: "widget", Fingerprint: fp1, Client: "ws-1"})
	if err != nil {
		t.Fatal(err)
	}
	c.add(time.Minute)
	b, err := s.Acquire(ctx, seats.Request{Product: "gadget", Fingerprint: fp2})
	if err != nil {
		t.Fatal(err)
	}
	c.add(time.Minute)
	if _, err := s.Acquire(ctx, seats.Request{Product: "widget", Fingerprint: fp3}); seats.CodeOf(err) != "seats_full" {
		t.Fatalf("a third seat: %v", err)
	}
	c.add(8 * time.Minute) // 08:10
	if _, err := s.Renew(ctx, a.ID, seats.RenewRequest{Fingerprint: fp1, Token: a.Token}); err != nil {
		t.Fatal(err)
	}
	c.add(10 * time.Minute) // 08:20
	if err := s.Release(ctx, b.ID, seats.ReleaseRequest{Fingerprint: fp2}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Acquire(ctx, seats.Request{Product: "widget", Fingerprint: fp3, Borrow: 3600 * 20}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	h, err := NewHistory(verify.Key{PublicKey: vendor.Public().(ed25519.PublicKey), Issuer: "acme"}, grant)
	if err != nil {
		t.Fatal(err)
	}
	report := func(prev []byte) []byte {
		t.Helper()
		l, err := seats.ReadLog(dir)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Create(l, CreateOptions{Since: prev, Now: c.now()})
		if err != nil {
			t.Fatal(err)
		}
		data, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Add(data, "report"); err != nil {
			t.Fatal(err)
		}
		return data
	}
	r1 := report(nil)

	// Restarted two hours later: lease a (renewed at 08:10 to 09:10)
	// expires; the borrow runs on.
	c.add(2 * time.Hour)
	s = open()
	if err := s.Sweep(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	report(r1)

	st := h.Statement(Options{})
	if len(st.Days) != 2 {
		t.Fatalf("%d days, want 2 (the borrow runs to the next day)", len(st.Days))
	}
	d := st.Days[0]
	// a 08:00-09:10 (70 min), b 08:01-08:20 (19 min), the borrow from
	// 08:20 to 04:20 the next day (15 h 40 min on the first day).
	want := Usage{Peak: 2, SeatSeconds: (70 + 19 + 15*60 + 40) * 60, Refusals: 1, Borrows: 1, Leases: 3}
	if d.Usage != want {
		t.Errorf("the first day: %+v, want %+v", d.Usage, want)
	}
	if u := d.ByProduct["gadget"]; u == nil || u.SeatSeconds != 19*60 {
		t.Errorf("gadget: %+v", u)
	}
	if st.Days[1].SeatSeconds != (4*60+20)*60 {
		t.Errorf("the second day: %+v", st.Days[1].Usage)
	}
}

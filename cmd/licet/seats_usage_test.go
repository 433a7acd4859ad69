package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"os"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/seats"
	"github.com/licet/licet/token"
)

// seatSiteT0 is when the testscript site's first day starts: Monday
// 2026-11-02 08:00 UTC.
var seatSiteT0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// seatSiteKey returns a fixed key for a name.
func seatSiteKey(issuer string) *keys.PrivateKey {
	seed := sha256.Sum256([]byte("licet seatsite test key " + issuer))
	return &keys.PrivateKey{Issuer: issuer, Key: ed25519.NewKeyFromSeed(seed[:])}
}

// seatSiteGrant signs a site grant of vendor acme to a site key: 2 seats
// of widget or gadget, leases of an hour, one borrow of up to a week.
func seatSiteGrant(ts *testscript.TestScript, site string, id byte) []byte {
	vendor, key := seatSiteKey("acme"), seatSiteKey(site)
	maxLife, maxGrace := 7*24*time.Hour, time.Duration(0)
	g := &token.Grant{Issuer: "acme", Subject: site, Audience: []string{"widget", "gadget"}, Tiers: []string{"pro"}, Scopes: []string{},
		IssuedAt: seatSiteT0.Add(-24 * time.Hour), Expiry: seatSiteT0.Add(365 * 24 * time.Hour), ID: []byte{id, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		Key: key.Public().Key, MaxLife: &maxLife, MaxGrace: &maxGrace,
		Site: &token.Site{Seats: 2, Lease: time.Hour, Borrow: 7 * 24 * time.Hour, Borrows: 1}}
	raw, err := token.SignGrant(vendor.Signer(), g)
	ts.Check(err)
	return token.EncodePEM(raw, token.PEMGrant, nil)
}

// seatSiteCmd is the testscript command "seatsite STEP": the lease server
// of site plant-1 (package seats, 2 seats) run on a test clock in the
// state directory "state". Steps:
//
//   - init: write acme.pub (the vendor's key), plant-1.grant and
//     other.grant (another site's grant), and run the first day (Monday
//     08:00): leases a (widget) and b (gadget), a third refused with
//     every seat taken, a renewed at 08:10, b released at 08:20 and a
//     borrow of 20 hours (widget) in its place; write a.lease (lease a as
//     granted) and forged.lease (a lease the site key signed off the
//     log, naming record 2, lease b's).
//   - next: the second day (Tuesday 09:00, after a restart): lease d
//     (widget) from 09:00, released at 09:30.
//   - third: the third day (Wednesday 09:00): lease f (gadget) from 09:00,
//     released at 09:15.
//   - other: another Wednesday, for a state restored from Tuesday: lease
//     e (gadget) from 10:00 to its expiry.
//   - plant2: the lease server of site plant-2 (other.grant, 2 seats) in
//     "state2": lease g (gadget) on Monday from 12:00 to 12:30.
func seatSiteCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: seatsite init|next|third|other|plant2")
	}
	grant := seatSiteGrant(ts, "plant-1", 0x51)
	var mu sync.Mutex
	now := seatSiteT0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	at := func(t time.Time) { mu.Lock(); defer mu.Unlock(); now = t }
	open := func() *seats.Server {
		s, err := seats.Open(seats.Config{Dir: ts.MkAbs("state"), Key: seatSiteKey("plant-1").Signer(), Grant: grant, Clock: clock})
		ts.Check(err)
		return s
	}
	ctx := context.Background()
	acquire := func(s *seats.Server, product, fp string, borrow int64) *seats.Lease {
		l, err := s.Acquire(ctx, seats.Request{Product: product, Fingerprint: fp, Borrow: borrow})
		ts.Check(err)
		return l
	}
	const fp1, fp2, fp3 = "aa01aa01aa01aa01", "bb02bb02bb02bb02", "cc03cc03cc03cc03"
	switch args[0] {
	case "init":
		ts.Check(os.WriteFile(ts.MkAbs("acme.pub"), seatSiteKey("acme").Public().MarshalPEM(), 0o644))
		ts.Check(os.WriteFile(ts.MkAbs("plant-1.grant"), grant, 0o644))
		ts.Check(os.WriteFile(ts.MkAbs("other.grant"), seatSiteGrant(ts, "plant-2", 0x52), 0o644))
		s := open()
		a := acquire(s, "widget", fp1, 0)
		at(seatSiteT0.Add(time.Minute))
		b := acquire(s, "gadget", fp2, 0)
		at(seatSiteT0.Add(2 * time.Minute))
		if _, err := s.Acquire(ctx, seats.Request{Product: "widget", Fingerprint: fp3}); seats.CodeOf(err) != "seats_full" {
			ts.Fatalf("a third seat: %v", err)
		}
		at(seatSiteT0.Add(10 * time.Minute))
		_, err := s.Renew(ctx, a.ID, seats.RenewRequest{Fingerprint: fp1, Token: a.Token})
		ts.Check(err)
		at(seatSiteT0.Add(20 * time.Minute))
		ts.Check(s.Release(ctx, b.ID, seats.ReleaseRequest{Fingerprint: fp2}))
		acquire(s, "widget", fp3, 20*3600)
		ts.Check(s.Close())
		ts.Check(os.WriteFile(ts.MkAbs("a.lease"), []byte(a.Token+"\n"), 0o600))
		ts.Check(os.WriteFile(ts.MkAbs("forged.lease"), seatSiteForged(ts, grant), 0o600))
	case "next":
		at(seatSiteT0.Add(25 * time.Hour))
		s := open()
		d := acquire(s, "widget", fp1, 0)
		at(seatSiteT0.Add(25*time.Hour + 30*time.Minute))
		ts.Check(s.Release(ctx, d.ID, seats.ReleaseRequest{Fingerprint: fp1}))
		ts.Check(s.Close())
	case "third":
		at(seatSiteT0.Add(49 * time.Hour))
		s := open()
		f := acquire(s, "gadget", fp2, 0)
		at(seatSiteT0.Add(49*time.Hour + 15*time.Minute))
		ts.Check(s.Release(ctx, f.ID, seats.ReleaseRequest{Fingerprint: fp2}))
		ts.Check(s.Close())
	case "other":
		at(seatSiteT0.Add(50 * time.Hour))
		s := open()
		acquire(s, "gadget", fp2, 0)
		ts.Check(s.Close())
	case "plant2":
		key, grant := seatSiteKey("plant-2"), seatSiteGrant(ts, "plant-2", 0x52)
		at(seatSiteT0.Add(4 * time.Hour))
		s, err := seats.Open(seats.Config{Dir: ts.MkAbs("state2"), Key: key.Signer(), Grant: grant, Clock: clock})
		ts.Check(err)
		g := acquire(s, "gadget", fp1, 0)
		at(seatSiteT0.Add(4*time.Hour + 30*time.Minute))
		ts.Check(s.Release(ctx, g.ID, seats.ReleaseRequest{Fingerprint: fp1}))
		ts.Check(s.Close())
	default:
		ts.Fatalf("usage: seatsite init|next|third|other|plant2")
	}
}

// seatSiteForged signs, with the site key, a lease the server never
// handed out, naming record 2 of the log.
func seatSiteForged(ts *testscript.TestScript, grantPEM []byte) []byte {
	m, _, err := token.Decode(grantPEM)
	ts.Check(err)
	l := &token.License{Issuer: "plant-1", Subject: "plant-1", Audience: []string{"widget"}, Tier: "pro", IssuedAt: seatSiteT0,
		Expiry: seatSiteT0.Add(time.Hour), ID: make([]byte, token.IDSize), Bind: map[string]string{"host": "dd04dd04dd04dd04"},
		Meta: map[string]string{"site_seq": "2"}}
	raw, err := token.SignLicense(seatSiteKey("plant-1").Signer(), l, m.Raw)
	ts.Check(err)
	text, err := token.EncodeText(raw, "")
	ts.Check(err)
	return []byte(text + "\n")
}

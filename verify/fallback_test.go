package verify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// TestPerpetualFallback (issue 17): a license with the "fallback" claim
// stays valid after its expiry and grace for a build released at or
// before the expiry, flagged and warned; without a build date, for a
// later build, or without the claim it is expired as before. Grace comes
// first; not-before, versions and revocation still apply.
func TestPerpetualFallback(t *testing.T) {
	ks := keyset(t)
	exp := now.Add(-90 * 24 * time.Hour)
	week := 7 * 24 * time.Hour
	leeway := verify.DefaultLeeway
	fb := func(mod ...func(*token.License)) []byte {
		return mint(t, vendor, license(append([]func(*token.License){func(l *token.License) {
			l.IssuedAt = exp.Add(-365 * 24 * time.Hour)
			l.Expiry = exp
			l.Grace = week
			l.Fallback = true
		}}, mod...)...), nil)
	}
	withFallback := fb()
	noClaim := fb(func(l *token.License) { l.Fallback = false })
	noGrace := fb(func(l *token.License) { l.Grace = 0 })
	future := fb(func(l *token.License) { l.NotBefore = now.Add(time.Hour) })
	oldVersions := fb(func(l *token.License) { l.Versions = "< 3.0" })
	before, at, after := exp.Add(-30*24*time.Hour), exp, exp.Add(time.Second)
	for _, tc := range []struct {
		name     string
		tok      []byte
		now      time.Time
		build    time.Time // zero: no WithBuildDate
		want     verify.Code
		inGrace  bool
		fallback bool
		message  string // in the error, when want is set
	}{
		{name: "before expiry, later build", tok: withFallback, now: exp.Add(-time.Hour), build: after.Add(week)},
		{name: "in grace, later build: grace as before", tok: withFallback, now: exp.Add(leeway + time.Hour), build: after, inGrace: true},
		{name: "in grace, earlier build: grace, not fallback", tok: withFallback, now: exp.Add(leeway + time.Hour), build: before, inGrace: true},
		{name: "after grace, build before expiry", tok: withFallback, now: now, build: before, fallback: true},
		{name: "after grace, build at expiry", tok: withFallback, now: now, build: at, fallback: true},
		{name: "first second after grace", tok: withFallback, now: exp.Add(leeway + week + time.Second), build: at, fallback: true},
		{name: "no grace, first second after leeway", tok: noGrace, now: exp.Add(leeway + time.Second), build: before, fallback: true},
		{name: "after grace, build one second after expiry", tok: withFallback, now: now, build: after, want: verify.CodeExpired, message: "this build was released"},
		{name: "build released within grace is not covered", tok: withFallback, now: now, build: exp.Add(leeway), want: verify.CodeExpired},
		{name: "after grace, no build date", tok: withFallback, now: now, want: verify.CodeExpired, message: "no build date was given"},
		{name: "no fallback claim", tok: noClaim, now: now, build: before, want: verify.CodeExpired},
		{name: "not before still applies", tok: future, now: now, build: before, want: verify.CodeNotYetValid},
		{name: "versions still apply", tok: oldVersions, now: now, build: before, want: verify.CodeVersionNotCovered},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []verify.Option{verify.WithClock(func() time.Time { return tc.now })}
			if !tc.build.IsZero() {
				opts = append(opts, verify.WithBuildDate(tc.build))
			}
			// Twice through a result cache: the recheck must agree.
			v := verifier(t, ks, append(opts, verify.WithResultCache(4))...)
			for round := 0; round < 2; round++ {
				l, err := v.Verify(tc.tok)
				if tc.want != "" {
					requireCode(t, err, tc.want)
					if !strings.Contains(err.Error(), tc.message) {
						t.Fatalf("error %q does not say %q", err, tc.message)
					}
					continue
				}
				if err != nil {
					t.Fatalf("round %d: Verify: %v", round, err)
				}
				if l.InGrace != tc.inGrace || l.Fallback != tc.fallback {
					t.Fatalf("round %d: in grace %v, fallback %v; want %v, %v", round, l.InGrace, l.Fallback, tc.inGrace, tc.fallback)
				}
				warned := len(l.Warnings) == 1 && strings.Contains(l.Warnings[0], "updates released after the expiry are not covered")
				if warned != tc.fallback {
					t.Fatalf("round %d: warnings %q, fallback %v", round, l.Warnings, tc.fallback)
				}
			}
		})
	}

	// The cache remembers a license verified before its expiry; a later
	// clock past it rechecks to the fallback.
	clock := exp.Add(-time.Hour)
	v := verifier(t, ks, verify.WithClock(func() time.Time { return clock }), verify.WithBuildDate(before), verify.WithResultCache(4))
	if l, err := v.Verify(withFallback); err != nil || l.Fallback {
		t.Fatalf("before expiry: %v, fallback %v", err, l != nil && l.Fallback)
	}
	clock = now
	if l, err := v.Verify(withFallback); err != nil || !l.Fallback || len(l.Warnings) != 1 {
		t.Fatalf("after expiry, cached: %v, %+v", err, l)
	}
	clock = exp.Add(-time.Hour)
	if l, err := v.Verify(withFallback); err != nil || l.Fallback || len(l.Warnings) != 0 {
		t.Fatalf("before expiry again, cached: %v, %+v", err, l)
	}

	// Revocation still applies.
	rev := signRevocations(t, vendor, &token.Revocations{Issuer: "acme", IssuedAt: now.Add(-time.Hour), NextUpdate: now.Add(week), Seq: 1, IDs: [][]byte{license().ID}})
	list, err := verify.ParseRevocations(rev, ks)
	if err != nil {
		t.Fatal(err)
	}
	_, err = verifier(t, ks, verify.WithBuildDate(before), verify.WithRevocations(list...)).Verify(withFallback)
	requireCode(t, err, verify.CodeRevoked)

	if _, err := verify.New(ks, verify.WithProduct("widget"), verify.WithBuildDate(time.Time{})); err == nil {
		t.Fatal("New with a zero build date succeeded")
	}
}

// TestPerpetualFallbackUnderGrant (issue 17): no grant allows perpetual
// fallback, since it would outlive the grant's expiry and max life; a
// partner's license that carries it is a grant violation, expired or not.
func TestPerpetualFallbackUnderGrant(t *testing.T) {
	grant := signGrant(t, vendor, grantFor())
	pl := partnerLicense(func(l *token.License) { l.Fallback = true })
	_, err := verifier(t, keyset(t), verify.WithBuildDate(now)).Verify(mint(t, partner, pl, grant))
	requireCode(t, err, verify.CodeGrantViolation)
	if !strings.Contains(err.Error(), "perpetual fallback") {
		t.Fatalf("error %q does not name perpetual fallback", err)
	}
	g, _ := token.DecodeGrant(mustPayload(t, grant))
	if v := verify.Violations(g, pl); len(v) != 1 || !strings.Contains(v[0], "perpetual fallback") {
		t.Fatalf("Violations: %q, want only the fallback", v)
	}
}

func mustPayload(t *testing.T, raw []byte) []byte {
	t.Helper()
	m, err := token.ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	return m.Payload
}

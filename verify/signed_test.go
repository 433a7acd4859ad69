package verify_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

func parse(t *testing.T, raw []byte) *token.Message {
	t.Helper()
	m, err := token.ParseMessage(raw)
	if err != nil {
		t.Fatalf("ParseMessage: %v", err)
	}
	return m
}

// TestSigned: KeySet.Signed is steps 2, 4 and 5 alone: a license out of
// every window still passes, another key's or an altered object fails.
func TestSigned(t *testing.T) {
	ks := keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme", NotAfter: now.Add(-time.Hour)})
	old := mint(t, vendor, license(func(l *token.License) { l.Expiry = now.Add(-time.Hour) }), nil)
	k, err := ks.Signed(parse(t, old))
	if err != nil || !bytes.Equal(k.KeyID(), token.KeyID(pub(vendor))) {
		t.Fatalf("Signed of an expired license by the key: %v, %v", k, err)
	}
	_, err = ks.Signed(parse(t, mint(t, other, license(), nil)))
	requireCode(t, err, verify.CodeUnknownKey)
	_, err = ks.Signed(parse(t, forge(old)))
	requireCode(t, err, verify.CodeBadSignature)
	m := parse(t, old)
	m.Header.Alg = -7
	_, err = ks.Signed(m)
	requireCode(t, err, verify.CodeUnsupportedAlg)
}

// TestLicenseUnderGrant: a partner's license checked outside any product
// (report ingest and audit): signed by the grant's partner key, whatever
// the time; the grant's limits are Violations' business.
func TestLicenseUnderGrant(t *testing.T) {
	g := signGrant(t, vendor, grantFor())
	tok := mint(t, partner, partnerLicense(func(l *token.License) { l.Audience = []string{"other-product"} }), g)
	l, gr, err := verify.LicenseUnderGrant(parse(t, tok))
	if err != nil {
		t.Fatalf("LicenseUnderGrant: %v", err)
	}
	if l.Issuer != "reseller" || !bytes.Equal(gr.ID, grantFor().ID) {
		t.Fatalf("claims %q under grant %x", l.Issuer, gr.ID)
	}
	if v := verify.Violations(gr, l); len(v) == 0 {
		t.Fatal("the product outside the grant is not a violation")
	}
	_, _, err = verify.LicenseUnderGrant(parse(t, forge(tok)))
	requireCode(t, err, verify.CodeBadSignature)
	_, _, err = verify.LicenseUnderGrant(parse(t, mint(t, rogue, partnerLicense(), g)))
	requireCode(t, err, verify.CodeGrantViolation)
	_, _, err = verify.LicenseUnderGrant(parse(t, mint(t, vendor, license(), nil)))
	requireCode(t, err, verify.CodeGrantInvalid)
	_, _, err = verify.LicenseUnderGrant(parse(t, g))
	requireCode(t, err, verify.CodeWrongType)
}

// TestVerifyGrant: a grant on its own, with the codes of an object
// checked on its own; the same grant embedded fails with grant_invalid.
func TestVerifyGrant(t *testing.T) {
	ks := keyset(t)
	g := signGrant(t, vendor, grantFor())
	got, err := verifier(t, ks).VerifyGrant(token.EncodePEM(g, token.PEMGrant, nil))
	if err != nil {
		t.Fatalf("VerifyGrant: %v", err)
	}
	if got.Claims.Subject != "reseller" || !bytes.Equal(got.KeyID, token.KeyID(pub(vendor))) {
		t.Fatalf("grant of %q by %x", got.Claims.Subject, got.KeyID)
	}
	at := func(d time.Duration) verify.Option { return verify.WithClock(func() time.Time { return now.Add(d) }) }
	for name, tc := range map[string]struct {
		ks   *verify.KeySet
		in   []byte
		opts []verify.Option
		code verify.Code
	}{
		"expired":       {ks, g, []verify.Option{at(400 * 24 * time.Hour)}, verify.CodeExpired},
		"not yet valid": {ks, g, []verify.Option{at(-72 * time.Hour)}, verify.CodeNotYetValid},
		"unknown key":   {keyset(t, verify.Key{PublicKey: pub(other)}), g, nil, verify.CodeUnknownKey},
		"altered":       {ks, forge(g), nil, verify.CodeBadSignature},
		"retired key":   {keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme", NotAfter: now.Add(-72 * time.Hour)}), g, nil, verify.CodeKeyNotValid},
		"other issuer":  {keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "beta"}), g, nil, verify.CodeWrongIssuer},
		"a license":     {ks, mint(t, vendor, license(), nil), nil, verify.CodeWrongType},
		"garbage":       {ks, []byte("nope"), nil, verify.CodeMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := verifier(t, tc.ks, tc.opts...).VerifyGrant(tc.in)
			requireCode(t, err, tc.code)
		})
	}
	t.Run("revoked", func(t *testing.T) {
		byID := parseList(t, ks, vendor, &token.Revocations{Issuer: "acme", Seq: 1, IDs: [][]byte{grantFor().ID}})
		_, err := verifier(t, ks, verify.WithRevocations(byID)).VerifyGrant(g)
		requireCode(t, err, verify.CodeRevoked)
		byKey := parseList(t, ks, vendor, &token.Revocations{Issuer: "acme", Seq: 1, KeyIDs: [][]byte{token.KeyID(pub(vendor))}})
		_, err = verifier(t, ks, verify.WithRevocations(byKey)).VerifyGrant(g)
		requireCode(t, err, verify.CodeRevoked)
	})
	// Issue 18's rule reaches a grant checked on its own: a kid entry for
	// a key trusted without an issuer revokes whatever it signed, in any
	// issuer's list (licet verify applied only the grant issuer's list).
	t.Run("key without issuer revoked by another issuer's list", func(t *testing.T) {
		ks := keyset(t, verify.Key{PublicKey: pub(vendor)}, verify.Key{PublicKey: pub(other), Issuer: "beta"})
		beta := parseList(t, ks, other, &token.Revocations{Issuer: "beta", Seq: 1, KeyIDs: [][]byte{token.KeyID(pub(vendor))}})
		_, err := verifier(t, ks, verify.WithRevocations(beta)).VerifyGrant(g)
		requireCode(t, err, verify.CodeRevoked)
		if !strings.Contains(err.Error(), "trusted without an issuer") {
			t.Fatalf("error %q does not say why another issuer's list applies", err)
		}
	})
	t.Run("stale list", func(t *testing.T) {
		stale := parseList(t, ks, vendor, &token.Revocations{Issuer: "acme", Seq: 1, IssuedAt: now.Add(-48 * time.Hour), NextUpdate: now.Add(-time.Hour)})
		got, err := verifier(t, ks, verify.WithRevocations(stale)).VerifyGrant(g)
		if err != nil || len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "stale") {
			t.Fatalf("grant with a stale list: %v, %v", got, err)
		}
		_, err = verifier(t, ks, verify.WithRevocations(stale), verify.RejectStaleRevocations()).VerifyGrant(g)
		requireCode(t, err, verify.CodeRevoked)
	})
}

// TestVerifyRevocations: a list on its own is refused when issued after
// the clock, and when stale under RejectStaleRevocations.
func TestVerifyRevocations(t *testing.T) {
	ks := keyset(t)
	raw := signRevocations(t, vendor, &token.Revocations{Issuer: "acme", Seq: 3, IssuedAt: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour)})
	list, err := verifier(t, ks).VerifyRevocations(raw)
	if err != nil || list.Claims().Seq != 3 {
		t.Fatalf("VerifyRevocations: %v, %v", list, err)
	}
	_, err = verifier(t, ks, verify.WithClock(func() time.Time { return now.Add(-2 * time.Hour) })).VerifyRevocations(raw)
	requireCode(t, err, verify.CodeNotYetValid)
	later := verify.WithClock(func() time.Time { return now.Add(2 * time.Hour) })
	if list, err := verifier(t, ks, later).VerifyRevocations(raw); err != nil || !list.Stale(now.Add(2*time.Hour)) {
		t.Fatalf("a stale list without RejectStaleRevocations: %v, %v", list, err)
	}
	_, err = verifier(t, ks, later, verify.RejectStaleRevocations()).VerifyRevocations(raw)
	requireCode(t, err, verify.CodeExpired)
	_, err = verifier(t, keyset(t, verify.Key{PublicKey: pub(other)})).VerifyRevocations(raw)
	requireCode(t, err, verify.CodeUnknownKey)
}

// TestExtendRevocations: the previous list must be a revocation list of
// r's issuer signed by the key given.
func TestExtendRevocations(t *testing.T) {
	prev := signRevocations(t, vendor, &token.Revocations{Issuer: "acme", Seq: 4, IssuedAt: now, NextUpdate: now.Add(time.Hour), IDs: [][]byte{bytes.Repeat([]byte{1}, 16)}})
	next := &token.Revocations{Issuer: "acme", IDs: [][]byte{bytes.Repeat([]byte{2}, 16)}}
	if err := verify.ExtendRevocations(next, token.EncodePEM(prev, token.PEMRevocations, nil), pub(vendor)); err != nil {
		t.Fatalf("ExtendRevocations: %v", err)
	}
	if next.Seq != 5 || len(next.IDs) != 2 {
		t.Fatalf("seq %d, %d ids after ExtendRevocations, want 5 and 2", next.Seq, len(next.IDs))
	}
	altered := append(prev[:len(prev)-1:len(prev)-1], prev[len(prev)-1]^1)
	for name, tc := range map[string]struct {
		prev []byte
		key  []byte
		iss  string
		want string
	}{
		"another key":    {prev, pub(other), "acme", "not signed by key"},
		"another issuer": {prev, pub(vendor), "beta", `of issuer "acme", not "beta"`},
		"not a list":     {mint(t, vendor, license(), nil), pub(vendor), "acme", "not a revocation list"},
		"garbage":        {[]byte("nope"), pub(vendor), "acme", "previous list"},
		"modified":       {altered, pub(vendor), "acme", "or modified"},
	} {
		t.Run(name, func(t *testing.T) {
			r := &token.Revocations{Issuer: tc.iss}
			if err := verify.ExtendRevocations(r, tc.prev, tc.key); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ExtendRevocations: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestExtendKeepsEntries: the next list gets the previous list's seq + 1
// and keeps its ids, key ids and gcti pairs besides its own;
// SignRevocations then merges, sorts and deduplicates them.
func TestExtendKeepsEntries(t *testing.T) {
	id := func(b byte) []byte { return bytes.Repeat([]byte{b}, token.IDSize) }
	kid := func(b byte) []byte { return bytes.Repeat([]byte{b}, token.KeyIDSize) }
	prev := signRevocations(t, vendor, &token.Revocations{Issuer: "acme", IssuedAt: now, NextUpdate: now.Add(time.Hour), Seq: 4,
		IDs: [][]byte{id(3), id(1), id(3)}, KeyIDs: [][]byte{kid(9)},
		Granted: []token.GrantIDs{{Grant: id(7), IDs: [][]byte{id(1)}}, {Grant: id(8), IDs: [][]byte{id(1)}}}})
	next := &token.Revocations{Issuer: "acme", IssuedAt: now.Add(time.Minute), NextUpdate: now.Add(2 * time.Hour),
		IDs: [][]byte{id(2), id(1)}, Granted: []token.GrantIDs{{Grant: id(7), IDs: [][]byte{id(2)}}}}
	if err := verify.ExtendRevocations(next, prev, pub(vendor)); err != nil {
		t.Fatalf("ExtendRevocations: %v", err)
	}
	if next.Seq != 5 {
		t.Fatalf("seq %d after ExtendRevocations, want 5", next.Seq)
	}
	u, err := token.ParseUnverified(signRevocations(t, vendor, next))
	if err != nil {
		t.Fatalf("ParseUnverified: %v", err)
	}
	got := u.Revocations
	if want := [][]byte{id(1), id(2), id(3)}; !reflect.DeepEqual(got.IDs, want) {
		t.Fatalf("ids %x, want %x", got.IDs, want)
	}
	if want := [][]byte{kid(9)}; !reflect.DeepEqual(got.KeyIDs, want) {
		t.Fatalf("key ids %x, want %x", got.KeyIDs, want)
	}
	if want := []token.GrantIDs{{Grant: id(7), IDs: [][]byte{id(1), id(2)}}, {Grant: id(8), IDs: [][]byte{id(1)}}}; !reflect.DeepEqual(got.Granted, want) {
		t.Fatalf("gcti %x, want %x", got.Granted, want)
	}
}

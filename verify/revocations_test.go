package verify_test

import (
	"bytes"
	"crypto/ed25519"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// parseList signs r with signer and parses it against ks.
func parseList(t *testing.T, ks *verify.KeySet, signer ed25519.PrivateKey, r *token.Revocations) *verify.RevocationList {
	t.Helper()
	if r.IssuedAt.IsZero() {
		r.IssuedAt, r.NextUpdate = now.Add(-time.Hour), now.Add(7*24*time.Hour)
	}
	rl, err := verify.ParseRevocation(signRevocations(t, signer, r), ks)
	if err != nil {
		t.Fatalf("ParseRevocation: %v", err)
	}
	return rl
}

// TestKidEntryForKeyWithoutIssuer: a kid entry naming a key trusted
// without an issuer revokes everything that key signed, whatever iss it
// claims; the holder of the key chooses iss (issue 18 item 1).
func TestKidEntryForKeyWithoutIssuer(t *testing.T) {
	// Both keys given as --pub: no issuer bound.
	ks := keyset(t, verify.Key{PublicKey: pub(vendor)}, verify.Key{PublicKey: pub(other)})
	list := parseList(t, ks, vendor, &token.Revocations{Issuer: "v", Seq: 1, KeyIDs: [][]byte{token.KeyID(pub(other))}})
	for _, iss := range []string{"v", "w"} {
		t.Run("license by the revoked key with iss "+iss, func(t *testing.T) {
			for _, cache := range []bool{false, true} {
				opts := []verify.Option{verify.WithRevocations(list)}
				if cache {
					opts = append(opts, verify.WithResultCache(8))
				}
				v := verifier(t, ks, opts...)
				tok := mint(t, other, license(func(l *token.License) { l.Issuer = iss }), nil)
				for range 2 {
					_, err := v.Verify(tok)
					requireCode(t, err, verify.CodeRevoked)
				}
			}
		})
	}
	t.Run("license by the other key", func(t *testing.T) {
		_, err := verifier(t, ks, verify.WithRevocations(list)).Verify(mint(t, vendor, license(func(l *token.License) { l.Issuer = "w" }), nil))
		if err != nil {
			t.Fatalf("a license by a key the list does not name: %v", err)
		}
	})
	t.Run("grant signed by the revoked key", func(t *testing.T) {
		g := signGrant(t, other, grantFor(func(g *token.Grant) { g.Issuer = "w" }))
		_, err := verifier(t, ks, verify.WithRevocations(list)).Verify(mint(t, partner, partnerLicense(), g))
		requireCode(t, err, verify.CodeRevoked)
		if !strings.Contains(err.Error(), "signed the grant") {
			t.Fatalf("error %q does not name the grant's key", err)
		}
	})
	t.Run("partner key trusted without issuer", func(t *testing.T) {
		ks := keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme"}, verify.Key{PublicKey: pub(other), Issuer: "beta"}, verify.Key{PublicKey: pub(partner)})
		beta := parseList(t, ks, other, &token.Revocations{Issuer: "beta", Seq: 1, KeyIDs: [][]byte{token.KeyID(pub(partner))}})
		_, err := verifier(t, ks, verify.WithRevocations(beta)).Verify(mint(t, partner, partnerLicense(), signGrant(t, vendor, grantFor())))
		requireCode(t, err, verify.CodeRevoked)
	})
	// A key bound to an issuer signs only that issuer's licenses, so only
	// that issuer's list applies to it: per-issuer scoping holds.
	t.Run("key bound to an issuer", func(t *testing.T) {
		ks := keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "v"}, verify.Key{PublicKey: pub(other), Issuer: "w"})
		list := parseList(t, ks, vendor, &token.Revocations{Issuer: "v", Seq: 1, KeyIDs: [][]byte{token.KeyID(pub(other))}})
		_, err := verifier(t, ks, verify.WithRevocations(list)).Verify(mint(t, other, license(func(l *token.License) { l.Issuer = "w" }), nil))
		if err != nil {
			t.Fatalf("v's list naming w's bound key: %v", err)
		}
	})
}

// TestGrantScopedRevocations: a "gcti" pair revokes a license by its id
// within its grant; a plain "cti" entry revokes a grant or a license
// signed directly by a trusted key, never a license minted under a grant
// (GCTI.md: ids are unique per grant only).
func TestGrantScopedRevocations(t *testing.T) {
	ks := keyset(t)
	id := bytes.Repeat([]byte{3}, 16)
	g1 := grantFor(func(g *token.Grant) { g.ID = bytes.Repeat([]byte{0x11}, 16) })
	g2 := grantFor(func(g *token.Grant) { g.ID = bytes.Repeat([]byte{0x22}, 16) })
	withID := func(l *token.License) { l.ID = id }
	under1 := mint(t, partner, partnerLicense(withID), signGrant(t, vendor, g1))
	under2 := mint(t, partner, partnerLicense(withID), signGrant(t, vendor, g2))
	direct := mint(t, vendor, license(withID), nil)
	for _, tc := range []struct {
		name                  string
		r                     token.Revocations
		under1, under2, plain verify.Code
	}{
		{name: "gcti pair", r: token.Revocations{Granted: []token.GrantIDs{{Grant: g1.ID, IDs: [][]byte{id}}}},
			under1: verify.CodeRevoked},
		{name: "plain cti of the id", r: token.Revocations{IDs: [][]byte{id}},
			plain: verify.CodeRevoked},
		{name: "plain cti of a grant", r: token.Revocations{IDs: [][]byte{g2.ID}},
			under2: verify.CodeRevoked},
		{name: "pair of the id under another grant", r: token.Revocations{Granted: []token.GrantIDs{{Grant: bytes.Repeat([]byte{0x33}, 16), IDs: [][]byte{id}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			r.Issuer, r.Seq = "acme", 1
			v := verifier(t, ks, verify.WithRevocations(parseList(t, ks, vendor, &r)))
			for name, c := range map[string]struct {
				tok  []byte
				want verify.Code
			}{"under grant 1": {under1, tc.under1}, "under grant 2": {under2, tc.under2}, "direct": {direct, tc.plain}} {
				_, err := v.Verify(c.tok)
				if c.want == "" {
					if err != nil {
						t.Fatalf("%s: %v, want valid", name, err)
					}
					continue
				}
				requireCode(t, err, c.want)
			}
		})
	}
	rl := parseList(t, ks, vendor, &token.Revocations{Issuer: "acme", Seq: 1, Granted: []token.GrantIDs{{Grant: g1.ID, IDs: [][]byte{id}}}})
	if !rl.RevokesGranted(g1.ID, id) || rl.RevokesGranted(g2.ID, id) || rl.RevokesID(id) || rl.RevokesGranted(g1.ID, id[:15]) {
		t.Fatal("RevokesGranted or RevokesID answers wrong")
	}
}

// TestIncludingAndDropped: a verifier that keeps what it saw revoked
// applies the entries of earlier lists with the current one (revocation
// is monotonic), and tells which entries a list dropped.
func TestIncludingAndDropped(t *testing.T) {
	ks := keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme"})
	lic := license()
	tok := mint(t, vendor, lic, nil)
	gid := bytes.Repeat([]byte{0x44}, 16)
	earlier := &token.Revocations{IDs: [][]byte{lic.ID}, KeyIDs: [][]byte{token.KeyID(pub(partner))},
		Granted: []token.GrantIDs{{Grant: gid, IDs: [][]byte{lic.ID, gid}}}}
	empty := parseList(t, ks, vendor, &token.Revocations{Issuer: "acme", Seq: 1 << 62})
	if _, err := verifier(t, ks, verify.WithRevocations(empty)).Verify(tok); err != nil {
		t.Fatalf("the empty list alone: %v", err)
	}
	d := empty.Dropped(earlier)
	if !reflect.DeepEqual(d, earlier) {
		t.Fatalf("Dropped = %+v, want every earlier entry %+v", d, earlier)
	}
	merged, err := empty.Including(earlier)
	if err != nil {
		t.Fatalf("Including: %v", err)
	}
	_, err = verifier(t, ks, verify.WithRevocations(merged)).Verify(tok)
	requireCode(t, err, verify.CodeRevoked)
	if merged.Claims().Seq != 1<<62 || len(merged.Claims().IDs) != 0 {
		t.Fatal("Including changed the signed list's seq or claims")
	}
	if d := merged.Dropped(earlier); d != nil {
		t.Fatalf("merged list drops %+v", d)
	}
	// A list that names part of them drops the rest.
	part := parseList(t, ks, vendor, &token.Revocations{Issuer: "acme", Seq: 2, IDs: [][]byte{lic.ID},
		Granted: []token.GrantIDs{{Grant: gid, IDs: [][]byte{gid}}}})
	want := &token.Revocations{KeyIDs: earlier.KeyIDs, Granted: []token.GrantIDs{{Grant: gid, IDs: [][]byte{lic.ID}}}}
	if d := part.Dropped(earlier); !reflect.DeepEqual(d, want) {
		t.Fatalf("Dropped = %+v, want %+v", d, want)
	}
	// Including twice keeps both sets.
	twice, err := merged.Including(&token.Revocations{IDs: [][]byte{gid}})
	if err != nil {
		t.Fatal(err)
	}
	if !twice.RevokesID(gid) || !twice.RevokesID(lic.ID) || !twice.RevokesKey(token.KeyID(pub(partner))) {
		t.Fatal("Including of an Including lost entries")
	}
	if merged.RevokesID(gid) {
		t.Fatal("Including changed the list it was called on")
	}
	if _, err := empty.Including(&token.Revocations{IDs: [][]byte{{1, 2}}}); err == nil {
		t.Fatal("Including accepted an id of 2 bytes")
	}
	// Remembered kid entries of a key trusted without an issuer apply
	// whatever the license's issuer.
	ks2 := keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme"}, verify.Key{PublicKey: pub(other)})
	emptyAcme := parseList(t, ks2, vendor, &token.Revocations{Issuer: "acme", Seq: 3})
	kept, err := emptyAcme.Including(&token.Revocations{KeyIDs: [][]byte{token.KeyID(pub(other))}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = verifier(t, ks2, verify.WithRevocations(kept)).Verify(mint(t, other, license(func(l *token.License) { l.Issuer = "w" }), nil))
	requireCode(t, err, verify.CodeRevoked)
}

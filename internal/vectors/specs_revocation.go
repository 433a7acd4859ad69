package vectors

import (
	"crypto/sha512"
	"errors"
	"strings"
	"time"

	"filippo.io/edwards25519"

	"github.com/licet/licet/token"
)

// listBy returns a revocation list of issuer, signed by the named key,
// in compact text form; r gives the entries.
func listBy(key, issuer string, r token.Revocations) string {
	r.Issuer, r.Seq = issuer, 4
	r.IssuedAt = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	r.NextUpdate = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	return must(token.EncodeText(must(token.SignRevocations(PrivateKey(key), &r)), ""))
}

// revocationScopeSpecs are the vectors of issue 18 items 1 and 3 and of
// grant-scoped revocation entries (gcti): which list entries reach which
// licenses, and small-order partner keys.
func revocationScopeSpecs() []*spec {
	var out []*spec
	add := func(s *spec) *spec { out = append(out, s); return s }

	// A kid entry for a key trusted without an issuer holds whatever iss
	// the key's holder writes.
	l := license("revoked-key-without-issuer")
	l.Issuer = "globex"
	s := add(vec("revoked-key-without-issuer", "revoked",
		"Both trusted keys name no issuer. The list of acme (signed by the first) names the kid of the second, which signed this license with iss globex:\na kid entry for a key trusted without an issuer revokes everything it signed, whatever iss it claims (the key's holder chooses iss).",
		signLicense(KeyVendor2, l, nil)))
	s.keys = []string{keyLine(KeyVendor), keyLine(KeyVendor2)}
	s.revs = listBy(KeyVendor, "acme", token.Revocations{KeyIDs: [][]byte{kidOf(KeyVendor2)}})

	gg := grant("signed by a key without issuer")
	gg.Issuer = "globex"
	s = add(vec("revoked-grant-key-without-issuer", "revoked",
		"The grant is signed by a trusted key without an issuer, with iss globex; acme's list names that key's kid: the license under the grant is revoked.",
		signLicense(KeyPartner, partnerLicense("revoked-grant-key-without-issuer"), signGrant(KeyVendor2, gg))))
	s.keys = []string{vendorLine, keyLine(KeyVendor2)}
	s.revs = listBy(KeyVendor, "acme", token.Revocations{KeyIDs: [][]byte{kidOf(KeyVendor2)}})

	// Grant-scoped entries: a license minted under a grant is revoked by
	// a gcti pair naming its grant and id, never by its id alone.
	g := signGrant(KeyVendor, grant("base"))
	shared := ID("license id minted under two grants")
	byPair := listBy(KeyVendor, "acme", token.Revocations{
		Granted: []token.GrantIDs{{Grant: ID("grant base"), IDs: [][]byte{shared}}},
	})
	pl := partnerLicense("revoked-gcti")
	pl.ID = shared
	s = add(vec("revoked-gcti", "revoked",
		"The list's gcti pair names the grant this license was minted under and the license's id.",
		signLicense(KeyPartner, pl, g)))
	s.revs = byPair
	pl = partnerLicense("valid-gcti-same-id-other-grant")
	pl.ID = shared
	s = add(vec("valid-gcti-same-id-other-grant", ExpectValid,
		"Same license id as revoked-gcti and the same list, but minted under another grant: a gcti pair revokes the id under its grant only.",
		signLicense(KeyPartner, pl, signGrant(KeyVendor, grant("other")))))
	s.revs = byPair
	s.scopes = []string{"api:read"}
	pl = partnerLicense("valid-cti-names-license-under-grant")
	s = add(vec("valid-cti-names-license-under-grant", ExpectValid,
		"The list's plain cti names this license's id, but the license was minted under a grant: a plain cti entry revokes grants and licenses signed directly by a trusted key, not a license minted under a grant (ids are unique per grant only).",
		signLicense(KeyPartner, pl, g)))
	s.revs = listBy(KeyVendor, "acme", token.Revocations{IDs: [][]byte{pl.ID}})

	// A grant whose cnf key is of small order: under it anyone can sign,
	// and the signatures below verify with the equation of section 9.
	add(vec("grant-invalid-cnf-small-order", "grant_invalid",
		"The grant's cnf key is the identity point (01 00 ... 00); the license's signature is forged without any private key (R = B, S = 1) and verifies under it.\nA verifier refuses small-order cnf keys (FORMAT section 9).",
		forgedUnderSmallOrder("grant-invalid-cnf-small-order", smallOrderKey(1, false))))
	add(vec("grant-invalid-cnf-small-order-8", "grant_invalid",
		"The grant's cnf key is a point of order 8, written with the sign bit set; the license's signature is forged ([k]A is the identity for the k of this R).\nA verifier refuses small-order cnf keys, in either sign (FORMAT section 9).",
		forgedUnderSmallOrder("grant-invalid-cnf-small-order-8", smallOrderKey(3, true))))
	return out
}

// smallOrderKey returns the i-th encoding of token's small-order list,
// with the sign bit set when neg.
func smallOrderKey(i int, neg bool) []byte {
	keys := [][]byte{
		make([]byte, 32),
		append([]byte{1}, make([]byte, 31)...),
		nil,
		{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
			0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
	}
	k := append([]byte(nil), keys[i]...)
	if neg {
		k[31] |= 0x80
	}
	if !token.IsSmallOrder(k) {
		panic(genError{errors.New("vectors: smallOrderKey is not of small order")})
	}
	return k
}

// forgedUnderSmallOrder returns a license of the partner license claims,
// under a grant signed by the vendor whose cnf key is small (a point of
// small order), with a signature made without any private key: R = [s]B
// and S = s, for the first s >= 1 for which [k]A is the identity, so that
// [S]B - [k]A = R.
func forgedUnderSmallOrder(name string, small []byte) []byte {
	// The grant claims, with the partner key's bytes replaced.
	gc := must(grant(name).MarshalClaims())
	partner := []byte(PublicKey(KeyPartner))
	i := strings.Index(string(gc), string(partner))
	if i < 0 {
		panic(genError{errors.New("vectors: the grant claims do not hold the partner key")})
	}
	gc = cat(gc[:i], small, gc[i+len(partner):])
	grantRaw := signEnvelope(PrivateKey(KeyVendor), marshal(header(token.AlgEdDSA, kidOf(KeyVendor), token.TypeGrant, nil)), gc)

	protected := marshal(header(token.AlgEdDSA, token.KeyID(small), token.TypeLicense, map[any]any{13: rawMessage(grantRaw)}))
	payload := must(partnerLicense(name).MarshalClaims())
	tbs := (&token.Message{Protected: protected, Payload: payload}).AppendToBeSigned(nil)
	A, err := new(edwards25519.Point).SetBytes(small)
	if err != nil {
		panic(genError{err})
	}
	for s := uint64(1); s < 1000; s++ {
		var sb [32]byte
		for j := range 8 {
			sb[j] = byte(s >> (8 * j))
		}
		S := must(edwards25519.NewScalar().SetCanonicalBytes(sb[:]))
		R := new(edwards25519.Point).ScalarBaseMult(S).Bytes()
		h := sha512.New()
		h.Write(R)
		h.Write(small)
		h.Write(tbs)
		k := must(edwards25519.NewScalar().SetUniformBytes(h.Sum(nil)))
		if new(edwards25519.Point).ScalarMult(k, A).Equal(edwards25519.NewIdentityPoint()) == 1 {
			return envelope(protected, []byte{0xa0}, payload, cat(R, sb[:]))
		}
	}
	panic(genError{errors.New("vectors: no forgery found")})
}

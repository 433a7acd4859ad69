package vectors

import (
	"errors"
	"strings"
	"time"

	"github.com/licet/licet/token"
)

// Integer keys no int64 holds, encoded.
var (
	keyUint64Max = []byte{0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff} // 2^64-1
	keyNint64Min = []byte{0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff} // -2^64
)

// hardeningSpecs are the cases of an outside review (grant ceilings, the
// partner key's own status, wide integer labels, nested duplicates,
// per-issuer revocation lists, strict forms).
func hardeningSpecs() []*spec {
	var out []*spec
	add := func(s *spec) *spec { out = append(out, s); return s }
	g := signGrant(KeyVendor, grant("base"))

	// Grant ceilings: maxlife bounds exp + grace - iat; maxgrace bounds
	// grace; a ceiling of 0 is a ceiling.
	l := partnerLicense("grant-violation-grace-beyond-maxlife")
	l.Expiry = l.IssuedAt.Add(14 * 24 * time.Hour)
	l.Grace = 1400 * 24 * time.Hour
	add(vec("grant-violation-grace-beyond-maxlife", "grant_violation",
		"exp is 14 days after iat, but 1400 days of grace make the license verify for 1414 days; the grant's maxlife (400 days) bounds exp + grace - iat.",
		signLicense(KeyPartner, l, g)))
	mg := grant("maxgrace")
	mg.MaxGrace = durationPtr(7 * 24 * time.Hour)
	mgRaw := signGrant(KeyVendor, mg)
	l = partnerLicense("grant-violation-maxgrace")
	l.Grace = 8 * 24 * time.Hour
	add(vec("grant-violation-maxgrace", "grant_violation", "Grace of 8 days; the grant's maxgrace is 7 days.", signLicense(KeyPartner, l, mgRaw)))
	l = partnerLicense("valid-grant-maxgrace")
	l.Grace = 7 * 24 * time.Hour
	add(vec("valid-grant-maxgrace", ExpectValid, "Grace of 7 days, exactly the grant's maxgrace; exp + grace - iat within maxlife.",
		signLicense(KeyPartner, l, mgRaw))).scopes = []string{"api:read"}
	zero := grant("maxlife zero")
	zero.MaxLife = durationPtr(0)
	add(vec("grant-violation-maxlife-zero", "grant_violation", "The grant's maxlife is present and 0: a ceiling of zero, which no license fits (not \"no limit\").",
		signLicense(KeyPartner, partnerLicense("grant-violation-maxlife-zero"), signGrant(KeyVendor, zero))))
	zg := grant("maxgrace zero")
	zg.MaxGrace = durationPtr(0)
	l = partnerLicense("grant-violation-maxgrace-zero")
	l.Grace = time.Second
	add(vec("grant-violation-maxgrace-zero", "grant_violation", "The grant's maxgrace is 0: one second of grace violates it.",
		signLicense(KeyPartner, l, signGrant(KeyVendor, zg))))

	// The partner key listed among the trusted keys keeps its status.
	s := add(vec("key-not-valid-grant-key-revoked", "key_not_valid",
		"The partner key named by the grant's cnf is also a trusted key, marked revoked: what it signs under the grant fails too.",
		signLicense(KeyPartner, partnerLicense("key-not-valid-grant-key-revoked"), g)))
	s.keys = []string{vendorLine, keyLine(KeyPartner, "issuer=reseller", "revoked")}
	s = add(vec("key-not-valid-grant-key-retired", "key_not_valid",
		"The partner key is also a trusted key, retired (not_after) before the license's iat.",
		signLicense(KeyPartner, partnerLicense("key-not-valid-grant-key-retired"), g)))
	s.keys = []string{vendorLine, keyLine(KeyPartner, "not_after=2025-12-31T00:00:00Z")}
	s = add(vec("wrong-issuer-grant-key", "wrong_issuer",
		"The partner key is also a trusted key of issuer acme; the license's iss is reseller.",
		signLicense(KeyPartner, partnerLicense("wrong-issuer-grant-key"), g)))
	s.keys = []string{vendorLine, keyLine(KeyPartner, "issuer=acme")}
	s = add(vec("valid-grant-key-trusted", ExpectValid,
		"The partner key is also a trusted, valid key of issuer reseller: the license verifies as under the grant alone.",
		signLicense(KeyPartner, partnerLicense("valid-grant-key-trusted"), g)))
	s.keys = []string{vendorLine, keyLine(KeyPartner, "issuer=reseller")}

	// Integer claim keys and header labels outside int64 are unknown
	// labels: ignored.
	base := marshal(claims("valid-claim-key-uint64-max"))
	add(vec("valid-claim-key-uint64-max", ExpectValid, "An unknown claim with integer key 2^64-1 (outside int64): ignored.",
		signClaims(KeyVendor, addPair(base, keyUint64Max, []byte{0x01}))))
	base = marshal(claims("valid-claim-key-nint64-min"))
	add(vec("valid-claim-key-nint64-min", ExpectValid, "An unknown claim with integer key -2^64 (outside int64): ignored.",
		signClaims(KeyVendor, addPair(base, keyNint64Min, []byte{0x01}))))
	add(vec("valid-header-label-uint64-max", ExpectValid, "An unknown protected header label 2^64-1 (outside int64): ignored.",
		signEnvelope(PrivateKey(KeyVendor), addPair(marshal(licenseHeader(KeyVendor)), keyUint64Max, []byte{0x01}),
			marshal(claims("valid-header-label-uint64-max")))))
	add(mal("malformed-header-label-uint64-max-twice", StageEnvelope, "The unknown protected header label 2^64-1 twice: a duplicate key.",
		signEnvelope(PrivateKey(KeyVendor), addPair(addPair(marshal(licenseHeader(KeyVendor)), keyUint64Max, []byte{0x01}), keyUint64Max, []byte{0x02}),
			marshal(claims("malformed-header-label-uint64-max-twice")))))

	// Duplicate keys nested inside unknown members of the grant's cnf.
	gc := must(grant("cnf dup").MarshalClaims())
	cnfKey := marshal(map[any]any{1: 1, -1: 6, -2: []byte(PublicKey(KeyPartner))})
	plainCnf := cat([]byte{0x08, 0xa1, 0x01}, cnfKey)
	dupCnf := cat([]byte{0x08, 0xa2, 0x01}, cnfKey, []byte{0x18, 0x63, 0xa2, 0x01, 0x01, 0x18, 0x01, 0x02})
	i := strings.Index(string(gc), string(plainCnf))
	if i < 0 {
		panic(genError{errors.New("vectors: the grant claims do not hold the expected cnf encoding")})
	}
	gcDup := cat(gc[:i], dupCnf, gc[i+len(plainCnf):])
	add(vec("grant-invalid-cnf-nested-duplicate", "grant_invalid",
		"The grant's cnf map has an unknown member 99 whose map repeats key 1 (the second time in two bytes): strict decoding holds at every level.",
		signLicense(KeyPartner, partnerLicense("grant-invalid-cnf-nested-duplicate"),
			signEnvelope(PrivateKey(KeyVendor), marshal(header(token.AlgEdDSA, kidOf(KeyVendor), token.TypeGrant, nil)), gcDup))))

	// A revocation list applies only to its own issuer's licenses.
	lic := license("valid-revocations-other-issuer")
	s = add(vec("valid-revocations-other-issuer", ExpectValid,
		"The revocation list is signed by a trusted key of issuer beta, names this license's cti and acme's key: it applies only to beta's licenses.",
		signLicense(KeyVendor, lic, nil)))
	s.keys = []string{vendorLine, keyLine(KeyStranger, "issuer=beta")}
	s.revs = must(token.EncodeText(must(token.SignRevocations(PrivateKey(KeyStranger), &token.Revocations{
		Issuer: "beta", NextUpdate: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), IssuedAt: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
		Seq: 3, IDs: [][]byte{lic.ID}, KeyIDs: [][]byte{kidOf(KeyVendor)},
	})), ""))

	// A CBOR simple value is not an unsigned integer; values of known
	// header labels are strict too (both found by the JS verifier's
	// differential test against Go).
	txt := func(t string) []byte { return append([]byte{0x60 | byte(len(t))}, t...) }
	add(mal("malformed-limit-simple-value", StageClaims, "limits {\"seats\": simple(5)}: a simple value (0xe5) is not an unsigned integer.",
		signClaims(KeyVendor, addPair(marshal(claims("malformed-limit-simple-value")), txt("limits"), cat([]byte{0xa1}, txt("seats"), []byte{0xe5})))))
	add(mal("malformed-grace-simple-value", StageClaims, "grace is simple(64) (0xf8 0x40), not an unsigned integer.",
		signClaims(KeyVendor, addPair(marshal(claims("malformed-grace-simple-value")), txt("grace"), []byte{0xf8, 0x40}))))
	add(mal("malformed-header-alg-duplicate-map", StageEnvelope, "alg is a map that repeats key 1: strict decoding holds inside known header labels of any type (malformed, not unsupported_alg).",
		signEnvelope(PrivateKey(KeyVendor), cat([]byte{0xa3, 0x01, 0xa2, 0x01, 0x01, 0x01, 0x02}, []byte{0x04}, bstr(kidOf(KeyVendor)), []byte{0x10}, txt(token.TypeLicense)),
			marshal(claims("malformed-header-alg-duplicate-map")))))

	// Forms: ASCII white space around any form is ignored, PEM is one
	// canonical block of the object's type.
	good := signLicense(KeyVendor, license("valid-raw-trailing-newline"), nil)
	add(vec("valid-raw-trailing-newline", ExpectValid, "A raw token followed by a line feed, as a file saved by an editor: ASCII white space around any form is ignored.",
		cat(good, []byte("\n")))).form = FormRaw
	pemRaw := signLicense(KeyVendor, license("malformed-pem-grant-block"), nil)
	s = add(mal("malformed-pem-grant-block", StageEnvelope, "A license in a LICET GRANT PEM block: the block type must match the object.", pemRaw))
	s.form, s.text = FormPEM, strings.TrimSuffix(string(token.EncodePEM(pemRaw, token.PEMGrant, nil)), "\n")
	pemRaw = signLicense(KeyVendor, license("malformed-pem-broken-block-first"), nil)
	s = add(mal("malformed-pem-broken-block-first", StageEnvelope, "A broken LICET LICENSE block, then a valid one: exactly one canonical block is accepted.", pemRaw))
	s.form, s.text = FormPEM, "-----BEGIN LICET LICENSE-----\n!!!!\n-----END LICET LICENSE-----\n"+strings.TrimSuffix(string(token.EncodePEM(pemRaw, token.PEMLicense, nil)), "\n")
	pemRaw = signLicense(KeyVendor, license("malformed-pem-76-columns"), nil)
	s = add(mal("malformed-pem-76-columns", StageEnvelope, "A valid license's PEM body re-wrapped at 76 columns: PEM must be canonical (64 columns).", pemRaw))
	s.form, s.text = FormPEM, rewrapPEM(token.EncodePEM(pemRaw, token.PEMLicense, nil), 76)
	return append(out, revocationScopeSpecs()...)
}

// rewrapPEM re-wraps the body of an encoded PEM block at width columns.
func rewrapPEM(block []byte, width int) string {
	lines := strings.Split(strings.TrimSuffix(string(block), "\n"), "\n")
	body := strings.Join(lines[1:len(lines)-1], "")
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for len(body) > width {
		b.WriteString(body[:width] + "\n")
		body = body[width:]
	}
	b.WriteString(body + "\n" + lines[len(lines)-1])
	return b.String()
}

package vectors

import (
	"fmt"
	"strings"
	"time"

	"github.com/licet/licet/token"
)

// vec returns a vector with the common defaults: now 2026-06-01T12:00:00Z,
// product acme-db at version 2.1.0, the vendor key trusted, text form.
func vec(name, expect, comment string, raw []byte) *spec {
	return &spec{
		name: name, expect: expect, comment: comment,
		now: tNow, product: "acme-db", version: "2.1.0",
		keys: []string{vendorLine}, form: FormText, raw: raw,
	}
}

// mal returns a malformed vector rejected at stage.
func mal(name, stage, comment string, raw []byte) *spec {
	s := vec(name, ExpectMalformed, comment, raw)
	s.stage = stage
	return s
}

func allSpecs() []*spec {
	var out []*spec
	for _, group := range [][]*spec{validSpecs(), envelopeSpecs(), claimsSpecs(), checkSpecs(), grantSpecs(), hardeningSpecs(), fallbackSpecs(), siteSpecs()} {
		out = append(out, group...)
	}
	return out
}

func validSpecs() []*spec {
	var out []*spec
	add := func(s *spec) *spec { out = append(out, s); return s }

	add(vec("valid-basic", ExpectValid,
		"A typical license in compact text form: every check passes.",
		signLicense(KeyVendor, license("valid-basic"), nil))).scopes = []string{"api:read", "reports:daily"}

	l := license("valid-perpetual")
	l.Expiry = time.Time{}
	l.Versions = ""
	add(vec("valid-perpetual", ExpectValid,
		"No exp claim: the license never expires.",
		signLicense(KeyVendor, l, nil))).now = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)

	l = license("valid-in-grace")
	l.Expiry = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	l.Grace = 60 * 24 * time.Hour
	s := add(vec("valid-in-grace", ExpectValid,
		"Expired a month ago, with 60 days of grace: valid, flagged in grace.",
		signLicense(KeyVendor, l, nil)))
	s.inGrace = true

	l = license("valid-grace-not-needed")
	l.Grace = 60 * 24 * time.Hour
	add(vec("valid-grace-not-needed", ExpectValid,
		"A grace period on a license that has not expired: not in grace.",
		signLicense(KeyVendor, l, nil)))

	l = license("valid-wildcard-area")
	l.Scopes = []string{"api:*"}
	add(vec("valid-wildcard-area", ExpectValid,
		"Granted api:* covers api:read and api:admin:users.",
		signLicense(KeyVendor, l, nil))).scopes = []string{"api:read", "api:admin:users"}

	l = license("valid-wildcard-all")
	l.Scopes = []string{"*"}
	add(vec("valid-wildcard-all", ExpectValid,
		"Granted * covers every scope.",
		signLicense(KeyVendor, l, nil))).scopes = []string{"connectors:salesforce", "billing"}

	l = license("valid-multi-product")
	l.Audience = []string{"acme-db", "acme-cloud"}
	s = add(vec("valid-multi-product", ExpectValid,
		"aud is an array of two products; the verifier names the second.",
		signLicense(KeyVendor, l, nil)))
	s.product = "acme-cloud"

	s = add(vec("valid-branded-prefix", ExpectValid,
		"Compact text with a vendor's own prefix instead of licet1.",
		signLicense(KeyVendor, license("valid-branded-prefix"), nil)))
	s.prefix = "acme-lic"

	s = add(vec("valid-pem", ExpectValid,
		"PEM form; the PEM headers are informational and not signed.",
		signLicense(KeyVendor, license("valid-pem"), nil)))
	s.form = FormPEM
	s.pemHeaders = map[string]string{"Licensee": "customer-4711", "Tier": "enterprise (not signed, ignored)"}

	s = add(vec("valid-raw", ExpectValid,
		"Raw form: the COSE_Sign1 bytes.",
		signLicense(KeyVendor, license("valid-raw"), nil)))
	s.form = FormRaw

	payload := must(license("valid-alg-ed25519").MarshalClaims())
	add(vec("valid-alg-ed25519", ExpectValid,
		"alg -19 (Ed25519, RFC 9864) instead of -8: verifiers accept both.",
		signEnvelope(PrivateKey(KeyVendor), marshal(header(token.AlgEd25519, kidOf(KeyVendor), token.TypeLicense, nil)), payload)))

	add(vec("valid-unknown-header-label", ExpectValid,
		"The protected header carries labels 3 (content type) and 99 that verifiers do not know: ignored.",
		signEnvelope(PrivateKey(KeyVendor),
			marshal(header(token.AlgEdDSA, kidOf(KeyVendor), token.TypeLicense, map[any]any{3: "application/cwt", 99: "x"})),
			must(license("valid-unknown-header-label").MarshalClaims()))))

	add(vec("valid-header-crit-known", ExpectValid,
		"crit names only header labels every verifier understands (1 and 16).",
		signEnvelope(PrivateKey(KeyVendor),
			marshal(header(token.AlgEdDSA, kidOf(KeyVendor), token.TypeLicense, map[any]any{2: []int{1, 16}})),
			must(license("valid-header-crit-known").MarshalClaims()))))

	// Not core deterministic: keys out of order, integers longer than
	// needed. The signature covers these exact bytes, so it verifies.
	nonCanonHdr := cat([]byte{0xa3, 0x10}, marshal(token.TypeLicense), []byte{0x04}, marshal(kidOf(KeyVendor)), []byte{0x01, 0x38, 0x07})
	nonCanonClaims := cat([]byte{0xa8},
		marshal("tier"), marshal("pro"),
		[]byte{0x18, 0x07}, marshal(ID("valid-noncanonical-encoding")),
		[]byte{0x06, 0x1b}, []byte{0, 0, 0, 0, byte(tIat.Unix() >> 24), byte(tIat.Unix() >> 16), byte(tIat.Unix() >> 8), byte(tIat.Unix())},
		[]byte{0x04, 0x1b}, []byte{0, 0, 0, 0, byte(tExp.Unix() >> 24), byte(tExp.Unix() >> 16), byte(tExp.Unix() >> 8), byte(tExp.Unix())},
		[]byte{0x03}, marshal([]string{"acme-db"}),
		[]byte{0x02, 0x78, 0x0d}, []byte("customer-4711"),
		[]byte{0x01}, marshal("acme"),
		marshal("scopes"), []byte{0x98, 0x01}, marshal("api:read"))
	add(vec("valid-noncanonical-encoding", ExpectValid,
		"Protected header and claims not in core deterministic encoding (keys out of order, integers and lengths longer than needed):\nissuers never write this, but it is well formed and the signature covers these exact bytes, so it verifies.\nA verifier must check the signature over the bytes received, never over a re-encoding.",
		signEnvelope(PrivateKey(KeyVendor), nonCanonHdr, nonCanonClaims))).scopes = []string{"api:read"}

	c := claims("valid-unknown-claim")
	c["future"] = map[string]any{"x": []int{1, 2}}
	c[-70000] = "private claim"
	add(vec("valid-unknown-claim", ExpectValid,
		"Claims this verifier does not know (\"future\" and -70000), not listed in crit: ignored.",
		signClaims(KeyVendor, marshal(c))))

	l = license("valid-crit-known")
	l.Crit = []string{"tier", "versions"}
	add(vec("valid-crit-known", ExpectValid,
		"crit lists only claims of FORMAT sections 3 and 4.",
		signLicense(KeyVendor, l, nil)))

	c = claims("valid-aud-array-of-one")
	c[3] = []string{"acme-db"}
	add(vec("valid-aud-array-of-one", ExpectValid,
		"aud as an array of one product (issuers write a text string; both are valid).",
		signClaims(KeyVendor, marshal(c))))

	l = license("valid-no-version")
	s = add(vec("valid-no-version", ExpectValid,
		"The vector gives no product version: the versions claim is not checked.",
		signLicense(KeyVendor, l, nil)))
	s.version = ""

	l = license("valid-version-boundary")
	l.Versions = ">= 2.1.0, < 2.2"
	add(vec("valid-version-boundary", ExpectValid,
		"Version 2.1.0 at the inclusive lower bound of the range.",
		signLicense(KeyVendor, l, nil)))

	l = license("valid-bind")
	l.Bind = map[string]string{"host": "fp-7f3a"}
	s = add(vec("valid-bind", ExpectValid,
		"Bound to host fp-7f3a; the machine has that host and another value the license does not name.",
		signLicense(KeyVendor, l, nil)))
	s.bind = []string{"host=fp-7f3a", "os=linux"}

	l = license("valid-revocations-other")
	s = add(vec("valid-revocations-other", ExpectValid,
		"A revocation list that names other licenses and another key.",
		signLicense(KeyVendor, l, nil)))
	s.revs = revocationList([][]byte{ID("someone else"), ID("another one")}, [][]byte{kidOf(KeyStranger)})

	l = license("valid-second-key")
	s = add(vec("valid-second-key", ExpectValid,
		"Two trusted keys; the license is signed by the second.",
		signLicense(KeyVendor2, l, nil)))
	s.keys = []string{vendorLine, keyLine(KeyVendor2, "issuer=acme")}

	l = license("valid-key-window")
	s = add(vec("valid-key-window", ExpectValid,
		"The key was retired on 2026-03-01; the license was issued before that, so it still verifies.",
		signLicense(KeyVendor, l, nil)))
	s.keys = []string{keyLine(KeyVendor, "issuer=acme", "not_before=2025-01-01T00:00:00Z", "not_after=2026-03-01T00:00:00Z")}

	l = license("valid-key-without-issuer")
	l.Issuer = "acme-labs"
	s = add(vec("valid-key-without-issuer", ExpectValid,
		"The trusted key names no issuer: iss is not checked.",
		signLicense(KeyVendor, l, nil)))
	s.keys = []string{keyLine(KeyVendor)}

	l = license("valid-expired-within-leeway")
	l.Expiry = tNow.Add(-4 * time.Minute)
	add(vec("valid-expired-within-leeway", ExpectValid,
		"exp passed 4 minutes ago, inside the default 5 minute leeway: valid, not in grace.",
		signLicense(KeyVendor, l, nil)))

	l = license("valid-nbf-within-leeway")
	l.NotBefore = tNow.Add(4 * time.Minute)
	add(vec("valid-nbf-within-leeway", ExpectValid,
		"nbf is 4 minutes ahead, inside the default 5 minute leeway.",
		signLicense(KeyVendor, l, nil)))

	l = license("valid-exp-at-leeway-edge")
	l.Expiry = tNow.Add(-5 * time.Minute)
	add(vec("valid-exp-at-leeway-edge", ExpectValid,
		"exp is exactly 5 minutes ago: now <= exp + leeway holds at equality.",
		signLicense(KeyVendor, l, nil)))

	l = license("valid-nbf-at-leeway-edge")
	l.NotBefore = tNow.Add(5 * time.Minute)
	l.IssuedAt = tNow.Add(5 * time.Minute)
	add(vec("valid-nbf-at-leeway-edge", ExpectValid,
		"nbf and iat are exactly 5 minutes ahead: nbf <= now + leeway and iat <= now + leeway hold at equality.",
		signLicense(KeyVendor, l, nil)))

	l = license("valid-grace-edge")
	l.Expiry = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	l.Grace = tNow.Sub(l.Expiry) - 5*time.Minute
	s = add(vec("valid-grace-edge", ExpectValid,
		"now is exactly exp + leeway (5 minutes) + grace: the last second of grace.",
		signLicense(KeyVendor, l, nil)))
	s.inGrace = true

	l = license("valid-key-window-edge")
	s = add(vec("valid-key-window-edge", ExpectValid,
		"The key's window starts and ends exactly at the license's iat: both bounds are inclusive.",
		signLicense(KeyVendor, l, nil)))
	s.keys = []string{keyLine(KeyVendor, "issuer=acme", "not_before=2026-01-01T00:00:00Z", "not_after=2026-01-01T00:00:00Z")}

	l = license("valid-exp-equals-now")
	l.Expiry = tNow
	s = add(vec("valid-exp-equals-now", ExpectValid,
		"Leeway 0 and exp exactly now: now <= exp holds.",
		signLicense(KeyVendor, l, nil)))
	s.leeway = "0"

	l = license("valid-minimal-claims-far-expiry")
	l.Expiry = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	l.Scopes = nil
	l.Limits, l.Rights, l.Meta = nil, nil, nil
	add(vec("valid-minimal-claims-far-expiry", ExpectValid,
		"Only the required claims and exp at 9999-12-31T23:59:59Z, the largest accepted time.",
		signLicense(KeyVendor, l, nil)))

	return out
}

func envelopeSpecs() []*spec {
	var out []*spec
	add := func(s *spec) *spec { out = append(out, s); return s }
	env := func(name, comment string, raw []byte) *spec {
		return add(mal(name, StageEnvelope, comment, raw))
	}
	good := signLicense(KeyVendor, license("malformed-envelope"), nil)
	m := must(token.ParseMessage(good))
	lh := marshal(licenseHeader(KeyVendor))
	vendor := PrivateKey(KeyVendor)

	env("malformed-trailing-bytes-raw", "A valid raw token followed by one zero byte.", cat(good, []byte{0})).form = FormRaw
	env("malformed-trailing-bytes-text", "Compact text of a valid token followed by one zero byte.", cat(good, []byte{0}))
	env("malformed-trailing-item", "A valid token followed by a second CBOR item (an empty map).", cat(good, []byte{0xa0}))
	env("malformed-truncated", "A valid token missing its last byte.", good[:len(good)-1])
	env("malformed-untagged", "The COSE_Sign1 array without tag 18.", good[1:])
	env("malformed-wrong-tag", "Tag 98 (COSE_Sign) instead of 18.", cat([]byte{0xd8, 0x62}, good[1:]))
	env("malformed-double-tag", "Tag 18 twice.", cat([]byte{0xd2}, good))
	env("malformed-envelope-tag-not-shortest", "Tag 18 written in two bytes (d8 12): every envelope head must be in shortest form (docs/FORMAT.md), else one signed object would have several encodings.",
		cat([]byte{0xd8, 0x12}, good[1:]))
	env("malformed-envelope-array-not-shortest", "The 4-item array head written in two bytes (98 04).",
		cat([]byte{0xd2, 0x98, 0x04}, good[2:]))
	env("malformed-envelope-length-not-shortest", "The signature length written in three bytes (59 00 40).",
		cat([]byte{0xd2, 0x84}, bstr(m.Protected), []byte{0xa0}, bstr(m.Payload), []byte{0x59, 0x00, 0x40}, m.Signature))
	env("malformed-envelope-map-not-shortest", "The empty unprotected map written in two bytes (b8 00).",
		envelope(m.Protected, []byte{0xb8, 0x00}, m.Payload, m.Signature))
	env("malformed-envelope-indefinite-array", "The COSE_Sign1 array has an indefinite-length head.",
		cat([]byte{0xd2, 0x9f}, good[2:], []byte{0xff}))
	env("malformed-envelope-three-items", "The COSE_Sign1 array has three items (no signature).",
		cat([]byte{0xd2, 0x83}, bstr(m.Protected), []byte{0xa0}, bstr(m.Payload)))
	env("malformed-envelope-five-items", "The COSE_Sign1 array has a fifth item.",
		cat([]byte{0xd2, 0x85}, good[2:], []byte{0x00}))
	env("malformed-payload-indefinite", "The payload is an indefinite-length byte string of two chunks.",
		cat([]byte{0xd2, 0x84}, bstr(m.Protected), []byte{0xa0, 0x5f}, bstr(m.Payload[:10]), bstr(m.Payload[10:]), []byte{0xff}, bstr(m.Signature)))
	env("malformed-unprotected-not-empty", "The unprotected header carries the kid: nothing may be there, it is not signed.",
		envelope(m.Protected, marshal(map[int][]byte{4: kidOf(KeyVendor)}), m.Payload, m.Signature))
	env("malformed-unprotected-not-map", "The unprotected header is an empty array instead of a map.",
		envelope(m.Protected, []byte{0x80}, m.Payload, m.Signature))
	env("malformed-protected-not-bstr", "The protected header is a map, not a byte string wrapping one.",
		cat([]byte{0xd2, 0x84}, m.Protected, []byte{0xa0}, bstr(m.Payload), bstr(m.Signature)))
	env("malformed-payload-nil", "Detached payload (null): licet objects always carry their payload.",
		cat([]byte{0xd2, 0x84}, bstr(m.Protected), []byte{0xa0, 0xf6}, bstr(m.Signature)))
	env("malformed-signature-short", "A 63-byte signature.",
		envelope(m.Protected, []byte{0xa0}, m.Payload, m.Signature[:63]))
	env("malformed-signature-long", "A 65-byte signature.",
		envelope(m.Protected, []byte{0xa0}, m.Payload, append(append([]byte(nil), m.Signature...), 0)))

	dupHdr := addPair(lh, marshal(1), marshal(-8))
	env("malformed-protected-duplicate-label", "The protected header has label 1 (alg) twice, signed.",
		signEnvelope(vendor, dupHdr, m.Payload))
	env("malformed-protected-duplicate-in-unknown-label", "The protected header's unknown label 99 holds a map with key 1 twice, signed: duplicate keys are malformed at every level.",
		signEnvelope(vendor, addPair(lh, marshal(99), addPair(marshal(map[int]int{1: 1}), marshal(1), marshal(2))), m.Payload))
	env("malformed-protected-indefinite-map", "The protected header map has an indefinite-length head, signed.",
		signEnvelope(vendor, indefiniteMap(lh), m.Payload))
	env("malformed-protected-trailing-bytes", "The protected header byte string holds the map and one more byte, signed.",
		signEnvelope(vendor, cat(lh, []byte{0}), m.Payload))
	env("malformed-protected-not-map", "The protected header byte string holds an array, signed.",
		signEnvelope(vendor, marshal([]any{1, -8}), m.Payload))
	env("malformed-header-tag", "The typ value is wrapped in tag 24: tags are allowed only for the embedded grant.",
		signEnvelope(vendor, marshal(header(token.AlgEdDSA, kidOf(KeyVendor), rawMessage(cat([]byte{0xd8, 0x18}, marshal(token.TypeLicense))), nil)), m.Payload))
	env("malformed-header-crit-unknown", "crit lists header label 99, which no verifier understands.",
		signEnvelope(vendor, marshal(header(token.AlgEdDSA, kidOf(KeyVendor), token.TypeLicense, map[any]any{2: []int{99}, 99: 1})), m.Payload))
	env("malformed-header-crit-text-label", "crit lists a text label, which no verifier understands.",
		signEnvelope(vendor, marshal(header(token.AlgEdDSA, kidOf(KeyVendor), token.TypeLicense, map[any]any{2: []string{"x"}, "x": 1})), m.Payload))
	env("malformed-header-crit-empty", "crit is an empty array (RFC 9052 requires at least one label).",
		signEnvelope(vendor, marshal(header(token.AlgEdDSA, kidOf(KeyVendor), token.TypeLicense, map[any]any{2: []int{}})), m.Payload))
	env("malformed-header-label-bytes", "A protected header label that is a byte string (labels are integers or text).",
		signEnvelope(vendor, addPair(lh, marshal([]byte("x")), marshal(1)), m.Payload))
	env("malformed-kid-short", "The kid is 7 bytes.",
		signEnvelope(vendor, marshal(header(token.AlgEdDSA, kidOf(KeyVendor)[:7], token.TypeLicense, nil)), m.Payload))
	env("malformed-kid-missing", "No kid in the protected header.",
		signEnvelope(vendor, marshal(header(token.AlgEdDSA, nil, token.TypeLicense, nil)), m.Payload))
	env("malformed-kid-text", "The kid is a text string.",
		signEnvelope(vendor, marshal(header(token.AlgEdDSA, nil, token.TypeLicense, map[any]any{4: "0123abcd"})), m.Payload))

	env("malformed-bad-base64", "Compact text whose body is not base64url.", nil).text = "licet1.2hhEoQEn!!!!"
	env("malformed-base64-padded", "Compact text with a base64 padding character (=) appended, which the form forbids.", nil).text =
		must(token.EncodeText(good, "")) + "="
	env("malformed-base64-std-alphabet", "Compact text in the standard base64 alphabet (+ and /) instead of base64url.", nil).text =
		stdAlphabet(must(token.EncodeText(good, "")))
	env("malformed-base64-stray-bits", "Compact text whose last character carries non-zero unused low bits: base64url must be canonical.", nil).text =
		strayBits(good)
	env("malformed-prefix-uppercase", "A prefix outside [a-z0-9-].", nil).text = "LICET1." + must(token.EncodeText(good, ""))[len("licet1."):]
	env("malformed-prefix-missing", "Compact text without PREFIX.", nil).text = must(token.EncodeText(good, ""))[len("licet1."):]
	env("malformed-prefix-too-long", "A 33-character prefix (the limit is 32).", nil).text = strings.Repeat("a", 33) + must(token.EncodeText(good, ""))[len("licet1"):]
	s := env("malformed-pem-wrong-type", "A PEM block of type CERTIFICATE around a valid license.", nil)
	s.text = strings.TrimSpace(string(token.EncodePEM(good, "CERTIFICATE", nil)))
	s.form = FormPEM
	s.raw = good
	s = env("malformed-pem-trailing-data", "A valid PEM block followed by more text.", nil)
	s.text = string(token.EncodePEM(good, token.PEMLicense, nil)) + "trailing"
	s.form = FormPEM
	s.raw = good
	env("malformed-text-inner-space", "Compact text with a space in the middle of the base64url.", nil).text =
		func() string { t := must(token.EncodeText(good, "")); return t[:40] + " " + t[40:] }()
	env("malformed-empty-raw", "Raw form with no bytes at all.", nil).form = FormRaw

	big := license("malformed-oversize")
	big.Meta = map[string]string{"blob": strings.Repeat("x", 12500)}
	env("malformed-oversize", "A correctly signed license whose compact text exceeds 16 KiB (16384 bytes): refused before decoding.",
		signLicense(KeyVendor, big, nil))
	return out
}

// strayBits returns the compact text of raw with a non-zero unused bit in
// its last character. raw must not be a multiple of 3 bytes long.
func strayBits(raw []byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(raw)%3 == 0 {
		panic(genError{fmt.Errorf("vectors: strayBits needs a length that is not a multiple of 3")})
	}
	t := must(token.EncodeText(raw, ""))
	last := strings.IndexByte(alphabet, t[len(t)-1])
	return t[:len(t)-1] + string(alphabet[last|1])
}

// stdAlphabet rewrites a compact text token with the standard base64
// alphabet, and makes sure the result differs.
func stdAlphabet(t string) string {
	r := strings.NewReplacer("-", "+", "_", "/").Replace(t)
	if r == t {
		// No - or _ to replace: this cannot be told apart. Force one.
		return t[:len(t)-1] + "+"
	}
	return r
}

func claimsSpecs() []*spec {
	var out []*spec
	add := func(s *spec) *spec { out = append(out, s); return s }
	cl := func(name, comment string, payload []byte) *spec {
		return add(mal(name, StageClaims, comment, signClaims(KeyVendor, payload)))
	}
	base := func(name string, edit func(map[any]any)) []byte {
		c := claims(name)
		edit(c)
		return marshal(c)
	}

	cl("malformed-duplicate-claim", "The claims map has key 1 (iss) twice, with the same value.",
		addPair(marshal(claims("malformed-duplicate-claim")), marshal(1), marshal("acme")))
	cl("malformed-duplicate-claim-text", "The claims map has \"tier\" twice, with different values.",
		addPair(marshal(claims("malformed-duplicate-claim-text")), marshal("tier"), marshal("enterprise")))
	cl("malformed-duplicate-key-in-unknown-claim", "The unknown claim \"future\" is a map with key \"a\" twice: duplicate keys are malformed at every level, also inside a value the verifier otherwise ignores.",
		addPair(marshal(claims("malformed-duplicate-key-in-unknown-claim")), marshal("future"), addPair(marshal(map[string]int{"a": 1}), marshal("a"), marshal(2))))
	cl("malformed-claims-indefinite-map", "The claims map has an indefinite-length head.",
		indefiniteMap(marshal(claims("malformed-claims-indefinite-map"))))
	c := claims("malformed-claims-indefinite-text")
	delete(c, 2)
	cl("malformed-claims-indefinite-text", "sub is an indefinite-length text string of two chunks.",
		addPair(marshal(c), marshal(2), cat([]byte{0x7f}, marshal("customer"), marshal("-4711"), []byte{0xff})))
	cl("malformed-claims-trailing-bytes", "The payload holds the claims map and one more byte.",
		cat(marshal(claims("malformed-claims-trailing-bytes")), []byte{0}))
	cl("malformed-claims-not-map", "The payload is an array.", marshal([]string{"acme"}))
	cl("malformed-claims-empty-payload", "The payload is empty.", []byte{})

	for _, missing := range []struct {
		key  any
		name string
	}{{1, "iss"}, {2, "sub"}, {3, "aud"}, {6, "iat"}, {7, "cti"}, {"tier", "tier"}} {
		name := "malformed-missing-" + missing.name
		cl(name, "The required claim "+missing.name+" is missing.",
			base(name, func(c map[any]any) { delete(c, missing.key) }))
	}
	cl("malformed-bad-versions", "versions is not a go-version constraint.",
		base("malformed-bad-versions", func(c map[any]any) { c["versions"] = ">= banana" }))
	cl("malformed-crit-unknown-claim", "crit names the claim \"frobnicate\", which no verifier understands, and the claim is present.",
		base("malformed-crit-unknown-claim", func(c map[any]any) {
			c["frobnicate"] = "on"
			c["crit"] = []string{"frobnicate"}
		}))
	cl("malformed-crit-empty", "crit is an empty array.",
		base("malformed-crit-empty", func(c map[any]any) { c["crit"] = []string{} }))
	cl("malformed-claims-tag", "exp is wrapped in tag 1 (epoch time): no tags inside claims.",
		base("malformed-claims-tag", func(c map[any]any) { c[4] = rawMessage(cat([]byte{0xc1}, marshal(tExp.Unix()))) }))
	cl("malformed-nesting-too-deep", "An unknown claim nested 17 arrays deep (the limit is 16 levels).",
		base("malformed-nesting-too-deep", func(c map[any]any) {
			c["deep"] = rawMessage(cat([]byte(strings.Repeat("\x81", 17)), []byte{0}))
		}))
	cl("malformed-array-too-long", "rights has 1025 items (the limit is 1024).",
		base("malformed-array-too-long", func(c map[any]any) { c["rights"] = make([]string, 1025) }))
	cl("malformed-map-too-large", "limits has 257 pairs (the limit is 256).",
		base("malformed-map-too-large", func(c map[any]any) {
			lim := map[string]uint64{}
			for i := range 257 {
				lim[string(rune('a'+i%26))+strings.Repeat("x", i/26)] = 1
			}
			c["limits"] = lim
		}))
	cl("malformed-cti-short", "cti is 15 bytes.",
		base("malformed-cti-short", func(c map[any]any) { c[7] = ID("malformed-cti-short")[:15] }))
	cl("malformed-aud-empty-array", "aud is an empty array.",
		base("malformed-aud-empty-array", func(c map[any]any) { c[3] = []string{} }))
	cl("malformed-aud-int", "aud is an integer.",
		base("malformed-aud-int", func(c map[any]any) { c[3] = 7 }))
	cl("malformed-iss-null", "iss is null.",
		base("malformed-iss-null", func(c map[any]any) { c[1] = nil }))
	cl("malformed-iss-int", "iss is an integer.",
		base("malformed-iss-int", func(c map[any]any) { c[1] = 42 }))
	cl("malformed-sub-invalid-utf8", "sub is a text string that is not valid UTF-8.",
		base("malformed-sub-invalid-utf8", func(c map[any]any) { c[2] = rawMessage([]byte{0x62, 0xc3, 0x28}) }))
	cl("malformed-exp-text", "exp is a text date instead of an integer.",
		base("malformed-exp-text", func(c map[any]any) { c[4] = "2027-01-01T00:00:00Z" }))
	cl("malformed-exp-float", "exp is a floating-point number.",
		base("malformed-exp-float", func(c map[any]any) { c[4] = float64(tExp.Unix()) + 0.5 }))
	cl("malformed-exp-out-of-range", "exp is 253402300800, one second after 9999-12-31T23:59:59Z.",
		base("malformed-exp-out-of-range", func(c map[any]any) { c[4] = int64(253402300800) }))
	cl("malformed-scope-with-space", "A scope contains a space.",
		base("malformed-scope-with-space", func(c map[any]any) { c["scopes"] = []string{"api read"} }))
	cl("malformed-scope-unicode-space", "A scope contains a no-break space (U+00A0).",
		base("malformed-scope-unicode-space", func(c map[any]any) { c["scopes"] = []string{"api:\u00a0read"} }))
	cl("malformed-scope-empty", "A scope is the empty string.",
		base("malformed-scope-empty", func(c map[any]any) { c["scopes"] = []string{""} }))
	cl("malformed-grace-negative", "grace is -1.",
		base("malformed-grace-negative", func(c map[any]any) { c["grace"] = -1 }))
	cl("malformed-grace-too-long", "grace is 9223372037 seconds, one more than fits a 64-bit count of nanoseconds (the limit is 9223372036).",
		base("malformed-grace-too-long", func(c map[any]any) { c["grace"] = uint64(9223372037) }))
	cl("malformed-limits-negative", "A limit is -5.",
		base("malformed-limits-negative", func(c map[any]any) { c["limits"] = map[string]int{"seats": -5} }))
	cl("malformed-bind-int", "A bind value is an integer instead of text.",
		base("malformed-bind-int", func(c map[any]any) { c["bind"] = map[string]int{"host": 1} }))
	return out
}

func checkSpecs() []*spec {
	var out []*spec
	add := func(s *spec) *spec { out = append(out, s); return s }
	vendor := PrivateKey(KeyVendor)
	payload := func(name string) []byte { return must(license(name).MarshalClaims()) }

	// unsupported_alg
	add(vec("unsupported-alg-es256", "unsupported_alg", "alg -7 (ES256), though the signature is Ed25519.",
		signEnvelope(vendor, marshal(header(-7, kidOf(KeyVendor), token.TypeLicense, nil)), payload("unsupported-alg-es256"))))
	add(vec("unsupported-alg-missing", "unsupported_alg", "No alg in the protected header.",
		signEnvelope(vendor, marshal(header(nil, kidOf(KeyVendor), token.TypeLicense, nil)), payload("unsupported-alg-missing"))))
	add(vec("unsupported-alg-text", "unsupported_alg", "alg is the text \"EdDSA\" instead of -8.",
		signEnvelope(vendor, marshal(header("EdDSA", kidOf(KeyVendor), token.TypeLicense, nil)), payload("unsupported-alg-text"))))

	// wrong_type
	add(vec("wrong-type-grant", "wrong_type", "A valid grant given where a license is expected.",
		signGrant(KeyVendor, grant("wrong-type-grant"))))
	add(vec("wrong-type-revocations", "wrong_type", "A valid revocation list given where a license is expected.",
		revocationRaw(nil, nil)))
	add(vec("wrong-type-cwt", "wrong_type", "typ is application/cwt, not a licet type.",
		signEnvelope(vendor, marshal(header(token.AlgEdDSA, kidOf(KeyVendor), "application/cwt", nil)), payload("wrong-type-cwt"))))
	add(vec("wrong-type-missing", "wrong_type", "No typ in the protected header.",
		signEnvelope(vendor, marshal(header(token.AlgEdDSA, kidOf(KeyVendor), nil, nil)), payload("wrong-type-missing"))))

	add(vec("wrong-type-integer", "wrong_type", "typ is the integer content format 61 (application/cwt) instead of a licet type string.",
		signEnvelope(vendor, marshal(header(token.AlgEdDSA, kidOf(KeyVendor), 61, nil)), payload("wrong-type-integer"))))
	add(vec("unsupported-alg-empty-protected", "unsupported_alg", "The protected header is an empty byte string: read as an empty map, so there is no alg.",
		signEnvelope(vendor, []byte{}, payload("unsupported-alg-empty-protected"))))

	// unknown_key
	add(vec("unknown-key", "unknown_key", "Signed by a key that is not trusted.",
		signLicense(KeyStranger, license("unknown-key"), nil)))
	s := add(vec("unknown-key-second", "unknown_key", "Signed by the vendor's second key, which this trust store does not hold.",
		signLicense(KeyVendor2, license("unknown-key-second"), nil)))
	s.keys = []string{keyLine(KeyStranger, "issuer=acme")}

	// bad_signature
	good := signLicense(KeyVendor, license("bad-signature"), nil)
	add(vec("bad-signature-flipped", "bad_signature", "The last signature byte is changed.", flip(good, -1)))
	m := must(token.ParseMessage(good))
	add(vec("bad-signature-payload-changed", "bad_signature", "The payload was replaced after signing by other claims with the same license id; the signature is kept.",
		envelope(m.Protected, []byte{0xa0}, marshal(claims("bad-signature")), m.Signature)))
	add(vec("bad-signature-header-changed", "bad_signature", "alg changed from -8 to -19 after signing: the protected header is signed too.",
		envelope(marshal(header(token.AlgEd25519, kidOf(KeyVendor), token.TypeLicense, nil)), []byte{0xa0}, m.Payload, m.Signature)))
	add(vec("bad-signature-wrong-signer", "bad_signature", "The kid names the vendor key, but a stranger's key signed.",
		signEnvelope(PrivateKey(KeyStranger), marshal(licenseHeader(KeyVendor)), payload("bad-signature-wrong-signer"))))
	add(vec("bad-signature-zero", "bad_signature", "A signature of 64 zero bytes.",
		envelope(m.Protected, []byte{0xa0}, m.Payload, make([]byte, 64))))

	// key_not_valid
	s = add(vec("key-not-valid-revoked", "key_not_valid", "The trust store marks the signing key revoked.",
		signLicense(KeyVendor, license("key-not-valid-revoked"), nil)))
	s.keys = []string{keyLine(KeyVendor, "issuer=acme", "revoked")}
	s = add(vec("key-not-valid-before-window", "key_not_valid", "iat 2026-01-01 is before the key's validity starts (2026-02-01).",
		signLicense(KeyVendor, license("key-not-valid-before-window"), nil)))
	s.keys = []string{keyLine(KeyVendor, "issuer=acme", "not_before=2026-02-01T00:00:00Z")}
	s = add(vec("key-not-valid-after-window", "key_not_valid", "iat 2026-01-01 is after the key was retired (2025-12-31).",
		signLicense(KeyVendor, license("key-not-valid-after-window"), nil)))
	s.keys = []string{keyLine(KeyVendor, "issuer=acme", "not_after=2025-12-31T00:00:00Z")}

	// wrong_issuer
	l := license("wrong-issuer")
	l.Issuer = "mallory"
	add(vec("wrong-issuer", "wrong_issuer", "iss is mallory; the key belongs to acme.", signLicense(KeyVendor, l, nil)))

	// wrong_product
	l = license("wrong-product")
	l.Audience = []string{"acme-cloud"}
	add(vec("wrong-product", "wrong_product", "The license is for acme-cloud; the verifier is acme-db.", signLicense(KeyVendor, l, nil)))
	l = license("wrong-product-multi")
	l.Audience = []string{"acme-cloud", "acme-db-lite"}
	add(vec("wrong-product-multi", "wrong_product", "aud lists two products, neither acme-db (acme-db-lite is not a prefix match).", signLicense(KeyVendor, l, nil)))

	// not_yet_valid
	l = license("not-yet-valid-nbf")
	l.NotBefore = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	add(vec("not-yet-valid-nbf", "not_yet_valid", "nbf is a month ahead.", signLicense(KeyVendor, l, nil)))
	l = license("not-yet-valid-iat")
	l.IssuedAt = tNow.Add(time.Hour)
	add(vec("not-yet-valid-iat", "not_yet_valid", "iat is an hour ahead: issued in the future.", signLicense(KeyVendor, l, nil)))
	l = license("not-yet-valid-leeway-zero")
	l.NotBefore = tNow.Add(time.Second)
	s = add(vec("not-yet-valid-leeway-zero", "not_yet_valid", "nbf one second ahead, leeway 0.", signLicense(KeyVendor, l, nil)))
	s.leeway = "0"
	l = license("not-yet-valid-beyond-leeway")
	l.NotBefore = tNow.Add(5*time.Minute + time.Second)
	add(vec("not-yet-valid-beyond-leeway", "not_yet_valid", "nbf 5 minutes and 1 second ahead: just beyond the default leeway.", signLicense(KeyVendor, l, nil)))

	// expired
	l = license("expired")
	l.Expiry = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	add(vec("expired", "expired", "exp passed a month ago, no grace.", signLicense(KeyVendor, l, nil)))
	l = license("expired-grace-elapsed")
	l.Expiry = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	l.Grace = 30 * 24 * time.Hour
	add(vec("expired-grace-elapsed", "expired", "exp passed three months ago; the 30 days of grace are over.", signLicense(KeyVendor, l, nil)))
	l = license("expired-leeway-zero")
	l.Expiry = tNow.Add(-time.Second)
	s = add(vec("expired-leeway-zero", "expired", "exp one second ago, leeway 0.", signLicense(KeyVendor, l, nil)))
	s.leeway = "0"
	l = license("expired-beyond-leeway")
	l.Expiry = tNow.Add(-5*time.Minute - time.Second)
	add(vec("expired-beyond-leeway", "expired", "exp 5 minutes and 1 second ago: just beyond the default leeway.", signLicense(KeyVendor, l, nil)))

	l = license("expired-grace-edge")
	l.Expiry = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	l.Grace = tNow.Sub(l.Expiry) - 5*time.Minute - time.Second
	add(vec("expired-grace-edge", "expired", "now is one second past exp + leeway (5 minutes) + grace.", signLicense(KeyVendor, l, nil)))

	// version_not_covered
	l = license("version-not-covered")
	l.Versions = ">= 3.0"
	add(vec("version-not-covered", "version_not_covered", "versions >= 3.0; the product is 2.1.0.", signLicense(KeyVendor, l, nil)))
	s = add(vec("version-not-covered-upper", "version_not_covered", "versions >= 2.0, < 3.0; the product is 3.0.0.",
		signLicense(KeyVendor, license("version-not-covered-upper"), nil)))
	s.version = "3.0.0"

	// binding_mismatch
	l = license("binding-mismatch")
	l.Bind = map[string]string{"host": "fp-7f3a"}
	s = add(vec("binding-mismatch", "binding_mismatch", "Bound to host fp-7f3a; this machine is fp-0000.", signLicense(KeyVendor, l, nil)))
	s.bind = []string{"host=fp-0000"}
	l = license("binding-mismatch-missing")
	l.Bind = map[string]string{"host": "fp-7f3a", "container": "c-1"}
	s = add(vec("binding-mismatch-missing", "binding_mismatch", "Bound to host and container; this machine has a host value only.", signLicense(KeyVendor, l, nil)))
	s.bind = []string{"host=fp-7f3a"}

	// revoked
	s = add(vec("revoked-license", "revoked", "The revocation list names the license's cti.",
		signLicense(KeyVendor, license("revoked-license"), nil)))
	s.revs = revocationList([][]byte{ID("someone else"), ID("revoked-license")}, nil)
	s = add(vec("revoked-key", "revoked", "The revocation list names the kid of the key that signed the license.",
		signLicense(KeyVendor2, license("revoked-key"), nil)))
	s.keys = []string{vendorLine, keyLine(KeyVendor2, "issuer=acme")}
	s.revs = revocationList(nil, [][]byte{kidOf(KeyVendor2)})

	// scope_missing
	add(vec("scope-missing", "scope_missing", "Required admin:users; granted api:read, api:write, reports:*.",
		signLicense(KeyVendor, license("scope-missing"), nil))).scopes = []string{"api:read", "admin:users"}
	l = license("scope-missing-pattern-required")
	l.Scopes = []string{"*"}
	add(vec("scope-missing-pattern-required", "scope_missing", "A required scope is never a pattern: required api:* is covered by nothing, not even *.",
		signLicense(KeyVendor, l, nil))).scopes = []string{"api:*"}
	l = license("scope-missing-area-itself")
	l.Scopes = []string{"api:*"}
	add(vec("scope-missing-area-itself", "scope_missing", "Granted api:* covers api:<something>, not the bare scope api, nor apix:read.",
		signLicense(KeyVendor, l, nil))).scopes = []string{"api"}
	l = license("scope-missing-no-scopes")
	l.Scopes = nil
	add(vec("scope-missing-no-scopes", "scope_missing", "The license grants no scopes at all.",
		signLicense(KeyVendor, l, nil))).scopes = []string{"api:read"}
	return out
}

func grantSpecs() []*spec {
	var out []*spec
	add := func(s *spec) *spec { out = append(out, s); return s }
	vendor := PrivateKey(KeyVendor)
	g := signGrant(KeyVendor, grant("base"))

	add(vec("valid-under-grant", ExpectValid,
		"A license issued by the partner reseller with its own key, under a grant from acme embedded in the header (label 13).",
		signLicense(KeyPartner, partnerLicense("valid-under-grant"), g))).scopes = []string{"api:read"}
	s := add(vec("valid-under-grant-revocations-other", ExpectValid,
		"Under a grant, with a revocation list that names neither the license, the grant nor their keys.",
		signLicense(KeyPartner, partnerLicense("valid-under-grant-revocations-other"), g)))
	s.revs = revocationList([][]byte{ID("someone else")}, [][]byte{kidOf(KeyStranger)})

	add(vec("bad-signature-under-grant", "bad_signature", "Under a valid grant, signed with the partner key named by the grant, but the license's signature is changed.",
		flip(signLicense(KeyPartner, partnerLicense("bad-signature-under-grant"), g), -1)))

	// grant_invalid
	add(vec("grant-invalid-unknown-key", "grant_invalid", "The grant is signed by a key nobody trusts.",
		signLicense(KeyPartner, partnerLicense("grant-invalid-unknown-key"), signGrant(KeyStranger, grant("unknown key")))))
	add(vec("grant-invalid-bad-signature", "grant_invalid", "The grant's signature is changed (the license's own signature is valid).",
		signLicense(KeyPartner, partnerLicense("grant-invalid-bad-signature"), flip(g, -1))))
	eg := grant("expired")
	eg.IssuedAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	eg.Expiry = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	pl := partnerLicense("grant-invalid-expired")
	pl.Expiry = time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC)
	add(vec("grant-invalid-expired", "grant_invalid", "The grant expired on 2026-05-01.",
		signLicense(KeyPartner, pl, signGrant(KeyVendor, eg))))
	fg := grant("future")
	fg.NotBefore = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	add(vec("grant-invalid-not-yet-valid", "grant_invalid", "The grant starts on 2026-07-01 (nbf).",
		signLicense(KeyPartner, partnerLicense("grant-invalid-not-yet-valid"), signGrant(KeyVendor, fg))))
	gp := must(grant("alg").MarshalClaims())
	add(vec("grant-invalid-alg", "grant_invalid", "The grant's alg is -7 (ES256).",
		signLicense(KeyPartner, partnerLicense("grant-invalid-alg"),
			signEnvelope(vendor, marshal(header(-7, kidOf(KeyVendor), token.TypeGrant, nil)), gp))))
	nested := signEnvelope(vendor, marshal(header(token.AlgEdDSA, kidOf(KeyVendor), token.TypeGrant, map[any]any{13: rawMessage(g)})),
		must(grant("nested").MarshalClaims()))
	add(vec("grant-invalid-nested", "grant_invalid", "The embedded grant embeds a grant itself: only one level is allowed.",
		signLicense(KeyPartner, partnerLicense("grant-invalid-nested"), nested)))
	wg := grant("wrong issuer")
	wg.Issuer = "mallory"
	add(vec("grant-invalid-issuer", "grant_invalid", "The grant's iss is mallory, not the issuer of the trusted key that signed it.",
		signLicense(KeyPartner, partnerLicense("grant-invalid-issuer"), signGrant(KeyVendor, wg))))
	s = add(vec("key-not-valid-grant-signer-revoked", "key_not_valid", "The trusted key that signed the grant is marked revoked.",
		signLicense(KeyPartner, partnerLicense("key-not-valid-grant-signer-revoked"), g)))
	s.keys = []string{keyLine(KeyVendor, "issuer=acme", "revoked")}

	// grant_violation
	viol := func(name, comment string, edit func(*token.License)) *spec {
		l := partnerLicense(name)
		edit(l)
		return add(vec(name, "grant_violation", comment, signLicense(KeyPartner, l, g)))
	}
	viol("grant-violation-tier", "Tier enterprise; the grant allows pro and basic.", func(l *token.License) { l.Tier = "enterprise" })
	viol("grant-violation-scope", "Scope admin:users; the grant allows api:* and reports:*.", func(l *token.License) { l.Scopes = []string{"api:read", "admin:users"} })
	viol("grant-violation-scope-wider", "Scope pattern * is wider than the grant's api:*.", func(l *token.License) { l.Scopes = []string{"*"} })
	viol("grant-violation-issuer", "iss is acme; a license under the grant must carry the partner's id, reseller.", func(l *token.License) { l.Issuer = "acme" })
	viol("grant-violation-product", "Product acme-cloud is not in the grant.", func(l *token.License) { l.Audience = []string{"acme-db", "acme-cloud"} })
	viol("grant-violation-limit-above-cap", "seats 500; the grant caps seats at 100.", func(l *token.License) { l.Limits = map[string]uint64{"seats": 500} })
	viol("grant-violation-limit-missing", "No seats limit; the grant caps seats, so the license must carry one.", func(l *token.License) { l.Limits = nil })
	viol("grant-violation-right", "Right redistribute; the grant passes on embed only.", func(l *token.License) { l.Rights = []string{"embed", "redistribute"} })
	viol("grant-violation-expiry", "exp 2027-06-02 is after the grant's exp 2027-06-01 (iat 2026-05-01: lifetime within maxlife).", func(l *token.License) {
		l.IssuedAt = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		l.Expiry = time.Date(2027, 6, 2, 0, 0, 0, 0, time.UTC)
	})
	viol("grant-violation-perpetual", "A perpetual license under a grant.", func(l *token.License) { l.Expiry = time.Time{} })
	viol("grant-violation-maxlife", "Lifetime 450 days; the grant's maxlife is 400 days.", func(l *token.License) { l.Expiry = l.IssuedAt.Add(450 * 24 * time.Hour) })
	viol("grant-violation-issued-before-grant", "iat 2025-11-01 is before the grant's start (its iat, 2025-12-01).", func(l *token.License) {
		l.IssuedAt = time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
		l.Expiry = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	})
	add(vec("grant-violation-wrong-key", "grant_violation", "The license embeds the grant but is signed by a key other than the grant's cnf key.",
		signLicense(KeyStranger, partnerLicense("grant-violation-wrong-key"), g)))

	// revoked through the grant
	s = add(vec("revoked-grant", "revoked", "The revocation list names the cti of the grant the license was issued under.",
		signLicense(KeyPartner, partnerLicense("revoked-grant"), g)))
	s.revs = revocationList([][]byte{ID("grant base")}, nil)
	s = add(vec("revoked-partner-key", "revoked", "The revocation list names the partner key that signed the license.",
		signLicense(KeyPartner, partnerLicense("revoked-partner-key"), g)))
	s.revs = revocationList(nil, [][]byte{kidOf(KeyPartner)})
	return out
}

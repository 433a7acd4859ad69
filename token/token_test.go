package token_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/require"

	"github.com/licet/licet/token"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func testKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(label))
	return ed25519.NewKeyFromSeed(seed[:])
}

func sampleLicense() *token.License {
	return &token.License{
		Issuer:    "acme",
		Subject:   "customer-1",
		Audience:  []string{"widget"},
		IssuedAt:  t0,
		NotBefore: t0.Add(-time.Hour),
		Expiry:    t0.Add(30 * 24 * time.Hour),
		ID:        bytes.Repeat([]byte{7}, 16),
		Tier:      "pro",
		Scopes:    []string{"api:read", "reports:*"},
		Versions:  ">= 2.0, < 4.0",
		Limits:    map[string]uint64{"seats": 10},
		Rights:    []string{"embed"},
		Bind:      map[string]string{"host": "abc"},
		Grace:     72 * time.Hour,
		Meta:      map[string]string{"order": "PO-1"},
	}
}

// TestCOSEWGExample reproduces github.com/cose-wg/Examples
// eddsa-examples/eddsa-sig-01.json byte for byte: the Sig_structure from our
// code, and the signature from the RFC 8032 TEST 1 key it names.
func TestCOSEWGExample(t *testing.T) {
	data, err := os.ReadFile("../testdata/external/cose-wg/eddsa-sig-01.json")
	require.NoError(t, err)
	var v struct {
		Input struct {
			Plaintext string `json:"plaintext"`
			Sign0     struct {
				Key struct {
					X string `json:"x_hex"`
					D string `json:"d_hex"`
				} `json:"key"`
			} `json:"sign0"`
		} `json:"input"`
		Intermediates struct {
			ToBeSign string `json:"ToBeSign_hex"`
		} `json:"intermediates"`
		Output struct {
			CBOR string `json:"cbor"`
		} `json:"output"`
	}
	require.NoError(t, json.Unmarshal(data, &v))
	want, err := hex.DecodeString(v.Intermediates.ToBeSign)
	require.NoError(t, err)
	full, err := hex.DecodeString(v.Output.CBOR)
	require.NoError(t, err)

	// The example's protected header is {1: -8, 3: 0}, encoded as h'A201270300'.
	protected, _ := hex.DecodeString("A201270300")
	m := &token.Message{Protected: protected, Payload: []byte(v.Input.Plaintext)}
	tbs := m.AppendToBeSigned(nil)
	require.Equal(t, want, tbs, "Sig_structure differs from ToBeSign_hex")

	seed, _ := hex.DecodeString(v.Input.Sign0.Key.D)
	priv := ed25519.NewKeyFromSeed(seed)
	x, _ := hex.DecodeString(v.Input.Sign0.Key.X)
	require.Equal(t, x, []byte(priv.Public().(ed25519.PublicKey)))
	sig := ed25519.Sign(priv, tbs)
	require.True(t, bytes.HasSuffix(full, sig), "signature differs from the example's")

	// The example carries its kid in the unprotected header, which licet
	// refuses: it is not covered by the signature.
	_, err = token.ParseMessage(full)
	require.ErrorIs(t, err, token.ErrMalformed)
	require.Contains(t, err.Error(), "unprotected")
}

func TestSignLicenseRoundTrip(t *testing.T) {
	priv := testKey("vendor")
	l := sampleLicense()
	raw, err := token.SignLicense(priv, l, nil)
	require.NoError(t, err)
	require.Equal(t, byte(0xd2), raw[0])

	again, err := token.SignLicense(priv, sampleLicense(), nil)
	require.NoError(t, err)
	require.Equal(t, raw, again, "minting is deterministic")

	m, err := token.ParseMessage(raw)
	require.NoError(t, err)
	require.Equal(t, int64(token.AlgEdDSA), m.Header.Alg)
	require.Equal(t, token.TypeLicense, m.Header.Typ)
	require.Equal(t, token.KeyID(priv.Public().(ed25519.PublicKey)), m.Header.KID)
	require.True(t, m.VerifySignature(priv.Public().(ed25519.PublicKey)))
	require.False(t, m.VerifySignature(testKey("other").Public().(ed25519.PublicKey)))

	got, err := token.DecodeLicense(m.Payload)
	require.NoError(t, err)
	require.NotNil(t, got.Constraint)
	got.Constraint = nil
	require.Equal(t, l.Audience, got.Audience)
	l.Audience = got.Audience // same content; compare the rest by value
	require.Equal(t, *l, *got)

	// The payload is core deterministic: re-encoding its generic form
	// with sorted keys gives the same bytes.
	var generic map[any]any
	require.NoError(t, cbor.Unmarshal(m.Payload, &generic))
	em, _ := cbor.CoreDetEncOptions().EncMode()
	re, err := em.Marshal(generic)
	require.NoError(t, err)
	require.Equal(t, m.Payload, re)
}

func TestKeyIDIsSHA256Prefix(t *testing.T) {
	pub := testKey("vendor").Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	require.Equal(t, sum[:8], token.KeyID(pub))
}

func TestForms(t *testing.T) {
	raw, err := token.SignLicense(testKey("vendor"), sampleLicense(), nil)
	require.NoError(t, err)
	text, err := token.EncodeText(raw, "")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(text, "licet1."))
	branded, err := token.EncodeText(raw, "acme-2")
	require.NoError(t, err)
	pemForm := token.EncodePEM(raw, token.PEMLicense, map[string]string{"Subject": "customer-1"})

	for _, tc := range []struct {
		name string
		in   []byte
		form token.Form
	}{
		{"raw", raw, token.FormRaw},
		{"text", []byte(text), token.FormText},
		{"text with newline", []byte("  " + text + "\r\n"), token.FormText},
		{"branded", []byte(branded), token.FormText},
		{"pem", pemForm, token.FormPEM},
		{"pem crlf", bytes.ReplaceAll(pemForm, []byte("\n"), []byte("\r\n")), token.FormPEM},
		{"pem indented blank lines", append([]byte("\n\n"), pemForm...), token.FormPEM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, form, err := token.Unarmor(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.form, form)
			require.Equal(t, raw, got)
			u, err := token.ParseUnverified(tc.in)
			require.NoError(t, err)
			require.Equal(t, "customer-1", u.License.Subject)
		})
	}

	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"spaces", "   \n"},
		{"no prefix", strings.TrimPrefix(text, "licet1.")},
		{"empty prefix", "." + strings.TrimPrefix(text, "licet1.")},
		{"upper prefix", "LICET1." + strings.TrimPrefix(text, "licet1.")},
		{"long prefix", strings.Repeat("a", 33) + "." + strings.TrimPrefix(text, "licet1.")},
		{"padding", text + "=="},
		{"std base64", "licet1." + strings.NewReplacer("-", "+", "_", "/").Replace(strings.TrimPrefix(text, "licet1.")) + "+/"},
		{"inner space", text[:20] + " " + text[20:]},
		{"inner newline", text[:20] + "\n" + text[20:]},
		{"pem trailing data", string(pemForm) + "junk"},
		{"pem wrong type", strings.ReplaceAll(string(pemForm), "LICET LICENSE", "CERTIFICATE")},
		{"pem truncated", string(pemForm[:len(pemForm)-10])},
	} {
		t.Run("bad/"+tc.name, func(t *testing.T) {
			_, _, err := token.Unarmor([]byte(tc.in))
			if err == nil {
				_, _, err = token.Decode([]byte(tc.in))
			}
			require.ErrorIs(t, err, token.ErrMalformed)
		})
	}

	_, _, err = token.Decode(raw[1:])
	require.ErrorContains(t, err, "tag 18")

	_, err = token.EncodeText(raw, "Bad_Prefix")
	require.Error(t, err)
	_, _, err = token.Unarmor(bytes.Repeat([]byte("a"), token.MaxTokenSize+1))
	require.ErrorIs(t, err, token.ErrMalformed)
	require.Contains(t, err.Error(), "limit")
}

// envelope assembles a COSE_Sign1 by hand.
func envelope(protected, unprotected, payload, sig []byte) []byte {
	b := []byte{0xd2, 0x84}
	b = append(b, bstr(protected)...)
	b = append(b, unprotected...)
	b = append(b, bstr(payload)...)
	b = append(b, bstr(sig)...)
	return b
}

func bstr(b []byte) []byte {
	out, err := cbor.Marshal(b)
	if err != nil {
		panic(err)
	}
	return out
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestEnvelopeStrict(t *testing.T) {
	kid := bytes.Repeat([]byte{1}, 8)
	hdr := func(m map[any]any) []byte {
		b, err := token.Marshal(m)
		if err != nil {
			panic(err)
		}
		return b
	}
	good := hdr(map[any]any{1: -8, 4: kid, 16: token.TypeLicense})
	sig := make([]byte, 64)
	payload := []byte{0xa0}
	ok := envelope(good, []byte{0xa0}, payload, sig)
	m, err := token.ParseMessage(ok)
	require.NoError(t, err)
	require.Equal(t, kid, m.Header.KID)

	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"untagged", ok[1:], "tag 18"},
		{"tag 17", append([]byte{0xd1}, ok[1:]...), "tag 18"},
		{"tag 18 in two bytes", append([]byte{0xd8, 0x12}, ok[1:]...), "shortest"},
		{"array head in two bytes", append([]byte{0xd2, 0x98, 0x04}, ok[2:]...), "shortest"},
		{"signature length in three bytes", append(append([]byte{}, ok[:len(ok)-66]...), append([]byte{0x59, 0x00, 0x40}, sig...)...), "shortest"},
		{"three items", append([]byte{0xd2, 0x83}, ok[2:]...), "array of 4"},
		{"five items", append(append([]byte{0xd2, 0x85}, ok[2:]...), 0x40), "array of 4"},
		{"trailing byte", append(append([]byte{}, ok...), 0x00), "trailing"},
		{"truncated", ok[:len(ok)-1], "truncated"},
		{"indefinite array", append([]byte{0xd2, 0x9f}, ok[2:]...), "indefinite"},
		{"unprotected kid", envelope(good, append([]byte{0xa1, 0x04}, bstr(kid)...), payload, sig), "unprotected"},
		{"nil payload", append(append(append([]byte{0xd2, 0x84}, bstr(good)...), 0xa0, 0xf6), bstr(sig)...), "payload"},
		{"63-byte signature", envelope(good, []byte{0xa0}, payload, sig[:63]), "signature"},
		{"65-byte signature", envelope(good, []byte{0xa0}, payload, append(sig, 0)), "signature"},
		{"protected as text", append(append([]byte{0xd2, 0x84, 0x60}, 0xa0), append(bstr(payload), bstr(sig)...)...), "protected"},
		{"no kid", envelope(hdr(map[any]any{1: -8, 16: token.TypeLicense}), []byte{0xa0}, payload, sig), "kid"},
		{"short kid", envelope(hdr(map[any]any{1: -8, 4: kid[:7], 16: token.TypeLicense}), []byte{0xa0}, payload, sig), "kid"},
		{"kid as text", envelope(hdr(map[any]any{1: -8, 4: "01234567", 16: token.TypeLicense}), []byte{0xa0}, payload, sig), "kid"},
		{"duplicate header label", envelope(mustHex("a3 01 27 01 27 04 48 0101010101010101"), []byte{0xa0}, payload, sig), "duplicate"},
		{"indefinite header map", envelope(mustHex("bf 01 27 04 48 0101010101010101 ff"), []byte{0xa0}, payload, sig), "indefinite"},
		{"tag in header", envelope(mustHex("a2 01 c1 27 04 48 0101010101010101"), []byte{0xa0}, payload, sig), "tag"},
		{"crit unknown label", envelope(hdr(map[any]any{1: -8, 2: []any{99}, 4: kid, 16: token.TypeLicense}), []byte{0xa0}, payload, sig), "crit"},
		{"crit empty", envelope(hdr(map[any]any{1: -8, 2: []any{}, 4: kid, 16: token.TypeLicense}), []byte{0xa0}, payload, sig), "crit"},
		{"header trailing", envelope(append(append([]byte{}, good...), 0x00), []byte{0xa0}, payload, sig), "protected header"},
		{"duplicate in unknown label", envelope(hdr(map[any]any{1: -8, 4: kid, 16: token.TypeLicense, 99: cbor.RawMessage(mustHex("a2 01 01 01 02"))}), []byte{0xa0}, payload, sig), "duplicate"},
		{"grant not a sign1", envelope(hdr(map[any]any{1: -8, 4: kid, 13: 5, 16: token.TypeLicense}), []byte{0xa0}, payload, sig), "grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := token.ParseMessage(tc.in)
			require.ErrorIs(t, err, token.ErrMalformed)
			require.Contains(t, err.Error(), tc.want)
		})
	}

	// Known crit labels, alg as text and unknown labels are not malformed:
	// alg and typ are judged by the verifier (unsupported_alg, wrong_type).
	for name, h := range map[string][]byte{
		"crit known":    hdr(map[any]any{1: -8, 2: []any{1, 16}, 4: kid, 16: token.TypeLicense}),
		"alg as text":   hdr(map[any]any{1: "EdDSA", 4: kid, 16: token.TypeLicense}),
		"unknown label": hdr(map[any]any{1: -8, 4: kid, 16: token.TypeLicense, 99: "x", "ext": []any{1}}),
		"typ as uint":   hdr(map[any]any{1: -8, 4: kid, 16: 61}),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := token.ParseMessage(envelope(h, []byte{0xa0}, payload, sig))
			require.NoError(t, err)
		})
	}
}

func TestEmbeddedGrant(t *testing.T) {
	vendor, partner := testKey("vendor"), testKey("partner")
	g := &token.Grant{
		Issuer: "acme", Subject: "reseller", Audience: []string{"widget"},
		IssuedAt: t0, Expiry: t0.Add(365 * 24 * time.Hour), ID: bytes.Repeat([]byte{9}, 16),
		Key: partner.Public().(ed25519.PublicKey), Tiers: []string{"pro"}, Scopes: []string{"api:*"},
		Limits: map[string]uint64{"seats": 50}, MaxLife: durationPtr(90 * 24 * time.Hour),
	}
	grant, err := token.SignGrant(vendor, g)
	require.NoError(t, err)
	l := sampleLicense()
	l.Issuer = "reseller"
	lic, err := token.SignLicense(partner, l, grant)
	require.NoError(t, err)

	u, err := token.ParseUnverified(lic)
	require.NoError(t, err)
	require.NotNil(t, u.Message.Header.Grant)
	require.Equal(t, grant, u.Message.Header.Grant.Raw)
	require.False(t, u.Message.Header.Grant.Header.NestedGrant)
	require.Equal(t, "reseller", u.EmbeddedGrant.Subject)
	require.Equal(t, g.Key, u.EmbeddedGrant.Key)
	require.Equal(t, g.MaxLife, u.EmbeddedGrant.MaxLife)

	// A license cannot be embedded as a grant by the issuer.
	_, err = token.SignLicense(partner, l, lic)
	require.Error(t, err)

	// A grant carrying a grant is parsed and flagged, not rejected here.
	nested := make(map[any]any)
	nested[1] = token.AlgEdDSA
	nested[4] = token.KeyID(vendor.Public().(ed25519.PublicKey))
	nested[13] = cbor.RawMessage(grant)
	nested[16] = token.TypeGrant
	ph, err := token.Marshal(nested)
	require.NoError(t, err)
	gPayload, err := g.MarshalClaims()
	require.NoError(t, err)
	nestedGrant := envelope(ph, []byte{0xa0}, gPayload, make([]byte, 64))
	outer, err := token.Marshal(map[any]any{1: -8, 4: token.KeyID(partner.Public().(ed25519.PublicKey)), 13: cbor.RawMessage(nestedGrant), 16: token.TypeLicense})
	require.NoError(t, err)
	m, err := token.ParseMessage(envelope(outer, []byte{0xa0}, []byte{0xa0}, make([]byte, 64)))
	require.NoError(t, err)
	require.True(t, m.Header.Grant.Header.NestedGrant)
}

// claims encodes a claims map deterministically.
func claims(t *testing.T, m map[any]any) []byte {
	t.Helper()
	b, err := token.Marshal(m)
	require.NoError(t, err)
	return b
}

func baseClaims() map[any]any {
	return map[any]any{
		1: "acme", 2: "customer", 3: "widget", 6: t0.Unix(),
		7: bytes.Repeat([]byte{1}, 16), "tier": "pro",
	}
}

func TestDecodeLicenseStrict(t *testing.T) {
	_, err := token.DecodeLicense(claims(t, baseClaims()))
	require.NoError(t, err)

	with := func(k any, v any) []byte {
		m := baseClaims()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return claims(t, m)
	}
	deep := any("x")
	for i := 0; i < 20; i++ {
		deep = []any{deep}
	}
	bigArray := make([]string, token.MaxArrayItems+1)
	for i := range bigArray {
		bigArray[i] = "s"
	}
	bigMap := make(map[string]string, token.MaxMapPairs+1)
	for i := 0; i <= token.MaxMapPairs; i++ {
		bigMap[strings.Repeat("k", 1+i%7)+string(rune('a'+i%26))+string(rune('a'+i/26))] = "v"
	}

	for _, tc := range []struct {
		name    string
		payload []byte
	}{
		{"iss missing", with(1, nil)},
		{"sub missing", with(2, nil)},
		{"aud missing", with(3, nil)},
		{"iat missing", with(6, nil)},
		{"cti missing", with(7, nil)},
		{"tier missing", with("tier", nil)},
		{"iss not text", with(1, 5)},
		{"aud empty array", with(3, []string{})},
		{"aud array of ints", with(3, []int{1})},
		{"exp float", with(4, 1.5e9)},
		{"exp text", with(4, "2030-01-01")},
		{"iat huge", with(6, uint64(1)<<63)},
		{"iat past year 9999", with(6, int64(253402300800))},
		{"cti short", with(7, []byte{1, 2})},
		{"cti text", with(7, "0123456789abcdef")},
		{"tier bytes", with("tier", []byte("pro"))},
		{"scopes not array", with("scopes", "api:read")},
		{"scope empty", with("scopes", []string{""})},
		{"scope with space", with("scopes", []string{"api read"})},
		{"versions bad", with("versions", ">= banana")},
		{"versions empty", with("versions", "")},
		{"limits negative", with("limits", map[string]int{"seats": -1})},
		{"limits text", with("limits", map[string]string{"seats": "10"})},
		{"bind int", with("bind", map[string]int{"host": 1})},
		{"grace negative", with("grace", -5)},
		{"grace too long", with("grace", uint64(1)<<62)},
		{"crit empty", with("crit", []string{})},
		{"crit unknown", with("crit", []string{"region"})},
		{"null iss", with(1, cbor.RawMessage{0xf6})},
		{"undefined tier", with("tier", cbor.RawMessage{0xf7})},
		{"nesting too deep", with("x-deep", deep)},
		{"array too long", with("x-big", bigArray)},
		{"map too big", with("x-big", bigMap)},
		{"tag in claims", with(6, cbor.RawMessage{0xc1, 0x1a, 0x6a, 0x00, 0x00, 0x00})},
		{"invalid utf8", with(2, cbor.RawMessage{0x62, 0xff, 0xfe})},
		{"trailing bytes", append(claims(t, baseClaims()), 0x00)},
		{"not a map", claims(t, map[any]any{})[:0]},
		{"array payload", []byte{0x80}},
		{"indefinite map", append([]byte{0xbf}, append(claims(t, baseClaims())[1:], 0xff)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := token.DecodeLicense(tc.payload)
			require.ErrorIs(t, err, token.ErrMalformed)
		})
	}

	// Duplicate keys, built by hand: the 6-pair map becomes 7 pairs with a
	// second copy of one claim (same or different value, known or unknown).
	for _, extra := range []map[any]any{
		{"tier": "enterprise"}, {"tier": "pro"}, {1: "acme"}, {6: t0.Unix() + 1},
	} {
		dup := claims(t, baseClaims())
		dup = append([]byte{0xa7}, dup[1:]...)
		dup = append(dup, claims(t, extra)[1:]...)
		_, err = token.DecodeLicense(dup)
		require.ErrorIs(t, err, token.ErrMalformed)
		require.Contains(t, err.Error(), "duplicate")
	}
	unknownDup := claims(t, baseClaims())
	unknownDup = append([]byte{0xa8}, unknownDup[1:]...)
	unknownDup = append(unknownDup, claims(t, map[any]any{"x": 1})[1:]...)
	unknownDup = append(unknownDup, claims(t, map[any]any{"x": 2})[1:]...)
	_, err = token.DecodeLicense(unknownDup)
	require.ErrorIs(t, err, token.ErrMalformed, "duplicate unknown claims")

	// Duplicates nested inside values the struct decoder skips: an
	// unknown claim's map, and a map inside an array inside one.
	for name, v := range map[string]cbor.RawMessage{
		"map":          mustHex("a2 6161 01 6161 02"),
		"map in array": mustHex("81 a2 01 01 01 02"),
	} {
		_, err = token.DecodeLicense(with("x-future", v))
		require.ErrorIs(t, err, token.ErrMalformed, name)
		require.ErrorContains(t, err, "duplicate", name)
	}
	_, err = token.DecodeLicense(with("x-future", cbor.RawMessage(mustHex("a2 6161 01 6162 02"))))
	require.NoError(t, err, "distinct keys in an unknown claim")

	nestedDup := with("limits", cbor.RawMessage(mustHex("a2 65 7365617473 01 65 7365617473 02")))
	_, err = token.DecodeLicense(nestedDup)
	require.ErrorIs(t, err, token.ErrMalformed)

	// Unknown claims are ignored; claim names are case-sensitive, so
	// "Tier" is an unknown claim and "tier" is still required.
	l, err := token.DecodeLicense(with("x-future", map[string]any{"a": []int{1, 2}}))
	require.NoError(t, err)
	require.Equal(t, "pro", l.Tier)
	m := baseClaims()
	delete(m, "tier")
	m["Tier"] = "pro"
	_, err = token.DecodeLicense(claims(t, m))
	require.ErrorIs(t, err, token.ErrMalformed)

	// Known claims in crit are fine; multi-product aud decodes as a list.
	l, err = token.DecodeLicense(with("crit", []string{"bind", "versions"}))
	require.NoError(t, err)
	require.Equal(t, []string{"bind", "versions"}, l.Crit)
	l, err = token.DecodeLicense(with(3, []string{"a", "b"}))
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, l.Audience)
	l, err = token.DecodeLicense(with(4, int64(-100)))
	require.NoError(t, err)
	require.Equal(t, int64(-100), l.Expiry.Unix())
	l, err = token.DecodeLicense(with(4, int64(4102444800))) // 2100
	require.NoError(t, err)
	require.Equal(t, 2100, l.Expiry.Year())
}

func TestValidateBeforeSigning(t *testing.T) {
	l := sampleLicense()
	l.Tier = ""
	l.Scopes = []string{"ok", "has space"}
	l.Versions = "~> nope"
	_, err := token.SignLicense(testKey("vendor"), l, nil)
	require.Error(t, err)
	for _, want := range []string{"tier", "has space", "nope"} {
		require.Contains(t, err.Error(), want)
	}
	_, err = token.SignLicense(nil, sampleLicense(), nil)
	require.Error(t, err)
}

func TestScopes(t *testing.T) {
	for _, tc := range []struct {
		granted, required string
		want              bool
	}{
		{"api:read", "api:read", true},
		{"api:read", "api:write", false},
		{"api:*", "api:read", true},
		{"api:*", "api:admin:x", true},
		{"api:*", "api:", false},
		{"api:*", "api", false},
		{"api:*", "apix:read", false},
		{"*", "anything:at:all", true},
		{"*", "*", false},
		{"api:*", "api:*", false},
		{"api:read", "", false},
		{"api*", "api:read", false},
	} {
		require.Equal(t, tc.want, token.CoversScope(tc.granted, tc.required), "%q covers %q", tc.granted, tc.required)
	}
	for _, tc := range []struct {
		outer, inner string
		want         bool
	}{
		{"*", "*", true},
		{"*", "api:*", true},
		{"api:*", "*", false},
		{"api:*", "api:*", true},
		{"api:*", "api:read:*", true},
		{"api:read:*", "api:*", false},
		{"api:*", "api:read", true},
		{"api:read", "api:read", true},
		{"api:read", "api:*", false},
		{"api:*", "reports:x", false},
	} {
		require.Equal(t, tc.want, token.PatternCovers(tc.outer, tc.inner), "%q bounds %q", tc.outer, tc.inner)
	}
	require.False(t, token.ValidScope("a\u00a0b"))
	require.False(t, token.ValidScope(""))
	require.True(t, token.ValidScope("connectors:salesforce"))
}

func TestRevocationsRoundTrip(t *testing.T) {
	r := &token.Revocations{
		Issuer: "acme", IssuedAt: t0, NextUpdate: t0.Add(7 * 24 * time.Hour), Seq: 3,
		IDs:    [][]byte{bytes.Repeat([]byte{2}, 16), bytes.Repeat([]byte{1}, 16)},
		KeyIDs: [][]byte{bytes.Repeat([]byte{5}, 8)},
	}
	raw, err := token.SignRevocations(testKey("vendor"), r)
	require.NoError(t, err)
	u, err := token.ParseUnverified(raw)
	require.NoError(t, err)
	require.Equal(t, uint64(3), u.Revocations.Seq)
	require.Equal(t, bytes.Repeat([]byte{1}, 16), u.Revocations.IDs[0], "ids are sorted")
	require.Len(t, u.Revocations.KeyIDs, 1)

	bad := *r
	bad.IDs = [][]byte{{1, 2, 3}}
	_, err = token.SignRevocations(testKey("vendor"), &bad)
	require.Error(t, err)
}

// TestSignRefusesOversized: issuers never sign what verifiers refuse, and
// CheckSize tells which forms of a signed object fit.
func TestSignRefusesOversized(t *testing.T) {
	l := sampleLicense()
	for i := 0; i < 1000; i++ {
		l.Scopes = append(l.Scopes, fmt.Sprintf("connectors:vendor-%04d", i))
	}
	_, err := token.SignLicense(testKey("vendor"), l, nil)
	require.ErrorContains(t, err, "limit")

	r := &token.Revocations{Issuer: "acme", IssuedAt: t0, NextUpdate: t0.Add(time.Hour)}
	for i := 0; i < 1000; i++ {
		id := make([]byte, 16)
		id[0], id[1] = byte(i), byte(i>>8)
		r.IDs = append(r.IDs, id)
	}
	_, err = token.SignRevocations(testKey("vendor"), r)
	require.ErrorContains(t, err, "limit")

	// 800 ids fit raw but not as PEM or text; each check agrees with
	// what Unarmor accepts.
	r.IDs = r.IDs[:800]
	raw, err := token.SignRevocations(testKey("vendor"), r)
	require.NoError(t, err)
	text, err := token.EncodeText(raw, "")
	require.NoError(t, err)
	for form, enc := range map[token.Form][]byte{
		token.FormRaw:  raw,
		token.FormText: []byte(text),
		token.FormPEM:  token.EncodePEM(raw, token.PEMRevocations, nil),
	} {
		_, _, unarmorErr := token.Unarmor(enc)
		require.Equal(t, unarmorErr == nil, token.CheckSize(raw, form) == nil, "form %s", form)
	}
	require.NoError(t, token.CheckSize(raw, token.FormRaw))
	require.Error(t, token.CheckSize(raw, token.FormPEM))
}

// durationPtr returns a pointer to d, for optional ceilings.
func durationPtr(d time.Duration) *time.Duration { return &d }

package token_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

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
	if err != nil {
		t.Fatalf("reading the COSE WG example: %v", err)
	}
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
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decoding the COSE WG example: %v", err)
	}
	want, err := hex.DecodeString(v.Intermediates.ToBeSign)
	if err != nil {
		t.Fatalf("ToBeSign_hex: %v", err)
	}
	full, err := hex.DecodeString(v.Output.CBOR)
	if err != nil {
		t.Fatalf("output cbor: %v", err)
	}

	// The example's protected header is {1: -8, 3: 0}, encoded as h'A201270300'.
	protected, _ := hex.DecodeString("A201270300")
	m := &token.Message{Protected: protected, Payload: []byte(v.Input.Plaintext)}
	tbs := m.AppendToBeSigned(nil)
	if !bytes.Equal(tbs, want) {
		t.Fatalf("Sig_structure differs from ToBeSign_hex:\n got %x\nwant %x", tbs, want)
	}

	seed, _ := hex.DecodeString(v.Input.Sign0.Key.D)
	priv := ed25519.NewKeyFromSeed(seed)
	x, _ := hex.DecodeString(v.Input.Sign0.Key.X)
	if got := []byte(priv.Public().(ed25519.PublicKey)); !bytes.Equal(got, x) {
		t.Fatalf("public key of the example's d is %x, want its x %x", got, x)
	}
	sig := ed25519.Sign(priv, tbs)
	if !bytes.HasSuffix(full, sig) {
		t.Fatalf("signature differs from the example's: %x does not end in %x", full, sig)
	}

	// The example carries its kid in the unprotected header, which licet
	// refuses: it is not covered by the signature.
	_, err = token.ParseMessage(full)
	if !errors.Is(err, token.ErrMalformed) {
		t.Fatalf("ParseMessage of the example: %v, want token.ErrMalformed", err)
	}
	if !strings.Contains(err.Error(), "unprotected") {
		t.Fatalf("ParseMessage of the example: %v, want an error about the unprotected header", err)
	}
}

func TestSignLicenseRoundTrip(t *testing.T) {
	priv := testKey("vendor")
	l := sampleLicense()
	raw, err := token.SignLicense(priv, l, nil)
	if err != nil {
		t.Fatalf("SignLicense: %v", err)
	}
	if raw[0] != 0xd2 {
		t.Fatalf("first byte %#x, want tag 18 (0xd2)", raw[0])
	}

	again, err := token.SignLicense(priv, sampleLicense(), nil)
	if err != nil {
		t.Fatalf("SignLicense: %v", err)
	}
	if !bytes.Equal(again, raw) {
		t.Fatal("minting is not deterministic: two mints of one license differ")
	}

	m, err := token.ParseMessage(raw)
	if err != nil {
		t.Fatalf("ParseMessage: %v", err)
	}
	if m.Header.Alg != int64(token.AlgEdDSA) {
		t.Fatalf("alg %d, want %d", m.Header.Alg, token.AlgEdDSA)
	}
	if m.Header.Typ != token.TypeLicense {
		t.Fatalf("typ %q, want %q", m.Header.Typ, token.TypeLicense)
	}
	if want := token.KeyID(priv.Public().(ed25519.PublicKey)); !bytes.Equal(m.Header.KID, want) {
		t.Fatalf("kid %x, want %x", m.Header.KID, want)
	}
	if !ed25519.Verify(priv.Public().(ed25519.PublicKey), m.AppendToBeSigned(nil), m.Signature) {
		t.Fatal("the signature does not verify with the signer's key")
	}
	if ed25519.Verify(testKey("other").Public().(ed25519.PublicKey), m.AppendToBeSigned(nil), m.Signature) {
		t.Fatal("the signature verifies with another key")
	}

	got, err := token.DecodeLicense(m.Payload)
	if err != nil {
		t.Fatalf("DecodeLicense: %v", err)
	}
	if got.Constraint == nil {
		t.Fatal("the decoded license has no parsed version constraint")
	}
	got.Constraint = nil
	if !slices.Equal(got.Audience, l.Audience) {
		t.Fatalf("audience %q, want %q", got.Audience, l.Audience)
	}
	l.Audience = got.Audience // same content; compare the rest by value
	if !reflect.DeepEqual(*got, *l) {
		t.Fatalf("decoded license\n%+v\nwant\n%+v", *got, *l)
	}

	// The payload is core deterministic: re-encoding its generic form
	// with sorted keys gives the same bytes.
	var generic map[any]any
	if err := cbor.Unmarshal(m.Payload, &generic); err != nil {
		t.Fatalf("decoding the payload generically: %v", err)
	}
	em, _ := cbor.CoreDetEncOptions().EncMode()
	re, err := em.Marshal(generic)
	if err != nil {
		t.Fatalf("re-encoding the payload: %v", err)
	}
	if !bytes.Equal(re, m.Payload) {
		t.Fatalf("the payload is not core deterministic:\n got %x\nwant %x", m.Payload, re)
	}
}

func TestKeyIDIsSHA256Prefix(t *testing.T) {
	pub := testKey("vendor").Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	if got := token.KeyID(pub); !bytes.Equal(got, sum[:8]) {
		t.Fatalf("KeyID %x, want the SHA-256 prefix %x", got, sum[:8])
	}
}

func TestForms(t *testing.T) {
	raw, err := token.SignLicense(testKey("vendor"), sampleLicense(), nil)
	if err != nil {
		t.Fatalf("SignLicense: %v", err)
	}
	text, err := token.EncodeText(raw, "")
	if err != nil {
		t.Fatalf("EncodeText: %v", err)
	}
	if !strings.HasPrefix(text, "licet1.") {
		t.Fatalf("text form %q does not start with licet1.", text)
	}
	branded, err := token.EncodeText(raw, "acme-2")
	if err != nil {
		t.Fatalf("EncodeText: %v", err)
	}
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
			if err != nil {
				t.Fatalf("Unarmor: %v", err)
			}
			if form != tc.form {
				t.Fatalf("form %v, want %v", form, tc.form)
			}
			if !bytes.Equal(got, raw) {
				t.Fatalf("Unarmor returned %x, want %x", got, raw)
			}
			u, err := token.ParseUnverified(tc.in)
			if err != nil {
				t.Fatalf("ParseUnverified: %v", err)
			}
			if u.License.Subject != "customer-1" {
				t.Fatalf("subject %q, want %q", u.License.Subject, "customer-1")
			}
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
			if !errors.Is(err, token.ErrMalformed) {
				t.Fatalf("Decode: %v, want token.ErrMalformed", err)
			}
		})
	}

	_, _, err = token.Decode(raw[1:])
	if err == nil || !strings.Contains(err.Error(), "tag 18") {
		t.Fatalf("Decode: %v, want an error containing %q", err, "tag 18")
	}

	_, err = token.EncodeText(raw, "Bad_Prefix")
	if err == nil {
		t.Fatal("EncodeText with prefix Bad_Prefix succeeded, want an error")
	}
	_, _, err = token.Unarmor(bytes.Repeat([]byte("a"), token.MaxTokenSize+1))
	if !errors.Is(err, token.ErrMalformed) {
		t.Fatalf("Unarmor of an oversized input: %v, want token.ErrMalformed", err)
	}
	if !strings.Contains(err.Error(), "limit") {
		t.Fatalf("Unarmor of an oversized input: %v, want an error naming the limit", err)
	}
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
	if err != nil {
		t.Fatalf("ParseMessage: %v", err)
	}
	if !bytes.Equal(m.Header.KID, kid) {
		t.Fatalf("kid %x, want %x", m.Header.KID, kid)
	}

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
			if !errors.Is(err, token.ErrMalformed) {
				t.Fatalf("ParseMessage: %v, want token.ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseMessage: %v, want an error containing %q", err, tc.want)
			}
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
			if err != nil {
				t.Fatalf("ParseMessage: %v", err)
			}
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
	if err != nil {
		t.Fatalf("SignGrant: %v", err)
	}
	l := sampleLicense()
	l.Issuer = "reseller"
	lic, err := token.SignLicense(partner, l, grant)
	if err != nil {
		t.Fatalf("SignLicense: %v", err)
	}

	u, err := token.ParseUnverified(lic)
	if err != nil {
		t.Fatalf("ParseUnverified: %v", err)
	}
	if u.Message.Header.Grant == nil {
		t.Fatal("the license's header carries no grant")
	}
	if !bytes.Equal(u.Message.Header.Grant.Raw, grant) {
		t.Fatalf("embedded grant %x, want %x", u.Message.Header.Grant.Raw, grant)
	}
	if u.Message.Header.Grant.Header.NestedGrant {
		t.Fatal("a plain grant is flagged as nested")
	}
	if u.EmbeddedGrant.Subject != "reseller" {
		t.Fatalf("grant subject %q, want %q", u.EmbeddedGrant.Subject, "reseller")
	}
	if !bytes.Equal(u.EmbeddedGrant.Key, g.Key) {
		t.Fatalf("grant key %x, want %x", u.EmbeddedGrant.Key, g.Key)
	}
	if got := u.EmbeddedGrant.MaxLife; got == nil || *got != *g.MaxLife {
		t.Fatalf("grant max life %s, want %v", fmtDuration(got), *g.MaxLife)
	}

	// A license cannot be embedded as a grant by the issuer.
	_, err = token.SignLicense(partner, l, lic)
	if err == nil {
		t.Fatal("SignLicense embedding a license as a grant succeeded, want an error")
	}

	// A grant carrying a grant is parsed and flagged, not rejected here.
	nested := make(map[any]any)
	nested[1] = token.AlgEdDSA
	nested[4] = token.KeyID(vendor.Public().(ed25519.PublicKey))
	nested[13] = cbor.RawMessage(grant)
	nested[16] = token.TypeGrant
	ph, err := token.Marshal(nested)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	gPayload, err := g.MarshalClaims()
	if err != nil {
		t.Fatalf("MarshalClaims: %v", err)
	}
	nestedGrant := envelope(ph, []byte{0xa0}, gPayload, make([]byte, 64))
	outer, err := token.Marshal(map[any]any{1: -8, 4: token.KeyID(partner.Public().(ed25519.PublicKey)), 13: cbor.RawMessage(nestedGrant), 16: token.TypeLicense})
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	m, err := token.ParseMessage(envelope(outer, []byte{0xa0}, []byte{0xa0}, make([]byte, 64)))
	if err != nil {
		t.Fatalf("ParseMessage: %v", err)
	}
	if !m.Header.Grant.Header.NestedGrant {
		t.Fatal("a grant carrying a grant is not flagged as nested")
	}
}

// claims encodes a claims map deterministically.
func claims(t *testing.T, m map[any]any) []byte {
	t.Helper()
	b, err := token.Marshal(m)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
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
	if err != nil {
		t.Fatalf("DecodeLicense: %v", err)
	}

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
			if !errors.Is(err, token.ErrMalformed) {
				t.Fatalf("DecodeLicense: %v, want token.ErrMalformed", err)
			}
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
		if !errors.Is(err, token.ErrMalformed) {
			t.Fatalf("DecodeLicense with a second %v: %v, want token.ErrMalformed", extra, err)
		}
		if !strings.Contains(err.Error(), "duplicate") {
			t.Fatalf("DecodeLicense with a second %v: %v, want a duplicate error", extra, err)
		}
	}
	unknownDup := claims(t, baseClaims())
	unknownDup = append([]byte{0xa8}, unknownDup[1:]...)
	unknownDup = append(unknownDup, claims(t, map[any]any{"x": 1})[1:]...)
	unknownDup = append(unknownDup, claims(t, map[any]any{"x": 2})[1:]...)
	_, err = token.DecodeLicense(unknownDup)
	if !errors.Is(err, token.ErrMalformed) {
		t.Fatalf("DecodeLicense of duplicate unknown claims: %v, want token.ErrMalformed", err)
	}

	// Duplicates nested inside values the struct decoder skips: an
	// unknown claim's map, and a map inside an array inside one.
	for name, v := range map[string]cbor.RawMessage{
		"map":          mustHex("a2 6161 01 6161 02"),
		"map in array": mustHex("81 a2 01 01 01 02"),
	} {
		_, err = token.DecodeLicense(with("x-future", v))
		if !errors.Is(err, token.ErrMalformed) {
			t.Fatalf("DecodeLicense of a duplicate in an unknown claim's %s: %v, want token.ErrMalformed", name, err)
		}
		if !strings.Contains(err.Error(), "duplicate") {
			t.Fatalf("DecodeLicense of a duplicate in an unknown claim's %s: %v, want a duplicate error", name, err)
		}
	}
	_, err = token.DecodeLicense(with("x-future", cbor.RawMessage(mustHex("a2 6161 01 6162 02"))))
	if err != nil {
		t.Fatalf("DecodeLicense of distinct keys in an unknown claim: %v", err)
	}

	nestedDup := with("limits", cbor.RawMessage(mustHex("a2 65 7365617473 01 65 7365617473 02")))
	_, err = token.DecodeLicense(nestedDup)
	if !errors.Is(err, token.ErrMalformed) {
		t.Fatalf("DecodeLicense of a limit named twice: %v, want token.ErrMalformed", err)
	}

	// Unknown claims are ignored; claim names are case-sensitive, so
	// "Tier" is an unknown claim and "tier" is still required.
	l, err := token.DecodeLicense(with("x-future", map[string]any{"a": []int{1, 2}}))
	if err != nil {
		t.Fatalf("DecodeLicense with an unknown claim: %v", err)
	}
	if l.Tier != "pro" {
		t.Fatalf("tier %q, want %q", l.Tier, "pro")
	}
	m := baseClaims()
	delete(m, "tier")
	m["Tier"] = "pro"
	_, err = token.DecodeLicense(claims(t, m))
	if !errors.Is(err, token.ErrMalformed) {
		t.Fatalf("DecodeLicense with Tier instead of tier: %v, want token.ErrMalformed", err)
	}

	// Known claims in crit are fine; multi-product aud decodes as a list.
	l, err = token.DecodeLicense(with("crit", []string{"bind", "versions"}))
	if err != nil {
		t.Fatalf("DecodeLicense with known claims in crit: %v", err)
	}
	if want := []string{"bind", "versions"}; !slices.Equal(l.Crit, want) {
		t.Fatalf("crit %q, want %q", l.Crit, want)
	}
	l, err = token.DecodeLicense(with(3, []string{"a", "b"}))
	if err != nil {
		t.Fatalf("DecodeLicense with two products: %v", err)
	}
	if want := []string{"a", "b"}; !slices.Equal(l.Audience, want) {
		t.Fatalf("audience %q, want %q", l.Audience, want)
	}
	l, err = token.DecodeLicense(with(4, int64(-100)))
	if err != nil {
		t.Fatalf("DecodeLicense with exp before 1970: %v", err)
	}
	if got := l.Expiry.Unix(); got != -100 {
		t.Fatalf("exp %d, want -100", got)
	}
	l, err = token.DecodeLicense(with(4, int64(4102444800))) // 2100
	if err != nil {
		t.Fatalf("DecodeLicense with exp in 2100: %v", err)
	}
	if got := l.Expiry.Year(); got != 2100 {
		t.Fatalf("exp in year %d, want 2100", got)
	}
}

func TestValidateBeforeSigning(t *testing.T) {
	l := sampleLicense()
	l.Tier = ""
	l.Scopes = []string{"ok", "has space"}
	l.Versions = "~> nope"
	_, err := token.SignLicense(testKey("vendor"), l, nil)
	if err == nil {
		t.Fatal("SignLicense of an invalid license succeeded, want an error")
	}
	for _, want := range []string{"tier", "has space", "nope"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("SignLicense: %v, want an error naming %q", err, want)
		}
	}
	_, err = token.SignLicense(nil, sampleLicense(), nil)
	if err == nil {
		t.Fatal("SignLicense with a nil key succeeded, want an error")
	}
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
		if got := token.CoversScope(tc.granted, tc.required); got != tc.want {
			t.Fatalf("CoversScope(%q, %q) = %v, want %v", tc.granted, tc.required, got, tc.want)
		}
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
		if got := token.PatternCovers(tc.outer, tc.inner); got != tc.want {
			t.Fatalf("PatternCovers(%q, %q) = %v, want %v", tc.outer, tc.inner, got, tc.want)
		}
	}
	if token.ValidScope("a\u00a0b") {
		t.Fatal("a scope with a no-break space is valid")
	}
	if token.ValidScope("") {
		t.Fatal("the empty scope is valid")
	}
	if !token.ValidScope("connectors:salesforce") {
		t.Fatal(`"connectors:salesforce" is not a valid scope`)
	}
}

func TestRevocationsRoundTrip(t *testing.T) {
	r := &token.Revocations{
		Issuer: "acme", IssuedAt: t0, NextUpdate: t0.Add(7 * 24 * time.Hour), Seq: 3,
		IDs:    [][]byte{bytes.Repeat([]byte{2}, 16), bytes.Repeat([]byte{1}, 16)},
		KeyIDs: [][]byte{bytes.Repeat([]byte{5}, 8)},
	}
	raw, err := token.SignRevocations(testKey("vendor"), r)
	if err != nil {
		t.Fatalf("SignRevocations: %v", err)
	}
	u, err := token.ParseUnverified(raw)
	if err != nil {
		t.Fatalf("ParseUnverified: %v", err)
	}
	if u.Revocations.Seq != 3 {
		t.Fatalf("seq %d, want 3", u.Revocations.Seq)
	}
	if want := bytes.Repeat([]byte{1}, 16); !bytes.Equal(u.Revocations.IDs[0], want) {
		t.Fatalf("first id %x, want %x: ids are sorted", u.Revocations.IDs[0], want)
	}
	if len(u.Revocations.KeyIDs) != 1 {
		t.Fatalf("%d key ids, want 1", len(u.Revocations.KeyIDs))
	}

	bad := *r
	bad.IDs = [][]byte{{1, 2, 3}}
	_, err = token.SignRevocations(testKey("vendor"), &bad)
	if err == nil {
		t.Fatal("SignRevocations with a 3-byte id succeeded, want an error")
	}
}

// TestSignRefusesOversized: issuers never sign what verifiers refuse, and
// CheckSize tells which forms of a signed object fit.
func TestSignRefusesOversized(t *testing.T) {
	l := sampleLicense()
	for i := 0; i < 1000; i++ {
		l.Scopes = append(l.Scopes, fmt.Sprintf("connectors:vendor-%04d", i))
	}
	_, err := token.SignLicense(testKey("vendor"), l, nil)
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("SignLicense: %v, want an error containing %q", err, "limit")
	}

	r := &token.Revocations{Issuer: "acme", IssuedAt: t0, NextUpdate: t0.Add(time.Hour)}
	for i := 0; i < 1000; i++ {
		id := make([]byte, 16)
		id[0], id[1] = byte(i), byte(i>>8)
		r.IDs = append(r.IDs, id)
	}
	_, err = token.SignRevocations(testKey("vendor"), r)
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("SignRevocations: %v, want an error containing %q", err, "limit")
	}

	// 800 ids fit raw but not as PEM or text; each check agrees with
	// what Unarmor accepts.
	r.IDs = r.IDs[:800]
	raw, err := token.SignRevocations(testKey("vendor"), r)
	if err != nil {
		t.Fatalf("SignRevocations: %v", err)
	}
	text, err := token.EncodeText(raw, "")
	if err != nil {
		t.Fatalf("EncodeText: %v", err)
	}
	for form, enc := range map[token.Form][]byte{
		token.FormRaw:  raw,
		token.FormText: []byte(text),
		token.FormPEM:  token.EncodePEM(raw, token.PEMRevocations, nil),
	} {
		_, _, unarmorErr := token.Unarmor(enc)
		if sizeErr := token.CheckSize(raw, form); (sizeErr == nil) != (unarmorErr == nil) {
			t.Fatalf("form %s: CheckSize says %v, Unarmor says %v", form, sizeErr, unarmorErr)
		}
	}
	if err := token.CheckSize(raw, token.FormRaw); err != nil {
		t.Fatalf("CheckSize of 800 ids raw: %v", err)
	}
	if err := token.CheckSize(raw, token.FormPEM); err == nil {
		t.Fatal("CheckSize of 800 ids as PEM succeeded, want an error")
	}
}

// durationPtr returns a pointer to d, for optional ceilings.
func durationPtr(d time.Duration) *time.Duration { return &d }

// fmtDuration formats an optional ceiling.
func fmtDuration(d *time.Duration) string {
	if d == nil {
		return "none"
	}
	return d.String()
}

package verify_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func key(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(label))
	return ed25519.NewKeyFromSeed(seed[:])
}

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

var (
	vendor  = key("vendor")
	other   = key("other vendor")
	partner = key("partner")
	rogue   = key("rogue partner")
)

func license(mod ...func(*token.License)) *token.License {
	l := &token.License{
		Issuer: "acme", Subject: "customer-1", Audience: []string{"widget"},
		IssuedAt: now.Add(-24 * time.Hour), Expiry: now.Add(30 * 24 * time.Hour),
		ID: bytes.Repeat([]byte{1}, 16), Tier: "pro",
		Scopes:   []string{"api:read", "reports:*"},
		Versions: ">= 2.0, < 4.0",
		Limits:   map[string]uint64{"seats": 10},
		Rights:   []string{"embed"},
	}
	for _, m := range mod {
		m(l)
	}
	return l
}

func mint(t testing.TB, signer ed25519.PrivateKey, l *token.License, grant []byte) []byte {
	t.Helper()
	raw, err := token.SignLicense(signer, l, grant)
	if err != nil {
		t.Fatalf("minting a test license: %v", err)
	}
	return raw
}

func keyset(t testing.TB, keys ...verify.Key) *verify.KeySet {
	t.Helper()
	if len(keys) == 0 {
		keys = []verify.Key{{PublicKey: pub(vendor), Issuer: "acme"}}
	}
	ks, err := verify.NewKeySet(keys...)
	if err != nil {
		t.Fatalf("NewKeySet of the test keys: %v", err)
	}
	return ks
}

func verifier(t testing.TB, ks *verify.KeySet, opts ...verify.Option) *verify.Verifier {
	t.Helper()
	base := []verify.Option{
		verify.WithProduct("widget"), verify.WithProductVersion("3.1.0"),
		verify.WithClock(func() time.Time { return now }),
		verify.WithBinding(map[string]string{"host": "h1"}),
	}
	v, err := verify.New(ks, append(base, opts...)...)
	if err != nil {
		t.Fatalf("New with the test options: %v", err)
	}
	return v
}

func requireCode(t *testing.T, err error, code verify.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want code %s", code)
	}
	if got := verify.CodeOf(err); got != code {
		t.Fatalf("code %q, want %s; error: %v", got, code, err)
	}
	var ve *verify.Error
	if !errors.As(err, &ve) {
		t.Fatalf("%v (%T) is not a *verify.Error", err, err)
	}
	if ve.Code != code {
		t.Fatalf("Error.Code %s, want %s", ve.Code, code)
	}
	if ve.Message == "" {
		t.Fatalf("%s error without a message", code)
	}
	for _, c := range verify.Codes() {
		if got := errors.Is(err, &verify.Error{Code: c}); got != (c == code) {
			t.Fatalf("errors.Is for %s = %v on an error of code %s", c, got, code)
		}
		if got := errors.Is(err, c); got != (c == code) {
			t.Fatalf("errors.Is with the Code %s = %v on an error of code %s", c, got, code)
		}
	}
}

func TestValid(t *testing.T) {
	v := verifier(t, keyset(t))
	raw := mint(t, vendor, license(), nil)
	text, _ := token.EncodeText(raw, "acme")
	for name, in := range map[string][]byte{
		"raw":  raw,
		"text": []byte(text),
		"pem":  token.EncodePEM(raw, token.PEMLicense, nil),
	} {
		t.Run(name, func(t *testing.T) {
			l, err := v.Verify(in, "api:read", "reports:monthly")
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if l.InGrace {
				t.Fatal("a license before its expiry is in grace")
			}
			if want := token.KeyID(pub(vendor)); !bytes.Equal(l.KeyID, want) {
				t.Fatalf("key id %x, want %x", l.KeyID, want)
			}
			if l.Claims.Subject != "customer-1" {
				t.Fatalf("subject %q, want %q", l.Claims.Subject, "customer-1")
			}
			if !l.Claims.Allows("reports:q3") {
				t.Fatal(`scope "reports:*" does not allow "reports:q3"`)
			}
			if l.Claims.Allows("api:write") {
				t.Fatal(`the license allows "api:write"`)
			}
			n, ok := l.Claims.Limit("seats")
			if !ok {
				t.Fatal("no seats limit")
			}
			if n != 10 {
				t.Fatalf("seats limit %d, want 10", n)
			}
			if !l.Claims.HasRight("embed") {
				t.Fatal(`no right "embed"`)
			}
			if l.Claims.HasRight("redistribute") {
				t.Fatal(`right "redistribute", not granted`)
			}
			if l.Grant != nil {
				t.Fatalf("a license without a grant has grant %+v", l.Grant)
			}
		})
	}
}

// TestKeyIDDoesNotAliasInput: the returned license must not change when the
// caller reuses its buffer.
func TestKeyIDDoesNotAliasInput(t *testing.T) {
	raw := mint(t, vendor, license(), nil)
	buf := append([]byte(nil), raw...)
	l, err := verifier(t, keyset(t)).Verify(buf)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	for i := range buf {
		buf[i] = 0
	}
	if want := token.KeyID(pub(vendor)); !bytes.Equal(l.KeyID, want) {
		t.Fatalf("key id %x after the input buffer was zeroed, want %x", l.KeyID, want)
	}
}

func TestCodes(t *testing.T) {
	ks := keyset(t)
	good := mint(t, vendor, license(), nil)
	hdr := func(m map[any]any) []byte {
		b, err := token.Marshal(m)
		if err != nil {
			t.Fatalf("Marshal of a test header: %v", err)
		}
		return b
	}
	// signedWithHeader signs payload under an arbitrary protected header.
	signedWithHeader := func(h map[any]any, payload []byte) []byte {
		p := hdr(h)
		m := &token.Message{Protected: p, Payload: payload}
		sig := ed25519.Sign(vendor, m.AppendToBeSigned(nil))
		b := []byte{0xd2, 0x84}
		for _, x := range [][]byte{p} {
			e, _ := cbor.Marshal(x)
			b = append(b, e...)
		}
		b = append(b, 0xa0)
		e, _ := cbor.Marshal(payload)
		b = append(b, e...)
		e, _ = cbor.Marshal(sig)
		return append(b, e...)
	}
	claims, err := license().MarshalClaims()
	if err != nil {
		t.Fatalf("MarshalClaims: %v", err)
	}
	kid := token.KeyID(pub(vendor))
	badSig := append([]byte(nil), good...)
	badSig[len(badSig)-1] ^= 1
	grant, err := token.SignGrant(vendor, &token.Grant{
		Issuer: "acme", Subject: "reseller", Audience: []string{"widget"},
		IssuedAt: now.Add(-48 * time.Hour), Expiry: now.Add(365 * 24 * time.Hour),
		ID: bytes.Repeat([]byte{9}, 16), Key: pub(partner), Tiers: []string{"*"}, Scopes: []string{"*"},
	})
	if err != nil {
		t.Fatalf("SignGrant: %v", err)
	}

	for _, tc := range []struct {
		name   string
		tok    []byte
		scopes []string
		opts   []verify.Option
		want   verify.Code
	}{
		{name: "empty", tok: nil, want: verify.CodeMalformed},
		{name: "garbage text", tok: []byte("licet1.!!!"), want: verify.CodeMalformed},
		{name: "too large", tok: bytes.Repeat([]byte("a"), 16<<10+1), want: verify.CodeMalformed},
		{name: "ES256", tok: signedWithHeader(map[any]any{1: -7, 4: kid, 16: token.TypeLicense}, claims), want: verify.CodeUnsupportedAlg},
		{name: "no alg", tok: signedWithHeader(map[any]any{4: kid, 16: token.TypeLicense}, claims), want: verify.CodeUnsupportedAlg},
		{name: "alg as text", tok: signedWithHeader(map[any]any{1: "EdDSA", 4: kid, 16: token.TypeLicense}, claims), want: verify.CodeUnsupportedAlg},
		{name: "alg -19 accepted", tok: signedWithHeader(map[any]any{1: -19, 4: kid, 16: token.TypeLicense}, claims), want: ""},
		{name: "no typ", tok: signedWithHeader(map[any]any{1: -8, 4: kid}, claims), want: verify.CodeWrongType},
		{name: "typ cwt", tok: signedWithHeader(map[any]any{1: -8, 4: kid, 16: "application/cwt"}, claims), want: verify.CodeWrongType},
		{name: "grant as license", tok: grant, want: verify.CodeWrongType},
		{name: "unknown key", tok: mint(t, other, license(), nil), want: verify.CodeUnknownKey},
		{name: "bad signature", tok: badSig, want: verify.CodeBadSignature},
		{name: "claims not a map", tok: signedWithHeader(map[any]any{1: -8, 4: kid, 16: token.TypeLicense}, []byte{0x80}), want: verify.CodeMalformed},
		{name: "key revoked", tok: good, opts: nil, want: verify.CodeKeyNotValid},
		{name: "wrong issuer", tok: mint(t, vendor, license(func(l *token.License) { l.Issuer = "evil" }), nil), want: verify.CodeWrongIssuer},
		{name: "wrong product", tok: mint(t, vendor, license(func(l *token.License) { l.Audience = []string{"gadget"} }), nil), want: verify.CodeWrongProduct},
		{name: "multi product", tok: mint(t, vendor, license(func(l *token.License) { l.Audience = []string{"gadget", "widget"} }), nil), want: ""},
		{name: "not before", tok: mint(t, vendor, license(func(l *token.License) { l.NotBefore = now.Add(time.Hour) }), nil), want: verify.CodeNotYetValid},
		{name: "issued in future", tok: mint(t, vendor, license(func(l *token.License) { l.IssuedAt = now.Add(time.Hour) }), nil), want: verify.CodeNotYetValid},
		{name: "expired", tok: mint(t, vendor, license(func(l *token.License) { l.Expiry = now.Add(-time.Hour) }), nil), want: verify.CodeExpired},
		{name: "version too new", tok: good, opts: []verify.Option{verify.WithProductVersion("4.0.0")}, want: verify.CodeVersionNotCovered},
		{name: "binding mismatch", tok: mint(t, vendor, license(func(l *token.License) { l.Bind = map[string]string{"host": "h2"} }), nil), want: verify.CodeBindingMismatch},
		{name: "binding missing here", tok: mint(t, vendor, license(func(l *token.License) { l.Bind = map[string]string{"cluster": "c1"} }), nil), want: verify.CodeBindingMismatch},
		{name: "binding insecure skip", tok: mint(t, vendor, license(func(l *token.License) { l.Bind = map[string]string{"cluster": "c1"} }), nil), opts: []verify.Option{verify.AnyBindingInsecure()}, want: ""},
		{name: "binding match", tok: mint(t, vendor, license(func(l *token.License) { l.Bind = map[string]string{"host": "h1"} }), nil), want: ""},
		{name: "scope missing", tok: good, scopes: []string{"api:write"}, want: verify.CodeScopeMissing},
		{name: "pattern is not a required scope", tok: good, scopes: []string{"reports:*"}, want: verify.CodeScopeMissing},
		{name: "perpetual", tok: mint(t, vendor, license(func(l *token.License) { l.Expiry = time.Time{} }), nil), want: ""},
		{name: "no versions", tok: mint(t, vendor, license(func(l *token.License) { l.Versions = "" }), nil), want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kset := ks
			if tc.name == "key revoked" {
				kset = keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme", Revoked: true})
			}
			v := verifier(t, kset, tc.opts...)
			l, err := v.Verify(tc.tok, tc.scopes...)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if l == nil {
					t.Fatal("Verify returned no license and no error")
				}
				return
			}
			if l != nil {
				t.Fatalf("Verify returned a license with error %v", err)
			}
			requireCode(t, err, tc.want)
		})
	}
}

func TestErrorDetail(t *testing.T) {
	v := verifier(t, keyset(t))
	_, err := v.Verify(mint(t, vendor, license(), nil), "api:read", "billing:export")
	var ve *verify.Error
	if !errors.As(err, &ve) {
		t.Fatalf("Verify with a missing scope: %v, want a *verify.Error", err)
	}
	if ve.Detail != "billing:export" {
		t.Fatalf("detail %q, want the missing scope %q", ve.Detail, "billing:export")
	}
	if !strings.Contains(err.Error(), "scope_missing") {
		t.Fatalf("error text %q does not name the code scope_missing", err)
	}
	if !errors.Is(err, verify.CodeScopeMissing) {
		t.Fatalf("errors.Is(%v, CodeScopeMissing) = false", err)
	}
	if errors.Is(err, verify.CodeExpired) {
		t.Fatalf("errors.Is(%v, CodeExpired) = true", err)
	}

	v = verifier(t, keyset(t), verify.WithProductVersion("1.9"))
	_, err = v.Verify(mint(t, vendor, license(), nil))
	if !errors.As(err, &ve) {
		t.Fatalf("Verify of version 1.9: %v, want a *verify.Error", err)
	}
	if ve.Detail != "1.9" {
		t.Fatalf("detail %q, want the product version %q", ve.Detail, "1.9")
	}
	if !strings.Contains(ve.Message, ">= 2.0, < 4.0") {
		t.Fatalf("message %q does not quote the constraint >= 2.0, < 4.0", ve.Message)
	}
}

func TestTimeBoundaries(t *testing.T) {
	ks := keyset(t)
	exp := now
	tok := mint(t, vendor, license(func(l *token.License) { l.Expiry = exp; l.Grace = 0 }), nil)
	graced := mint(t, vendor, license(func(l *token.License) { l.Expiry = exp; l.Grace = 7 * 24 * time.Hour }), nil)
	nbf := mint(t, vendor, license(func(l *token.License) { l.NotBefore = now }), nil)
	leeway := verify.DefaultLeeway
	for _, tc := range []struct {
		name    string
		tok     []byte
		at      time.Time
		leeway  *time.Duration
		want    verify.Code
		inGrace bool
	}{
		{name: "exp exactly now", tok: tok, at: exp},
		{name: "exp plus leeway", tok: tok, at: exp.Add(leeway)},
		{name: "one second past leeway", tok: tok, at: exp.Add(leeway + time.Second), want: verify.CodeExpired},
		{name: "zero leeway one second past", tok: tok, at: exp.Add(time.Second), leeway: new(time.Duration), want: verify.CodeExpired},
		{name: "grace start", tok: graced, at: exp.Add(leeway + time.Second), inGrace: true},
		{name: "grace end", tok: graced, at: exp.Add(leeway + 7*24*time.Hour), inGrace: true},
		{name: "grace over", tok: graced, at: exp.Add(leeway + 7*24*time.Hour + time.Second), want: verify.CodeExpired},
		{name: "nbf minus leeway", tok: nbf, at: now.Add(-leeway)},
		{name: "nbf minus leeway minus one", tok: nbf, at: now.Add(-leeway - time.Second), want: verify.CodeNotYetValid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []verify.Option{verify.WithClock(func() time.Time { return tc.at })}
			if tc.leeway != nil {
				opts = append(opts, verify.WithLeeway(*tc.leeway))
			}
			l, err := verifier(t, ks, opts...).Verify(tc.tok)
			if tc.want != "" {
				requireCode(t, err, tc.want)
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if l.InGrace != tc.inGrace {
				t.Fatalf("in grace %v, want %v", l.InGrace, tc.inGrace)
			}
		})
	}

	far := mint(t, vendor, license(func(l *token.License) {
		l.IssuedAt = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)
		l.Expiry = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	}), nil)
	l, err := verifier(t, ks, verify.WithClock(func() time.Time { return time.Date(2150, 1, 1, 0, 0, 0, 0, time.UTC) })).Verify(far)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got := l.Claims.Expiry.Year(); got != 2200 {
		t.Fatalf("exp in year %d, want 2200", got)
	}
	if got := l.Claims.IssuedAt.Year(); got != 1969 {
		t.Fatalf("iat in year %d, want 1969", got)
	}
}

func TestKeyWindows(t *testing.T) {
	tok := mint(t, vendor, license(), nil) // iat = now - 24h
	iat := now.Add(-24 * time.Hour)
	for _, tc := range []struct {
		name string
		k    verify.Key
		want verify.Code
	}{
		{"retired after issue", verify.Key{PublicKey: pub(vendor), NotAfter: iat.Add(time.Hour)}, ""},
		{"retired before issue", verify.Key{PublicKey: pub(vendor), NotAfter: iat.Add(-time.Hour)}, verify.CodeKeyNotValid},
		{"valid from after issue", verify.Key{PublicKey: pub(vendor), NotBefore: iat.Add(time.Hour)}, verify.CodeKeyNotValid},
		{"inside window", verify.Key{PublicKey: pub(vendor), NotBefore: iat.Add(-time.Hour), NotAfter: iat.Add(time.Hour)}, ""},
		{"revoked", verify.Key{PublicKey: pub(vendor), Revoked: true}, verify.CodeKeyNotValid},
		{"no issuer named", verify.Key{PublicKey: pub(vendor)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifier(t, keyset(t, tc.k)).Verify(tok)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
			} else {
				requireCode(t, err, tc.want)
			}
		})
	}
}

func TestNewOptions(t *testing.T) {
	ks := keyset(t)
	_, err := verify.New(ks)
	if err == nil || !strings.Contains(err.Error(), "product") {
		t.Fatalf("New: %v, want an error containing %q", err, "product")
	}
	_, err = verify.New(nil, verify.WithProduct("x"))
	if err == nil || !strings.Contains(err.Error(), "keys") {
		t.Fatalf("New: %v, want an error containing %q", err, "keys")
	}
	_, err = verify.New(ks, verify.WithProduct("x"), verify.WithProductVersion("not a version"))
	if err == nil {
		t.Fatal("New with product version \"not a version\" succeeded, want an error")
	}
	_, err = verify.New(ks, verify.WithProduct("x"), verify.WithLeeway(-time.Second))
	if err == nil {
		t.Fatal("New with a negative leeway succeeded, want an error")
	}
	_, err = verify.NewKeySet(verify.Key{PublicKey: pub(vendor)}, verify.Key{PublicKey: pub(vendor)})
	if err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("NewKeySet: %v, want an error containing %q", err, "duplicate")
	}
	_, err = verify.NewKeySet(verify.Key{PublicKey: make([]byte, 31)})
	if err == nil {
		t.Fatal("NewKeySet with a 31-byte key succeeded, want an error")
	}

	// Without a product version, a license with a constraint is rejected
	// unless the caller says versions do not matter.
	tok := mint(t, vendor, license(), nil)
	v, err := verify.New(ks, verify.WithProduct("widget"), verify.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatalf("New without a product version: %v", err)
	}
	_, err = v.Verify(tok)
	requireCode(t, err, verify.CodeVersionNotCovered)
	v, err = verify.New(ks, verify.AnyProductInsecure(), verify.AnyVersionInsecure(), verify.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatalf("New with any product and any version: %v", err)
	}
	_, err = v.Verify(mint(t, vendor, license(func(l *token.License) { l.Audience = []string{"gadget"} }), nil))
	if err != nil {
		t.Fatalf("Verify with any product and any version: %v", err)
	}
}

// grantFor is a grant from vendor to partner with typical limits.
func grantFor(mod ...func(*token.Grant)) *token.Grant {
	g := &token.Grant{
		Issuer: "acme", Subject: "reseller", Audience: []string{"widget"},
		IssuedAt: now.Add(-48 * time.Hour), Expiry: now.Add(365 * 24 * time.Hour),
		ID: bytes.Repeat([]byte{9}, 16), Key: pub(partner),
		Tiers: []string{"basic", "pro"}, Scopes: []string{"api:*", "reports:*"},
		Limits: map[string]uint64{"seats": 50}, Rights: []string{"embed"},
		Versions: ">= 3.0", MaxLife: durationPtr(90 * 24 * time.Hour),
	}
	for _, m := range mod {
		m(g)
	}
	return g
}

func partnerLicense(mod ...func(*token.License)) *token.License {
	return license(append([]func(*token.License){func(l *token.License) {
		l.Issuer = "reseller"
		l.Expiry = now.Add(60 * 24 * time.Hour)
	}}, mod...)...)
}

func signGrant(t testing.TB, signer ed25519.PrivateKey, g *token.Grant) []byte {
	t.Helper()
	raw, err := token.SignGrant(signer, g)
	if err != nil {
		t.Fatalf("SignGrant: %v", err)
	}
	return raw
}

func TestGrantChain(t *testing.T) {
	ks := keyset(t)
	v := verifier(t, ks)
	grant := signGrant(t, vendor, grantFor())
	l, err := v.Verify(mint(t, partner, partnerLicense(), grant), "api:read")
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if l.Grant == nil {
		t.Fatal("a license under a grant verified without its grant")
	}
	if l.Grant.Subject != "reseller" {
		t.Fatalf("grant subject %q, want %q", l.Grant.Subject, "reseller")
	}
	if want := token.KeyID(pub(partner)); !bytes.Equal(l.KeyID, want) {
		t.Fatalf("key id %x, want the partner's %x", l.KeyID, want)
	}
	if want := token.KeyID(pub(vendor)); !bytes.Equal(l.GrantKeyID, want) {
		t.Fatalf("grant key id %x, want the vendor's %x", l.GrantKeyID, want)
	}

	// A grant inside a grant, built by hand (issuers refuse to).
	gm, err := token.ParseMessage(grant)
	if err != nil {
		t.Fatalf("ParseMessage: %v", err)
	}
	nestedHdr, err := token.Marshal(map[any]any{1: -8, 4: token.KeyID(pub(vendor)), 13: cbor.RawMessage(grant), 16: token.TypeGrant})
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	nm := &token.Message{Protected: nestedHdr, Payload: gm.Payload}
	nested := assemble(nestedHdr, gm.Payload, ed25519.Sign(vendor, nm.AppendToBeSigned(nil)))
	licAsGrant := mint(t, vendor, license(), nil)

	for _, tc := range []struct {
		name string
		tok  []byte
		v    *verify.Verifier
		want verify.Code
	}{
		{"tier outside grant", mint(t, partner, partnerLicense(func(l *token.License) { l.Tier = "enterprise" }), grant), v, verify.CodeGrantViolation},
		{"scope outside grant", mint(t, partner, partnerLicense(func(l *token.License) { l.Scopes = []string{"admin:users"} }), grant), v, verify.CodeGrantViolation},
		{"wider pattern than grant", mint(t, partner, partnerLicense(func(l *token.License) { l.Scopes = []string{"*"} }), grant), v, verify.CodeGrantViolation},
		{"limit above cap", mint(t, partner, partnerLicense(func(l *token.License) { l.Limits = map[string]uint64{"seats": 51} }), grant), v, verify.CodeGrantViolation},
		{"capped limit missing", mint(t, partner, partnerLicense(func(l *token.License) { l.Limits = map[string]uint64{"nodes": 1} }), grant), v, verify.CodeGrantViolation},
		{"right not granted", mint(t, partner, partnerLicense(func(l *token.License) { l.Rights = []string{"redistribute"} }), grant), v, verify.CodeGrantViolation},
		{"expiry beyond grant", mint(t, partner, partnerLicense(func(l *token.License) { l.Expiry = now.Add(400 * 24 * time.Hour) }), signGrant(t, vendor, grantFor(func(g *token.Grant) { g.MaxLife = nil }))), v, verify.CodeGrantViolation},
		// Issue 9 item 2: grace counts against max life; max grace caps it.
		{"grace beyond max life", mint(t, partner, partnerLicense(func(l *token.License) { l.Expiry = now.Add(14 * 24 * time.Hour); l.Grace = 1400 * 24 * time.Hour }), grant), v, verify.CodeGrantViolation},
		{"grace beyond max grace", mint(t, partner, partnerLicense(func(l *token.License) { l.Grace = 8 * 24 * time.Hour }), signGrant(t, vendor, grantFor(func(g *token.Grant) { g.MaxGrace = durationPtr(7 * 24 * time.Hour) }))), v, verify.CodeGrantViolation},
		{"any grace under max grace 0", mint(t, partner, partnerLicense(func(l *token.License) { l.Grace = time.Second }), signGrant(t, vendor, grantFor(func(g *token.Grant) { g.MaxGrace = durationPtr(0) }))), v, verify.CodeGrantViolation},
		// Issue 9 item 3: max life 0 is a ceiling of zero, not "no limit".
		{"max life 0", mint(t, partner, partnerLicense(), signGrant(t, vendor, grantFor(func(g *token.Grant) { g.MaxLife = durationPtr(0) }))), v, verify.CodeGrantViolation},
		// Issue 9 item 1: a partner key that is itself trusted keeps its status on the grant path.
		{"grant key revoked in key set", mint(t, partner, partnerLicense(), grant), verifier(t, keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme"}, verify.Key{PublicKey: pub(partner), Issuer: "reseller", Revoked: true})), verify.CodeKeyNotValid},
		{"grant key retired in key set", mint(t, partner, partnerLicense(), grant), verifier(t, keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme"}, verify.Key{PublicKey: pub(partner), NotAfter: now.Add(-36 * time.Hour)})), verify.CodeKeyNotValid},
		{"grant key not yet valid in key set", mint(t, partner, partnerLicense(), grant), verifier(t, keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme"}, verify.Key{PublicKey: pub(partner), NotBefore: now})), verify.CodeKeyNotValid},
		{"grant key of another issuer in key set", mint(t, partner, partnerLicense(), grant), verifier(t, keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme"}, verify.Key{PublicKey: pub(partner), Issuer: "acme"})), verify.CodeWrongIssuer},
		{"perpetual under grant", mint(t, partner, partnerLicense(func(l *token.License) { l.Expiry = time.Time{} }), grant), v, verify.CodeGrantViolation},
		{"life beyond max life", mint(t, partner, partnerLicense(func(l *token.License) { l.Expiry = now.Add(200 * 24 * time.Hour) }), grant), v, verify.CodeGrantViolation},
		{"product outside grant", mint(t, partner, partnerLicense(func(l *token.License) { l.Audience = []string{"widget", "gadget"} }), grant), v, verify.CodeGrantViolation},
		{"issued before grant", mint(t, partner, partnerLicense(func(l *token.License) { l.IssuedAt = now.Add(-72 * time.Hour) }), grant), v, verify.CodeGrantViolation},
		{"iss not the partner", mint(t, partner, partnerLicense(func(l *token.License) { l.Issuer = "acme" }), grant), v, verify.CodeGrantViolation},
		{"signed by another partner", mint(t, rogue, partnerLicense(), grant), v, verify.CodeGrantViolation},
		{"grant signed by unknown key", mint(t, partner, partnerLicense(), signGrant(t, other, grantFor())), v, verify.CodeGrantInvalid},
		{"grant expired", mint(t, partner, partnerLicense(func(l *token.License) { l.Expiry = now.Add(-2 * time.Hour); l.IssuedAt = now.Add(-30 * time.Hour) }), signGrant(t, vendor, grantFor(func(g *token.Grant) { g.Expiry = now.Add(-time.Hour) }))), v, verify.CodeGrantInvalid},
		{"grant not yet valid", mint(t, partner, partnerLicense(), signGrant(t, vendor, grantFor(func(g *token.Grant) { g.NotBefore = now.Add(time.Hour) }))), v, verify.CodeGrantInvalid},
		{"grant issuer not the vendor", mint(t, partner, partnerLicense(), signGrant(t, vendor, grantFor(func(g *token.Grant) { g.Issuer = "evil" }))), v, verify.CodeGrantInvalid},
		{"grant nested in grant", mint(t, partner, partnerLicense(), nested), v, verify.CodeGrantInvalid},
		{"license presented as grant", embedRaw(t, partner, partnerLicense(), licAsGrant), v, verify.CodeGrantInvalid},
		{"grant presented as license", grant, v, verify.CodeWrongType},
		{"version outside grant", mint(t, partner, partnerLicense(), grant), verifier(t, ks, verify.WithProductVersion("2.5")), verify.CodeVersionNotCovered},
		{"vendor key retired before grant", mint(t, partner, partnerLicense(), grant), verifier(t, keyset(t, verify.Key{PublicKey: pub(vendor), NotAfter: now.Add(-72 * time.Hour)})), verify.CodeKeyNotValid},
		{"partner signature forged", forge(mint(t, partner, partnerLicense(), grant)), v, verify.CodeBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.v.Verify(tc.tok)
			requireCode(t, err, tc.want)
		})
	}

	// Within the ceilings: grace under max grace, exp + grace - iat equal
	// to max life; and a trusted, valid partner key changes nothing.
	within := mint(t, partner, partnerLicense(func(l *token.License) {
		l.IssuedAt = now.Add(-24 * time.Hour)
		l.Expiry = l.IssuedAt.Add(83 * 24 * time.Hour)
		l.Grace = 7 * 24 * time.Hour
	}), signGrant(t, vendor, grantFor(func(g *token.Grant) { g.MaxGrace = durationPtr(7 * 24 * time.Hour) })))
	_, err = v.Verify(within)
	if err != nil {
		t.Fatalf("Verify of a license within the grant's ceilings: %v", err)
	}
	_, err = verifier(t, keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme"}, verify.Key{PublicKey: pub(partner), Issuer: "reseller"})).Verify(within)
	if err != nil {
		t.Fatalf("Verify with the partner key trusted too: %v", err)
	}
	_, err = v.Verify(mint(t, partner, partnerLicense(func(l *token.License) { l.Expiry = now.Add(14 * 24 * time.Hour); l.Grace = 1400 * 24 * time.Hour }), grant))
	if err == nil || !strings.Contains(err.Error(), "lifetime 1415d (from issue to expiry plus grace) is longer than the grant's max life of 90d") {
		t.Fatalf("Verify: %v, want an error containing %q", err, "lifetime 1415d (from issue to expiry plus grace) is longer than the grant's max life of 90d")
	}

	// The error names every violated constraint.
	_, err = v.Verify(mint(t, partner, partnerLicense(func(l *token.License) {
		l.Tier = "enterprise"
		l.Limits = map[string]uint64{"seats": 99}
	}), grant))
	if err == nil || !strings.Contains(err.Error(), "tier") {
		t.Fatalf("Verify: %v, want an error containing %q", err, "tier")
	}
	if err == nil || !strings.Contains(err.Error(), "seats=99") {
		t.Fatalf("Verify: %v, want an error containing %q", err, "seats=99")
	}
}

func forge(tok []byte) []byte {
	out := append([]byte(nil), tok...)
	out[len(out)-5] ^= 0x40
	return out
}

// embedRaw signs l with signer, embedding raw at label 13 whatever it is,
// bypassing the issuer-side check that it is a grant.
func embedRaw(t *testing.T, signer ed25519.PrivateKey, l *token.License, raw []byte) []byte {
	t.Helper()
	hdr, err := token.Marshal(map[any]any{1: -8, 4: token.KeyID(pub(signer)), 13: cbor.RawMessage(raw), 16: token.TypeLicense})
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	payload, err := l.MarshalClaims()
	if err != nil {
		t.Fatalf("MarshalClaims: %v", err)
	}
	m := &token.Message{Protected: hdr, Payload: payload}
	return assemble(hdr, payload, ed25519.Sign(signer, m.AppendToBeSigned(nil)))
}

func assemble(protected, payload, sig []byte) []byte {
	b := []byte{0xd2, 0x84}
	for i, x := range [][]byte{protected, payload, sig} {
		if i == 1 {
			b = append(b, 0xa0)
		}
		e, _ := cbor.Marshal(x)
		b = append(b, e...)
	}
	return b
}

// TestRotationBySelfGrant: the vendor's new key, certified by its old key
// through a grant with tiers "*" and scopes "*", signs licenses that
// products shipping only the old key accept.
func TestRotationBySelfGrant(t *testing.T) {
	oldKey, newKey := vendor, key("vendor 2027")
	self := signGrant(t, oldKey, &token.Grant{
		Issuer: "acme", Subject: "acme", Audience: []string{"widget", "gadget"},
		IssuedAt: now.Add(-time.Hour), Expiry: now.Add(2 * 365 * 24 * time.Hour),
		ID: bytes.Repeat([]byte{0x2a}, 16), Key: pub(newKey), Tiers: []string{"*"}, Scopes: []string{"*"},
		Limits: map[string]uint64{}, Rights: []string{"embed"},
	})
	v := verifier(t, keyset(t)) // ships only the old key
	l, err := v.Verify(mint(t, newKey, license(func(l *token.License) { l.IssuedAt = now }), self), "api:read")
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if l.Claims.Issuer != "acme" {
		t.Fatalf("issuer %q, want %q", l.Claims.Issuer, "acme")
	}
	if want := token.KeyID(pub(newKey)); !bytes.Equal(l.KeyID, want) {
		t.Fatalf("key id %x, want the new key's %x", l.KeyID, want)
	}

	// Without the self-grant, the new key is unknown to the old product.
	_, err = v.Verify(mint(t, newKey, license(), nil))
	requireCode(t, err, verify.CodeUnknownKey)
}

func signRevocations(t testing.TB, signer ed25519.PrivateKey, r *token.Revocations) []byte {
	t.Helper()
	raw, err := token.SignRevocations(signer, r)
	if err != nil {
		t.Fatalf("SignRevocations: %v", err)
	}
	return raw
}

func TestRevocations(t *testing.T) {
	ks := keyset(t)
	lic := license()
	tok := mint(t, vendor, lic, nil)
	grant := signGrant(t, vendor, grantFor())
	ptok := mint(t, partner, partnerLicense(func(l *token.License) { l.ID = bytes.Repeat([]byte{3}, 16) }), grant)
	list := func(ids, kids [][]byte, exp time.Time) *verify.RevocationList {
		raw := signRevocations(t, vendor, &token.Revocations{
			Issuer: "acme", IssuedAt: now.Add(-time.Hour), NextUpdate: exp, Seq: 7, IDs: ids, KeyIDs: kids,
		})
		rl, err := verify.ParseRevocation(raw, ks)
		if err != nil {
			t.Fatalf("ParseRevocation: %v", err)
		}
		if rl.Claims().Seq != 7 {
			t.Fatalf("seq %d, want 7", rl.Claims().Seq)
		}
		return rl
	}
	week := now.Add(7 * 24 * time.Hour)
	for _, tc := range []struct {
		name string
		tok  []byte
		rl   *verify.RevocationList
		opts []verify.Option
		want verify.Code
		warn bool
	}{
		{name: "not listed", tok: tok, rl: list([][]byte{bytes.Repeat([]byte{8}, 16)}, nil, week)},
		{name: "license id", tok: tok, rl: list([][]byte{lic.ID}, nil, week), want: verify.CodeRevoked},
		{name: "vendor kid", tok: tok, rl: list(nil, [][]byte{token.KeyID(pub(vendor))}, week), want: verify.CodeRevoked},
		{name: "grant id", tok: ptok, rl: list([][]byte{grantFor().ID}, nil, week), want: verify.CodeRevoked},
		{name: "partner kid", tok: ptok, rl: list(nil, [][]byte{token.KeyID(pub(partner))}, week), want: verify.CodeRevoked},
		{name: "vendor kid under grant", tok: ptok, rl: list(nil, [][]byte{token.KeyID(pub(vendor))}, week), want: verify.CodeRevoked},
		{name: "stale warns", tok: tok, rl: list(nil, nil, now.Add(-time.Minute)), warn: true},
		{name: "stale strict", tok: tok, rl: list(nil, nil, now.Add(-time.Minute)), opts: []verify.Option{verify.RejectStaleRevocations()}, want: verify.CodeRevoked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := verifier(t, ks, append([]verify.Option{verify.WithRevocations(tc.rl)}, tc.opts...)...)
			l, err := v.Verify(tc.tok)
			if tc.want != "" {
				requireCode(t, err, tc.want)
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got := len(l.Warnings) > 0; got != tc.warn {
				t.Fatalf("warnings %q, want warnings: %v", l.Warnings, tc.warn)
			}
		})
	}

	// Lists must be signed by a trusted key, be of the right type, and
	// verify.
	untrusted := signRevocations(t, other, &token.Revocations{Issuer: "acme", IssuedAt: now, NextUpdate: week})
	_, err := verify.ParseRevocation(untrusted, ks)
	requireCode(t, err, verify.CodeUnknownKey)
	_, err = verify.ParseRevocation(tok, ks)
	requireCode(t, err, verify.CodeWrongType)
	wrongIss := signRevocations(t, vendor, &token.Revocations{Issuer: "evil", IssuedAt: now, NextUpdate: week})
	_, err = verify.ParseRevocation(wrongIss, ks)
	requireCode(t, err, verify.CodeWrongIssuer)
	good := signRevocations(t, vendor, &token.Revocations{Issuer: "acme", IssuedAt: now, NextUpdate: week})
	_, err = verify.ParseRevocation(forge(good), ks)
	requireCode(t, err, verify.CodeBadSignature)
	_, err = verify.ParseRevocation([]byte("garbage"), ks)
	requireCode(t, err, verify.CodeMalformed)
}

func TestParsePublicKeyPEM(t *testing.T) {
	const opensslPub = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
-----END PUBLIC KEY-----
`
	k, err := verify.ParsePublicKeyPEM([]byte("# comment\n" + opensslPub))
	if err != nil {
		t.Fatalf("ParsePublicKeyPEM: %v", err)
	}
	if got, want := hex.EncodeToString(k), "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1"; got != want {
		t.Fatalf("key %s, want %s", got, want)
	}
	_, err = verify.ParsePublicKeyPEM([]byte("nothing"))
	if err == nil {
		t.Fatal("ParsePublicKeyPEM of text without a block succeeded, want an error")
	}
	_, err = verify.ParsePublicKeyPEM([]byte(strings.ReplaceAll(opensslPub, "PUBLIC KEY", "PRIVATE KEY")))
	if err == nil {
		t.Fatal("ParsePublicKeyPEM of a PRIVATE KEY block succeeded, want an error")
	}
	// Strict: only blank and # lines before the one block, white space after.
	_, err = verify.ParsePublicKeyPEM([]byte("\n  \n# issuer: acme\n" + opensslPub + "\n\n"))
	if err != nil {
		t.Fatalf("ParsePublicKeyPEM: %v", err)
	}
	for name, in := range map[string]string{
		"text before":  "here is the key\n" + opensslPub,
		"text after":   opensslPub + "and more",
		"second block": opensslPub + opensslPub,
		"PEM headers":  strings.Replace(opensslPub, "-----\n", "-----\nIssuer: acme\n\n", 1),
	} {
		_, err := verify.ParsePublicKeyPEM([]byte(in))
		if err == nil {
			t.Fatalf("%s: ParsePublicKeyPEM succeeded, want an error", name)
		}
	}
}

// TestRevocationsPerIssuer: a list applies only to its own issuer's
// licenses (issue 9, item 8); a list from the future is refused (item 9);
// a stale list in strict mode says so and does not claim the license is
// revoked (item 16).
func TestRevocationsPerIssuer(t *testing.T) {
	ks := keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme"}, verify.Key{PublicKey: pub(other), Issuer: "beta"})
	lic := license()
	tok := mint(t, vendor, lic, nil)
	betaTok := mint(t, other, license(func(l *token.License) { l.Issuer = "beta" }), nil)
	grant := signGrant(t, vendor, grantFor())
	ptok := mint(t, partner, partnerLicense(func(l *token.License) { l.ID = bytes.Repeat([]byte{3}, 16) }), grant)
	week := now.Add(7 * 24 * time.Hour)
	parse := func(signer ed25519.PrivateKey, r *token.Revocations) *verify.RevocationList {
		rl, err := verify.ParseRevocation(signRevocations(t, signer, r), ks)
		if err != nil {
			t.Fatalf("ParseRevocation: %v", err)
		}
		return rl
	}
	// beta's list names acme's license id, acme's grant id and acme's key:
	// none of it applies to acme's licenses.
	beta := parse(other, &token.Revocations{Issuer: "beta", IssuedAt: now.Add(-time.Hour), NextUpdate: week, Seq: 9,
		IDs: [][]byte{lic.ID, grantFor().ID}, KeyIDs: [][]byte{token.KeyID(pub(vendor)), token.KeyID(pub(partner))}})
	if beta.Claims().Issuer != "beta" {
		t.Fatalf("issuer %q, want %q", beta.Claims().Issuer, "beta")
	}
	if want := now.Add(-time.Hour); !reflect.DeepEqual(beta.Claims().IssuedAt, want) {
		t.Fatalf("issued at %v, want %v", beta.Claims().IssuedAt, want)
	}
	acme := parse(vendor, &token.Revocations{Issuer: "acme", IssuedAt: now.Add(-time.Hour), NextUpdate: week, Seq: 1})
	for _, lists := range [][]*verify.RevocationList{{beta}, {beta, acme}, {acme, beta}} {
		v := verifier(t, ks, verify.WithRevocations(lists...))
		_, err := v.Verify(tok)
		if err != nil {
			t.Fatalf("beta's list must not revoke acme's license: %v", err)
		}
		_, err = v.Verify(ptok)
		if err != nil {
			t.Fatalf("beta's list must not revoke a license under acme's grant: %v", err)
		}
	}
	// acme's own list still revokes acme's licenses, and licenses under
	// acme's grants (the partner is the license's iss).
	acmeRevokes := parse(vendor, &token.Revocations{Issuer: "acme", IssuedAt: now.Add(-time.Hour), NextUpdate: week, Seq: 2,
		IDs: [][]byte{lic.ID, grantFor().ID}})
	v := verifier(t, ks, verify.WithRevocations(beta, acmeRevokes))
	_, err := v.Verify(tok)
	requireCode(t, err, verify.CodeRevoked)
	_, err = v.Verify(ptok)
	requireCode(t, err, verify.CodeRevoked)
	// beta's list applies to beta's license.
	betaSelf := parse(other, &token.Revocations{Issuer: "beta", IssuedAt: now.Add(-time.Hour), NextUpdate: week, Seq: 3,
		KeyIDs: [][]byte{token.KeyID(pub(other))}})
	_, err = verifier(t, ks, verify.WithRevocations(betaSelf)).Verify(betaTok)
	requireCode(t, err, verify.CodeRevoked)

	// Two lists of one issuer: a configuration error.
	_, err = verify.New(ks, verify.WithProduct("widget"), verify.WithRevocations(acme, acmeRevokes))
	if err == nil || !strings.Contains(err.Error(), `two revocation lists of issuer "acme"`) {
		t.Fatalf("New: %v, want an error containing %q", err, `two revocation lists of issuer "acme"`)
	}

	// A list dated in the future (beyond the leeway) is refused.
	future := parse(vendor, &token.Revocations{Issuer: "acme", IssuedAt: now.Add(time.Hour), NextUpdate: week, Seq: 4})
	_, err = verify.New(ks, verify.WithProduct("widget"), verify.WithClock(func() time.Time { return now }), verify.WithRevocations(future))
	if err == nil || !strings.Contains(err.Error(), "after the current time") {
		t.Fatalf("New: %v, want an error containing %q", err, "after the current time")
	}
	near := parse(vendor, &token.Revocations{Issuer: "acme", IssuedAt: now.Add(verify.DefaultLeeway), NextUpdate: week, Seq: 4})
	_, err = verify.New(ks, verify.WithProduct("widget"), verify.WithClock(func() time.Time { return now }), verify.WithRevocations(near))
	if err != nil {
		t.Fatalf("New with a list dated within the leeway: %v", err)
	}

	// Strict mode on a stale list: code revoked, message about the list.
	stale := parse(vendor, &token.Revocations{Issuer: "acme", IssuedAt: now.Add(-48 * time.Hour), NextUpdate: now.Add(-time.Hour), Seq: 5})
	_, err = verifier(t, ks, verify.WithRevocations(stale), verify.RejectStaleRevocations()).Verify(tok)
	requireCode(t, err, verify.CodeRevoked)
	if !strings.Contains(err.Error(), "stale") {
		t.Fatalf("error %q does not say the list is stale", err)
	}
	if strings.Contains(err.Error(), "is revoked") {
		t.Fatalf("error %q claims the license is revoked", err)
	}
	// ... and only for that issuer's licenses.
	_, err = verifier(t, ks, verify.WithRevocations(stale), verify.RejectStaleRevocations()).Verify(betaTok)
	if err != nil {
		t.Fatalf("acme's stale list in strict mode rejects beta's license: %v", err)
	}
}

// durationPtr returns a pointer to d, for optional ceilings.
func durationPtr(d time.Duration) *time.Duration { return &d }

// TestRetiredKeySignsRevocations: after a rotation the retired key can
// still sign a revocation list (issue 9 item 1: the leak procedure), a
// revoked key cannot.
func TestRetiredKeySignsRevocations(t *testing.T) {
	week := now.Add(7 * 24 * time.Hour)
	list := signRevocations(t, vendor, &token.Revocations{Issuer: "acme", IssuedAt: now, NextUpdate: week, Seq: 1,
		KeyIDs: [][]byte{token.KeyID(pub(partner))}})
	retired := keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme", NotAfter: now.Add(-30 * 24 * time.Hour)})
	rl, err := verify.ParseRevocation(list, retired)
	if err != nil {
		t.Fatalf("ParseRevocation: %v", err)
	}
	if !rl.RevokesKey(token.KeyID(pub(partner))) {
		t.Fatal("the list signed by the retired key does not revoke the partner's key")
	}
	revoked := keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme", Revoked: true})
	_, err = verify.ParseRevocation(list, revoked)
	requireCode(t, err, verify.CodeKeyNotValid)
	early := keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme", NotBefore: now.Add(time.Hour)})
	_, err = verify.ParseRevocation(list, early)
	requireCode(t, err, verify.CodeKeyNotValid)
}

// TestParseRevocationLists: one file, one list per issuer.
func TestParseRevocationLists(t *testing.T) {
	ks := keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme"}, verify.Key{PublicKey: pub(other), Issuer: "beta"})
	week := now.Add(7 * 24 * time.Hour)
	acme := signRevocations(t, vendor, &token.Revocations{Issuer: "acme", IssuedAt: now, NextUpdate: week, Seq: 1})
	beta := signRevocations(t, other, &token.Revocations{Issuer: "beta", IssuedAt: now, NextUpdate: week, Seq: 2})
	pemOf := func(raw []byte) []byte { return token.EncodePEM(raw, token.PEMRevocations, nil) }

	lists, err := verify.ParseRevocations(append(pemOf(acme), pemOf(beta)...), ks)
	if err != nil {
		t.Fatalf("ParseRevocations: %v", err)
	}
	if len(lists) != 2 {
		t.Fatalf("%d lists, want 2", len(lists))
	}
	if lists[0].Claims().Issuer != "acme" || lists[1].Claims().Issuer != "beta" {
		t.Fatalf("lists of %q and %q, want acme then beta", lists[0].Claims().Issuer, lists[1].Claims().Issuer)
	}
	_, err = verify.New(ks, verify.WithProduct("widget"), verify.WithClock(func() time.Time { return now }), verify.WithRevocations(lists...))
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	lists, err = verify.ParseRevocations(acme, ks)
	if err != nil {
		t.Fatalf("ParseRevocations: %v", err)
	}
	if len(lists) != 1 {
		t.Fatalf("%d lists from a raw list, want 1", len(lists))
	}

	_, err = verify.ParseRevocations(append(pemOf(acme), pemOf(acme)...), ks)
	requireCode(t, err, verify.CodeMalformed)
	if err == nil || !strings.Contains(err.Error(), `two revocation lists of issuer "acme"`) {
		t.Fatalf("ParseRevocations: %v, want an error containing %q", err, `two revocation lists of issuer "acme"`)
	}
	_, err = verify.ParseRevocations(append(pemOf(acme), pemOf(forge(beta))...), ks)
	requireCode(t, err, verify.CodeBadSignature)
	if err == nil || !strings.Contains(err.Error(), "list 2 of 2") {
		t.Fatalf("ParseRevocations: %v, want an error containing %q", err, "list 2 of 2")
	}
	_, err = verify.ParseRevocations([]byte("  \n"), ks)
	requireCode(t, err, verify.CodeMalformed)
}

// TestMessagesQuoteClaimText: text from a signed token reaches messages
// quoted, never raw (an escape sequence cannot reach a terminal or log).
func TestMessagesQuoteClaimText(t *testing.T) {
	evil := "x\x1b]0;pwned\a\u202e"
	v := verifier(t, keyset(t))
	// Issuers refuse such text (token.Validate); a hand-made issuer signs it anyway.
	mint := func(t *testing.T, signer ed25519.PrivateKey, l *token.License, grant []byte) []byte {
		payload, err := l.MarshalClaims()
		if err != nil {
			t.Fatalf("MarshalClaims: %v", err)
		}
		if grant == nil {
			raw, err := token.Sign(signer, token.TypeLicense, payload)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			return raw
		}
		return advSigned(signer, advMap(1, -8, 4, token.KeyID(pub(signer)), 13, cbor.RawMessage(grant), 16, token.TypeLicense), payload)
	}
	_, err := v.Verify(mint(t, vendor, license(func(l *token.License) { l.Audience = []string{evil} }), nil))
	requireCode(t, err, verify.CodeWrongProduct)
	_, err2 := v.Verify(mint(t, vendor, license(func(l *token.License) { l.Bind = map[string]string{evil: "v"} }), nil))
	requireCode(t, err2, verify.CodeBindingMismatch)
	grant := signGrant(t, vendor, grantFor())
	_, err3 := v.Verify(mint(t, partner, partnerLicense(func(l *token.License) { l.Tier = evil }), grant))
	requireCode(t, err3, verify.CodeGrantViolation)
	for _, e := range []error{err, err2, err3} {
		if strings.Contains(e.Error(), "\x1b") {
			t.Fatalf("message %q holds a raw ESC", e)
		}
		if strings.Contains(e.Error(), "\u202e") {
			t.Fatalf("message %q holds a raw RLO", e)
		}
	}
}

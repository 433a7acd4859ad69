package token_test

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/licet/licet/token"
)

// TestFallbackClaim (issue 17, perpetual fallback): the "fallback" claim
// is true or false and nothing else, round-trips through signing, may be
// named in crit, and needs an expiry to be signed.
func TestFallbackClaim(t *testing.T) {
	with := func(v any) []byte {
		m := baseClaims()
		m[4] = t0.Unix() + 3600
		m["fallback"] = v
		return claims(t, m)
	}
	for _, tc := range []struct {
		name string
		v    any
		want bool
	}{{"true", true, true}, {"false", false, false}} {
		l, err := token.DecodeLicense(with(tc.v))
		if err != nil {
			t.Fatalf("fallback %s: %v", tc.name, err)
		}
		if l.Fallback != tc.want {
			t.Fatalf("fallback %s: decoded %v", tc.name, l.Fallback)
		}
	}
	l, err := token.DecodeLicense(claims(t, baseClaims()))
	if err != nil || l.Fallback {
		t.Fatalf("no fallback claim: %v, fallback %v", err, l != nil && l.Fallback)
	}
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"uint 1", 1},
		{"uint 0", 0},
		{"text", "true"},
		{"bytes", []byte{1}},
		{"array", []bool{true}},
		{"null", cbor.RawMessage{0xf6}},
		{"undefined", cbor.RawMessage{0xf7}},
		{"simple 16", cbor.RawMessage{0xf0}},
		{"float", 1.0},
	} {
		_, err := token.DecodeLicense(with(tc.v))
		if !errors.Is(err, token.ErrMalformed) {
			t.Fatalf("fallback %s: %v, want token.ErrMalformed", tc.name, err)
		}
	}
	if _, err := token.DecodeLicense(func() []byte {
		m := baseClaims()
		m["crit"] = []string{"fallback"}
		return claims(t, m)
	}()); err != nil {
		t.Fatalf("crit naming fallback: %v", err)
	}

	// Signing: the claim round-trips and is encoded as the last but one
	// text key before versions (core deterministic order).
	priv := testKey("vendor")
	want := sampleLicense()
	want.Fallback = true
	raw, err := token.SignLicense(priv, want, nil)
	if err != nil {
		t.Fatalf("SignLicense: %v", err)
	}
	m, err := token.ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(m.Payload, []byte("\x68fallback\xf5\x68versions")) {
		t.Fatalf("payload %x: no fallback: true right before versions", m.Payload)
	}
	got, err := token.DecodeLicense(m.Payload)
	if err != nil {
		t.Fatal(err)
	}
	got.Constraint = nil
	if !slices.Equal(got.Audience, want.Audience) {
		t.Fatalf("audience %q", got.Audience)
	}
	want.Audience = got.Audience
	if !reflect.DeepEqual(*got, *want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", *got, *want)
	}
	plain := sampleLicense()
	p, _ := plain.MarshalClaims()
	if bytes.Contains(p, []byte("fallback")) {
		t.Fatal("a license without fallback encodes the claim")
	}

	perpetual := sampleLicense()
	perpetual.Expiry = time.Time{}
	perpetual.Fallback = true
	_, err = token.SignLicense(priv, perpetual, nil)
	var ve *token.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "perpetual fallback needs an expiry") {
		t.Fatalf("SignLicense of a fallback license without exp: %v, want a validation error", err)
	}
}

package token_test

import (
	"bytes"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/licet/licet/token"
)

// benchLicense is the license of the minting benchmarks: ten claims, four
// scopes (as in verify's benchmarks and the bench module).
func benchLicense() *token.License {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	return &token.License{
		Issuer: "acme", Subject: "customer-4711", Audience: []string{"widget-server"},
		IssuedAt: now.Add(-24 * time.Hour), Expiry: now.Add(365 * 24 * time.Hour),
		ID: bytes.Repeat([]byte{0x5a}, token.IDSize), Tier: "pro",
		Scopes:   []string{"api:read", "api:write", "reports:*", "connectors:salesforce"},
		Versions: ">= 2.0, < 4.0", Limits: map[string]uint64{"seats": 25, "nodes": 3}, Rights: []string{"embed"},
	}
}

// BenchmarkSignLicenseVsEd25519 alternates minting a license
// (token.SignLicense: validation, claims encoding, header, signature) and
// a raw ed25519.Sign of a message of the size of its Sig_structure, and
// reports their ratio ("x-ed25519"). Target (issue 13): at most 1.10.
func BenchmarkSignLicenseVsEd25519(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	l := benchLicense()
	tok, err := token.SignLicense(priv, l, nil)
	if err != nil {
		b.Fatal(err)
	}
	m, err := token.ParseMessage(tok)
	if err != nil {
		b.Fatal(err)
	}
	msg := m.AppendToBeSigned(nil)
	var mint, raw time.Duration
	mintOnce := func() time.Duration {
		t0 := time.Now()
		if _, err := token.SignLicense(priv, l, nil); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	rawOnce := func() time.Duration {
		t0 := time.Now()
		if len(ed25519.Sign(priv, msg)) != ed25519.SignatureSize {
			b.Fatal("bad")
		}
		return time.Since(t0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	// The order alternates: whichever runs second finds the signing
	// tables warm in the cache.
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			mint += mintOnce()
			raw += rawOnce()
		} else {
			raw += rawOnce()
			mint += mintOnce()
		}
	}
	b.ReportMetric(float64(mint)/float64(raw), "x-ed25519")
}

// BenchmarkDecodeTextVsRaw alternates decoding a license in the compact
// text form and in the raw form (token.Decode), and reports their ratio
// ("x-raw"): what unarmoring costs.
func BenchmarkDecodeTextVsRaw(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	raw, err := token.SignLicense(priv, benchLicense(), nil)
	if err != nil {
		b.Fatal(err)
	}
	text, err := token.EncodeText(raw, "")
	if err != nil {
		b.Fatal(err)
	}
	in := []byte(text)
	var tt, tr time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		for j := 0; j < 10; j++ {
			if _, _, err := token.Decode(in); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		for j := 0; j < 10; j++ {
			if _, _, err := token.Decode(raw); err != nil {
				b.Fatal(err)
			}
		}
		t2 := time.Now()
		tt += t1.Sub(t0)
		tr += t2.Sub(t1)
	}
	b.ReportMetric(float64(tt)/float64(tr), "x-raw")
}

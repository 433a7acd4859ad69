package token_test

import (
	"bytes"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/licet/licet/internal/ratio"
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
// (token.SignLicense: validation, claims encoding, header, signature; and
// for form=text, token.EncodeText of the result) and a raw ed25519.Sign of
// a message of the size of its Sig_structure, which of the two runs first
// alternating too, and reports the median of the per-iteration ratios
// ("x-ed25519") and their quartiles. Target (issue 20): at most 1.05 in
// both forms.
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
	raw := func() {
		if len(ed25519.Sign(priv, msg)) != ed25519.SignatureSize {
			b.Fatal("bad")
		}
	}
	for _, text := range []bool{false, true} {
		name := "form=raw"
		if text {
			name = "form=text"
		}
		b.Run(name, func(b *testing.B) {
			mint := func() {
				tok, err := token.SignLicense(priv, l, nil)
				if err != nil {
					b.Fatal(err)
				}
				if text {
					if _, err := token.EncodeText(tok, ""); err != nil {
						b.Fatal(err)
					}
				}
			}
			var s ratio.Series
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				s.Pair(mint, raw)
			}
			s.Report(b, "x-ed25519")
		})
	}
}

// BenchmarkDecodeTextVsRaw alternates decoding a license in the compact
// text form and in the raw form (token.Decode), and reports their ratio
// ("x-raw", median of per-iteration ratios, which runs first alternating;
// quartiles): what unarmoring costs.
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
	decode := func(in []byte) func() {
		return func() {
			for j := 0; j < 10; j++ {
				if _, _, err := token.Decode(in); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	var s ratio.Series
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Pair(decode(in), decode(raw))
	}
	s.Report(b, "x-raw")
}

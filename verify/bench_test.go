package verify_test

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

var benchNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// typicalLicense is the benchmark's license: ten claims, four scopes.
func typicalLicense() *token.License {
	return &token.License{
		Issuer:   "acme",
		Subject:  "customer-4711",
		Audience: []string{"widget-server"},
		IssuedAt: benchNow.Add(-24 * time.Hour),
		Expiry:   benchNow.Add(365 * 24 * time.Hour),
		ID:       make([]byte, 16),
		Tier:     "pro",
		Scopes:   []string{"api:read", "api:write", "reports:*", "connectors:salesforce"},
		Versions: ">= 2.0, < 4.0",
		Limits:   map[string]uint64{"seats": 25, "nodes": 3},
		Rights:   []string{"embed"},
	}
}

func benchSetup(b testing.TB) (*verify.Verifier, []byte, ed25519.PublicKey, ed25519.PrivateKey) {
	seed := make([]byte, 32)
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	tok, err := token.SignLicense(priv, typicalLicense(), nil)
	if err != nil {
		b.Fatal(err)
	}
	ks, err := verify.NewKeySet(verify.Key{PublicKey: pub, Issuer: "acme"})
	if err != nil {
		b.Fatal(err)
	}
	v, err := verify.New(ks, verify.WithProduct("widget-server"), verify.WithProductVersion("3.1.0"),
		verify.WithClock(func() time.Time { return benchNow }))
	if err != nil {
		b.Fatal(err)
	}
	return v, tok, pub, priv
}

// BenchmarkVerify is full verification of a typical license, raw form.
func BenchmarkVerify(b *testing.B) {
	v, tok, _, _ := benchSetup(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(tok)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.Verify(tok, "api:read"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEd25519Baseline is raw ed25519.Verify over a message of the
// size of the license's Sig_structure: the floor BenchmarkVerify is
// compared with.
func BenchmarkEd25519Baseline(b *testing.B) {
	_, tok, pub, priv := benchSetup(b)
	m, err := token.ParseMessage(tok)
	if err != nil {
		b.Fatal(err)
	}
	msg := m.AppendToBeSigned(nil)
	sig := ed25519.Sign(priv, msg)
	b.ReportAllocs()
	b.SetBytes(int64(len(tok)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("bad")
		}
	}
}

// BenchmarkAllows is a scope check on a verified license.
func BenchmarkAllows(b *testing.B) {
	v, tok, _, _ := benchSetup(b)
	l, err := v.Verify(tok)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !l.Claims.Allows("reports:monthly") {
			b.Fatal("not allowed")
		}
	}
}

// BenchmarkVerifyVsEd25519 alternates a full verification and a raw
// ed25519.Verify of the same Sig_structure in every iteration and reports
// their ratio ("x-ed25519"), so that load on a shared machine hits both
// sides alike. Target (issue 13): at most 0.97.
func BenchmarkVerifyVsEd25519(b *testing.B) {
	v, tok, pub, priv := benchSetup(b)
	m, err := token.ParseMessage(tok)
	if err != nil {
		b.Fatal(err)
	}
	msg := m.AppendToBeSigned(nil)
	sig := ed25519.Sign(priv, msg)
	var full, raw time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := v.Verify(tok, "api:read"); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("bad")
		}
		t2 := time.Now()
		full += t1.Sub(t0)
		raw += t2.Sub(t1)
	}
	b.ReportMetric(float64(full)/float64(raw), "x-ed25519")
}

// BenchmarkVerify512ScopesVsEd25519 is BenchmarkVerifyVsEd25519 for a
// license of 512 scopes, the caller requiring three of them (one through
// a pattern). Target (issue 13): at most 1.3.
func BenchmarkVerify512ScopesVsEd25519(b *testing.B) {
	seed := make([]byte, 32)
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	l := typicalLicense()
	l.Scopes = make([]string, 512)
	for i := range l.Scopes {
		l.Scopes[i] = fmt.Sprintf("module%d:feature%d", i%64, i)
	}
	l.Scopes[100] = "reports:*"
	tok, err := token.SignLicense(priv, l, nil)
	if err != nil {
		b.Fatal(err)
	}
	ks, err := verify.NewKeySet(verify.Key{PublicKey: pub, Issuer: "acme"})
	if err != nil {
		b.Fatal(err)
	}
	v, err := verify.New(ks, verify.WithProduct("widget-server"), verify.WithProductVersion("3.1.0"),
		verify.WithClock(func() time.Time { return benchNow }))
	if err != nil {
		b.Fatal(err)
	}
	m, err := token.ParseMessage(tok)
	if err != nil {
		b.Fatal(err)
	}
	msg := m.AppendToBeSigned(nil)
	sig := ed25519.Sign(priv, msg)
	required := []string{"module1:feature1", "module63:feature511", "reports:monthly"}
	var full, raw time.Duration
	b.ReportAllocs()
	b.SetBytes(int64(len(tok)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := v.Verify(tok, required...); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("bad")
		}
		t2 := time.Now()
		full += t1.Sub(t0)
		raw += t2.Sub(t1)
	}
	b.ReportMetric(float64(full)/float64(raw), "x-ed25519")
}

package sdk

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licet/licet/machine"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// cacheFixture is a handle on a license file at path, minted by mint,
// with a settable clock.
type cacheFixture struct {
	lic   *License
	now   time.Time
	clock *atomic.Int64
	mint  func(subject string, exp time.Time)
}

func newCacheFixture(tb testing.TB) *cacheFixture {
	tb.Helper()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var clockNs atomic.Int64
	clockNs.Store(now.UnixNano())
	clock := func() time.Time { return time.Unix(0, clockNs.Load()).UTC() }

	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	path := filepath.Join(dir, "license.lic")
	mint := func(subject string, exp time.Time) {
		l := &token.License{
			Issuer: "acme", Subject: subject, Audience: []string{"widget"},
			IssuedAt: now.Add(-time.Hour), Expiry: exp,
			ID: bytes.Repeat([]byte{1}, token.IDSize), Tier: "pro", Scopes: []string{"api:read"},
		}
		raw, err := token.SignLicense(priv, l, nil)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, token.EncodePEM(raw, token.PEMLicense, nil), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	mint("customer-1", now.Add(24*time.Hour))
	lic, err := Load(Config{
		TrustedKeys: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		Issuer:      "acme", Product: "widget", LicensePath: path, EnvVar: "-", ConfigDirName: "-",
		Clock: clock, Leeway: time.Minute,
		Machine: &machine.Machine{
			Getenv:   func(string) string { return "" },
			ReadFile: func(string) ([]byte, error) { return []byte("0123456789abcdef0123456789abcdef\n"), nil },
			Hostname: func() (string, error) { return "test-host", nil },
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &cacheFixture{lic: lic, now: now, clock: &clockNs, mint: mint}
}

// TestReverifyFromCache: polls of an unchanged license file under an
// unchanged verifier are answered by the verifier's result cache (no new
// signature verification), yet still see the clock: the license expires
// on time. A changed file is verified in full.
func TestReverifyFromCache(t *testing.T) {
	fx := newCacheFixture(t)
	lic, now, clockNs, mint := fx.lic, fx.now, fx.clock, fx.mint
	stats := func() (uint64, uint64) { return lic.verifierCacheStats() }
	if h, _ := stats(); h != 0 {
		t.Fatalf("%d cache hits after Load", h)
	}

	for i := 1; i <= 3; i++ {
		clockNs.Add(int64(time.Hour))
		if err := lic.Reload(); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		if h, _ := stats(); h != uint64(i) {
			t.Fatalf("after %d reloads of the same file: %d cache hits, want %d", i, h, i)
		}
	}
	if !lic.Allows("api:read") {
		t.Fatal("license not in effect")
	}

	// The clock is still checked on a cache hit.
	hits, misses := stats()
	clockNs.Store(now.Add(25 * time.Hour).UnixNano())
	if err := lic.Reload(); verify.CodeOf(err) != verify.CodeExpired {
		t.Fatalf("reload after expiry: %v, want expired", err)
	}
	if lic.Allows("api:read") {
		t.Fatal("expired license still allows")
	}
	if h, m := stats(); h <= hits || m != misses {
		t.Fatalf("the expiry reload was not answered from the cache (hits %d -> %d, misses %d -> %d)", hits, h, misses, m)
	}

	// New bytes: verified in full.
	mint("customer-2-renewed", now.Add(72*time.Hour))
	_, missesBefore := stats()
	if err := lic.Reload(); err != nil {
		t.Fatalf("reload of a renewed license: %v", err)
	}
	if _, m := stats(); m <= missesBefore {
		t.Fatal("a changed license file was answered from the cache")
	}
	if c := lic.Claims(); c == nil || c.Subject != "customer-2-renewed" {
		t.Fatalf("claims after renewal: %+v", c)
	}
}

// BenchmarkReloadUnchanged is one poll of an unchanged license file: the
// file looked at, the license answered by the verifier's result cache.
func BenchmarkReloadUnchanged(b *testing.B) {
	fx := newCacheFixture(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := fx.lic.Reload(); err != nil {
			b.Fatal(err)
		}
	}
	if h, _ := fx.lic.verifierCacheStats(); h < uint64(b.N) {
		b.Fatalf("%d cache hits in %d reloads", h, b.N)
	}
}

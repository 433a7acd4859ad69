package sdk_test

import (
	"testing"
	"time"

	"github.com/licet/licet/token"
)

// BenchmarkAllows is the question a product asks on every request, with
// the real clock (time.Now) and a license that expires, so the expiry
// check runs too.
func BenchmarkAllows(b *testing.B) {
	v := newVendor(b, "vendor")
	cfg := v.config()
	cfg.Clock = nil // time.Now
	now := time.Now()
	write(b, cfg.LicensePath, v.mint(v.license(func(l *token.License) {
		l.IssuedAt = now.Add(-time.Hour)
		l.Expiry = now.Add(24 * time.Hour)
		l.Scopes = []string{"api:read", "api:write", "reports:*", "connectors:salesforce"}
	})))
	lic := mustLoad(b, cfg)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !lic.Allows("reports:monthly") {
			b.Fatal("not allowed")
		}
	}
}

// BenchmarkAllowsParallel is Allows from every CPU at once.
func BenchmarkAllowsParallel(b *testing.B) {
	v := newVendor(b, "vendor")
	cfg := v.config()
	cfg.Clock = nil
	now := time.Now()
	write(b, cfg.LicensePath, v.mint(v.license(func(l *token.License) {
		l.IssuedAt = now.Add(-time.Hour)
		l.Expiry = now.Add(24 * time.Hour)
	})))
	lic := mustLoad(b, cfg)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !lic.Allows("reports:monthly") {
				b.Fatal("not allowed")
			}
		}
	})
}

// TestAllowsDoesNotAllocate keeps Allows allocation-free.
func TestAllowsDoesNotAllocate(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(nil)))
	lic := mustLoad(t, cfg)
	if n := testing.AllocsPerRun(1000, func() { lic.Allows("reports:monthly"); lic.Allows("nope") }); n != 0 {
		t.Errorf("Allows allocates %v times", n)
	}
}

// BenchmarkAllowsFixedClock is Allows with an injected clock that costs
// nothing: the cost of Allows without reading the time.
func BenchmarkAllowsFixedClock(b *testing.B) {
	v := newVendor(b, "vendor")
	cfg := v.config()
	fixed := t0
	cfg.Clock = func() time.Time { return fixed }
	write(b, cfg.LicensePath, v.mint(v.license(func(l *token.License) {
		l.Scopes = []string{"api:read", "api:write", "reports:*", "connectors:salesforce"}
	})))
	lic := mustLoad(b, cfg)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !lic.Allows("reports:monthly") {
			b.Fatal("not allowed")
		}
	}
}

var sinkTime time.Time

// BenchmarkClockBaseline is time.Now alone, the floor of BenchmarkAllows
// for a license that expires.
func BenchmarkClockBaseline(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkTime = time.Now()
	}
}

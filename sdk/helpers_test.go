package sdk_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licet/licet/machine"
	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
)

const product = "widget-server"

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable clock, safe for concurrent use.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.Set(t); return c }

func (c *clock) Now() time.Time         { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Set(t time.Time)        { c.ns.Store(t.UnixNano()) }
func (c *clock) Add(d time.Duration)    { c.ns.Add(int64(d)) }
func (c *clock) Func() func() time.Time { return c.Now }

// vendor is a signing key and everything a test needs around it.
type vendor struct {
	t      testing.TB
	priv   ed25519.PrivateKey
	pubPEM []byte
	dir    string
	clock  *clock
	n      byte // license id counter
}

func newVendor(t testing.TB, name string) *vendor {
	seed := sha256.Sum256([]byte("sdk test key " + name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return &vendor{
		t: t, priv: priv,
		pubPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		dir:    t.TempDir(),
		clock:  newClock(t0),
	}
}

// testMachine is a fixed machine identity.
var testMachine = &machine.Machine{
	Getenv:   func(string) string { return "" },
	ReadFile: func(string) ([]byte, error) { return []byte("0123456789abcdef0123456789abcdef\n"), nil },
	Hostname: func() (string, error) { return "test-host", nil },
}

// config returns a configuration that looks only at v.dir/license.lic.
func (v *vendor) config() sdk.Config {
	return sdk.Config{
		TrustedKeys:    v.pubPEM,
		Issuer:         "acme",
		Product:        product,
		ProductVersion: "3.1.0",
		LicensePath:    v.path("license.lic"),
		EnvVar:         "-",
		ConfigDirName:  "-",
		Tiers:          []string{"free", "pro", "enterprise"},
		Clock:          v.clock.Func(),
		Machine:        testMachine,
	}
}

func (v *vendor) path(name string) string { return filepath.Join(v.dir, name) }

// license returns the claims of a typical pro license, changed by mod.
func (v *vendor) license(mod func(*token.License)) *token.License {
	v.n++
	id := make([]byte, token.IDSize)
	id[0] = v.n
	l := &token.License{
		Issuer:   "acme",
		Subject:  "customer-42",
		Audience: []string{product},
		IssuedAt: t0.Add(-24 * time.Hour),
		Expiry:   t0.Add(365 * 24 * time.Hour),
		ID:       id,
		Tier:     "pro",
		Scopes:   []string{"api:read", "reports:*"},
		Limits:   map[string]uint64{"seats": 25},
		Rights:   []string{"embed"},
	}
	if mod != nil {
		mod(l)
	}
	return l
}

// mint signs claims and returns the PEM form.
func (v *vendor) mint(l *token.License) []byte {
	raw, err := token.SignLicense(v.priv, l, nil)
	if err != nil {
		v.t.Fatal(err)
	}
	return token.EncodePEM(raw, token.PEMLicense, nil)
}

// text signs claims and returns the compact text form.
func (v *vendor) text(l *token.License) string {
	raw, err := token.SignLicense(v.priv, l, nil)
	if err != nil {
		v.t.Fatal(err)
	}
	s, err := token.EncodeText(raw, "")
	if err != nil {
		v.t.Fatal(err)
	}
	return s
}

// revocations signs a revocation list.
func (v *vendor) revocations(seq uint64, iat time.Time, ids ...[]byte) []byte {
	raw, err := token.SignRevocations(v.priv, &token.Revocations{
		Issuer: "acme", IssuedAt: iat, NextUpdate: iat.Add(30 * 24 * time.Hour),
		Seq: seq, IDs: ids,
	})
	if err != nil {
		v.t.Fatal(err)
	}
	return token.EncodePEM(raw, token.PEMRevocations, nil)
}

// write replaces a file atomically, as an installer would.
func write(t testing.TB, path string, data []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// mustLoad loads and fails the test on any error.
func mustLoad(t testing.TB, cfg sdk.Config) *sdk.License {
	t.Helper()
	lic, err := sdk.Load(cfg)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return lic
}

// loadErr loads, expecting an error of type E, and returns both.
func loadErr[E error](t testing.TB, cfg sdk.Config) (*sdk.License, E) {
	t.Helper()
	lic, err := sdk.Load(cfg)
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("Load error = %v (%T), want %T", err, err, target)
	}
	return lic, target
}

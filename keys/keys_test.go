package keys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/edwards25519"

	"github.com/licet/licet/token"
)

// testRand is an endless deterministic byte stream: SHA-256(label || counter).
type testRand struct {
	label string
	n     uint64
	buf   []byte
}

func newTestRand(label string) *testRand { return &testRand{label: label} }

func (r *testRand) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) {
		var ctr [8]byte
		binary.BigEndian.PutUint64(ctr[:], r.n)
		r.n++
		h := sha256.Sum256(append([]byte(r.label), ctr[:]...))
		r.buf = append(r.buf, h[:]...)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// testKey returns a deterministic key for issuer.
func testKey(t testing.TB, issuer string) *PrivateKey {
	t.Helper()
	k, err := Generate(newTestRand("key "+issuer), issuer)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestGenerate(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	k, err := Generate(bytes.NewReader(seed), "acme")
	if err != nil {
		t.Fatal(err)
	}
	want := ed25519.NewKeyFromSeed(seed)
	if !k.Key.Equal(want) || k.Issuer != "acme" {
		t.Fatalf("Generate = %x %q, want the key of the seed read from rand, issuer acme", k.Key, k.Issuer)
	}
	sum := sha256.Sum256(want.Public().(ed25519.PublicKey))
	if !bytes.Equal(k.KeyID(), sum[:8]) || !bytes.Equal(k.KeyID(), token.KeyID(want.Public().(ed25519.PublicKey))) {
		t.Errorf("KeyID = %x, want the first 8 bytes of SHA-256(public key) %x", k.KeyID(), sum[:8])
	}
	if p := k.Public(); p.Issuer != "acme" || !p.Key.Equal(want.Public()) || !bytes.Equal(p.KeyID(), k.KeyID()) {
		t.Errorf("Public = %+v, want issuer acme and the public key", p)
	}
	if s, ok := k.Signer().(ed25519.PrivateKey); !ok || !s.Equal(want) {
		t.Errorf("Signer = %T, want the ed25519.PrivateKey", k.Signer())
	}

	k2, err := Generate(nil, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if k2.Key.Equal(k.Key) || len(k2.Key) != ed25519.PrivateKeySize {
		t.Error("Generate(nil) did not use crypto/rand")
	}

	if _, err := Generate(bytes.NewReader(seed[:31]), "acme"); err == nil || !strings.Contains(err.Error(), "randomness") {
		t.Errorf("short randomness: err = %v", err)
	}
	if _, err := Generate(bytes.NewReader(seed), "bad issuer"); !errors.Is(err, errIssuer) {
		t.Errorf("bad issuer: err = %v, want %v", err, errIssuer)
	}
}

func TestValidIssuer(t *testing.T) {
	for _, tc := range []struct {
		name, issuer string
		want         bool
	}{
		{"simple", "acme", true},
		{"all allowed characters", "AZaz09._:@-", true},
		{"one character", "a", true},
		{"64 characters", strings.Repeat("x", 64), true},
		{"empty", "", false},
		{"65 characters", strings.Repeat("x", 65), false},
		{"space", "acme corp", false},
		{"newline", "acme\nKey-ID: 00", false},
		{"slash", "acme/eu", false},
		{"non-ASCII", "acmé", false},
		{"comma", "a,b", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidIssuer(tc.issuer); got != tc.want {
				t.Errorf("ValidIssuer(%q) = %v, want %v", tc.issuer, got, tc.want)
			}
		})
	}
}

func TestSandbox(t *testing.T) {
	k := Sandbox()
	seed := sha256.Sum256([]byte("licet sandbox key v1"))
	if !bytes.Equal(k.Key.Seed(), seed[:]) || k.Issuer != SandboxIssuer || SandboxIssuer != "licet-sandbox" {
		t.Fatalf("Sandbox() = seed %x issuer %q", k.Key.Seed(), k.Issuer)
	}
	k.Key[0] ^= 1
	k.Issuer = "changed"
	if k2 := Sandbox(); k2.Key.Equal(k.Key) || k2.Issuer != SandboxIssuer {
		t.Error("Sandbox() shares state between calls")
	}
}

func TestKeyIDWrongLength(t *testing.T) {
	if id := (&PublicKey{Key: make([]byte, 31)}).KeyID(); id != nil {
		t.Errorf("KeyID of a 31-byte key = %x, want nil", id)
	}
	if id := (&TrustedKey{}).KeyID(); id != nil {
		t.Errorf("KeyID of an empty key = %x, want nil", id)
	}
}

// point decodes a hex point encoding, failing the test if it is invalid.
func point(t *testing.T, h string) *edwards25519.Point {
	t.Helper()
	b, _ := hex.DecodeString(h)
	p, err := new(edwards25519.Point).SetBytes(b)
	if err != nil {
		t.Fatalf("%s: %v", h, err)
	}
	return p
}

func TestCheckPublicKey(t *testing.T) {
	good := testKey(t, "acme").Public().Key
	const (
		identity    = "0100000000000000000000000000000000000000000000000000000000000000"
		order2      = "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" // y = -1
		order4      = "0000000000000000000000000000000000000000000000000000000000000000" // y = 0
		identityNC  = "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" // y = p+1
		negZeroX    = "0100000000000000000000000000000000000000000000000000000000000080" // identity, x sign bit set
		order8Point = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a" // a point of order 8
	)
	// Mixed order: a full-order point plus a point of order 2, 4 or 8.
	mixed := func(torsion string) []byte {
		p := point(t, hex.EncodeToString(good))
		return new(edwards25519.Point).Add(p, point(t, torsion)).Bytes()
	}
	mustHex := func(s string) []byte { b, _ := hex.DecodeString(s); return b }

	// A y that is not on the curve, and a non-canonical y (y + p) of a
	// full-order point, found rather than assumed.
	var offCurve, nonCanonicalFull []byte
	for y := byte(2); y < 255 && (offCurve == nil || nonCanonicalFull == nil); y++ {
		enc := make([]byte, 32)
		enc[0] = y
		if _, err := new(edwards25519.Point).SetBytes(enc); err != nil && offCurve == nil {
			offCurve = enc
		}
		if y > 18 {
			continue
		}
		// p + y = 2^255 - 19 + y, little-endian.
		nc := bytes.Repeat([]byte{0xff}, 32)
		nc[31] = 0x7f
		nc[0] = 0xed + y
		if p, err := new(edwards25519.Point).SetBytes(nc); err == nil && nonCanonicalFull == nil &&
			new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1 {
			nonCanonicalFull = nc
		}
	}
	if offCurve == nil || nonCanonicalFull == nil {
		t.Fatal("test setup: no off-curve or non-canonical encoding found")
	}

	for _, tc := range []struct {
		name    string
		pub     []byte
		wantErr string // "" for a valid key
	}{
		{"generated key", good, ""},
		{"sandbox key", Sandbox().Public().Key, ""},
		{"base point", edwards25519.NewGeneratorPoint().Bytes(), ""},
		{"empty", nil, "0 bytes, want 32"},
		{"31 bytes", good[:31], "31 bytes"},
		{"33 bytes", append(append([]byte(nil), good...), 0), "33 bytes"},
		{"identity", mustHex(identity), "small order"},
		{"order 2", mustHex(order2), "small order"},
		{"order 4", mustHex(order4), "small order"},
		{"order 8", mustHex(order8Point), "small order"},
		{"mixed order, plus order 2", mixed(order2), "prime-order subgroup"},
		{"mixed order, plus order 4", mixed(order4), "prime-order subgroup"},
		{"mixed order, plus order 8", mixed(order8Point), "prime-order subgroup"},
		{"non-canonical y of the identity", mustHex(identityNC), "not canonically encoded"},
		{"identity with the x sign bit set", mustHex(negZeroX), "not canonically encoded"},
		{"non-canonical y of a full-order point", nonCanonicalFull, "not canonically encoded"},
		{"not on the curve", offCurve, "not a point on the Ed25519 curve"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPublicKey(tc.pub)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckPublicKey(%x) = %v, want nil", tc.pub, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "keys: ") {
				t.Fatalf("CheckPublicKey(%x) = %v, want an error containing %q", tc.pub, err, tc.wantErr)
			}
		})
	}
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrClosedPipe }

package token

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// randomValidLicense returns a license that validates, with claims of
// random sizes (so that the objects' lengths cross the CBOR head sizes
// and the text encoder's chunks).
func randomValidLicense(rng *rand.Rand, i int) *License {
	str := func(n int) string { return strings.Repeat(string(rune('a'+rng.IntN(26))), n) }
	l := &License{
		Issuer: str(1 + rng.IntN(40)), Subject: str(1 + rng.IntN(300)), Audience: []string{str(1 + rng.IntN(20))},
		IssuedAt: time.Unix(rng.Int64N(1<<32), 0), ID: bytes.Repeat([]byte{byte(i)}, IDSize), Tier: str(1 + rng.IntN(10)),
	}
	if rng.IntN(2) == 0 {
		l.Expiry = l.IssuedAt.Add(time.Duration(rng.IntN(1<<20)) * time.Second)
	}
	if rng.IntN(2) == 0 {
		l.Audience = append(l.Audience, str(1+rng.IntN(5))+"x")
	}
	if rng.IntN(2) == 0 {
		l.Scopes = []string{"api:read", "export:" + str(1+rng.IntN(8))}
	}
	if rng.IntN(2) == 0 {
		l.Bind = map[string]string{"host": str(64)}
		l.Meta = map[string]string{"site_seq": "12345", "lease": str(rng.IntN(600))}
	}
	if rng.IntN(3) == 0 {
		l.Versions = ">= 1.2, < 3"
	}
	if rng.IntN(3) == 0 {
		l.Limits = map[string]uint64{"seats": rng.Uint64N(1000), str(3): 7}
	}
	return l
}

// TestLicenseSignerMatches: a LicenseSigner's objects are byte for byte
// those of SignLicense (raw) and of EncodeText (text), with and without a
// grant (grants of several sizes), for random licenses, a software key
// and another signer; every license is still validated.
func TestLicenseSignerMatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 7))
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x22}, 32))
	vendor := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x23}, 32))
	grants := [][]byte{nil}
	for _, n := range []int{0, 20, 300, 1000} {
		payload := appendText(nil, strings.Repeat("g", n))
		g, err := Sign(vendor, TypeGrant, payload)
		if err != nil {
			t.Fatal(err)
		}
		grants = append(grants, g)
	}
	other := &flakySigner{priv: priv, n: -1} // never garbles
	for gi, grant := range grants {
		for _, signer := range []struct {
			name string
			ls   func() (*LicenseSigner, error)
		}{
			{"software", func() (*LicenseSigner, error) { return NewLicenseSigner(priv, grant) }},
			{"other", func() (*LicenseSigner, error) { return NewLicenseSigner(other, grant) }},
		} {
			ls, err := signer.ls()
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 60; i++ {
				l := randomValidLicense(rng, i)
				want, err := SignLicense(priv, l, grant)
				if err != nil {
					t.Fatal(err)
				}
				got, err := ls.Sign(l)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("grant %d, %s, license %d: Sign differs from SignLicense (%v)\n got %x\nwant %x", gi, signer.name, i, err, got, want)
				}
				for _, prefix := range []string{"", "acme-2"} {
					wantText, err := EncodeText(want, prefix)
					if err != nil {
						t.Fatal(err)
					}
					text, err := ls.SignText(l, prefix)
					if err != nil || text != wantText {
						t.Fatalf("grant %d, %s, license %d, prefix %q: SignText differs from EncodeText(SignLicense)\n got %s\nwant %s", gi, signer.name, i, prefix, text, wantText)
					}
				}
			}
		}
	}
	// The caller's grant may change after: the signer kept its own copy.
	grant := append([]byte(nil), grants[2]...)
	ls, err := NewLicenseSigner(priv, grant)
	if err != nil {
		t.Fatal(err)
	}
	clear(grant)
	l := mintTestLicense()
	want, _ := SignLicense(priv, l, grants[2])
	if got, err := ls.Sign(l); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("after the caller's grant changed: %v", err)
	}
}

// TestLicenseSignerRefuses: what SignLicense refuses, a LicenseSigner
// refuses: a license that does not validate, a grant that is not one, a
// signer that is not Ed25519, an invalid text prefix, a software key
// whose halves disagree (on every signature), and a garbled signature of
// another signer (every one of its signatures is verified).
func TestLicenseSignerRefuses(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x24}, 32))
	ls, err := NewLicenseSigner(priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad := mintTestLicense()
	bad.Tier = ""
	wantErr := bad.Validate()
	if _, err := ls.Sign(bad); err == nil || err.Error() != wantErr.Error() {
		t.Errorf("invalid license: %v, want %v", err, wantErr)
	}
	if _, err := ls.SignText(bad, ""); err == nil {
		t.Error("invalid license signed as text")
	}
	if _, err := ls.SignText(mintTestLicense(), "Bad.Prefix"); err == nil || !strings.Contains(err.Error(), "invalid prefix") {
		t.Errorf("bad prefix: %v", err)
	}
	lic, _ := SignLicense(priv, mintTestLicense(), nil)
	if _, err := NewLicenseSigner(priv, lic); err == nil || !strings.Contains(err.Error(), "want \""+TypeGrant) {
		t.Errorf("a license as the grant: %v", err)
	}
	if _, err := NewLicenseSigner(priv, []byte{0xd2, 0x84}); !errors.Is(err, ErrMalformed) {
		t.Errorf("a torn grant: %v", err)
	}
	if _, err := NewLicenseSigner(nil, nil); err == nil {
		t.Error("nil signer accepted")
	}
	mis, err := NewLicenseSigner(mismatchedKey(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := mis.Sign(mintTestLicense()); err == nil || !strings.Contains(err.Error(), "invalid Ed25519 signature") {
			t.Fatalf("signature %d of a key whose halves disagree: %v", i+1, err)
		}
	}
	flaky, err := NewLicenseSigner(&flakySigner{priv: priv, n: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		if _, err := flaky.Sign(mintTestLicense()); (err != nil) != (i == 3) {
			t.Fatalf("signature %d of another signer: %v", i, err)
		}
	}
}

// TestLicenseSignerAllocs: a signature makes one allocation, of what it
// returns (the text, or the object): the claims and the bytes signed are
// written in a reused buffer.
func TestLicenseSignerAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled buffers")
	}
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x25}, 32))
	g, _ := Sign(priv, TypeGrant, appendText(nil, strings.Repeat("g", 400)))
	ls, err := NewLicenseSigner(priv, g)
	if err != nil {
		t.Fatal(err)
	}
	l := mintTestLicense()
	if _, err := ls.SignText(l, ""); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() { ls.SignText(l, "") }); n > 1 {
		t.Errorf("SignText makes %v allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(20, func() { ls.Sign(l) }); n > 1 {
		t.Errorf("Sign makes %v allocations, want 1", n)
	}
}

// TestLicenseSignerConcurrent: one signer used from many goroutines (its
// pooled buffers shared) gives each caller its own license's bytes.
func TestLicenseSignerConcurrent(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x26}, 32))
	g, _ := Sign(priv, TypeGrant, appendText(nil, strings.Repeat("g", 200)))
	ls, err := NewLicenseSigner(priv, g)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 26))
			for i := range 40 {
				l := randomValidLicense(rng, i)
				want, _ := SignLicense(priv, l, g)
				wantText, _ := EncodeText(want, "")
				text, err := ls.SignText(l, "")
				raw, err2 := ls.Sign(l)
				if err != nil || err2 != nil || text != wantText || !bytes.Equal(raw, want) {
					t.Errorf("goroutine %d, license %d: %v %v", w, i, err, err2)
					return
				}
			}
		}()
	}
	wg.Wait()
}

package verify_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// wycheproofPath is the Wycheproof Ed25519 file, copied unchanged into
// testdata/external (see its README for provenance).
const wycheproofPath = "../testdata/external/wycheproof/ed25519_test.json"

// Counts of the pinned file (C2SP/wycheproof testvectors_v1, commit
// dac1dd47): a truncated or swapped file fails the test.
const (
	wycheproofTotal = 151
	wycheproofValid = 88
)

var wpNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

type wycheproofFile struct {
	Algorithm     string `json:"algorithm"`
	NumberOfTests int    `json:"numberOfTests"`
	TestGroups    []struct {
		PublicKey struct {
			PK string `json:"pk"`
		} `json:"publicKey"`
		Tests []wycheproofCase `json:"tests"`
	} `json:"testGroups"`
}

type wycheproofCase struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Flags   []string `json:"flags"`
	Msg     string   `json:"msg"`
	Sig     string   `json:"sig"`
	Result  string   `json:"result"` // valid, invalid or acceptable
}

// wpCase is one Wycheproof case, decoded.
type wpCase struct {
	wycheproofCase
	pk, msg, sig []byte
}

// loadWycheproof reads the Wycheproof file; it is part of the repository,
// so the test never skips.
// TestExternalVectorsUnchanged pins the copied external files to the
// bytes their publishers released.
func TestExternalVectorsUnchanged(t *testing.T) {
	for path, sum := range map[string]string{
		"../testdata/external/cose-wg/eddsa-sig-01.json":    "fc5129133b9c7a892f4fd68b603828552a0e94750b54ce9fd666f2a853b4d543",
		"../testdata/external/wycheproof/ed25519_test.json": "752d2ea7d7c6cf4736381b6cbacb61f8182b126ab7cd9b058f00c50084975536",
	} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(data)); got != sum {
			t.Errorf("%s: SHA-256 %s, want %s: the file was changed", path, got, sum)
		}
	}
}

func loadWycheproof(t *testing.T) []wpCase {
	t.Helper()
	data, err := os.ReadFile(wycheproofPath)
	if err != nil {
		t.Fatal(err)
	}
	var f wycheproofFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("parsing %s: %v", wycheproofPath, err)
	}
	if f.Algorithm != "EDDSA" {
		t.Fatalf("algorithm %q, want EDDSA", f.Algorithm)
	}
	var cases []wpCase
	for _, g := range f.TestGroups {
		pk := wpHex(t, g.PublicKey.PK)
		for _, c := range g.Tests {
			cases = append(cases, wpCase{c, pk, wpHex(t, c.Msg), wpHex(t, c.Sig)})
		}
	}
	valid := 0
	for _, c := range cases {
		switch c.Result {
		case "valid":
			valid++
		case "invalid", "acceptable":
		default:
			t.Fatalf("tcId %d: unknown result %q", c.TcID, c.Result)
		}
	}
	if f.NumberOfTests != wycheproofTotal || len(cases) != wycheproofTotal || valid != wycheproofValid {
		t.Fatalf("file says %d tests, has %d with %d valid; want %d with %d valid (truncated or different file?)",
			f.NumberOfTests, len(cases), valid, wycheproofTotal, wycheproofValid)
	}
	return cases
}

func wpHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// wpLicense is the real claims set every wrapped case carries.
func wpLicense() *token.License {
	return &token.License{
		Issuer:   "acme",
		Subject:  "customer-wycheproof",
		Audience: []string{"widget"},
		IssuedAt: wpNow.Add(-time.Hour),
		Expiry:   wpNow.Add(24 * time.Hour),
		ID:       bytes.Repeat([]byte{0x77}, token.IDSize),
		Tier:     "pro",
		Scopes:   []string{"api:read"},
	}
}

// wpEnvelope writes a license COSE_Sign1 out byte by byte: tag 18, the
// protected header {1: -8, 4: kid of pk, 16: license typ} in core
// deterministic encoding, an empty unprotected map, payload, and sig
// whatever its length.
func wpEnvelope(t *testing.T, pk, payload, sig []byte) []byte {
	t.Helper()
	protected, err := token.Marshal(map[int]any{1: token.AlgEdDSA, 4: wpKeyID(pk), 16: token.TypeLicense})
	if err != nil {
		t.Fatal(err)
	}
	b := []byte{0xd2, 0x84}
	b = wpBstr(b, protected)
	b = append(b, 0xa0)
	b = wpBstr(b, payload)
	return wpBstr(b, sig)
}

// wpKeyID is FORMAT section 2's key id computed here, so that the test
// does not lean on token.KeyID for the id it expects.
func wpKeyID(pk []byte) []byte {
	sum := sha256.Sum256(pk)
	return sum[:token.KeyIDSize]
}

func wpBstr(b, s []byte) []byte {
	n := len(s)
	switch {
	case n < 24:
		b = append(b, 0x40|byte(n))
	case n <= 0xff:
		b = append(b, 0x58, byte(n))
	default:
		b = append(b, 0x59, byte(n>>8), byte(n))
	}
	return append(b, s...)
}

func wpVerifier(t *testing.T, pk []byte) *verify.Verifier {
	t.Helper()
	ks, err := verify.NewKeySet(verify.Key{PublicKey: pk, Issuer: "acme"})
	if err != nil {
		t.Fatalf("NewKeySet: %v", err)
	}
	v, err := verify.New(ks, verify.WithProduct("widget"), verify.WithClock(func() time.Time { return wpNow }))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// wpVerify runs v.Verify and turns a panic into a test failure.
func wpVerify(t *testing.T, v *verify.Verifier, in []byte) (lic *verify.License, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("Verify panicked: %v", r)
			lic, err = nil, fmt.Errorf("panic: %v", r)
		}
	}()
	return v.Verify(in)
}

// TestWycheproofEd25519 runs the 151 Wycheproof Ed25519 cases (C2SP
// wycheproof, testvectors_v1/ed25519_test.json, 88 valid, 63 invalid:
// malleable S, non-canonical R and S encodings, small-order and zero
// points, truncated and extended signatures) in two ways.
//
// (a) Primitive: ed25519.Verify(pk, msg, sig) agrees with each case's
// result. This is the exact call licet's signature step makes, with the
// Sig_structure in place of msg; it proves that the crypto/ed25519 linked
// into this build has the strictness Wycheproof asks for (canonical S < L,
// canonical point encodings, 64-byte signatures), which is what licet's
// non-malleability rests on.
//
// (b) Wrapped: each case's signature bytes, whatever their length, are put
// into a license envelope (real claims, kid = key id of the case's pk) and
// the case's pk is trusted via verify.NewKeySet. A 64-byte signature gives
// bad_signature (valid ones sign another message, invalid ones are
// invalid); any other length gives malformed before any cryptography; a
// public key of the wrong length is refused by NewKeySet with an error;
// nothing panics. A positive control (the same hand-built envelope signed
// with a key we hold) verifies and equals token.Sign's bytes, so the
// rejections are not artefacts of a broken envelope.
//
// Not proven: a Wycheproof signature cannot be over a license
// Sig_structure, so (b) never reaches a case where verify accepts a
// Wycheproof signature; that verify passes the exact Sig_structure to
// ed25519.Verify is shown by the positive control and by the malleability
// test below on a real license signature, not by Wycheproof. The vectors
// contain no public key of the wrong length; that path is exercised with
// lengths derived from them.
func TestWycheproofEd25519(t *testing.T) {
	cases := loadWycheproof(t)

	payload, err := wpLicense().MarshalClaims()
	if err != nil {
		t.Fatal(err)
	}

	// Positive control for the envelope builder.
	control := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x42}, ed25519.SeedSize))
	controlPub := control.Public().(ed25519.PublicKey)
	minted, err := token.Sign(control, token.TypeLicense, payload)
	if err != nil {
		t.Fatal(err)
	}
	m, err := token.ParseMessage(minted)
	if err != nil {
		t.Fatal(err)
	}
	hand := wpEnvelope(t, controlPub, payload, ed25519.Sign(control, m.AppendToBeSigned(nil)))
	if !bytes.Equal(hand, minted) {
		t.Fatalf("hand-built envelope differs from token.Sign:\n hand %x\nminted %x", hand, minted)
	}
	if lic, err := wpVerify(t, wpVerifier(t, controlPub), hand); err != nil || lic.Claims.Subject != "customer-wycheproof" {
		t.Fatalf("positive control does not verify: %v", err)
	}

	byFlag := map[string]int{}
	for _, c := range cases {
		name := fmt.Sprintf("tc%d", c.TcID)
		if c.Comment != "" {
			name += " " + c.Comment
		}
		t.Run(name, func(t *testing.T) {
			for _, f := range c.Flags {
				byFlag[f]++
			}
			// (a) The primitive.
			if len(c.pk) == ed25519.PublicKeySize {
				got := ed25519.Verify(c.pk, c.msg, c.sig)
				switch c.Result {
				case "valid":
					if !got {
						t.Errorf("ed25519.Verify rejects a valid signature (flags %v)", c.Flags)
					}
				case "invalid":
					if got {
						t.Errorf("ed25519.Verify accepts an invalid signature (flags %v)", c.Flags)
					}
				default:
					t.Logf("acceptable case: ed25519.Verify says %v", got)
				}
			}

			// (b) Wrapped as a license signature.
			if len(c.pk) != ed25519.PublicKeySize {
				if _, err := verify.NewKeySet(verify.Key{PublicKey: c.pk}); err == nil {
					t.Errorf("NewKeySet accepted a %d-byte public key", len(c.pk))
				}
				return
			}
			env := wpEnvelope(t, c.pk, payload, c.sig)
			want := verify.CodeBadSignature
			if len(c.sig) != ed25519.SignatureSize {
				want = verify.CodeMalformed
			}
			lic, err := wpVerify(t, wpVerifier(t, c.pk), env)
			if code := verify.CodeOf(err); code != want || lic != nil {
				t.Errorf("%d-byte signature as a license signature: code %q (%v), want %q", len(c.sig), code, err, want)
			}
		})
	}
	flags := make([]string, 0, len(byFlag))
	for f, n := range byFlag {
		flags = append(flags, fmt.Sprintf("%s:%d", f, n))
	}
	sort.Strings(flags)
	t.Logf("cases by flag: %v", flags)
}

// TestWycheproofWrongLengthKeys: public keys of the wrong length, made from
// the Wycheproof keys (the file has none), are refused by NewKeySet with an
// error and never panic.
func TestWycheproofWrongLengthKeys(t *testing.T) {
	cases := loadWycheproof(t)
	pk := cases[0].pk
	for _, tc := range []struct {
		name string
		key  []byte
	}{
		{"empty", nil},
		{"31 bytes", pk[:31]},
		{"33 bytes", append(bytes.Clone(pk), 0)},
		{"64 bytes (private key length)", append(bytes.Clone(pk), pk...)},
		{"1 byte", pk[:1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("NewKeySet panicked: %v", r)
				}
			}()
			ks, err := verify.NewKeySet(verify.Key{PublicKey: tc.key})
			if err == nil || ks != nil {
				t.Fatalf("NewKeySet accepted a %d-byte public key", len(tc.key))
			}
		})
	}
}

// TestWycheproofMalleabilityOnLicense applies the transformations of
// Wycheproof's SignatureMalleability, SignatureWithGarbage and
// TruncatedSignature flags to a real license signature, where verify
// would accept the untouched one: S + L (the same signature for a lax
// verifier), S + 2L, appended and removed bytes. verify rejects each, and
// ed25519.Verify rejects the 64-byte ones over the same Sig_structure.
func TestWycheproofMalleabilityOnLicense(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x24}, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	payload, err := wpLicense().MarshalClaims()
	if err != nil {
		t.Fatal(err)
	}
	minted, err := token.Sign(priv, token.TypeLicense, payload)
	if err != nil {
		t.Fatal(err)
	}
	m, err := token.ParseMessage(minted)
	if err != nil {
		t.Fatal(err)
	}
	tbs, sig := m.AppendToBeSigned(nil), m.Signature
	v := wpVerifier(t, pub)
	if _, err := wpVerify(t, v, wpEnvelope(t, pub, payload, sig)); err != nil {
		t.Fatalf("untouched signature does not verify: %v", err)
	}

	// The group order L = 2^252 + 27742317777372353535851937790883648493.
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	addL := func(k int64) []byte {
		s := new(big.Int).SetBytes(wpReverse(sig[32:]))
		s.Add(s, new(big.Int).Mul(l, big.NewInt(k)))
		le := wpReverse(s.FillBytes(make([]byte, 32)))
		return append(bytes.Clone(sig[:32]), le...)
	}
	highBit := bytes.Clone(sig)
	highBit[63] |= 0x80

	for _, tc := range []struct {
		name string
		sig  []byte
		want verify.Code
	}{
		{"S + L", addL(1), verify.CodeBadSignature},
		{"S + 2L", addL(2), verify.CodeBadSignature},
		{"top bit of S set", highBit, verify.CodeBadSignature},
		{"R and S swapped", append(bytes.Clone(sig[32:]), sig[:32]...), verify.CodeBadSignature},
		{"one byte appended", append(bytes.Clone(sig), 0), verify.CodeMalformed},
		{"last byte removed", sig[:63], verify.CodeMalformed},
		{"S removed", sig[:32], verify.CodeMalformed},
		{"empty", nil, verify.CodeMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if bytes.Equal(tc.sig, sig) {
				t.Fatal("transformation left the signature unchanged")
			}
			if len(tc.sig) == ed25519.SignatureSize && ed25519.Verify(pub, tbs, tc.sig) {
				t.Fatal("ed25519.Verify accepts the transformed signature")
			}
			lic, err := wpVerify(t, v, wpEnvelope(t, pub, payload, tc.sig))
			if code := verify.CodeOf(err); code != tc.want || lic != nil {
				t.Fatalf("code %q (%v), want %q", code, err, tc.want)
			}
		})
	}
}

// wpReverse returns b reversed (little endian <-> big endian).
func wpReverse(b []byte) []byte {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return r
}

package token

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"io"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

func mintTestLicense() *License {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	return &License{
		Issuer: "acme", Subject: "customer-1", Audience: []string{"widget"}, IssuedAt: now,
		ID: bytes.Repeat([]byte{1}, IDSize), Tier: "pro", Scopes: []string{"api:read"},
	}
}

// TestAppendProtected: the hand-written protected header is byte for byte
// what the CBOR library's core deterministic encoding makes of the header
// map, for every object type, with and without an embedded grant.
func TestAppendProtected(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32))
	grant, err := Sign(priv, TypeGrant, []byte{0xa0})
	if err != nil {
		t.Fatal(err)
	}
	kid := KeyID(priv.Public().(ed25519.PublicKey))
	for _, typ := range []string{TypeLicense, TypeGrant, TypeRevocations, "x", string(bytes.Repeat([]byte{'t'}, 300))} {
		for _, g := range [][]byte{nil, grant} {
			hdr := map[int]any{labelAlg: AlgEdDSA, labelKID: kid, labelTyp: typ}
			if g != nil {
				hdr[labelKCWT] = cbor.RawMessage(g)
			}
			want, err := encMode.Marshal(hdr)
			if err != nil {
				t.Fatal(err)
			}
			if got := appendProtected(nil, kid, typ, g); !bytes.Equal(got, want) {
				t.Errorf("typ %.20q, grant %v:\n got %x\nwant %x", typ, g != nil, got, want)
			}
		}
	}
}

// mismatchedKey is a software key whose halves disagree: the seed of one
// key, the public key of another. Its signatures never verify.
func mismatchedKey() ed25519.PrivateKey {
	a := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xa}, 32))
	b := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xb}, 32))
	k := append(ed25519.PrivateKey(nil), a[:32]...)
	return append(k, b[32:]...)
}

func isChecked(priv ed25519.PrivateKey) bool {
	sum := sha256.Sum256(priv)
	_, ok := checked.get(sum)
	return ok
}

// TestSelfCheckSoftwareKey: a software key's first signature is verified
// and the key remembered; a key whose halves disagree is refused on every
// mint, never remembered.
func TestSelfCheckSoftwareKey(t *testing.T) {
	good := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xc}, 32))
	if isChecked(good) {
		t.Fatal("key checked before its first signature")
	}
	for i := 0; i < 3; i++ {
		if _, err := SignLicense(good, mintTestLicense(), nil); err != nil {
			t.Fatal(err)
		}
		if !isChecked(good) {
			t.Fatal("a key whose signature verified is not remembered")
		}
	}
	bad := mismatchedKey()
	for i := 0; i < 3; i++ {
		if _, err := SignLicense(bad, mintTestLicense(), nil); err == nil {
			t.Fatalf("mint %d with a key whose halves disagree succeeded", i+1)
		}
		if isChecked(bad) {
			t.Fatal("a key whose signature failed is remembered")
		}
	}
}

// flakySigner is a crypto.Signer that is not an ed25519.PrivateKey (a
// stand-in for a hardware or remote key) and garbles its n-th signature.
type flakySigner struct {
	priv ed25519.PrivateKey
	n    int
}

func (s *flakySigner) Public() crypto.PublicKey { return s.priv.Public() }

func (s *flakySigner) Sign(r io.Reader, msg []byte, o crypto.SignerOpts) ([]byte, error) {
	sig, err := s.priv.Sign(r, msg, o)
	if s.n--; s.n == 0 {
		sig[5] ^= 1
	}
	return sig, err
}

// TestSelfCheckOtherSigners: every signature of a signer that is not a
// software key is verified: a garbled one on the third mint is refused.
func TestSelfCheckOtherSigners(t *testing.T) {
	s := &flakySigner{priv: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xd}, 32)), n: 3}
	for i := 1; i <= 4; i++ {
		_, err := SignLicense(s, mintTestLicense(), nil)
		if (err != nil) != (i == 3) {
			t.Fatalf("mint %d: %v", i, err)
		}
	}
}

// TestTextLineBreaks: the compact text form is decoded in one pass, the
// base64 decoder skipping CR and LF; a line break anywhere in the text,
// for texts of every length modulo 4, is still refused as such, and the
// same text without it decodes.
func TestTextLineBreaks(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xe}, 32))
	for pad := 0; pad < 4; pad++ {
		l := mintTestLicense()
		l.Subject += string(bytes.Repeat([]byte{'x'}, pad))
		raw, err := SignLicense(priv, l, nil)
		if err != nil {
			t.Fatal(err)
		}
		text, err := EncodeText(raw, "")
		if err != nil {
			t.Fatal(err)
		}
		if got, form, err := Unarmor([]byte(text)); err != nil || form != FormText || !bytes.Equal(got, raw) {
			t.Fatalf("clean text: %v", err)
		}
		body := len(defaultPrefix) + 1
		for i := body; i <= len(text); i++ {
			for _, br := range []string{"\n", "\r", "\r\n", "\n\n\n"} {
				in := text[:i] + br + text[i:]
				if i == len(text) {
					continue // trailing white space is trimmed
				}
				_, _, err := Unarmor([]byte(in))
				if err == nil || !bytes.Contains([]byte(err.Error()), []byte("line break")) {
					t.Fatalf("length %d, %q at %d: %v", len(text)-body, br, i, err)
				}
			}
		}
		// A bad character and a line break: the line break is named.
		in := text[:body+3] + "\n" + text[body+3:len(text)-1] + "!"
		if _, _, err := Unarmor([]byte(in)); err == nil || !bytes.Contains([]byte(err.Error()), []byte("line break")) {
			t.Fatalf("bad character and line break: %v", err)
		}
		// A bad character alone is a base64 error.
		if _, _, err := Unarmor([]byte(text[:len(text)-1] + "!")); err == nil || !bytes.Contains([]byte(err.Error()), []byte("base64")) {
			t.Fatalf("bad character: %v", err)
		}
	}
}

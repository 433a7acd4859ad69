package interop_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/veraison/go-cose"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// now is the fixed clock of every verifier in these tests.
var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// testKey returns a deterministic Ed25519 key named by label.
func testKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("interop " + label))
	return ed25519.NewKeyFromSeed(seed[:])
}

func pubOf(priv ed25519.PrivateKey) ed25519.PublicKey {
	return priv.Public().(ed25519.PublicKey)
}

// fullLicense sets every claim of FORMAT section 3.
func fullLicense() *token.License {
	return &token.License{
		Issuer:    "acme",
		Subject:   "customer-4711",
		Audience:  []string{"widget", "widget-cloud"},
		IssuedAt:  now.Add(-24 * time.Hour),
		NotBefore: now.Add(-25 * time.Hour),
		Expiry:    now.Add(365 * 24 * time.Hour),
		ID:        bytes.Repeat([]byte{0x5a}, token.IDSize),
		Tier:      "enterprise",
		Scopes:    []string{"api:read", "api:write", "reports:*"},
		Versions:  ">= 2.0, < 4.0",
		Limits:    map[string]uint64{"seats": 25, "nodes": 3},
		Rights:    []string{"embed", "redistribute"},
		Bind:      map[string]string{"host": "fp-1"},
		Grace:     72 * time.Hour,
		Meta:      map[string]string{"order": "PO-1"},
		Crit:      []string{"bind"},
	}
}

// minimalLicense sets only the required claims, one audience.
func minimalLicense() *token.License {
	return &token.License{
		Issuer:   "acme",
		Subject:  "customer-1",
		Audience: []string{"widget"},
		IssuedAt: now.Add(-time.Hour),
		ID:       bytes.Repeat([]byte{0x01}, token.IDSize),
		Tier:     "free",
	}
}

// newVerifier returns a licet verifier for product "widget" at version
// 3.0.0 on host fp-1 that trusts pubs.
func newVerifier(t testing.TB, pubs ...ed25519.PublicKey) *verify.Verifier {
	t.Helper()
	keys := make([]verify.Key, len(pubs))
	for i, p := range pubs {
		keys[i] = verify.Key{PublicKey: p}
	}
	ks, err := verify.NewKeySet(keys...)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(ks,
		verify.WithProduct("widget"),
		verify.WithProductVersion("3.0.0"),
		verify.WithBinding(map[string]string{"host": "fp-1"}),
		verify.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// licetHeader is the protected header licet issues, as a go-cose map:
// alg, kid of pub, typ.
func licetHeader(alg cose.Algorithm, pub ed25519.PublicKey, typ string) cose.ProtectedHeader {
	return cose.ProtectedHeader{
		cose.HeaderLabelAlgorithm: alg,
		cose.HeaderLabelKeyID:     token.KeyID(pub),
		cose.HeaderLabelType:      typ,
	}
}

// goCOSESign has go-cose sign payload under the given headers and returns
// its tagged encoding (Sign1Message.MarshalCBOR).
func goCOSESign(t testing.TB, signer cose.Signer, prot cose.ProtectedHeader, unprot cose.UnprotectedHeader, payload []byte) []byte {
	t.Helper()
	msg := goCOSEMessage(t, signer, prot, unprot, payload)
	raw, err := msg.MarshalCBOR()
	if err != nil {
		t.Fatalf("go-cose MarshalCBOR: %v", err)
	}
	return raw
}

func goCOSEMessage(t testing.TB, signer cose.Signer, prot cose.ProtectedHeader, unprot cose.UnprotectedHeader, payload []byte) *cose.Sign1Message {
	t.Helper()
	if unprot == nil {
		unprot = cose.UnprotectedHeader{}
	}
	msg := &cose.Sign1Message{
		Headers: cose.Headers{Protected: prot, Unprotected: unprot},
		Payload: payload,
	}
	if err := msg.Sign(rand.Reader, nil, signer); err != nil {
		t.Fatalf("go-cose Sign: %v", err)
	}
	return msg
}

// edSigner is a cose.Signer that makes pure Ed25519 signatures under any
// algorithm id: -19 (which go-cose v1.3.0 does not know) or a wrong one.
// go-cose still builds the Sig_structure and the envelope.
type edSigner struct {
	alg cose.Algorithm
	key ed25519.PrivateKey
}

var _ cose.Signer = edSigner{}

func (s edSigner) Algorithm() cose.Algorithm { return s.alg }

func (s edSigner) Sign(_ io.Reader, content []byte) ([]byte, error) {
	return ed25519.Sign(s.key, content), nil
}

// edVerifier is the cose.Verifier that matches edSigner.
type edVerifier struct {
	alg cose.Algorithm
	key ed25519.PublicKey
}

var _ cose.Verifier = edVerifier{}

func (v edVerifier) Algorithm() cose.Algorithm { return v.alg }

func (v edVerifier) Verify(content, sig []byte) error {
	if !ed25519.Verify(v.key, content, sig) {
		return errors.New("ed25519 verification failed")
	}
	return nil
}

// goCOSEVerify decodes raw with go-cose (tagged, or untagged when the tag is
// missing) and verifies it with v.
func goCOSEVerify(raw []byte, v cose.Verifier) (*cose.Sign1Message, error) {
	var msg cose.Sign1Message
	if len(raw) > 0 && raw[0] == 0xd2 {
		if err := msg.UnmarshalCBOR(raw); err != nil {
			return nil, err
		}
	} else {
		var u cose.UntaggedSign1Message
		if err := u.UnmarshalCBOR(raw); err != nil {
			return nil, err
		}
		msg = cose.Sign1Message(u)
	}
	if err := msg.Verify(nil, v); err != nil {
		return &msg, err
	}
	return &msg, nil
}

// appendHead appends a CBOR head of major type major and argument n
// (RFC 8949 section 3, shortest form).
func appendHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= 0xff:
		return append(b, m|24, byte(n))
	case n <= 0xffff:
		return append(b, m|25, byte(n>>8), byte(n))
	case n <= 0xffffffff:
		return append(b, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, m|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32),
		byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

func appendBstr(b, s []byte) []byte { return append(appendHead(b, 2, uint64(len(s))), s...) }

// handSigStructure is RFC 9052 section 4.4's Sig_structure for COSE_Sign1
// with empty external data, written out byte by byte.
func handSigStructure(protected, payload []byte) []byte {
	b := []byte{0x84, 0x6a}
	b = append(b, "Signature1"...)
	b = appendBstr(b, protected)
	b = append(b, 0x40)
	return appendBstr(b, payload)
}

// handEnvelope is #6.18([protected, {}, payload, sig]) written out byte by
// byte.
func handEnvelope(protected, payload, sig []byte) []byte {
	b := []byte{0xd2, 0x84}
	b = appendBstr(b, protected)
	b = append(b, 0xa0)
	b = appendBstr(b, payload)
	return appendBstr(b, sig)
}

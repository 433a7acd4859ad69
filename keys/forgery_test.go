package keys

import (
	"crypto"
	"crypto/ed25519"
	"io"
	"testing"
	"time"

	"filippo.io/edwards25519"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// keylessSigner "signs" for the identity public key without any private
// key: with A the identity, R = [s]B and S = s satisfy [S]B = R + [k]A for
// every message.
type keylessSigner struct{}

func (keylessSigner) Public() crypto.PublicKey {
	return ed25519.PublicKey(append([]byte{1}, make([]byte, 31)...))
}

func (keylessSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	s, err := edwards25519.NewScalar().SetCanonicalBytes(append([]byte{5}, make([]byte, 31)...))
	if err != nil {
		return nil, err
	}
	r := new(edwards25519.Point).ScalarBaseMult(s)
	return append(r.Bytes(), s.Bytes()...), nil
}

// TestTrustStoreBlocksKeylessForgery: a keyring cannot hold a small-order
// key, so the forgery below cannot reach a verifier built from a TrustStore.
func TestTrustStoreBlocksKeylessForgery(t *testing.T) {
	id := keylessSigner{}.Public().(ed25519.PublicKey)
	if err := (&TrustStore{}).Add(TrustedKey{Issuer: "acme", Key: id}); err == nil {
		t.Fatal("TrustStore.Add accepted the identity point as a key")
	}
	if _, err := ParsePublicKey((&PublicKey{Key: id}).MarshalPEM()); err == nil {
		t.Fatal("ParsePublicKey accepted the identity point as a key")
	}
}

// TestVerifyRefusesSmallOrderKey: verify.NewKeySet, which products may call
// without going through keys, refuses the identity point as a trusted key;
// otherwise a license "signed" without any private key would verify.
func TestVerifyRefusesSmallOrderKey(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id := keylessSigner{}.Public().(ed25519.PublicKey)
	ks, err := verify.NewKeySet(verify.Key{PublicKey: id, Issuer: "acme"})
	if err == nil {
		raw, err := token.SignLicense(keylessSigner{}, &token.License{
			Issuer: "acme", Subject: "anyone", Audience: []string{"widget"},
			IssuedAt: now, Expiry: now.AddDate(1, 0, 0), ID: make([]byte, token.IDSize), Tier: "pro",
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		v, err := verify.New(ks, verify.WithProduct("widget"), verify.WithClock(func() time.Time { return now }))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(raw); err == nil {
			t.Fatal("a license forged without a private key verifies under a small-order key")
		}
		t.Error("verify.NewKeySet accepted a small-order key")
	}
}

package keys

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	cryptorand "crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"filippo.io/edwards25519"

	"github.com/licet/licet/token"
)

// SandboxIssuer is the issuer id of the built-in sandbox key.
const SandboxIssuer = "licet-sandbox"

// sandboxSeedText is hashed with SHA-256 into the sandbox key's seed.
const sandboxSeedText = "licet sandbox key v1"

// MaxIssuerLen is the longest issuer id, in bytes.
const MaxIssuerLen = 64

// PrivateKey is an Ed25519 signing key with the issuer id that travels with it.
type PrivateKey struct {
	// Issuer is the issuer id that licenses signed by the key carry as iss.
	Issuer string
	// Key is the 64-byte Ed25519 private key.
	Key ed25519.PrivateKey
}

// PublicKey is an Ed25519 public key, with its issuer when known.
type PublicKey struct {
	// Issuer is "" when the file names none (e.g. a plain openssl file).
	Issuer string
	// Key is the 32-byte Ed25519 public key.
	Key ed25519.PublicKey
}

// Generate returns a new signing key for issuer, whose seed is the first 32
// bytes read from rand (crypto/rand when rand is nil). The issuer id is 1 to
// 64 characters of [A-Za-z0-9._:@-] (ValidIssuer).
func Generate(rand io.Reader, issuer string) (*PrivateKey, error) {
	if err := checkIssuer(issuer); err != nil {
		return nil, err
	}
	if rand == nil {
		rand = cryptorand.Reader
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("keys: reading randomness: %w", err)
	}
	k := &PrivateKey{Issuer: issuer, Key: ed25519.NewKeyFromSeed(seed)}
	clear(seed)
	return k, nil
}

// Sandbox returns the built-in sandbox key: its seed is SHA-256 of
// "licet sandbox key v1" and its issuer SandboxIssuer. It is NOT secret:
// anyone can sign with it. It exists for demos and tests, so that examples
// work without creating a key; never trust it in a product.
func Sandbox() *PrivateKey {
	seed := sha256.Sum256([]byte(sandboxSeedText))
	return &PrivateKey{Issuer: SandboxIssuer, Key: ed25519.NewKeyFromSeed(seed[:])}
}

// Signer returns k's key as a crypto.Signer (the ed25519.PrivateKey).
func (k *PrivateKey) Signer() crypto.Signer { return k.Key }

// Public returns k's public key, with k's issuer. It panics if k.Key is not
// 64 bytes long, as crypto/ed25519 does.
func (k *PrivateKey) Public() *PublicKey {
	return &PublicKey{Issuer: k.Issuer, Key: k.Key.Public().(ed25519.PublicKey)}
}

// KeyID returns the key id of k's public key (token.KeyID): the first 8
// bytes of SHA-256 of the raw 32-byte public key.
func (k *PrivateKey) KeyID() []byte { return k.Public().KeyID() }

// KeyID returns the key id of p (token.KeyID), or nil if p.Key is not
// 32 bytes long.
func (p *PublicKey) KeyID() []byte { return keyID(p.Key) }

func keyID(pub ed25519.PublicKey) []byte {
	if len(pub) != ed25519.PublicKeySize {
		return nil
	}
	return token.KeyID(pub)
}

// ValidIssuer reports whether s is a valid issuer id: 1 to 64 characters of
// A-Z a-z 0-9 . _ : @ -.
func ValidIssuer(s string) bool {
	if len(s) == 0 || len(s) > MaxIssuerLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == ':', c == '@', c == '-':
		default:
			return false
		}
	}
	return true
}

var errIssuer = errors.New("keys: an issuer id is 1 to 64 characters of A-Z a-z 0-9 . _ : @ -")

func checkIssuer(s string) error {
	if !ValidIssuer(s) {
		return errIssuer
	}
	return nil
}

// scalarLMinus1 is the canonical encoding of the scalar L-1, where L is the
// order of the prime-order subgroup: 2^252 + 27742317777372353535851937790883648493.
var scalarLMinus1 = [32]byte{
	0xec, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
}

// CheckPublicKey checks that pub is a usable Ed25519 public key: 32 bytes,
// the canonical encoding of a point on the curve, not of small order, and in
// the prime-order subgroup ([L]P is the identity). Keys that fail are never
// produced by honest key generation; a trust store refuses them.
func CheckPublicKey(pub []byte) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("keys: public key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	p, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return errors.New("keys: public key is not a point on the Ed25519 curve")
	}
	if !bytes.Equal(p.Bytes(), pub) {
		return errors.New("keys: public key is not canonically encoded")
	}
	identity := edwards25519.NewIdentityPoint()
	if new(edwards25519.Point).MultByCofactor(p).Equal(identity) == 1 {
		return errors.New("keys: public key is a point of small order")
	}
	s, err := edwards25519.NewScalar().SetCanonicalBytes(scalarLMinus1[:])
	if err != nil {
		panic("keys: L-1 is not a canonical scalar") // a constant: cannot happen
	}
	q := new(edwards25519.Point).ScalarMult(s, p)
	q.Add(q, p) // [L]P = [L-1]P + P
	if q.Equal(identity) != 1 {
		return errors.New("keys: public key is not in the prime-order subgroup (mixed-order point)")
	}
	return nil
}

package verify

import (
	"crypto/ed25519"
	"crypto/sha512"
	"crypto/subtle"

	"filippo.io/edwards25519"
)

// edKey is an Ed25519 public key prepared once for many verifications:
// its encoding and its point, decompressed and negated, so that no
// verification pays for point decompression.
//
// Its verify is crypto/ed25519's Verify step for step (cofactorless, RFC
// 8032 with the strictness Go has always had): a 64-byte signature whose
// top three bits are clear and whose S is canonical (S < l), k =
// SHA-512(R || A || M) mod l over the key's encoding exactly as given,
// R' = [S]B - [k]A, accepted only if R' encodes to the signature's R byte
// for byte. A key encoding that is not a point (crypto/ed25519 refuses it
// on every call) verifies nothing. TestEdKeyWycheproof,
// TestEdKeyDifferential and FuzzEdKey compare it with crypto/ed25519.
type edKey struct {
	pub  [ed25519.PublicKeySize]byte
	negA edwards25519.Point
	ok   bool // pub decodes to a point
}

// init prepares k for pub and returns k. A pub of the wrong length
// verifies nothing, as no point has that encoding.
func (k *edKey) init(pub ed25519.PublicKey) *edKey {
	*k = edKey{}
	if len(pub) != ed25519.PublicKeySize {
		return k
	}
	copy(k.pub[:], pub)
	// SetBytes accepts the encodings crypto/ed25519 accepts: the same
	// code, vendored in the standard library as crypto/internal/fips140/edwards25519.
	var a edwards25519.Point
	if _, err := a.SetBytes(pub); err == nil {
		k.negA.Negate(&a)
		k.ok = true
	}
	return k
}

// verify reports whether sig is a valid Ed25519 signature of msg by k,
// with exactly the answer of ed25519.Verify(pub, msg, sig).
func (k *edKey) verify(msg, sig []byte) bool {
	if !k.ok || len(sig) != ed25519.SignatureSize || sig[63]&224 != 0 {
		return false
	}
	var s edwards25519.Scalar
	if _, err := s.SetCanonicalBytes(sig[32:]); err != nil {
		return false
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(k.pub[:])
	h.Write(msg)
	var digest [sha512.Size]byte
	var hk edwards25519.Scalar
	if _, err := hk.SetUniformBytes(h.Sum(digest[:0])); err != nil {
		return false // cannot happen: the digest is 64 bytes
	}
	// [S]B = R + [k]A  <=>  R = [k](-A) + [S]B
	var r edwards25519.Point
	r.VarTimeDoubleScalarBaseMult(&hk, &k.negA, &s)
	return subtle.ConstantTimeCompare(sig[:32], r.Bytes()) == 1
}

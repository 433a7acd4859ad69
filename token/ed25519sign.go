package token

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"

	"filippo.io/edwards25519"
)

// signTBS signs tbs with signer. A software key (an ed25519.PrivateKey)
// is signed with by signEd25519, every other signer through its Sign
// method.
func signTBS(signer crypto.Signer, tbs []byte) ([]byte, error) {
	if priv, ok := signer.(ed25519.PrivateKey); ok && len(priv) == ed25519.PrivateKeySize {
		var sig [ed25519.SignatureSize]byte
		signEd25519(&sig, priv, tbs)
		return sig[:], nil
	}
	return signer.Sign(rand.Reader, tbs, crypto.Hash(0))
}

// signEd25519 writes to sig the Ed25519 signature (RFC 8032, section
// 5.1.6) of msg by priv: byte for byte what ed25519.Sign returns
// (TestSignEd25519MatchesStd, TestSignEd25519RFC8032). It is the same
// computation over the same constant-time arithmetic
// (filippo.io/edwards25519 is the code crypto/ed25519 vendors), except
// that R is encoded once where crypto/ed25519 encodes it twice, for the
// hash and for the signature; each encoding is a field inversion, about
// an eighth of a signature. That is what lets a mint, claims encoding and
// envelope included, cost no more than a raw ed25519.Sign (issue 20;
// token's BenchmarkSignLicenseVsEd25519).
func signEd25519(sig *[ed25519.SignatureSize]byte, priv ed25519.PrivateKey, msg []byte) {
	// The key's expansion: the secret scalar (clamped) and the nonce
	// prefix, the halves of SHA-512 of the seed. It is not kept between
	// signatures: a copy of a secret in a package variable outlives the
	// caller's key. (A LicenseSigner keeps it, for its caller, who holds
	// the key as long.)
	var a edwards25519.Scalar
	expanded := sha512.Sum512(priv[:32])
	if _, err := a.SetBytesWithClamping(expanded[:32]); err != nil {
		panic("token: internal error: 32-byte scalar refused")
	}
	signExpanded(sig, &a, (*[32]byte)(expanded[32:]), priv[32:], msg) // licsigner.go
}

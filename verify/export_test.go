package verify

import "crypto/ed25519"

// Ed25519Verify is the verification of a trusted key prepared by
// [NewKeySet], exported for the equivalence tests against crypto/ed25519.
func Ed25519Verify(pub ed25519.PublicKey, msg, sig []byte) bool {
	var k edKey
	return k.init(pub).verify(msg, sig)
}

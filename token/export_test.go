package token

import "crypto/ed25519"

// Unexported scope matchers, for the tests of package token_test.
var (
	Covers      = coversAny
	CoversScope = coversScope
)

// CheckSize is checkSize, for the form-size test.
var CheckSize = checkSize

// SignEd25519 is the signature minting makes with a software key
// (ed25519sign.go).
func SignEd25519(priv ed25519.PrivateKey, msg []byte) []byte {
	var sig [ed25519.SignatureSize]byte
	signEd25519(&sig, priv, msg)
	return sig[:]
}

package interop_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"github.com/veraison/go-cose"

	"github.com/licet/licet/token"
)

// Example_goCOSEVerifiesLicet checks a licet license with go-cose alone:
// unarmor the compact text form, decode the COSE_Sign1, verify it with
// go-cose's EdDSA verifier and the vendor's public key.
func Example_goCOSEVerifiesLicet() {
	seed := sha256.Sum256([]byte("example vendor"))
	vendor := ed25519.NewKeyFromSeed(seed[:])

	raw, err := token.SignLicense(vendor, minimalLicense(), nil)
	if err != nil {
		panic(err)
	}
	text, _ := token.EncodeText(raw, "")

	// A partner with only go-cose and the vendor's public key:
	unarmored, _, _ := token.Unarmor([]byte(text))
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(unarmored); err != nil {
		panic(err)
	}
	verifier, _ := cose.NewVerifier(cose.AlgorithmEdDSA, vendor.Public())
	alg, _ := msg.Headers.Protected.Algorithm()
	fmt.Println("alg:", alg)
	fmt.Println("typ:", msg.Headers.Protected[cose.HeaderLabelType])
	fmt.Println("signature:", msg.Verify(nil, verifier) == nil)
	// Output:
	// alg: EdDSA
	// typ: application/licet-license+cwt
	// signature: true
}

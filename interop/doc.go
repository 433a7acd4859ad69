// Package interop holds the tests that check licet's wire format against
// github.com/veraison/go-cose, a COSE implementation written outside this
// project. It has no API of its own: everything is in its tests.
//
// It is a separate Go module (github.com/licet/licet/interop) so that
// programs that embed package verify never download go-cose. Run it with
//
//	cd interop && go test ./...
//
// # What the tests prove
//
//   - Licenses minted by [github.com/licet/licet/token.SignLicense], in all
//     three text forms after unarmoring, are COSE_Sign1 messages that go-cose
//     decodes and verifies with its own EdDSA verifier. go-cose reads alg -8,
//     the kid and the typ (label 16) from the protected header, and the
//     payload decodes as the license claims.
//   - A COSE_Sign1 that go-cose signs with licet's headers and claims is
//     byte for byte what licet mints, and package verify accepts it, with
//     alg -8 and with alg -19.
//   - go-cose messages that break licet's rules (another algorithm, another
//     or no typ, a kid of another trusted key, data in the unprotected
//     header, no tag) are rejected by verify with the code FORMAT.md
//     section 8 gives them.
//
// See README.md in this directory for the versions tested and what is not
// proven.
package interop

// Package bench compares the cost of licet licenses with that of peer
// signed-token formats on the same claims, each as a ratio to raw Ed25519.
//
// # What is compared
//
// Every [Scheme] signs and verifies one license-like claims set (issuer,
// subject, one product, issue and expiry times, a 16-byte id, a tier, four
// scopes, a version constraint, two limits, one right) with one Ed25519
// key:
//
//   - licet-raw and licet-text: [token.SignLicense] and [verify.Verifier.Verify]
//     (full verification: envelope, signature, claims, every check), in the
//     raw COSE_Sign1 form and the compact text form.
//   - go-cose: github.com/veraison/go-cose Sign1 (EdDSA) over the same CBOR
//     claims, decoded with [token.DecodeLicense] after the signature check.
//   - golang-jwt: github.com/golang-jwt/jwt/v5, EdDSA JWS, claims parsed and
//     validated (exp, iat, iss, aud) by the library.
//   - go-jose: github.com/go-jose/go-jose/v4/jwt, EdDSA JWS, claims
//     validated with jwt.Expected.
//   - paseto-v4-local: PASETO v4.public, a local implementation written
//     here from the specification
//     (no PASETO library for Go is served by the module proxy this project
//     can reach); its known-answer test is vector 4-S-1.
//
// # How it is measured
//
// [Measure] interleaves, in every iteration, the scheme's sign, a raw
// ed25519.Sign, the scheme's verify and a raw ed25519.Verify over a message
// of the size of licet's signature input, which of each pair runs first
// alternating from one iteration to the next, so that load on a shared
// machine hits the scheme and its baseline alike. Each ratio is the median
// of the per-iteration ratios, with the 25th and 75th percentiles as its
// spread (internal/ratio). Ratios, not times, are the result: they carry
// across machines. [Fixture.Targets] measures licet's own targets (issue
// 20: cold, second and warm verification, minting in both forms) the
// same way; cli.sh times the licet verify process against openssl.
//
// Run the comparison with
//
//	cd bench && go run ./cmd/compare
//
// or as benchmarks with
//
//	cd bench && go test -run '^$' -bench . -count 6 | tee new.txt
//
// and summarise with benchstat. The ratios are reported as the "x-ed25519"
// metric.
package bench

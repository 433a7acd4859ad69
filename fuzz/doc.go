// Package fuzz holds licet's fuzz targets. It has no API: the targets live
// in its test files and run with go test -fuzz (see README.md).
//
// # Targets
//
//   - FuzzParse: the three forms through token.Unarmor, token.Decode and
//     token.ParseUnverified never panic, fail only with token.ErrMalformed,
//     and agree with each other and with re-armoring.
//   - FuzzVerify: full verification with fixed keys, clock and product never
//     panics and fails only with a *verify.Error carrying one of the codes;
//     for claims signed by the trusted key, the outcome is what an
//     independent reading of FORMAT section 8 gives.
//   - FuzzCanonical: claims that decode re-encode to claims that decode
//     equal and re-encode to the same bytes; a parsed envelope rebuilt from
//     its parts gives back the input bytes.
//   - FuzzMutate: a valid token changed in one byte, or truncated, never
//     verifies.
//   - FuzzGrant: grants decode without panicking, and licenses carrying a
//     fuzzed grant (and fuzzed claims) verify only within the grant.
//
// Every target is seeded from the vectors of testdata/vectors, and the
// inputs committed under testdata/fuzz replay in go test.
package fuzz

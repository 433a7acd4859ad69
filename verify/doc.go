// Package verify decides whether to believe a licet license: offline, with
// nothing but the vendor's public keys.
//
// Build a [Verifier] once per product with [New], then call
// [Verifier.Verify] for each license. It returns a [*License] only when
// every check passes, and otherwise an [*Error] that carries exactly one
// [Code]:
//
//	keys, _ := verify.NewKeySet(verify.Key{PublicKey: pub, Issuer: "acme"})
//	v, _ := verify.New(keys,
//		verify.WithProduct("widget-server"),
//		verify.WithProductVersion("3.1.0"))
//	lic, err := v.Verify(tokenBytes, "api:read")
//	switch {
//	case errors.Is(err, verify.CodeExpired):
//		// ask for a renewal
//	case err != nil:
//		// verify.CodeOf(err) is a stable string such as "scope_missing"
//	case lic.InGrace:
//		// valid, but past its expiry: warn
//	}
//
// # Checks
//
// The checks run in this order and the first failure is returned; the
// signature is checked before any claim is trusted:
//
//  1. input at most 16 KiB, a well-formed COSE_Sign1 (malformed)
//  2. alg is EdDSA (-8) or Ed25519 (-19) (unsupported_alg)
//  3. typ is the license type (wrong_type)
//  4. kid names a trusted key, or the license carries a grant (unknown_key)
//  5. the Ed25519 signature verifies (bad_signature)
//  6. the claims decode strictly (malformed)
//  7. the key is not revoked and the license's iat lies in its validity
//     window (key_not_valid)
//  8. iss is the key's issuer, when the key names one (wrong_issuer)
//  9. aud contains the product (wrong_product)
//  10. nbf and iat are not in the future, leeway allowed (not_yet_valid)
//  11. not past exp plus leeway, or within grace (expired; in grace the
//     license verifies with [License.InGrace] set), or, past both, a
//     license with perpetual fallback and a build released at or before
//     exp ([WithBuildDate]; it verifies with [License.Fallback] set and a
//     warning that later updates are not covered)
//  12. the product version satisfies "versions" (version_not_covered)
//  13. every "bind" entry equals this machine's value (binding_mismatch)
//  14. neither the license, its grant nor a signing key is on the
//     revocation list of its issuer (or its grant's issuer), and no list
//     names a signing key trusted without an issuer (revoked)
//  15. every required scope is covered (scope_missing)
//
// A license issued by a partner carries the vendor's grant. The grant must
// be signed by a trusted key, be a grant, be within its time window and not
// carry a grant itself (grant_invalid); the license must be signed by the
// key the grant names and stay within every limit of the grant: issuer,
// products, tier, scopes, capped limits, rights, expiry, issue time and
// maximum life, and no perpetual fallback (grant_violation). [Violations] lists them all.
// Under a site grant ("site") a license is a lease: bound to a machine,
// expiring, without grace, living at most the longest lease (or borrow).
//
// # Rules that do not bend
//
// There is one algorithm family and no negotiation. Time comes only from
// the clock given with [WithClock] (time.Now by default), with a leeway of
// [DefaultLeeway] unless [WithLeeway] says otherwise. Options that weaken a
// check say so in their names: [AnyProductInsecure], [AnyVersionInsecure],
// [AnyBindingInsecure].
//
// # Other objects
//
// verify decides every trust question of licet: [Verifier.VerifyGrant] and
// [Verifier.VerifyRevocations] check a grant or a list on its own,
// [KeySet.Signed] a record against its log's key, [LicenseUnderGrant] a
// partner's license outside a product.
//
// # Dependencies
//
// The standard library, package token, github.com/fxamacker/cbor/v2,
// github.com/hashicorp/go-version and filippo.io/edwards25519 (trusted keys
// are kept as decompressed points), and nothing else; a test enforces it.
package verify

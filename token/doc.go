// Package token implements the licet wire format, version 1: licenses,
// grants and revocation lists as Ed25519-signed COSE_Sign1 messages (RFC
// 9052) carrying CWT claims (RFC 8392), and their three text forms.
//
// It builds and parses objects; it does not decide whether to trust them.
// Package verify does that, and is what products embed.
//
// # Envelope
//
// Every object is a COSE_Sign1 with tag 18:
//
//	18([protected: bstr .cbor {1: -8, 4: kid, 16: typ, ? 13: grant},
//	    unprotected: {},
//	    payload: bstr .cbor claims,
//	    signature: bstr .size 64])
//
// alg (1) is EdDSA (-8); verifiers also accept Ed25519 (-19). kid (4) is the
// first 8 bytes of SHA-256 of the raw 32-byte public key ([KeyID]). typ (16)
// names the object: [TypeLicense], [TypeGrant] or [TypeRevocations]. A
// license issued by a partner carries the vendor's grant at label 13, as
// the tagged COSE_Sign1 itself. The unprotected header must be empty: it is
// not signed. The signature is pure Ed25519 over the Sig_structure
// ["Signature1", protected, empty bstr, payload], built from the exact bytes
// received ([Message.AppendToBeSigned]); decoded claims are never re-encoded to
// check a signature.
//
// Issuers encode with core deterministic encoding (RFC 8949 section
// 4.2.1), so minting the same claims with the same key yields the same
// bytes.
//
// # Claims
//
// [License] holds the claims of a license: iss (1), sub (2), aud (3, text
// or array), exp (4, absent: perpetual), nbf (5), iat (6), cti (7, 16
// bytes), and the text-keyed "tier", "scopes", "versions" (a
// hashicorp/go-version constraint), "limits", "rights", "bind", "grace"
// (seconds), "meta", "crit" and "fallback" (true or false: perpetual
// fallback, valid after expiry for builds released before it). [Grant] and [Revocations] hold the claims
// of the other two objects; a grant with "site" ([Site]) is a site grant,
// whose licenses are leases of a site's floating seats. Unknown claims are ignored, unless "crit" names
// them: then the license is malformed.
//
// A revocation list names revoked ids in "cti" (grants, and licenses not
// minted under a grant), key ids in "kid", and licenses minted under a
// grant in "gcti": pairs [grant id, [+ license id]], sorted by grant id,
// each grant once, each pair's ids sorted without duplicates
// ([GrantIDs]). License ids are unique per grant only, so a license
// minted under a grant is named with its grant, never by its id alone.
//
// Scopes are non-empty strings without white space; a granted "area:*"
// covers every scope starting with "area:", and "*" covers all ([License.Allows]).
//
// # Forms
//
// An object travels in one of three forms ([Form]): raw COSE bytes, compact
// text "licet1." + unpadded base64url (the prefix may be branded: 1 to 32
// characters of [a-z0-9-]), or PEM ("LICET LICENSE", "LICET GRANT",
// "LICET REVOCATIONS"). [Unarmor] detects the form; surrounding white space
// is ignored; line breaks inside compact text are not.
//
// # Strict decoding
//
// One decoder configuration is used for everything: input over
// [MaxTokenSize] is refused before decoding; duplicate map keys, indefinite
// lengths, tags (other than the envelope's 18 and an embedded grant's 18),
// nesting deeper than [MaxNesting], arrays over [MaxArrayItems] items, maps
// over [MaxMapPairs] pairs, invalid UTF-8, null and undefined, and trailing
// bytes are all malformed. So are timestamps outside the years 0001 to
// 9999, durations over 292 years, a "versions" claim go-version cannot
// parse, and a required claim that is missing or of the wrong type. Every
// such error wraps [ErrMalformed].
//
// In the protected header, a missing or non-integer alg is left for the
// verifier to report as unsupported_alg, a missing or non-text typ as
// wrong_type; a kid that is not an 8-byte byte string is malformed.
//
// The normative description of the format, written for implementers in
// other languages, is docs/FORMAT.md in the licet repository.
package token

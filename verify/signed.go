package verify

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/licet/licet/token"
)

// This file holds the checks of objects other than a product's licenses:
// a record against the key of the log that holds it ([KeySet.Signed]), a
// license under a grant outside a product ([LicenseUnderGrant]), the
// previous revocation list a new one extends ([ExtendRevocations]). A grant
// or a revocation list checked on its own, now, is [Verifier.VerifyGrant]
// and [Verifier.VerifyRevocations].

// Signed checks steps 2, 4 and 5 of [Verifier.Verify] alone (algorithm, a
// key of s, signature; nothing about time or claims): a record against the
// key of the log that holds it. Errors are *[Error] values.
func (s *KeySet) Signed(m *token.Message) (*Key, error) {
	k, err := s.signed(m, "object")
	if err != nil {
		return nil, err
	}
	return k, nil
}

// signed is Signed, with messages that name what m is.
func (s *KeySet) signed(m *token.Message, what string) (*Key, *Error) {
	if err := checkAlg(m.Header.Alg); err != nil {
		return nil, err
	}
	key, ok := s.Lookup(m.Header.KID)
	if !ok {
		kid := hex.EncodeToString(m.Header.KID)
		return nil, fail(CodeUnknownKey, kid, "%s signed by unknown key %s", what, kid)
	}
	if !verifySignature(key.ed, m) {
		return nil, fail(CodeBadSignature, hex.EncodeToString(m.Header.KID), "%s signature does not verify", what)
	}
	return key, nil
}

// LicenseUnderGrant checks, outside any product (report ingest, audit),
// that m is a license signed by the partner key of the one grant it
// carries, and returns both claims. The caller trusts the grant by other
// means (its ledger's bytes); [Violations] lists the limits m breaks.
// Errors are *[Error] values.
func LicenseUnderGrant(m *token.Message) (*token.License, *token.Grant, error) {
	if m.Header.Typ != token.TypeLicense {
		return nil, nil, fail(CodeWrongType, m.Header.Typ, "object type is %q, want a license (%s)", m.Header.Typ, token.TypeLicense)
	}
	if err := checkAlg(m.Header.Alg); err != nil {
		return nil, nil, err
	}
	gm := m.Header.Grant
	switch {
	case gm == nil:
		return nil, nil, fail(CodeGrantInvalid, "", "the license carries no grant")
	case gm.Header.NestedGrant:
		return nil, nil, fail(CodeGrantInvalid, "", "the embedded grant carries a grant itself; only one level is allowed")
	case gm.Header.Typ != token.TypeGrant:
		return nil, nil, fail(CodeGrantInvalid, gm.Header.Typ, "the embedded object has type %q, not a grant", gm.Header.Typ)
	}
	g, err := token.DecodeGrant(gm.Payload)
	if err != nil {
		return nil, nil, failErr(CodeGrantInvalid, err, "grant claims")
	}
	if !bytes.Equal(m.Header.KID, token.KeyID(g.Key)) {
		kid := hex.EncodeToString(m.Header.KID)
		return nil, nil, fail(CodeGrantViolation, kid, "license signed by key %s, not the partner key %x named by the grant", kid, token.KeyID(g.Key))
	}
	if !verifySignature(new(edKey).init(g.Key), m) {
		return nil, nil, fail(CodeBadSignature, hex.EncodeToString(m.Header.KID), "signature does not verify under the grant's partner key")
	}
	l, err := token.DecodeLicense(m.Payload)
	if err != nil {
		return nil, nil, failErr(CodeMalformed, err, "license claims")
	}
	return l, g, nil
}

// ExtendRevocations checks that prev (any form) is a revocation list of
// r's issuer signed by pub and makes r follow it: r gets prev's seq + 1,
// and prev's ids, key ids and gcti pairs besides its own (which
// [token.SignRevocations] then sorts, merges and deduplicates).
func ExtendRevocations(r *token.Revocations, prev []byte, pub ed25519.PublicKey) error {
	m, _, err := token.Decode(prev)
	if err != nil {
		return fmt.Errorf("the previous list: %w", err)
	}
	if m.Header.Typ != token.TypeRevocations {
		return fmt.Errorf("the previous list is of type %q, not a revocation list", m.Header.Typ)
	}
	ks, err := NewKeySet(Key{PublicKey: pub})
	if err != nil {
		return err
	}
	if _, err := ks.Signed(m); err != nil {
		return fmt.Errorf("the previous list is not signed by key %x: it was signed by key %x, or modified; extend a list with the key that signed it",
			token.KeyID(pub), m.Header.KID)
	}
	old, err := token.DecodeRevocations(m.Payload)
	if err != nil {
		return fmt.Errorf("the previous list: %w", err)
	}
	if old.Issuer != r.Issuer {
		return fmt.Errorf("the previous list is of issuer %q, not %q", old.Issuer, r.Issuer)
	}
	r.Seq = old.Seq + 1
	r.IDs = append(slices.Clone(old.IDs), r.IDs...)
	r.KeyIDs = append(slices.Clone(old.KeyIDs), r.KeyIDs...)
	r.Granted = append(slices.Clone(old.Granted), r.Granted...)
	return nil
}

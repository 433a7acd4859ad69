package verify

import (
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/licet/licet/token"
)

// RevocationList is a revocation list whose signature by a trusted key
// verified. Build it with [ParseRevocations] and pass it to
// [WithRevocations].
type RevocationList struct {
	list *token.Revocations
	kid  []byte
	ids  map[[token.IDSize]byte]struct{}
	kids map[[token.KeyIDSize]byte]struct{}
}

// parseRevocation checks one revocation list in any form: signed by a
// trusted, unrevoked key whose issuer (when known) is the list's issuer.
// A retired key (NotAfter in the past) still signs lists, so that a
// vendor can revoke a leaked successor key with the key that products in
// the field trust.
// Errors are *[Error] values with the code of the failed step.
func parseRevocation(in []byte, keys *KeySet) (*RevocationList, error) {
	m, _, err := token.Decode(in)
	if err != nil {
		return nil, failErr(CodeMalformed, err, "revocation list")
	}
	if err := checkAlg(m.Header.Alg); err != nil {
		return nil, err
	}
	if m.Header.Typ != token.TypeRevocations {
		return nil, fail(CodeWrongType, m.Header.Typ, "object type is %q, want a revocation list", m.Header.Typ)
	}
	key, ok := keys.Lookup(m.Header.KID)
	if !ok {
		kid := hex.EncodeToString(m.Header.KID)
		return nil, fail(CodeUnknownKey, kid, "revocation list signed by unknown key %s: it must be signed by a trusted vendor key", kid)
	}
	if !m.VerifySignature(key.PublicKey) {
		return nil, fail(CodeBadSignature, hex.EncodeToString(m.Header.KID), "revocation list signature does not verify")
	}
	r, err := token.DecodeRevocations(m.Payload)
	if err != nil {
		return nil, failErr(CodeMalformed, err, "revocation list claims")
	}
	// A retired key still signs revocation lists: a list only takes
	// trust away, and after a rotation the retired key may be the only one
	// that products in the field trust. A revoked key signs nothing.
	retired := *key
	retired.NotAfter = time.Time{}
	if err := retired.checkUsable(r.IssuedAt, "revocation list"); err != nil {
		return nil, err
	}
	if key.Issuer != "" && r.Issuer != key.Issuer {
		return nil, fail(CodeWrongIssuer, r.Issuer, "revocation list issuer %q is not the key's issuer %q", r.Issuer, key.Issuer)
	}
	rl := &RevocationList{
		list: r, kid: m.Header.KID,
		ids:  make(map[[token.IDSize]byte]struct{}, len(r.IDs)),
		kids: make(map[[token.KeyIDSize]byte]struct{}, len(r.KeyIDs)),
	}
	for _, id := range r.IDs {
		rl.ids[[token.IDSize]byte(id)] = struct{}{}
	}
	for _, kid := range r.KeyIDs {
		rl.kids[[token.KeyIDSize]byte(kid)] = struct{}{}
	}
	return rl, nil
}

// Seq returns the list's sequence number. Callers that remember the
// highest seq they have seen refuse lists with a lower one (rollback).
func (r *RevocationList) Seq() uint64 { return r.list.Seq }

// Issuer returns the list's issuer: the list applies only to that
// issuer's licenses (see [WithRevocations]).
func (r *RevocationList) Issuer() string { return r.list.Issuer }

// IssuedAt returns the list's iat.
func (r *RevocationList) IssuedAt() time.Time { return r.list.IssuedAt }

// Claims returns the decoded list.
func (r *RevocationList) Claims() *token.Revocations { return r.list }

// Stale reports whether the list is past its next update at now.
func (r *RevocationList) Stale(now time.Time) bool { return now.After(r.list.NextUpdate) }

// RevokesID reports whether the list names a license or grant id.
func (r *RevocationList) RevokesID(id []byte) bool {
	if len(id) != token.IDSize {
		return false
	}
	_, ok := r.ids[[token.IDSize]byte(id)]
	return ok
}

// RevokesKey reports whether the list names a key id.
func (r *RevocationList) RevokesKey(kid []byte) bool {
	if len(kid) != token.KeyIDSize {
		return false
	}
	_, ok := r.kids[[token.KeyIDSize]byte(kid)]
	return ok
}

func (r *RevocationList) check(l *License) *Error {
	switch {
	case r.RevokesID(l.Claims.ID):
		return fail(CodeRevoked, hex.EncodeToString(l.Claims.ID), "license %x is revoked", l.Claims.ID)
	case r.RevokesKey(l.KeyID):
		return fail(CodeRevoked, hex.EncodeToString(l.KeyID), "signing key %x is revoked", l.KeyID)
	case l.Grant != nil && r.RevokesID(l.Grant.ID):
		return fail(CodeRevoked, hex.EncodeToString(l.Grant.ID), "grant %x under which the license was issued is revoked", l.Grant.ID)
	case l.Grant != nil && r.RevokesKey(l.GrantKeyID):
		return fail(CodeRevoked, hex.EncodeToString(l.GrantKeyID), "key %x that signed the grant is revoked", l.GrantKeyID)
	}
	return nil
}

// RejectStaleRevocations makes a stale revocation list fail verification
// of its issuer's licenses (code revoked, with a message that says the list
// is stale: nothing can be confirmed) instead of adding a warning.
func RejectStaleRevocations() Option {
	return func(v *Verifier) error { v.staleOK = false; return nil }
}

// ParseRevocations checks the revocation lists of a file that holds one
// or more (see [token.Split]: PEM blocks or text tokens one after another,
// or one raw list): each signed by a trusted, unrevoked key whose issuer
// (when known) is the list's issuer (a retired key still signs lists, so
// that a vendor can revoke a leaked successor key with the key that
// products in the field trust), and no two of one issuer. The result goes
// to [WithRevocations].
func ParseRevocations(in []byte, keys *KeySet) ([]*RevocationList, error) {
	objs, err := token.Split(in)
	if err != nil {
		return nil, failErr(CodeMalformed, err, "revocation lists")
	}
	lists := make([]*RevocationList, 0, len(objs))
	seen := make(map[string]bool, len(objs))
	for i, obj := range objs {
		list, err := parseRevocation(obj, keys)
		if err != nil {
			if len(objs) > 1 {
				var ve *Error
				if errors.As(err, &ve) {
					c := *ve
					c.Message = fmt.Sprintf("list %d of %d: %s", i+1, len(objs), ve.Message)
					return nil, &c
				}
			}
			return nil, err
		}
		iss := list.Issuer()
		if seen[iss] {
			return nil, fail(CodeMalformed, iss, "two revocation lists of issuer %q: keep only the newest (highest seq)", iss)
		}
		seen[iss] = true
		lists = append(lists, list)
	}
	return lists, nil
}

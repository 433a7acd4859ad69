package verify

import (
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/licet/licet/token"
)

// RevocationList is a revocation list whose signature by a trusted key
// verified. Build it with [ParseRevocations] and pass it to
// [WithRevocations].
type RevocationList struct {
	list    *token.Revocations
	kid     []byte
	ids     map[[token.IDSize]byte]struct{}
	kids    map[[token.KeyIDSize]byte]struct{}
	granted map[[2 * token.IDSize]byte]struct{} // grant id, then license id
	// kept holds the entries [RevocationList.Including] added, nil for
	// a list as signed.
	kept *token.Revocations
}

// newRevocationList indexes the entries of r.
func newRevocationList(r *token.Revocations, kid []byte) *RevocationList {
	rl := &RevocationList{
		list: r, kid: kid,
		ids:     make(map[[token.IDSize]byte]struct{}, len(r.IDs)),
		kids:    make(map[[token.KeyIDSize]byte]struct{}, len(r.KeyIDs)),
		granted: make(map[[2 * token.IDSize]byte]struct{}),
	}
	rl.add(r)
	return rl
}

// add indexes the entries of r (decoded strictly, or checked by
// Including: every id of the right size).
func (rl *RevocationList) add(r *token.Revocations) {
	for _, id := range r.IDs {
		rl.ids[[token.IDSize]byte(id)] = struct{}{}
	}
	for _, kid := range r.KeyIDs {
		rl.kids[[token.KeyIDSize]byte(kid)] = struct{}{}
	}
	for _, g := range r.Granted {
		for _, id := range g.IDs {
			rl.granted[grantedKey(g.Grant, id)] = struct{}{}
		}
	}
}

func grantedKey(grant, id []byte) (k [2 * token.IDSize]byte) {
	copy(k[:token.IDSize], grant)
	copy(k[token.IDSize:], id)
	return k
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
	if m.Header.Typ != token.TypeRevocations {
		if err := checkAlg(m.Header.Alg); err != nil {
			return nil, err
		}
		return nil, fail(CodeWrongType, m.Header.Typ, "object type is %q, want a revocation list", m.Header.Typ)
	}
	key, verr := keys.signed(m, "revocation list")
	if verr != nil {
		if verr.Code == CodeUnknownKey {
			verr.Message += ": it must be signed by a trusted vendor key"
		}
		return nil, verr
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
	return newRevocationList(r, m.Header.KID), nil
}

// KeyID returns the id of the trusted key that signed the list.
func (r *RevocationList) KeyID() []byte { return r.kid }

// Claims returns the decoded list as signed (without Including's entries):
// its issuer, whose licenses it applies to, its seq, which orders the
// issuer's lists, its iat and next update.
func (r *RevocationList) Claims() *token.Revocations { return r.list }

// Stale reports whether the list is past its next update at now.
func (r *RevocationList) Stale(now time.Time) bool { return now.After(r.list.NextUpdate) }

// revokesID reports whether the list names a grant id, or the id of a
// license not minted under a grant ("cti").
func (r *RevocationList) revokesID(id []byte) bool {
	if len(id) != token.IDSize {
		return false
	}
	_, ok := r.ids[[token.IDSize]byte(id)]
	return ok
}

// revokesKey reports whether the list names a key id.
func (r *RevocationList) revokesKey(kid []byte) bool {
	if len(kid) != token.KeyIDSize {
		return false
	}
	_, ok := r.kids[[token.KeyIDSize]byte(kid)]
	return ok
}

// revokesGranted reports whether the list names the license id under the
// grant whose id is grant (a "gcti" pair): ids are unique per grant, so a
// license minted under a grant is revoked by such a pair, never by its id
// alone.
func (r *RevocationList) revokesGranted(grant, id []byte) bool {
	if len(grant) != token.IDSize || len(id) != token.IDSize {
		return false
	}
	_, ok := r.granted[grantedKey(grant, id)]
	return ok
}

// Including returns a list that revokes what r revokes and every entry of
// earlier (IDs, KeyIDs, Granted; nil adds nothing), with r's other fields:
// revocation is monotonic (FORMAT section 6), a later list never un-revokes.
// Entries of the wrong size are an error.
func (r *RevocationList) Including(earlier *token.Revocations) (*RevocationList, error) {
	if earlier == nil {
		return r, nil
	}
	if err := checkEntries(earlier); err != nil {
		return nil, err
	}
	out := newRevocationList(r.list, r.kid)
	kept := &token.Revocations{}
	if r.kept != nil {
		out.add(r.kept)
		*kept = *r.kept
	}
	kept.IDs = append(slices.Clip(kept.IDs), earlier.IDs...)
	kept.KeyIDs = append(slices.Clip(kept.KeyIDs), earlier.KeyIDs...)
	kept.Granted = append(slices.Clip(kept.Granted), earlier.Granted...)
	out.add(earlier)
	out.kept = kept
	return out, nil
}

// Dropped returns the entries of earlier that r (with what Including
// added) does not name, nil when none: what taking r alone would un-revoke.
func (r *RevocationList) Dropped(earlier *token.Revocations) *token.Revocations {
	var d token.Revocations
	for _, id := range earlier.IDs {
		if !r.revokesID(id) {
			d.IDs = append(d.IDs, id)
		}
	}
	for _, kid := range earlier.KeyIDs {
		if !r.revokesKey(kid) {
			d.KeyIDs = append(d.KeyIDs, kid)
		}
	}
	for _, g := range earlier.Granted {
		var ids [][]byte
		for _, id := range g.IDs {
			if !r.revokesGranted(g.Grant, id) {
				ids = append(ids, id)
			}
		}
		if ids != nil {
			d.Granted = append(d.Granted, token.GrantIDs{Grant: g.Grant, IDs: ids})
		}
	}
	if d.IDs == nil && d.KeyIDs == nil && d.Granted == nil {
		return nil
	}
	return &d
}

// checkEntries checks the sizes of the entries of r.
func checkEntries(r *token.Revocations) error {
	for _, id := range r.IDs {
		if len(id) != token.IDSize {
			return fmt.Errorf("verify: revoked id of %d bytes, want %d", len(id), token.IDSize)
		}
	}
	for _, kid := range r.KeyIDs {
		if len(kid) != token.KeyIDSize {
			return fmt.Errorf("verify: revoked key id of %d bytes, want %d", len(kid), token.KeyIDSize)
		}
	}
	for _, g := range r.Granted {
		if len(g.Grant) != token.IDSize {
			return fmt.Errorf("verify: grant id of %d bytes, want %d", len(g.Grant), token.IDSize)
		}
		for _, id := range g.IDs {
			if len(id) != token.IDSize {
				return fmt.Errorf("verify: revoked id of %d bytes under grant %x, want %d", len(id), g.Grant, token.IDSize)
			}
		}
	}
	return nil
}

// check applies the list to a license of its issuer (or minted under a
// grant of its issuer): a plain "cti" entry names a grant, or a license
// signed directly by a trusted key; a "gcti" pair names a license minted
// under a grant.
func (r *RevocationList) check(l *License) *Error {
	switch {
	case l.Grant == nil && r.revokesID(l.Claims.ID):
		return fail(CodeRevoked, hex.EncodeToString(l.Claims.ID), "license %x is revoked", l.Claims.ID)
	case l.Grant != nil && r.revokesGranted(l.Grant.ID, l.Claims.ID):
		return fail(CodeRevoked, hex.EncodeToString(l.Claims.ID), "license %x minted under grant %x is revoked", l.Claims.ID, l.Grant.ID)
	case r.revokesKey(l.KeyID):
		return fail(CodeRevoked, hex.EncodeToString(l.KeyID), "signing key %x is revoked", l.KeyID)
	case l.Grant != nil && r.revokesID(l.Grant.ID):
		return fail(CodeRevoked, hex.EncodeToString(l.Grant.ID), "grant %x under which the license was issued is revoked", l.Grant.ID)
	case l.Grant != nil && r.revokesKey(l.GrantKeyID):
		return fail(CodeRevoked, hex.EncodeToString(l.GrantKeyID), "key %x that signed the grant is revoked", l.GrantKeyID)
	}
	return nil
}

// unboundKeys maps the id of a revoked key trusted without an issuer to
// the issuer of a list that names it.
type unboundKeys map[[token.KeyIDSize]byte]string

// unboundRevoked returns the kid entries of every list that name a key
// trusted without an issuer, each with the issuer of one list naming it
// (the first in issuer order). Such a key signs under any iss it likes, so
// scoping its revocation to one issuer's licenses would let it escape by
// claiming another: a kid entry for it revokes everything it signed,
// whatever list names it (FORMAT section 6). Nil when there is none.
func unboundRevoked(keys *KeySet, revs map[string]*RevocationList) unboundKeys {
	var out unboundKeys
	for _, iss := range slices.Sorted(maps.Keys(revs)) {
		for kid := range revs[iss].kids {
			k, ok := keys.Lookup(kid[:])
			if !ok || k.Issuer != "" {
				continue
			}
			if out == nil {
				out = make(unboundKeys)
			}
			if _, seen := out[kid]; !seen {
				out[kid] = iss
			}
		}
	}
	return out
}

// checkUnbound is step 14 for keys trusted without an issuer: the kid
// entries of every list apply to them, whatever the license's (or its
// grant's) iss.
func (v *Verifier) checkUnbound(out *License) *Error {
	if v.unbound == nil {
		return nil
	}
	if iss, ok := v.unbound[out.kid]; ok {
		return fail(CodeRevoked, hex.EncodeToString(out.KeyID), "signing key %x is revoked (by the revocation list of %q: the key is trusted without an issuer, so the entry holds whatever issuer the license names)", out.KeyID, iss)
	}
	if out.Grant != nil && len(out.GrantKeyID) == token.KeyIDSize {
		if iss, ok := v.unbound[[token.KeyIDSize]byte(out.GrantKeyID)]; ok {
			return fail(CodeRevoked, hex.EncodeToString(out.GrantKeyID), "key %x that signed the grant is revoked (by the revocation list of %q: the key is trusted without an issuer, so the entry holds whatever issuer the grant names)", out.GrantKeyID, iss)
		}
	}
	return nil
}

// RejectStaleRevocations makes a stale revocation list fail what it covers
// (revoked, saying the list is stale) instead of adding a warning.
func RejectStaleRevocations() Option {
	return func(v *Verifier) error { v.staleOK = false; return nil }
}

// ParseRevocations checks the revocation lists of a file ([token.Split]):
// each signed by a trusted, unrevoked key (a retired one still signs lists,
// so that a leaked successor can be revoked) of the list's issuer, at most
// one per issuer. The result goes to [WithRevocations].
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
		iss := list.Claims().Issuer
		if seen[iss] {
			return nil, fail(CodeMalformed, iss, "two revocation lists of issuer %q: keep only the newest (highest seq)", iss)
		}
		seen[iss] = true
		lists = append(lists, list)
	}
	return lists, nil
}

// VerifyRevocations checks one revocation list as [ParseRevocations] does,
// and that it is not issued after now (not_yet_valid) nor, with
// [RejectStaleRevocations], stale (expired).
func (v *Verifier) VerifyRevocations(in []byte) (*RevocationList, error) {
	now := v.clock()
	list, err := parseRevocation(in, v.keys)
	if err != nil {
		return nil, err
	}
	r := list.list
	switch {
	case r.IssuedAt.After(now.Add(v.leeway)):
		return nil, fail(CodeNotYetValid, r.IssuedAt.UTC().Format(time.RFC3339), "revocation list issued at %s, after the current time (%s): check the clock",
			r.IssuedAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case !v.staleOK && list.Stale(now):
		return nil, fail(CodeExpired, r.NextUpdate.UTC().Format(time.RFC3339), "revocation list is stale since %s, its next update (strict revocations)", r.NextUpdate.UTC().Format(time.RFC3339))
	}
	return list, nil
}

package token

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"maps"
	"slices"
)

// Extend makes r the list that follows prev, a signed revocation list in
// any form: prev must be a revocation list signed by pub (the key that
// signs r) for r's issuer. r gets prev's seq + 1, and prev's ids, key
// ids and grant-scoped pairs (gcti) besides its own; [SignRevocations]
// sorts, merges and deduplicates them.
func (r *Revocations) Extend(prev []byte, pub ed25519.PublicKey) error {
	m, _, err := Decode(prev)
	if err != nil {
		return fmt.Errorf("the previous list: %w", err)
	}
	if m.Header.Typ != TypeRevocations {
		return fmt.Errorf("the previous list is of type %q, not a revocation list", m.Header.Typ)
	}
	if !m.VerifySignature(pub) {
		return fmt.Errorf("the previous list is not signed by key %x: it was signed by key %x, or modified; extend a list with the key that signed it",
			KeyID(pub), m.Header.KID)
	}
	old, err := DecodeRevocations(m.Payload)
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

// sortedSet returns list sorted, without duplicates; nil when empty.
func sortedSet(list [][]byte) [][]byte {
	if len(list) == 0 {
		return nil
	}
	out := slices.Clone(list)
	slices.SortFunc(out, bytes.Compare)
	return slices.CompactFunc(out, bytes.Equal)
}

// normGranted merges the pairs of one grant, sorts the pairs by grant id
// and each pair's ids, drops duplicate ids and pairs left without an id;
// nil when nothing is left. It does not modify list.
func normGranted(list []GrantIDs) []GrantIDs {
	if len(list) == 0 {
		return nil
	}
	byGrant := make(map[string][][]byte, len(list))
	for _, g := range list {
		k := string(g.Grant)
		byGrant[k] = append(byGrant[k], g.IDs...)
	}
	var out []GrantIDs
	for _, k := range slices.Sorted(maps.Keys(byGrant)) {
		if ids := sortedSet(byGrant[k]); ids != nil {
			out = append(out, GrantIDs{Grant: []byte(k), IDs: ids})
		}
	}
	return out
}

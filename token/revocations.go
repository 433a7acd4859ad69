package token

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
)

// Extend makes r the list that follows prev, the decoded previous list
// of r's issuer: r gets prev's seq + 1, and prev's ids, key ids and
// grant-scoped pairs (gcti) besides its own; [SignRevocations] sorts,
// merges and deduplicates them. Extend trusts prev: check its signature
// first (verify.ExtendRevocations does both).
func (r *Revocations) Extend(prev *Revocations) error {
	if prev.Issuer != r.Issuer {
		return fmt.Errorf("the previous list is of issuer %q, not %q", prev.Issuer, r.Issuer)
	}
	r.Seq = prev.Seq + 1
	r.IDs = append(slices.Clone(prev.IDs), r.IDs...)
	r.KeyIDs = append(slices.Clone(prev.KeyIDs), r.KeyIDs...)
	r.Granted = append(slices.Clone(prev.Granted), r.Granted...)
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

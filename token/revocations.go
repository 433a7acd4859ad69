package token

import (
	"bytes"
	"maps"
	"slices"
)

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

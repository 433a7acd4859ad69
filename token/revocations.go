package token

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"slices"
)

// Extend makes r the list that follows prev, a signed revocation list in
// any form: prev must be a revocation list signed by pub (the key that
// signs r) for r's issuer. r gets prev's seq + 1, and prev's ids and key
// ids besides its own; [SignRevocations] sorts and deduplicates them.
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

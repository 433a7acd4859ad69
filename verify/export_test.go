package verify

import "crypto/ed25519"

// Ed25519Verify is the verification of a key prepared like the trusted
// keys of [NewKeySet], exported for the equivalence tests against
// crypto/ed25519: its answers without the table of multiples (a key's
// first verification) and with it (every later one).
func Ed25519Verify(pub ed25519.PublicKey, msg, sig []byte) (plain, table bool) {
	var k edKey
	k.init(pub)
	return k.verifyWith(msg, sig, false), k.verifyWith(msg, sig, true)
}

// Ed25519KeyUses returns how many verifications the prepared key of the
// trusted key pub has done, and whether its table is built.
func (s *KeySet) Ed25519KeyUses(kid []byte) (int64, bool) {
	k, ok := s.Lookup(kid)
	if !ok {
		return 0, false
	}
	return k.ed.uses.Load(), k.ed.table != nil
}

// ParseRevocation checks one revocation list, for the tests that build
// lists one at a time ([ParseRevocations] reads files of one or more).
func ParseRevocation(in []byte, keys *KeySet) (*RevocationList, error) {
	return parseRevocation(in, keys)
}

// RevokesID, RevokesKey and RevokesGranted report whether the list names
// a cti, a kid or a gcti pair, for the tests of the lists' index.
func (r *RevocationList) RevokesID(id []byte) bool             { return r.revokesID(id) }
func (r *RevocationList) RevokesKey(kid []byte) bool           { return r.revokesKey(kid) }
func (r *RevocationList) RevokesGranted(grant, id []byte) bool { return r.revokesGranted(grant, id) }

// HotAfter is the number of verifications by a key after which its table
// of multiples is built (ed25519.go).
const HotAfter = hotAfter

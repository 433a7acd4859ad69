package verify

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licet/licet/token"
)

// Key is a trusted public key.
type Key struct {
	// PublicKey is the Ed25519 public key.
	PublicKey ed25519.PublicKey
	// Issuer is the issuer id that the key's licenses (and grants) must
	// carry as iss. Empty means unknown: the issuer check is skipped.
	Issuer string
	// NotBefore and NotAfter bound the iat of what the key signed. A zero
	// value leaves that side open. A retired key keeps NotAfter at its
	// retirement: what it issued before still verifies.
	NotBefore, NotAfter time.Time
	// Revoked keys verify nothing.
	Revoked bool

	ed *edKey // PublicKey prepared for verification, set by NewKeySet
}

// KeyID returns the 8-byte key id of k.
func (k *Key) KeyID() []byte { return token.KeyID(k.PublicKey) }

// KeySet is an immutable set of trusted keys, looked up by key id.
type KeySet struct {
	keys map[[token.KeyIDSize]byte]*Key
}

// NewKeySet returns a set of the given keys. It refuses keys of the wrong
// length and two keys with the same key id.
func NewKeySet(keys ...Key) (*KeySet, error) {
	s := &KeySet{keys: make(map[[token.KeyIDSize]byte]*Key, len(keys))}
	for i := range keys {
		k := keys[i]
		if len(k.PublicKey) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("verify: key %d is not a 32-byte Ed25519 public key", i)
		}
		if token.IsSmallOrder(k.PublicKey) {
			return nil, fmt.Errorf("verify: key %d is a point of small order: anyone can sign for it", i)
		}
		k.PublicKey = append(ed25519.PublicKey(nil), k.PublicKey...)
		k.ed = new(edKey).init(k.PublicKey)
		var id [token.KeyIDSize]byte
		copy(id[:], k.KeyID())
		if _, dup := s.keys[id]; dup {
			return nil, fmt.Errorf("verify: duplicate key id %x", id)
		}
		s.keys[id] = &k
	}
	return s, nil
}

// Lookup returns the key with the given key id.
func (s *KeySet) Lookup(kid []byte) (*Key, bool) {
	if s == nil || len(kid) != token.KeyIDSize {
		return nil, false
	}
	k, ok := s.keys[[token.KeyIDSize]byte(kid)]
	return k, ok
}

// Len returns the number of keys.
func (s *KeySet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.keys)
}

// ParsePublicKeyPEM parses an Ed25519 public key from a PEM "PUBLIC KEY"
// block (PKIX, as written by licet keys and by openssl): blank lines and
// "#" comment lines (licet's "# issuer: acme") may precede the one block,
// white space may follow it, nothing else. It is the one parser of public
// key files: package keys reads its files through it.
func ParsePublicKeyPEM(data []byte) (ed25519.PublicKey, error) {
	rest := data
	for len(rest) > 0 {
		line, next, _ := bytes.Cut(rest, []byte("\n"))
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			break
		}
		rest = next
	}
	block, after := pem.Decode(rest)
	switch {
	case block == nil || !bytes.HasPrefix(bytes.TrimSpace(rest), []byte("-----BEGIN ")):
		return nil, errors.New("verify: no PEM block found in public key (only blank and # comment lines may precede it)")
	case len(bytes.TrimSpace(after)) != 0:
		return nil, errors.New("verify: text after the PUBLIC KEY block")
	case block.Type != "PUBLIC KEY":
		return nil, fmt.Errorf("verify: PEM block is %q, want \"PUBLIC KEY\"", block.Type)
	case len(block.Headers) != 0:
		return nil, errors.New("verify: the PUBLIC KEY block has PEM headers, which openssl refuses; put issuer and kid in # comment lines before the block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("verify: parsing the public key: %w", err)
	}
	ed, ok := pub.(ed25519.PublicKey)
	if !ok {
		name := strings.TrimPrefix(fmt.Sprintf("%T", pub), "*")
		name, _, _ = strings.Cut(name, ".")
		return nil, fmt.Errorf("verify: public key is %s, want Ed25519", strings.ToUpper(name))
	}
	return ed, nil
}

// checkUsable is step 7: the key is not revoked, and iat lies in its window.
func (k *Key) checkUsable(iat time.Time, what string) *Error {
	if k.Revoked {
		kid := hex.EncodeToString(k.KeyID())
		return fail(CodeKeyNotValid, kid, "key %s is revoked", kid)
	}
	if !k.NotBefore.IsZero() && iat.Before(k.NotBefore) {
		kid := hex.EncodeToString(k.KeyID())
		return fail(CodeKeyNotValid, kid, "%s issued at %s, before key %s became valid (%s)",
			what, iat.Format(time.RFC3339), kid, k.NotBefore.UTC().Format(time.RFC3339))
	}
	if !k.NotAfter.IsZero() && iat.After(k.NotAfter) {
		kid := hex.EncodeToString(k.KeyID())
		return fail(CodeKeyNotValid, kid, "%s issued at %s, after key %s was retired (%s)",
			what, iat.Format(time.RFC3339), kid, k.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

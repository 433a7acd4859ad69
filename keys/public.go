package keys

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/licet/licet/verify"
	"strings"
)

// ErrNotPublicKey is returned where a public key file belongs and a private
// key file was given.
var ErrNotPublicKey = errors.New("keys: this is a private key file; a public key file (ID.pub) belongs here")

// ErrNotPrivateKey is returned where a private key file belongs and a public
// key file was given.
var ErrNotPrivateKey = errors.New("keys: this is a public key file; a private key file (ID.key) belongs here")

// MarshalPEM returns p as a public key file: the comment lines
// "# licet public key", "# issuer: ISSUER" (left out when p.Issuer is "") and
// "# kid: HEX", then a PKIX "PUBLIC KEY" PEM block, which openssl reads
// (openssl pkey -pubin -in FILE -text). It panics if p.Key is not 32 bytes
// long or p.Issuer is neither "" nor a valid issuer id: such a PublicKey was
// not made by this package.
func (p *PublicKey) MarshalPEM() []byte {
	if len(p.Key) != ed25519.PublicKeySize {
		panic("keys: MarshalPEM of a public key that is not 32 bytes long")
	}
	if p.Issuer != "" && !ValidIssuer(p.Issuer) {
		panic("keys: MarshalPEM of a public key with an invalid issuer id")
	}
	der, err := x509.MarshalPKIXPublicKey(p.Key)
	if err != nil {
		panic("keys: " + err.Error()) // cannot happen for a 32-byte Ed25519 key
	}
	var b strings.Builder
	b.WriteString("# licet public key\n")
	if p.Issuer != "" {
		b.WriteString("# issuer: " + p.Issuer + "\n")
	}
	fmt.Fprintf(&b, "# kid: %x\n", p.KeyID())
	b.Write(pem.EncodeToMemory(&pem.Block{Type: blockPublic, Bytes: der}))
	return []byte(b.String())
}

// ParsePublicKey parses a public key file: one written by MarshalPEM, or
// any PKIX Ed25519 "PUBLIC KEY" PEM file (openssl pkey -pubout), then names
// no issuer unless a "# issuer: ID" comment line precedes the block. The key
// must pass CheckPublicKey. A private key file gives ErrNotPublicKey.
func ParsePublicKey(data []byte) (*PublicKey, error) {
	a, err := parseArmor(data)
	if err != nil {
		return nil, err
	}
	if a.typ != blockPublic {
		if strings.Contains(a.typ, "PRIVATE KEY") {
			return nil, ErrNotPublicKey
		}
		return nil, fmt.Errorf("keys: the PEM block is %q, not a public key (%q)", a.typ, blockPublic)
	}
	return parsePublic(a, data)
}

func parsePublic(a *armor, data []byte) (*PublicKey, error) {
	ed, err := verify.ParsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("keys: %s", strings.TrimPrefix(err.Error(), "verify: "))
	}
	if err := CheckPublicKey(ed); err != nil {
		return nil, err
	}
	issuer, ok, err := a.comment("issuer")
	if err != nil {
		return nil, err
	}
	if ok && !ValidIssuer(issuer) {
		return nil, fmt.Errorf("keys: the issuer comment %q is not a valid issuer id (1 to 64 characters of A-Z a-z 0-9 . _ : @ -)", issuer)
	}
	p := &PublicKey{Issuer: issuer, Key: ed}
	if err := a.checkComments(p); err != nil {
		return nil, err
	}
	return p, nil
}

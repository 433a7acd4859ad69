package report

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/licet/licet/internal/reportfile"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// problems collects the problems of a report's entries, the first code
// winning.
type problems struct{ reportfile.Problems[Code] }

// err returns the refusal, what followed by the problems, or nil.
func (p *problems) err(what string) error {
	code, msg, ok := p.Message(what)
	if !ok {
		return nil
	}
	return &Error{Code: code, Message: msg}
}

// signedLicense is an entry of a report, checked as far as the log's key
// goes: a license, signed by that key, carrying a grant.
type signedLicense struct {
	lic      *token.License
	grantRaw []byte
	grant    *token.Grant
}

// describe names an entry in messages.
func (s *signedLicense) describe(index int64) string {
	return fmt.Sprintf("entry %d (license %x for %q)", index, s.lic.ID, s.lic.Subject)
}

// logKey is the key of a partner's log: the grant's key, the one key that
// signs its entries.
type logKey struct {
	pub ed25519.PublicKey
	set *verify.KeySet // pub alone, prepared for many signatures
}

// newLogKey returns pub as the key of a log.
func newLogKey(pub ed25519.PublicKey) (*logKey, error) {
	set, err := verify.NewKeySet(verify.Key{PublicKey: pub})
	if err != nil {
		return nil, refuse(CodeOutsideGrant, "the grant's key %x cannot sign: %s", token.KeyID(pub), strings.TrimPrefix(err.Error(), "verify: "))
	}
	return &logKey{pub: pub, set: set}, nil
}

// checkSigned checks that raw is a license signed by the log's key that
// carries a grant naming that key, and decodes it; it reports to p and
// returns nil otherwise.
func checkSigned(raw []byte, index int64, key *logKey, p *problems) *signedLicense {
	pub := key.pub
	m, err := token.ParseMessage(raw)
	if err != nil {
		p.Add(CodeTampered, "entry %d is not a signed licet object (%s): the report was altered", index, strings.TrimPrefix(err.Error(), "token: "))
		return nil
	}
	if m.Header.Typ != token.TypeLicense {
		p.Add(CodeOutsideGrant, "entry %d is a %s, not a license: a reported log holds only licenses under the grant", index, kindOf(m.Header.Typ))
		return nil
	}
	if kid := token.KeyID(pub); !bytes.Equal(m.Header.KID, kid) {
		p.Add(CodeOutsideGrant, "entry %d is signed by key %x, not by the grant's key %x", index, m.Header.KID, kid)
		return nil
	}
	if _, err := key.set.Signed(m); err != nil {
		p.Add(CodeTampered, "entry %d: its signature does not verify under the grant's key: the entry was altered", index)
		return nil
	}
	lic, err := token.DecodeLicense(m.Payload)
	if err != nil {
		p.Add(CodeOutsideGrant, "entry %d is signed but not a valid license: %s", index, strings.TrimPrefix(err.Error(), "token: "))
		return nil
	}
	s := &signedLicense{lic: lic}
	if m.Header.Grant == nil {
		p.Add(CodeOutsideGrant, "%s carries no grant: the key signed it as an issuer of its own, not under the grant", s.describe(index))
		return nil
	}
	if m.Header.NestedGrant {
		p.Add(CodeOutsideGrant, "%s carries a grant that carries a grant itself", s.describe(index))
		return nil
	}
	s.grantRaw = m.Header.Grant.Raw
	if s.grant, err = token.DecodeGrant(m.Header.Grant.Payload); err != nil {
		p.Add(CodeOutsideGrant, "%s carries an invalid grant: %s", s.describe(index), strings.TrimPrefix(err.Error(), "token: "))
		return nil
	}
	if !s.grant.Key.Equal(pub) {
		p.Add(CodeOutsideGrant, "%s is under grant %x, which names another key (%x)", s.describe(index), s.grant.ID, token.KeyID(s.grant.Key))
		return nil
	}
	return s
}

// checkWithin reports the constraints of its grant that an entry breaks.
func (s *signedLicense) checkWithin(index int64, p *problems) {
	if v := verify.Violations(s.grant, s.lic); len(v) > 0 {
		p.Add(CodeOutsideGrant, "%s is outside grant %x: %s", s.describe(index), s.grant.ID, strings.Join(v, "; "))
	}
}

func kindOf(typ string) string {
	switch typ {
	case token.TypeLicense:
		return "license"
	case token.TypeGrant:
		return "grant"
	case token.TypeRevocations:
		return "revocation list"
	}
	return fmt.Sprintf("object of type %q", typ)
}

func hexID(b []byte) string { return hex.EncodeToString(b) }

package ledger

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/token"
)

// Kind is the type of a signed object in the ledger.
type Kind string

// The kinds of entries.
const (
	KindLicense     Kind = "license"
	KindGrant       Kind = "grant"
	KindRevocations Kind = "revocations"
)

// Entry is one signed object in the ledger: its position in its key's log,
// the fields derived from its raw bytes, and what the issuer recorded with
// it. Ids are lowercase hex.
type Entry struct {
	KID   string // the signing key's id (16 hex digits): the log
	Index int64  // the position in that log, from 0
	ID    string // cti (32 hex digits); for revocation lists, a hash of Raw
	Kind  Kind

	Issuer   string
	Subject  string   // a license's licensee, a grant's partner; "" for revocations
	Audience []string // products
	// Tier is a license's tier; for a grant, its tiers joined by ",".
	Tier     string
	IssuedAt time.Time
	// Expiry is exp: zero for a perpetual license; a revocation list's
	// next update.
	Expiry time.Time
	// GrantID is the id of the grant a license was issued under; "" for
	// none.
	GrantID string
	// Partner is the partner id: a grant's subject, or the issuer of a
	// license issued under a grant.
	Partner string

	OrderRef    string // the order the token was sold under; "" for none
	RenewedFrom string // the id of the license this one renews; "" for none
	Written     bool   // the token was handed out (its file written)
	File        string // where it was written; "" for stdout
	Recorded    time.Time
	Raw         []byte // the exact COSE_Sign1 bytes

	// State is set by [Ledger.States] (and by [Ledger.List] with
	// [Filter.States]) for licenses and grants; nil otherwise.
	State *State
}

// Record is what an issuer appends: a signed object and what only the
// issuer knows about it.
type Record struct {
	Raw         []byte // the COSE_Sign1 bytes, not armored
	OrderRef    string
	RenewedFrom string // hex id
	File        string
	Written     bool
	// PublicKey, when set, is the signing key: it is stored with the log
	// so that [Ledger.Verify] also checks every signature. It must match
	// the kid of Raw.
	PublicKey ed25519.PublicKey
	// Events are stored in the append's transaction (see package
	// ledger/outbox).
	Events []outbox.Event
	// Audit, when set, says who made the change: stored in the append's
	// transaction too (see [Audit]).
	Audit *Audit
}

// Describe derives the indexed fields of an entry from the raw bytes of a
// signed object, without verifying its signature.
func Describe(raw []byte) (*Entry, error) {
	if len(raw) > 0 && raw[0]>>5 != 6 { // not a CBOR tag: an armored form
		return nil, errors.New("ledger: the object is armored (text or PEM form): record the raw COSE_Sign1 bytes")
	}
	m, err := token.ParseMessage(raw)
	if err != nil {
		return nil, fmt.Errorf("ledger: not a signed licet object: %s", strings.TrimPrefix(err.Error(), "token: "))
	}
	e := &Entry{KID: hex.EncodeToString(m.Header.KID), Raw: raw}
	switch m.Header.Typ {
	case token.TypeLicense:
		l, err := token.DecodeLicense(m.Payload)
		if err != nil {
			return nil, fmt.Errorf("ledger: not a valid license: %s", strings.TrimPrefix(err.Error(), "token: "))
		}
		e.Kind, e.ID, e.Issuer, e.Subject = KindLicense, hex.EncodeToString(l.ID), l.Issuer, l.Subject
		e.Audience, e.Tier, e.IssuedAt, e.Expiry = l.Audience, l.Tier, l.IssuedAt, l.Expiry
		if m.Header.Grant != nil {
			g, err := token.DecodeGrant(m.Header.Grant.Payload)
			if err != nil {
				return nil, fmt.Errorf("ledger: the license carries an invalid grant: %s", strings.TrimPrefix(err.Error(), "token: "))
			}
			e.GrantID, e.Partner = hex.EncodeToString(g.ID), l.Issuer
		}
	case token.TypeGrant:
		g, err := token.DecodeGrant(m.Payload)
		if err != nil {
			return nil, fmt.Errorf("ledger: not a valid grant: %s", strings.TrimPrefix(err.Error(), "token: "))
		}
		e.Kind, e.ID, e.Issuer, e.Subject = KindGrant, hex.EncodeToString(g.ID), g.Issuer, g.Subject
		e.Audience, e.Tier, e.IssuedAt, e.Expiry = g.Audience, strings.Join(g.Tiers, ","), g.IssuedAt, g.Expiry
		e.Partner = g.Subject
	case token.TypeRevocations:
		r, err := token.DecodeRevocations(m.Payload)
		if err != nil {
			return nil, fmt.Errorf("ledger: not a valid revocation list: %s", strings.TrimPrefix(err.Error(), "token: "))
		}
		sum := sha256.Sum256(raw)
		e.Kind, e.ID, e.Issuer = KindRevocations, hex.EncodeToString(sum[:token.IDSize]), r.Issuer
		e.IssuedAt, e.Expiry = r.IssuedAt, r.NextUpdate
	default:
		return nil, fmt.Errorf("ledger: not a signed licet object: unknown type %q", m.Header.Typ)
	}
	return e, nil
}

// Terms are the terms a license or grant entry carries, decoded from its
// raw bytes: for a license what it grants, for a grant the ceilings of
// the licenses under it.
type Terms struct {
	Scopes []string
	Limits map[string]uint64
	Rights []string
	Meta   map[string]string // licenses only
	Bind   map[string]string // a license's machine binding; nil for none
}

// Terms decodes the terms of a license or grant entry; a revocation list
// has none (nil, nil).
func (e *Entry) Terms() (*Terms, error) {
	m, err := token.ParseMessage(e.Raw)
	if err != nil {
		return nil, fmt.Errorf("ledger: entry %s: %s", e.ID, strings.TrimPrefix(err.Error(), "token: "))
	}
	switch e.Kind {
	case KindLicense:
		l, err := token.DecodeLicense(m.Payload)
		if err != nil {
			return nil, fmt.Errorf("ledger: entry %s: %s", e.ID, strings.TrimPrefix(err.Error(), "token: "))
		}
		return &Terms{Scopes: l.Scopes, Limits: l.Limits, Rights: l.Rights, Meta: l.Meta, Bind: l.Bind}, nil
	case KindGrant:
		g, err := token.DecodeGrant(m.Payload)
		if err != nil {
			return nil, fmt.Errorf("ledger: entry %s: %s", e.ID, strings.TrimPrefix(err.Error(), "token: "))
		}
		return &Terms{Scopes: g.Scopes, Limits: g.Limits, Rights: g.Rights}, nil
	}
	return nil, nil
}

// State is what the ledger knows of the life of a license or grant (see
// [Ledger.States]): recorded (issued), handed out (written), bound to a
// machine, renewed, revoked, expired.
type State struct {
	Written     bool
	Bound       bool     // a license that carries a machine binding
	RenewedFrom string   // the license this one renews; "" for none
	RenewedBy   []string // the licenses that renew this one, in recording order
	// Revoked is the revocation that the newest recorded list of the
	// token's issuer (for a license under a grant, also of the grant's
	// issuer) holds for it; nil for none.
	Revoked *Revocation
	Expired bool // past its expiry at the time asked (grace not counted)
}

// Revocation names the list that revokes a token and the entry of it that
// does.
type Revocation struct {
	List   string // the list's ledger id
	Issuer string // the list's issuer
	Seq    uint64
	// By is the list entry that applies: "id" (the token's id, cti),
	// "grant id" (the license's id under its grant, gcti), "grant" (the
	// grant the license was minted under) or "key" (a key that signed
	// it, kid).
	By string
}

// Name is the state in one word, the one that matters most first:
// revoked, renewed, expired, bound, written, or issued (recorded but
// never handed out).
func (s *State) Name() string {
	switch {
	case s.Revoked != nil:
		return "revoked"
	case len(s.RenewedBy) > 0:
		return "renewed"
	case s.Expired:
		return "expired"
	case s.Bound:
		return "bound"
	case s.Written:
		return "written"
	}
	return "issued"
}

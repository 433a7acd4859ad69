package token

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
	"unicode"

	"github.com/hashicorp/go-version"
)

// IDSize is the length of a license or grant id (the cti claim).
const IDSize = 16

// License is the claims set of a license (FORMAT section 3).
type License struct {
	Issuer   string   // iss: vendor id, or partner id under a grant
	Subject  string   // sub: licensee
	Audience []string // aud: product ids, at least one
	// Expiry is exp; the zero time means perpetual.
	Expiry time.Time
	// NotBefore is nbf; the zero time means none.
	NotBefore time.Time
	IssuedAt  time.Time // iat
	ID        []byte    // cti: 16 random bytes
	Tier      string
	Scopes    []string          // granted scopes and scope patterns (section 5)
	Versions  string            // product version constraint; "" for none
	Limits    map[string]uint64 // numeric entitlements
	Rights    []string
	Bind      map[string]string // machine binding; every entry must match
	Grace     time.Duration     // time after Expiry during which the license still verifies
	Meta      map[string]string // vendor strings, never interpreted
	Crit      []string          // claims a verifier must understand
	// Fallback is the "fallback" claim (perpetual fallback): after
	// Expiry (and grace), the license stays valid for product builds
	// released at or before Expiry. It needs an Expiry.
	Fallback bool

	// Constraint is Versions parsed; nil when Versions is "".
	Constraint version.Constraints

	scopeIdx *scopeIndex // of Scopes, built by DecodeLicense (scope.go)
}

// Allows reports whether the granted scopes cover scope (section 5). It
// does not allocate; a required scope that is a pattern or contains white
// space is never covered. On a decoded license its cost does not grow
// with the number of scopes (an index built at decoding); assign a new
// Scopes slice rather than change one in place, which the index would
// not see.
func (l *License) Allows(scope string) bool { return allows(l.scopeIdx, l.Scopes, scope) }

// Limit returns a numeric limit and whether the license sets it.
func (l *License) Limit(name string) (uint64, bool) {
	n, ok := l.Limits[name]
	return n, ok
}

// HasRight reports whether the license carries a contract right.
func (l *License) HasRight(name string) bool {
	for _, r := range l.Rights {
		if r == name {
			return true
		}
	}
	return false
}

type licenseWire struct {
	Iss      text              `cbor:"1,keyasint"`
	Sub      text              `cbor:"2,keyasint"`
	Aud      audience          `cbor:"3,keyasint"`
	Exp      date              `cbor:"4,keyasint"`
	Nbf      date              `cbor:"5,keyasint"`
	Iat      date              `cbor:"6,keyasint"`
	Cti      []byte            `cbor:"7,keyasint"`
	Tier     text              `cbor:"tier"`
	Scopes   texts             `cbor:"scopes"`
	Versions text              `cbor:"versions"`
	Limits   uintMap           `cbor:"limits"`
	Rights   texts             `cbor:"rights"`
	Bind     map[string]string `cbor:"bind"`
	Grace    seconds           `cbor:"grace"`
	Meta     map[string]string `cbor:"meta"`
	Crit     texts             `cbor:"crit"`
	Fallback flag              `cbor:"fallback"`
}

type licenseOut struct {
	Iss      string            `cbor:"1,keyasint"`
	Sub      string            `cbor:"2,keyasint"`
	Aud      any               `cbor:"3,keyasint"`
	Exp      *int64            `cbor:"4,keyasint,omitempty"`
	Nbf      *int64            `cbor:"5,keyasint,omitempty"`
	Iat      int64             `cbor:"6,keyasint"`
	Cti      []byte            `cbor:"7,keyasint"`
	Tier     string            `cbor:"tier"`
	Scopes   []string          `cbor:"scopes,omitempty"`
	Versions string            `cbor:"versions,omitempty"`
	Limits   map[string]uint64 `cbor:"limits,omitempty"`
	Rights   []string          `cbor:"rights,omitempty"`
	Bind     map[string]string `cbor:"bind,omitempty"`
	Grace    uint64            `cbor:"grace,omitempty"`
	Meta     map[string]string `cbor:"meta,omitempty"`
	Crit     []string          `cbor:"crit,omitempty"`
	Fallback bool              `cbor:"fallback,omitempty"`
}

// understood lists every claim name of FORMAT sections 3 and 4: the names a
// "crit" claim may list.
var understood = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true,
	"cti": true, "cnf": true, "tier": true, "scopes": true, "versions": true,
	"limits": true, "rights": true, "bind": true, "grace": true, "meta": true,
	"crit": true, "tiers": true, "maxlife": true, "maxgrace": true, "fallback": true, "site": true,
}

// DecodeLicense decodes and checks a license claims set (a COSE payload)
// strictly: required claims present, every claim of its type, scopes well
// formed, "crit" naming only understood claims, "versions" parsable.
// Every error wraps [ErrMalformed].
func DecodeLicense(payload []byte) (*License, error) {
	l := new(License)
	if err := l.decode(payload); err != nil {
		return nil, err
	}
	return l, nil
}

var licenseWirePool = sync.Pool{New: func() any { return new(licenseWire) }}

func (l *License) decode(payload []byte) error {
	w := licenseWirePool.Get().(*licenseWire)
	defer func() {
		*w = licenseWire{}
		licenseWirePool.Put(w)
	}()
	wide, err := decodeMap(strictDM, payload, w)
	if err != nil {
		return wrapMalformed("license claims", err)
	}
	if err := checkSkipped(payload, count(w.Iss.ok, w.Sub.ok, w.Aud.ok, w.Exp.ok, w.Nbf.ok, w.Iat.ok,
		w.Cti != nil, w.Tier.ok, w.Scopes.ok, w.Versions.ok, w.Limits != nil, w.Rights.ok, w.Bind != nil,
		w.Grace.ok, w.Meta != nil, w.Crit.ok, w.Fallback.ok), wide, false); err != nil {
		return wrapMalformed("license claims", err)
	}
	switch {
	case !w.Iss.ok:
		return malformedf("license claims: iss missing")
	case !w.Sub.ok:
		return malformedf("license claims: sub missing")
	case !w.Aud.ok:
		return malformedf("license claims: aud missing")
	case !w.Iat.ok:
		return malformedf("license claims: iat missing")
	case len(w.Cti) != IDSize:
		return malformedf("license claims: cti must be %d bytes", IDSize)
	case !w.Tier.ok:
		return malformedf("license claims: tier missing")
	}
	if err := checkScopes(w.Scopes.v, true); err != nil {
		return wrapMalformed("license claims", err)
	}
	if w.Crit.ok {
		if err := checkCrit(w.Crit.v); err != nil {
			return wrapMalformed("license claims", err)
		}
	}
	aud := w.Aud.v
	if len(aud) == 1 && &aud[0] == &w.Aud.one[0] {
		aud = []string{aud[0]} // not a pointer into the pooled wire struct
	}
	*l = License{
		Issuer:    w.Iss.v,
		Subject:   w.Sub.v,
		Audience:  aud,
		Expiry:    w.Exp.time(),
		NotBefore: w.Nbf.time(),
		IssuedAt:  w.Iat.time(),
		ID:        w.Cti,
		Tier:      w.Tier.v,
		Scopes:    w.Scopes.v,
		Versions:  w.Versions.v,
		Limits:    w.Limits,
		Rights:    w.Rights.v,
		Bind:      w.Bind,
		Grace:     w.Grace.duration(),
		Meta:      w.Meta,
		Crit:      w.Crit.v,
		Fallback:  w.Fallback.v,
	}
	if w.Versions.ok {
		c, err := constraints.Parse(w.Versions.v)
		if err != nil {
			return wrapMalformed("license claims: versions", err)
		}
		l.Constraint = c
	}
	l.scopeIdx = newScopeIndex(l.Scopes)
	return nil
}

func checkCrit(names []string) error {
	if len(names) == 0 {
		return errors.New("crit is empty")
	}
	for _, n := range names {
		if !understood[n] {
			return fmt.Errorf("crit names claim %q, which this verifier does not understand", n)
		}
	}
	return nil
}

// Validate checks l before signing: required claims, scope syntax, version
// constraint, and times within range. It does not look at the clock.
func (l *License) Validate() error {
	var errs []string
	if l.Issuer == "" {
		errs = append(errs, "issuer is empty")
	}
	if l.Subject == "" {
		errs = append(errs, "subject is empty")
	}
	if len(l.Audience) == 0 {
		errs = append(errs, "no product (aud)")
	}
	for _, a := range l.Audience {
		if a == "" {
			errs = append(errs, "empty product id")
		}
	}
	if l.Tier == "" {
		errs = append(errs, "tier is empty")
	}
	if l.IssuedAt.IsZero() {
		errs = append(errs, "issued-at is not set")
	}
	if len(l.ID) != IDSize {
		errs = append(errs, fmt.Sprintf("id must be %d bytes", IDSize))
	}
	if err := checkScopes(l.Scopes, true); err != nil {
		errs = append(errs, err.Error())
	}
	if l.Versions != "" {
		if _, err := constraints.Parse(l.Versions); err != nil {
			errs = append(errs, fmt.Sprintf("version constraint %q: %v", l.Versions, err))
		}
	}
	if !l.Expiry.IsZero() && l.Expiry.Before(l.IssuedAt) {
		errs = append(errs, "expiry is before issued-at")
	}
	if l.Grace < 0 || l.Grace%time.Second != 0 {
		errs = append(errs, "grace must be a non-negative whole number of seconds")
	}
	if l.Fallback && l.Expiry.IsZero() {
		errs = append(errs, "perpetual fallback needs an expiry (a license without one never expires)")
	}
	for _, t := range []time.Time{l.Expiry, l.NotBefore, l.IssuedAt} {
		if !t.IsZero() && (t.Unix() < minUnix || t.Unix() > maxUnix) {
			errs = append(errs, fmt.Sprintf("time %v out of range", t))
		}
	}
	if len(l.Crit) > 0 {
		if err := checkCrit(l.Crit); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if !l.plainTexts() { // printable ASCII has nothing unprintable to find (claimsenc.go)
		texts := map[string][]string{"issuer": {l.Issuer}, "subject": {l.Subject}, "product": l.Audience, "tier": {l.Tier}, "right": l.Rights}
		for k, v := range l.Bind {
			texts["binding"] = append(texts["binding"], k, v)
		}
		for k := range l.Limits {
			texts["limit name"] = append(texts["limit name"], k)
		}
		errs = append(errs, unprintable(texts)...)
	}
	if len(errs) > 0 {
		return &ValidationError{Object: "license", Problems: errs}
	}
	return nil
}

// unprintable lists the texts that a terminal could be fooled by: control
// characters, format characters (bidi overrides, zero-width joiners) and
// line or paragraph separators. Issuers refuse them before signing;
// verifiers accept any UTF-8, and printers escape.
func unprintable(texts map[string][]string) []string {
	var out []string
	for _, what := range []string{"issuer", "subject", "partner", "product", "tier", "right", "binding", "limit name"} {
		for _, t := range texts[what] {
			for _, r := range t {
				if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) {
					out = append(out, fmt.Sprintf("%s %q holds the control or format character %U: use printable text", what, t, r))
					break
				}
			}
		}
	}
	return out
}

// MarshalClaims returns the deterministic CBOR encoding of l, the payload
// that [SignLicense] signs. It does not validate l.
func (l *License) MarshalClaims() ([]byte, error) {
	// The bytes encMode makes of a licenseOut, without reflection
	// (claimsenc.go).
	return appendLicenseClaims(make([]byte, 0, 256), l), nil
}

// SignLicense validates l, encodes it and signs it with signer, returning
// the raw COSE_Sign1. grant, when not nil, is the raw grant under which a
// partner issues the license; it is embedded in the protected header.
func SignLicense(signer crypto.Signer, l *License, grant []byte) ([]byte, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	payload, err := l.MarshalClaims()
	if err != nil {
		return nil, fmt.Errorf("token: encoding license: %w", err)
	}
	return sign(signer, TypeLicense, payload, grant)
}

// NewID returns a fresh random 16-byte id for a license, grant or list,
// read from r (crypto/rand.Reader when nil).
func NewID(r io.Reader) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	id := make([]byte, IDSize)
	if _, err := io.ReadFull(r, id); err != nil {
		return nil, fmt.Errorf("token: reading random id: %w", err)
	}
	return id, nil
}

func unixPtr(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	u := t.Unix()
	return &u
}

// Grant is the claims set of a grant (FORMAT section 4): the vendor lets a
// partner, identified by its public key, issue licenses within limits.
type Grant struct {
	Issuer    string   // iss: vendor id
	Subject   string   // sub: partner id, the iss of every license under the grant
	Audience  []string // aud: products the partner may license
	Expiry    time.Time
	NotBefore time.Time // zero: none (the grant starts at IssuedAt)
	IssuedAt  time.Time
	ID        []byte            // cti
	Key       ed25519.PublicKey // cnf: the partner's key
	Tiers     []string          // tiers the partner may issue; "*" for any
	Scopes    []string          // scope patterns the partner may grant
	Limits    map[string]uint64 // caps
	Rights    []string          // rights the partner may pass on
	Versions  string
	// MaxLife caps exp + grace - iat of every license under the grant;
	// nil for no cap. A cap of 0 allows no license at all.
	MaxLife *time.Duration
	// MaxGrace caps the grace period of every license under the grant;
	// nil for no cap, 0 for no grace.
	MaxGrace *time.Duration
	// Site, when set, makes this a site grant: the partner is a site's
	// lease server, and every license under the grant is a lease of one
	// floating seat (FORMAT section 4, "site").
	Site *Site

	// Constraint is Versions parsed; nil when Versions is "".
	Constraint version.Constraints
}

// Site is the "site" claim of a site grant: what a site's lease server may
// hand out. Every license under a site grant is a lease: bound to a
// machine, with an expiry, no grace, and a life (exp - iat) of at most
// Lease, or of at most Borrow for a borrowed seat. Seats and Borrows are
// promises the lease server keeps and its usage log shows; a verifier,
// offline, cannot count them.
type Site struct {
	Seats   uint64        // concurrent seats, borrowed ones included; at least 1
	Lease   time.Duration // longest lease; at least a second
	Borrow  time.Duration // longest borrow; 0: no borrowing
	Borrows uint64        // most seats borrowed at once; 0: no borrowing
}

// MaxLease returns the longest life a license under the site grant may
// have: the longest lease, or the longest borrow when borrowing is allowed
// and longer.
func (s *Site) MaxLease() time.Duration {
	if s.CanBorrow() && s.Borrow > s.Lease {
		return s.Borrow
	}
	return s.Lease
}

// CanBorrow reports whether the site grant allows borrowing at all.
func (s *Site) CanBorrow() bool { return s.Borrow > 0 && s.Borrows > 0 }

type siteWire struct {
	Seats   uintVal `cbor:"seats"`
	Lease   seconds `cbor:"lease"`
	Borrow  seconds `cbor:"borrow"`
	Borrows uintVal `cbor:"borrows"`
}

// UnmarshalCBOR reads the "site" claim strictly: no member but the four
// (a site claim a verifier only half understands must not pass), seats
// and lease present and not zero.
func (s *siteWire) UnmarshalCBOR(b []byte) error {
	type plain siteWire
	var p plain
	wide, err := decodeMap(strictDM, b, &p)
	if err != nil {
		return err
	}
	r := reader{b: b}
	if _, n, err := r.head(); err != nil || wide || n != uint64(count(p.Seats.ok, p.Lease.ok, p.Borrow.ok, p.Borrows.ok)) {
		return errors.New("site: members other than seats, lease, borrow and borrows")
	}
	switch {
	case !p.Seats.ok || p.Seats.v == 0:
		return errors.New("site: seats missing or 0")
	case !p.Lease.ok || p.Lease.v == 0:
		return errors.New("site: lease missing or 0")
	}
	*s = siteWire(p)
	return nil
}

type siteOut struct {
	Seats   uint64 `cbor:"seats"`
	Lease   uint64 `cbor:"lease"`
	Borrow  uint64 `cbor:"borrow,omitempty"`
	Borrows uint64 `cbor:"borrows,omitempty"`
}

type grantWire struct {
	Iss      text      `cbor:"1,keyasint"`
	Sub      text      `cbor:"2,keyasint"`
	Aud      audience  `cbor:"3,keyasint"`
	Exp      date      `cbor:"4,keyasint"`
	Nbf      date      `cbor:"5,keyasint"`
	Iat      date      `cbor:"6,keyasint"`
	Cti      []byte    `cbor:"7,keyasint"`
	Cnf      *cnf      `cbor:"8,keyasint"`
	Tiers    texts     `cbor:"tiers"`
	Scopes   texts     `cbor:"scopes"`
	Limits   uintMap   `cbor:"limits"`
	Rights   texts     `cbor:"rights"`
	Versions text      `cbor:"versions"`
	MaxLife  seconds   `cbor:"maxlife"`
	MaxGrace seconds   `cbor:"maxgrace"`
	Site     *siteWire `cbor:"site"`
}

type grantOut struct {
	Iss      string            `cbor:"1,keyasint"`
	Sub      string            `cbor:"2,keyasint"`
	Aud      any               `cbor:"3,keyasint"`
	Exp      int64             `cbor:"4,keyasint"`
	Nbf      *int64            `cbor:"5,keyasint,omitempty"`
	Iat      int64             `cbor:"6,keyasint"`
	Cti      []byte            `cbor:"7,keyasint"`
	Cnf      cnf               `cbor:"8,keyasint"`
	Tiers    []string          `cbor:"tiers"`
	Scopes   []string          `cbor:"scopes"`
	Limits   map[string]uint64 `cbor:"limits,omitempty"`
	Rights   []string          `cbor:"rights,omitempty"`
	Versions string            `cbor:"versions,omitempty"`
	MaxLife  *uint64           `cbor:"maxlife,omitempty"`
	MaxGrace *uint64           `cbor:"maxgrace,omitempty"`
	Site     *siteOut          `cbor:"site,omitempty"`
}

// DecodeGrant decodes and checks a grant claims set strictly. Every error
// wraps [ErrMalformed].
func DecodeGrant(payload []byte) (*Grant, error) {
	var w grantWire
	wide, err := decodeMap(strictDM, payload, &w)
	if err != nil {
		return nil, wrapMalformed("grant claims", err)
	}
	if err := checkSkipped(payload, count(w.Iss.ok, w.Sub.ok, w.Aud.ok, w.Exp.ok, w.Nbf.ok, w.Iat.ok,
		w.Cti != nil, w.Cnf != nil, w.Tiers.ok, w.Scopes.ok, w.Limits != nil, w.Rights.ok, w.Versions.ok,
		w.MaxLife.ok, w.MaxGrace.ok, w.Site != nil), wide, false); err != nil {
		return nil, wrapMalformed("grant claims", err)
	}
	switch {
	case !w.Iss.ok:
		return nil, malformedf("grant claims: iss missing")
	case !w.Sub.ok:
		return nil, malformedf("grant claims: sub missing")
	case !w.Aud.ok:
		return nil, malformedf("grant claims: aud missing")
	case !w.Exp.ok:
		return nil, malformedf("grant claims: exp missing")
	case !w.Iat.ok:
		return nil, malformedf("grant claims: iat missing")
	case len(w.Cti) != IDSize:
		return nil, malformedf("grant claims: cti must be %d bytes", IDSize)
	case w.Cnf == nil || w.Cnf.Key == nil:
		return nil, malformedf("grant claims: cnf key missing")
	case w.Cnf.Key.Kty != coseKtyOKP || w.Cnf.Key.Crv != coseCrvEd25519 || len(w.Cnf.Key.X) != ed25519.PublicKeySize:
		return nil, malformedf("grant claims: cnf key is not an Ed25519 OKP key")
	case IsSmallOrder(w.Cnf.Key.X):
		return nil, malformedf("grant claims: cnf key is a point of small order, which anyone can sign for")
	case !w.Tiers.ok || len(w.Tiers.v) == 0:
		return nil, malformedf("grant claims: tiers missing or empty")
	case !w.Scopes.ok:
		return nil, malformedf("grant claims: scopes missing")
	}
	if err := checkScopes(w.Scopes.v, true); err != nil {
		return nil, wrapMalformed("grant claims", err)
	}
	g := &Grant{
		Issuer: w.Iss.v, Subject: w.Sub.v, Audience: w.Aud.v,
		Expiry: w.Exp.time(), NotBefore: w.Nbf.time(), IssuedAt: w.Iat.time(),
		ID: w.Cti, Key: ed25519.PublicKey(w.Cnf.Key.X),
		Tiers: w.Tiers.v, Scopes: w.Scopes.v, Limits: w.Limits, Rights: w.Rights.v,
		Versions: w.Versions.v, MaxLife: w.MaxLife.ceiling(), MaxGrace: w.MaxGrace.ceiling(),
	}
	if w.Site != nil {
		g.Site = &Site{Seats: w.Site.Seats.v, Lease: w.Site.Lease.duration(),
			Borrow: w.Site.Borrow.duration(), Borrows: w.Site.Borrows.v}
	}
	if w.Versions.ok {
		c, err := constraints.Parse(w.Versions.v)
		if err != nil {
			return nil, wrapMalformed("grant claims: versions", err)
		}
		g.Constraint = c
	}
	return g, nil
}

// Validate checks g before signing.
func (g *Grant) Validate() error {
	var errs []string
	if g.Issuer == "" || g.Subject == "" {
		errs = append(errs, "issuer and partner (subject) must be set")
	}
	if len(g.Audience) == 0 {
		errs = append(errs, "no product (aud)")
	}
	if g.Expiry.IsZero() || g.IssuedAt.IsZero() {
		errs = append(errs, "expiry and issued-at must be set")
	} else if !g.Expiry.After(g.IssuedAt) {
		errs = append(errs, "expiry must be after issued-at")
	}
	if len(g.ID) != IDSize {
		errs = append(errs, fmt.Sprintf("id must be %d bytes", IDSize))
	}
	if len(g.Key) != ed25519.PublicKeySize {
		errs = append(errs, "partner key must be an Ed25519 public key")
	} else if IsSmallOrder(g.Key) {
		errs = append(errs, "partner key is a point of small order, which anyone can sign for")
	}
	if len(g.Tiers) == 0 {
		errs = append(errs, "at least one tier (or \"*\") is required")
	}
	if err := checkScopes(g.Scopes, true); err != nil {
		errs = append(errs, err.Error())
	}
	if g.Versions != "" {
		if _, err := version.NewConstraint(g.Versions); err != nil {
			errs = append(errs, fmt.Sprintf("version constraint %q: %v", g.Versions, err))
		}
	}
	if d := g.MaxLife; d != nil && (*d < 0 || *d%time.Second != 0) {
		errs = append(errs, "max life must be a non-negative whole number of seconds")
	}
	if d := g.MaxGrace; d != nil && (*d < 0 || *d%time.Second != 0) {
		errs = append(errs, "max grace must be a non-negative whole number of seconds")
	}
	if s := g.Site; s != nil {
		if s.Seats == 0 {
			errs = append(errs, "a site grant needs at least one seat")
		}
		if s.Lease < time.Second || s.Lease%time.Second != 0 {
			errs = append(errs, "a site grant's longest lease must be a whole number of seconds, at least one")
		}
		if s.Borrow < 0 || s.Borrow%time.Second != 0 {
			errs = append(errs, "a site grant's longest borrow must be a non-negative whole number of seconds")
		}
		if (s.Borrow > 0) != (s.Borrows > 0) {
			errs = append(errs, "borrowing needs both a longest borrow and how many seats may be borrowed at once")
		}
		if s.Borrows > s.Seats {
			errs = append(errs, fmt.Sprintf("%d seats may be borrowed at once, more than the site's %d seats", s.Borrows, s.Seats))
		}
	}
	limitNames := make([]string, 0, len(g.Limits))
	for k := range g.Limits {
		limitNames = append(limitNames, k)
	}
	errs = append(errs, unprintable(map[string][]string{"issuer": {g.Issuer}, "partner": {g.Subject},
		"product": g.Audience, "tier": g.Tiers, "right": g.Rights, "limit name": limitNames})...)
	if len(errs) > 0 {
		return &ValidationError{Object: "grant", Problems: errs}
	}
	return nil
}

// MarshalClaims returns the deterministic CBOR encoding of g.
func (g *Grant) MarshalClaims() ([]byte, error) {
	scopes := g.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	out := grantOut{
		Iss: g.Issuer, Sub: g.Subject, Aud: audienceValue(g.Audience),
		Exp: g.Expiry.Unix(), Nbf: unixPtr(g.NotBefore), Iat: g.IssuedAt.Unix(),
		Cti: g.ID, Cnf: cnf{Key: &coseKey{Kty: coseKtyOKP, Crv: coseCrvEd25519, X: g.Key}},
		Tiers: g.Tiers, Scopes: scopes, Limits: g.Limits, Rights: g.Rights,
		Versions: g.Versions, MaxLife: secondsPtr(g.MaxLife), MaxGrace: secondsPtr(g.MaxGrace),
	}
	if s := g.Site; s != nil {
		out.Site = &siteOut{Seats: s.Seats, Lease: uint64(s.Lease / time.Second),
			Borrow: uint64(s.Borrow / time.Second), Borrows: s.Borrows}
	}
	return encMode.Marshal(out)
}

// SignGrant validates g, encodes it and signs it with the vendor's signer.
func SignGrant(signer crypto.Signer, g *Grant) ([]byte, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	payload, err := g.MarshalClaims()
	if err != nil {
		return nil, fmt.Errorf("token: encoding grant: %w", err)
	}
	return sign(signer, TypeGrant, payload, nil)
}

// Revocations is the claims set of a revocation list (FORMAT section 6).
type Revocations struct {
	Issuer     string
	NextUpdate time.Time // exp: after it the list is stale
	IssuedAt   time.Time
	Seq        uint64   // strictly increasing per issuer
	IDs        [][]byte // cti: revoked grant ids, and ids of licenses not minted under a grant (16 bytes each)
	KeyIDs     [][]byte // kid: revoked key ids (8 bytes each)
	// Granted is gcti: licenses revoked by their id within the grant they
	// were minted under. A license minted under a grant is revoked by a
	// pair naming its grant, never by its id in IDs (ids are unique per
	// grant, not across issuers).
	Granted []GrantIDs
}

// GrantIDs names licenses minted under one grant.
type GrantIDs struct {
	Grant []byte   // the grant's id (16 bytes)
	IDs   [][]byte // license ids minted under it (16 bytes each)
}

type revocationsWire struct {
	Iss  text         `cbor:"1,keyasint"`
	Exp  date         `cbor:"4,keyasint"`
	Iat  date         `cbor:"6,keyasint"`
	Seq  uintVal      `cbor:"seq"`
	Cti  byteList     `cbor:"cti"`
	Kid  byteList     `cbor:"kid"`
	Gcti grantIDsList `cbor:"gcti"`
}

type revocationsOut struct {
	Iss  string        `cbor:"1,keyasint"`
	Exp  int64         `cbor:"4,keyasint"`
	Iat  int64         `cbor:"6,keyasint"`
	Seq  uint64        `cbor:"seq"`
	Cti  [][]byte      `cbor:"cti"`
	Kid  [][]byte      `cbor:"kid,omitempty"`
	Gcti []grantIDsOut `cbor:"gcti,omitempty"`
}

// grantIDsOut is one gcti pair: [grant id, [+ license id]].
type grantIDsOut struct {
	_     struct{} `cbor:",toarray"`
	Grant []byte
	IDs   [][]byte
}

// grantIDsList is the gcti claim, checked strictly: at least one pair,
// pairs sorted by grant id without a grant twice, each pair's ids sorted,
// without duplicates, at least one, every id of IDSize bytes.
type grantIDsList struct {
	v  []GrantIDs
	ok bool
}

func (l *grantIDsList) UnmarshalCBOR(b []byte) error {
	l.ok = true
	var pairs []grantIDsOut
	if err := decodeStrict(b, &pairs); err != nil {
		return fmt.Errorf("gcti: %w", err)
	}
	if len(pairs) == 0 {
		return errors.New("gcti is an empty array: encoders omit it when there is no pair")
	}
	l.v = make([]GrantIDs, len(pairs))
	for i, p := range pairs {
		if len(p.Grant) != IDSize {
			return fmt.Errorf("gcti: a grant id is %d bytes, want %d", len(p.Grant), IDSize)
		}
		if i > 0 && bytes.Compare(pairs[i-1].Grant, p.Grant) >= 0 {
			return fmt.Errorf("gcti: grant %x is not after %x: pairs are sorted by grant id, each grant once", p.Grant, pairs[i-1].Grant)
		}
		if len(p.IDs) == 0 {
			return fmt.Errorf("gcti: grant %x names no license id", p.Grant)
		}
		for j, id := range p.IDs {
			if len(id) != IDSize {
				return fmt.Errorf("gcti: a license id under grant %x is %d bytes, want %d", p.Grant, len(id), IDSize)
			}
			if j > 0 && bytes.Compare(p.IDs[j-1], id) >= 0 {
				return fmt.Errorf("gcti: license id %x under grant %x is not after %x: ids are sorted, each once", id, p.Grant, p.IDs[j-1])
			}
		}
		l.v[i] = GrantIDs{Grant: p.Grant, IDs: p.IDs}
	}
	return nil
}

// DecodeRevocations decodes and checks a revocation list claims set
// strictly. Every error wraps [ErrMalformed].
func DecodeRevocations(payload []byte) (*Revocations, error) {
	var w revocationsWire
	wide, err := decodeMap(strictDM, payload, &w)
	if err != nil {
		return nil, wrapMalformed("revocation list claims", err)
	}
	if err := checkSkipped(payload, count(w.Iss.ok, w.Exp.ok, w.Iat.ok, w.Seq.ok, w.Cti.ok, w.Kid.ok, w.Gcti.ok), wide, false); err != nil {
		return nil, wrapMalformed("revocation list claims", err)
	}
	switch {
	case !w.Iss.ok:
		return nil, malformedf("revocation list claims: iss missing")
	case !w.Exp.ok:
		return nil, malformedf("revocation list claims: exp missing")
	case !w.Iat.ok:
		return nil, malformedf("revocation list claims: iat missing")
	case !w.Seq.ok:
		return nil, malformedf("revocation list claims: seq missing")
	case !w.Cti.ok:
		return nil, malformedf("revocation list claims: cti missing")
	}
	for _, id := range w.Cti.v {
		if len(id) != IDSize {
			return nil, malformedf("revocation list claims: a revoked id is %d bytes, want %d", len(id), IDSize)
		}
	}
	for _, kid := range w.Kid.v {
		if len(kid) != KeyIDSize {
			return nil, malformedf("revocation list claims: a revoked kid is %d bytes, want %d", len(kid), KeyIDSize)
		}
	}
	return &Revocations{
		Issuer: w.Iss.v, NextUpdate: w.Exp.time(), IssuedAt: w.Iat.time(),
		Seq: w.Seq.v, IDs: w.Cti.v, KeyIDs: w.Kid.v, Granted: w.Gcti.v,
	}, nil
}

// MarshalClaims returns the deterministic CBOR encoding of r. Ids are
// sorted and deduplicated, and the pairs of Granted merged by grant,
// sorted and deduplicated (a pair left without an id is dropped), so that
// the same list always encodes the same way. It does not validate r.
func (r *Revocations) MarshalClaims() ([]byte, error) {
	ids := sortedSet(r.IDs)
	if ids == nil {
		ids = [][]byte{}
	}
	var gcti []grantIDsOut
	for _, g := range normGranted(r.Granted) {
		gcti = append(gcti, grantIDsOut{Grant: g.Grant, IDs: g.IDs})
	}
	return encMode.Marshal(revocationsOut{
		Iss: r.Issuer, Exp: r.NextUpdate.Unix(), Iat: r.IssuedAt.Unix(),
		Seq: r.Seq, Cti: ids, Kid: sortedSet(r.KeyIDs), Gcti: gcti,
	})
}

// SignRevocations sorts r's ids and key ids and drops duplicates, and
// merges the pairs of r.Granted by grant, sorted and without duplicates
// (in r itself, so that the caller sees what was signed). It then checks
// r, encodes it and signs it with the vendor's signer. A pair of Granted
// without any license id is an error.
func SignRevocations(signer crypto.Signer, r *Revocations) ([]byte, error) {
	for _, g := range r.Granted {
		if len(g.IDs) == 0 {
			return nil, &ValidationError{Object: "revocation list", Problems: []string{fmt.Sprintf("grant %x is listed without any license id", g.Grant)}}
		}
	}
	r.IDs, r.KeyIDs, r.Granted = sortedSet(r.IDs), sortedSet(r.KeyIDs), normGranted(r.Granted)
	switch {
	case r.Issuer == "":
		return nil, errors.New("token: invalid revocation list: issuer is empty")
	case r.IssuedAt.IsZero() || r.NextUpdate.IsZero():
		return nil, errors.New("token: invalid revocation list: issued-at and next update must be set")
	case !r.NextUpdate.After(r.IssuedAt):
		return nil, errors.New("token: invalid revocation list: next update must be after issued-at")
	}
	var problems []string
	for _, id := range r.IDs {
		if len(id) != IDSize {
			problems = append(problems, fmt.Sprintf("id of %d bytes, want %d", len(id), IDSize))
		}
	}
	for _, kid := range r.KeyIDs {
		if len(kid) != KeyIDSize {
			problems = append(problems, fmt.Sprintf("key id of %d bytes, want %d", len(kid), KeyIDSize))
		}
	}
	for _, g := range r.Granted {
		if len(g.Grant) != IDSize {
			problems = append(problems, fmt.Sprintf("grant id of %d bytes, want %d", len(g.Grant), IDSize))
		}
		for _, id := range g.IDs {
			if len(id) != IDSize {
				problems = append(problems, fmt.Sprintf("license id of %d bytes under grant %x, want %d", len(id), g.Grant, IDSize))
			}
		}
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Object: "revocation list", Problems: problems}
	}
	payload, err := r.MarshalClaims()
	if err != nil {
		return nil, fmt.Errorf("token: encoding revocation list: %w", err)
	}
	return sign(signer, TypeRevocations, payload, nil)
}

package verify

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/licet/licet/token"
)

// DefaultLeeway is the clock skew tolerated on nbf, iat and exp.
const DefaultLeeway = 5 * time.Minute

// Verifier checks licenses for one product against a set of trusted keys.
// Build it once with [New]; it is safe for concurrent use.
type Verifier struct {
	keys       *KeySet
	product    string
	anyProduct bool
	version    *version.Version
	versionStr string
	anyVersion bool
	binding    map[string]string
	anyBinding bool
	clock      func() time.Time
	leeway     time.Duration
	buildDate  time.Time
	revs       map[string]*RevocationList // by issuer
	unbound    unboundKeys                // revoked keys trusted without an issuer (revocations.go)
	staleOK    bool
	results    *resultCache // WithResultCache; nil: none (cache.go)
	partners   partnerKeys  // grants' partner keys, prepared (ed25519.go)
	verMu      sync.RWMutex
	verOK      map[string]bool // constraint text -> satisfied by version
}

// Option configures a [Verifier].
type Option func(*Verifier) error

// WithProduct names the product being licensed: a license verifies only if
// its aud contains id. Every verifier needs it, or [AnyProductInsecure].
func WithProduct(id string) Option {
	return func(v *Verifier) error {
		if id == "" {
			return errors.New("verify: empty product id")
		}
		v.product = id
		return nil
	}
}

// AnyProductInsecure skips the product check: a license for any product
// verifies. For inspection tools, never for products.
func AnyProductInsecure() Option {
	return func(v *Verifier) error { v.anyProduct = true; return nil }
}

// WithProductVersion sets the running product's version, checked against
// the license's (and grant's) "versions" constraint. Without it, a license
// that carries a constraint is rejected, unless [AnyVersionInsecure].
func WithProductVersion(ver string) Option {
	return func(v *Verifier) error {
		pv, err := version.NewVersion(ver)
		if err != nil {
			return fmt.Errorf("verify: product version %q: %w", ver, err)
		}
		v.version, v.versionStr = pv, ver
		return nil
	}
}

// AnyVersionInsecure skips version constraints when no product version is
// set.
func AnyVersionInsecure() Option {
	return func(v *Verifier) error { v.anyVersion = true; return nil }
}

// WithBinding sets this machine's binding values ({"host": fingerprint}):
// every "bind" entry of a license must equal the value here.
func WithBinding(values map[string]string) Option {
	return func(v *Verifier) error {
		v.binding = make(map[string]string, len(values))
		for k, val := range values {
			v.binding[k] = val
		}
		return nil
	}
}

// AnyBindingInsecure skips binding entries for which no value is set.
func AnyBindingInsecure() Option {
	return func(v *Verifier) error { v.anyBinding = true; return nil }
}

// WithClock sets where the current time comes from (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(v *Verifier) error {
		if now == nil {
			return errors.New("verify: nil clock")
		}
		v.clock = now
		return nil
	}
}

// WithBuildDate gives the release date of the running build: a license with
// perpetual fallback, past its expiry and grace, still verifies
// ([License.Fallback], with a warning that later updates are not covered)
// when the build was released at or before its expiry (no leeway). Set it
// from a date fixed at build time (a linker flag, a generated file), never
// from the clock or a file the user can edit.
func WithBuildDate(t time.Time) Option {
	return func(v *Verifier) error {
		if t.IsZero() {
			return errors.New("verify: zero build date")
		}
		v.buildDate = t
		return nil
	}
}

// WithLeeway sets the tolerated clock skew (default [DefaultLeeway]).
func WithLeeway(d time.Duration) Option {
	return func(v *Verifier) error {
		if d < 0 {
			return errors.New("verify: negative leeway")
		}
		v.leeway = d
		return nil
	}
}

// WithRevocations makes the verifier reject, as revoked, what the lists
// (from [ParseRevocations], at most one per issuer) name. A list applies to
// the licenses of its issuer and those under its issuer's grants, except
// that a kid entry naming a key trusted without an issuer revokes all that
// key signed. A "cti" entry revokes a grant (and its licenses) or a license
// signed directly by a trusted key; a license under a grant is revoked by a
// "gcti" pair (grant, id), never by its id alone. [New] refuses a list
// issued after now; a stale list adds a warning ([RejectStaleRevocations]).
func WithRevocations(lists ...*RevocationList) Option {
	return func(v *Verifier) error {
		for _, list := range lists {
			if list == nil {
				return errors.New("verify: nil revocation list")
			}
			iss := list.list.Issuer
			if v.revs == nil {
				v.revs = make(map[string]*RevocationList, len(lists))
			}
			if _, dup := v.revs[iss]; dup {
				return fmt.Errorf("verify: two revocation lists of issuer %q: give only the newest (highest seq)", iss)
			}
			v.revs[iss] = list
		}
		return nil
	}
}

// New returns a verifier that trusts keys. It needs [WithProduct] (or
// [AnyProductInsecure]).
func New(keys *KeySet, opts ...Option) (*Verifier, error) {
	if keys.Len() == 0 {
		return nil, errors.New("verify: no trusted keys")
	}
	v := &Verifier{keys: keys, clock: time.Now, leeway: DefaultLeeway, staleOK: true}
	for _, o := range opts {
		if err := o(v); err != nil {
			return nil, err
		}
	}
	if v.product == "" && !v.anyProduct {
		return nil, errors.New("verify: no product: use WithProduct")
	}
	now := v.clock()
	for iss, list := range v.revs {
		if iat := list.list.IssuedAt; iat.After(now.Add(v.leeway)) {
			return nil, fmt.Errorf("verify: the revocation list of issuer %q is issued at %s, after the current time %s: refusing it (check this machine's clock, or the list)",
				iss, iat.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
	}
	v.unbound = unboundRevoked(keys, v.revs)
	return v, nil
}

// License is a verified license: its claims, the key that signed it and
// the state it verified in.
type License struct {
	// Claims are the license's claims (tier, scopes, limits, rights...;
	// Claims.Allows, Claims.Limit and Claims.HasRight answer questions).
	Claims *token.License
	// KeyID is the id of the key that signed the license: a trusted key,
	// or the partner key of its grant.
	KeyID []byte
	// InGrace reports that the license is past its expiry but within its
	// grace period.
	InGrace bool
	// Fallback reports that the license is past its expiry and grace and
	// verified only by its perpetual fallback: this build (the date of
	// [WithBuildDate]) was released at or before its expiry. Updates
	// released after the expiry are not covered; Warnings says so.
	Fallback bool
	// Grant is the grant the license was issued under, nil for a license
	// signed by a trusted key directly.
	Grant *token.Grant
	// GrantKeyID is the id of the trusted key that signed the grant.
	GrantKeyID []byte
	// Warnings lists conditions that did not fail verification but deserve
	// attention, such as a stale revocation list.
	Warnings []string

	kid [token.KeyIDSize]byte
}

// Verify checks a license in any form (raw, compact text or PEM) and
// returns it when every check of FORMAT section 8 passes and the license
// covers every required scope. Otherwise it returns an *[Error] carrying
// exactly one code.
func (v *Verifier) Verify(in []byte, requiredScopes ...string) (*License, error) {
	now := v.clock()
	if c := v.results.get(in); c != nil {
		return v.recheck(c, now, requiredScopes)
	}

	// 1. Envelope.
	m, _, err := token.Decode(in)
	if err != nil {
		return nil, failErr(CodeMalformed, err, "not a well-formed licet object")
	}
	// 2. Algorithm.
	if err := checkAlg(m.Header.Alg); err != nil {
		return nil, err
	}
	// 3. Type.
	if m.Header.Typ != token.TypeLicense {
		return nil, fail(CodeWrongType, m.Header.Typ, "object type is %q, want a license (%s)", m.Header.Typ, token.TypeLicense)
	}

	out := &License{}
	copy(out.kid[:], m.Header.KID) // m aliases the caller's buffer
	out.KeyID = out.kid[:]
	var signer *edKey
	var key *Key // the trusted key at the root of the chain
	var g *chain
	if m.Header.Grant != nil {
		// 4 (grant path). The grant is checked first: its signature by a
		// trusted key makes the partner key it names trustworthy.
		if g, err = v.checkGrant(m, now); err != nil {
			return nil, err
		}
		key, signer = g.vendorKey, v.partners.get(g.grant.Key)
		out.Grant, out.GrantKeyID = g.grant, g.msg.Header.KID
	} else {
		// 4. Key.
		var ok bool
		if key, ok = v.keys.Lookup(m.Header.KID); !ok {
			kid := hex.EncodeToString(m.Header.KID)
			return nil, fail(CodeUnknownKey, kid, "license signed by unknown key %s", kid)
		}
		signer = key.ed
	}
	// 5. Signature.
	if !verifySignature(signer, m) {
		return nil, fail(CodeBadSignature, hex.EncodeToString(m.Header.KID), "signature does not verify")
	}
	// 6. Claims.
	l, err := token.DecodeLicense(m.Payload)
	if err != nil {
		return nil, failErr(CodeMalformed, err, "license claims")
	}
	out.Claims = l

	if g != nil {
		// G. The license within the grant.
		if err := g.check(l); err != nil {
			return nil, err
		}
		// 7-8 (grant path). A partner key that is itself in the key set
		// (a rotation self-grant, a partner promoted to a vendor key)
		// keeps its status: revoked, retired or out of its window, or
		// tied to another issuer, it signs nothing, grant or not.
		if pk, ok := v.keys.Lookup(out.KeyID); ok {
			if err := pk.checkUsable(l.IssuedAt, "license"); err != nil {
				return nil, err
			}
			if pk.Issuer != "" && l.Issuer != pk.Issuer {
				return nil, fail(CodeWrongIssuer, l.Issuer, "license issuer %q is not the issuer %q of its signing key", l.Issuer, pk.Issuer)
			}
		}
	} else {
		// 7. Key usable.
		if err := key.checkUsable(l.IssuedAt, "license"); err != nil {
			return nil, err
		}
		// 8. Issuer.
		if key.Issuer != "" && l.Issuer != key.Issuer {
			return nil, fail(CodeWrongIssuer, l.Issuer, "license issuer %q is not the key's issuer %q", l.Issuer, key.Issuer)
		}
	}
	// 9. Product.
	if !v.anyProduct && !contains(l.Audience, v.product) {
		return nil, fail(CodeWrongProduct, v.product, "license is for %s, not %q", quoteList(l.Audience), v.product)
	}
	// 10 and 11. Not yet valid; expiry, grace and perpetual fallback.
	if err := v.checkTime(out, now); err != nil {
		return nil, err
	}
	// 12. Versions.
	if err := v.checkVersion(l.Constraint, l.Versions, "license"); err != nil {
		return nil, err
	}
	if g != nil {
		if err := v.checkVersion(g.grant.Constraint, g.grant.Versions, "grant"); err != nil {
			return nil, err
		}
	}
	// 13. Binding.
	for k, want := range l.Bind {
		have, ok := v.binding[k]
		if !ok && v.anyBinding {
			continue
		}
		if !ok {
			return nil, fail(CodeBindingMismatch, k, "license is bound to %s=%q, and this machine has no %s value", plain(k), want, plain(k))
		}
		if have != want {
			return nil, fail(CodeBindingMismatch, k, "license is bound to %s=%q, this machine has %q", plain(k), want, have)
		}
	}
	// 14. Revocation: the list of the license's issuer, and the list of
	// the grant's issuer for a license minted under a grant.
	if err := v.checkRevoked(out, v.revs[l.Issuer], now); err != nil {
		return nil, err
	}
	if g != nil && g.grant.Issuer != l.Issuer {
		if err := v.checkRevoked(out, v.revs[g.grant.Issuer], now); err != nil {
			return nil, err
		}
	}
	if err := v.checkUnbound(out); err != nil {
		return nil, err
	}
	v.results.put(in, out)
	// 15. Scopes.
	for _, s := range requiredScopes {
		if !l.Allows(s) {
			return nil, fail(CodeScopeMissing, s, "license does not grant scope %q", s)
		}
	}
	return out, nil
}

// checkTime is steps 10 and 11: the license's nbf and iat against now,
// and its expiry with grace and perpetual fallback. It sets out.InGrace
// and out.Fallback, and adds the fallback's warning.
func (v *Verifier) checkTime(out *License, now time.Time) error {
	l := out.Claims
	out.InGrace, out.Fallback = false, false
	if !l.NotBefore.IsZero() && l.NotBefore.After(now.Add(v.leeway)) {
		return fail(CodeNotYetValid, l.NotBefore.Format(time.RFC3339), "license is not valid before %s", l.NotBefore.Format(time.RFC3339))
	}
	if l.IssuedAt.After(now.Add(v.leeway)) {
		return fail(CodeNotYetValid, l.IssuedAt.Format(time.RFC3339), "license issued in the future (%s); check the clock", l.IssuedAt.Format(time.RFC3339))
	}
	if l.Expiry.IsZero() {
		return nil
	}
	end := l.Expiry.Add(v.leeway)
	if !now.After(end) {
		return nil
	}
	if l.Grace > 0 && !now.After(end.Add(l.Grace)) {
		out.InGrace = true
		return nil
	}
	exp := l.Expiry.Format(time.RFC3339)
	if !l.Fallback {
		return fail(CodeExpired, exp, "license expired at %s", exp)
	}
	// Perpetual fallback: the build, not the clock, must predate exp.
	switch {
	case v.buildDate.IsZero():
		return fail(CodeExpired, exp, "license expired at %s; its perpetual fallback covers builds released by then, and no build date was given", exp)
	case v.buildDate.After(l.Expiry):
		return fail(CodeExpired, exp, "license expired at %s; its perpetual fallback covers builds released by then, and this build was released %s",
			exp, v.buildDate.UTC().Format(time.RFC3339))
	}
	out.Fallback = true
	out.Warnings = append(out.Warnings, fmt.Sprintf("license expired at %s: valid for this build (released %s) by perpetual fallback; updates released after the expiry are not covered",
		exp, v.buildDate.UTC().Format(time.RFC3339)))
	return nil
}

// checkRevoked applies list (nil: none for this issuer) to the license.
func (v *Verifier) checkRevoked(out *License, list *RevocationList, now time.Time) error {
	if list == nil {
		return nil
	}
	if err := list.check(out); err != nil {
		return err
	}
	return v.checkStale(list, now, "license", &out.Warnings)
}

// checkStale fails (revoked) when list is past its next update and stale
// lists are rejected, and adds a warning to warnings when they are not;
// what is the object checked ("license", "grant").
func (v *Verifier) checkStale(list *RevocationList, now time.Time, what string, warnings *[]string) error {
	if next := list.list.NextUpdate; !next.IsZero() && now.After(next) {
		if !v.staleOK {
			return fail(CodeRevoked, "stale", "the revocation list of %q is stale since %s (strict revocations): the %s itself is not known to be revoked, but no %s of this issuer is accepted until a fresh list is loaded",
				list.list.Issuer, next.Format(time.RFC3339), what, what)
		}
		*warnings = append(*warnings, fmt.Sprintf("revocation list of %q is stale since %s", list.list.Issuer, next.Format(time.RFC3339)))
	}
	return nil
}

func checkAlg(alg int64) *Error {
	if alg != token.AlgEdDSA && alg != token.AlgEd25519 {
		if alg == 0 {
			return fail(CodeUnsupportedAlg, "", "no integer alg in the protected header; want EdDSA (-8)")
		}
		return fail(CodeUnsupportedAlg, fmt.Sprint(alg), "algorithm %d is not supported; want EdDSA (-8)", alg)
	}
	return nil
}

func (v *Verifier) checkVersion(c version.Constraints, s, what string) *Error {
	if c == nil {
		return nil
	}
	if v.version == nil {
		if v.anyVersion {
			return nil
		}
		return fail(CodeVersionNotCovered, "", "%s covers versions %q and no product version was given", what, s)
	}
	if !v.versionOK(c, s) {
		return fail(CodeVersionNotCovered, v.versionStr, "%s covers versions %q, not %s", what, s, v.versionStr)
	}
	return nil
}

// quoteList prints claim text quoted, so that a signed token cannot put
// control characters into a message.
func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// plain returns s as it is when it is plain printable text without
// spaces or quotes, and quoted otherwise.
func plain(s string) string {
	for _, r := range s {
		if !strconv.IsPrint(r) || r == ' ' || r == '"' || r == '\\' {
			return strconv.Quote(s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sigBufPool holds Sig_structure buffers: the signature input is built
// once per verification and dropped right after.
var sigBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// verifySignature checks m's Ed25519 signature by k over its
// Sig_structure, built from the exact bytes received.
func verifySignature(k *edKey, m *token.Message) bool {
	bp := sigBufPool.Get().(*[]byte)
	tbs := m.AppendToBeSigned((*bp)[:0])
	ok := k.verify(tbs, m.Signature)
	if cap(tbs) <= 64<<10 {
		*bp = tbs
		sigBufPool.Put(bp)
	}
	return ok
}

// versionOK reports whether the verifier's product version satisfies c
// (whose source text is s). The product version is fixed, so the answer
// is cached per constraint: go-version's Check allocates.
func (v *Verifier) versionOK(c version.Constraints, s string) bool {
	v.verMu.RLock()
	ok, hit := v.verOK[s]
	v.verMu.RUnlock()
	if hit {
		return ok
	}
	ok = c.Check(v.version)
	v.verMu.Lock()
	if v.verOK == nil || len(v.verOK) >= 64 {
		v.verOK = make(map[string]bool)
	}
	v.verOK[s] = ok
	v.verMu.Unlock()
	return ok
}

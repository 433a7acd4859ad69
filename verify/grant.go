package verify

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet/token"
)

// chain is a grant that verified: signed by a trusted key, of the right
// type, in its time window.
type chain struct {
	msg       *token.Message
	grant     *token.Grant
	vendorKey *Key
}

// checkGrant checks the grant embedded in license m (FORMAT section 4): its
// envelope, type, trusted signature, claims and time window, and that m is
// signed with the grant's partner key. A grant that fails is grant_invalid,
// except for a key out of its window (key_not_valid).
func (v *Verifier) checkGrant(m *token.Message, now time.Time) (*chain, error) {
	gm := m.Header.Grant
	if gm.Header.NestedGrant {
		return nil, fail(CodeGrantInvalid, "", "the embedded grant carries a grant itself; only one level is allowed")
	}
	if gm.Header.Typ != token.TypeGrant {
		if err := checkAlg(gm.Header.Alg); err != nil {
			return nil, fail(CodeGrantInvalid, err.Detail, "grant: %s", err.Message)
		}
		return nil, fail(CodeGrantInvalid, gm.Header.Typ, "the embedded object has type %q, not a grant", gm.Header.Typ)
	}
	key, g, err := v.trustedGrant(gm, now)
	if err != nil {
		return nil, embedded(err)
	}
	if !bytes.Equal(m.Header.KID, token.KeyID(g.Key)) {
		kid := hex.EncodeToString(m.Header.KID)
		return nil, fail(CodeGrantViolation, kid, "license signed by key %s, not the partner key %x named by the grant", kid, token.KeyID(g.Key))
	}
	return &chain{msg: gm, grant: g, vendorKey: key}, nil
}

// embedded turns the error of a grant checked on its own into that of
// the grant a license carries: grant_invalid, except for a key out of its
// window (key_not_valid).
func embedded(err *Error) *Error {
	switch err.Code {
	case CodeKeyNotValid:
		return err
	case CodeUnsupportedAlg:
		return fail(CodeGrantInvalid, err.Detail, "grant: %s", err.Message)
	}
	c := *err
	c.Code = CodeGrantInvalid
	return &c
}

// trustedGrant checks grant gm, of the grant type: signed by a trusted key
// that may sign at its iat for its issuer, its claims well-formed, now in
// its time window. The codes are those of a grant checked on its own;
// checkGrant turns them into grant_invalid.
func (v *Verifier) trustedGrant(gm *token.Message, now time.Time) (*Key, *token.Grant, *Error) {
	key, err := v.keys.signed(gm, "grant")
	if err != nil {
		return nil, nil, err
	}
	g, derr := token.DecodeGrant(gm.Payload)
	if derr != nil {
		return nil, nil, failErr(CodeMalformed, derr, "grant claims")
	}
	if err := key.checkUsable(g.IssuedAt, "grant"); err != nil {
		return nil, nil, err
	}
	if key.Issuer != "" && g.Issuer != key.Issuer {
		return nil, nil, fail(CodeWrongIssuer, g.Issuer, "grant issuer %q is not the key's issuer %q", g.Issuer, key.Issuer)
	}
	if err := v.grantWindow(g, now); err != nil {
		return nil, nil, err
	}
	return key, g, nil
}

// grantWindow checks that now lies in the grant's [nbf or iat, exp], with
// leeway: not_yet_valid or expired otherwise.
func (v *Verifier) grantWindow(g *token.Grant, now time.Time) *Error {
	start := g.IssuedAt
	if !g.NotBefore.IsZero() {
		start = g.NotBefore
	}
	if start.After(now.Add(v.leeway)) {
		return fail(CodeNotYetValid, start.Format(time.RFC3339), "grant is not valid before %s", start.Format(time.RFC3339))
	}
	if now.After(g.Expiry.Add(v.leeway)) {
		return fail(CodeExpired, g.Expiry.Format(time.RFC3339), "grant expired at %s", g.Expiry.Format(time.RFC3339))
	}
	return nil
}

// Grant is a grant that verified on its own ([Verifier.VerifyGrant]): its
// claims, the id of the trusted key that signed it, and warnings such as
// a stale revocation list.
type Grant struct {
	Claims   *token.Grant
	KeyID    []byte
	Warnings []string
}

// VerifyGrant checks a grant (any form) on its own as [Verifier.Verify]
// checks an embedded one, with the codes of steps 1 to 8, 10 and 11
// (not_yet_valid, expired: the grant's window) and 14 (revoked: the lists
// apply as to a license under it). Product, version and binding do not
// apply.
func (v *Verifier) VerifyGrant(in []byte) (*Grant, error) {
	now := v.clock()
	m, _, err := token.Decode(in)
	if err != nil {
		return nil, failErr(CodeMalformed, err, "not a well-formed licet object")
	}
	if m.Header.Typ != token.TypeGrant {
		if err := checkAlg(m.Header.Alg); err != nil {
			return nil, err
		}
		return nil, fail(CodeWrongType, m.Header.Typ, "object type is %q, want a grant (%s)", m.Header.Typ, token.TypeGrant)
	}
	if m.Header.Grant != nil {
		return nil, fail(CodeGrantInvalid, "", "the grant carries a grant itself; only one level is allowed")
	}
	key, g, verr := v.trustedGrant(m, now)
	if verr != nil {
		return nil, verr
	}
	out := &Grant{Claims: g, KeyID: key.KeyID()}
	if list := v.revs[g.Issuer]; list != nil {
		switch {
		case list.revokesID(g.ID):
			return nil, fail(CodeRevoked, hex.EncodeToString(g.ID), "grant %x is revoked", g.ID)
		case list.revokesKey(out.KeyID):
			return nil, fail(CodeRevoked, hex.EncodeToString(out.KeyID), "key %x that signed the grant is revoked", out.KeyID)
		}
		if err := v.checkStale(list, now, "grant", &out.Warnings); err != nil {
			return nil, err
		}
	}
	if iss, ok := v.unbound[[token.KeyIDSize]byte(out.KeyID)]; ok {
		return nil, fail(CodeRevoked, hex.EncodeToString(out.KeyID), "key %x that signed the grant is revoked (by the revocation list of %q: the key is trusted without an issuer, so the entry holds whatever issuer the grant names)", out.KeyID, iss)
	}
	return out, nil
}

// check reports every way in which license l exceeds the grant, as one
// grant_violation whose detail is the first.
func (c *chain) check(l *token.License) error {
	v := Violations(c.grant, l)
	if len(v) == 0 {
		return nil
	}
	return fail(CodeGrantViolation, v[0], "license exceeds its grant: %s", strings.Join(v, "; "))
}

// Violations lists every constraint of grant g that license l breaks,
// empty when l lies within g. Issuers call it before signing; verifiers
// reject any license for which it is not empty.
func Violations(g *token.Grant, l *token.License) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if l.Issuer != g.Subject {
		add("issuer %q is not the grant's partner %q", l.Issuer, g.Subject)
	}
	for _, a := range l.Audience {
		if !contains(g.Audience, a) {
			add("product %q is not in the grant (%s)", a, quoteList(g.Audience))
		}
	}
	if !contains(g.Tiers, "*") && !contains(g.Tiers, l.Tier) {
		add("tier %q is not in the grant (%s)", l.Tier, quoteList(g.Tiers))
	}
	for _, s := range l.Scopes {
		covered := false
		for _, p := range g.Scopes {
			if token.PatternCovers(p, s) {
				covered = true
				break
			}
		}
		if !covered {
			add("scope %q is not covered by the grant's scopes (%s)", s, quoteList(g.Scopes))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(g.Limits)) {
		limit := g.Limits[name]
		n, ok := l.Limits[name]
		switch {
		case !ok:
			add("limit %q is capped at %d by the grant and missing from the license", name, limit)
		case n > limit:
			add("limit %s=%d is above the grant's cap of %d", name, n, limit)
		}
	}
	for _, r := range l.Rights {
		if !contains(g.Rights, r) {
			add("right %q is not in the grant", r)
		}
	}
	if l.Expiry.IsZero() {
		add("perpetual license: a license under a grant must expire by %s", g.Expiry.Format(time.RFC3339))
	} else if l.Expiry.After(g.Expiry) {
		add("expiry %s is after the grant's expiry %s", l.Expiry.Format(time.RFC3339), g.Expiry.Format(time.RFC3339))
	}
	start := g.IssuedAt
	if !g.NotBefore.IsZero() {
		start = g.NotBefore
	}
	if l.IssuedAt.Before(start) || l.IssuedAt.After(g.Expiry) {
		add("issued at %s, outside the grant's window %s to %s", l.IssuedAt.Format(time.RFC3339),
			start.Format(time.RFC3339), g.Expiry.Format(time.RFC3339))
	}
	// maxlife bounds how long the license verifies: exp + grace - iat.
	if g.MaxLife != nil && !l.Expiry.IsZero() {
		if life := l.Expiry.Add(l.Grace).Sub(l.IssuedAt); life > *g.MaxLife {
			add("lifetime %s (from issue to expiry plus grace) is longer than the grant's max life of %s", days(life), days(*g.MaxLife))
		}
	}
	if g.MaxGrace != nil && l.Grace > *g.MaxGrace {
		add("grace period %s is longer than the grant's max grace of %s", days(l.Grace), days(*g.MaxGrace))
	}
	// A site grant's licenses are leases of one floating seat each.
	if site := g.Site; site != nil {
		if len(l.Bind) == 0 {
			add("a lease under a site grant must be bound to a machine")
		}
		if l.Grace > 0 {
			add("a lease under a site grant may not have a grace period")
		}
		if !l.Expiry.IsZero() {
			if life := l.Expiry.Sub(l.IssuedAt); life > site.MaxLease() {
				add("lease of %s is longer than the site grant allows (%s)", days(life), days(site.MaxLease()))
			}
		}
	}
	// No grant claim allows perpetual fallback: it would keep the license
	// valid past the grant's expiry and max life, the vendor's ceilings.
	if l.Fallback {
		add("perpetual fallback: a license under a grant may not carry it (it would outlive the grant's expiry)")
	}
	return out
}

// days formats a whole-second duration for people: "30d", "36h",
// "1d 2h 3m 4s".
func days(d time.Duration) string {
	if d < 0 {
		return "-" + days(-d)
	}
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.d; n > 0 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.d
		}
	}
	return b.String()
}

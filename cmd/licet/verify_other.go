package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// codeUnchecked is the code of a --strict rejection: a check that could
// not run. It is licet's, not one of the format's section 8 codes.
const codeUnchecked verify.Code = "unchecked"

// tokenType returns the typ of the object in data (token.TypeLicense,
// TypeGrant, TypeRevocations), or "" when it does not decode: the license
// path then reports why.
func tokenType(data []byte) string {
	m, _, err := token.Decode(data)
	if err != nil {
		return ""
	}
	return m.Header.Typ
}

// strictLicense lists the checks --strict requires that did not run on a
// valid license: the issuer (the trusted key names none), the version (a
// constraint and no --product-version), the binding (bind entries and no
// --bind).
func strictLicense(lic *verify.License, s *verifySetup) []string {
	var out []string
	root := lic.KeyID
	if lic.Grant != nil {
		root = lic.GrantKeyID
	}
	if k, ok := s.ks.Lookup(root); ok && k.Issuer == "" {
		out = append(out, fmt.Sprintf("issuer not checked: the trusted key %x names no issuer (trust it with its issuer: licet keys trust add --keyring FILE --issuer ID)", root))
	}
	versions := lic.Claims.Versions
	if versions == "" && lic.Grant != nil {
		versions = lic.Grant.Versions
	}
	if versions != "" && slices.Contains(s.unchecked, "version") {
		out = append(out, fmt.Sprintf("version not checked: the license covers versions %s; pass --product-version", safeText(versions)))
	}
	if len(lic.Claims.Bind) > 0 && slices.Contains(s.unchecked, "binding") {
		out = append(out, fmt.Sprintf("binding not checked: the license is bound (%s); pass --bind KEY=VALUE or --bind-machine", strings.Join(slices.Sorted(maps.Keys(lic.Claims.Bind)), ", ")))
	}
	return out
}

// strictError is the rejection of --strict for problems, nil without any.
func strictError(problems []string) *verify.Error {
	if len(problems) == 0 {
		return nil
	}
	detail, _, _ := strings.Cut(problems[0], " ")
	return &verify.Error{Code: codeUnchecked, Detail: detail, Message: "--strict: " + strings.Join(problems, "; ")}
}

// checked is a grant or revocation list that verified.
type checked struct {
	msg      *token.Message
	key      *verify.Key
	grant    *token.Grant
	list     *verify.RevocationList
	warnings []string
}

// verifyOther verifies a grant or a revocation list (typ) and prints the
// verdict, as verify does for a license.
func (a *app) verifyOther(typ string, data []byte, fl *verifyFlags, s *verifySetup) error {
	name := map[string]string{token.TypeGrant: "grant", token.TypeRevocations: "revocation list"}[typ]
	if typ == token.TypeRevocations && len(fl.revocations) > 0 {
		return usageError("see 'licet verify --help'", "--revocations applies to licenses and grants; the token is a revocation list")
	}
	var c *checked
	var verr *verify.Error
	if typ == token.TypeGrant {
		c, verr = checkGrantToken(data, s, fl.strictRevocations)
	} else {
		c, verr = checkListToken(data, s, fl.strictRevocations)
	}
	out := verdictJSON{Type: map[string]string{token.TypeGrant: "grant", token.TypeRevocations: "revocations"}[typ], Warnings: []string{}, Unchecked: []string{}}
	if verr == nil {
		if c.key.Issuer == "" {
			out.Unchecked = append(out.Unchecked, "issuer")
		}
		if fl.strict && c.key.Issuer == "" {
			verr = strictError([]string{fmt.Sprintf("issuer not checked: the trusted key %x names no issuer (trust it with its issuer: licet keys trust add --keyring FILE --issuer ID)", c.key.KeyID())})
		}
	}
	if verr != nil {
		return a.reject(&out, verr, fl)
	}
	out.Valid, out.Message, out.Warnings = true, "valid "+name, append(out.Warnings, c.warnings...)
	if c.grant != nil {
		out.Grant = &grantRefJSON{Partner: c.grant.Subject, ID: hex.EncodeToString(c.grant.ID), Expires: rfc3339(c.grant.Expiry), KID: hex.EncodeToString(c.msg.Header.KID)}
	} else {
		out.Revocations = newRevocationsJSON(c.list.Claims(), c.msg.Header.KID)
	}
	for _, w := range out.Warnings {
		a.warn("%s", w)
	}
	if fl.asJSON {
		return writeJSON(a.stdout, out)
	}
	a.printOtherSummary(out.Message, c, s, out.Unchecked)
	return nil
}

// printOtherSummary prints the verdict line and summary of a valid grant
// or revocation list.
func (a *app) printOtherSummary(verdict string, c *checked, s *verifySetup, unchecked []string) {
	fmt.Fprintln(a.stdout, verdict)
	f := newFields(a.stdout, "  ")
	if c.grant != nil {
		printGrant(f, c.grant, c.msg.Header.KID)
		for _, list := range s.revs {
			if l := list.Claims(); l.Issuer == c.grant.Issuer {
				f.add("revocations", fmt.Sprintf("not revoked (list seq %d of %s, next update %s)", l.Seq, l.Issuer, rfc3339(l.NextUpdate)))
			}
		}
	} else {
		printRevocations(f, c.list.Claims(), c.msg.Header.KID)
		if c.list.Stale(s.now) {
			f.add("state", "STALE: past its next update; ask the vendor for a fresh list")
		} else {
			f.add("state", "current until "+rfc3339(c.list.Claims().NextUpdate))
		}
	}
	if len(unchecked) > 0 {
		f.add("checks", uncheckedText(unchecked))
	}
	f.flush()
}

// licenseFlags reports whether a flag that only a license can satisfy is
// given: then a grant or a revocation list is rejected as the wrong type.
func licenseFlags(fl *verifyFlags) bool {
	return fl.product != "" || fl.productVersion != "" || len(fl.scopes) > 0 || len(fl.bind) > 0 || fl.bindMachine
}

// rejected is a verification error for a grant or list check.
func rejected(code verify.Code, detail, format string, args ...any) *verify.Error {
	return &verify.Error{Code: code, Detail: detail, Message: fmt.Sprintf(format, args...)}
}

// checkGrantToken checks a grant on its own, as products check the grant
// a license carries (FORMAT section 4): the envelope, a trusted signature,
// the key's window and issuer, the grant's time window (leeway allowed),
// and the revocation lists of its issuer.
func checkGrantToken(data []byte, s *verifySetup, strictRevocations bool) (*checked, *verify.Error) {
	m, _, err := token.Decode(data)
	if err != nil {
		return nil, &verify.Error{Code: verify.CodeMalformed, Message: "grant", Err: err}
	}
	c, verr := trustedSignature(m, s, "grant")
	if verr != nil {
		return nil, verr
	}
	if m.Header.Grant != nil {
		return nil, rejected(verify.CodeGrantInvalid, "", "the grant carries a grant itself; only one level is allowed")
	}
	g, err := token.DecodeGrant(m.Payload)
	if err != nil {
		return nil, &verify.Error{Code: verify.CodeMalformed, Message: "grant claims", Err: err}
	}
	c.grant = g
	if verr := keyWindow(c.key, g.IssuedAt, g.Issuer, "grant"); verr != nil {
		return nil, verr
	}
	start := g.IssuedAt
	if !g.NotBefore.IsZero() {
		start = g.NotBefore
	}
	switch {
	case start.After(s.now.Add(s.leeway)):
		return nil, rejected(verify.CodeNotYetValid, rfc3339(start), "grant is not valid before %s", rfc3339(start))
	case s.now.After(g.Expiry.Add(s.leeway)):
		return nil, rejected(verify.CodeExpired, rfc3339(g.Expiry), "grant expired at %s", rfc3339(g.Expiry))
	}
	return c, grantRevoked(c, s, strictRevocations)
}

// grantRevoked checks a grant against the revocation lists of its issuer.
func grantRevoked(c *checked, s *verifySetup, strict bool) *verify.Error {
	for _, list := range s.revs {
		if list.Issuer() != c.grant.Issuer {
			continue
		}
		switch {
		case list.RevokesID(c.grant.ID):
			return rejected(verify.CodeRevoked, hex.EncodeToString(c.grant.ID), "grant %x is revoked", c.grant.ID)
		case list.RevokesKey(c.msg.Header.KID):
			return rejected(verify.CodeRevoked, hex.EncodeToString(c.msg.Header.KID), "key %x that signed the grant is revoked", c.msg.Header.KID)
		case list.Stale(s.now) && strict:
			return rejected(verify.CodeRevoked, "stale", "the revocation list of %q is stale since %s (strict revocations)", list.Issuer(), rfc3339(list.Claims().NextUpdate))
		case list.Stale(s.now):
			c.warnings = append(c.warnings, fmt.Sprintf("revocation list of %q is stale since %s", list.Issuer(), rfc3339(list.Claims().NextUpdate)))
		}
	}
	return nil
}

// checkListToken checks a revocation list: verify.ParseRevocations (a
// trusted signature, type, key and issuer), not issued in the future, and
// not past its next update (a warning, or a rejection when strict).
func checkListToken(data []byte, s *verifySetup, strict bool) (*checked, *verify.Error) {
	m, _, err := token.Decode(data)
	if err != nil {
		return nil, &verify.Error{Code: verify.CodeMalformed, Message: "revocation list", Err: err}
	}
	lists, err := verify.ParseRevocations(data, s.ks)
	var verr *verify.Error
	if errors.As(err, &verr) {
		return nil, verr
	} else if err != nil {
		return nil, &verify.Error{Code: verify.CodeMalformed, Message: "revocation list", Err: err}
	}
	list := lists[0] // data is one object: the caller decoded it
	key, _ := s.ks.Lookup(m.Header.KID)
	c := &checked{msg: m, key: key, list: list}
	r := list.Claims()
	switch {
	case r.IssuedAt.After(s.now.Add(s.leeway)):
		return nil, rejected(verify.CodeNotYetValid, rfc3339(r.IssuedAt), "revocation list issued at %s, after this machine's clock (%s): check the clock", rfc3339(r.IssuedAt), rfc3339(s.now))
	case list.Stale(s.now) && strict:
		return nil, rejected(verify.CodeExpired, rfc3339(r.NextUpdate), "revocation list is stale since %s, its next update (strict revocations)", rfc3339(r.NextUpdate))
	case list.Stale(s.now):
		c.warnings = append(c.warnings, fmt.Sprintf("revocation list of %q is stale since %s: ask for a fresh one", r.Issuer, rfc3339(r.NextUpdate)))
	}
	return c, nil
}

// trustedSignature checks the algorithm and that a trusted key signed m.
func trustedSignature(m *token.Message, s *verifySetup, what string) (*checked, *verify.Error) {
	if alg := m.Header.Alg; alg != token.AlgEdDSA && alg != token.AlgEd25519 {
		return nil, rejected(verify.CodeUnsupportedAlg, fmt.Sprint(alg), "algorithm %d is not supported; want EdDSA (-8)", alg)
	}
	kid := hex.EncodeToString(m.Header.KID)
	key, ok := s.ks.Lookup(m.Header.KID)
	if !ok {
		return nil, rejected(verify.CodeUnknownKey, kid, "%s signed by unknown key %s", what, kid)
	}
	if !m.VerifySignature(key.PublicKey) {
		return nil, rejected(verify.CodeBadSignature, kid, "%s signature does not verify", what)
	}
	return &checked{msg: m, key: key}, nil
}

// keyWindow checks that key may have signed what it signed at iat, for
// issuer.
func keyWindow(key *verify.Key, iat time.Time, issuer, what string) *verify.Error {
	kid := hex.EncodeToString(key.KeyID())
	switch {
	case key.Revoked:
		return rejected(verify.CodeKeyNotValid, kid, "key %s is revoked", kid)
	case !key.NotBefore.IsZero() && iat.Before(key.NotBefore):
		return rejected(verify.CodeKeyNotValid, kid, "%s issued at %s, before key %s became valid (%s)", what, rfc3339(iat), kid, rfc3339(key.NotBefore))
	case !key.NotAfter.IsZero() && iat.After(key.NotAfter):
		return rejected(verify.CodeKeyNotValid, kid, "%s issued at %s, after key %s was retired (%s)", what, rfc3339(iat), kid, rfc3339(key.NotAfter))
	case key.Issuer != "" && issuer != key.Issuer:
		return rejected(verify.CodeWrongIssuer, issuer, "%s issuer %q is not the key's issuer %q", what, issuer, key.Issuer)
	}
	return nil
}

package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

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

// verifyOther verifies a grant or a revocation list (typ) with
// verify.Verifier.VerifyGrant or VerifyRevocations, and prints the
// verdict as verify does for a license.
func (a *app) verifyOther(typ string, data []byte, fl *verifyFlags, s *verifySetup) error {
	if typ == token.TypeRevocations && len(fl.revocations) > 0 {
		return usageError("see 'licet verify --help'", "--revocations applies to licenses and grants; the token is a revocation list")
	}
	v, err := verify.New(s.ks, s.opts...)
	if err != nil {
		return usageError("see 'licet verify --help'", "%s", strings.TrimPrefix(err.Error(), "verify: "))
	}
	out := verdictJSON{Type: "grant", Message: "valid grant", Warnings: []string{}, Unchecked: []string{}}
	var g *verify.Grant
	var list *verify.RevocationList
	var kid []byte
	if typ == token.TypeGrant {
		g, err = v.VerifyGrant(data)
		if err == nil {
			kid = g.KeyID
			out.Warnings = append(out.Warnings, g.Warnings...)
		}
	} else {
		out.Type, out.Message = "revocations", "valid revocation list"
		list, err = v.VerifyRevocations(data)
		if err == nil {
			kid = list.KeyID()
			if list.Stale(s.now) {
				out.Warnings = append(out.Warnings, fmt.Sprintf("revocation list of %q is stale since %s: ask for a fresh one", list.Claims().Issuer, rfc3339(list.Claims().NextUpdate)))
			}
		}
	}
	var verr *verify.Error
	if err != nil && !errors.As(err, &verr) {
		return failure(err, "")
	}
	if k, ok := s.ks.Lookup(kid); err == nil && ok && k.Issuer == "" {
		out.Unchecked = append(out.Unchecked, "issuer")
		if fl.strict {
			verr = strictError([]string{fmt.Sprintf("issuer not checked: the trusted key %x names no issuer (trust it with its issuer: licet keys trust add --keyring FILE --issuer ID)", kid)})
		}
	}
	if verr != nil {
		return a.reject(&out, verr, fl)
	}
	out.Valid = true
	if g != nil {
		out.Grant = &grantRefJSON{Partner: g.Claims.Subject, ID: hex.EncodeToString(g.Claims.ID), Expires: rfc3339(g.Claims.Expiry), KID: hex.EncodeToString(kid),
			Site: newSiteJSON(g.Claims.Site)}
	} else {
		out.Revocations = newRevocationsJSON(list.Claims(), kid)
	}
	for _, w := range out.Warnings {
		a.warn("%s", w)
	}
	if fl.asJSON {
		return writeJSON(a.stdout, out)
	}
	a.printOtherSummary(out.Message, g, list, s, out.Unchecked)
	return nil
}

// printOtherSummary prints the verdict line and summary of a valid grant
// (g) or revocation list.
func (a *app) printOtherSummary(verdict string, g *verify.Grant, list *verify.RevocationList, s *verifySetup, unchecked []string) {
	fmt.Fprintln(a.stdout, verdict)
	f := newFields(a.stdout, "  ")
	if g != nil {
		printGrant(f, g.Claims, g.KeyID)
		for _, list := range s.revs {
			if l := list.Claims(); l.Issuer == g.Claims.Issuer {
				f.add("revocations", fmt.Sprintf("not revoked (list seq %d of %s, next update %s)", l.Seq, l.Issuer, rfc3339(l.NextUpdate)))
			}
		}
	} else {
		printRevocations(f, list.Claims(), list.KeyID())
		if list.Stale(s.now) {
			f.add("state", "STALE: past its next update; ask the vendor for a fresh list")
		} else {
			f.add("state", "current until "+rfc3339(list.Claims().NextUpdate))
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

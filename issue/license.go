package issue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// LicenseRequest is a license to issue.
type LicenseRequest struct {
	// License holds the terms; the Issuer sets its ID, Issuer and
	// IssuedAt.
	License *token.License
	// Grant is the raw grant to embed (a partner's); nil lets the Issuer
	// attach its rotation grant when one is needed ([Issuer.Rotation]).
	Grant []byte
	// NoRotationGrant signs without the rotation grant even while one is
	// current (for products that trust the new key).
	NoRotationGrant bool
	// Order is the order reference, issued once; "" for none.
	Order string
	// RenewedFrom is the id of the license this one renews.
	RenewedFrom string
	// AskedAt, when set, returns the terms as they would have been asked
	// at an earlier time: an order already recorded is compared with the
	// terms asked at its issue time, so that relative terms (--days 365,
	// a DURATION) of a retry compare equal.
	AskedAt func(now time.Time) (*token.License, error)
	Out     Out
}

// ConflictError is an order already issued with other terms.
type ConflictError struct {
	Order    string
	Existing *ledger.Entry
	// Differences lists each term that differs: "field: recorded vs asked".
	Differences []string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("issue: order %s was issued as license %s with other terms: %s", e.Order, e.Existing.ID, strings.Join(e.Differences, "; "))
}

// GrantViolationError is a license outside the grant it would carry.
type GrantViolationError struct {
	Grant      *token.Grant
	Rotation   bool // the grant is the Issuer's rotation grant
	Violations []string
}

func (e *GrantViolationError) Error() string {
	what := "its grant"
	if e.Rotation {
		what = "the rotation grant"
	}
	return fmt.Sprintf("issue: the license would break %s %x (grant_violation): %s", what, e.Grant.ID, strings.Join(e.Violations, "; "))
}

// License issues a license: an order already recorded with the same terms
// returns the recorded license (Result.Existing, written again where out
// says); with other terms it is a [*ConflictError]. Otherwise the
// license is checked (claims, grant), signed, recorded and written.
func (is *Issuer) License(ctx context.Context, req *LicenseRequest) (*Result, error) {
	if req.Order != "" {
		r, err := is.existing(ctx, req)
		if r != nil || err != nil {
			return r, err
		}
	}
	now := is.now()
	terms, err := termsAt(req, now) // relative terms counted from the issue time
	if err != nil {
		return nil, err
	}
	lic, grantRaw, g, rotation, err := is.prepare(ctx, terms, req.Grant, req.NoRotationGrant, now)
	if err != nil {
		return nil, err
	}
	signer, err := is.Signer()
	if err != nil {
		return nil, err
	}
	raw, err := token.SignLicense(signer, lic, grantRaw)
	if err != nil {
		return nil, err
	}
	*req.License = *lic
	r, err := is.Record(ctx, raw, req.Order, req.RenewedFrom, req.Out)
	if err != nil {
		return nil, err
	}
	r.Grant, r.Rotation = g, rotation
	return r, nil
}

// prepare completes a license (id, issuer, issue time), chooses its grant
// and checks both.
func (is *Issuer) prepare(ctx context.Context, terms *token.License, grantRaw []byte, noRotation bool, now time.Time) (*token.License, []byte, *token.Grant, bool, error) {
	lic := *terms
	var err error
	if lic.ID, err = token.NewID(nil); err != nil {
		return nil, nil, nil, false, err
	}
	lic.Issuer, lic.IssuedAt = is.Name, now
	if err := lic.Validate(); err != nil {
		return nil, nil, nil, false, err
	}
	var g *token.Grant
	rotation := false
	if grantRaw != nil {
		if g, err = decodeGrant(grantRaw); err != nil {
			return nil, nil, nil, false, err
		}
	} else if !noRotation {
		rot, err := is.Rotation(ctx)
		if err != nil {
			return nil, nil, nil, false, err
		}
		if rot != nil {
			g, grantRaw, rotation = rot.Grant, rot.Raw, true
		}
	}
	if g != nil {
		if !g.Key.Equal(is.PublicKey) {
			return nil, nil, nil, false, fmt.Errorf("issue: grant %x is for the key %x of %s, not for the signing key %x", g.ID, token.KeyID(g.Key), g.Subject, is.KeyID())
		}
		if v := verify.Violations(g, &lic); len(v) > 0 {
			return nil, nil, nil, false, &GrantViolationError{Grant: g, Rotation: rotation, Violations: v}
		}
	}
	return &lic, grantRaw, g, rotation, nil
}

// existing returns the recorded license of req.Order when its terms are
// the ones asked, written again where req.Out says; nil when the order is
// not recorded.
func (is *Issuer) existing(ctx context.Context, req *LicenseRequest) (*Result, error) {
	e, err := is.Ledger.ByOrder(ctx, req.Order)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	asked := req.License
	if req.AskedAt != nil && e.Kind == ledger.KindLicense {
		if asked, err = req.AskedAt(e.IssuedAt); err != nil {
			return nil, err
		}
	}
	if diffs := Differences(e, asked, req.RenewedFrom); len(diffs) > 0 {
		return nil, &ConflictError{Order: req.Order, Existing: e, Differences: diffs}
	}
	data, err := is.writeAgain(ctx, e, req.Out)
	if err != nil {
		return nil, err
	}
	r := &Result{Entry: e, Data: data, File: req.Out.File, Existing: true}
	if m, err := token.ParseMessage(e.Raw); err == nil && m.Header.Grant != nil {
		r.Grant, _ = token.DecodeGrant(m.Header.Grant.Payload)
	}
	return r, nil
}

// Differences compares the license recorded in e with the terms asked
// (and the license it renews), each difference as "field: recorded vs
// asked". The id, issue time and signing key are not terms.
func Differences(e *ledger.Entry, asked *token.License, renewedFrom string) []string {
	if e.Kind != ledger.KindLicense {
		return []string{fmt.Sprintf("kind: %s vs license", e.Kind)}
	}
	m, err := token.ParseMessage(e.Raw)
	if err != nil {
		return []string{"recorded license: " + err.Error()}
	}
	rec, err := token.DecodeLicense(m.Payload)
	if err != nil {
		return []string{"recorded license: " + err.Error()}
	}
	var out []string
	diff := func(field, a, b string) {
		if a != b {
			out = append(out, fmt.Sprintf("%s: %s vs %s", field, show(a), show(b)))
		}
	}
	if asked.Issuer != "" {
		diff("iss", rec.Issuer, asked.Issuer)
	}
	diff("sub", rec.Subject, asked.Subject)
	diff("aud", strings.Join(rec.Audience, " "), strings.Join(asked.Audience, " "))
	diff("tier", rec.Tier, asked.Tier)
	diff("scopes", strings.Join(rec.Scopes, " "), strings.Join(asked.Scopes, " "))
	diff("versions", rec.Versions, asked.Versions)
	diff("rights", strings.Join(rec.Rights, " "), strings.Join(asked.Rights, " "))
	diffMap(&out, "limit", rec.Limits, asked.Limits)
	diffMap(&out, "bind", rec.Bind, asked.Bind)
	diffMap(&out, "meta", rec.Meta, asked.Meta)
	diff("exp", timeText(rec.Expiry), timeText(asked.Expiry))
	diff("nbf", timeText(rec.NotBefore), timeText(asked.NotBefore))
	diff("grace", rec.Grace.String(), asked.Grace.String())
	diff("renews", e.RenewedFrom, renewedFrom)
	return out
}

func diffMap[V comparable](out *[]string, field string, rec, asked map[string]V) {
	for _, k := range slices.Sorted(maps.Keys(union(rec, asked))) {
		a, aok := rec[k]
		b, bok := asked[k]
		if a != b || aok != bok {
			*out = append(*out, fmt.Sprintf("%s %s: %s vs %s", field, k, mapValue(a, aok), mapValue(b, bok)))
		}
	}
}

func union[V any](a, b map[string]V) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

func mapValue[V any](v V, ok bool) string {
	if !ok {
		return "(none)"
	}
	return fmt.Sprint(v)
}

func show(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// decodeGrant decodes a raw grant (not verified: products verify it).
func decodeGrant(raw []byte) (*token.Grant, error) {
	m, err := token.ParseMessage(raw)
	if err != nil {
		return nil, fmt.Errorf("issue: the grant: %w", err)
	}
	if m.Header.Typ != token.TypeGrant {
		return nil, fmt.Errorf("issue: the grant is a %s, not a grant", m.Header.Typ)
	}
	return token.DecodeGrant(m.Payload)
}

// sameKey reports whether a grant entry's raw names pub as its key.
func grantKeyIs(raw []byte, pub []byte) (*token.Grant, bool) {
	g, err := decodeGrant(raw)
	if err != nil {
		return nil, false
	}
	return g, bytes.Equal(g.Key, pub)
}

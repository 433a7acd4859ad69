package issue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// Renewal returns the license that renews the license entry e: the same
// terms (issuer, subject, products, tier, scopes, versions, limits, rights,
// binding, grace, metadata), a new id, issued at now, expiring at expiry,
// and the raw grant it was issued under (nil for none, or for a rotation
// grant: the Issuer attaches the one current at renewal), to embed again. A
// not-before date that has passed is dropped. The caller signs it and
// records it with RenewedFrom set to e.ID.
func Renewal(e *ledger.Entry, now, expiry time.Time) (*token.License, []byte, error) {
	if e.Kind != ledger.KindLicense {
		return nil, nil, fmt.Errorf("issue: %s is a %s, not a license: only licenses are renewed", e.ID, e.Kind)
	}
	m, err := token.ParseMessage(e.Raw)
	if err != nil {
		return nil, nil, fmt.Errorf("issue: entry %s: %w", e.ID, err)
	}
	old, err := token.DecodeLicense(m.Payload)
	if err != nil {
		return nil, nil, fmt.Errorf("issue: entry %s: %w", e.ID, err)
	}
	if old.Expiry.IsZero() {
		return nil, nil, errors.New("issue: the license is perpetual: there is nothing to renew")
	}
	if !expiry.After(now) {
		return nil, nil, fmt.Errorf("issue: the new expiry %s is not after now", expiry.UTC().Format(time.RFC3339))
	}
	id, err := token.NewID(nil)
	if err != nil {
		return nil, nil, err
	}
	l := *old
	l.ID, l.IssuedAt, l.Expiry, l.Constraint = id, now.UTC().Truncate(time.Second), expiry.UTC().Truncate(time.Second), nil
	if !l.NotBefore.After(now) {
		l.NotBefore = time.Time{}
	}
	var grant []byte
	if m.Header.Grant != nil {
		grant = m.Header.Grant.Raw
		if g, err := token.DecodeGrant(m.Header.Grant.Payload); err == nil && g.Subject == g.Issuer {
			grant = nil // a rotation grant: the renewal gets the current one
		}
	}
	return &l, grant, nil
}

// RenewalStart returns when the days of a renewal start counting: the old
// expiry while it is ahead, so that renewing early loses no day, else now.
func RenewalStart(e *ledger.Entry, now time.Time) time.Time {
	if e.Expiry.After(now) {
		return e.Expiry
	}
	return now
}

// RenewRequest is a renewal to issue.
type RenewRequest struct {
	Old    *ledger.Entry // the license renewed
	Expiry time.Time     // the renewal's expiry
	// Change, when set, changes the terms of the renewal (an upsell at
	// renewal: tier, limits, scopes): it receives the renewal with the
	// old terms and the new expiry, and edits it.
	Change func(l *token.License) error
	// Order is the order reference of the renewal; "" for none. An order
	// already recorded as the same renewal returns it again.
	Order           string
	NoRotationGrant bool
	Out             Out
}

// Renew issues the renewal of a license: the old terms (changed by
// req.Change), a new id and expiry, recorded as renewing req.Old. The
// grant the old license was issued under goes with it; a rotation grant
// is replaced by the one current now.
func (is *Issuer) Renew(ctx context.Context, req *RenewRequest) (*Result, error) {
	old := req.Old
	build := func(now time.Time) (*token.License, []byte, error) {
		lic, grant, err := Renewal(old, now, req.Expiry)
		if err != nil {
			return nil, nil, err
		}
		if req.Change != nil {
			if err := req.Change(lic); err != nil {
				return nil, nil, err
			}
		}
		return lic, grant, nil
	}
	lic, grant, err := build(is.now())
	if err != nil {
		return nil, err
	}
	if lic.Issuer != is.Name {
		return nil, fmt.Errorf("issue: %s is a license of issuer %q; the key is one of %q", old.ID, lic.Issuer, is.Name)
	}
	return is.License(ctx, &LicenseRequest{
		License: lic, Grant: grant, NoRotationGrant: req.NoRotationGrant, Order: req.Order, RenewedFrom: old.ID, Out: req.Out,
		AskedAt: func(now time.Time) (*token.License, error) {
			l, _, err := build(now)
			return l, err
		},
	})
}

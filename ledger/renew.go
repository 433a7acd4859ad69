package ledger

import (
	"errors"
	"fmt"
	"time"

	"github.com/licet/licet/token"
)

// Renewal returns the license that renews the license entry e: the same
// terms (issuer, subject, products, tier, scopes, versions, limits, rights,
// binding, grace, metadata), a new id, issued at now, expiring at expiry,
// and the raw grant it was issued under (nil for none), to embed again. A
// not-before date that has passed is dropped. The caller signs it and
// records it with RenewedFrom set to e.ID.
func Renewal(e *Entry, now, expiry time.Time) (*token.License, []byte, error) {
	if e.Kind != KindLicense {
		return nil, nil, fmt.Errorf("ledger: %s is a %s, not a license: only licenses are renewed", e.ID, e.Kind)
	}
	m, err := token.ParseMessage(e.Raw)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: entry %s: %w", e.ID, err)
	}
	old, err := token.DecodeLicense(m.Payload)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: entry %s: %w", e.ID, err)
	}
	if old.Expiry.IsZero() {
		return nil, nil, errors.New("ledger: the license is perpetual: there is nothing to renew")
	}
	if !expiry.After(now) {
		return nil, nil, fmt.Errorf("ledger: the new expiry %s is not after now", expiry.UTC().Format(time.RFC3339))
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
	}
	return &l, grant, nil
}

// RenewalStart returns when the days of a renewal start counting: the old
// expiry while it is ahead, so that renewing early loses no day, else now.
func RenewalStart(e *Entry, now time.Time) time.Time {
	if e.Expiry.After(now) {
		return e.Expiry
	}
	return now
}

package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// Status is the outcome of auditing one license seen in the field.
type Status string

// The statuses of [Audit].
const (
	// Reported: a partner's report holds this exact license.
	Reported Status = "reported"
	// Issued: the vendor issued it itself (it is in the ledger, not from
	// a report).
	Issued Status = "issued"
	// Missing: a license signed by a partner under one of the vendor's
	// grants that no report holds: evidence of under-reporting.
	Missing Status = "missing"
	// Differs: a report holds a license with the same id but other bytes
	// (other terms): the one in the field was not reported.
	Differs Status = "differs"
	// Foreign: neither issued through this ledger nor under one of its
	// grants.
	Foreign Status = "foreign"
	// Invalid: not a license, or a signature that does not verify: no
	// evidence of anything.
	Invalid Status = "invalid"
)

// Unreported reports whether the status is evidence of under-reporting.
func (s Status) Unreported() bool { return s == Missing || s == Differs }

// Seen is a license seen in the field: its raw bytes and where it was
// found, for messages.
type Seen struct {
	Name string
	Raw  []byte // COSE_Sign1 bytes (see token.Unarmor)
}

// Finding is the audit of one license.
type Finding struct {
	Name      string
	Status    Status
	LicenseID string
	Subject   string
	Tier      string
	Partner   string
	GrantID   string
	Issued    time.Time
	// Index is the license's position in the partner's log (Reported).
	Index int64
	// Detail says why, for people.
	Detail string
}

// Audit looks up licenses seen in the field in the vendor's ledger: those
// a partner signed under one of the vendor's grants must be in an
// ingested report, byte for byte; the others are reported as issued by
// the vendor, foreign or invalid.
func Audit(ctx context.Context, led *ledger.Ledger, seen []Seen) ([]*Finding, error) {
	out := make([]*Finding, 0, len(seen))
	for _, s := range seen {
		f, err := audit(ctx, led, s)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func audit(ctx context.Context, led *ledger.Ledger, s Seen) (*Finding, error) {
	f := &Finding{Name: s.Name, Index: -1}
	m, err := token.ParseMessage(s.Raw)
	if err != nil {
		f.Status, f.Detail = Invalid, "not a signed licet object: "+strings.TrimPrefix(err.Error(), "token: ")
		return f, nil
	}
	if m.Header.Typ != token.TypeLicense {
		f.Status, f.Detail = Invalid, "a "+kindOf(m.Header.Typ)+", not a license"
		return f, nil
	}
	lic, err := token.DecodeLicense(m.Payload)
	if err != nil {
		f.Status, f.Detail = Invalid, "not a valid license: "+strings.TrimPrefix(err.Error(), "token: ")
		return f, nil
	}
	f.LicenseID, f.Subject, f.Tier, f.Issued = hexID(lic.ID), lic.Subject, lic.Tier, lic.IssuedAt
	if m.Header.Grant == nil {
		return auditDirect(ctx, led, f, s.Raw)
	}
	g, err := token.DecodeGrant(m.Header.Grant.Payload)
	if err != nil {
		f.Status, f.Detail = Invalid, "it carries an invalid grant"
		return f, nil
	}
	f.GrantID, f.Partner = hexID(g.ID), g.Subject
	_, grantRaw, err := vendorGrant(ctx, led, f.GrantID)
	if CodeOf(err) == CodeUnknownGrant {
		f.Status, f.Detail = Foreign, fmt.Sprintf("under grant %s from %q, which is not in the ledger", f.GrantID, g.Issuer)
		return f, nil
	} else if err != nil {
		return nil, err
	}
	if !bytes.Equal(grantRaw, m.Header.Grant.Raw) {
		f.Status, f.Detail = Invalid, "it carries a grant whose bytes differ from the ledger's: a forgery"
		return f, nil
	}
	if _, _, err := verify.LicenseUnderGrant(m); err != nil {
		f.Status, f.Detail = Invalid, "its signature does not verify under the grant's key: a forgery, not the partner's"
		if c := verify.CodeOf(err); c != verify.CodeBadSignature && c != verify.CodeGrantViolation {
			f.Detail = "not a license under its grant: " + strings.TrimPrefix(err.Error(), "verify: ")
		}
		return f, nil
	}
	return auditPartner(ctx, led, f, s.Raw, g, lic)
}

// auditDirect audits a license without a grant.
func auditDirect(ctx context.Context, led *ledger.Ledger, f *Finding, raw []byte) (*Finding, error) {
	e, err := led.GetUnder(ctx, "", f.LicenseID)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		f.Status, f.Detail = Foreign, "issued without a grant, and not through this ledger"
	case err != nil:
		return nil, err
	case !bytes.Equal(e.Raw, raw):
		f.Status, f.Detail = Invalid, "the ledger holds another license under this id"
	default:
		f.Status, f.Detail = Issued, fmt.Sprintf("issued by %s, entry %d of log %s", e.Issuer, e.Index, e.KID)
	}
	return f, nil
}

// auditPartner audits a license signed by a partner under one of the
// vendor's grants.
func auditPartner(ctx context.Context, led *ledger.Ledger, f *Finding, raw []byte, g *token.Grant, lic *token.License) (*Finding, error) {
	outside := ""
	if v := verify.Violations(g, lic); len(v) > 0 {
		outside = "; it is also outside its grant: " + strings.Join(v, "; ")
	}
	kid := hexID(token.KeyID(g.Key))
	e, err := led.GetUnder(ctx, f.GrantID, f.LicenseID) // ids are unique per grant only
	switch {
	case err == nil && bytes.Equal(e.Raw, raw):
		if _, cerr := led.LastCheckpoint(ctx, kid); errors.Is(cerr, ledger.ErrNotFound) {
			// Recorded here, not from a report: signed with a key of this
			// ledger under a self-grant (a rotated key).
			f.Status, f.Detail = Issued, fmt.Sprintf("issued by %s under grant %s, entry %d of log %s", e.Issuer, f.GrantID, e.Index, e.KID)
			return f, nil
		}
		f.Status, f.Index = Reported, e.Index
		f.Detail = fmt.Sprintf("entry %d of the log of %s's key %s", e.Index, f.Partner, kid)
		return f, nil
	case err == nil:
		f.Status = Differs
		f.Detail = fmt.Sprintf("a report holds a license with this id but other terms (tier %q, licensee %q, issued %s): this one was not reported%s",
			e.Tier, e.Subject, e.IssuedAt.Format(time.DateOnly), outside)
		return f, nil
	case !errors.Is(err, ledger.ErrNotFound):
		return nil, err
	}
	f.Status = Missing
	last, err := led.LastCheckpoint(ctx, kid)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		f.Detail = fmt.Sprintf("%s has reported nothing of key %s", f.Partner, kid)
	case err != nil:
		return nil, err
	case f.Issued.Before(last.Recorded):
		f.Detail = fmt.Sprintf("issued %s, before the last report was ingested (%s, %d entries, %s): under-reported",
			f.Issued.Format(time.DateOnly), last.Recorded.Format(time.DateOnly), last.Size, last.Source)
	default:
		f.Detail = fmt.Sprintf("issued %s, after the last report was ingested (%s, %d entries): the next report should hold it",
			f.Issued.Format(time.DateOnly), last.Recorded.Format(time.DateOnly), last.Size)
	}
	f.Detail += outside
	return f, nil
}

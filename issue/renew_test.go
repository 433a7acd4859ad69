package issue_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

func TestRenewal(t *testing.T) {
	vendor, partner := testKey(t, "acme"), testKey(t, "globex")
	grant := mintGrant(t, vendor, partner)
	id, _ := token.NewID(nil)
	old := &token.License{
		Issuer: "globex", Subject: "c", Audience: []string{"acme-db"}, Tier: "pro", Scopes: []string{"api:read"},
		Limits: map[string]uint64{"seats": 3}, Rights: []string{"embed"}, Meta: map[string]string{"k": "v"},
		Grace: time.Hour, IssuedAt: t0, NotBefore: t0, Expiry: t0.Add(48 * time.Hour), ID: id, Versions: ">= 1.0",
	}
	raw, err := token.SignLicense(partner.Signer(), old, grant)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ledger.Describe(raw)
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(24 * time.Hour)
	if got := issue.RenewalStart(e, now); !got.Equal(old.Expiry) {
		t.Errorf("RenewalStart before expiry = %v, want the old expiry", got)
	}
	if got := issue.RenewalStart(e, t0.Add(72*time.Hour)); !got.Equal(t0.Add(72 * time.Hour)) {
		t.Errorf("RenewalStart after expiry = %v, want now", got)
	}
	exp := old.Expiry.Add(365 * 24 * time.Hour)
	l, g, err := issue.Renewal(e, now, exp)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(l.ID, old.ID) || !l.IssuedAt.Equal(now) || !l.Expiry.Equal(exp) || !l.NotBefore.IsZero() {
		t.Errorf("renewal: id %x iat %v exp %v nbf %v", l.ID, l.IssuedAt, l.Expiry, l.NotBefore)
	}
	if l.Subject != "c" || l.Tier != "pro" || l.Limits["seats"] != 3 || l.Meta["k"] != "v" || l.Grace != time.Hour ||
		l.Versions != ">= 1.0" || l.Rights[0] != "embed" || l.Scopes[0] != "api:read" || l.Issuer != "globex" {
		t.Errorf("renewal changed the terms: %+v", l)
	}
	if !bytes.Equal(g, grant) {
		t.Error("the grant is not carried over byte for byte")
	}
	if _, err := token.SignLicense(partner.Signer(), l, g); err != nil {
		t.Errorf("the renewal does not sign: %v", err)
	}
	// A not-before still ahead is kept.
	if l, _, _ := issue.Renewal(e, t0.Add(-time.Hour), exp); !l.NotBefore.Equal(t0) {
		t.Errorf("a future nbf was dropped: %v", l.NotBefore)
	}

	bad := []struct {
		name string
		e    *ledger.Entry
		exp  time.Time
		want string
	}{
		{"perpetual", describe(t, mintLicense(t, vendor, "p", 0, nil)), exp, "perpetual"},
		{"a grant", describe(t, grant), exp, "not a license"},
		{"expiry in the past", e, now.Add(-time.Hour), "not after now"},
	}
	for _, b := range bad {
		if _, _, err := issue.Renewal(b.e, now, b.exp); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: %v, want %q", b.name, err, b.want)
		}
	}
}

func describe(t *testing.T, raw []byte) *ledger.Entry {
	t.Helper()
	e, err := ledger.Describe(raw)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

package verify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// TestSiteLeaseViolations checks the rules a site grant adds for the
// licenses under it (leases): bound, an expiry, no grace, a life of at
// most the longest lease (or borrow, when borrowing is allowed).
func TestSiteLeaseViolations(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	grant := func(site token.Site) *token.Grant {
		return &token.Grant{Issuer: "acme", Subject: "site-hq", Audience: []string{"widget"},
			IssuedAt: now.Add(-time.Hour), Expiry: now.Add(365 * 24 * time.Hour), Tiers: []string{"*"}, Site: &site}
	}
	lease := func(life time.Duration, edit func(*token.License)) *token.License {
		l := &token.License{Issuer: "site-hq", Subject: "hq", Audience: []string{"widget"}, Tier: "pro",
			IssuedAt: now, Expiry: now.Add(life), Bind: map[string]string{"host": "abc"}}
		if edit != nil {
			edit(l)
		}
		return l
	}
	plain := token.Site{Seats: 10, Lease: time.Hour}
	borrow := token.Site{Seats: 10, Lease: time.Hour, Borrow: 72 * time.Hour, Borrows: 2}
	for name, c := range map[string]struct {
		site token.Site
		lic  *token.License
		want string // "" = within the grant
	}{
		"lease at the longest":     {plain, lease(time.Hour, nil), ""},
		"lease a second too long":  {plain, lease(time.Hour+time.Second, nil), "longer than the site grant allows"},
		"borrow within the cap":    {borrow, lease(72*time.Hour, nil), ""},
		"borrow beyond the cap":    {borrow, lease(73*time.Hour, nil), "longer than the site grant allows"},
		"borrow without borrowing": {plain, lease(2*time.Hour, nil), "longer than the site grant allows"},
		"unbound":                  {plain, lease(time.Hour, func(l *token.License) { l.Bind = nil }), "must be bound"},
		"grace":                    {plain, lease(time.Hour, func(l *token.License) { l.Grace = time.Minute }), "grace period"},
		"perpetual":                {plain, lease(0, func(l *token.License) { l.Expiry = time.Time{} }), "perpetual license"},
	} {
		v := verify.Violations(grant(c.site), c.lic)
		got := strings.Join(v, "; ")
		switch {
		case c.want == "" && len(v) > 0:
			t.Errorf("%s: violations %q, want none", name, got)
		case c.want != "" && !strings.Contains(got, c.want):
			t.Errorf("%s: violations %q, want one containing %q", name, got, c.want)
		}
	}
}

package vectors

import (
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/licet/licet/token"
)

// siteGrant returns a site grant (FORMAT section 4, "site"; issue 22): acme
// lets the lease server of site-hq (the partner key) hand out leases of
// acme-db tier pro, scopes api:*, 10 seats, leases of at most an hour. A
// nil site is a grant without the claim, for vectors that add it by hand.
func siteGrant(name string, site *token.Site) *token.Grant {
	return &token.Grant{
		Issuer:   "acme",
		Subject:  "site-hq",
		Audience: []string{"acme-db"},
		IssuedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Expiry:   time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		ID:       ID("grant " + name),
		Key:      PublicKey(KeyPartner),
		Tiers:    []string{"pro"},
		Scopes:   []string{"api:*"},
		Site:     site,
	}
}

// issuerCeilings sets what licet grant sets on every site grant, for
// verifiers older than "site": maxlife = the longest lease, maxgrace = 0.
func issuerCeilings(g *token.Grant) *token.Grant {
	g.MaxLife = durationPtr(g.Site.MaxLease())
	g.MaxGrace = durationPtr(0)
	return g
}

// lease returns a lease the site's server hands out: bound to host
// fp-7f3a, issued ten minutes before the vectors' now, for life.
func lease(name string, life time.Duration) *token.License {
	iat := tNow.Add(-10 * time.Minute)
	return &token.License{
		Issuer:   "site-hq",
		Subject:  "customer-hq",
		Audience: []string{"acme-db"},
		IssuedAt: iat,
		Expiry:   iat.Add(life),
		ID:       ID(name),
		Tier:     "pro",
		Scopes:   []string{"api:read"},
		Bind:     map[string]string{"host": "fp-7f3a"},
		Meta:     map[string]string{"site_seq": "42"},
	}
}

// siteGrantWith signs a site grant whose "site" claim is written by hand
// (any CBOR value), bypassing the issuer's checks.
func siteGrantWith(name string, site any) []byte {
	var m map[any]any
	if err := cbor.Unmarshal(must(siteGrant(name, nil).MarshalClaims()), &m); err != nil {
		panic(genError{err})
	}
	m["site"] = site
	return must(token.Sign(PrivateKey(KeyVendor), token.TypeGrant, marshal(m)))
}

// siteSpecs are the vectors of site grants and the leases under them: a
// lease is bound, expires, has no grace and lives (exp - iat) at most the
// longest lease, or the longest borrow when the grant allows borrowing;
// the "site" claim is read strictly.
func siteSpecs() []*spec {
	var out []*spec
	add := func(s *spec) *spec {
		s.bind = []string{"host=fp-7f3a"}
		s.scopes = []string{"api:read"}
		out = append(out, s)
		return s
	}
	hour, week := time.Hour, 7*24*time.Hour
	plain := &token.Site{Seats: 10, Lease: hour}
	borrowing := &token.Site{Seats: 10, Lease: hour, Borrow: week, Borrows: 2}
	// As licet grant makes them: maxlife = the longest lease, maxgrace 0.
	issued := signGrant(KeyVendor, issuerCeilings(siteGrant("site issued", borrowing)))
	// Without maxlife and maxgrace: only the site rules bound the leases,
	// so a verifier that ignores "site" accepts what these vectors refuse.
	bare := signGrant(KeyVendor, siteGrant("site bare", plain))
	bareBorrowing := signGrant(KeyVendor, siteGrant("site bare borrowing", borrowing))
	sign := func(l *token.License, g []byte) []byte { return signLicense(KeyPartner, l, g) }

	add(vec("valid-site-lease", ExpectValid,
		"A lease of exactly one hour (exp - iat), bound to this machine, without grace, under a site grant of 10 seats and leases of at most an hour\n(the grant also carries maxlife 7 days and maxgrace 0, as issuers of site grants set them).",
		sign(lease("valid-site-lease", hour), issued)))
	bl := lease("valid-site-borrow", week)
	bl.IssuedAt, bl.Expiry = tNow.Add(-24*hour), tNow.Add(6*24*hour)
	bl.Meta["lease"] = "borrow"
	add(vec("valid-site-borrow", ExpectValid,
		"A borrowed seat: a lease of exactly 7 days, the grant's longest borrow (borrow 7 days, borrows 2).",
		sign(bl, issued)))

	add(vec("grant-violation-site-lease-too-long", "grant_violation",
		"A lease of one hour and one second; the site grant's longest lease is an hour and it allows no borrowing (no maxlife: only the site rule catches it).",
		sign(lease("grant-violation-site-lease-too-long", hour+time.Second), bare)))
	add(vec("grant-violation-site-borrow-too-long", "grant_violation",
		"A borrowed lease of 7 days and one second; the site grant's longest borrow is 7 days (no maxlife: only the site rule catches it).",
		sign(lease("grant-violation-site-borrow-too-long", week+time.Second), bareBorrowing)))
	nb := lease("grant-violation-site-borrow-not-allowed", 2*24*hour)
	nb.Meta["lease"] = "borrow"
	add(vec("grant-violation-site-borrow-not-allowed", "grant_violation",
		"A borrowed lease of 2 days under a site grant without borrow and borrows: its leases live at most an hour.",
		sign(nb, bare)))
	add(vec("grant-violation-site-borrow-without-borrows", "grant_violation",
		"The site claim has borrow (7 days) but no borrows: borrowing needs both, so leases live at most the hour of lease; a 2-day lease is refused.",
		sign(lease("grant-violation-site-borrow-without-borrows", 2*24*hour),
			siteGrantWith("site borrow only", map[string]any{"seats": 10, "lease": 3600, "borrow": 604800}))))
	ub := lease("grant-violation-site-unbound", hour)
	ub.Bind = nil
	add(vec("grant-violation-site-unbound", "grant_violation",
		"A lease without bind: a lease under a site grant must be bound to a machine.",
		sign(ub, bare)))
	gl := lease("grant-violation-site-grace", hour)
	gl.Grace = time.Minute
	add(vec("grant-violation-site-grace", "grant_violation",
		"A one-hour lease with a minute of grace: a lease under a site grant may not have a grace period (no maxgrace: only the site rule catches it).",
		sign(gl, bare)))

	// The "site" claim is strict: exactly the four members, seats and
	// lease present and at least 1, unsigned integers.
	for _, c := range []struct {
		name, comment string
		site          any
	}{
		{"grant-invalid-site-unknown-member", "The grant's site claim has a member queue besides seats and lease: no other member is allowed.",
			map[string]any{"seats": 10, "lease": 3600, "queue": 5}},
		{"grant-invalid-site-seats-zero", "The grant's site claim has seats 0: at least one seat.",
			map[string]any{"seats": 0, "lease": 3600}},
		{"grant-invalid-site-seats-missing", "The grant's site claim has no seats.",
			map[string]any{"lease": 3600}},
		{"grant-invalid-site-lease-zero", "The grant's site claim has lease 0: at least one second.",
			map[string]any{"seats": 10, "lease": 0}},
		{"grant-invalid-site-seats-text", "The grant's site claim has seats \"10\", a text string, not an unsigned integer.",
			map[string]any{"seats": "10", "lease": 3600}},
		{"grant-invalid-site-lease-negative", "The grant's site claim has lease -3600, a negative integer.",
			map[string]any{"seats": 10, "lease": -3600}},
		{"grant-invalid-site-not-a-map", "The grant's site claim is an array [10, 3600], not a map.",
			[]any{10, 3600}},
		{"grant-invalid-site-member-case", "The grant's site claim has Seats (capital S) beside seats: member names are case-sensitive, so Seats is an unknown member.",
			map[string]any{"Seats": 10, "seats": 10, "lease": 3600}},
	} {
		add(vec(c.name, "grant_invalid", c.comment,
			sign(lease(c.name, hour), siteGrantWith(c.name, c.site))))
	}
	return out
}

package vectors

import (
	"time"

	"github.com/licet/licet/token"
)

// fallbackSpecs are the vectors of perpetual fallback (the "fallback"
// claim, FORMAT sections 3 and 8 step 11; issue 17): a license that
// expired on 2026-03-01, checked on 2026-06-01 by builds of various
// release dates.
func fallbackSpecs() []*spec {
	var out []*spec
	add := func(s *spec) *spec { out = append(out, s); return s }
	exp := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	fl := func(name string, edit ...func(*token.License)) []byte {
		l := license(name)
		l.Expiry = exp
		l.Fallback = true
		for _, e := range edit {
			e(l)
		}
		return signLicense(KeyVendor, l, nil)
	}

	s := add(vec("valid-fallback", ExpectValid,
		"Expired on 2026-03-01 with perpetual fallback; this build was released on 2026-02-15, before the expiry: valid, flagged fallback (updates released after the expiry are not covered).",
		fl("valid-fallback")))
	s.build, s.fallbk = time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC), true

	s = add(vec("valid-fallback-build-at-expiry", ExpectValid,
		"Perpetual fallback; the build date is exactly the expiry (2026-03-01T00:00:00Z): covered (build date <= exp, no leeway).",
		fl("valid-fallback-build-at-expiry")))
	s.build, s.fallbk = exp, true

	s = add(vec("valid-fallback-in-grace", ExpectValid,
		"Perpetual fallback and 120 days of grace, still in grace on 2026-06-01; the build was released after the expiry: in grace as any license, fallback not used.",
		fl("valid-fallback-in-grace", func(l *token.License) { l.Grace = 120 * 24 * time.Hour })))
	s.build, s.inGrace = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), true

	s = add(vec("expired-fallback-build-after-expiry", "expired",
		"Perpetual fallback; this build was released on 2026-03-01T00:00:01Z, one second after the expiry: not covered.",
		fl("expired-fallback-build-after-expiry")))
	s.build = exp.Add(time.Second)

	add(vec("expired-fallback-no-build-date", "expired",
		"Perpetual fallback, but the verifier is given no build date: expired as any license.",
		fl("expired-fallback-no-build-date")))

	s = add(vec("expired-fallback-build-in-grace", "expired",
		"Perpetual fallback and 30 days of grace, both over; the build was released on 2026-03-10, during grace but after the expiry: not covered (grace does not extend the fallback).",
		fl("expired-fallback-build-in-grace", func(l *token.License) { l.Grace = 30 * 24 * time.Hour })))
	s.build = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

	s = add(vec("version-not-covered-fallback", "version_not_covered",
		"Perpetual fallback covers the build (released 2026-02-15), but versions >= 2.0, < 3.0 does not cover 3.0.0: versions still apply.",
		fl("version-not-covered-fallback")))
	s.build, s.version = time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC), "3.0.0"

	c := claims("malformed-fallback-int")
	c["fallback"] = 1
	s = add(mal("malformed-fallback-int", StageClaims, "fallback is the integer 1, not true or false.",
		signClaims(KeyVendor, marshal(c))))
	s.build = time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC)

	pl := partnerLicense("grant-violation-fallback")
	pl.Fallback = true
	s = add(vec("grant-violation-fallback", "grant_violation",
		"A license under a grant carries perpetual fallback: no grant allows it (it would outlive the grant's expiry). Not expired yet; refused anyway.",
		signLicense(KeyPartner, pl, signGrant(KeyVendor, grant("base")))))
	s.build = time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC)
	return out
}

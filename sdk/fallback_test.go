package sdk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// TestPerpetualFallback (issue 17): with Config.BuildDate at or before
// the expiry, a license with perpetual fallback stays in effect after its
// expiry and grace, by the clock alone (nobody polling) and after a
// reload, with Status.Fallback and one warning; a later build, or no build
// date, expires as before.
func TestPerpetualFallback(t *testing.T) {
	v := newVendor(t, "vendor")
	exp := t0.Add(time.Hour)
	leeway := verify.DefaultLeeway
	tok := v.mint(v.license(func(l *token.License) { l.Expiry = exp; l.Grace = 24 * time.Hour; l.Fallback = true }))
	after := exp.Add(leeway + 24*time.Hour + time.Second)
	for _, tc := range []struct {
		name   string
		build  time.Time
		allows bool
	}{
		{"build before expiry", exp.Add(-30 * 24 * time.Hour), true},
		{"build at expiry", exp, true},
		{"build after expiry", exp.Add(time.Second), false},
		{"no build date", time.Time{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v.clock.Set(t0)
			cfg := v.config()
			cfg.BuildDate = tc.build
			write(t, cfg.LicensePath, tok)
			lic := mustLoad(t, cfg)
			if st := lic.Status(); st.Fallback || len(st.Warnings) != 0 {
				t.Fatalf("before expiry: %+v", st)
			}
			v.clock.Set(exp.Add(leeway + time.Hour))
			if !lic.Allows("api:read") || !lic.InGrace() || lic.Status().Fallback {
				t.Fatalf("in grace: allows %v, in grace %v, %+v", lic.Allows("api:read"), lic.InGrace(), lic.Status())
			}
			for _, reload := range []bool{false, true} {
				v.clock.Set(after)
				if reload {
					lic.Reload()
				}
				st := lic.Status()
				if lic.Allows("api:read") != tc.allows || st.Licensed != tc.allows || st.Fallback != tc.allows || lic.InGrace() {
					t.Fatalf("after grace (reload %v): allows %v, %+v", reload, lic.Allows("api:read"), st)
				}
				if !tc.allows {
					if sdk.CodeOf(lic.Err()) != "expired" {
						t.Fatalf("after grace (reload %v): err %v, want expired", reload, lic.Err())
					}
					continue
				}
				n := 0
				for _, w := range st.Warnings {
					if strings.Contains(w, "updates released after the expiry are not covered") {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("after grace (reload %v): warnings %q, want one fallback warning", reload, st.Warnings)
				}
			}
		})
	}
}

package policy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/policy"
)

// TestTemplatePerpetualFallback (issue 17): perpetual_fallback = true in a
// template makes its licenses carry the "fallback" claim; with perpetual
// = true it is an error (nothing to fall back from).
func TestTemplatePerpetualFallback(t *testing.T) {
	p, err := policy.Parse([]byte("[templates.pro]\nproducts = [\"a\"]\ndays = 365\nperpetual_fallback = true\n\n[templates.basic]\nproducts = [\"a\"]\ndays = 30\n"), "licet.toml")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	pro, _ := p.Template("pro")
	if !pro.PerpetualFallback || !pro.License("c", now).Fallback {
		t.Errorf("pro = %+v, license fallback %v", pro, pro.License("c", now).Fallback)
	}
	basic, _ := p.Template("basic")
	if basic.PerpetualFallback || basic.License("c", now).Fallback {
		t.Errorf("basic = %+v", basic)
	}
	_, err = policy.Parse([]byte("[templates.pro]\nproducts = [\"a\"]\nperpetual = true\nperpetual_fallback = true\n"), "licet.toml")
	if err == nil || !strings.Contains(err.Error(), "perpetual_fallback needs an expiry") {
		t.Errorf("perpetual with perpetual_fallback: %v", err)
	}
}

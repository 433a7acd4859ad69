package policy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/policy"
)

func TestStripeSection(t *testing.T) {
	p, err := policy.Parse([]byte(good+`
[stripe]
secret_file = "stripe.secret"
subject     = "customer"
on_cancel   = "revoke"
tolerance   = "10m"

[stripe.prices]
price_1PqRsTuVwXyZ = "pro"
price_trial        = "trial"
`), "licet.toml")
	if err != nil {
		t.Fatal(err)
	}
	s := p.Stripe
	if s == nil || s.SecretFile != "stripe.secret" || s.Subject != policy.SubjectCustomer || s.OnCancel != policy.CancelRevoke ||
		s.Tolerance != 10*time.Minute || s.NextUpdate != policy.DefaultStripeNextUpdate || s.IgnoreUnknownPrices ||
		s.Prices["price_1PqRsTuVwXyZ"] != "pro" || s.Prices["price_trial"] != "trial" {
		t.Errorf("stripe = %+v", s)
	}

	p, err = policy.Parse([]byte(good+"[stripe]\nsecret = \"whsec_abcdefgh12345678\"\nunknown_price = \"ignore\"\nprices = { price_a = \"pro\" }\n"), "licet.toml")
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Stripe; s.Subject != policy.SubjectEmail || s.OnCancel != policy.CancelExpire || s.Tolerance != policy.DefaultStripeTolerance || !s.IgnoreUnknownPrices {
		t.Errorf("defaults = %+v", s)
	}
	if p, _ := policy.Parse([]byte(good), "licet.toml"); p.Stripe != nil {
		t.Errorf("no [stripe] table: Stripe = %+v", p.Stripe)
	}
}

func TestStripeSectionBad(t *testing.T) {
	_, err := policy.Parse([]byte(good+`
[stripe]
secret      = "sk_live_notawebhooksecret"
subject     = "name"
on_cancel   = "refund"
unknown_price = "drop"
tolerance   = "a while"
next_update = "10m"
colour      = "blue"

[stripe.prices]
"price with spaces" = "pro"
price_b             = "enterprise"
`), "licet.toml")
	if err == nil {
		t.Fatal("no error")
	}
	// An unknown key is reported alone (before the checks).
	if !strings.Contains(err.Error(), "unknown keys: stripe.colour") {
		t.Errorf("err = %v", err)
	}
	_, err = policy.Parse([]byte(good+`
[stripe]
secret      = "sk_live_notawebhooksecret"
subject     = "name"
on_cancel   = "refund"
unknown_price = "drop"
tolerance   = "a while"
next_update = "10m"

[stripe.prices]
"price with spaces" = "pro"
price_b             = "enterprise"
`), "licet.toml")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"stripe: secret is not a webhook signing secret (whsec_...)",
		`stripe: price "price with spaces" is not a Stripe price id`,
		`stripe: price price_b: no template "enterprise"`,
		`stripe: subject "name": email or customer`,
		`stripe: on_cancel "refund": revoke or expire`,
		`stripe: unknown_price "drop": retry or ignore`,
		`stripe: tolerance "a while" is not a DURATION`,
		"stripe: next_update 10m: at least 1h",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "sk_live_notawebhooksecret") {
		t.Errorf("the secret's value is in the error: %v", err)
	}
	for _, tc := range []struct{ toml, want string }{
		{"[stripe]\nprices = { price_a = \"pro\" }\n", "give secret_file"},
		{"[stripe]\nsecret_file = \"f\"\nsecret = \"whsec_abcdefgh12345678\"\nprices = { price_a = \"pro\" }\n", "exclude each other"},
		{"[stripe]\nsecret_file = \"f\"\n", "[stripe.prices] is required"},
	} {
		if _, err := policy.Parse([]byte(good+tc.toml), "licet.toml"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.toml, err, tc.want)
		}
	}
}

package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Stripe is the [stripe] table of a policy file: how the Stripe webhook
// endpoint of 'licet serve' (package billing) turns a vendor's Stripe
// events into licenses.
//
//	[stripe]
//	secret_file = "stripe-webhook.secret"  # the endpoint's signing secret(s), one a line
//	subject     = "email"                  # the licensee: "email" (default) or "customer" (cus_...)
//	on_cancel   = "revoke"                 # customer.subscription.deleted: "revoke" or "expire" (default)
//	unknown_price = "retry"                # a price not below: "retry" (default) or "ignore"
//	tolerance   = "5m"                     # how old a signature may be (Stripe's default: 5m)
//	next_update = "30d"                    # next update of a revocation list signed on cancel
//
//	[stripe.prices]
//	price_1PqRsTuVwXyZ = "pro"             # a Stripe price id -> a template
//	price_1AbCdEfGhIjK = "team"
//
// The signing secret is never written in the policy file itself unless
// as secret = "whsec_..." (a file readable by its owner only is
// better); several secrets (one a line in the file) are all accepted,
// for the time a rolled secret overlaps the old one.
type Stripe struct {
	// SecretFile holds the endpoint's signing secrets, one a line; a
	// relative path is relative to the policy file's directory.
	SecretFile string
	// Secret is a signing secret given in the policy file itself.
	Secret string
	// Prices maps a Stripe price id to the name of a template.
	Prices map[string]string
	// Subject is where a license's subject comes from: SubjectEmail or
	// SubjectCustomer.
	Subject string
	// OnCancel is what a deleted subscription does to its licenses:
	// CancelRevoke or CancelExpire.
	OnCancel string
	// IgnoreUnknownPrices answers 200 to an event for a price that
	// Prices does not list (logged); otherwise the endpoint answers an
	// error so that Stripe delivers it again (for up to three days)
	// until the price is mapped.
	IgnoreUnknownPrices bool
	// Tolerance is how old a signature's timestamp may be.
	Tolerance time.Duration
	// NextUpdate is the next update of a revocation list signed when a
	// subscription is deleted, from its signing.
	NextUpdate time.Duration
}

// The values of Stripe.Subject and Stripe.OnCancel.
const (
	SubjectEmail    = "email"    // the customer's email address
	SubjectCustomer = "customer" // the Stripe customer id, cus_...
	CancelRevoke    = "revoke"   // revoke every license of the subscription
	CancelExpire    = "expire"   // let them run to their expiry
)

// The defaults of the [stripe] table.
const (
	DefaultStripeTolerance  = 5 * time.Minute
	DefaultStripeNextUpdate = 30 * 24 * time.Hour
)

type stripeWire struct {
	SecretFile   string            `toml:"secret_file"`
	Secret       string            `toml:"secret"`
	Prices       map[string]string `toml:"prices"`
	Subject      string            `toml:"subject"`
	OnCancel     string            `toml:"on_cancel"`
	UnknownPrice string            `toml:"unknown_price"`
	Tolerance    string            `toml:"tolerance"`
	NextUpdate   string            `toml:"next_update"`
}

// validPriceID reports whether id looks like a Stripe price id: 1 to 255
// letters, digits and underscores. (No package-level regexp: policy is
// initialised by every command.)
func validPriceID(id string) bool {
	return len(id) >= 1 && len(id) <= 255 && strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == ""
}

// checkStripe checks the [stripe] table; templates are checked first.
func (p *Policy) checkStripe(w *stripeWire) (*Stripe, []string) {
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, "stripe: "+fmt.Sprintf(format, args...))
	}
	s := &Stripe{SecretFile: w.SecretFile, Secret: w.Secret, Prices: map[string]string{}, Subject: w.Subject, OnCancel: w.OnCancel,
		Tolerance: DefaultStripeTolerance, NextUpdate: DefaultStripeNextUpdate}
	switch {
	case s.SecretFile == "" && s.Secret == "":
		add("give secret_file (the endpoint's signing secret, whsec_..., in a file) or secret")
	case s.SecretFile != "" && s.Secret != "":
		add("secret_file and secret exclude each other")
	case s.Secret != "" && !ValidStripeSecret(s.Secret):
		add("secret is not a webhook signing secret (whsec_...)") // never the value
	}
	if len(w.Prices) == 0 {
		add("[stripe.prices] is required: a Stripe price id = the template its licenses are minted from")
	}
	for _, id := range slices.Sorted(maps.Keys(w.Prices)) {
		tn := w.Prices[id]
		if !validPriceID(id) {
			add("price %q is not a Stripe price id (price_...)", id)
		}
		if _, ok := p.Templates[tn]; !ok {
			add("price %s: no template %q", id, tn)
		}
		s.Prices[id] = tn
	}
	switch s.Subject {
	case "":
		s.Subject = SubjectEmail
	case SubjectEmail, SubjectCustomer:
	default:
		add("subject %q: email or customer", s.Subject)
	}
	switch s.OnCancel {
	case "":
		s.OnCancel = CancelExpire
	case CancelRevoke, CancelExpire:
	default:
		add("on_cancel %q: revoke or expire", s.OnCancel)
	}
	switch w.UnknownPrice {
	case "", "retry":
	case "ignore":
		s.IgnoreUnknownPrices = true
	default:
		add("unknown_price %q: retry or ignore", w.UnknownPrice)
	}
	if w.Tolerance != "" {
		d, err := ParseDuration(w.Tolerance)
		switch {
		case err != nil:
			add("tolerance %v", err)
		case d < time.Second || d > 24*time.Hour:
			add("tolerance %s: 1s to 24h", w.Tolerance)
		default:
			s.Tolerance = d
		}
	}
	if w.NextUpdate != "" {
		d, err := ParseDuration(w.NextUpdate)
		switch {
		case err != nil:
			add("next_update %v", err)
		case d < time.Hour:
			add("next_update %s: at least 1h", w.NextUpdate)
		default:
			s.NextUpdate = d
		}
	}
	return s, problems
}

// ValidStripeSecret reports whether s has the form of a Stripe webhook
// signing secret: whsec_ and 8 to 200 characters of base64 (standard or
// URL alphabet).
func ValidStripeSecret(s string) bool {
	rest, ok := strings.CutPrefix(s, "whsec_")
	return ok && len(rest) >= 8 && len(rest) <= 200 &&
		strings.Trim(rest, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-") == ""
}

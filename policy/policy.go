// Package policy reads an issuer's policy file (licet.toml): the products
// it sells and the license templates (tiers) it mints from, so that
// "licet mint --template pro --sub X" and "licet batch" need no more than a
// licensee.
//
// # The file
//
//	# licet.toml
//	[products.acme-db]
//	name = "Acme DB"
//
//	[templates.pro]
//	products = ["acme-db"]        # the aud claim (required)
//	tier     = "pro"              # default: the template's name
//	scopes   = ["api:read", "reports:*"]
//	versions = ">= 2.0, < 4.0"
//	limits   = { seats = 25 }
//	rights   = ["embed"]
//	meta     = { plan = "pro-2026" }
//	days     = 365                # or perpetual = true, or neither
//	grace    = "30d"
//	perpetual_fallback = true     # after expiry, valid for builds released by then
//
// Every key is checked: an unknown key, a template naming a product that
// [products] does not list (when it lists any), a bad scope, version
// constraint or duration is an error that names the file and the template.
//
// # Royalties
//
// A vendor whose partners mint under grants prices their licenses per
// tier, for the royalty statements of "licet report statement":
//
//	[royalties]
//	currency = "EUR"              # ISO 4217 code, shown with every sum
//	seats    = "seats"            # the limit that counts seats (default)
//
//	[royalties.prices.pro]
//	per_seat_year = "120.00"      # seats x years of the license's term
//
//	[royalties.prices.team]
//	flat = "50"                   # per license
//
//	[royalties.prices."*"]        # every other tier
//	flat = "10"
//
// Amounts are decimal numbers with at most two decimals, written as
// strings (or TOML numbers); see [Royalties].
//
// # Webhooks
//
// 'licet serve' posts events to the endpoints listed (see [Webhook]):
//
//	[[webhooks]]
//	name   = "crm"
//	url    = "https://crm.example.com/hooks/licet"
//	events = ["license.issued", "license.revoked"]   # default: every event
//	secret = "env:LICET_WEBHOOK_CRM"                 # or "file:/etc/licet/crm.whsec"
//
// # Stripe
//
// The [stripe] table maps a vendor's Stripe prices to templates for the
// Stripe webhook endpoint of 'licet serve'; see [Stripe].
package policy

import (
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/hashicorp/go-version"
	"github.com/licet/licet/token"
)

// DefaultFile is the name of the policy file kept beside a private key.
const DefaultFile = "licet.toml"

// maxFileSize bounds what Load reads.
const maxFileSize = 1 << 20

// Policy is a parsed policy file.
type Policy struct {
	Products  map[string]*Product
	Templates map[string]*Template
	// Royalties is nil when the file has no [royalties] table.
	Royalties *Royalties
	Webhooks  []*Webhook // the [[webhooks]] entries, in order
	// Stripe is nil when the file has no [stripe] table.
	Stripe *Stripe
}

// Product is a product the issuer sells.
type Product struct {
	Name string
}

// Template holds the terms a license is minted with. Zero fields are not
// set by the template.
type Template struct {
	Name      string
	Products  []string
	Tier      string
	Scopes    []string
	Versions  string
	Limits    map[string]uint64
	Rights    []string
	Meta      map[string]string
	Days      int
	Perpetual bool
	Grace     time.Duration
	// PerpetualFallback is the license's "fallback" claim: after its
	// expiry (and grace) it stays valid for builds released by then.
	PerpetualFallback bool
}

type fileWire struct {
	Products  map[string]productWire  `toml:"products"`
	Templates map[string]templateWire `toml:"templates"`
	Royalties *royaltiesWire          `toml:"royalties"`
	Webhooks  []webhookWire           `toml:"webhooks"`
	Stripe    *stripeWire             `toml:"stripe"`
}

type productWire struct {
	Name string `toml:"name"`
}

type templateWire struct {
	Products  []string          `toml:"products"`
	Tier      string            `toml:"tier"`
	Scopes    []string          `toml:"scopes"`
	Versions  string            `toml:"versions"`
	Limits    map[string]int64  `toml:"limits"`
	Rights    []string          `toml:"rights"`
	Meta      map[string]string `toml:"meta"`
	Days      int               `toml:"days"`
	Perpetual bool              `toml:"perpetual"`
	Grace     string            `toml:"grace"`
	// PerpetualFallback is perpetual_fallback, Template.PerpetualFallback.
	PerpetualFallback bool `toml:"perpetual_fallback"`
}

// Load reads and checks the policy file at path.
func Load(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("policy: reading %s: %v", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("policy: %s is larger than %d bytes", path, maxFileSize)
	}
	return Parse(data, path)
}

// Parse parses and checks a policy file's content; name is used in
// messages.
func Parse(data []byte, name string) (*Policy, error) {
	var w fileWire
	md, err := toml.Decode(string(data), &w)
	if err != nil {
		return nil, fmt.Errorf("policy: %s: %v", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("policy: %s: unknown keys: %s (see 'licet template --help' for the format)", name, strings.Join(keys, ", "))
	}
	p := &Policy{Products: map[string]*Product{}, Templates: map[string]*Template{}}
	for id, pw := range w.Products {
		p.Products[id] = &Product{Name: pw.Name}
	}
	var problems []string
	for _, tn := range slices.Sorted(maps.Keys(w.Templates)) {
		t, probs := p.checkTemplate(tn, w.Templates[tn])
		for _, pr := range probs {
			problems = append(problems, fmt.Sprintf("template %s: %s", tn, pr))
		}
		p.Templates[tn] = t
	}
	if w.Royalties != nil {
		var probs []string
		p.Royalties, probs = checkRoyalties(w.Royalties)
		problems = append(problems, probs...)
	}
	var probs []string
	p.Webhooks, probs = checkWebhooks(w.Webhooks)
	problems = append(problems, probs...)
	if w.Stripe != nil {
		p.Stripe, probs = p.checkStripe(w.Stripe)
		problems = append(problems, probs...)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("policy: %s: %s", name, strings.Join(problems, "; "))
	}
	return p, nil
}

func (p *Policy) checkTemplate(name string, w templateWire) (*Template, []string) {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	t := &Template{Name: name, Products: w.Products, Tier: w.Tier, Scopes: w.Scopes, Versions: w.Versions,
		Rights: w.Rights, Meta: w.Meta, Days: w.Days, Perpetual: w.Perpetual, PerpetualFallback: w.PerpetualFallback}
	if t.Tier == "" {
		t.Tier = name
	}
	if len(t.Products) == 0 {
		add("products is required: the products (aud) its licenses are for")
	}
	for _, prod := range t.Products {
		if strings.TrimSpace(prod) == "" {
			add("a product id is empty")
		} else if len(p.Products) > 0 && p.Products[prod] == nil {
			add("product %q is not in [products]", prod)
		}
	}
	for _, s := range t.Scopes {
		if !token.ValidScope(s) {
			add("scope %q is not a scope (area:action, no spaces)", s)
		}
	}
	if t.Versions != "" {
		if _, err := version.NewConstraint(t.Versions); err != nil {
			add("versions %q is not a version constraint such as '>= 2.0, < 4.0'", t.Versions)
		}
	}
	if len(w.Limits) > 0 {
		t.Limits = make(map[string]uint64, len(w.Limits))
		for k, v := range w.Limits {
			if v < 0 {
				add("limit %s = %d: limits are whole numbers >= 0", k, v)
			}
			t.Limits[k] = uint64(v)
		}
	}
	switch {
	case t.Days < 0 || t.Days > 100*366:
		add("days = %d: give 1 to 36600", t.Days)
	case t.Days > 0 && t.Perpetual:
		add("days and perpetual = true exclude each other")
	}
	if t.Perpetual && t.PerpetualFallback {
		add("perpetual_fallback needs an expiry: a perpetual license never expires")
	}
	if w.Grace != "" {
		d, err := ParseDuration(w.Grace)
		switch {
		case err != nil:
			add("grace %v", err)
		case t.Perpetual:
			add("grace needs an expiry: a perpetual license has no grace period")
		default:
			t.Grace = d
		}
	}
	return t, problems
}

// Template returns the template called name, or an error that lists the
// templates there are.
func (p *Policy) Template(name string) (*Template, error) {
	if t, ok := p.Templates[name]; ok {
		return t, nil
	}
	names := slices.Sorted(maps.Keys(p.Templates))
	if len(names) == 0 {
		return nil, fmt.Errorf("policy: no template %q: the policy defines none", name)
	}
	return nil, fmt.Errorf("policy: no template %q (there are: %s)", name, strings.Join(names, ", "))
}

// LimitArgs returns the limits as NAME=N strings, sorted.
func (t *Template) LimitArgs() []string {
	out := make([]string, 0, len(t.Limits))
	for _, k := range slices.Sorted(maps.Keys(t.Limits)) {
		out = append(out, k+"="+strconv.FormatUint(t.Limits[k], 10))
	}
	return out
}

// MetaArgs returns the metadata as KEY=VALUE strings, sorted.
func (t *Template) MetaArgs() []string {
	out := make([]string, 0, len(t.Meta))
	for _, k := range slices.Sorted(maps.Keys(t.Meta)) {
		out = append(out, k+"="+t.Meta[k])
	}
	return out
}

var daysPrefix = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]+)d`) })

// ParseDuration parses a DURATION: a Go duration ("36h") with days ("90d",
// "1d12h") allowed; negative durations are refused.
func ParseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a DURATION: use a number and a unit: 90d, 36h, 1d12h", s)
	var d time.Duration
	rest := s
	if m := daysPrefix().FindStringSubmatch(s); m != nil {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return 0, bad
		}
		if n > MaxDurationDays {
			return 0, fmt.Errorf("%q is longer than %d days", s, MaxDurationDays)
		}
		d = time.Duration(n) * 24 * time.Hour
		rest = s[len(m[0]):]
	}
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil || r < 0 {
			return 0, bad
		}
		d += r
	} else if d == 0 && s != "0d" {
		return 0, bad
	}
	if d > MaxDurationDays*24*time.Hour {
		return 0, fmt.Errorf("%q is longer than %d days", s, MaxDurationDays)
	}
	return d, nil
}

// MaxDurationDays bounds every DURATION (about 100 years): far beyond
// any license term, far below what time.Duration holds (292 years).
const MaxDurationDays = 36600

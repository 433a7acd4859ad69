package server

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/token"
)

// maxDays bounds a term in days (100 years).
const maxDays = 36600

// Terms are the terms of a license asked over the API: a template of the
// policy file, overridden field by field.
type Terms struct {
	Template  string            `json:"template,omitempty"`
	Sub       string            `json:"sub"`
	Aud       []string          `json:"aud,omitempty"`
	Tier      string            `json:"tier,omitempty"`
	Scopes    []string          `json:"scopes,omitempty"`
	Versions  string            `json:"versions,omitempty"`
	Limits    map[string]uint64 `json:"limits,omitempty"`
	Rights    []string          `json:"rights,omitempty"`
	Bind      map[string]string `json:"bind,omitempty"`
	Meta      map[string]string `json:"meta,omitempty"`
	Days      int               `json:"days,omitempty"`
	Expires   string            `json:"expires,omitempty"`
	Perpetual bool              `json:"perpetual,omitempty"`
	NotBefore string            `json:"not_before,omitempty"`
	Grace     string            `json:"grace,omitempty"`
	// PerpetualFallback is the license's fallback claim.
	PerpetualFallback *bool `json:"perpetual_fallback,omitempty"`
}

// termsFields names every member of Terms, for the strict decoder.
var termsFields = []string{"template", "sub", "aud", "tier", "scopes", "versions", "limits", "rights", "bind", "meta",
	"days", "expires", "perpetual", "not_before", "grace", "perpetual_fallback"}

// license builds the license asked, issued at now: the template's terms,
// then each field given. Every problem is listed at once.
func (t *Terms) license(p *policy.Policy, now time.Time) (*token.License, []string) {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	tmpl := &policy.Template{}
	if t.Template != "" {
		if p == nil {
			return nil, []string{fmt.Sprintf("template %q: the server has no policy file (licet serve --policy)", t.Template)}
		}
		tt, err := p.Template(t.Template)
		if err != nil {
			return nil, []string{strings.TrimPrefix(err.Error(), "policy: ")}
		}
		tmpl = tt
	}
	if strings.TrimSpace(t.Sub) == "" {
		add("sub is required: the licensee")
	}
	lic := tmpl.License(t.Sub, now)
	if t.Aud != nil {
		lic.Audience = t.Aud
	}
	if t.Tier != "" {
		lic.Tier = t.Tier
	}
	if t.Scopes != nil {
		lic.Scopes = t.Scopes
		for _, s := range t.Scopes {
			if !token.ValidScope(s) {
				add("scopes: %q is not a scope", s)
			}
		}
	}
	if t.Rights != nil {
		lic.Rights = t.Rights
	}
	if t.Versions != "" {
		if _, err := version.NewConstraint(t.Versions); err != nil {
			add("versions %q is not a version constraint", t.Versions)
		}
		lic.Versions = t.Versions
	}
	for k, v := range t.Limits {
		lic.Limits = setMap(lic.Limits, k, v)
	}
	for k, v := range t.Meta {
		lic.Meta = setMap(lic.Meta, k, v)
	}
	for k, v := range t.Bind {
		lic.Bind = setMap(lic.Bind, k, v)
	}
	if t.PerpetualFallback != nil {
		lic.Fallback = *t.PerpetualFallback
	}
	problems = append(problems, t.term(lic, tmpl, now)...)
	if len(lic.Audience) == 0 {
		add("aud is required: the products (or a template that names them)")
	}
	if slices.Contains(lic.Audience, "") {
		add("aud holds an empty product id")
	}
	if lic.Tier == "" {
		add("tier is required (or a template)")
	}
	return lic, problems
}

// term applies days, expires, perpetual, not_before and grace.
func (t *Terms) term(lic *token.License, tmpl *policy.Template, now time.Time) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	n := 0
	if t.Days != 0 {
		n++
		if t.Days < 1 || t.Days > maxDays {
			add("days %d: 1 to %d", t.Days, maxDays)
		} else {
			lic.Expiry = lic.IssuedAt.Add(time.Duration(t.Days) * 24 * time.Hour)
		}
	}
	if t.Expires != "" {
		n++
		e, err := parseDate(t.Expires)
		switch {
		case err != nil:
			add("expires %q: use YYYY-MM-DD or RFC 3339", t.Expires)
		case !e.After(now):
			add("expires %s is in the past", t.Expires)
		default:
			lic.Expiry = e
		}
	}
	if t.Perpetual {
		n++
		lic.Expiry, lic.Grace, lic.Fallback = time.Time{}, 0, false
	}
	if n > 1 {
		add("give one of days, expires and perpetual")
	}
	if n == 0 && tmpl.Days == 0 && !tmpl.Perpetual {
		add("no term: give days, expires or perpetual (or a template with one)")
	}
	if t.NotBefore != "" {
		nb, err := parseDate(t.NotBefore)
		if err != nil {
			add("not_before %q: use YYYY-MM-DD or RFC 3339", t.NotBefore)
		} else {
			lic.NotBefore = nb
		}
	}
	if t.Grace != "" {
		d, err := policy.ParseDuration(t.Grace)
		if err != nil {
			add("grace %q: %v", t.Grace, err)
		} else {
			lic.Grace = d.Truncate(time.Second)
		}
	}
	if lic.Grace > 0 && lic.Expiry.IsZero() {
		add("grace needs an expiry: a perpetual license has no grace period")
	}
	return problems
}

// parseDate parses YYYY-MM-DD (the end of that day, UTC; start for
// not_before is close enough to the CLI's, which the API mirrors) or
// RFC 3339.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Add(24*time.Hour - time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	return t.UTC().Truncate(time.Second), err
}

// parseWithin parses a window: a DURATION such as 30d or a number of
// days.
func parseWithin(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n <= maxDays {
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := policy.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("within %q: a number of days or a DURATION such as 30d", s)
	}
	return d, nil
}

func setMap[V any](m map[string]V, k string, v V) map[string]V {
	if m == nil {
		m = map[string]V{}
	}
	m[k] = v
	return m
}

// invalid is a 422 problem listing every problem of a request.
func invalid(problems []string) *httpserve.Problem {
	p := httpserve.NewProblem(http.StatusUnprocessableEntity, "invalid_terms", "%s", strings.Join(problems, "; "))
	p.Problems = problems
	return p
}

// knownFields returns the set of names for the strict decoder.
func knownFields(lists ...[]string) map[string]bool {
	m := map[string]bool{}
	for _, l := range lists {
		for _, f := range l {
			m[f] = true
		}
	}
	return m
}

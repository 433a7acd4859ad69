package policy

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/licet/licet/token"
)

// Order is one row of an orders file: a license to mint for a licensee,
// from a template, under an order reference.
type Order struct {
	Line    int    // the CSV line, for messages
	Ref     string // the order reference: a batch issues it once
	File    string // the file name the license is written to ("" : REF.lic)
	License *token.License
}

// MaxOrders bounds the rows of one orders file.
const MaxOrders = 1_000_000

// orderColumns are the columns an orders file may have, besides
// limit.NAME, meta.NAME and bind.NAME.
var orderColumns = map[string]string{
	"order":     "the order reference (required)",
	"sub":       "the licensee (required)",
	"template":  "the template of the policy file",
	"file":      "the output file name",
	"aud":       "products, separated by spaces",
	"tier":      "the tier",
	"scopes":    "scopes, separated by spaces",
	"rights":    "rights, separated by spaces",
	"versions":  "a version constraint",
	"days":      "days from now",
	"expires":   "an expiry date",
	"perpetual": "true for no expiry",
	"grace":     "a grace DURATION",
}

var safeFileName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`) })

// ReadOrders reads an orders CSV file: a header line naming the columns,
// then one order per line. Columns: order and sub (required), template, file,
// aud, tier, scopes, rights, versions, days, expires, perpetual, grace, and
// limit.NAME, meta.NAME, bind.NAME; an empty cell leaves the template's
// value. Every problem of every line is reported at once.
func (p *Policy) ReadOrders(r io.Reader, now time.Time) ([]*Order, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("policy: orders: reading the header line: %v", err)
	}
	var problems []string
	for i, h := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if !knownColumn(header[i]) {
			problems = append(problems, fmt.Sprintf("unknown column %q (columns: order, sub, template, file, aud, tier, scopes, rights, versions, days, expires, perpetual, grace, limit.NAME, meta.NAME, bind.NAME)", header[i]))
		}
	}
	for _, req := range []string{"order", "sub"} {
		if !contains(header, req) {
			problems = append(problems, fmt.Sprintf("no %q column: %s", req, orderColumns[req]))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("policy: orders: %s", strings.Join(problems, "; "))
	}
	var orders []*Order
	seen, files := map[string]int{}, map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			problems = append(problems, err.Error())
			break
		}
		if len(orders) >= MaxOrders {
			problems = append(problems, fmt.Sprintf("more than %d orders: split the file", MaxOrders))
			break
		}
		row := map[string]string{}
		for i, h := range header {
			row[h] = strings.TrimSpace(rec[i])
		}
		o, probs := p.order(row, now)
		if o != nil {
			o.Line = line
			if prev, ok := seen[o.Ref]; ok {
				probs = append(probs, fmt.Sprintf("order %q is also on line %d", o.Ref, prev))
			}
			seen[o.Ref] = line
			if prev, ok := files[o.File]; ok {
				probs = append(probs, fmt.Sprintf("file %q is also written by line %d", o.File, prev))
			}
			files[o.File] = line
		}
		for _, pr := range probs {
			problems = append(problems, fmt.Sprintf("line %d: %s", line, pr))
		}
		orders = append(orders, o)
	}
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("and %d more", len(problems)-20))
		}
		return nil, fmt.Errorf("policy: orders: %s", strings.Join(problems, "\n"))
	}
	if len(orders) == 0 {
		return nil, errors.New("policy: orders: no orders after the header line")
	}
	return orders, nil
}

func knownColumn(h string) bool {
	if orderColumns[h] != "" {
		return true
	}
	for _, prefix := range []string{"limit.", "meta.", "bind."} {
		if name, ok := strings.CutPrefix(h, prefix); ok && name != "" {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// order builds one order from a row.
func (p *Policy) order(row map[string]string, now time.Time) (*Order, []string) {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	o := &Order{Ref: row["order"], File: row["file"]}
	switch {
	case o.Ref == "" || len(o.Ref) > 128:
		add("the order reference is 1 to 128 characters")
	case o.File == "" && !safeFileName().MatchString(o.Ref):
		add("order %q cannot name the output file: add a file column, or use letters, digits, '.', '_' and '-'", o.Ref)
	case o.File == "":
		o.File = o.Ref + ".lic"
	}
	if o.File != "" && !safeFileName().MatchString(o.File) {
		add("file %q: a file name of letters, digits, '.', '_' and '-' (no directories)", o.File)
	}
	t := &Template{}
	if name := row["template"]; name != "" {
		tt, err := p.Template(name)
		if err != nil {
			add("%s", strings.TrimPrefix(err.Error(), "policy: "))
			return o, problems // the rest would only repeat it
		}
		t = tt
	}
	lic := t.License(row["sub"], now)
	o.License = lic
	if strings.TrimSpace(lic.Subject) == "" {
		add("sub is empty: the licensee is required")
	}
	problems = append(problems, overrideLicense(lic, t, row, now)...)
	if len(lic.Audience) == 0 {
		add("no products: give a template or an aud column")
	}
	if lic.Tier == "" {
		add("no tier: give a template or a tier column")
	}
	return o, problems
}

// License returns a license with the template's terms for sub, issued at
// now; ID and Issuer are left to the signer.
func (t *Template) License(sub string, now time.Time) *token.License {
	l := &token.License{
		Subject: sub, Audience: t.Products, Tier: t.Tier, Scopes: t.Scopes, Versions: t.Versions,
		Rights: t.Rights, Grace: t.Grace, Fallback: t.PerpetualFallback, IssuedAt: now.UTC().Truncate(time.Second),
	}
	if len(t.Limits) > 0 {
		l.Limits = make(map[string]uint64, len(t.Limits))
		for k, v := range t.Limits {
			l.Limits[k] = v
		}
	}
	if len(t.Meta) > 0 {
		l.Meta = make(map[string]string, len(t.Meta))
		for k, v := range t.Meta {
			l.Meta[k] = v
		}
	}
	if t.Days > 0 {
		l.Expiry = l.IssuedAt.Add(time.Duration(t.Days) * 24 * time.Hour)
	}
	return l
}

// overrideLicense applies the non-empty cells of a row to lic.
func overrideLicense(lic *token.License, t *Template, row map[string]string, now time.Time) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if v := row["aud"]; v != "" {
		lic.Audience = strings.Fields(v)
	}
	if v := row["tier"]; v != "" {
		lic.Tier = v
	}
	if v := row["scopes"]; v != "" {
		lic.Scopes = strings.Fields(v)
		for _, s := range lic.Scopes {
			if !token.ValidScope(s) {
				add("scope %q is not a scope", s)
			}
		}
	}
	if v := row["rights"]; v != "" {
		lic.Rights = strings.Fields(v)
	}
	if v := row["versions"]; v != "" {
		if _, err := version.NewConstraint(v); err != nil {
			add("versions %q is not a version constraint", v)
		}
		lic.Versions = v
	}
	problems = append(problems, overrideTerm(lic, t, row, now)...)
	for col, v := range row {
		if v == "" {
			continue
		}
		switch {
		case strings.HasPrefix(col, "limit."):
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				add("%s %q: a whole number >= 0", col, v)
				continue
			}
			lic.Limits = setMap(lic.Limits, strings.TrimPrefix(col, "limit."), n)
		case strings.HasPrefix(col, "meta."):
			lic.Meta = setMap(lic.Meta, strings.TrimPrefix(col, "meta."), v)
		case strings.HasPrefix(col, "bind."):
			lic.Bind = setMap(lic.Bind, strings.TrimPrefix(col, "bind."), v)
		}
	}
	return problems
}

// overrideTerm applies the days, expires, perpetual and grace cells.
func overrideTerm(lic *token.License, t *Template, row map[string]string, now time.Time) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	n := 0
	if v := row["days"]; v != "" {
		n++
		d, err := strconv.Atoi(v)
		if err != nil || d < 1 || d > 100*366 {
			add("days %q: 1 to 36600", v)
		} else {
			lic.Expiry = lic.IssuedAt.Add(time.Duration(d) * 24 * time.Hour)
		}
	}
	if v := row["expires"]; v != "" {
		n++
		t, err := parseDate(v)
		switch {
		case err != nil:
			add("expires %q: use YYYY-MM-DD or RFC 3339", v)
		case !t.After(now):
			add("expires %s is in the past", v)
		default:
			lic.Expiry = t
		}
	}
	if v := row["perpetual"]; v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			add("perpetual %q: true or false", v)
		} else if b {
			n++
			lic.Expiry, lic.Grace, lic.Fallback = time.Time{}, 0, false
		}
	}
	if n > 1 {
		add("give one of days, expires and perpetual")
	}
	if n == 0 && t.Days == 0 && !t.Perpetual {
		add("no term: give a template with days or perpetual, or a days, expires or perpetual column")
	}
	if v := row["grace"]; v != "" {
		d, err := ParseDuration(v)
		if err != nil {
			add("grace %v", err)
		} else {
			lic.Grace = d.Truncate(time.Second)
		}
	}
	if lic.Grace > 0 && lic.Expiry.IsZero() {
		add("grace needs an expiry: a perpetual license has no grace period")
	}
	return problems
}

// parseDate parses YYYY-MM-DD (the end of that day, UTC) or RFC 3339.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Add(24*time.Hour - time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	return t.UTC(), err
}

func setMap[V any](m map[string]V, k string, v V) map[string]V {
	if m == nil {
		m = map[string]V{}
	}
	m[k] = v
	return m
}

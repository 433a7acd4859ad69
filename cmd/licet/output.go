package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// licenseJSON is a license in the JSON output of inspect and verify. Lists
// and maps are never null; nbf and exp are null when absent.
type licenseJSON struct {
	Iss       string            `json:"iss"`
	Sub       string            `json:"sub"`
	Aud       []string          `json:"aud"`
	Tier      string            `json:"tier"`
	Scopes    []string          `json:"scopes"`
	Versions  string            `json:"versions"`
	Limits    map[string]uint64 `json:"limits"`
	Rights    []string          `json:"rights"`
	Bind      map[string]string `json:"bind"`
	Meta      map[string]string `json:"meta"`
	Iat       string            `json:"iat"`
	Nbf       *string           `json:"nbf"`
	Exp       *string           `json:"exp"`
	Perpetual bool              `json:"perpetual"`
	Grace     int64             `json:"grace"`
	Fallback  bool              `json:"fallback"`
	ID        string            `json:"id"`
	KID       string            `json:"kid"`
	Crit      []string          `json:"crit,omitempty"`
	// Lease is set on a license under a site grant: a lease.
	Lease *leaseJSON `json:"lease,omitempty"`
}

// leaseJSON describes a lease (a license under a site grant): its life
// (exp - iat) and the longest the grant allows, in seconds, whether it is
// a borrowed seat and the site log record that granted or renewed it
// (meta "lease" and "site_seq", "" when absent).
type leaseJSON struct {
	Life     int64  `json:"life"`
	MaxLease int64  `json:"max_lease"`
	Borrowed bool   `json:"borrowed"`
	SiteSeq  string `json:"site_seq"`
}

// newLeaseJSON is the lease part of a license under grant g, nil when g
// is not a site grant.
func newLeaseJSON(l *token.License, g *token.Grant) *leaseJSON {
	if g == nil || g.Site == nil {
		return nil
	}
	j := &leaseJSON{MaxLease: int64(g.Site.MaxLease() / time.Second), Borrowed: l.Meta["lease"] == "borrow", SiteSeq: l.Meta["site_seq"]}
	if !l.Expiry.IsZero() {
		j.Life = int64(l.Expiry.Sub(l.IssuedAt) / time.Second)
	}
	return j
}

// leaseText says what a lease is, for the text output of inspect and
// verify: "a floating seat of a site grant for 1h (at most 1h), site log
// record 42".
func leaseText(l *token.License, g *token.Grant) string {
	j := newLeaseJSON(l, g)
	if j == nil {
		return ""
	}
	what := "a floating seat of a site grant"
	if j.Borrowed {
		what = "a borrowed seat of a site grant"
	}
	life := "without an expiry"
	if !l.Expiry.IsZero() {
		life = "for " + formatDuration(time.Duration(j.Life)*time.Second)
	}
	out := fmt.Sprintf("%s %s (at most %s)", what, life, formatDuration(g.Site.MaxLease()))
	if j.SiteSeq != "" {
		out += ", site log record " + safeText(j.SiteSeq)
	}
	return out
}

// siteJSON is the "site" claim of a site grant, durations in seconds;
// max_lease is the longest life of a lease under it (the longest borrow
// when borrowing is allowed and longer).
type siteJSON struct {
	Seats    uint64 `json:"seats"`
	Lease    int64  `json:"lease"`
	Borrow   int64  `json:"borrow"`
	Borrows  uint64 `json:"borrows"`
	MaxLease int64  `json:"max_lease"`
}

func newSiteJSON(s *token.Site) *siteJSON {
	if s == nil {
		return nil
	}
	return &siteJSON{Seats: s.Seats, Lease: int64(s.Lease / time.Second), Borrow: int64(s.Borrow / time.Second),
		Borrows: s.Borrows, MaxLease: int64(s.MaxLease() / time.Second)}
}

// siteText prints a site grant's terms: "25 floating seats, leases of at
// most 1h, borrowed seats of at most 7d (3 at once)".
func siteText(s *token.Site) string {
	out := fmt.Sprintf("%d floating seats, leases of at most %s", s.Seats, formatDuration(s.Lease))
	if s.CanBorrow() {
		return out + fmt.Sprintf(", borrowed seats of at most %s (%d at once)", formatDuration(s.Borrow), s.Borrows)
	}
	return out + ", no borrowing"
}

func newLicenseJSON(l *token.License, kid []byte) *licenseJSON {
	return &licenseJSON{
		Iss: l.Issuer, Sub: l.Subject, Aud: nonNil(l.Audience), Tier: l.Tier,
		Scopes: nonNil(l.Scopes), Versions: l.Versions, Limits: nonNilMap(l.Limits),
		Rights: nonNil(l.Rights), Bind: nonNilMap(l.Bind), Meta: nonNilMap(l.Meta),
		Iat: rfc3339(l.IssuedAt), Nbf: timePtr(l.NotBefore), Exp: timePtr(l.Expiry),
		Perpetual: l.Expiry.IsZero(), Grace: int64(l.Grace / time.Second), Fallback: l.Fallback,
		ID: hex.EncodeToString(l.ID), KID: hex.EncodeToString(kid), Crit: l.Crit,
	}
}

// grantJSON is a grant in the JSON output of inspect.
type grantJSON struct {
	Iss        string            `json:"iss"`
	Partner    string            `json:"partner"`
	Aud        []string          `json:"aud"`
	Tiers      []string          `json:"tiers"`
	Scopes     []string          `json:"scopes"`
	Limits     map[string]uint64 `json:"limits"`
	Rights     []string          `json:"rights"`
	Versions   string            `json:"versions"`
	MaxLife    *int64            `json:"max_life"`
	MaxGrace   *int64            `json:"max_grace"`
	Iat        string            `json:"iat"`
	Nbf        *string           `json:"nbf"`
	Exp        string            `json:"exp"`
	ID         string            `json:"id"`
	KID        string            `json:"kid"`
	PartnerKID string            `json:"partner_kid"`
	PartnerKey string            `json:"partner_key"`
	// Site is the site claim of a site grant; null on other grants.
	Site *siteJSON `json:"site"`
}

func newGrantJSON(g *token.Grant, kid []byte) *grantJSON {
	return &grantJSON{
		Iss: g.Issuer, Partner: g.Subject, Aud: nonNil(g.Audience), Tiers: nonNil(g.Tiers),
		Scopes: nonNil(g.Scopes), Limits: nonNilMap(g.Limits), Rights: nonNil(g.Rights),
		Versions: g.Versions, MaxLife: secondsJSON(g.MaxLife), MaxGrace: secondsJSON(g.MaxGrace),
		Iat: rfc3339(g.IssuedAt), Nbf: timePtr(g.NotBefore), Exp: rfc3339(g.Expiry),
		ID: hex.EncodeToString(g.ID), KID: hex.EncodeToString(kid),
		PartnerKID: hex.EncodeToString(token.KeyID(g.Key)),
		PartnerKey: base64.StdEncoding.EncodeToString(g.Key),
		Site:       newSiteJSON(g.Site),
	}
}

// secondsJSON is an optional ceiling in seconds, null when absent.
func secondsJSON(d *time.Duration) *int64 {
	if d == nil {
		return nil
	}
	n := int64(*d / time.Second)
	return &n
}

// revocationsJSON is a revocation list in the JSON output of inspect.
type revocationsJSON struct {
	Iss        string   `json:"iss"`
	Seq        uint64   `json:"seq"`
	Iat        string   `json:"iat"`
	NextUpdate string   `json:"next_update"`
	IDs        []string `json:"ids"`
	KIDs       []string `json:"kids"`
	// Granted are the licenses revoked under one grant each (the list's
	// "gcti" pairs, FORMAT section 6).
	Granted []grantIDsJSON `json:"granted"`
	KID     string         `json:"kid"`
}

// grantIDsJSON is one "gcti" pair: license ids minted under one grant.
type grantIDsJSON struct {
	Grant string   `json:"grant"`
	IDs   []string `json:"ids"`
}

func newRevocationsJSON(r *token.Revocations, kid []byte) *revocationsJSON {
	j := &revocationsJSON{
		Iss: r.Issuer, Seq: r.Seq, Iat: rfc3339(r.IssuedAt), NextUpdate: rfc3339(r.NextUpdate),
		IDs: hexList(r.IDs), KIDs: hexList(r.KeyIDs), Granted: make([]grantIDsJSON, 0, len(r.Granted)),
		KID: hex.EncodeToString(kid),
	}
	for _, g := range r.Granted {
		j.Granted = append(j.Granted, grantIDsJSON{Grant: hex.EncodeToString(g.Grant), IDs: hexList(g.IDs)})
	}
	return j
}

func hexList(l [][]byte) []string {
	out := make([]string, 0, len(l))
	for _, b := range l {
		out = append(out, hex.EncodeToString(b))
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// fields prints aligned "name: value" lines, skipping empty values.
type fields struct {
	tw     *tabwriter.Writer
	indent string
}

func newFields(w io.Writer, indent string) *fields {
	return &fields{tw: tabwriter.NewWriter(w, 0, 4, 1, ' ', 0), indent: indent}
}

func (f *fields) add(name, value string) {
	if value == "" {
		return
	}
	fmt.Fprintf(f.tw, "%s%s:\t%s\n", f.indent, name, value)
}

func (f *fields) flush() { f.tw.Flush() }

// joinPairs returns "k=v, ..." in key order, every key and value through
// safeText: they come from tokens.
func joinPairs[V any](m map[string]V) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, safeText(k)+"="+safeText(fmt.Sprint(m[k])))
	}
	return strings.Join(parts, ", ")
}

// printLicense prints a license's claims, one per line. Every text claim
// goes through safeText: the token may be anyone's.
func printLicense(f *fields, l *token.License, kid []byte) {
	f.add("issuer", safeText(l.Issuer))
	f.add("subject", safeText(l.Subject))
	f.add("products", safeList(l.Audience))
	f.add("tier", safeText(l.Tier))
	f.add("scopes", safeList(l.Scopes))
	f.add("versions", safeText(l.Versions))
	f.add("limits", joinPairs(l.Limits))
	f.add("rights", safeList(l.Rights))
	f.add("bind", joinPairs(l.Bind))
	f.add("meta", joinPairs(l.Meta))
	f.add("issued at", rfc3339(l.IssuedAt))
	if !l.NotBefore.IsZero() {
		f.add("not before", rfc3339(l.NotBefore))
	}
	f.add("expires", formatExpiry(l.Expiry))
	if l.Grace > 0 {
		f.add("grace", formatDuration(l.Grace))
	}
	if l.Fallback {
		f.add("fallback", "perpetual: after expiry, valid for builds released by then")
	}
	f.add("crit", safeList(l.Crit))
	f.add("license id", hex.EncodeToString(l.ID))
	f.add("key id", hex.EncodeToString(kid))
}

// printGrant prints a grant's claims, one per line.
func printGrant(f *fields, g *token.Grant, kid []byte) {
	f.add("vendor", safeText(g.Issuer))
	f.add("partner", safeText(g.Subject))
	f.add("partner key id", hex.EncodeToString(token.KeyID(g.Key)))
	f.add("products", safeList(g.Audience))
	f.add("tiers", safeList(g.Tiers))
	f.add("scopes", safeList(g.Scopes))
	f.add("limit caps", joinPairs(g.Limits))
	f.add("rights", safeList(g.Rights))
	f.add("versions", safeText(g.Versions))
	if g.Site != nil {
		f.add("site", siteText(g.Site))
	}
	if g.MaxLife != nil {
		f.add("max life", formatDuration(*g.MaxLife)+" (from issue to expiry plus grace)")
	}
	if g.MaxGrace != nil {
		f.add("max grace", formatDuration(*g.MaxGrace))
	}
	f.add("issued at", rfc3339(g.IssuedAt))
	if !g.NotBefore.IsZero() {
		f.add("not before", rfc3339(g.NotBefore))
	}
	f.add("grant expires", rfc3339(g.Expiry))
	f.add("grant id", hex.EncodeToString(g.ID))
	f.add("signed by key", hex.EncodeToString(kid))
}

// printRevocations prints a revocation list.
func printRevocations(f *fields, r *token.Revocations, kid []byte) {
	f.add("issuer", safeText(r.Issuer))
	f.add("seq", fmt.Sprint(r.Seq))
	f.add("issued at", rfc3339(r.IssuedAt))
	f.add("next update", rfc3339(r.NextUpdate))
	ids := hexList(r.IDs)
	if len(ids) == 0 && len(r.Granted) == 0 {
		f.add("revoked ids", "(none)")
	}
	for _, id := range ids {
		f.add("revoked id", id)
	}
	for _, g := range r.Granted {
		for _, id := range hexList(g.IDs) {
			f.add("revoked id", id+" (under grant "+hex.EncodeToString(g.Grant)+")")
		}
	}
	for _, k := range hexList(r.KeyIDs) {
		f.add("revoked key", k)
	}
	f.add("signed by key", hex.EncodeToString(kid))
}

// statementOutput holds the output flags of the statement commands
// (report statement, seats statement): --format, --json, -o, --force.
type statementOutput struct {
	format, out string
	json, force bool
}

// addFlags adds the flags to cmd.
func (o *statementOutput) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "table", "`FORMAT`: table, json, csv or html")
	f.BoolVar(&o.json, "json", false, "the same as --format json")
	f.StringVarP(&o.out, "output", "o", "", "write to `FILE` instead of stdout")
	f.BoolVar(&o.force, "force", false, "overwrite the -o file")
	_ = cmd.MarkFlagFilename("output")
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"table", "json", "csv", "html"}, cobra.ShellCompDirectiveNoFileComp
	})
}

// check turns --json into --format json (a usage error when --format
// says otherwise) and returns the problem of an unknown --format, for the
// caller to list with its own.
func (o *statementOutput) check() ([]string, error) {
	if o.json {
		if o.format != "table" && o.format != "json" {
			return nil, usageError("", "--json and --format %s contradict each other", o.format)
		}
		o.format = "json"
	}
	switch o.format {
	case "table", "json", "csv", "html":
		return nil, nil
	}
	return []string{fmt.Sprintf("--format %q: use table, json, csv or html", o.format)}, nil
}

// statement is a statement of package royalty or seats/usage.
type statement interface {
	WriteCSV(w io.Writer) error
	WriteHTML(w io.Writer, generated time.Time) error
	WriteText(w io.Writer) error
}

// writeStatement writes s in format (json, csv, html, else a table) to
// out, a new file (mode 0600, replaced only with force), or to stdout
// when out is "" or "-". wrote says it wrote the file, for the caller to
// say so.
func (a *app) writeStatement(s statement, format, out string, force bool) (wrote bool, err error) {
	var buf bytes.Buffer
	switch format {
	case "json":
		err = writeJSON(&buf, s)
	case "csv":
		err = s.WriteCSV(&buf)
	case "html":
		err = s.WriteHTML(&buf, a.now())
	default:
		err = s.WriteText(&buf)
	}
	if err != nil {
		return false, failure(err, "")
	}
	if out == "" || out == "-" {
		_, err := a.stdout.Write(buf.Bytes())
		return false, err
	}
	if err := writeNew(out, buf.Bytes(), 0o600, force); err != nil {
		return false, err
	}
	return true, nil
}

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/internal/csvsafe"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

func newLedgerCmd(a *app) *cobra.Command {
	cmd := groupCmd("ledger", "List, show, export and verify the record of everything signed", `  licet ledger list --key acme.key --sub customer-42
  licet ledger expiring --within 30d --json
  licet ledger show 8f26dbc2
  licet ledger verify --ledger postgres://licet@db/licet
  licet ledger checkpoint -o /mnt/backup/licet-heads.txt`)
	cmd.Long = `Every license, grant and revocation list that mint, grant, revoke, renew and
batch sign is recorded first in the issuer's ledger: its exact bytes, the
fields searched by (id, kind, subject, products, tier, expiry, grant,
partner, order reference), the license it renews, and whether its file was
written. The entries of each signing key form a Merkle log (RFC 6962), and
every append stores a checkpoint of the log signed by the key:
'licet ledger verify' recomputes the logs, checks them against what the key
signed and reports any edited row; 'licet ledger checkpoint' prints the
signed heads to keep elsewhere, which 'licet ledger verify --against FILE'
checks the ledger against.

The ledger is --ledger (an SQLite FILE or a postgres:// URL), else
LICET_LEDGER, else licet.db beside --key, else licet.db here.`
	cmd.AddCommand(newLedgerListCmd(a), newLedgerShowCmd(a), newLedgerExportCmd(a),
		newLedgerExpiringCmd(a), newLedgerVerifyCmd(a), newLedgerCheckpointCmd(a))
	return cmd
}

// ledgerFilterFlags are the filters of list, export and expiring.
type ledgerFilterFlags struct {
	kind, sub, tier, partner, product, expiring string
	order, name                                 string
	meta                                        []string
	// expiringFlag names the flag expiring came from: --expiring, or
	// --within for 'ledger expiring'.
	expiringFlag string
	unwritten    bool
	limit        int
}

func (f *ledgerFilterFlags) add(cmd *cobra.Command, expiring bool) {
	fs := cmd.Flags()
	fs.StringVar(&f.kind, "kind", "", "only entries of `KIND`: license, grant or revocations")
	fs.StringVar(&f.sub, "sub", "", "only the licensee (or grant partner) `ID`")
	fs.StringVar(&f.tier, "tier", "", "only the tier `T`")
	fs.StringVar(&f.partner, "partner", "", "only grants to, and licenses issued under a grant by, partner `ID`")
	fs.StringVar(&f.product, "product", "", "only entries for `PRODUCT`")
	fs.StringVar(&f.order, "order", "", "only the license sold under order reference `REF`")
	fs.StringVar(&f.name, "name", "", "only licensees (or grant partners) whose id contains `TEXT`, in any case")
	fs.StringArrayVar(&f.meta, "meta", nil, "only licenses whose metadata has `KEY=VALUE` (repeatable: all must match)")
	if expiring {
		fs.StringVar(&f.expiring, "expiring", "", "only licenses and grants that expire by `DATE`, usually a DURATION from now (30d)")
	}
	fs.BoolVar(&f.unwritten, "unwritten", false, "only entries whose file was never written (an interrupted mint)")
	fs.IntVar(&f.limit, "limit", 0, "at most `N` entries")
}

func (f *ledgerFilterFlags) filter(now time.Time) (ledger.Filter, error) {
	lf := ledger.Filter{Subject: f.sub, Tier: f.tier, Partner: f.partner, Product: f.product, Unwritten: f.unwritten, Limit: f.limit,
		OrderRef: f.order, SubjectContains: f.name, States: true, Now: now}
	for _, kv := range f.meta {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return lf, usageError("for example: --meta crm=4711", "--meta %q: give KEY=VALUE", kv)
		}
		if lf.Meta == nil {
			lf.Meta = map[string]string{}
		}
		if old, dup := lf.Meta[k]; dup && old != v {
			return lf, usageError("", "--meta %s is given twice with different values: no license matches both", k)
		}
		lf.Meta[k] = v
	}
	if f.kind != "" {
		switch k := ledger.Kind(f.kind); k {
		case ledger.KindLicense, ledger.KindGrant, ledger.KindRevocations:
			lf.Kind = k
		default:
			return lf, usageError("", "--kind %q: use license, grant or revocations", f.kind)
		}
	}
	if f.limit < 0 {
		return lf, usageError("", "--limit %d: give a number >= 0", f.limit)
	}
	if f.expiring != "" {
		flag := f.expiringFlag
		if flag == "" {
			flag = "expiring"
		}
		by, err := parseWithin(flag, f.expiring, now)
		if err != nil {
			return lf, err
		}
		lf.ExpiringBy, lf.ExpiringAfter, lf.OrderByExpiry, lf.NotRenewed, lf.NotRevoked = by, now, true, true, true
		if lf.Kind == "" {
			lf.Kind = ledger.KindLicense
		}
	}
	return lf, nil
}

// tableFlags choose the output of list and expiring.
type tableFlags struct{ json, csv bool }

func (t *tableFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&t.json, "json", false, "print a JSON array")
	cmd.Flags().BoolVar(&t.csv, "csv", false, "print CSV with a header line")
	cmd.MarkFlagsMutuallyExclusive("json", "csv")
}

func (a *app) printEntries(list []*ledger.Entry, t tableFlags) error {
	switch {
	case t.json:
		out := make([]*entryJSON, 0, len(list))
		for _, e := range list {
			j, err := newEntryJSON(e, false)
			if err != nil {
				return failure(err, "run 'licet ledger verify'")
			}
			out = append(out, j)
		}
		return writeJSON(a.stdout, out)
	case t.csv:
		return writeEntriesCSV(a.stdout, list, false)
	}
	if len(list) == 0 {
		fmt.Fprintln(a.stderr, "licet: no entries match")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSUBJECT\tPRODUCTS\tTIER\tEXPIRES\tORDER\tSTATE")
	for _, e := range list {
		state := stateName(e)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Kind, dash(e.Subject), dash(strings.Join(e.Audience, ", ")),
			dash(e.Tier), expiryDate(e), dash(e.OrderRef), state)
	}
	return tw.Flush()
}

// stateName is an entry's state in one word, for tables: UNWRITTEN for a
// token recorded but never handed out.
func stateName(e *ledger.Entry) string {
	name := "written"
	if e.State != nil {
		name = e.State.Name()
	}
	if !e.Written && (name == "issued" || name == "written") {
		return "UNWRITTEN"
	}
	return name
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func expiryDate(e *ledger.Entry) string {
	if e.Expiry.IsZero() {
		return "never"
	}
	return e.Expiry.UTC().Format("2006-01-02")
}

func newLedgerListCmd(a *app) *cobra.Command {
	var lf ledgerCmdFlags
	var ff ledgerFilterFlags
	var tf tableFlags
	cmd := &cobra.Command{
		Use:   "list [--sub ID] [--tier T] [--partner ID] [--product P] [--expiring DATE] [--json | --csv]",
		Short: "List what was signed, with filters",
		Long: `List the ledger's entries in the order they were recorded: a table, a JSON
array (--json) or CSV (--csv). Filters combine.`,
		Example: `  licet ledger list --key acme.key
  licet ledger list --sub customer-42 --json
  licet ledger list --partner globex --product acme-db --csv > globex.csv
  licet ledger list --expiring 30d
  licet ledger list --unwritten`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			list, err := a.listEntries(&lf, &ff)
			if err != nil {
				return err
			}
			return a.printEntries(list, tf)
		}),
	}
	lf.add(cmd)
	ff.add(cmd, true)
	tf.add(cmd)
	return cmd
}

// listEntries opens the ledger of lf and lists the entries that ff selects.
func (a *app) listEntries(lf *ledgerCmdFlags, ff *ledgerFilterFlags) ([]*ledger.Entry, error) {
	f, err := ff.filter(a.now())
	if err != nil {
		return nil, err
	}
	led, err := a.openLedgerOf(lf)
	if err != nil {
		return nil, err
	}
	defer led.Close()
	list, err := led.List(context.Background(), f)
	if err != nil {
		return nil, failure(err, "")
	}
	return list, nil
}

func newLedgerExpiringCmd(a *app) *cobra.Command {
	var lf ledgerCmdFlags
	var ff ledgerFilterFlags
	var tf tableFlags
	var within string
	cmd := &cobra.Command{
		Use:   "expiring --within DATE [--json | --csv]",
		Short: "List licenses that expire soon (exit 1 if any: for cron)",
		Long: `List the licenses (or, with --kind grant, the grants) that expire within
DURATION from now, soonest first. Licenses already expired and licenses that
were renewed ('licet renew') are left out.

Exit code 1 when at least one is listed, 0 when none: a cron job can mail
the JSON (--json) when the command fails.`,
		Example: `  licet ledger expiring --within 30d
  licet ledger expiring --within 30d --json > expiring.json || mail-renewals expiring.json
  licet ledger expiring --within 90d --kind grant --partner globex`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if within == "" {
				return usageError("for example: licet ledger expiring --within 30d", "--within is required: the window from now")
			}
			ff.expiring, ff.expiringFlag = within, "within"
			list, err := a.listEntries(&lf, &ff)
			if err != nil {
				return err
			}
			if err := a.printEntries(list, tf); err != nil {
				return err
			}
			if len(list) > 0 {
				return silentExit(exitRejected)
			}
			return nil
		}),
	}
	lf.add(cmd)
	ff.add(cmd, false)
	tf.add(cmd)
	cmd.Flags().StringVar(&within, "within", "", "the end of the window, a `DATE`: usually a DURATION from now such as 30d (required)")
	return cmd
}

// entryJSON is an entry in the JSON output of the ledger commands.
type entryJSON struct {
	ID          string            `json:"id"`
	Kind        string            `json:"kind"`
	KID         string            `json:"kid"`
	Index       int64             `json:"ledger_index"`
	Iss         string            `json:"iss"`
	Sub         string            `json:"sub"`
	Aud         []string          `json:"aud"`
	Tier        string            `json:"tier"`
	Iat         string            `json:"iat"`
	Exp         *string           `json:"exp"`
	GrantID     string            `json:"grant_id"`
	Partner     string            `json:"partner"`
	Order       string            `json:"order"`
	RenewedFrom string            `json:"renewed_from"`
	Written     bool              `json:"written"`
	File        string            `json:"file"`
	Recorded    string            `json:"recorded"`
	Scopes      []string          `json:"scopes"`
	Limits      map[string]uint64 `json:"limits"`
	Rights      []string          `json:"rights"`
	Meta        map[string]string `json:"meta"`
	// State is the state of a license or grant: issued, written, bound,
	// renewed, revoked or expired; "" for a revocation list.
	State     string          `json:"state,omitempty"`
	Bound     bool            `json:"bound"`
	RenewedBy []string        `json:"renewed_by"`
	Revoked   *revocationJSON `json:"revoked"`
	Expired   bool            `json:"expired"`
	Raw       string          `json:"raw,omitempty"` // base64, in show and export
}

// revocationJSON names the list that revokes a token.
type revocationJSON struct {
	List   string `json:"list"`
	Issuer string `json:"issuer"`
	Seq    uint64 `json:"seq"`
	By     string `json:"by"`
}

func newEntryJSON(e *ledger.Entry, withRaw bool) (*entryJSON, error) {
	j := &entryJSON{
		ID: e.ID, Kind: string(e.Kind), KID: e.KID, Index: e.Index, Iss: e.Issuer, Sub: e.Subject,
		Aud: nonNil(e.Audience), Tier: e.Tier, Iat: rfc3339(e.IssuedAt), Exp: timePtr(e.Expiry),
		GrantID: e.GrantID, Partner: e.Partner, Order: e.OrderRef, RenewedFrom: e.RenewedFrom,
		Written: e.Written, File: e.File, Recorded: rfc3339(e.Recorded),
		Scopes: []string{}, Limits: map[string]uint64{}, Rights: []string{}, Meta: map[string]string{}, RenewedBy: []string{},
	}
	t, err := e.Terms()
	if err != nil {
		return nil, err
	}
	if t != nil {
		j.Scopes, j.Rights = nonNil(t.Scopes), nonNil(t.Rights)
		if t.Limits != nil {
			j.Limits = t.Limits
		}
		if t.Meta != nil {
			j.Meta = t.Meta
		}
	}
	if st := e.State; st != nil {
		j.State, j.Bound, j.RenewedBy, j.Expired = st.Name(), st.Bound, nonNil(st.RenewedBy), st.Expired
		if r := st.Revoked; r != nil {
			j.Revoked = &revocationJSON{List: r.List, Issuer: r.Issuer, Seq: r.Seq, By: r.By}
		}
	}
	if withRaw {
		j.Raw = encodeBase64(e.Raw)
	}
	return j, nil
}

var csvHeader = []string{"id", "kind", "kid", "ledger_index", "iss", "sub", "aud", "tier", "iat", "exp",
	"grant_id", "partner", "order", "renewed_from", "written", "file", "recorded",
	"state", "renewed_by", "revoked_by", "scopes", "limits", "rights", "meta"}

// writeEntriesCSV writes entries as CSV; aud, scopes, rights and
// renewed_by are joined by spaces, limits and meta are in URL query form
// (seats=10&cpus=4, escaped), exp is empty for none, revoked_by is the id
// of the list that revokes the token, raw (export only) is base64.
func writeEntriesCSV(w io.Writer, list []*ledger.Entry, withRaw bool) error {
	cw := csv.NewWriter(w)
	header := csvHeader
	if withRaw {
		header = append(append([]string(nil), csvHeader...), "raw")
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, e := range list {
		exp := ""
		if !e.Expiry.IsZero() {
			exp = rfc3339(e.Expiry)
		}
		t, err := e.Terms()
		if err != nil {
			return err
		}
		if t == nil {
			t = &ledger.Terms{}
		}
		state, renewedBy, revokedBy := "", "", ""
		if st := e.State; st != nil {
			state, renewedBy = st.Name(), strings.Join(st.RenewedBy, " ")
			if st.Revoked != nil {
				revokedBy = st.Revoked.List
			}
		}
		limits, meta := url.Values{}, url.Values{}
		for k, v := range t.Limits {
			limits.Set(k, strconv.FormatUint(v, 10))
		}
		for k, v := range t.Meta {
			meta.Set(k, v)
		}
		c := csvsafe.Cell // text from tokens and orders stays inert in a spreadsheet
		rec := []string{e.ID, string(e.Kind), e.KID, strconv.FormatInt(e.Index, 10), c(e.Issuer), c(e.Subject),
			c(strings.Join(e.Audience, " ")), c(e.Tier), rfc3339(e.IssuedAt), exp, e.GrantID, c(e.Partner), c(e.OrderRef),
			e.RenewedFrom, strconv.FormatBool(e.Written), c(e.File), rfc3339(e.Recorded),
			state, renewedBy, revokedBy, c(strings.Join(t.Scopes, " ")), c(limits.Encode()), c(strings.Join(t.Rights, " ")), c(meta.Encode())}
		if withRaw {
			rec = append(rec, encodeBase64(e.Raw))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func newLedgerExportCmd(a *app) *cobra.Command {
	var lf ledgerCmdFlags
	var ff ledgerFilterFlags
	var format, out string
	var force bool
	cmd := &cobra.Command{
		Use:   "export [--format json|jsonl|csv] [-o FILE] [filters]",
		Short: "Export entries with their raw tokens (JSON, JSON lines or CSV)",
		Long: `Export the ledger's entries, each with its raw token (base64 of the
COSE_Sign1 bytes), as a JSON array, JSON lines (one entry per line) or CSV.
The filters of 'licet ledger list' apply. -o FILE is written atomically with
mode 0600 and never overwritten without --force.`,
		Example: `  licet ledger export -o ledger.json
  licet ledger export --format csv --partner globex -o globex.csv
  licet ledger export --format jsonl --ledger postgres://licet@db/licet | gzip > backup.jsonl.gz`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if format != "json" && format != "jsonl" && format != "csv" {
				return usageError("", "--format %q: use json, jsonl or csv", format)
			}
			f, err := ff.filter(a.now())
			if err != nil {
				return err
			}
			if out != "" {
				if err := a.checkOutput(out, format, force, false); err != nil {
					return err
				}
			}
			led, err := a.openLedgerOf(&lf)
			if err != nil {
				return err
			}
			defer led.Close()
			list, err := led.List(context.Background(), f)
			if err != nil {
				return failure(err, "")
			}
			var buf bytes.Buffer
			if err := writeExport(&buf, list, format); err != nil {
				return failure(err, "")
			}
			if out == "" {
				_, err := a.stdout.Write(buf.Bytes())
				return err
			}
			if err := writeNew(out, buf.Bytes(), 0o600, force); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "licet: exported %d entries to %s (%s)\n", len(list), out, format)
			return nil
		}),
	}
	lf.add(cmd)
	ff.add(cmd, true)
	cmd.Flags().StringVar(&format, "format", "json", "`FORMAT`: json, jsonl or csv")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` instead of stdout")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite the -o file")
	return cmd
}

func writeExport(w io.Writer, list []*ledger.Entry, format string) error {
	switch format {
	case "csv":
		return writeEntriesCSV(w, list, true)
	case "jsonl":
		enc := json.NewEncoder(w) // one compact line per entry
		enc.SetEscapeHTML(false)
		for _, e := range list {
			j, err := newEntryJSON(e, true)
			if err != nil {
				return err
			}
			if err := enc.Encode(j); err != nil {
				return err
			}
		}
		return nil
	}
	out := make([]*entryJSON, 0, len(list))
	for _, e := range list {
		j, err := newEntryJSON(e, true)
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	return writeJSON(w, out)
}

func newLedgerShowCmd(a *app) *cobra.Command {
	var lf ledgerCmdFlags
	var asJSON, force bool
	var format, out, order string
	cmd := &cobra.Command{
		Use:   "show (ID | --order REF) [--json] [--format text|pem|raw [-o FILE]]",
		Short: "Show one entry, or write its token out again",
		Long: `Show the ledger entry with id ID (a license or grant id; 6 or more leading
digits will do when they match one entry), or the license sold under order
reference REF: its fields and its log position.

With --format, write the recorded token itself instead (to stdout or -o
FILE), for instance to hand out again a license whose file was lost, or one
left unwritten by an interrupted mint; the entry is then marked written.`,
		Example: `  licet ledger show 8f26dbc27843c7fcaaae0e22d8e7e7a2
  licet ledger show 8f26dbc2 --json
  licet ledger show --order PO-1187 --format pem -o customer-42.lic`,
		Args: cobra.MaximumNArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == (order != "") {
				return usageError("for example: licet ledger show 8f26dbc2, or licet ledger show --order PO-1187", "give an ID or --order REF")
			}
			if cmd.Flags().Changed("format") {
				if p := checkOutputFlags(format, "", false); len(p) > 0 {
					return usageError("", "%s", p[0])
				}
				if err := a.checkOutput(out, format, force, false); err != nil {
					return err
				}
			} else if out != "" {
				return usageError("for example: licet ledger show ID --format pem -o FILE", "-o needs --format: the form of the token to write")
			}
			led, err := a.openLedgerOf(&lf)
			if err != nil {
				return err
			}
			defer led.Close()
			e, err := getEntryOrOrder(led, args, order)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("format") {
				return a.rewriteToken(led, e, format, out, force)
			}
			if err := led.States(context.Background(), a.now(), e); err != nil {
				return failure(err, "run 'licet ledger verify'")
			}
			if asJSON {
				j, err := newEntryJSON(e, true)
				if err != nil {
					return failure(err, "run 'licet ledger verify'")
				}
				return writeJSON(a.stdout, j)
			}
			return a.printEntry(e)
		}),
	}
	lf.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the entry as JSON, with its raw token in base64")
	cmd.Flags().StringVar(&order, "order", "", "show the license sold under order reference `REF`")
	cmd.Flags().StringVar(&format, "format", "", "write the token in `FORM`: text, pem or raw")
	cmd.Flags().StringVarP(&out, "output", "o", "", "with --format: write to `FILE` instead of stdout")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite the -o file")
	return cmd
}

// getEntryOrOrder looks an entry up by its id (args[0]) or by order.
func getEntryOrOrder(led *ledger.Ledger, args []string, order string) (*ledger.Entry, error) {
	if len(args) == 1 {
		return getEntry(led, args[0])
	}
	e, err := led.ByOrder(context.Background(), order)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, failure(fmt.Errorf("%s: no such order reference in the ledger %s", order, led.Location()), "'licet ledger list' shows the orders")
	}
	if err != nil {
		return nil, failure(err, "")
	}
	return e, nil
}

// getEntry looks an entry up by id or id prefix; not found is exit 1.
func getEntry(led *ledger.Ledger, id string) (*ledger.Entry, error) {
	e, err := led.Get(context.Background(), id)
	var ae *ledger.AmbiguousError
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		return nil, failure(fmt.Errorf("%s: no such entry in the ledger %s", id, led.Location()), "'licet ledger list' shows the ids")
	case errors.As(err, &ae):
		return nil, usageError("give more digits of the id", "%s", strings.TrimPrefix(err.Error(), "ledger: "))
	case err != nil && strings.Contains(err.Error(), "not an id"):
		return nil, usageError("'licet ledger list' shows the ids", "%s", strings.TrimPrefix(err.Error(), "ledger: "))
	case err != nil:
		return nil, failure(err, "")
	}
	return e, nil
}

func (a *app) printEntry(e *ledger.Entry) error {
	t, err := e.Terms()
	if err != nil {
		return failure(err, "run 'licet ledger verify'")
	}
	if t == nil {
		t = &ledger.Terms{}
	}
	f := newFields(a.stdout, "")
	f.add("id", e.ID)
	f.add("kind", string(e.Kind))
	if e.State != nil {
		f.add("state", e.State.Name())
	}
	f.add("issuer", e.Issuer)
	f.add("subject", e.Subject)
	f.add("partner", e.Partner)
	f.add("products", strings.Join(e.Audience, ", "))
	f.add("tier", e.Tier)
	f.add("scopes", safeList(t.Scopes))
	f.add("limits", joinPairs(t.Limits))
	f.add("rights", safeList(t.Rights))
	f.add("meta", joinPairs(t.Meta))
	f.add("issued at", rfc3339(e.IssuedAt))
	f.add("expires", formatExpiry(e.Expiry))
	f.add("grant id", e.GrantID)
	f.add("order", e.OrderRef)
	f.add("renews", e.RenewedFrom)
	switch {
	case !e.Written:
		f.add("written", "NO: signed and recorded, never handed out ('licet ledger show ID --format pem -o FILE' writes it)")
	case e.File != "":
		f.add("written", "to "+e.File)
	default:
		f.add("written", "to stdout")
	}
	if len(t.Bind) > 0 {
		f.add("bound", "to a machine: "+joinPairs(t.Bind))
	}
	if st := e.State; st != nil {
		f.add("renewed by", strings.Join(st.RenewedBy, ", "))
		if r := st.Revoked; r != nil {
			f.add("revoked", fmt.Sprintf("by %s's revocation list seq %d (%s), %s", r.Issuer, r.Seq, r.List, revokedHow(r.By)))
		}
		if st.Expired {
			f.add("expired", "yes, on "+rfc3339(e.Expiry))
		}
	}
	f.add("recorded", rfc3339(e.Recorded))
	f.add("log", fmt.Sprintf("%s (key %s), entry %d", checkpoint.Origin(e.KID), e.KID, e.Index))
	f.add("bytes", strconv.Itoa(len(e.Raw)))
	f.flush()
	return nil
}

// revokedHow says which entry of a revocation list applies.
func revokedHow(by string) string {
	switch by {
	case "id":
		return "which names its id"
	case "grant id":
		return "which names its id under its grant"
	case "grant":
		return "which revokes the grant it was minted under"
	case "key":
		return "which revokes a key that signed it"
	}
	return by
}

// rewriteToken writes the recorded token of e again and marks it written.
func (a *app) rewriteToken(led *ledger.Ledger, e *ledger.Entry, format, out string, force bool) error {
	pemType := map[ledger.Kind]string{ledger.KindLicense: token.PEMLicense, ledger.KindGrant: token.PEMGrant,
		ledger.KindRevocations: token.PEMRevocations}[e.Kind]
	headers := map[string]string{"Issuer": e.Issuer, "Subject": e.Subject, "Expires": formatExpiry(e.Expiry)}
	if e.Kind == ledger.KindLicense {
		headers["License-ID"] = e.ID
	}
	if err := a.writeToken(e.Raw, pemType, headers, format, "", out, force, fmt.Sprintf("%s %s", e.Kind, e.ID)); err != nil {
		return err
	}
	if out == "-" {
		out = ""
	}
	if !e.Written || (out != "" && e.File != out) {
		return led.MarkWritten(context.Background(), e.ID, out)
	}
	return nil
}

func newLedgerVerifyCmd(a *app) *cobra.Command {
	var lf ledgerCmdFlags
	var asJSON bool
	var against []string
	cmd := &cobra.Command{
		Use:   "verify [--against FILE] [--json]",
		Short: "Recompute the ledger's Merkle logs and report edited rows (exit 1)",
		Long: `Recompute every log of the ledger from the raw tokens alone and check it
against what the log's key signed: each entry's fields against its bytes,
its signature against the log's public key (a log without one, or with
another key's, is a problem), every stored hash, each log's tree head, and
every signed checkpoint, which must be the log's tree at its size with the
order references and renewal links it commits to. The newest signed
checkpoint must cover the whole log. Any row edited, removed, reordered or
inserted outside licet is reported, and the exit code is 1. Exit code 0:
every log is intact; its heads are printed.

--against FILE checks the ledger against signed checkpoints kept elsewhere
('licet ledger checkpoint' prints them): each must be a checkpoint of a
log of the ledger, signed by its key, whose entries the log still holds.
This shows what the ledger alone cannot: its newest appends removed
together with their checkpoints.`,
		Example: `  licet ledger verify --key acme.key
  licet ledger verify --against /mnt/backup/licet-heads.txt
  licet ledger verify --ledger postgres://licet@db/licet --json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			var kept [][]byte
			for _, f := range against {
				data, err := readFile(f, "a file of signed checkpoints", 1<<20)
				if err != nil {
					return err
				}
				notes, err := checkpoint.Split(data)
				if err != nil {
					return usageError("give the output of 'licet ledger checkpoint'", "--against %s: %s", f, strings.TrimPrefix(err.Error(), "checkpoint: "))
				}
				kept = append(kept, notes...)
			}
			led, err := a.openLedgerOf(&lf)
			if err != nil {
				return err
			}
			defer led.Close()
			r, err := led.Verify(context.Background(), kept...)
			if err != nil {
				return failure(err, "")
			}
			return a.printVerify(led, r, asJSON)
		}),
	}
	lf.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the outcome as JSON")
	cmd.Flags().StringArrayVar(&against, "against", nil, "also check against the signed checkpoints kept in `FILE` (repeatable)")
	return cmd
}

func newLedgerCheckpointCmd(a *app) *cobra.Command {
	var lf ledgerCmdFlags
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "checkpoint [-o FILE]",
		Short: "Print the signed head of each log, to keep away from the ledger",
		Long: `Print the newest checkpoint of each log of the ledger that the log's key
signed at an append: a C2SP signed note of the log's size and root (and of
the order references and renewal links of its entries). Keep the output
where whoever can write the ledger cannot (a backup, another machine, a
ticket, an email to yourself); 'licet ledger verify --against FILE' later
proves that nothing recorded before it was removed or changed. Taking one
after every issuing session bounds what a rollback of the database can hide.

-o FILE is written atomically and never overwritten without --force.`,
		Example: `  licet ledger checkpoint --key acme.key
  licet ledger checkpoint -o heads-$(date +%F).txt
  licet ledger verify --against heads-2026-03-01.txt`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if out != "" && out != "-" {
				if err := a.checkOutput(out, "text", force, false); err != nil {
					return err
				}
			}
			led, err := a.openLedgerOf(&lf)
			if err != nil {
				return err
			}
			defer led.Close()
			heads, err := led.SignedHeads(context.Background())
			if err != nil {
				return failure(err, "run 'licet ledger verify'")
			}
			if len(heads) == 0 {
				return failure(fmt.Errorf("the ledger %s holds no signed checkpoint: nothing was signed with it yet", led.Location()), "")
			}
			var buf bytes.Buffer
			for i, h := range heads {
				if i > 0 {
					buf.WriteString("\n")
				}
				buf.Write(h.Note)
			}
			if out == "" || out == "-" {
				_, err := a.stdout.Write(buf.Bytes())
				return err
			}
			if err := writeNew(out, buf.Bytes(), 0o644, force); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "licet: wrote the signed heads of %d logs to %s: keep it away from the ledger ('licet ledger verify --against %s')\n", len(heads), out, out)
			return nil
		}),
	}
	lf.add(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` instead of stdout")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite the -o file")
	return cmd
}

type logJSON struct {
	KID    string `json:"kid"`
	Origin string `json:"origin"`
	Size   int64  `json:"size"`
	Root   string `json:"root"`
}

func (a *app) printVerify(led *ledger.Ledger, r *ledger.VerifyResult, asJSON bool) error {
	if asJSON {
		j := struct {
			OK       bool       `json:"ok"`
			Ledger   string     `json:"ledger"`
			Entries  int64      `json:"entries"`
			Kept     int        `json:"kept_checkpoints"`
			Logs     []*logJSON `json:"logs"`
			Problems []string   `json:"problems"`
		}{r.OK(), led.Location(), r.Entries, r.Kept, []*logJSON{}, nonNil(r.Problems)}
		for _, g := range r.Logs {
			j.Logs = append(j.Logs, &logJSON{g.KID, checkpoint.Origin(g.KID), g.Size, g.Root.String()})
		}
		if err := writeJSON(a.stdout, j); err != nil {
			return err
		}
	} else {
		for _, g := range r.Logs {
			fmt.Fprintf(a.stdout, "log %s: %s, root %s\n", checkpoint.Origin(g.KID), count(g.Size, "entry", "entries"), g.Root)
		}
		for _, p := range r.Problems {
			fmt.Fprintf(a.stdout, "PROBLEM: %s\n", p)
		}
	}
	if !r.OK() {
		return failure(fmt.Errorf("the ledger %s does not verify: %d problems (above): it was modified outside licet", led.Location(), len(r.Problems)),
			"restore it from a backup, and keep the modified copy as evidence")
	}
	if !asJSON {
		fmt.Fprintf(a.stdout, "ok: %s in %s verify\n", count(r.Entries, "entry", "entries"), count(len(r.Logs), "log", "logs"))
		if r.Kept > 0 {
			fmt.Fprintf(a.stdout, "ok: consistent with the %s\n", count(r.Kept, "kept checkpoint", "kept checkpoints"))
		}
	}
	return nil
}

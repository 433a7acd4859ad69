package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/licet/licet/internal/csvsafe"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

func newLedgerCmd(a *app) *cobra.Command {
	cmd := groupCmd("ledger", "List, show, export and verify the record of everything signed", `  licet ledger list --key acme.key --sub customer-42
  licet ledger expiring --within 30d --json
  licet ledger show 8f26dbc2
  licet ledger verify --ledger postgres://licet@db/licet`)
	cmd.Long = `Every license, grant and revocation list that mint, grant, revoke, renew and
batch sign is recorded first in the issuer's ledger: its exact bytes, the
fields searched by (id, kind, subject, products, tier, expiry, grant,
partner, order reference), the license it renews, and whether its file was
written. The entries of each signing key form a Merkle log (RFC 6962):
'licet ledger verify' recomputes it and reports any edited row.

The ledger is --ledger (an SQLite FILE or a postgres:// URL), else
LICET_LEDGER, else licet.db beside --key, else licet.db here.`
	cmd.AddCommand(newLedgerListCmd(a), newLedgerShowCmd(a), newLedgerExportCmd(a),
		newLedgerExpiringCmd(a), newLedgerVerifyCmd(a))
	return cmd
}

// ledgerFilterFlags are the filters of list, export and expiring.
type ledgerFilterFlags struct {
	kind, sub, tier, partner, product, expiring string
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
	if expiring {
		fs.StringVar(&f.expiring, "expiring", "", "only licenses and grants that expire by `DATE`, usually a DURATION from now (30d)")
	}
	fs.BoolVar(&f.unwritten, "unwritten", false, "only entries whose file was never written (an interrupted mint)")
	fs.IntVar(&f.limit, "limit", 0, "at most `N` entries")
}

func (f *ledgerFilterFlags) filter(now time.Time) (ledger.Filter, error) {
	lf := ledger.Filter{Subject: f.sub, Tier: f.tier, Partner: f.partner, Product: f.product, Unwritten: f.unwritten, Limit: f.limit}
	if f.kind != "" {
		k, err := ledger.ParseKind(f.kind)
		if err != nil {
			return lf, usageError("", "--kind %q: use license, grant or revocations", f.kind)
		}
		lf.Kind = k
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
		lf.ExpiringBy, lf.ExpiringAfter, lf.OrderByExpiry, lf.NotRenewed = by, now, true, true
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
			out = append(out, newEntryJSON(e, false))
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
		state := "written"
		if !e.Written {
			state = "UNWRITTEN"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Kind, dash(e.Subject), dash(e.Products()),
			dash(e.Tier), expiryDate(e), dash(e.OrderRef), state)
	}
	return tw.Flush()
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
	ID          string   `json:"id"`
	Kind        string   `json:"kind"`
	KID         string   `json:"kid"`
	Index       int64    `json:"ledger_index"`
	Iss         string   `json:"iss"`
	Sub         string   `json:"sub"`
	Aud         []string `json:"aud"`
	Tier        string   `json:"tier"`
	Iat         string   `json:"iat"`
	Exp         *string  `json:"exp"`
	GrantID     string   `json:"grant_id"`
	Partner     string   `json:"partner"`
	Order       string   `json:"order"`
	RenewedFrom string   `json:"renewed_from"`
	Written     bool     `json:"written"`
	File        string   `json:"file"`
	Recorded    string   `json:"recorded"`
	Raw         string   `json:"raw,omitempty"` // base64, in show and export
}

func newEntryJSON(e *ledger.Entry, withRaw bool) *entryJSON {
	j := &entryJSON{
		ID: e.ID, Kind: string(e.Kind), KID: e.KID, Index: e.Index, Iss: e.Issuer, Sub: e.Subject,
		Aud: nonNil(e.Audience), Tier: e.Tier, Iat: rfc3339(e.IssuedAt), Exp: timePtr(e.Expiry),
		GrantID: e.GrantID, Partner: e.Partner, Order: e.OrderRef, RenewedFrom: e.RenewedFrom,
		Written: e.Written, File: e.File, Recorded: rfc3339(e.Recorded),
	}
	if withRaw {
		j.Raw = encodeBase64(e.Raw)
	}
	return j
}

var csvHeader = []string{"id", "kind", "kid", "ledger_index", "iss", "sub", "aud", "tier", "iat", "exp",
	"grant_id", "partner", "order", "renewed_from", "written", "file", "recorded"}

// writeEntriesCSV writes entries as CSV; aud is joined by spaces, exp is
// empty for none, raw (export only) is base64.
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
		c := csvsafe.Cell // text from tokens and orders stays inert in a spreadsheet
		rec := []string{e.ID, string(e.Kind), e.KID, strconv.FormatInt(e.Index, 10), c(e.Issuer), c(e.Subject),
			c(strings.Join(e.Audience, " ")), c(e.Tier), rfc3339(e.IssuedAt), exp, e.GrantID, c(e.Partner), c(e.OrderRef),
			e.RenewedFrom, strconv.FormatBool(e.Written), c(e.File), rfc3339(e.Recorded)}
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
			if err := enc.Encode(newEntryJSON(e, true)); err != nil {
				return err
			}
		}
		return nil
	}
	out := make([]*entryJSON, 0, len(list))
	for _, e := range list {
		out = append(out, newEntryJSON(e, true))
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
			if asJSON {
				return writeJSON(a.stdout, newEntryJSON(e, true))
			}
			a.printEntry(e)
			return nil
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

func (a *app) printEntry(e *ledger.Entry) {
	f := newFields(a.stdout, "")
	f.add("id", e.ID)
	f.add("kind", string(e.Kind))
	f.add("issuer", e.Issuer)
	f.add("subject", e.Subject)
	f.add("partner", e.Partner)
	f.add("products", e.Products())
	f.add("tier", e.Tier)
	f.add("issued at", rfc3339(e.IssuedAt))
	f.add("expires", formatExpiry(e.Expiry))
	f.add("grant id", e.GrantID)
	f.add("order", e.OrderRef)
	f.add("renews", e.RenewedFrom)
	state := "written"
	if !e.Written {
		state = "UNWRITTEN: signed and recorded, never handed out ('licet ledger show ID --format pem -o FILE' writes it)"
	} else if e.File != "" {
		state = "written to " + e.File
	} else {
		state = "written to stdout"
	}
	f.add("state", state)
	f.add("recorded", rfc3339(e.Recorded))
	f.add("log", fmt.Sprintf("%s (key %s), entry %d", ledger.Origin(e.KID), e.KID, e.Index))
	f.add("bytes", strconv.Itoa(len(e.Raw)))
	f.flush()
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
	cmd := &cobra.Command{
		Use:   "verify [--json]",
		Short: "Recompute the ledger's Merkle logs and report edited rows (exit 1)",
		Long: `Recompute every log of the ledger from the raw tokens alone: each entry's
fields against its bytes, its signature against the log's public key, every
stored hash, and each log's tree head (size and root). Any row edited,
removed, reordered or inserted outside licet is reported, and the exit code
is 1. Exit code 0: every log is intact; its heads are printed.`,
		Example: `  licet ledger verify --key acme.key
  licet ledger verify --ledger postgres://licet@db/licet --json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			led, err := a.openLedgerOf(&lf)
			if err != nil {
				return err
			}
			defer led.Close()
			r, err := led.Verify(context.Background())
			if err != nil {
				return failure(err, "")
			}
			return a.printVerify(led, r, asJSON)
		}),
	}
	lf.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the outcome as JSON")
	return cmd
}

type logJSON struct {
	KID    string `json:"kid"`
	Origin string `json:"origin"`
	Size   int64  `json:"size"`
	Root   string `json:"root"`
}

func (a *app) printVerify(led *ledger.Ledger, r *ledger.Report, asJSON bool) error {
	if asJSON {
		j := struct {
			OK       bool       `json:"ok"`
			Ledger   string     `json:"ledger"`
			Entries  int64      `json:"entries"`
			Logs     []*logJSON `json:"logs"`
			Problems []string   `json:"problems"`
		}{r.OK(), led.Location(), r.Entries, []*logJSON{}, nonNil(r.Problems)}
		for _, g := range r.Logs {
			j.Logs = append(j.Logs, &logJSON{g.KID, g.Origin(), g.Size, g.Root.String()})
		}
		if err := writeJSON(a.stdout, j); err != nil {
			return err
		}
	} else {
		for _, g := range r.Logs {
			fmt.Fprintf(a.stdout, "log %s: %s, root %s\n", g.Origin(), count(g.Size, "entry", "entries"), g.Root)
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
		fmt.Fprintf(a.stdout, "ok: %s in %d logs verify\n", count(r.Entries, "entry", "entries"), len(r.Logs))
	}
	return nil
}

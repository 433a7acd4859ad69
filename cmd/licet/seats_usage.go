package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/royalty"
	"github.com/licet/licet/seats"
	"github.com/licet/licet/seats/usage"
	"github.com/licet/licet/verify"
	"github.com/spf13/cobra"
)

// defaultUsageStore is where 'licet seats ingest' keeps the reports it
// accepted, and 'licet seats statement' reads them.
const defaultUsageStore = "seat-usage"

// The usage commands of the seats group: report (the site), ingest,
// statement and audit (the vendor).
func init() {
	seatsSubcommands = append(seatsSubcommands, newSeatsReportCmd, newSeatsIngestCmd, newSeatsStatementCmd, newSeatsAuditCmd)
}

type seatsReportFlags struct {
	state, grant, since, out string
	force, json              bool
}

func newSeatsReportCmd(a *app) *cobra.Command {
	var fl seatsReportFlags
	cmd := &cobra.Command{
		Use:   "report --state DIR [--since LAST_REPORT] [-o FILE]",
		Short: "Report the seats your lease server handed out (sites)",
		Long: `Make a usage report of the lease server's state directory for the vendor:
the newest checkpoint of the site log, signed by the site key (the server
signed it: no key is needed here), the records added since the last
report (every lease granted, renewed, released, expired, borrowed or
returned, every request refused) and the proof that the checkpoint
extends the one of the last report.

--since takes the last report's file: the log must still hold the tree it
signed (a state directory restored from a backup, or rewritten, is
refused here, as the vendor would refuse it). Without it the report holds
the whole log. The site grant is read from the log's leases, or from
--grant FILE. It can run while the server does: the report stops at the
server's last checkpoint. The report is written to -o FILE (mode 0600,
never overwritten without --force) or stdout.`,
		Example: `  licet seats report --state /var/lib/licet-seats -o usage-2026-12.report
  licet seats report --state /var/lib/licet-seats --since usage-2026-12.report -o usage-2027-01.report`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error { return a.seatsReport(&fl) }),
	}
	f := cmd.Flags()
	f.StringVar(&fl.state, "state", "", "the lease server's state `DIR` (required)")
	f.StringVar(&fl.grant, "grant", "", "the site grant `FILE` (default: the grant the log's leases carry)")
	f.StringVar(&fl.since, "since", "", "the last usage report `FILE` (default: report the whole log)")
	f.StringVarP(&fl.out, "output", "o", "", "write the report to `FILE` instead of stdout")
	f.BoolVar(&fl.force, "force", false, "overwrite the -o file")
	f.BoolVar(&fl.json, "json", false, "print what the report holds as JSON (needs -o)")
	_ = cmd.MarkFlagDirname("state")
	_ = cmd.MarkFlagFilename("grant")
	_ = cmd.MarkFlagFilename("since")
	_ = cmd.MarkFlagFilename("output")
	return cmd
}

// seatsReportJSON is the --json output of seats report.
type seatsReportJSON struct {
	File    string `json:"file"`
	Vendor  string `json:"vendor"`
	Site    string `json:"site"`
	Grant   string `json:"grant"`
	Start   int64  `json:"start"`
	Size    int64  `json:"size"`
	Records int    `json:"records"`
}

func (a *app) seatsReport(fl *seatsReportFlags) error {
	var problems []string
	if fl.state == "" {
		problems = append(problems, "--state is required: the lease server's state directory")
	}
	if fl.json && (fl.out == "" || fl.out == "-") {
		problems = append(problems, "--json needs -o FILE: the report itself goes to stdout otherwise")
	}
	if len(problems) > 0 {
		return problemsError("cannot make the usage report", problems, "see 'licet seats report --help'")
	}
	opt := usage.CreateOptions{Now: a.now()}
	if fl.grant != "" {
		raw, _, err := readGrant(fl.grant)
		if err != nil {
			return err
		}
		opt.Grant = raw
	}
	if fl.since != "" {
		data, err := readFile(fl.since, "the last usage report", usage.MaxSize)
		if err != nil {
			return err
		}
		opt.Since = data
	}
	if fl.out != "" && fl.out != "-" {
		if err := a.checkOutput(fl.out, "json", fl.force, false); err != nil {
			return err
		}
	}
	l, err := seats.ReadLog(fl.state)
	if err != nil {
		return failure(errors.New(strings.TrimPrefix(err.Error(), "seats: ")), "--state takes the directory 'licet seats serve --state' keeps")
	}
	if l.Cut > 0 {
		a.warn("the log ends with %s: not reported (the server writes them with its next checkpoint)", l.CutReason)
	}
	r, err := usage.Create(l, opt)
	if err != nil {
		return failure(errors.New(strings.TrimPrefix(err.Error(), "usage: ")), "")
	}
	data, err := r.Marshal()
	if err != nil {
		return failure(err, "")
	}
	if fl.out == "" || fl.out == "-" {
		_, err := a.stdout.Write(data)
		return err
	}
	if err := writeNew(fl.out, data, 0o600, fl.force); err != nil {
		return err
	}
	span := "no new record"
	switch n := len(r.Records); n {
	case 0:
	case 1:
		span = fmt.Sprintf("record %d", r.Start)
	default:
		span = fmt.Sprintf("records %d to %d", r.Start, r.Size()-1)
	}
	fmt.Fprintf(a.stderr, "licet: wrote the usage report of %s (a checkpoint of %d) of site %s for %s to %s; next time: --since %s\n",
		span, r.Size(), safeText(r.Site), safeText(r.Vendor), fl.out, fl.out)
	if fl.json {
		return writeJSON(a.stdout, &seatsReportJSON{File: fl.out, Vendor: r.Vendor, Site: r.Site, Grant: r.GrantID,
			Start: r.Start, Size: r.Size(), Records: len(r.Records)})
	}
	return nil
}

type seatsIngestFlags struct {
	trust, grant, store string
	json                bool
}

func newSeatsIngestCmd(a *app) *cobra.Command {
	var fl seatsIngestFlags
	cmd := &cobra.Command{
		Use:   "ingest REPORT --trust VENDOR.pub --grant SITE.grant [--store DIR]",
		Short: "Check a site's usage report and keep it (vendors)",
		Long: `Check a site's usage report and keep it in the store (--store, default
./seat-usage: one directory per site grant, every report accepted kept
byte for byte, mode 0600). The report must be of the site grant given
(signed by --trust, your public key), its checkpoint signed by the
grant's site key, and it must continue exactly the reports accepted
before: the records stored and the new ones make up the signed tree, and
the consistency proof shows it extends the last one. Every lease token in
the records must verify under the site grant at the record's time, for
the record's lease, product, machine and expiry.

Any failure refuses the whole report (exit 1) and keeps nothing; the
message names the reason (code): malformed, tampered (a record, the proof
or the checkpoint altered), wrong_key, other_grant, outside_grant (a
lease the grant does not allow), dropped (records left out, or a report
missing before this one), reordered, replayed, rolled_back (the site's
state went back to an earlier one), inconsistent (the site signed two
histories: both signed checkpoints are kept as evidence in the grant's
directory, the path in the message).`,
		Example: `  licet seats ingest usage-2026-12.report --trust acme.pub --grant plant-1.grant
  licet seats ingest incoming/plant-1.report --trust acme.pub --grant plant-1.grant --store /srv/seat-usage --json`,
		Args: cobra.ExactArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error { return a.seatsIngest(args[0], &fl) }),
	}
	f := cmd.Flags()
	f.StringVar(&fl.trust, "trust", "", "your (the vendor's) public key `FILE`, which signed the site grant (required)")
	f.StringVar(&fl.grant, "grant", "", "the site grant `FILE` the report is made under (required)")
	f.StringVar(&fl.store, "store", defaultUsageStore, "the `DIR` that keeps the reports accepted")
	f.BoolVar(&fl.json, "json", false, "print the outcome as JSON (also a refusal, with its code)")
	_ = cmd.MarkFlagFilename("trust", "pub")
	_ = cmd.MarkFlagFilename("grant")
	_ = cmd.MarkFlagDirname("store")
	return cmd
}

// seatsIngestJSON is the --json output of seats ingest.
type seatsIngestJSON struct {
	Report   string `json:"report"`
	Ingested bool   `json:"ingested"`
	Code     string `json:"code,omitempty"`
	Message  string `json:"message,omitempty"`
	Evidence string `json:"evidence,omitempty"`
	Grant    string `json:"grant,omitempty"`
	Site     string `json:"site,omitempty"`
	Start    int64  `json:"start"`
	Size     int64  `json:"size"`
	Leases   int    `json:"leases"`
	Refusals int    `json:"refusals"`
}

// vendorAndGrant reads --trust and --grant.
func vendorAndGrant(trust, grant, cmdName string) (verify.Key, []byte, error) {
	var problems []string
	if trust == "" {
		problems = append(problems, "--trust is required: your public key file, which signed the site grant")
	}
	if grant == "" {
		problems = append(problems, "--grant is required: the site grant file the reports are made under")
	}
	if len(problems) > 0 {
		return verify.Key{}, nil, problemsError("cannot check the usage report", problems, "see 'licet seats "+cmdName+" --help'")
	}
	var tk keys.TrustedKey
	if err := readTrustedKey(trust, "", &tk); err != nil {
		return verify.Key{}, nil, err
	}
	raw, _, err := readGrant(grant)
	if err != nil {
		return verify.Key{}, nil, err
	}
	return verify.Key{PublicKey: tk.Key, Issuer: tk.Issuer}, raw, nil
}

func (a *app) seatsIngest(path string, fl *seatsIngestFlags) error {
	vendor, grant, err := vendorAndGrant(fl.trust, fl.grant, "ingest")
	if err != nil {
		return err
	}
	data, err := readFile(path, "a usage report", usage.MaxSize)
	if err != nil {
		return err
	}
	h, acc, err := usage.Ingest(fl.store, vendor, grant, data, path)
	var ue *usage.Error
	switch {
	case errors.As(err, &ue):
		return a.refused(path, fl.json, &seatsIngestJSON{Report: path, Code: string(ue.Code), Message: ue.Message, Evidence: ue.Evidence},
			string(ue.Code), strings.TrimPrefix(err.Error(), "usage: "), seatsIngestHint(ue))
	case err != nil:
		return failure(fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "usage: ")), "")
	}
	j := &seatsIngestJSON{Report: path, Ingested: true, Grant: h.GrantID, Site: h.Grant.Subject, Start: acc.Start, Size: acc.Checkpoint.Size}
	for _, e := range acc.Events {
		switch {
		case e.Event == usage.EventGranted || e.Event == usage.EventBorrowed:
			j.Leases++
		case e.Event == usage.EventRefused && (e.Reason == "" || e.Reason == usage.ReasonSeatsFull):
			j.Refusals++
		}
	}
	if fl.json {
		return writeJSON(a.stdout, j)
	}
	if len(acc.Events) == 0 {
		fmt.Fprintf(a.stdout, "nothing new from site %s (grant %s): the store holds its %d records\n", safeText(j.Site), j.Grant, j.Size)
		return nil
	}
	fmt.Fprintf(a.stdout, "ingested records %d to %d of site %s (grant %s) from %s: %s granted, %s refused with every seat taken; the store holds %d records\n",
		j.Start, j.Size-1, safeText(j.Site), j.Grant, path, count(j.Leases, "lease", "leases"), count(j.Refusals, "request", "requests"), j.Size)
	return nil
}

// seatsIngestHint says what to do about a refused usage report.
func seatsIngestHint(e *usage.Error) string {
	switch e.Code {
	case usage.CodeInconsistent:
		return "keep the evidence file: both checkpoints are signed by the site key; an honest site log always has a consistency proof"
	case usage.CodeRolledBack:
		return "the site's lease server state went back (restored from a backup?): ask the site what happened to the records after it"
	case usage.CodeReplayed, usage.CodeDropped:
		return "ask the site for a report --since the last report you ingested"
	case usage.CodeOtherGrant:
		return "give the --grant of the site that sent the report"
	case usage.CodeMalformed:
		return "a usage report is what 'licet seats report' writes"
	}
	return "nothing was ingested; ask the site for the report as it made it"
}

type seatsStatementFlags struct {
	trust, store, period string
	grants               []string
	statementOutput
}

func newSeatsStatementCmd(a *app) *cobra.Command {
	var fl seatsStatementFlags
	cmd := &cobra.Command{
		Use:   "statement [--store DIR] [--grant SITE.grant|ID]... [--period PERIOD] [--format table|json|csv|html] [-o FILE]",
		Short: "Peak seats, seat-hours and refusals of a site, per day (vendors)",
		Long: `Show a site's seat usage per UTC day, in total and per product: the most
seats in use at one instant (PEAK, and OVER: how far beyond the grant's
seats), the seat-hours, the requests refused because every seat was taken
(REFUSED: the demand beyond the seats bought), the seats borrowed and the
leases granted. A lease counts from the record that granted it until the
one that released it, or else to its last signed expiry (a crashed
client's seat stays taken until then, as on the server). The times the
server refused new leases because it could not trust its state (safe
mode: its log lost or rolled back) are listed.

The records are those of the reports ingested into the store (--store,
default ./seat-usage) for the site grant --grant (its file or its id; not
needed when the store holds one grant; repeated, the sub-grants of one
site's lease servers, whose seats and leases count together), or of
report files given as
arguments, checked as 'licet seats ingest' checks them (then --trust and
--grant FILE are required) but not kept. --period keeps the days of a
quarter (2026-Q4), a month (2026-11), a year, days
(2026-10-01..2026-12-31) or last-month, last-quarter... The statement is
a table, JSON (--json), CSV (a line per day for all products, product
"*", then a line per product) or a self-contained HTML page with charts,
which loads nothing from the network. -o FILE is written with mode 0600,
never overwritten without --force.`,
		Example: `  licet seats statement --grant plant-1.grant
  licet seats statement --store /srv/seat-usage --grant 8f26dbc27843c7fcaaae0e22d8e7e7a2 --period 2026-Q4 --format html -o plant-1-2026-Q4.html
  licet seats statement --trust acme.pub --grant plant-1.grant usage-1.report usage-2.report --format csv`,
		RunE: runE(func(cmd *cobra.Command, args []string) error { return a.seatsStatement(args, &fl) }),
	}
	f := cmd.Flags()
	f.StringVar(&fl.store, "store", defaultUsageStore, "the `DIR` of the reports ingested")
	f.StringArrayVar(&fl.grants, "grant", nil, "the site grant: its `FILE`, or its id in the store (repeatable: the sub-grants of one site's servers, counted together)")
	f.StringVar(&fl.trust, "trust", "", "your public key `FILE` (with report files as arguments)")
	f.StringVar(&fl.period, "period", "", "only the days of `PERIOD`: 2026-Q4, 2026-11, 2026, 2026-10-01..2026-12-31, last-quarter...")
	_ = cmd.MarkFlagDirname("store")
	_ = cmd.MarkFlagFilename("grant")
	_ = cmd.MarkFlagFilename("trust", "pub")
	fl.statementOutput.addFlags(cmd)
	return cmd
}

func (a *app) seatsStatement(reports []string, fl *seatsStatementFlags) error {
	problems, err := fl.statementOutput.check()
	if err != nil {
		return err
	}
	var opt usage.Options
	if fl.period != "" {
		p, err := royalty.ParsePeriod(fl.period, a.now())
		if err != nil {
			problems = append(problems, "--period "+strings.TrimPrefix(err.Error(), "royalty: period "))
		}
		opt.From, opt.To = p.Start, p.End
	}
	if len(problems) > 0 {
		return problemsError("cannot make the statement", problems, "see 'licet seats statement --help'")
	}
	if fl.out != "" && fl.out != "-" {
		if err := a.checkOutput(fl.out, fl.format, fl.force, false); err != nil {
			return err
		}
	}
	s, err := a.usageStatement(reports, fl, opt)
	if err != nil {
		return err
	}
	if wrote, err := a.writeStatement(s, fl.format, fl.out, fl.force); !wrote || err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "licet: wrote the seat usage statement of site %s (%s, peak %d of %d seats) to %s\n",
		safeText(s.Site.Site), count(len(s.Days), "day", "days"), s.Total.Peak, s.Seats, fl.out)
	return nil
}

// usageStatement computes the statement of the report files given,
// checked in order, or of the store's reports of the grants given.
func (a *app) usageStatement(reports []string, fl *seatsStatementFlags, opt usage.Options) (*usage.Statement, error) {
	if len(reports) == 0 && fl.trust != "" {
		return nil, usageError("give report files to check with --trust, or leave it out to read the store", "--trust is only for report files given as arguments")
	}
	if len(reports) > 0 {
		if len(fl.grants) > 1 {
			return nil, usageError("make the statement of one site grant's reports, or ingest them and give the grants", "report files as arguments are of one --grant, not %d", len(fl.grants))
		}
		h, err := historyOfFiles(reports, fl)
		if err != nil {
			return nil, err
		}
		return h.Statement(opt), nil
	}
	grants := fl.grants
	if len(grants) == 0 {
		grants = []string{""}
	}
	var hs []*usage.History
	for _, g := range grants {
		h, err := loadUsage(fl.store, g)
		if err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	s, err := usage.Combined(hs, opt)
	if err != nil {
		return nil, failure(errors.New(strings.TrimPrefix(err.Error(), "usage: ")), "")
	}
	return s, nil
}

// historyOfFiles checks report files of one site grant in order.
func historyOfFiles(reports []string, fl *seatsStatementFlags) (*usage.History, error) {
	grantFile := ""
	if len(fl.grants) == 1 {
		grantFile = fl.grants[0]
	}
	vendor, grant, err := vendorAndGrant(fl.trust, grantFile, "statement")
	if err != nil {
		return nil, err
	}
	h, err := usage.NewHistory(vendor, grant)
	if err != nil {
		return nil, failure(errors.New(strings.TrimPrefix(err.Error(), "usage: ")), "")
	}
	for _, path := range reports {
		data, err := readFile(path, "a usage report", usage.MaxSize)
		if err != nil {
			return nil, err
		}
		var ue *usage.Error
		if _, err := h.Add(data, path); errors.As(err, &ue) {
			return nil, failure(fmt.Errorf("%s is refused (%s): %s", path, ue.Code, strings.TrimPrefix(err.Error(), "usage: ")),
				"give the reports in the order the site made them, from its first")
		} else if err != nil {
			return nil, failure(fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "usage: ")), "")
		}
	}
	return h, nil
}

// loadUsage reads the history of a site grant (its file or id; "" when
// the store holds one) from the store.
func loadUsage(store, grant string) (*usage.History, error) {
	id := strings.ToLower(grant)
	if grant != "" && !isHexID(grant) {
		_, g, err := readGrant(grant)
		if err != nil {
			return nil, err
		}
		id = fmt.Sprintf("%x", g.ID)
	}
	if id == "" {
		ids, err := usage.Grants(store)
		if errors.Is(err, os.ErrNotExist) || (err == nil && len(ids) == 0) {
			return nil, failure(fmt.Errorf("the store %s holds no usage report", store), "ingest one first: licet seats ingest REPORT --trust VENDOR.pub --grant SITE.grant")
		} else if err != nil {
			return nil, failure(errors.New(strings.TrimPrefix(err.Error(), "usage: ")), "")
		}
		if len(ids) > 1 {
			return nil, usageError("pass --grant with the site grant's file or id", "the store %s holds the reports of %d site grants: %s", store, len(ids), strings.Join(ids, ", "))
		}
		id = ids[0]
	}
	h, err := usage.Load(store, id)
	if err != nil {
		return nil, failure(errors.New(strings.TrimPrefix(err.Error(), "usage: ")), "")
	}
	return h, nil
}

type seatsAuditFlags struct {
	grant, store string
	json         bool
}

func newSeatsAuditCmd(a *app) *cobra.Command {
	var fl seatsAuditFlags
	cmd := &cobra.Command{
		Use:   "audit LEASE... [--store DIR] [--grant SITE.grant|ID]",
		Short: "Check leases seen in the field against a site's reports (vendors)",
		Long: `Check leases seen in the field (files, any form) against the usage
reports ingested for a site grant. The site's lease server writes every
lease it signs into its log, and the lease's site_seq names that record;
whoever holds the site key can sign leases off the log, and this is how
they show. Each lease is:

  reported     the token of the record it names, in the reports
  unreported   it names a record beyond the reports: the next report must hold it
  off_books    signed by the site key under the grant, and the record it
               names holds another lease (or it names none): handed out off the log
  invalid      not a lease of the site grant signed by the site key

Exit 1 when a lease is off_books or invalid.`,
		Example: `  licet seats audit --grant plant-1.grant seen/*.lease
  licet seats audit --store /srv/seat-usage --grant 8f26dbc27843c7fcaaae0e22d8e7e7a2 ws-12.lease --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error { return a.seatsAudit(args, &fl) }),
	}
	f := cmd.Flags()
	f.StringVar(&fl.store, "store", defaultUsageStore, "the `DIR` of the reports ingested")
	f.StringVar(&fl.grant, "grant", "", "the site grant: its `FILE`, or its id in the store")
	f.BoolVar(&fl.json, "json", false, "print the outcome as JSON")
	_ = cmd.MarkFlagDirname("store")
	_ = cmd.MarkFlagFilename("grant")
	return cmd
}

// seatsAuditJSON is a lease in the --json output of seats audit.
type seatsAuditJSON struct {
	File    string `json:"file"`
	Lease   string `json:"lease"`
	SiteSeq int64  `json:"site_seq"`
	Outcome string `json:"outcome"`
	Detail  string `json:"detail"`
}

func (a *app) seatsAudit(files []string, fl *seatsAuditFlags) error {
	h, err := loadUsage(fl.store, fl.grant)
	if err != nil {
		return err
	}
	out, bad := []seatsAuditJSON{}, 0
	for _, path := range files {
		data, err := readFile(path, "a lease", 1<<20)
		if err != nil {
			return err
		}
		r := h.Audit(data)
		out = append(out, seatsAuditJSON{File: path, Lease: r.Lease, SiteSeq: r.SiteSeq, Outcome: r.Outcome, Detail: r.Detail})
		if r.Outcome == usage.AuditOffBooks || r.Outcome == usage.AuditInvalid {
			bad++
		}
	}
	if fl.json {
		err = writeJSON(a.stdout, out)
	} else {
		for _, r := range out {
			fmt.Fprintf(a.stdout, "%s %s: %s (%s)\n", r.Outcome, r.File, safeText(r.Detail), r.Lease)
		}
	}
	if err == nil && bad > 0 {
		return silentExit(exitRejected)
	}
	return err
}

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/licet/licet/report"
	"github.com/spf13/cobra"
)

type reportIngestFlags struct {
	lf         ledgerCmdFlags
	grant, dir string
	json       bool
}

func newReportIngestCmd(a *app) *cobra.Command {
	var fl reportIngestFlags
	cmd := &cobra.Command{
		Use:   "ingest REPORT [--key VENDOR_KEY | --ledger LEDGER] [--grant ID] [--evidence-dir DIR]",
		Short: "Check a partner's report and store its licenses (vendors)",
		Long: `Check a partner's royalty report against your ledger and store its licenses
there. The report's grant must be one your ledger recorded (--grant ID
insists on one); its checkpoint must be signed by the grant's key; its
licenses must be signed by that key under your grants and within them, and
must continue exactly what was ingested before: the licenses stored and the
new ones must make up the signed tree.

Any failure refuses the whole report (exit 1) and stores nothing; the
message names the reason (code): malformed, tampered, wrong_key,
unknown_grant, other_grant, outside_grant, dropped, reordered, replayed,
inconsistent, not_mirrored. A checkpoint that contradicts one ingested
before (the partner rewrote its log) is written as evidence to
--evidence-dir (default: the report's directory), both signed notes in one
file, whose path the message gives.

A license issued before the partner's previous report was ingested (left
out of that report, or backdated into a period you may have invoiced) is
stored but flagged late: the outcome lists it, and statements count it in
the period of this report rather than of its issue date.`,
		Example: `  licet report ingest globex-2026-10.report --key acme.key
  licet report ingest globex-2026-11.report --ledger postgres://licet@db/licet --grant 8f26dbc27843c7fcaaae0e22d8e7e7a2
  licet report ingest incoming/globex.report --key acme.key --evidence-dir disputes/ --json`,
		Args: cobra.ExactArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error { return a.reportIngest(args[0], &fl) }),
	}
	fl.lf.add(cmd)
	cmd.Flags().StringVar(&fl.grant, "grant", "", "refuse a report for any grant but the one with this `ID`")
	cmd.Flags().StringVar(&fl.dir, "evidence-dir", "", "`DIR` to keep evidence of a rewritten log in (default: the report's directory)")
	cmd.Flags().BoolVar(&fl.json, "json", false, "print the outcome as JSON (also a refusal, with its code)")
	_ = cmd.MarkFlagDirname("evidence-dir")
	return cmd
}

// ingestJSON is the --json output of report ingest.
type ingestJSON struct {
	Report   string   `json:"report"`
	Ingested bool     `json:"ingested"`
	Code     string   `json:"code,omitempty"`
	Message  string   `json:"message,omitempty"`
	Evidence string   `json:"evidence,omitempty"`
	Grant    string   `json:"grant,omitempty"`
	Partner  string   `json:"partner,omitempty"`
	KID      string   `json:"kid,omitempty"`
	Start    int64    `json:"start"`
	Size     int64    `json:"size"`
	Root     string   `json:"root,omitempty"`
	Licenses []string `json:"licenses"`
	// Previous is when the previous report of the log was ingested.
	Previous string     `json:"previous,omitempty"`
	Late     []lateJSON `json:"late"`
}

// lateJSON is a late license in the --json output of report ingest.
type lateJSON struct {
	License string `json:"license"`
	Sub     string `json:"sub"`
	Tier    string `json:"tier"`
	Iat     string `json:"iat"`
}

func (a *app) reportIngest(path string, fl *reportIngestFlags) error {
	if fl.grant != "" && !isHexID(fl.grant) {
		return usageError("licet ledger list --kind grant shows the ids", "--grant %q is not a grant id (32 hex digits)", fl.grant)
	}
	data, err := readFile(path, "a report file", report.MaxSize)
	if err != nil {
		return err
	}
	led, err := a.openLedgerOf(&fl.lf)
	if err != nil {
		return err
	}
	defer led.Close()
	in, err := report.Ingest(context.Background(), led, data, report.IngestOptions{
		Source: path, Grant: strings.ToLower(fl.grant), EvidenceDir: fl.dir, Now: a.now(),
	})
	var re *report.Error
	switch {
	case errors.As(err, &re):
		return a.refused(path, fl.json, &ingestJSON{Report: path, Code: string(re.Code), Message: strings.TrimPrefix(re.Message, "report: "),
			Evidence: re.Evidence, Licenses: []string{}, Late: []lateJSON{}}, string(re.Code), strings.TrimPrefix(err.Error(), "report: "), ingestHint(re))
	case err != nil:
		return failure(fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "report: ")), ledgerHint)
	}
	j := &ingestJSON{Report: path, Ingested: true, Grant: in.Report.GrantID, Partner: in.Grant.Subject, KID: in.KID,
		Start: in.Start, Size: in.Size, Root: in.Root.String(), Licenses: []string{}, Late: []lateJSON{}}
	if !in.Previous.IsZero() {
		j.Previous = rfc3339(in.Previous)
	}
	for _, e := range in.Entries {
		j.Licenses = append(j.Licenses, e.ID)
	}
	for _, e := range in.Late {
		j.Late = append(j.Late, lateJSON{License: e.ID, Sub: e.Subject, Tier: e.Tier, Iat: rfc3339(e.IssuedAt)})
	}
	if fl.json {
		return writeJSON(a.stdout, j)
	}
	if len(in.Entries) == 0 {
		fmt.Fprintf(a.stdout, "nothing new from %s (grant %s): the log of key %s still holds %d licenses\n", in.Grant.Subject, j.Grant, in.KID, in.Size)
		return nil
	}
	what := fmt.Sprintf("%d licenses of %s (grant %s) from %s: entries %d to %d", len(in.Entries), in.Grant.Subject, j.Grant, path, in.Start, in.Size-1)
	if len(in.Entries) == 1 {
		what = fmt.Sprintf("1 license of %s (grant %s) from %s: entry %d", in.Grant.Subject, j.Grant, path, in.Start)
	}
	fmt.Fprintf(a.stdout, "ingested %s; the log of key %s now holds %d\n", what, in.KID, in.Size)
	if len(in.Late) > 0 {
		fmt.Fprintf(a.stdout, "late: %d of them issued before %s's previous report was ingested (%s): statements count them now, not when issued\n",
			len(in.Late), safeText(in.Grant.Subject), rfc3339(in.Previous))
		for _, e := range in.Late {
			fmt.Fprintf(a.stdout, "  late %s %s (%s), issued %s\n", e.ID, safeText(e.Subject), safeText(e.Tier), rfc3339(e.IssuedAt))
		}
	}
	return nil
}

// refused is the outcome of an ingest that refused the report file path
// with code: with --json (asJSON) the outcome j and exit status 1, else an
// error naming the file and the code, msg and hint.
func (a *app) refused(path string, asJSON bool, j any, code, msg, hint string) error {
	if asJSON {
		if err := writeJSON(a.stdout, j); err != nil {
			return err
		}
		return silentExit(exitRejected)
	}
	return failure(fmt.Errorf("%s is refused (%s): %s", path, code, msg), hint)
}

// ingestHint says what to do about a refused report.
func ingestHint(e *report.Error) string {
	switch e.Code {
	case report.CodeInconsistent:
		return "keep the evidence file: both checkpoints are signed by the partner's key; an honest partner can show a consistency proof"
	case report.CodeReplayed, report.CodeDropped:
		return "ask the partner for a report --since N, N being the licenses ingested ('licet report list' shows it)"
	case report.CodeUnknownGrant, report.CodeOtherGrant:
		return "'licet ledger list --kind grant' shows the grants this ledger issued"
	case report.CodeMalformed:
		return "a report file is what 'licet report create' writes"
	case report.CodeNotMirrored:
		return "ingest partner reports into a ledger that does not sign with the partner's key"
	}
	return "nothing was ingested; ask the partner for the report as it made it"
}

func isHexID(s string) bool {
	s = strings.ToLower(s)
	return len(s) == 32 && strings.Trim(s, "0123456789abcdef") == ""
}

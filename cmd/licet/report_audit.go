package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/licet/licet/report"
	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

type reportAuditFlags struct {
	lf   ledgerCmdFlags
	json bool
}

func newReportAuditCmd(a *app) *cobra.Command {
	var fl reportAuditFlags
	cmd := &cobra.Command{
		Use:   "audit LICENSE... [--key VENDOR_KEY | --ledger LEDGER] [--json]",
		Short: "Find licenses seen in the field that no partner reported (vendors)",
		Long: `Look up licenses seen in the field (files in any form, several licenses per
file allowed, or - for stdin) in your ledger. Each is:

  reported  a partner's ingested report holds it, byte for byte
  issued    you issued it yourself
  missing   a partner signed it under one of your grants and no report
            holds it: evidence of under-reporting (the message says whether
            it was issued before the last report was ingested)
  differs   a report holds a license with this id but other terms
  foreign   not yours: no grant of your ledger, not issued through it
  invalid   not a license, or a signature that does not verify

Exit code 1 when any license is missing or differs, 0 otherwise.`,
		Example: `  licet report audit --key acme.key customer-9.lic customer-12.lic
  licet report audit --ledger postgres://licet@db/licet --json seen/*.lic > audit.json || echo 'under-reported licenses'
  cat field-licenses.pem | licet report audit --key acme.key -`,
		Args: cobra.MinimumNArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error { return a.reportAudit(args, &fl) }),
	}
	fl.lf.add(cmd)
	cmd.Flags().BoolVar(&fl.json, "json", false, "print a JSON array, one object per license")
	return cmd
}

// auditJSON is one license of report audit --json.
type auditJSON struct {
	File    string  `json:"file"`
	Status  string  `json:"status"`
	License string  `json:"license"`
	Sub     string  `json:"sub"`
	Tier    string  `json:"tier"`
	Partner string  `json:"partner"`
	Grant   string  `json:"grant"`
	Iat     *string `json:"iat"`
	Index   *int64  `json:"log_index"`
	Detail  string  `json:"detail"`
}

func (a *app) reportAudit(args []string, fl *reportAuditFlags) error {
	var seen []report.Seen
	for _, arg := range args {
		s, err := a.readSeen(arg)
		if err != nil {
			return err
		}
		seen = append(seen, s...)
	}
	led, err := a.openLedgerOf(&fl.lf)
	if err != nil {
		return err
	}
	defer led.Close()
	findings, err := report.Audit(context.Background(), led, seen)
	if err != nil {
		return failure(err, ledgerHint)
	}
	unreported := 0
	for _, f := range findings {
		if f.Status.Unreported() {
			unreported++
		}
	}
	if fl.json {
		if err := writeAuditJSON(a.stdout, findings); err != nil {
			return err
		}
	} else {
		writeAuditTable(a.stdout, findings)
		if unreported > 0 {
			fmt.Fprintf(a.stdout, "%d of %d licenses are in no report: evidence of under-reporting\n", unreported, len(findings))
		} else {
			fmt.Fprintf(a.stdout, "every partner license of the %d is in a report\n", len(findings))
		}
	}
	if unreported > 0 {
		return silentExit(exitRejected)
	}
	return nil
}

// readSeen reads the licenses of one argument: a file, or - for stdin.
func (a *app) readSeen(arg string) ([]report.Seen, error) {
	var data []byte
	var err error
	if arg == "-" {
		data, err = io.ReadAll(io.LimitReader(a.stdin, token.MaxObjects*token.MaxTokenSize+1))
		if err != nil {
			return nil, ioError(fmt.Errorf("reading stdin: %v", err), "")
		}
		arg = "stdin"
	} else if data, err = readFileUpTo(arg, "a license file", token.MaxObjects*token.MaxTokenSize+1); err != nil {
		return nil, err
	}
	parts, err := token.Split(data)
	if err != nil {
		return nil, failure(fmt.Errorf("%s: %s", arg, strings.TrimPrefix(err.Error(), "token: ")), "give license files (text, PEM or raw), several per file allowed")
	}
	var out []report.Seen
	for i, p := range parts {
		name := arg
		if len(parts) > 1 {
			name = fmt.Sprintf("%s#%d", arg, i+1)
		}
		raw, _, err := token.Unarmor(p)
		if err != nil {
			raw = p // left for the audit to call invalid
		}
		out = append(out, report.Seen{Name: name, Raw: raw})
	}
	return out, nil
}

func writeAuditTable(w io.Writer, findings []*report.Finding) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tFILE\tLICENSE\tPARTNER\tSUBJECT\tDETAIL")
	for _, f := range findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Status, f.Name, dash(f.LicenseID), dash(f.Partner), dash(safeText(f.Subject)), f.Detail)
	}
	tw.Flush()
}

func writeAuditJSON(w io.Writer, findings []*report.Finding) error {
	out := make([]*auditJSON, 0, len(findings))
	for _, f := range findings {
		j := &auditJSON{File: f.Name, Status: string(f.Status), License: f.LicenseID, Sub: f.Subject, Tier: f.Tier,
			Partner: f.Partner, Grant: f.GrantID, Iat: timePtr(f.Issued), Detail: f.Detail}
		if f.Index >= 0 {
			idx := f.Index
			j.Index = &idx
		}
		out = append(out, j)
	}
	return writeJSON(w, out)
}

package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/licet/licet/ledger"
	"github.com/spf13/cobra"
)

func newReportListCmd(a *app) *cobra.Command {
	var lf ledgerCmdFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--key VENDOR_KEY | --ledger LEDGER] [--json]",
		Short: "Show what each partner has reported (vendors)",
		Long: `List the partner logs your ledger mirrors: for each partner key, its
partner and grant, the licenses ingested (the size of the last checkpoint:
the --since of the partner's next report), the number of reports and the
last one, with when it was ingested.`,
		Example: `  licet report list --key acme.key
  licet report list --ledger postgres://licet@db/licet --json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			led, err := a.openLedgerOf(&lf)
			if err != nil {
				return err
			}
			defer led.Close()
			logs, err := reportedLogs(context.Background(), led)
			if err != nil {
				return failure(err, ledgerHint)
			}
			if asJSON {
				return writeJSON(a.stdout, logs)
			}
			if len(logs) == 0 {
				fmt.Fprintln(a.stderr, "licet: no report ingested yet ('licet report ingest REPORT')")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PARTNER\tKID\tGRANT\tLICENSES\tREPORTS\tLAST REPORT\tINGESTED")
			for _, g := range logs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", dash(g.Partner), g.KID, g.Grant, g.Size, g.Reports, dash(g.Source), g.Ingested)
			}
			return tw.Flush()
		}),
	}
	lf.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array, one object per partner log")
	return cmd
}

// reportedLogJSON is one mirrored log of report list.
type reportedLogJSON struct {
	Partner  string `json:"partner"`
	KID      string `json:"kid"`
	Grant    string `json:"grant"`
	Size     int64  `json:"size"`
	Root     string `json:"root"`
	Reports  int    `json:"reports"`
	Source   string `json:"last_report"`
	Ingested string `json:"ingested"`
}

// reportedLogs returns the last checkpoint of every mirrored log.
func reportedLogs(ctx context.Context, led *ledger.Ledger) ([]*reportedLogJSON, error) {
	cps, err := led.Checkpoints(ctx, "")
	if err != nil {
		return nil, err
	}
	out := []*reportedLogJSON{}
	for _, cp := range cps {
		if n := len(out); n > 0 && out[n-1].KID == cp.KID {
			out[n-1].Reports++
			out[n-1].Size, out[n-1].Root, out[n-1].Grant, out[n-1].Source, out[n-1].Ingested = cp.Size, cp.Root.String(), cp.GrantID, cp.Source, rfc3339(cp.Recorded)
			continue
		}
		out = append(out, &reportedLogJSON{KID: cp.KID, Grant: cp.GrantID, Size: cp.Size, Root: cp.Root.String(), Reports: 1,
			Source: cp.Source, Ingested: rfc3339(cp.Recorded)})
	}
	for _, g := range out {
		if e, err := led.GetUnder(ctx, "", g.Grant); err == nil {
			g.Partner = e.Subject
		}
	}
	return out, nil
}

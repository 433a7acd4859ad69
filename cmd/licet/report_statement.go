package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/licet/licet/royalty"
	"github.com/spf13/cobra"
)

type reportStatementFlags struct {
	lf                      ledgerCmdFlags
	period, partner, policy string
	statementOutput
}

func newReportStatementCmd(a *app) *cobra.Command {
	var fl reportStatementFlags
	cmd := &cobra.Command{
		Use:   "statement --period PERIOD [--format table|json|csv|html] [-o FILE] [--partner ID]",
		Short: "Royalties owed for the licenses partners reported (vendors)",
		Long: `Price the licenses that partners reported (ingested with 'licet report
ingest') and issued in a period, with the prices per tier of the policy
file's [royalties] table (--policy, LICET_POLICY, default licet.toml beside
the key):

  [royalties]
  currency = "EUR"
  [royalties.prices.pro]
  per_seat_year = "120.00"   # x the seats limit x years of the term, grace included
  [royalties.prices.team]
  flat = "50"                # per license

PERIOD is a quarter (2026-Q4), a month (2026-11), a year (2026), days
(2026-10-01..2026-12-31) or this-month, last-month, this-quarter,
last-quarter, this-year, last-year (UTC). The statement is a table (per
partner and tier, then per month), JSON (--json; amounts as strings), CSV
(one line per license) or a self-contained HTML page with charts of
licenses and royalties per tier and month, which loads nothing from the
network.

A license's term runs to its expiry plus its grace period (it still
verifies then): GRACE (grace_seat_years in JSON and CSV) is the part of
SEAT-YEARS that is grace. A license counts in the period it was issued,
unless it was issued before the partner's previous report was ingested
(left out of it, or backdated): then it is late, counts in the period of
the report that first held it, and is listed as late. -o FILE is written with mode 0600, never overwritten without
--force. A tier without a price is an error that names it.`,
		Example: `  licet report statement --key acme.key --period 2026-Q4
  licet report statement --key acme.key --period last-quarter --format html -o statement-2026-Q4.html
  licet report statement --ledger postgres://licet@db/licet --policy licet.toml --period 2026-11 --partner globex --format csv -o globex-2026-11.csv
  licet report statement --key acme.key --period 2026 --json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error { return a.reportStatement(&fl) }),
	}
	fl.lf.add(cmd)
	f := cmd.Flags()
	f.StringVar(&fl.period, "period", "", "the `PERIOD`: 2026-Q4, 2026-11, 2026, 2026-10-01..2026-12-31, last-quarter... (required)")
	f.StringVar(&fl.partner, "partner", "", "only the licenses of partner `ID`")
	f.StringVar(&fl.policy, "policy", "", "the policy `FILE` with the prices (default: LICET_POLICY, else licet.toml beside the key)")
	_ = cmd.MarkFlagFilename("policy", "toml")
	fl.statementOutput.addFlags(cmd)
	return cmd
}

func (a *app) reportStatement(fl *reportStatementFlags) error {
	problems, err := fl.statementOutput.check()
	if err != nil {
		return err
	}
	period, err := royalty.ParsePeriod(fl.period, a.now())
	switch {
	case fl.period == "":
		problems = append(problems, "--period is required: a quarter (2026-Q4), a month (2026-11), a year, or last-quarter...")
	case err != nil:
		problems = append(problems, "--period "+strings.TrimPrefix(err.Error(), "royalty: period "))
	}
	if len(problems) > 0 {
		return problemsError("cannot make the statement", problems, "see 'licet report statement --help'")
	}
	pol, err := loadPolicy(a.policyLocation(fl.policy, fl.lf.key))
	if err != nil {
		return err
	}
	if pol.Royalties == nil {
		return failure(errors.New("the policy file has no [royalties] table: no prices to apply"), "add [royalties.prices.TIER] with per_seat_year or flat (see 'licet report statement --help')")
	}
	if fl.out != "" && fl.out != "-" {
		if err := a.checkOutput(fl.out, fl.format, fl.force, false); err != nil {
			return err
		}
	}
	led, err := a.openLedgerOf(&fl.lf)
	if err != nil {
		return err
	}
	defer led.Close()
	s, err := royalty.Build(context.Background(), led, royalty.Options{Period: period, Royalties: pol.Royalties, Partner: fl.partner})
	if err != nil {
		return failure(errors.New(strings.TrimPrefix(err.Error(), "royalty: ")), "see 'licet report statement --help' for the prices")
	}
	if wrote, err := a.writeStatement(s, fl.format, fl.out, fl.force); !wrote || err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "licet: wrote the %s statement (%d licenses, %s) to %s\n", period.Name, s.Licenses, strings.TrimSpace(s.Royalty.String()+" "+s.Currency), fl.out)
	return nil
}

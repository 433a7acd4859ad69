package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/licet/licet/report"
	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

func newReportCmd(a *app) *cobra.Command {
	cmd := groupCmd("report", "Partner royalty reports: create, ingest, audit, statement",
		`  licet report create --key globex.key --grant globex.grant -o globex-1.report
  licet report create --key globex.key --grant globex.grant --since globex-1.report -o globex-2.report
  licet report ingest globex-1.report --key acme.key
  licet report list --key acme.key
  licet report audit --key acme.key seen/*.lic
  licet report statement --key acme.key --period 2026-Q4 --format html -o statement.html`)
	cmd.Long = `A partner that mints under a grant reports what it issued: a signed
checkpoint of the log of its key (a C2SP tlog-checkpoint in a signed note,
see docs/FORMAT.md section 10) and the licenses added since its last
report. The vendor ingests reports into its ledger, which then mirrors the
partner's log ('licet report list'): a report that was tampered with, reorders or drops
licenses, holds licenses outside the grant, belongs to another grant, or
replays an old one is refused and nothing is stored; a checkpoint that
contradicts an earlier one (a rewritten log) is kept as evidence.

Licenses seen in the field that no report holds are evidence of
under-reporting ('licet report audit'); the royalties owed per tier and
month come from the prices in the policy file ('licet report statement').`
	cmd.AddCommand(newReportCreateCmd(a), newReportIngestCmd(a), newReportListCmd(a), newReportAuditCmd(a), newReportStatementCmd(a))
	return cmd
}

type reportCreateFlags struct {
	key, grant, since, ledger, out string
	force, json                    bool
}

func newReportCreateCmd(a *app) *cobra.Command {
	var fl reportCreateFlags
	cmd := &cobra.Command{
		Use:   "create --key PARTNER_KEY --grant GRANT [--since N|LAST_REPORT] [-o FILE]",
		Short: "Report what you minted under a grant (partners)",
		Long: `Make a royalty report for the vendor of a grant: a checkpoint of the log of
your key in your ledger (every license you minted with it), signed with your
key, and the licenses from --since on, with the proof that the checkpoint
extends the one of your last report.

--since takes the last report's file (its checkpoint is checked against
your log: a log rewritten since is refused here, as the vendor would) or
its size, the number printed when it was made; without it the report holds
the whole log. Nothing is signed when the log holds anything the vendor
would refuse (a license outside its grant, one under another vendor's
grant: use one key per vendor). The report is written to -o FILE (mode
0600, never overwritten without --force) or stdout. The passphrase of an
encrypted key comes from --passphrase-file, LICET_PASSPHRASE or a prompt.`,
		Example: `  licet report create --key globex.key --grant globex.grant -o globex-2026-10.report
  licet report create --key globex.key --grant globex.grant --since globex-2026-10.report -o globex-2026-11.report
  licet report create --key globex.key --grant globex.grant --since 3 --json -o next.report`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error { return a.reportCreate(&fl) }),
	}
	f := cmd.Flags()
	f.StringVar(&fl.key, "key", "", "your (the partner's) private key `FILE`, the grant's key (required)")
	f.StringVar(&fl.grant, "grant", "", "the vendor's grant `FILE` you mint under (required)")
	f.StringVar(&fl.since, "since", "", "the last report `FILE`, or its checkpoint size N (default 0: the whole log)")
	f.StringVar(&fl.ledger, "ledger", "", ledgerFlagUsage)
	f.StringVarP(&fl.out, "output", "o", "", "write the report to `FILE` instead of stdout")
	f.BoolVar(&fl.force, "force", false, "overwrite the -o file")
	f.BoolVar(&fl.json, "json", false, "print what the report holds as JSON (needs -o)")
	addPassphraseFileFlag(cmd, a)
	_ = cmd.MarkFlagFilename("key", "key")
	_ = cmd.MarkFlagFilename("grant")
	_ = cmd.MarkFlagFilename("output")
	return cmd
}

// reportCreatedJSON is the --json output of report create.
type reportCreatedJSON struct {
	File    string `json:"file"`
	Vendor  string `json:"vendor"`
	Partner string `json:"partner"`
	Grant   string `json:"grant"`
	KID     string `json:"kid"`
	Start   int64  `json:"start"`
	Size    int64  `json:"size"`
	Entries int    `json:"entries"`
}

func (a *app) reportCreate(fl *reportCreateFlags) error {
	var problems []string
	if fl.key == "" {
		problems = append(problems, "--key is required: your private key, the one the grant names")
	}
	if fl.grant == "" {
		problems = append(problems, "--grant is required: the vendor's grant file you mint under")
	}
	if fl.json && (fl.out == "" || fl.out == "-") {
		problems = append(problems, "--json needs -o FILE: the report itself goes to stdout otherwise")
	}
	if len(problems) > 0 {
		return problemsError("cannot make the report, nothing was signed", problems, "see 'licet report create --help'")
	}
	grantRaw, g, err := readGrant(fl.grant)
	if err != nil {
		return err
	}
	data, info, err := readKeyFile(fl.key)
	if err != nil {
		return err
	}
	if !g.Key.Equal(info.Public.Key) {
		return failure(fmt.Errorf("%s is for the key %x of partner %s; %s is the key %x", fl.grant, token.KeyID(g.Key), g.Subject, fl.key, info.Public.KeyID()),
			"report with the partner key the grant names (licet inspect shows it)")
	}
	opt := report.CreateOptions{Grant: grantRaw, Now: a.now()}
	if err := readSince(fl.since, g.Key, &opt); err != nil {
		return err
	}
	if fl.out != "" && fl.out != "-" {
		if err := a.checkOutput(fl.out, "json", fl.force, false); err != nil {
			return err
		}
	}
	led, err := a.openLedgerOf(&ledgerCmdFlags{ledger: fl.ledger, key: fl.key})
	if err != nil {
		return err
	}
	defer led.Close()
	key, err := a.unlockKey(fl.key, data, info)
	if err != nil {
		return err
	}
	opt.Signer = key.Signer()
	r, err := report.Create(context.Background(), led, opt)
	if err != nil {
		return failure(errors.New(strings.TrimPrefix(err.Error(), "report: ")), "")
	}
	return a.writeReport(r, fl)
}

// readSince reads --since: a checkpoint size, or the last report's file,
// whose checkpoint (signed by pub) gives the size and the root.
func readSince(since string, pub ed25519.PublicKey, opt *report.CreateOptions) error {
	if since == "" {
		return nil
	}
	if n, err := strconv.ParseInt(since, 10, 64); err == nil {
		if n < 0 {
			return usageError("", "--since %d: give the size of the last report's checkpoint (0 or more), or its file", n)
		}
		opt.Since = n
		return nil
	}
	data, err := readFile(since, "the last report file", report.MaxSize)
	if err != nil {
		return err
	}
	prev, err := report.Parse(data)
	if err != nil {
		return failure(fmt.Errorf("--since %s: %s", since, strings.TrimPrefix(err.Error(), "report: ")), "--since takes the file of your last report, or its checkpoint size")
	}
	cp, err := report.OpenCheckpoint([]byte(prev.Checkpoint), pub)
	if err != nil {
		return failure(fmt.Errorf("--since %s: %s", since, strings.TrimPrefix(err.Error(), "report: ")), "--since takes a report made with this key")
	}
	root := cp.Root
	opt.Since, opt.SinceRoot = cp.Size, &root
	return nil
}

// writeReport writes a report to -o or stdout and says what it holds.
func (a *app) writeReport(r *report.Report, fl *reportCreateFlags) error {
	data, err := r.Marshal()
	if err != nil {
		return failure(err, "")
	}
	size := r.Start + int64(len(r.Entries))
	if fl.out == "" || fl.out == "-" {
		_, err := a.stdout.Write(data)
		return err
	}
	if err := writeNew(fl.out, data, 0o600, fl.force); err != nil {
		return err
	}
	span := "no new license"
	switch len(r.Entries) {
	case 0:
	case 1:
		span = fmt.Sprintf("license %d", r.Start)
	default:
		span = fmt.Sprintf("licenses %d to %d", r.Start, size-1)
	}
	fmt.Fprintf(a.stderr, "licet: wrote the report of %s (a checkpoint of %d) for %s to %s; next time: --since %s\n", span, size, r.Vendor, fl.out, fl.out)
	if fl.json {
		return writeJSON(a.stdout, &reportCreatedJSON{File: fl.out, Vendor: r.Vendor, Partner: r.Partner, Grant: r.GrantID,
			KID: r.KID, Start: r.Start, Size: size, Entries: len(r.Entries)})
	}
	return nil
}

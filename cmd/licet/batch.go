package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// batchRecordedHook, when set, is called after each chunk of a batch is
// recorded and before its files are written. Only the test binary sets
// it (crashhook_test.go), to stop a batch there as a crash would: the
// shipped binary has no such hook.
var batchRecordedHook func(a *app, recorded int)

type batchFlags struct {
	key, outDir, policy, ledger, grant, format, progress string
	workers                                              int
	json, noRotation                                     bool
}

func newBatchCmd(a *app) *cobra.Command {
	var fl batchFlags
	cmd := &cobra.Command{
		Use:   "batch ORDERS.csv --key FILE [--out-dir DIR] [--policy FILE] [--json]",
		Short: "Mint a license per order of a CSV file, once per order",
		Long: `Mint one license per line of an orders CSV file, with the key unlocked once
and the signing spread over every core. The header line names the columns:

  order      the order reference (required): each order is issued once
  sub        the licensee (required)
  template   a template of the policy file (licet.toml beside the key, --policy)
  file       the output file name (default ORDER.lic), written in --out-dir
  aud, scopes, rights    space-separated lists that replace the template's
  tier, versions, days, expires, perpetual, grace        replace the template's
  limit.NAME, meta.NAME, bind.NAME                       set one name

An empty cell keeps the template's value. Every line is checked before
anything is signed, and every problem is reported at once.

Each license is recorded in the ledger before its file is written, so the
batch can be run again after a crash or an interruption: an order already
issued with the same terms is not signed again (its recorded license is
written where the line asks, if that file is missing), an order recorded but
not written is written from the ledger, and only the rest are signed.
Nothing is issued twice, nothing is lost. Files are never overwritten. An
order already issued with other terms (another sub, tier, limit...) is a
conflict: nothing is done for it, its differences are listed (recorded vs
asked), and the batch exits 1 after issuing the other orders.

License files are in the text form (licet1.xxx) by default, as with
'licet mint'; --format pem or raw to choose. After 'licet keys rotate', the
new key's licenses carry the rotation grant (see 'licet keys rotate').

A progress bar is drawn on a terminal (--progress always|never to choose).
--json prints every order's outcome (issued, recovered, existing, conflict),
id, file, expiry and ledger index. Exit code 0 when every order is issued
or was issued before with the same terms; 1 when any order conflicts.`,
		Example: `  licet batch orders.csv --key acme.key --out-dir licenses/
  licet batch orders.csv --key acme.key --out-dir licenses/ --json > issued.json
  licet batch partner-orders.csv --key globex.key --grant globex.grant --out-dir out/

  # orders.csv
  order,sub,template,limit.seats
  PO-1187,customer-42,pro,25
  PO-1188,customer-43,trial,`,
		Args: cobra.ExactArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.batch(cmd, args[0], &fl)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&fl.key, "key", "", "private key `FILE` that signs (required)")
	f.StringVar(&fl.outDir, "out-dir", ".", "write the licenses into `DIR`")
	f.StringVar(&fl.policy, "policy", "", policyFlagUsage)
	f.StringVar(&fl.ledger, "ledger", "", ledgerFlagUsage)
	f.StringVar(&fl.grant, "grant", "", "partners: the vendor's grant `FILE` to mint under")
	f.StringVar(&fl.format, "format", "text", "license file `FORM`: text, pem or raw")
	f.BoolVar(&fl.noRotation, "no-rotation-grant", false, noRotationUsage)
	f.StringVar(&fl.progress, "progress", "auto", "progress bar on stderr: `WHEN` auto (on a terminal), always or never")
	f.IntVar(&fl.workers, "workers", 0, "signing goroutines `N` (default: one per core)")
	f.BoolVar(&fl.json, "json", false, "print every order's outcome as JSON")
	_ = cmd.MarkFlagFilename("key", "key")
	_ = cmd.MarkFlagDirname("out-dir")
	_ = cmd.RegisterFlagCompletionFunc("format", completeFormats)
	addPassphraseFileFlag(cmd, a)
	return cmd
}

// batchInput reads the policy (when there is one) and the orders.
func (a *app) batchInput(path string, fl *batchFlags, now time.Time) ([]*policy.Order, error) {
	p := &policy.Policy{}
	loc := a.policyLocation(fl.policy, fl.key)
	if _, err := os.Stat(loc); err == nil || fl.policy != "" {
		var err error
		if p, err = loadPolicy(loc); err != nil {
			return nil, err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(err, path, "an orders CSV file")
	}
	defer f.Close()
	orders, err := p.ReadOrders(f, now)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "policy: orders: ")
		return nil, usageError("see 'licet batch --help' for the columns", "%s: nothing was signed:\n  %s", path, strings.ReplaceAll(msg, "\n", "\n  "))
	}
	return orders, nil
}

func (a *app) batch(cmd *cobra.Command, path string, fl *batchFlags) error {
	now := a.now().UTC().Truncate(time.Second)
	if p := checkOutputFlags(fl.format, "", false); len(p) > 0 {
		return usageError("", "%s", p[0])
	}
	if fl.progress != "auto" && fl.progress != "always" && fl.progress != "never" {
		return usageError("", "--progress %q: use auto, always or never", fl.progress)
	}
	if fi, err := os.Stat(fl.outDir); err != nil || !fi.IsDir() {
		return ioError(fmt.Errorf("--out-dir %s: no such directory", fl.outDir), "create it first")
	}
	data, info, err := readKeyFile(fl.key)
	if err != nil {
		return err
	}
	orders, err := a.batchInput(path, fl, now)
	if err != nil {
		return err
	}
	var grantRaw []byte
	var g *token.Grant
	if fl.grant != "" {
		if grantRaw, g, err = readGrant(fl.grant); err != nil {
			return err
		}
	}
	if err := checkOrders(orders, info, g, fl.grant, fl.key); err != nil {
		return err
	}
	led, err := a.openLedger(a.ledgerLocation(fl.ledger, fl.key))
	if err != nil {
		return err
	}
	defer led.Close()
	is := a.newIssuer(fl.key, data, info, led, fl.format, false, now)
	is.Write = func(file string, data []byte, replace bool) error { return keys.WriteFile(file, data, 0o644, replace) }
	outcomes, err := is.Batch(context.Background(), a.batchJobs(path, fl, orders), a.batchConfig(fl, grantRaw))
	a.endProgress(fl)
	var pe *issue.ProblemsError
	switch {
	case errors.As(err, &pe):
		problems := pe.Problems
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("and %d more", len(problems)-20))
		}
		return problemsError("cannot run the batch, nothing was signed", problems, "fix the orders file (or the templates) and run it again")
	case err != nil:
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		return failure(errors.New(strings.TrimPrefix(strings.TrimPrefix(err.Error(), "issue: "), "ledger: ")), "run the same batch again: what was issued is not issued again")
	}
	return a.reportBatch(outcomes, led, fl)
}

// batchJobs turns the orders into jobs. An order already recorded is
// compared with its line read as of the recorded license's issue time
// (the file is read again once per distinct time), so that relative
// terms (days) of a rerun compare equal.
func (a *app) batchJobs(path string, fl *batchFlags, orders []*policy.Order) []*issue.BatchJob {
	asked := map[int64]map[string]*token.License{}
	askedAt := func(ref string) func(time.Time) (*token.License, error) {
		return func(at time.Time) (*token.License, error) {
			m, ok := asked[at.Unix()]
			if !ok {
				again, err := a.batchInput(path, fl, at)
				if err != nil {
					return nil, err
				}
				m = make(map[string]*token.License, len(again))
				for _, o := range again {
					m[o.Ref] = o.License
				}
				asked[at.Unix()] = m
			}
			if l, ok := m[ref]; ok {
				return l, nil
			}
			return nil, fmt.Errorf("order %s: not in %s any more", ref, path)
		}
	}
	jobs := make([]*issue.BatchJob, len(orders))
	for i, o := range orders {
		jobs[i] = &issue.BatchJob{Order: o.Ref, License: o.License, File: filepath.Join(fl.outDir, o.File),
			Name: fmt.Sprintf("line %d (order %s)", o.Line, o.Ref), AskedAt: askedAt(o.Ref)}
	}
	return jobs
}

// checkOrders refuses, before anything is signed, a partner key that is
// not the one its grant names (issue.Batch checks every license).
func checkOrders(orders []*policy.Order, info *keys.KeyInfo, g *token.Grant, grantPath, keyPath string) error {
	if g == nil || g.Key.Equal(info.Public.Key) || len(orders) == 0 {
		return nil
	}
	lic := *orders[0].License
	lic.Issuer = info.Public.Issuer
	return checkGrant(grantPath, keyPath, g, &lic, info.Public.Key, info.Public.KeyID())
}

func (a *app) batchConfig(fl *batchFlags, grantRaw []byte) issue.BatchConfig {
	cfg := issue.BatchConfig{
		Grant: grantRaw, NoRotationGrant: fl.noRotation, Workers: fl.workers,
		Encode: func(e *ledger.Entry) ([]byte, error) {
			return encodeToken(e.Raw, token.PEMLicense, entryHeaders(e), fl.format, "")
		},
	}
	if batchRecordedHook != nil {
		cfg.Recorded = func(recorded int) { batchRecordedHook(a, recorded) }
	}
	if a.showProgress(fl) {
		cfg.Progress = a.drawProgress
	}
	return cfg
}

// showProgress reports whether to draw the progress bar.
func (a *app) showProgress(fl *batchFlags) bool {
	switch fl.progress {
	case "always":
		return true
	case "never":
		return false
	}
	f, ok := a.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// drawProgress draws a one-line progress bar on stderr.
func (a *app) drawProgress(done, total int) {
	const width = 30
	filled := width * done / total
	fmt.Fprintf(a.stderr, "\r[%s%s] %d/%d orders", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), done, total)
}

func (a *app) endProgress(fl *batchFlags) {
	if a.showProgress(fl) {
		fmt.Fprintln(a.stderr)
	}
}

// batchJSON is one order in the --json output of batch.
type batchJSON struct {
	Order       string  `json:"order"`
	Status      string  `json:"status"`
	ID          string  `json:"id"`
	Sub         string  `json:"sub"`
	File        string  `json:"file"`
	Exp         *string `json:"exp"`
	LedgerIndex int64   `json:"ledger_index"`
	// Differences lists, for a conflict, each term that differs:
	// "field: recorded vs asked".
	Differences []string `json:"differences,omitempty"`
}

func (a *app) reportBatch(outcomes []*issue.BatchOutcome, led *ledger.Ledger, fl *batchFlags) error {
	count := map[string]int{}
	out := make([]*batchJSON, 0, len(outcomes))
	for _, o := range outcomes {
		count[o.Status]++
		out = append(out, &batchJSON{Order: o.Job.Order, Status: o.Status, ID: o.Entry.ID, Sub: o.Entry.Subject,
			File: o.Entry.File, Exp: timePtr(o.Entry.Expiry), LedgerIndex: o.Entry.Index, Differences: o.Differences})
		if o.Status == issue.Conflict {
			fmt.Fprintf(a.stderr, "licet: %s: conflict: issued before as license %s with other terms (recorded vs asked): %s\n",
				o.Job.Name, o.Entry.ID, strings.Join(o.Differences, "; "))
		}
	}
	fmt.Fprintf(a.stderr, "licet: batch of %d orders: %d issued, %d recovered from an interrupted run, %d already issued with the same terms, %d conflicts; ledger %s\n",
		len(outcomes), count[issue.Issued], count[issue.Recovered], count[issue.Existing], count[issue.Conflict], led.Location())
	if fl.json {
		if err := writeJSON(a.stdout, struct {
			Issued    int          `json:"issued"`
			Recovered int          `json:"recovered"`
			Existing  int          `json:"existing"`
			Conflicts int          `json:"conflicts"`
			Ledger    string       `json:"ledger"`
			Orders    []*batchJSON `json:"orders"`
		}{count[issue.Issued], count[issue.Recovered], count[issue.Existing], count[issue.Conflict], led.Location(), out}); err != nil {
			return err
		}
	}
	if n := count[issue.Conflict]; n > 0 {
		return failure(fmt.Errorf("%d of %d orders were issued before with other terms: nothing was done for them", n, len(outcomes)),
			"an order is issued once: use a new order reference for new terms, or 'licet renew ORDER --tier/--limit/...' to change them at renewal")
	}
	return nil
}

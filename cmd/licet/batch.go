package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// batchExitAfterEnv is a test hook: the batch exits (status 3) as soon as
// this many licenses are recorded, before their files are written, as a
// crash would.
const batchExitAfterEnv = "LICET_TEST_BATCH_EXIT_AFTER"

type batchFlags struct {
	key, outDir, policy, ledger, grant, format, progress string
	workers                                              int
	json                                                 bool
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
batch can be run again after a crash or an interruption: orders already
issued are skipped, orders recorded but not written are written from the
ledger, and only the rest are signed. Nothing is issued twice, nothing is
lost. Files are never overwritten.

A progress bar is drawn on a terminal (--progress always|never to choose).
--json prints every order's outcome (issued, recovered, skipped), id, file,
expiry and ledger index. Exit code 0 when every order is issued.`,
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
	f.StringVar(&fl.format, "format", "pem", "license file `FORM`: pem, text or raw")
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
	key, err := a.unlockKey(fl.key, data, info)
	if err != nil {
		return err
	}
	cfg := a.batchConfig(fl, key, grantRaw, now)
	jobs := make([]*ledger.BatchJob, len(orders))
	for i, o := range orders {
		jobs[i] = &ledger.BatchJob{Order: o.Ref, License: o.License, File: filepath.Join(fl.outDir, o.File)}
	}
	outcomes, err := led.Batch(context.Background(), jobs, cfg)
	a.endProgress(fl)
	if err != nil {
		return failure(errors.New(strings.TrimPrefix(err.Error(), "ledger: ")), "run the same batch again: what was issued is skipped, nothing is issued twice")
	}
	return a.reportBatch(outcomes, led, fl)
}

// checkOrders validates every license before anything is signed: the
// claims, and the grant of a partner.
func checkOrders(orders []*policy.Order, info *keys.KeyInfo, g *token.Grant, grantPath, keyPath string) error {
	var problems []string
	for _, o := range orders {
		lic := *o.License
		lic.Issuer, lic.ID = info.Public.Issuer, make([]byte, token.IDSize)
		if err := lic.Validate(); err != nil {
			problems = append(problems, fmt.Sprintf("line %d (order %s): %s", o.Line, o.Ref, strings.TrimPrefix(err.Error(), "token: invalid license: ")))
			continue
		}
		if g == nil {
			continue
		}
		if !g.Key.Equal(info.Public.Key) {
			return checkGrant(grantPath, keyPath, g, &lic, info.Public.Key, info.Public.KeyID())
		}
		for _, v := range verify.Violations(g, &lic) {
			problems = append(problems, fmt.Sprintf("line %d (order %s): outside the grant: %s", o.Line, o.Ref, v))
		}
	}
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("and %d more", len(problems)-20))
		}
		return problemsError("cannot run the batch, nothing was signed", problems, "fix the orders file (or the templates) and run it again")
	}
	return nil
}

func (a *app) batchConfig(fl *batchFlags, key *keys.PrivateKey, grantRaw []byte, now time.Time) ledger.BatchConfig {
	cfg := ledger.BatchConfig{
		Signer: key.Signer(), PublicKey: key.Public().Key, Issuer: key.Issuer, Grant: grantRaw, Now: now, Workers: fl.workers,
		Encode: func(e *ledger.Entry) ([]byte, error) {
			headers := map[string]string{"Issuer": e.Issuer, "Subject": e.Subject, "Products": e.Products(),
				"Tier": e.Tier, "Expires": formatExpiry(e.Expiry), "License-ID": e.ID}
			if e.GrantID != "" {
				headers["Grant-ID"] = e.GrantID
			}
			return encodeToken(e.Raw, token.PEMLicense, headers, fl.format, "")
		},
		WriteFile: func(path string, data []byte) error { return keys.WriteFile(path, data, 0o644, false) },
	}
	if n, err := strconv.Atoi(os.Getenv(batchExitAfterEnv)); err == nil && n > 0 {
		cfg.AfterAppend = func(recorded int) {
			if recorded >= n {
				fmt.Fprintf(a.stderr, "licet: %s=%d: exiting after %d recorded licenses (test hook)\n", batchExitAfterEnv, n, recorded)
				os.Exit(3)
			}
		}
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
}

func (a *app) reportBatch(outcomes []*ledger.BatchOutcome, led *ledger.Ledger, fl *batchFlags) error {
	count := map[string]int{}
	out := make([]*batchJSON, 0, len(outcomes))
	for _, o := range outcomes {
		count[o.Status]++
		out = append(out, &batchJSON{Order: o.Job.Order, Status: o.Status, ID: o.Entry.ID, Sub: o.Entry.Subject,
			File: o.Entry.File, Exp: timePtr(o.Entry.Expiry), LedgerIndex: o.Entry.Index})
	}
	fmt.Fprintf(a.stderr, "licet: batch of %d orders: %d issued, %d recovered from an interrupted run, %d already issued (skipped); ledger %s\n",
		len(outcomes), count[ledger.Issued], count[ledger.Recovered], count[ledger.Skipped], led.Location())
	if fl.json {
		return writeJSON(a.stdout, struct {
			Issued    int          `json:"issued"`
			Recovered int          `json:"recovered"`
			Skipped   int          `json:"skipped"`
			Ledger    string       `json:"ledger"`
			Orders    []*batchJSON `json:"orders"`
		}{count[ledger.Issued], count[ledger.Recovered], count[ledger.Skipped], led.Location(), out})
	}
	return nil
}

package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/licet/licet/internal/sqldb"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

// ledgerFlagUsage is the help text of every --ledger flag.
const ledgerFlagUsage = "the ledger: an SQLite `FILE` or a postgres:// URL (default: LICET_LEDGER, else licet.db beside the key)"

// ledgerHint is the hint of errors opening a ledger.
const ledgerHint = "choose the ledger with --ledger FILE or --ledger postgres://..., or set LICET_LEDGER"

// ledgerLocation returns where the ledger is: the --ledger flag, else
// LICET_LEDGER, else licet.db in the directory of the key (or the current
// directory when there is no key).
func (a *app) ledgerLocation(flag, keyPath string) string {
	if flag != "" {
		return flag
	}
	if v, ok := a.lookupEnv("LICET_LEDGER"); ok && v != "" {
		return v
	}
	if keyPath != "" {
		return filepath.Join(filepath.Dir(keyPath), ledger.DefaultFile)
	}
	return ledger.DefaultFile
}

// openLedger opens the ledger at location; errors are exit code 2.
func (a *app) openLedger(location string) (*ledger.Ledger, error) {
	l, err := ledger.Open(context.Background(), location)
	if err != nil {
		return nil, ioError(fmt.Errorf("cannot open the ledger: %s", strings.TrimPrefix(err.Error(), "ledger: ")), ledgerHint)
	}
	l.SetClock(a.now)
	return l, nil
}

// issuedJSON is the --json output of mint, grant, revoke and renew.
type issuedJSON struct {
	ID          string  `json:"id"`
	Kind        string  `json:"kind"`
	File        string  `json:"file"`
	Exp         *string `json:"exp"`
	KID         string  `json:"kid"`
	LedgerIndex int64   `json:"ledger_index"`
	Ledger      string  `json:"ledger"`
	Order       string  `json:"order,omitempty"`
	RenewedFrom string  `json:"renewed_from,omitempty"`
	// Existing is set when the order was issued before with the same
	// terms: the recorded token was handed out again.
	Existing bool `json:"existing"`
	// Grant is the id of the grant the license carries.
	Grant string `json:"grant,omitempty"`
	// Token is the encoded object when it was not written to a file.
	Token string `json:"token,omitempty"`
}

func newIssuedJSON(e *ledger.Entry, led *ledger.Ledger) *issuedJSON {
	return &issuedJSON{
		ID: e.ID, Kind: string(e.Kind), File: e.File, Exp: timePtr(e.Expiry), KID: e.KID,
		LedgerIndex: e.Index, Ledger: led.Location(), Order: e.OrderRef, RenewedFrom: e.RenewedFrom,
	}
}

// checkOutput refuses, before anything is signed or recorded, an output
// that cannot be written: an existing file without --force, a missing
// directory, raw bytes for a terminal or inside JSON.
func (a *app) checkOutput(out, format string, force, asJSON bool) error {
	toStdout := out == "" || out == "-"
	switch {
	case toStdout && format == "raw" && asJSON:
		return usageError("write it to a file with -o FILE, or choose --format text or pem", "--json without -o puts the token in the JSON: raw bytes cannot go there")
	case toStdout && format == "raw" && a.stdoutTerminal():
		return usageError("write it to a file with -o FILE, or choose --format text or pem", "not writing raw bytes to a terminal")
	case toStdout:
		return nil
	}
	if err := checkDir(out); err != nil {
		return err
	}
	if _, err := os.Lstat(out); err == nil && !force {
		return ioError(fmt.Errorf("%s already exists; not overwriting it", out), "choose another file name, or pass --force to replace it")
	}
	return nil
}

// tokenWriter is the Write of an issue.Issuer: an atomic new file (or
// replaced, with --force), or stdout, where nothing is written when the
// token goes inside the --json output.
func (a *app) tokenWriter(format string, asJSON bool) func(file string, data []byte, replace bool) error {
	return func(file string, data []byte, replace bool) error {
		if file == "" && asJSON {
			return nil
		}
		if file != "" && !replace {
			if _, err := os.Lstat(file); err == nil {
				return fmt.Errorf("%s already exists: %w", file, fs.ErrExist) // issue compares a recorded token's file
			}
		}
		return a.writeData(data, format, file, replace, "")
	}
}

// issued reports what was handed out: "wrote ..." on stderr for a file,
// the --json object on stdout.
func (a *app) issued(r *issue.Result, led *ledger.Ledger, format string, asJSON bool, what string) error {
	e := r.Entry
	if r.Existing {
		where := "to stdout"
		if r.File != "" {
			where = "to " + r.File
		}
		fmt.Fprintf(a.stderr, "licet: order %s was issued before with the same terms: the recorded %s %s, written again %s\n", e.OrderRef, e.Kind, e.ID, where)
	} else if r.File != "" {
		fmt.Fprintf(a.stderr, "licet: wrote %s to %s (%s form)\n", what, r.File, format)
	}
	if r.Rotation && r.Grant != nil {
		fmt.Fprintf(a.stderr, "licet: the license carries the rotation grant %x (until %s): products that trust only the previous key accept it\n", r.Grant.ID, rfc3339(r.Grant.Expiry))
	}
	if !asJSON {
		return nil
	}
	j := newIssuedJSON(e, led)
	j.File, j.Existing = r.File, r.Existing
	if r.Grant != nil {
		j.Grant = hex.EncodeToString(r.Grant.ID)
	}
	if r.File == "" {
		j.Token = strings.TrimSuffix(string(r.Data), "\n")
	}
	return writeJSON(a.stdout, j)
}

// issueError turns an error of package issue into the CLI's: its exit
// code, what was or was not signed, and a hint. what names the command's
// problem heading ("cannot mint, nothing was signed").
func issueError(err error, led *ledger.Ledger, what string) error {
	var (
		ue *issue.UnwrittenError
		ce *issue.ConflictError
		ge *issue.GrantViolationError
		pe *issue.ProblemsError
		de *ledger.DuplicateError
		ee *exitError
	)
	switch {
	case errors.As(err, &ue):
		return unwrittenError(ue.Err, ue.Entry)
	case errors.As(err, &ce):
		var b strings.Builder
		fmt.Fprintf(&b, "the order reference %s is already in the ledger (%s %s for %s) with other terms; nothing was signed (recorded vs asked):",
			ce.Order, ce.Existing.Kind, ce.Existing.ID, ce.Existing.Subject)
		for _, d := range ce.Differences {
			b.WriteString("\n  - " + d)
		}
		return failure(errors.New(b.String()), "'licet ledger show "+ce.Existing.ID+"' shows it; use another order reference for other terms (or 'licet renew "+ce.Order+"' to change them)")
	case errors.As(err, &ge):
		var b strings.Builder
		if ge.Rotation {
			fmt.Fprintf(&b, "the license would break the rotation grant %x (grant_violation): products that trust only the previous key would reject it; nothing was signed:", ge.Grant.ID)
		} else {
			b.WriteString("the license would break its grant (grant_violation), nothing was signed:")
		}
		for _, v := range ge.Violations {
			b.WriteString("\n  - " + v)
		}
		hint := "stay within the grant ('licet inspect' shows it), or ask the vendor for a wider one"
		if ge.Rotation {
			hint = "stay within the rotation grant ('licet ledger show " + hex.EncodeToString(ge.Grant.ID) + "'), rotate again with wider terms, or pass --no-rotation-grant for products that trust the new key"
		}
		return failure(errors.New(b.String()), hint)
	case errors.As(err, &pe):
		return problemsError(what, pe.Problems, "")
	case errors.As(err, &de):
		return appendError(err, led)
	case errors.As(err, &ee):
		return err
	}
	var ve *token.ValidationError
	if errors.As(err, &ve) && what != "" {
		return problemsError(what, validationProblems(err), "")
	}
	return failure(errors.New(strings.TrimPrefix(strings.TrimPrefix(err.Error(), "issue: "), "ledger: ")), "")
}

// appendError explains a refused append: nothing was handed out.
func appendError(err error, led *ledger.Ledger) error {
	var de *ledger.DuplicateError
	if errors.As(err, &de) {
		msg := fmt.Sprintf("the %s %s is already in the ledger", de.Field, de.Value)
		if de.Existing != nil {
			msg += fmt.Sprintf(" (%s %s for %s)", de.Existing.Kind, de.Existing.ID, de.Existing.Subject)
		}
		return failure(errors.New(msg+"; nothing was written"), "'licet ledger show ID' shows it; use another order reference")
	}
	return failure(fmt.Errorf("recording in the ledger %s failed, nothing was written: %s", led.Location(), strings.TrimPrefix(err.Error(), "ledger: ")), ledgerHint)
}

// unwrittenError keeps the exit code of a failed write and says that the
// ledger keeps the token.
func unwrittenError(err error, e *ledger.Entry) error {
	ee := &exitError{code: exitUsage, err: err}
	errors.As(err, &ee)
	return &exitError{code: ee.code, err: err,
		hint: fmt.Sprintf("the signed %s %s is in the ledger, marked unwritten: 'licet ledger show %s --format pem -o FILE' writes it out", e.Kind, e.ID, e.ID)}
}

// encodeBase64 is the raw bytes of an entry in JSON.
func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// parseWithin parses the --within or --expiring DATE of the ledger
// commands (usually a DURATION from now) into the end of the window.
func parseWithin(flag, s string, now time.Time) (time.Time, error) {
	t, err := parseDate(s, false, now)
	if err != nil {
		return time.Time{}, usageError("for example: 30d, 12h, 2026-12-31", "--%s %v", flag, err)
	}
	return t, nil
}

// ledgerCmdFlags are the --ledger and --key of the ledger commands, which
// only locate the ledger.
type ledgerCmdFlags struct{ ledger, key string }

func (f *ledgerCmdFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.ledger, "ledger", "", ledgerFlagUsage)
	cmd.Flags().StringVar(&f.key, "key", "", "find the ledger beside this private key `FILE` (never read)")
	_ = cmd.MarkFlagFilename("key", "key")
}

func (a *app) openLedgerOf(f *ledgerCmdFlags) (*ledger.Ledger, error) {
	loc := a.ledgerLocation(f.ledger, f.key)
	if !sqldb.IsURL(loc) {
		if _, err := os.Stat(loc); err != nil {
			return nil, ioError(fmt.Errorf("%s: no ledger there (licet mint, grant and revoke create it beside the key)", loc), ledgerHint)
		}
	}
	return a.openLedger(loc)
}

// checkOrder reports an order reference that is empty, too long or holds
// control characters.
func checkOrder(flag, ref string, set bool) []string {
	switch {
	case !set:
		return nil
	case strings.TrimSpace(ref) == "" || len(ref) > 128:
		return []string{fmt.Sprintf("--%s %q: an order reference is 1 to 128 characters", flag, ref)}
	case strings.IndexFunc(ref, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return []string{fmt.Sprintf("--%s %q: an order reference holds no control characters", flag, ref)}
	}
	return nil
}

// Command licet mints, inspects and verifies licet license tokens:
// Ed25519-signed COSE_Sign1 tokens carrying CWT claims that a product
// verifies offline.
//
// Vendors create keys and mint licenses with it, air-gapped customers
// verify licenses with it and request licenses bound to their machines
// ("licet activate request"), partners script it. Run "licet demo" for the
// whole story on the built-in sandbox key and "licet COMMAND --help" for
// each command.
//
// # Exit codes
//
//	0  success (verify: the license is valid, also in its grace period)
//	1  the answer is no: verify rejected the license, inspect found it
//	   malformed, a wrong passphrase, a license outside its grant
//	2  usage or I/O error: bad flags or flag values, missing or unreadable
//	   files, refusing to overwrite a file
package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/licet/licet/machine"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes.
const (
	exitOK       = 0
	exitRejected = 1
	exitUsage    = 2
)

func main() {
	os.Exit(run(os.Args[1:], newOSApp()))
}

// app is everything a command touches outside its flags: the standard
// streams, the environment, the clock and the terminal. Tests and the demo
// run commands in-process with their own.
type app struct {
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	lookupEnv func(string) (string, bool)
	now       func() time.Time
	// stdinTerminal reports whether stdin is a terminal: a passphrase
	// can be prompted for.
	stdinTerminal func() bool
	// readPassword reads one line from the terminal without echo.
	readPassword func() ([]byte, error)
	// stdoutTerminal reports whether stdout is a terminal: raw bytes are
	// not written there.
	stdoutTerminal func() bool
	// machine is where this machine's identity comes from (activate,
	// verify --bind-machine); nil reads the real machine. LICET_MACHINE_ID
	// is read through lookupEnv unless machine sets Getenv.
	machine *machine.Machine
	// passphraseFile is --passphrase-file of the command that runs.
	passphraseFile string
}

func newOSApp() *app {
	return &app{
		stdin:          os.Stdin,
		stdout:         os.Stdout,
		stderr:         os.Stderr,
		lookupEnv:      os.LookupEnv,
		now:            time.Now,
		stdinTerminal:  func() bool { return term.IsTerminal(int(os.Stdin.Fd())) },
		readPassword:   func() ([]byte, error) { return term.ReadPassword(int(os.Stdin.Fd())) },
		stdoutTerminal: func() bool { return term.IsTerminal(int(os.Stdout.Fd())) },
	}
}

// run executes the command line args and returns the exit code. It is the
// one place where errors become "licet: error: ..." lines.
func run(args []string, a *app) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(a.stderr, "licet: error: internal error: %v\n", r)
			fmt.Fprintf(a.stderr, "licet: hint: this is a bug in licet; please report it with the command line that caused it\n")
			code = exitUsage
		}
	}()
	return execute(newRootCmd(a), args, a)
}

// execute runs the command line args on root and returns the exit code.
// Help asked for under a command that has subcommands, with a word that
// is none of them ("licet serve --help"), is that unknown command: cobra
// would print the help of the nearest command that exists and exit 0.
func execute(root *cobra.Command, args []string, a *app) int {
	var unknown error
	root.SetHelpFunc(helpUnlessUnknown(root.HelpFunc(), &unknown))
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		err = unknown
	}
	if err == nil {
		return exitOK
	}
	return a.report(cmd, err)
}

// exitError is an error with the exit code it causes and an optional hint.
// A nil err means the command already printed its outcome (verify's
// verdict line) and only the exit code is left.
type exitError struct {
	code int
	err  error
	hint string
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError is a bad flag, flag value or argument: exit code 2.
func usageError(hint, format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...), hint: hint}
}

// ioError is a file that could not be read or written: exit code 2.
func ioError(err error, hint string) error {
	return &exitError{code: exitUsage, err: err, hint: hint}
}

// failure is a command that ran and failed: exit code 1.
func failure(err error, hint string) error {
	return &exitError{code: exitRejected, err: err, hint: hint}
}

// silentExit ends the command with code after its outcome was printed.
func silentExit(code int) error { return &exitError{code: code} }

// report prints err and returns its exit code. Errors that did not come
// out of a command's RunE are cobra's: bad flags, arguments or commands.
func (a *app) report(cmd *cobra.Command, err error) int {
	var ee *exitError
	if !errors.As(err, &ee) {
		ee = &exitError{code: exitUsage, err: err}
		if cmd != nil {
			ee.hint = fmt.Sprintf("see '%s --help'", cmd.CommandPath())
		}
	}
	if ee.err != nil {
		msg := strings.TrimRight(ee.err.Error(), "\n")
		fmt.Fprintf(a.stderr, "licet: error: %s\n", msg)
	}
	if ee.hint != "" {
		fmt.Fprintf(a.stderr, "licet: hint: %s\n", ee.hint)
	}
	return ee.code
}

// count is n and the noun for n: "1 entry", "2 entries".
func count[N ~int | ~int64 | ~uint64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// warn prints a warning line to stderr.
func (a *app) warn(format string, args ...any) {
	fmt.Fprintf(a.stderr, "licet: warning: "+format+"\n", args...)
}

// runE adapts a command function: errors it returns without an exit code
// become exit code 2 when they are about files, 1 otherwise.
func runE(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := f(cmd, args)
		if err == nil {
			return nil
		}
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		var pe *fs.PathError
		if errors.As(err, &pe) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return ioError(err, "")
		}
		return failure(err, "")
	}
}

// newRootCmd returns the licet command with every subcommand.
func newRootCmd(a *app) *cobra.Command {
	root := newRoot(a)
	root.AddCommand(
		newKeysCmd(a),
		newMintCmd(a),
		newInspectCmd(a),
		newVerifyCmd(a),
		newActivateCmd(a),
		newGrantCmd(a),
		newRevokeCmd(a),
		newLedgerCmd(a),
		newReportCmd(a),
		newBatchCmd(a),
		newRenewCmd(a),
		newTemplateCmd(a),
		newDemoCmd(a),
		newVersionCmd(a),
		newPageCmd(a),
		newServeCmd(a),
		newSeatsCmd(a),
		newCompletionCmd(a, root),
	)
	initHelpCmd(root)
	return root
}

// newRoot returns the licet command without subcommands: its flags,
// texts and streams. newRootCmd adds them; tests that run one command
// many times (the fuzz targets) add only that one, as building the
// whole tree costs more than most commands.
func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "licet",
		Short: "Mint and verify offline license tokens",
		Long: `licet mints, inspects and verifies signed license tokens: Ed25519-signed
COSE_Sign1 tokens carrying CWT claims, which a product verifies offline with
the vendor's public key alone.

Exit codes: 0 success (a valid license), 1 the answer is no (a rejected or
malformed license, a wrong passphrase), 2 usage or I/O error.`,
		Example: `  licet demo                                    # the whole story on the sandbox key
  licet keys new --issuer acme                  # acme.key (encrypted) and acme.pub
  licet mint --key acme.key --sub customer-42 --aud acme-db --tier pro --days 365 -o license.pem
  licet verify license.pem --pub acme.pub --product acme-db`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noSubcommand,
		RunE: func(cmd *cobra.Command, args []string) error {
			if v, _ := cmd.Flags().GetBool("version"); v {
				return a.printVersion(false)
			}
			return cmd.Help()
		},
	}
	root.Flags().Bool("version", false, "print the licet version (as 'licet version')")
	root.SetFlagErrorFunc(flagError)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.CompletionOptions.DisableDefaultCmd = true
	return root
}

// initHelpCmd adds the help command to root: "licet help keys new", with
// an unknown command the usage error it is ("licet help serve").
func initHelpCmd(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			c.Example = "  licet help mint\n  licet help keys trust add"
			show := c.Run
			c.RunE = func(c *cobra.Command, args []string) error {
				if err := unknownTopic(root, args); err != nil {
					return err
				}
				show(c, args)
				return nil
			}
		}
	}
}

// groupCmd returns a command that only holds subcommands: run alone or
// with an unknown subcommand, it is a usage error.
func groupCmd(use, short, example string) *cobra.Command {
	return &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    noSubcommand,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError(fmt.Sprintf("see '%s --help'", cmd.CommandPath()),
				"%q needs a subcommand: %s", cmd.CommandPath(), strings.Join(subcommandNames(cmd), ", "))
		},
	}
}

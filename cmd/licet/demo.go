package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/licet/licet/keys"
	"github.com/spf13/cobra"
)

// demoStep is one command of the demo, with the outcome it must have.
type demoStep struct {
	title    string
	args     []string // "{dir}/" stands for the demo's temporary directory
	wantCode int
	wantOut  string // the first line of stdout starts with this
}

// demoSteps is the story: mint, inspect, verify, three rejections. The
// rejections verify at fixed times or versions, so the outcome does not
// depend on the day the demo runs (until 2099).
var demoSteps = []demoStep{
	{
		title: "The vendor mints a license for customer-42 (PEM form)",
		args: []string{"mint", "--key", "{dir}/sandbox.key", "--sub", "customer-42", "--aud", "demo-app",
			"--tier", "pro", "--scope", "api:read", "--scope", "reports:*", "--versions", ">= 2.0, < 3.0",
			"--limit", "seats=5", "--expires", "2099-12-31", "--format", "pem", "-o", "{dir}/license.pem"},
	},
	{
		title:   "Anyone can read it (inspect does not verify)",
		args:    []string{"inspect", "{dir}/license.pem"},
		wantOut: "UNVERIFIED",
	},
	{
		title: "The product, version 2.4.0, verifies it offline with the public key",
		args: []string{"verify", "{dir}/license.pem", "--pub", "{dir}/sandbox.pub", "--product", "demo-app",
			"--product-version", "2.4.0", "--scope", "api:read"},
		wantOut: "valid",
	},
	{
		title: "Rejected: the same license checked as of 2100 has expired",
		args: []string{"verify", "{dir}/license.pem", "--pub", "{dir}/sandbox.pub", "--product", "demo-app",
			"--product-version", "2.4.0", "--scope", "api:read", "--at", "2100-01-02T00:00:00Z"},
		wantCode: exitRejected,
		wantOut:  "rejected: expired:",
	},
	{
		title: "Rejected: version 3.1.0 of the product is not covered (>= 2.0, < 3.0)",
		args: []string{"verify", "{dir}/license.pem", "--pub", "{dir}/sandbox.pub", "--product", "demo-app",
			"--product-version", "3.1.0", "--scope", "api:read"},
		wantCode: exitRejected,
		wantOut:  "rejected: version_not_covered:",
	},
	{
		title: "Rejected: the license does not grant the scope admin:write",
		args: []string{"verify", "{dir}/license.pem", "--pub", "{dir}/sandbox.pub", "--product", "demo-app",
			"--product-version", "2.4.0", "--scope", "admin:write"},
		wantCode: exitRejected,
		wantOut:  "rejected: scope_missing:",
	},
}

const demoByHand = `Now by hand, with your own key (encrypted under a passphrase):

  licet keys new --issuer my-company
  licet mint --key my-company.key --sub customer-42 --aud demo-app --tier pro \
      --scope api:read --versions '>= 2.0, < 3.0' --limit seats=5 --days 365 -o license.txt
  licet inspect license.txt
  licet verify license.txt --pub my-company.pub --product demo-app --product-version 2.4.0 --scope api:read

The sandbox key is public (issuer licet-sandbox): never let a product trust it.
`

func newDemoCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Run the whole story on the built-in sandbox key",
		Long: `Run the whole story in a temporary directory, removed afterwards: write
the built-in sandbox key pair, mint a license, verify it, show three
rejections with their codes (expired, version not covered, scope missing),
then print the commands to do the same by hand. Needs no files and no
passphrase: the sandbox key is public, for demos and tests only.`,
		Example: `  licet demo
  go run ./cmd/licet demo`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.demo()
		}),
	}
}

func (a *app) demo() error {
	dir, err := os.MkdirTemp("", "licet-demo-")
	if err != nil {
		return ioError(fmt.Errorf("creating a temporary directory: %v", err), "set TMPDIR to a writable directory")
	}
	defer os.RemoveAll(dir)
	out := a.stdout
	k := keys.Sandbox()
	fmt.Fprintf(out, "licet demo, in a temporary directory (removed afterwards)\n\n")
	fmt.Fprintf(out, "== The built-in sandbox key pair (public: for demos and tests only)\n")
	if err := writeNew(filepath.Join(dir, "sandbox.key"), k.MarshalUnencrypted(), 0o600, false); err != nil {
		return err
	}
	if err := writeNew(filepath.Join(dir, "sandbox.pub"), k.Public().MarshalPEM(), 0o644, false); err != nil {
		return err
	}
	fmt.Fprintf(out, "   wrote sandbox.key and sandbox.pub, issuer %s, kid %x\n\n", k.Issuer, k.KeyID())
	for i, s := range demoSteps {
		args := make([]string, len(s.args))
		shown := make([]string, len(s.args))
		for j, arg := range s.args {
			args[j] = strings.ReplaceAll(arg, "{dir}/", dir+string(filepath.Separator))
			shown[j] = shellQuote(strings.ReplaceAll(arg, "{dir}/", ""))
		}
		fmt.Fprintf(out, "== %d. %s\n$ licet %s\n", i+1, s.title, strings.Join(shown, " "))
		var stdout, stderr bytes.Buffer
		child := &app{
			stdin:          strings.NewReader(""),
			stdout:         &stdout,
			stderr:         &stderr,
			lookupEnv:      func(string) (string, bool) { return "", false },
			now:            a.now,
			stdinTerminal:  func() bool { return false },
			readPassword:   func() ([]byte, error) { return nil, fmt.Errorf("no terminal") },
			stdoutTerminal: func() bool { return false },
		}
		code := run(args, child)
		transcript := strings.ReplaceAll(stdout.String()+stderr.String(), dir+string(filepath.Separator), "")
		for _, line := range strings.Split(strings.TrimRight(transcript, "\n"), "\n") {
			fmt.Fprintf(out, "   %s\n", line)
		}
		fmt.Fprintf(out, "   (exit %d)\n\n", code)
		if code != s.wantCode || !strings.HasPrefix(stdout.String(), s.wantOut) {
			return failure(fmt.Errorf("demo step %d (%s) exited %d, want %d with output starting %q",
				i+1, s.title, code, s.wantCode, s.wantOut), "this is a bug in licet; please report it")
		}
	}
	fmt.Fprint(out, demoByHand)
	return nil
}

// shellQuote quotes an argument for display in a POSIX shell command line.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,:/@+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

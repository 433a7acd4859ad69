package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/licet/licet/keys"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain makes the test binary act as the licet command inside scripts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"licet": func() { os.Exit(run(os.Args[1:], newOSApp())) },
		// The client process of the seats stress test (seats_stress_test.go).
		"seatworker": func() { os.Exit(seatWorker(os.Args[1:])) },
	})
}

// TestScripts runs the black-box tests in testdata/script: the built
// binary, its output and its exit codes.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		// Every script finds the public sandbox key pair in its directory:
		// sandbox.key (unencrypted, issuer licet-sandbox) and sandbox.pub.
		Setup: func(env *testscript.Env) error {
			k := keys.Sandbox()
			if err := os.WriteFile(filepath.Join(env.WorkDir, "sandbox.key"), k.MarshalUnencrypted(), 0o600); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(env.WorkDir, "sandbox.pub"), k.Public().MarshalPEM(), 0o644)
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				// root reads files whatever their mode
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// status N CMD ARGS...: run CMD like exec and check that it exits
			// with status N.
			"status": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: status N command [args...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("%v", err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("exit status %d, want %d", got, want)
				}
			},
			// seatserver SEATS LEASE [BORROW BORROWS]: a test lease server
			// at $SEATS (seats_client_test.go).
			"seatserver": seatServerCmd,
			// concat DST SRC...: write the SRC files one after another to DST.
			"concat": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: concat DST SRC...")
				}
				var all []byte
				for _, src := range args[1:] {
					all = append(all, ts.ReadFile(src)...)
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), all, 0o644))
			},
			// mailquote SRC DST: write SRC to DST as a mail client quotes a
			// reply: lines cut at 60 columns, each prefixed by "> ".
			"mailquote": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: mailquote SRC DST")
				}
				var b strings.Builder
				for _, line := range strings.Split(strings.TrimRight(ts.ReadFile(args[0]), "\n"), "\n") {
					for len(line) > 60 {
						b.WriteString("> " + line[:60] + "\n")
						line = line[60:]
					}
					b.WriteString("> " + line + "\n")
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(b.String()), 0o644))
			},
			// filemode FILE MODE: the file's permission bits are MODE (octal).
			"filemode": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: filemode FILE MODE")
				}
				want, err := strconv.ParseUint(args[1], 8, 32)
				ts.Check(err)
				fi, err := os.Stat(ts.MkAbs(args[0]))
				ts.Check(err)
				got := uint64(fi.Mode().Perm())
				if (got == want) == neg {
					ts.Fatalf("%s has mode %#o, want %s%#o", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
				}
			},
			// seatsite STEP: a site's lease server on a test clock, its
			// state in "state" (seats_usage_test.go).
			"seatsite": seatSiteCmd,
		},
	})
}

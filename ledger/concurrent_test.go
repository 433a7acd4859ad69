package ledger_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// TestMain lets the test binary act as one minting process of
// TestConcurrentProcesses when LICET_LEDGER_TEST_APPENDER is set.
func TestMain(m *testing.M) {
	if name := os.Getenv("LICET_LEDGER_TEST_APPENDER"); name != "" {
		os.Exit(appenderMain(name))
	}
	os.Exit(m.Run())
}

// appenderMain mints and appends LICET_LEDGER_TEST_COUNT licenses, one per
// transaction, to the ledger at LICET_LEDGER_TEST_LOCATION.
func appenderMain(name string) int {
	n, _ := strconv.Atoi(os.Getenv("LICET_LEDGER_TEST_COUNT"))
	ctx := context.Background()
	l, err := ledger.Open(ctx, os.Getenv("LICET_LEDGER_TEST_LOCATION"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer l.Close()
	k := testKey(&testing.T{}, "acme")
	cs, err := ledger.NewCheckpointSigner(k.Signer())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := range n {
		raw := mintLicense(&testing.T{}, k, licenseSpec{sub: fmt.Sprintf("%s-%d", name, i), tier: "pro", days: 30}, nil)
		rec := ledger.Record{Raw: raw, OrderRef: fmt.Sprintf("%s/%d", name, i), PublicKey: k.Public().Key}
		if _, err := l.Append(ctx, cs, rec); err != nil {
			fmt.Fprintf(os.Stderr, "%s: append %d: %v\n", name, i, err)
			return 1
		}
	}
	return 0
}

// TestConcurrentProcesses runs several real processes that mint and append
// to one log at once, on each backend, and checks that the log holds every
// entry exactly once, in one unforked history that verifies.
func TestConcurrentProcesses(t *testing.T) {
	const procs, each = 6, 25
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			location := b.open(t)
			// Every process opens the new ledger at once: they race to
			// create the tables too.
			cmds := make([]*exec.Cmd, procs)
			for p := range procs {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(),
					"LICET_LEDGER_TEST_APPENDER=p"+strconv.Itoa(p),
					"LICET_LEDGER_TEST_COUNT="+strconv.Itoa(each),
					"LICET_LEDGER_TEST_LOCATION="+location)
				cmd.Stderr = os.Stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				cmds[p] = cmd
			}
			for p, cmd := range cmds {
				if err := cmd.Wait(); err != nil {
					t.Errorf("process %d: %v", p, err)
				}
			}
			ctx := context.Background()
			l := openLedger(t, location)
			k := testKey(t, "acme")
			head, err := l.TreeHead(ctx, hexOf(token.KeyID(k.Public().Key)))
			if err != nil {
				t.Fatal(err)
			}
			if head.N != procs*each {
				t.Errorf("the log has %d entries, want %d", head.N, procs*each)
			}
			list, err := l.List(ctx, ledger.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, e := range list {
				seen[e.Subject]++
			}
			for p := range procs {
				for i := range each {
					if s := fmt.Sprintf("p%d-%d", p, i); seen[s] != 1 {
						t.Errorf("%s is in the ledger %d times, want once", s, seen[s])
					}
				}
			}
			start := time.Now()
			r, err := l.Verify(ctx)
			if err != nil || !r.OK() {
				t.Errorf("Verify: %v %q", err, r.Problems)
			}
			t.Logf("%d processes x %d appends; verify took %v", procs, each, time.Since(start))
		})
	}
}

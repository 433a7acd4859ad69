package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// issuerDir writes an unencrypted key acme.key and a policy with a "pro"
// template into a new directory.
func issuerDir(t *testing.T) (string, *keys.PrivateKey) {
	t.Helper()
	dir := t.TempDir()
	k, err := keys.Generate(rand.Reader, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "acme.key"), k.MarshalUnencrypted(), 0o600); err != nil {
		t.Fatal(err)
	}
	policy := "[templates.pro]\nproducts = [\"acme-db\"]\nlimits = { seats = 5 }\ndays = 365\n"
	if err := os.WriteFile(filepath.Join(dir, "licet.toml"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, k
}

// licetCmd returns the licet command (the test binary, on PATH while the
// tests run) in dir.
func licetCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("licet", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LICET_LEDGER=", "LICET_POLICY=", "LICET_PASSPHRASE=")
	return cmd
}

// TestConcurrentMintProcesses runs minting processes at once against one
// ledger, SQLite and PostgreSQL, and checks that the log holds every
// license exactly once and verifies.
func TestConcurrentMintProcesses(t *testing.T) {
	const procs, rounds = 6, 4
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dir, k := issuerDir(t)
			location := filepath.Join(dir, "licet.db")
			if backend == "postgres" {
				location = pgtest.Location(t, "licet_cli")
			}
			var wg sync.WaitGroup
			errs := make(chan error, procs*rounds)
			for p := range procs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for r := range rounds {
						cmd := licetCmd(dir, "mint", "--key", "acme.key", "--template", "pro", "--ledger", location,
							"--sub", fmt.Sprintf("c-%d-%d", p, r), "--order", fmt.Sprintf("PO-%d-%d", p, r),
							"-o", fmt.Sprintf("c-%d-%d.lic", p, r))
						if out, err := cmd.CombinedOutput(); err != nil {
							errs <- fmt.Errorf("mint %d/%d: %v\n%s", p, r, err, out)
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			checkLedger(t, location, k, procs*rounds, func(e *ledger.Entry) string { return e.Subject })
		})
	}
}

// checkLedger checks that the ledger at location holds want licenses of
// key k, each key(e) once, each written to its file, in a log that
// verifies.
func checkLedger(t *testing.T, location string, k *keys.PrivateKey, want int, key func(*ledger.Entry) string) {
	t.Helper()
	ctx := context.Background()
	l, err := ledger.Open(ctx, location)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	head, err := l.TreeHead(ctx, hex.EncodeToString(token.KeyID(k.Public().Key)))
	if err != nil || head.N != int64(want) {
		t.Errorf("the log has %d entries (%v), want %d", head.N, err, want)
	}
	list, err := l.List(ctx, ledger.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range list {
		seen[key(e)]++
		if !e.Written {
			t.Errorf("%s is unwritten", key(e))
		}
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("%s is in the ledger %d times", name, n)
		}
	}
	if len(seen) != want {
		t.Errorf("%d distinct entries, want %d", len(seen), want)
	}
	r, err := l.Verify(ctx)
	if err != nil || !r.OK() {
		t.Errorf("verify: %v %q", err, r.Problems)
	}
}

// TestBatchSurvivesSIGKILL kills a running batch with SIGKILL and runs it
// again: every order ends up issued exactly once, its file holding the
// license the ledger recorded for it.
func TestBatchSurvivesSIGKILL(t *testing.T) {
	const orders = 1500
	dir, k := issuerDir(t)
	var csv strings.Builder
	csv.WriteString("order,sub,template\n")
	for i := range orders {
		fmt.Fprintf(&csv, "PO-%d,customer-%d,pro\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "orders.csv"), []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)

	cmd := licetCmd(dir, "batch", "orders.csv", "--key", "acme.key", "--out-dir", "out")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		files, _ := os.ReadDir(out)
		if len(files) >= 100 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the batch wrote %d files in 60 s\n%s", len(files), stderr.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the batch was not killed mid-run (it ended: %v); make the batch larger\n%s", err, stderr.String())
	}
	files, _ := os.ReadDir(out)
	t.Logf("killed after %d of %d files", len(files), orders)

	rerun := licetCmd(dir, "batch", "orders.csv", "--key", "acme.key", "--out-dir", "out")
	msg, err := rerun.CombinedOutput()
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, msg)
	}
	if !strings.Contains(string(msg), "batch of 1500 orders") || strings.Contains(string(msg), " 0 recovered from an interrupted run, 0 already issued") {
		t.Errorf("rerun output (nothing recovered or found issued): %s", msg)
	}
	checkLedger(t, filepath.Join(dir, "licet.db"), k, orders, func(e *ledger.Entry) string { return e.OrderRef })

	// Every file holds the license recorded for its order.
	l, err := ledger.Open(context.Background(), filepath.Join(dir, "licet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	list, _ := l.List(context.Background(), ledger.Filter{})
	for _, e := range list {
		data, err := os.ReadFile(filepath.Join(dir, e.File))
		if err != nil {
			t.Errorf("order %s: %v", e.OrderRef, err)
			continue
		}
		u, err := token.ParseUnverified(data)
		if err != nil || hex.EncodeToString(u.License.ID) != e.ID {
			t.Errorf("order %s: %s does not hold the recorded license %s (%v)", e.OrderRef, e.File, e.ID, err)
		}
	}
}

// TestREADMEKeepingRecords runs the shell block of README's "Keeping
// records" section, as a vendor would from a fresh clone, with licet on
// PATH and a new key.
func TestREADMEKeepingRecords(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	start := strings.Index(s, "## Keeping records")
	if start < 0 {
		t.Fatal(`README has no "## Keeping records" section`)
	}
	sec := s[start:]
	from := strings.Index(sec, "```sh\n")
	to := strings.Index(sec[from+6:], "```\n")
	if from < 0 || to < 0 {
		t.Fatal("no shell block in Keeping records")
	}
	script := "set -e\nlicet keys new --issuer acme >/dev/null 2>&1\n" + sec[from+6:from+6+to]
	dir := t.TempDir()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LICET_PASSPHRASE=readme-test", "LICET_LEDGER=", "LICET_POLICY=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README block failed: %v\n%s", err, out)
	}
	for _, want := range []string{"batch of 2 orders: 2 issued", "ok: 4 entries in 1 log verify", "renews ", "revocation list seq 1 (1 id,"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"customer-42.lic", "customer-42-renewed.lic", "licenses/PO-2001.lic", "revoked.pem", "ledger.csv", "due.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the README block did not write %s", f)
		}
	}
}

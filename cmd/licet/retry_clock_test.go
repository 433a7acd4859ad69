package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestRetryAcrossSecondBoundary: a retried order with relative terms
// (--days) is the recorded license even when the clock moves between the
// moment the terms are computed and the moment the license is signed. The
// app's clock here advances a second on every reading, so a command that
// reads it twice (once for the terms, once for iat) recorded a license
// whose exp was not iat + days, and its retry was a conflict.
func TestRetryAcrossSecondBoundary(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("pass.txt", []byte("pw"), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 12, 8, 1, 22, 47, 0, time.UTC)
	run1 := func(args ...string) string {
		t.Helper()
		a, stdout, stderr := testApp("")
		a.now = func() time.Time { clock = clock.Add(time.Second); return clock }
		if code := run(args, a); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return stdout.String() + stderr.String()
	}
	run1("keys", "new", "--issuer", "acme", "--passphrase-file", "pass.txt")
	mint := []string{"mint", "--key", "acme.key", "--passphrase-file", "pass.txt", "--sub", "c", "--aud", "p", "--tier", "t", "--days", "365", "--order", "PO-1", "--json"}
	run1(mint...)
	if out := run1(mint...); !strings.Contains(out, `"existing": true`) {
		t.Fatalf("mint retried with the same terms is not the recorded license:\n%s", out)
	}
	if err := os.WriteFile("orders.csv", []byte("order,sub,aud,tier,days\nPO-2,d,p,t,365\nPO-3,e,p,t,30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir("out", 0o755); err != nil {
		t.Fatal(err)
	}
	batch := []string{"batch", "orders.csv", "--key", "acme.key", "--passphrase-file", "pass.txt", "--out-dir", "out"}
	run1(batch...)
	if out := run1(batch...); !strings.Contains(out, "2 already issued with the same terms, 0 conflicts") {
		t.Fatalf("batch rerun with the same orders conflicts:\n%s", out)
	}
}

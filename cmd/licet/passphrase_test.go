package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestPassphraseFile: a CRLF line end is not part of the passphrase, and
// renew (whose license id a script cannot capture) takes the file too.
func TestPassphraseFile(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("pass.txt", []byte("correct horse\r\nsecond line\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("plain.txt", []byte("correct horse"), 0o600); err != nil {
		t.Fatal(err)
	}
	run1 := func(args ...string) string {
		t.Helper()
		a, stdout, stderr := testApp("")
		if code := run(args, a); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return stdout.String()
	}
	run1("keys", "new", "--issuer", "acme", "--passphrase-file", "pass.txt")
	// The key opens with the same words given without a line end.
	out := run1("mint", "--key", "acme.key", "--passphrase-file", "plain.txt", "--sub", "c", "--aud", "p", "--tier", "t", "--days", "30", "--json", "-o", "a.lic")
	var minted struct{ ID string }
	if err := json.Unmarshal([]byte(out), &minted); err != nil || minted.ID == "" {
		t.Fatalf("mint --json: %q, %v", out, err)
	}
	out = run1("renew", minted.ID, "--key", "acme.key", "--passphrase-file", "pass.txt", "--days", "30", "-o", "b.lic")
	if _, err := os.Stat("b.lic"); err != nil {
		t.Fatalf("renew wrote nothing: %v %s", err, out)
	}
	// A passphrase is never read from the terminal when a file is given.
	a, _, stderr := testApp("")
	a.stdinTerminal = func() bool { return true }
	a.readPassword = func() ([]byte, error) { t.Fatal("prompted"); return nil, nil }
	if code := run([]string{"mint", "--key", "acme.key", "--passphrase-file", "pass.txt", "--sub", "c", "--aud", "p", "--tier", "t", "--days", "1"}, a); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr.String(), "Passphrase for") {
		t.Error("prompted")
	}
}

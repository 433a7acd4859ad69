package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestREADMERotatingKeys runs the shell blocks of README's "Rotating keys"
// section (up to "If a key leaks") after the vendor quickstart's key and
// license: the rotation, a license of the new key that a product trusting
// only the old key accepts, and a new product's keyring.
func TestREADMERotatingKeys(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	start := strings.Index(s, "## Rotating keys")
	end := strings.Index(s, "**If a key leaks.**")
	if start < 0 || end < start {
		t.Fatal(`README has no "## Rotating keys" section ending at "If a key leaks"`)
	}
	var blocks []string
	for sec := s[start:end]; ; {
		from := strings.Index(sec, "```sh\n")
		if from < 0 {
			break
		}
		to := strings.Index(sec[from+6:], "```\n")
		if to < 0 {
			t.Fatal("an unterminated shell block")
		}
		blocks = append(blocks, sec[from+6:from+6+to])
		sec = sec[from+6+to+4:]
	}
	if len(blocks) < 3 {
		t.Fatalf("%d shell blocks in Rotating keys, want 3", len(blocks))
	}
	script := "set -e\nlicet keys new --issuer acme >/dev/null 2>&1\n" +
		"licet mint --key acme.key --sub customer-1 --aud acme-db --tier pro --days 30 -o customer-1.lic 2>/dev/null\n" +
		strings.Join(blocks, "\n")
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "LICET_PASSPHRASE=readme-test", "LICET_LEDGER=", "LICET_POLICY=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README blocks failed: %v\n%s", err, out)
	}
	for _, want := range []string{"rotated: ", "carries the rotation grant", "under grant: "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(string(out), "\nvalid\n"); n != 2 {
		t.Errorf("%d tokens valid, want 2:\n%s", n, out)
	}
}

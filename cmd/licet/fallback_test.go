package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/keys"
)

// TestREADMEPerpetualFallback runs the commands of the README's perpetual
// fallback section with the clock at 2026-01-01: each succeeds, and a
// year and a month later the license still verifies for the build of the
// README's --build-date, by perpetual fallback, and for no build date.
func TestREADMEPerpetualFallback(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Perpetual fallback\n")
	if !ok {
		t.Fatal("README has no perpetual fallback section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	block, _, _ := strings.Cut(strings.SplitN(section, "```sh\n", 2)[1], "```")
	var commands [][]string
	for _, line := range strings.Split(block, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			if f[0] != "licet" {
				t.Fatalf("not a licet command: %q", line)
			}
			commands = append(commands, f[1:])
		}
	}
	if len(commands) != 2 {
		t.Fatalf("want mint and verify, found %q", commands)
	}

	t.Chdir(t.TempDir())
	k, err := keys.Generate(nil, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("acme.key", k.MarshalUnencrypted(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("acme.pub", k.Public().MarshalPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	licet := func(args ...string) (int, string, string) {
		a, stdout, stderr := testApp("")
		a.now = func() time.Time { return now }
		return run(args, a), stdout.String(), stderr.String()
	}
	for _, args := range commands {
		if code, stdout, stderr := licet(args...); code != exitOK {
			t.Fatalf("licet %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	later := append(commands[1], "--at", "2027-02-01")
	code, stdout, stderr := licet(later...)
	if code != exitOK || !strings.HasPrefix(stdout, "valid, by perpetual fallback\n") || !strings.Contains(stderr, "updates released after the expiry are not covered") {
		t.Errorf("licet %s: exit %d\n%s%s", strings.Join(later, " "), code, stdout, stderr)
	}
	noBuild := []string{"verify", "customer-42.lic", "--pub", "acme.pub", "--product", "acme-db", "--at", "2027-02-01"}
	if code, stdout, _ := licet(noBuild...); code != exitRejected || !strings.HasPrefix(stdout, "rejected: expired: ") {
		t.Errorf("licet %s: exit %d, %s", strings.Join(noBuild, " "), code, stdout)
	}
}

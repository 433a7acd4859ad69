package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMERoyalties runs the shell block of README's "Royalties and
// audits" section from a fresh directory, with licet on PATH, as a vendor
// and a partner would.
func TestREADMERoyalties(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "## Royalties and audits\n")
	if !ok {
		t.Fatal(`README has no "## Royalties and audits" section`)
	}
	_, block, ok := strings.Cut(sec, "```sh\n")
	block, _, ok2 := strings.Cut(block, "```\n")
	if !ok || !ok2 {
		t.Fatal("no shell block in Royalties and audits")
	}
	dir := t.TempDir()
	cmd := exec.Command("sh", "-c", "set -e\n"+block)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LICET_PASSPHRASE=readme-test", "LICET_LEDGER=", "LICET_POLICY=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README block failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		"ingested 1 license of globex (grant ",
		`"ingested": true`,
		"every partner license of the 2 is in a report",
		"TOTAL          2",
		"1348.63 EUR", // customer-1's 30 days of grace are billed
		"globex   pro   1         10     10.82       0.82   120.00 per seat-year  1298.63\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	// The statement the README shows is the one the block makes (but for
	// the dates, those of the quarter it runs in).
	_, shown, _ := strings.Cut(sec, "The statement's table")
	_, shown, _ = strings.Cut(shown, "```\n")
	shown, _, _ = strings.Cut(shown, "```\n")
	_, table, _ := strings.Cut(shown, "\nPARTNER ")
	table, _, _ = strings.Cut("PARTNER "+table, "\n\n")
	if !strings.Contains(table, "TOTAL") || !strings.Contains(string(out), table+"\n") {
		t.Errorf("the README shows the statement\n%s\nbut the block prints\n%s", table, out)
	}
	for _, f := range []string{"globex-1.report", "globex-2.report", "statement.html", "statement.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the README block did not write %s", f)
		}
	}
}

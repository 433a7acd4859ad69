package main

import (
	"strings"
	"testing"
)

// TestSeatsHelpExamples: 'licet seats --help' shows an example for each
// side: the site (serve, report), a machine (checkout, borrow, return,
// status) and the vendor (ingest, statement, audit), and every example
// names a seats subcommand with flags it has and the arguments it takes.
func TestSeatsHelpExamples(t *testing.T) {
	a, stdout, stderr := testApp("")
	if code := run([]string{"seats", "--help"}, a); code != exitOK {
		t.Fatalf("licet seats --help: exit %d\n%s", code, stderr)
	}
	_, ex, ok := strings.Cut(stdout.String(), "\nExamples:\n")
	if !ok {
		t.Fatalf("licet seats --help has no examples:\n%s", stdout)
	}
	ex, _, _ = strings.Cut(ex, "\n\n")
	sides := map[string]string{"serve": "site", "report": "site", "checkout": "machine", "borrow": "machine",
		"return": "machine", "status": "machine", "ingest": "vendor", "statement": "vendor", "audit": "vendor"}
	seen := map[string]bool{}
	for _, line := range strings.Split(ex, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "licet" || f[1] != "seats" {
			t.Errorf("not a licet seats command: %q", line)
			continue
		}
		root := newRootCmd(a)
		c, rest, err := root.Find(f[1:])
		if err != nil || c.Name() != f[2] {
			t.Errorf("%q: no such command (%v)", line, err)
			continue
		}
		if err := c.ParseFlags(rest); err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		if err := c.ValidateArgs(c.Flags().Args()); err != nil {
			t.Errorf("%q: %v", line, err)
		}
		if err := c.ValidateRequiredFlags(); err != nil {
			t.Errorf("%q: %v", line, err)
		}
		seen[sides[f[2]]] = true
	}
	for _, side := range []string{"site", "machine", "vendor"} {
		if !seen[side] {
			t.Errorf("licet seats --help has no example for the %s:\n%s", side, ex)
		}
	}
}

package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestStartupLazy: licet's own packages do next to nothing when the
// process starts (issue 20: `licet verify` as a whole process at most
// the cost of `openssl pkeyutl -verify`). Regular expressions, templates
// and tables that only some commands use are built on first use
// (sync.OnceValue), so verify and inspect do not pay for policy's order
// and royalty patterns, report's statement template or this package's
// paste pattern. The test runs this test binary, which links the same
// packages, with GODEBUG=inittrace=1 and bounds what each package's
// initialisation allocates.
func TestStartupLazy(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	line := regexp.MustCompile(`(?m)^init (github\.com/licet/licet/\S+) @\S+ ms, \S+ ms clock, (\d+) bytes, (\d+) allocs$`)
	const maxBytes = 4096
	seen := 0
	for _, m := range line.FindAllStringSubmatch(string(out), -1) {
		seen++
		bytes, _ := strconv.Atoi(m[2])
		if bytes > maxBytes {
			t.Errorf("initialising %s allocates %d bytes (%s allocs), more than %d: make what only some commands use lazy", m[1], bytes, m[3], maxBytes)
		}
	}
	if seen < 4 || !strings.Contains(string(out), "github.com/licet/licet/policy") {
		t.Fatalf("inittrace lists %d licet packages:\n%s", seen, out)
	}
}

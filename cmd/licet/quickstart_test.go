package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestREADMEVendorQuickstart follows the README's vendor quickstart
// literally: the commands are typed as the install step makes them
// available (go install puts licet on the PATH; go build -o licet would
// make ./licet, which "licet ..." does not run), and its shell block runs
// as written, with licet on the PATH, in an empty directory.
func TestREADMEVendorQuickstart(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Vendor quickstart\n")
	if !ok {
		t.Fatal("README has no vendor quickstart")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	prose, block, ok := strings.Cut(section, "```sh\n")
	if !ok {
		t.Fatal("the vendor quickstart has no sh block")
	}
	block, _, _ = strings.Cut(block, "```")

	var programs []string
	for _, line := range strings.Split(strings.ReplaceAll(block, "\\\n", " "), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			programs = append(programs, strings.Fields(line)[0])
		}
	}
	programs = slices.Compact(slices.Sorted(slices.Values(programs)))
	if len(programs) == 0 {
		t.Fatal("the vendor quickstart's block has no commands")
	}
	builds := regexp.MustCompile(`go build -o (\S+) \./cmd/licet`).FindStringSubmatch(prose)
	installs := strings.Contains(prose, "go install ./cmd/licet") && strings.Contains(prose, "PATH")
	for _, p := range programs {
		switch {
		case p == "licet" && builds != nil:
			t.Errorf("the quickstart builds %s (go build -o %[1]s) and then types %q: the shell looks for licet on the PATH", builds[1], p)
		case p == "licet" && !installs:
			t.Errorf("the quickstart types %q without saying how licet gets on the PATH (go install ./cmd/licet, and GOPATH/bin on the PATH)", p)
		case p != "licet" && (builds == nil || p != "./"+strings.TrimPrefix(builds[1], "./")):
			t.Errorf("the quickstart runs %q, which its install step does not make", p)
		}
	}

	// The test binary is licet (TestMain); the PATH holds it as "licet".
	licet, err := exec.LookPath("licet")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", block)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(licet)+":/usr/bin:/bin",
		"LICET_PASSPHRASE=quickstart", "LICET_LEDGER=", "LICET_POLICY=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the quickstart's block: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^valid`).Match(out) {
		t.Errorf("the quickstart's verify did not say valid:\n%s", out)
	}
}

package verify_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// allowedDeps are the only non-standard packages that token and verify may
// import: partners pay for every dependency of what they embed.
var allowedDeps = []string{
	"github.com/licet/licet/token",
	"github.com/licet/licet/verify",
	"github.com/fxamacker/cbor/v2",
	"github.com/x448/float16", // fxamacker/cbor's own dependency
	"github.com/hashicorp/go-version",
	"filippo.io/edwards25519", // verify keeps trusted keys as decompressed points (issue 13)
}

func TestDependencies(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(gobin, "list", "-deps",
		"-f", "{{if not .Standard}}{{.ImportPath}}{{end}}",
		"github.com/licet/licet/verify", "github.com/licet/licet/token").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	seen := 0
	for _, pkg := range strings.Fields(string(out)) {
		ok := false
		for _, a := range allowedDeps {
			if pkg == a || strings.HasPrefix(pkg, a+"/") {
				ok = true
			}
		}
		if !ok {
			t.Errorf("verify/token depend on %s, which is not allowed", pkg)
		}
		seen++
	}
	if seen < 3 {
		t.Fatalf("go list returned only %d packages:\n%s", seen, out)
	}
}

// TestGoDirective keeps the go line of go.mod at the oldest release the
// dependencies allow (1.24), not at the toolchain that happens to run, so
// that partners on older toolchains can embed verify.
func TestGoDirective(t *testing.T) {
	data, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("no go directive in go.mod")
	}
	if got := string(m[1]); got != "1.24" && got != "1.24.0" {
		t.Errorf("go.mod says go %s; keep it at 1.24 (the oldest release the dependencies allow) unless a dependency needs more, and say why", got)
	}
	if regexp.MustCompile(`(?m)^toolchain `).Match(data) {
		t.Error("go.mod has a toolchain line; remove it")
	}
}

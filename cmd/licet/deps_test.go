package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoHTTPStack keeps net/http (and package sdk, which serves it) out
// of the licet binary: fingerprints and activation requests come from
// package machine, and nothing the CLI does talks HTTP.
func TestNoHTTPStack(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(gobin, "list", "-deps", "github.com/licet/licet/cmd/licet").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 20 {
		t.Fatalf("go list -deps returned only %d packages:\n%s", len(deps), out)
	}
	for _, pkg := range deps {
		if pkg == "net/http" || strings.HasPrefix(pkg, "net/http/") || pkg == "github.com/licet/licet/sdk" {
			t.Errorf("licet links %s", pkg)
		}
	}
}

package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoHTTPStack keeps net/http out of every part of licet but the
// issuance server ('licet serve': packages server, internal/httpserve and billing),
// and package sdk (which products embed) out of the binary: fingerprints
// and activation requests come from package machine, and nothing else the
// CLI does talks HTTP.
func TestNoHTTPStack(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(gobin, "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "github.com/licet/licet/cmd/licet").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 20 {
		t.Fatalf("go list -deps returned only %d packages:\n%s", len(lines), out)
	}
	servers := map[string]bool{"github.com/licet/licet/server": true, "github.com/licet/licet/internal/httpserve": true,
		"github.com/licet/licet/webhook": true, "github.com/licet/licet/seats": true, // seats: the site lease server
		"github.com/licet/licet/billing": true} // billing: the server's Stripe webhook endpoint
	for _, line := range lines {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		if pkg == "github.com/licet/licet/sdk" {
			t.Errorf("licet links %s", pkg)
		}
		if !strings.HasPrefix(pkg, "github.com/licet/licet/") || servers[pkg] {
			continue
		}
		for _, imp := range imports {
			if imp == "net/http" || strings.HasPrefix(imp, "net/http/") {
				t.Errorf("%s imports %s: only the issuance server (packages server, internal/httpserve, billing) may", pkg, imp)
			}
		}
	}
}

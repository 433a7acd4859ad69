package sdk_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps sdk's imports to the standard library, token,
// verify, machine and golang.org/x/time/rate (partners pay for every
// dependency of what they embed), and keeps it off the rest of licet (keys, cmd): sdk is
// built on verify, never the reverse or sideways.
func TestDependencies(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(gobin, "list", "-f", `{{join .Imports "\n"}}`, "github.com/licet/licet/sdk").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string]bool{
		"github.com/licet/licet/token":  true,
		"github.com/licet/licet/verify": true,
		// Standard library and token only: fingerprints.
		"github.com/licet/licet/machine": true,
		"golang.org/x/time/rate":         true,
		// Standard library only: the strict JSON member check shared
		// with keys.
		"github.com/licet/licet/internal/strictjson": true,
		// Standard library only (net/http): the lease server's API,
		// shared with the licet command.
		"github.com/licet/licet/internal/seatclient": true,
	}
	seen := 0
	for _, pkg := range strings.Fields(string(out)) {
		seen++
		first := strings.SplitN(pkg, "/", 2)[0]
		if !strings.Contains(first, ".") { // standard library
			continue
		}
		if !allowed[pkg] {
			t.Errorf("sdk imports %s, which is not allowed", pkg)
		}
	}
	if seen < 5 {
		t.Fatalf("go list returned only %d imports:\n%s", seen, out)
	}
	out, err = exec.Command(gobin, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "github.com/licet/licet/sdk").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/licet/licet/") && pkg != "github.com/licet/licet/sdk" &&
			pkg != "github.com/licet/licet/token" && pkg != "github.com/licet/licet/verify" &&
			pkg != "github.com/licet/licet/machine" &&
			!strings.HasPrefix(pkg, "github.com/licet/licet/internal/") {
			t.Errorf("sdk depends on %s", pkg)
		}
	}
}

package machine_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps machine's imports to the standard library,
// token (for ActivationRequest.Apply) and the internal strict JSON
// checker, and keeps network code out of it: cmd/licet links machine, not
// sdk, so that the CLI carries no HTTP stack.
func TestDependencies(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(gobin, "list", "-f", `{{join .Imports "\n"}}`, "github.com/licet/licet/machine").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string]bool{
		"github.com/licet/licet/token":               true,
		"github.com/licet/licet/internal/strictjson": true,
	}
	seen := 0
	for _, pkg := range strings.Fields(string(out)) {
		seen++
		if first, _, _ := strings.Cut(pkg, "/"); !strings.Contains(first, ".") {
			continue // standard library
		}
		if !allowed[pkg] {
			t.Errorf("machine imports %s, which is not allowed", pkg)
		}
	}
	if seen < 5 {
		t.Fatalf("go list returned only %d imports:\n%s", seen, out)
	}
	out, err = exec.Command(gobin, "list", "-deps", "github.com/licet/licet/machine").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "net" || strings.HasPrefix(pkg, "net/") {
			t.Errorf("machine depends on %s", pkg)
		}
	}
}

package main

import (
	"os"
	"strings"
	"testing"
)

// TestREADMESnippet: the Go block of sdk/README.md (which the top-level
// README embeds) is this program from its package clause on, byte for
// byte, so the snippet compiles as written.
func TestREADMESnippet(t *testing.T) {
	for _, path := range []string{"../../sdk/README.md", "../../README.md"} {
		readme, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		src, err := os.ReadFile("main.go")
		if err != nil {
			t.Fatal(err)
		}
		_, code, ok := strings.Cut(string(src), "\npackage main\n")
		if !ok {
			t.Fatal("main.go has no package clause")
		}
		_, rest, ok := strings.Cut(string(readme), "```go\npackage main\n")
		if !ok {
			t.Fatalf("%s has no ```go block starting with package main", path)
		}
		snippet, _, ok := strings.Cut(rest, "```\n")
		if !ok {
			t.Fatalf("%s: the go block does not end", path)
		}
		if snippet != code {
			t.Errorf("%s: the snippet and examples/embed/main.go differ:\n--- README\n%s\n--- main.go\n%s", path, snippet, code)
		}
	}
}

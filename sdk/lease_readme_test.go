package sdk_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/licet/licet/sdk"
)

// TestREADMELeaseConfig: the Go block of the README's floating seats
// section parses, and every field and method it names exists
// (sdk.Config's lease fields, License.Close).
func TestREADMELeaseConfig(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Floating seats on a closed network\n")
	if !ok {
		t.Fatal("README has no floating seats section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, block, ok := strings.Cut(section, "```go\n")
	if !ok {
		t.Fatal("the section has no Go block")
	}
	block, _, _ = strings.Cut(block, "```")
	f, err := parser.ParseFile(token.NewFileSet(), "README.go", "package p\nfunc f() {\n"+block+"}\n", 0)
	if err != nil {
		t.Fatalf("the Go block does not parse: %v", err)
	}
	cfg := reflect.TypeFor[sdk.Config]()
	lic := reflect.TypeFor[*sdk.License]()
	var fields, methods []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.KeyValueExpr:
			fields = append(fields, n.Key.(*ast.Ident).Name)
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && id.Name == "lic" {
				methods = append(methods, n.Sel.Name)
			}
		}
		return true
	})
	for _, name := range fields {
		if _, ok := cfg.FieldByName(name); !ok {
			t.Errorf("README: sdk.Config has no field %s", name)
		}
	}
	for _, name := range methods {
		if _, ok := lic.MethodByName(name); !ok {
			t.Errorf("README: *sdk.License has no method %s", name)
		}
	}
	if !strings.Contains(strings.Join(fields, " "), "LeaseServer") || len(methods) == 0 {
		t.Errorf("the Go block names fields %v and methods %v: want LeaseServer and Close", fields, methods)
	}
}

package issue_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestLedgerOnlyStores checks the layering of issue 17: package ledger
// stores and queries; it starts no goroutine and signs no token (the
// signing workers of a batch live in package issue).
func TestLedgerOnlyStores(t *testing.T) {
	files, err := filepath.Glob("../ledger/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no ledger sources: %v", err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: package ledger starts a goroutine", fset.Position(n.Pos()))
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok && id.Name == "token" && strings.HasPrefix(n.Sel.Name, "Sign") {
					t.Errorf("%s: package ledger signs a token (token.%s)", fset.Position(n.Pos()), n.Sel.Name)
				}
			}
			return true
		})
	}
}

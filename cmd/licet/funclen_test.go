package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// maxFuncLines is the longest function cmd/licet may have: the CLI only
// parses flags, calls the library and prints; longer logic belongs in a
// library package or a small helper.
const maxFuncLines = 80

// TestFunctionLength keeps every function of the command (tests aside)
// under maxFuncLines lines.
func TestFunctionLength(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	seen := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			seen++
			if n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1; n > maxFuncLines {
				t.Errorf("%s: %s is %d lines, more than %d: move its logic into a library package or small helpers", name, fd.Name.Name, n, maxFuncLines)
			}
		}
	}
	if seen < 50 {
		t.Fatalf("only %d functions found", seen)
	}
}

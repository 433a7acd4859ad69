//go:build ignore

// Racetests lists what CI runs under the race detector: the tests of the
// module that run code on more than one goroutine. The detector reports
// unsynchronized accesses from different goroutines, so a test that runs
// on one goroutine, calling code that starts none, can never fail under
// it; running those (property tests, differential tests, the CLI's
// testscripts) a second time, ten to forty times slower, checks nothing.
//
// Usage: go run .ci/racetests.go [-concurrent-only DIR]... [-literal S]... DIR...
//
// For each package directory it prints one line, DIR and what to run:
//
//	DIR all            its code starts goroutines (a go statement) or
//	                   holds state for concurrent use (sync, sync/atomic):
//	                   every test, unless DIR is named by -concurrent-only
//	                   (its long tests are single-goroutine ones)
//	DIR ^(TestA|TestB)$ the tests that start goroutines, call t.Parallel,
//	                   start an httptest server or hold a string literal
//	                   given by -literal (a command that runs on several
//	                   goroutines, run in a process of its own), directly
//	                   or through a helper of the test files
//
// and nothing for a package with neither.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// literals are the quoted -literal strings.
var literals []string

type dirList []string

func (d *dirList) String() string     { return strings.Join(*d, ",") }
func (d *dirList) Set(s string) error { *d = append(*d, absolute(s)); return nil }

// absolute is dir as an absolute path, to compare directories however
// they were named.
func absolute(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return filepath.Clean(dir)
}

func main() {
	var concurrentOnly dirList
	flag.Var(&concurrentOnly, "concurrent-only", "package `DIR` whose concurrent tests alone run under -race (repeatable)")
	flag.Func("literal", "a test holding the string literal `S` is concurrent (repeatable)", func(s string) error {
		literals = append(literals, strconv.Quote(s))
		return nil
	})
	flag.Parse()
	status := 0
	for _, dir := range flag.Args() {
		line, err := selectTests(filepath.Clean(dir), concurrentOnly)
		if err != nil {
			fmt.Fprintf(os.Stderr, "racetests: %s: %v\n", dir, err)
			status = 1
			continue
		}
		if line != "" {
			fmt.Println(dir, line)
		}
	}
	os.Exit(status)
}

func selectTests(dir string, concurrentOnly []string) (string, error) {
	pkg, err := build.ImportDir(dir, 0)
	if err != nil {
		if _, ok := err.(*build.NoGoError); ok {
			return "", nil
		}
		return "", err
	}
	fset := token.NewFileSet()
	parse := func(names []string) ([]*ast.File, error) {
		var files []*ast.File
		for _, n := range names {
			f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
		return files, nil
	}
	code, err := parse(pkg.GoFiles)
	if err != nil {
		return "", err
	}
	tests, err := parse(append(append([]string{}, pkg.TestGoFiles...), pkg.XTestGoFiles...))
	if err != nil {
		return "", err
	}
	whole := true
	for _, d := range concurrentOnly {
		if d == absolute(dir) {
			whole = false
		}
	}
	if whole {
		for _, f := range code {
			if startsGoroutines(f) || sharesState(f) {
				return "all", nil
			}
		}
	}
	names := concurrentTests(tests)
	if len(names) == 0 {
		return "", nil
	}
	return "^(" + strings.Join(names, "|") + ")$", nil
}

// startsGoroutines reports whether n holds a go statement.
func startsGoroutines(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if _, ok := n.(*ast.GoStmt); ok {
			found = true
		}
		return !found
	})
	return found
}

// sharesState reports whether f imports sync or sync/atomic.
func sharesState(f *ast.File) bool {
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "sync" || p == "sync/atomic" {
			return true
		}
	}
	return false
}

// concurrent reports whether n starts goroutines, calls t.Parallel,
// starts an httptest server (which serves on goroutines of its own) or
// holds one of the literals.
func concurrent(n ast.Node) bool {
	found := startsGoroutines(n)
	ast.Inspect(n, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			for _, l := range literals {
				found = found || lit.Value == l
			}
		}
		if call, ok := n.(*ast.CallExpr); ok {
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
				switch sel.Sel.Name {
				case "Parallel":
					found = found || len(call.Args) == 0
				case "NewServer", "NewUnstartedServer", "NewTLSServer":
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "httptest" {
						found = true
					}
				}
			}
		}
		return !found
	})
	return found
}

// concurrentTests returns the Test functions of files that are
// concurrent themselves or use a function or method of files that is.
func concurrentTests(files []*ast.File) []string {
	funcs := map[string][]*ast.FuncDecl{}
	for _, f := range files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				funcs[fd.Name.Name] = append(funcs[fd.Name.Name], fd)
			}
		}
	}
	marked := map[string]bool{}
	for name, decls := range funcs {
		for _, fd := range decls {
			if concurrent(fd.Body) {
				marked[name] = true
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for name, decls := range funcs {
			if marked[name] {
				continue
			}
			for _, fd := range decls {
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					var id *ast.Ident
					switch n := n.(type) {
					case *ast.Ident:
						id = n
					case *ast.SelectorExpr:
						id = n.Sel
					}
					if id != nil && id.Name != name && marked[id.Name] {
						marked[name] = true
					}
					return !marked[name]
				})
			}
			changed = changed || marked[name]
		}
	}
	var names []string
	for name := range marked {
		if strings.HasPrefix(name, "Test") && name != "TestMain" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

package vectors_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/licet/licet/internal/vectors"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors from vectors.Generate")

// TestGenerate checks that the committed vector files are exactly what
// Generate produces, or rewrites them with -update:
//
//	go test ./internal/vectors -run TestGenerate -update
func TestGenerate(t *testing.T) {
	files, err := vectors.Generate()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := vectors.Dir()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, f := range files {
		want[f.Name] = true
		path := filepath.Join(dir, f.Name)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (run go test ./internal/vectors -run TestGenerate -update)", f.Name, err)
			continue
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("%s differs from what Generate produces (run go test ./internal/vectors -run TestGenerate -update)", f.Name)
		}
	}
	// Files that Generate no longer produces.
	existing, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range existing {
		name := filepath.Base(path)
		if want[name] {
			continue
		}
		if *update {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s is not produced by Generate: remove it or run with -update", name)
	}
}

// TestGenerateDeterministic checks that two runs give the same bytes.
func TestGenerateDeterministic(t *testing.T) {
	a, err := vectors.Generate()
	if err != nil {
		t.Fatal(err)
	}
	b, err := vectors.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Errorf("%s: second run differs", a[i].Name)
		}
	}
}

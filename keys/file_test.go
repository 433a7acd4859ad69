package keys

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// checkFile checks a file's content and, where the platform has Unix modes,
// its mode.
func checkFile(t *testing.T, path, content string, perm fs.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != content {
		t.Errorf("%s holds %q, want %q", path, got, content)
	}
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != perm {
		t.Errorf("%s has mode %v, want %v", path, fi.Mode(), perm)
	}
}

// checkNoTemp fails if a temporary file was left in dir.
func checkNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	priv := filepath.Join(dir, "acme.key")
	if err := WriteFile(priv, []byte("secret"), 0o600, false); err != nil {
		t.Fatal(err)
	}
	checkFile(t, priv, "secret", 0o600)

	pub := filepath.Join(dir, "acme.pub")
	if err := WriteFile(pub, []byte("public"), 0o644, false); err != nil {
		t.Fatal(err)
	}
	checkFile(t, pub, "public", 0o644)
	checkNoTemp(t, dir)

	// A relative path writes in the current directory.
	t.Chdir(dir)
	if err := WriteFile("rel.key", []byte("r"), 0o600, false); err != nil {
		t.Fatal(err)
	}
	checkFile(t, filepath.Join(dir, "rel.key"), "r", 0o600)
}

func TestWriteFileRefusesExisting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "acme.key")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, []byte("new"), 0o600, false)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v, want fs.ErrExist", err)
	}
	if !strings.HasPrefix(err.Error(), "keys: ") || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("message %q", err)
	}
	checkFile(t, path, "old", 0o600)
	checkNoTemp(t, dir)

	// With force, the file is replaced, and takes the new mode.
	if err := WriteFile(path, []byte("new"), 0o644, true); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, "new", 0o644)
	if err := WriteFile(path, []byte("newer"), 0o600, true); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, "newer", 0o600)
	checkNoTemp(t, dir)
}

func TestWriteFileRefusesSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("target"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nothing"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{link, dangling} {
		if err := WriteFile(p, []byte("x"), 0o600, false); !errors.Is(err, fs.ErrExist) {
			t.Errorf("%s: err = %v, want fs.ErrExist", p, err)
		}
	}
	// Forced, the link itself is replaced; its target is untouched.
	if err := WriteFile(link, []byte("x"), 0o600, true); err != nil {
		t.Fatal(err)
	}
	checkFile(t, target, "target", 0o644)
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink != 0 {
		t.Errorf("the link was not replaced by a file: %v %v", fi, err)
	}
}

// TestWriteFileNoReplaceRace: a file that appears after the first existence
// check, while the temporary file is written, is not replaced either.
func TestWriteFileNoReplaceRace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "acme.key")
	var tmpSeen string
	hook := func(tmp string) {
		tmpSeen = tmp
		if runtime.GOOS != "windows" {
			if fi, err := os.Stat(tmp); err != nil || fi.Mode() != 0o600 {
				t.Errorf("temporary file: %v, %v; want mode 0600", fi, err)
			}
		}
		if err := os.WriteFile(path, []byte("raced"), 0o644); err != nil {
			t.Error(err)
		}
	}
	err := writeFile(path, []byte("mine"), 0o600, false, hook)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v, want fs.ErrExist", err)
	}
	if filepath.Dir(tmpSeen) != dir {
		t.Errorf("temporary file %s is not in %s", tmpSeen, dir)
	}
	checkFile(t, path, "raced", 0o644)
	checkNoTemp(t, dir)
}

func TestWriteFileErrors(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		path  string
		perm  fs.FileMode
		force bool
	}{
		{"missing directory", filepath.Join(dir, "nope", "k.key"), 0o600, false},
		{"onto a directory, forced", sub, 0o600, true},
		{"onto a directory", sub, 0o600, false},
		{"not a permission mode", filepath.Join(dir, "k.key"), fs.ModeDir | 0o600, false},
		{"no file name", dir + string(filepath.Separator), 0o600, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteFile(tc.path, []byte("x"), tc.perm, tc.force)
			if err == nil || !strings.HasPrefix(err.Error(), "keys: ") {
				t.Fatalf("err = %v, want a keys: error", err)
			}
			checkNoTemp(t, dir)
			checkNoTemp(t, sub)
		})
	}
}

// TestLinkNoReplaceFallback: where hard links fail (some file systems), a
// final existence check and a rename still refuse an existing file.
func TestLinkNoReplaceFallback(t *testing.T) {
	noLinks := func(string, string) error { return &os.LinkError{Op: "link", Err: errors.ErrUnsupported} }
	dir := t.TempDir()
	tmp := filepath.Join(dir, ".k.tmp-1")
	path := filepath.Join(dir, "k.key")
	if err := os.WriteFile(tmp, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := linkNoReplace(tmp, path, noLinks); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, "new", 0o600)
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the temporary file is still there: %v", err)
	}

	if err := os.WriteFile(tmp, []byte("newer"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := linkNoReplace(tmp, path, noLinks); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v, want fs.ErrExist", err)
	}
	checkFile(t, path, "new", 0o600)
}

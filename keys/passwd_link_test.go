//go:build unix

package keys_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licet/licet/keys"
)

// TestPasswdTarget (issue 17 item 7): a passphrase change of a symbolic
// link replaces the file it leads to, through chains and relative links;
// a dangling link or a link to a directory is refused; a plain or missing
// path is itself.
func TestPasswdTarget(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "vault", "acme.key")
	if err := os.MkdirAll(filepath.Dir(real), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("key"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "acme.key")
	chain := filepath.Join(dir, "current.key")
	dangling := filepath.Join(dir, "gone.key")
	toDir := filepath.Join(dir, "dir.key")
	for _, l := range []struct{ target, name string }{
		{"vault/acme.key", link}, {"acme.key", chain}, {"vault/nothing.key", dangling}, {"vault", toDir},
	} {
		if err := os.Symlink(l.target, l.name); err != nil {
			t.Fatal(err)
		}
	}
	want, err := filepath.EvalSymlinks(real)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want, err string }{
		{real, real, ""},
		{link, want, ""},
		{chain, want, ""},
		{filepath.Join(dir, "new.key"), filepath.Join(dir, "new.key"), ""},
		{dangling, "", "leads to no file"},
		{toDir, "", "not a regular file"},
		{filepath.Dir(real), "", "not a regular file"},
	} {
		got, err := keys.PasswdTarget(tc.path)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("PasswdTarget(%s) = %q, %v; want an error saying %q", tc.path, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("PasswdTarget(%s) = %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
}

//go:build unix

package keys

import (
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteFileIgnoresUmask: the file gets exactly the mode asked for.
func TestWriteFileIgnoresUmask(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		umask int
		perm  fs.FileMode
	}{
		{"strict umask, public file", 0o077, 0o644},
		{"no umask, private file", 0, 0o600},
		{"usual umask, private file", 0o022, 0o600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := syscall.Umask(tc.umask)
			defer syscall.Umask(old)
			path := filepath.Join(dir, tc.name)
			if err := WriteFile(path, []byte("x"), tc.perm, false); err != nil {
				t.Fatal(err)
			}
			checkFile(t, path, "x", tc.perm)
		})
	}
}

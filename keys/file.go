package keys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile writes data atomically (temp file in the same directory, fsync,
// rename) with exactly mode perm, whatever the umask. Without force it
// refuses an existing path with an error for which errors.Is(err,
// fs.ErrExist) holds, also when the path appears while writing: the file
// takes its name with a hard link, which never replaces anything. The
// temporary file is created with O_EXCL and mode 0600, and removed on
// failure.
func WriteFile(path string, data []byte, perm fs.FileMode, force bool) error {
	return writeFile(path, data, perm, force, nil)
}

// writeFile is WriteFile; a test's beforeCommit runs after the temporary
// file is written and before it takes its final name.
func writeFile(path string, data []byte, perm fs.FileMode, force bool, beforeCommit func(tmp string)) error {
	if perm&^fs.ModePerm != 0 {
		return fmt.Errorf("keys: writing %s: mode %v is not a permission mode", path, perm)
	}
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return existError(path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("keys: %w", err)
		}
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return fmt.Errorf("keys: writing %s: not a file name", path)
	}
	tmp, err := writeTemp(dir, base, data, perm)
	if err != nil {
		return err
	}
	if beforeCommit != nil {
		beforeCommit(tmp)
	}
	if force {
		if err := os.Rename(tmp, path); err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("keys: %w", err)
		}
	} else if err := linkNoReplace(tmp, path, os.Link); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	syncDir(dir)
	return nil
}

// writeTemp writes data to a new temporary file in dir, with mode perm,
// flushed to disk, and returns its name. On failure it leaves nothing behind.
func writeTemp(dir, base string, data []byte, perm fs.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, "."+base+".tmp-*") // O_CREATE|O_EXCL, mode 0600
	if err != nil {
		return "", fmt.Errorf("keys: creating a temporary file: %w", err)
	}
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("keys: %w", err)
	}
	return f.Name(), nil
}

// linkNoReplace gives tmp the name path unless path exists. A hard link
// fails atomically on an existing path; on file systems without hard links
// it falls back to a final existence check and a rename.
// link is os.Link, or a test's stand-in.
func linkNoReplace(tmp, path string, link func(oldname, newname string) error) error {
	err := link(tmp, path)
	switch {
	case err == nil:
		_ = os.Remove(tmp) // the file lives on under path
		return nil
	case errors.Is(err, fs.ErrExist):
		return existError(path)
	}
	if _, err := os.Lstat(path); err == nil {
		return existError(path)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	return nil
}

func existError(path string) error {
	return fmt.Errorf("keys: %s already exists; not overwriting it: %w", path, fs.ErrExist)
}

// syncDir flushes a directory entry change to disk, where the platform
// allows it (best effort: not all do).
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

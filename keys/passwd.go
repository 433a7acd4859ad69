package keys

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ChangePassphrase returns the private key file data encrypted under a new
// passphrase, for `licet keys passwd`: the same key, issuer and key id,
// with a fresh salt and nonce under kdf. An encrypted file is first
// opened with oldPassphrase (a wrong one is [ErrWrongPassphrase], and
// newPassphrase is then not called); an unencrypted file is encrypted,
// and oldPassphrase is not called. The new passphrase must not be empty.
// The result is checked to open under the new passphrase before it is
// returned. Writing it is the caller's: [WriteFile] replaces a file
// atomically, mode 0600.
func ChangePassphrase(data []byte, oldPassphrase, newPassphrase func() ([]byte, error), kdf KDFParams) ([]byte, error) {
	k, err := ParsePrivateKey(data, oldPassphrase)
	if err != nil {
		return nil, err
	}
	if newPassphrase == nil {
		return nil, errors.New("keys: no new passphrase was given")
	}
	pass, err := newPassphrase()
	if err != nil {
		return nil, err
	}
	if len(pass) == 0 {
		return nil, errors.New("keys: the new passphrase is empty")
	}
	out, err := k.MarshalEncrypted(pass, kdf)
	if err != nil {
		return nil, err
	}
	back, err := ParsePrivateKey(out, func() ([]byte, error) { return pass, nil })
	if err != nil || !bytes.Equal(back.Key, k.Key) || back.Issuer != k.Issuer {
		return nil, fmt.Errorf("keys: the re-encrypted key does not open under the new passphrase: %v", err)
	}
	return out, nil
}

// PasswdTarget returns the file that a passphrase change of the key file
// path replaces: path itself, or, when path is a symbolic link (or a
// chain of them), the regular file it leads to. Replacing the link itself
// would leave the real key under its old passphrase and turn the link
// into a copy; writing to the target (atomically, in the target's own
// directory, with [WriteFile]) changes the key where it lives and keeps
// the link. A path that does not exist is returned as it is (a new file);
// a link that leads nowhere, or to something other than a regular file,
// is an error.
func PasswdTarget(path string) (string, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return "", fmt.Errorf("keys: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		if !fi.Mode().IsRegular() {
			return "", fmt.Errorf("keys: %s is not a regular file", path)
		}
		return path, nil
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("keys: %s is a symbolic link that leads to no file: %w", path, err)
	}
	fi, err = os.Stat(target)
	if err != nil {
		return "", fmt.Errorf("keys: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("keys: %s is a symbolic link to %s, which is not a regular file", path, target)
	}
	return target, nil
}

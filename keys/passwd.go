package keys

import (
	"bytes"
	"errors"
	"fmt"
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

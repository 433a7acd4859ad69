package keys_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/licet/licet/keys"
)

func pass(s string) func() ([]byte, error) {
	return func() ([]byte, error) { return []byte(s), nil }
}

func TestChangePassphrase(t *testing.T) {
	k, err := keys.Generate(bytes.NewReader(bytes.Repeat([]byte{7}, 32)), "acme")
	if err != nil {
		t.Fatal(err)
	}
	old, err := k.MarshalEncrypted([]byte("old words"), keys.FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	out, err := keys.ChangePassphrase(old, pass("old words"), pass("new words"), keys.FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(out, old) {
		t.Fatal("file unchanged")
	}
	back, err := keys.ParsePrivateKey(out, pass("new words"))
	if err != nil || !bytes.Equal(back.Key, k.Key) || back.Issuer != "acme" {
		t.Fatalf("new file under the new passphrase: %v", err)
	}
	if _, err := keys.ParsePrivateKey(out, pass("old words")); !errors.Is(err, keys.ErrWrongPassphrase) {
		t.Errorf("new file under the old passphrase: %v", err)
	}
	info, err := keys.ReadKeyInfo(out)
	if err != nil || !info.Encrypted || info.Public.Issuer != "acme" || !bytes.Equal(info.Public.KeyID(), k.KeyID()) {
		t.Errorf("info %+v, %v", info, err)
	}

	// A wrong old passphrase: refused, and the new one is never asked.
	asked := false
	_, err = keys.ChangePassphrase(old, pass("guess"), func() ([]byte, error) { asked = true; return []byte("x"), nil }, keys.FastKDF())
	if !errors.Is(err, keys.ErrWrongPassphrase) || asked {
		t.Errorf("wrong old passphrase: %v (new asked: %v)", err, asked)
	}
	// An empty new passphrase, or an error reading it.
	if _, err := keys.ChangePassphrase(old, pass("old words"), pass(""), keys.FastKDF()); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty new passphrase: %v", err)
	}
	boom := errors.New("no terminal")
	if _, err := keys.ChangePassphrase(old, pass("old words"), func() ([]byte, error) { return nil, boom }, keys.FastKDF()); !errors.Is(err, boom) {
		t.Errorf("new passphrase error: %v", err)
	}
	if _, err := keys.ChangePassphrase(old, pass("old words"), nil, keys.FastKDF()); err == nil {
		t.Error("nil new passphrase accepted")
	}
	// KDF parameters over the caps are refused.
	if _, err := keys.ChangePassphrase(old, pass("old words"), pass("n"), keys.KDFParams{Time: 1 << 20, MemoryKiB: 64, Threads: 1}); err == nil {
		t.Error("expensive KDF accepted")
	}

	// An unencrypted key is encrypted; its old passphrase is not asked.
	plain := k.MarshalUnencrypted()
	out, err = keys.ChangePassphrase(plain, func() ([]byte, error) { t.Error("old passphrase asked for a plain key"); return nil, nil }, pass("first"), keys.FastKDF())
	if err != nil || !keys.IsEncrypted(out) {
		t.Fatalf("plain key: %v", err)
	}
	// A public key file, or garbage, is no private key.
	if _, err := keys.ChangePassphrase(k.Public().MarshalPEM(), pass("a"), pass("b"), keys.FastKDF()); !errors.Is(err, keys.ErrNotPrivateKey) {
		t.Errorf("public key: %v", err)
	}
	if _, err := keys.ChangePassphrase([]byte("hello"), pass("a"), pass("b"), keys.FastKDF()); err == nil {
		t.Error("garbage accepted")
	}
}

// TestChangePassphraseFile: the flow of `licet keys passwd`, re-encrypt
// then WriteFile with force: the file is replaced, mode 0600.
func TestChangePassphraseFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	k, _ := keys.Generate(bytes.NewReader(bytes.Repeat([]byte{8}, 32)), "acme")
	path := filepath.Join(t.TempDir(), "acme.key")
	old, _ := k.MarshalEncrypted([]byte("old"), keys.FastKDF())
	if err := keys.WriteFile(path, old, 0o600, false); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	out, err := keys.ChangePassphrase(data, pass("old"), pass("new"), keys.FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.WriteFile(path, out, 0o600, false); err == nil {
		t.Fatal("replaced without force")
	}
	if err := keys.WriteFile(path, out, 0o600, true); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	got, _ := os.ReadFile(path)
	if fi.Mode().Perm() != 0o600 || !bytes.Equal(got, out) {
		t.Errorf("mode %v, replaced %v", fi.Mode().Perm(), bytes.Equal(got, out))
	}
}

func ExampleChangePassphrase() {
	k := keys.Sandbox()
	old, _ := k.MarshalEncrypted([]byte("old words"), keys.FastKDF())
	out, err := keys.ChangePassphrase(old,
		func() ([]byte, error) { return []byte("old words"), nil },
		func() ([]byte, error) { return []byte("new words"), nil },
		keys.FastKDF())
	if err != nil {
		panic(err)
	}
	_, err = keys.ParsePrivateKey(out, func() ([]byte, error) { return []byte("new words"), nil })
	fmt.Println("opens under the new passphrase:", err == nil)
	// Output:
	// opens under the new passphrase: true
}

package main

import (
	"bytes"
	"crypto/ed25519"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/licet/licet/bench"
	"github.com/licet/licet/token"
)

// TestRun: the written Sig_structure and signature verify with raw
// ed25519.Verify under the signing key; a missing file and bad usage fail.
func TestRun(t *testing.T) {
	f := bench.NewFixture()
	raw, err := token.SignLicense(f.Priv, f.License, nil)
	if err != nil {
		t.Fatal(err)
	}
	text, err := token.EncodeText(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, tbs, sig := filepath.Join(dir, "lic"), filepath.Join(dir, "tbs"), filepath.Join(dir, "sig")
	if err := os.WriteFile(in, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{in, tbs, sig}, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	m, _ := os.ReadFile(tbs)
	s, _ := os.ReadFile(sig)
	if !ed25519.Verify(f.Pub, m, s) || bytes.Equal(m, raw) {
		t.Fatal("written parts do not verify")
	}
	if code := run([]string{filepath.Join(dir, "none"), tbs, sig}, io.Discard); code != 1 {
		t.Errorf("missing token: exit %d, want 1", code)
	}
	if code := run([]string{in}, io.Discard); code != 2 {
		t.Errorf("one argument: exit %d, want 2", code)
	}
}

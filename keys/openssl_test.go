package keys

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// openssl runs the openssl command, skipping the test when it is not
// installed.
func openssl(t *testing.T, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

var opensslHex = regexp.MustCompile(`(?m)^\s+([0-9a-f]{2}(:[0-9a-f]{2})*:?)\s*$`)

// opensslPublicKey extracts the public key bytes from "openssl pkey -text".
func opensslPublicKey(t *testing.T, text string) []byte {
	t.Helper()
	_, after, ok := strings.Cut(text, "pub:\n")
	if !ok {
		t.Fatalf("no pub: section in openssl output:\n%s", text)
	}
	var h strings.Builder
	for _, m := range opensslHex.FindAllStringSubmatch(after, -1) {
		h.WriteString(strings.ReplaceAll(m[1], ":", ""))
	}
	b, err := hex.DecodeString(h.String())
	if err != nil || len(b) != 32 {
		t.Fatalf("cannot read the public key in openssl output (%x, %v):\n%s", b, err, text)
	}
	return b
}

// TestOpenSSLReadsPublicKeyFile: openssl pkey -pubin reads MarshalPEM files,
// comment lines included, and sees the same key.
func TestOpenSSLReadsPublicKeyFile(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []*PublicKey{testKey(t, "acme").Public(), Sandbox().Public(), {Key: testKey(t, "x").Public().Key}} {
		file := filepath.Join(dir, "k.pub")
		if err := WriteFile(file, p.MarshalPEM(), 0o644, true); err != nil {
			t.Fatal(err)
		}
		out := openssl(t, "pkey", "-pubin", "-in", file, "-text", "-noout")
		if !strings.Contains(out, "ED25519 Public-Key:") {
			t.Fatalf("openssl does not see an Ed25519 key:\n%s", out)
		}
		if got := opensslPublicKey(t, out); hex.EncodeToString(got) != hex.EncodeToString(p.Key) {
			t.Errorf("openssl reads %x, want %x", got, p.Key)
		}
	}
}

// TestParseOpenSSLKeys: ParsePublicKey reads a key made by openssl, and
// private key files made by openssl get a clear error.
func TestParseOpenSSLKeys(t *testing.T) {
	dir := t.TempDir()
	priv := filepath.Join(dir, "k.pem")
	pub := filepath.Join(dir, "k.pub")
	openssl(t, "genpkey", "-algorithm", "ed25519", "-out", priv)
	openssl(t, "pkey", "-in", priv, "-pubout", "-out", pub)
	want := opensslPublicKey(t, openssl(t, "pkey", "-in", priv, "-text", "-noout"))

	data, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePublicKey(data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Issuer != "" || hex.EncodeToString(p.Key) != hex.EncodeToString(want) {
		t.Errorf("ParsePublicKey = %q %x, want no issuer and %x", p.Issuer, p.Key, want)
	}
	info, err := ReadKeyInfo(data)
	if err != nil || info.Private || info.Encrypted || !info.Public.Key.Equal(p.Key) {
		t.Errorf("ReadKeyInfo = %+v, %v", info, err)
	}

	privData, err := os.ReadFile(priv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePublicKey(privData); !errors.Is(err, ErrNotPublicKey) {
		t.Errorf("ParsePublicKey(openssl private key) = %v, want ErrNotPublicKey", err)
	}
	_, err = ParsePrivateKey(privData, nil)
	if err == nil || !strings.Contains(err.Error(), "format licet does not read") {
		t.Errorf("ParsePrivateKey(openssl private key) = %v, want a clear error", err)
	}
}

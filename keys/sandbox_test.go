package keys

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/sandbox/sandbox.key and sandbox.pub from Sandbox()")

const sandboxDir = "../testdata/sandbox"

// TestSandboxFiles: the committed sandbox key files are what the code
// produces, so they cannot drift. Regenerate with go test -run
// TestSandboxFiles -update.
func TestSandboxFiles(t *testing.T) {
	k := Sandbox()
	for _, f := range []struct {
		name string
		data []byte
		perm os.FileMode
	}{
		{"sandbox.key", k.MarshalUnencrypted(), 0o644}, // NOT secret: committed on purpose
		{"sandbox.pub", k.Public().MarshalPEM(), 0o644},
	} {
		path := filepath.Join(sandboxDir, f.name)
		if *update {
			if err := WriteFile(path, f.data, f.perm, true); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./keys -run TestSandboxFiles -update)", err)
		}
		// A checkout that turned line ends into CRLF holds the same file.
		got = bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n"))
		if !bytes.Equal(got, f.data) {
			t.Errorf("%s differs from what Sandbox() produces:\n%s\nwant\n%s", path, got, f.data)
		}
	}

	// The files read back as the sandbox key.
	data, err := os.ReadFile(filepath.Join(sandboxDir, "sandbox.key"))
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePrivateKey(data, noPass(t))
	if err != nil {
		t.Fatal(err)
	}
	if !back.Key.Equal(k.Key) || back.Issuer != SandboxIssuer {
		t.Errorf("sandbox.key parses as %q %x", back.Issuer, back.Key)
	}
	data, err = os.ReadFile(filepath.Join(sandboxDir, "sandbox.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(data)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Key.Equal(k.Public().Key) || pub.Issuer != SandboxIssuer {
		t.Errorf("sandbox.pub parses as %q %x", pub.Issuer, pub.Key)
	}

	readme, err := os.ReadFile(filepath.Join(sandboxDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NOT secret", "sandbox.key", "sandbox.pub", SandboxIssuer, hex.EncodeToString(k.KeyID())} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md does not mention %q", want)
		}
	}
}

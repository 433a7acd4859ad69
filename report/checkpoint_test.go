package report_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/report"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// TestCheckpointLayout checks a signed checkpoint byte by byte against
// C2SP signed-note, computed here without the note package: the text, a
// blank line, "— NAME base64(keyhash || signature)\n", the key hash being
// the first 4 bytes of SHA-256(NAME "\n" 0x01 pubkey) and the signature
// Ed25519 over the text.
func TestCheckpointLayout(t *testing.T) {
	k := testKey(t, "globex")
	pub := k.Public().Key
	root := tlog.RecordHash([]byte("leaf"))
	c := &report.Checkpoint{Origin: checkpoint.Origin(kidOf(k)), Size: 1, Root: root}
	msg, err := report.SignCheckpoint(c, k.Signer())
	if err != nil {
		t.Fatal(err)
	}
	name := "licet/log/" + kidOf(k)
	text := name + "\n1\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n"
	h := sha256.Sum256(append([]byte(name+"\n\x01"), pub...))
	sig := ed25519.Sign(k.Key, []byte(text))
	want := text + "\n— " + name + " " + base64.StdEncoding.EncodeToString(append(h[:4], sig...)) + "\n"
	if string(msg) != want {
		t.Fatalf("signed checkpoint:\n%s\nwant:\n%s", msg, want)
	}
	if !bytes.Equal(c.Text(), []byte(text)) {
		t.Errorf("Text = %q", c.Text())
	}
	v, _ := checkpoint.NewVerifier(name, pub)
	if v.KeyHash() != binary.BigEndian.Uint32(h[:4]) {
		t.Errorf("key hash %08x", v.KeyHash())
	}
}

// TestOpenCheckpointRefuses: a note that is not one, a signature that does
// not verify, another key, another origin, a note over the size limit.
func TestOpenCheckpointRefuses(t *testing.T) {
	k, other := testKey(t, "globex"), testKey(t, "initech")
	pub := k.Public().Key
	root := tlog.RecordHash([]byte("leaf"))
	msg, _ := report.SignCheckpoint(&report.Checkpoint{Origin: checkpoint.Origin(kidOf(k)), Size: 1, Root: root}, k.Signer())
	foreignOrigin, _ := report.SignCheckpoint(&report.Checkpoint{Origin: "example.com/log", Size: 1, Root: root}, k.Signer())
	for _, c := range []struct {
		name string
		msg  []byte
		code report.Code
		want string
	}{
		{"not a note", []byte("hello"), report.CodeMalformed, "not a signed note"},
		{"altered size", bytes.Replace(msg, []byte("\n1\n"), []byte("\n2\n"), 1), report.CodeTampered, "does not verify"},
		{"other key", func() []byte {
			m, _ := report.SignCheckpoint(&report.Checkpoint{Origin: checkpoint.Origin(kidOf(k)), Size: 1, Root: root}, other.Signer())
			return m
		}(),
			report.CodeWrongKey, "not signed by the grant's key"},
		{"other origin", foreignOrigin, report.CodeWrongKey, "not signed by the grant's key"},
		{"too large", append(bytes.Repeat([]byte("x"), report.MaxCheckpointSize), msg...), report.CodeMalformed, "over the"},
	} {
		_, err := report.OpenCheckpoint(c.msg, pub)
		if report.CodeOf(err) != c.code || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %s ...%s...", c.name, err, c.code, c.want)
		}
	}
	// A note under the right key name whose text names another origin.
	signer, _ := checkpoint.NewSigner(checkpoint.Origin(kidOf(k)), k.Signer())
	text := (&report.Checkpoint{Origin: "licet/log/0000000000000000", Size: 1, Root: root}).Text()
	wrongText, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := report.OpenCheckpoint(wrongText, pub); report.CodeOf(err) != report.CodeWrongKey ||
		!strings.Contains(err.Error(), `the checkpoint is for the log "licet/log/0000000000000000"`) {
		t.Errorf("another origin in the text: %v", err)
	}
}

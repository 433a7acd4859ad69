package checkpoint_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/licet/licet/internal/checkpoint"
	"golang.org/x/mod/sumdb/note"
)

func TestOpenReport(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, other, _ := ed25519.GenerateKey(nil)
	signed := func(name, origin string, k ed25519.PrivateKey) []byte {
		s, err := checkpoint.NewSigner(name, k)
		if err != nil {
			t.Fatal(err)
		}
		c := &checkpoint.Checkpoint{Origin: origin, Size: 3}
		msg, err := note.Sign(&note.Note{Text: string(c.Text())}, s) // checkpoint.Sign refuses name != origin
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	sign := func(origin string, k ed25519.PrivateKey) []byte { return signed(origin, origin, k) }
	good := sign("o/1", priv)
	if c, err := checkpoint.OpenReport(good, "o/1", pub, 4096, "the key", "the grant"); err != nil || c.Size != 3 {
		t.Fatalf("OpenReport = %v, %v", c, err)
	}
	tampered := bytes.Replace(good, []byte("\n3\n"), []byte("\n4\n"), 1)
	for _, tc := range []struct {
		name, origin string
		msg          []byte
		max          int
		want         checkpoint.Failure
		text, open   string // the refusal's message, the error of Open
	}{
		{"large", "o/1", good, 10, checkpoint.Malformed, "the checkpoint is 1", "checkpoint: the note is 1"},
		{"not a note", "o/1", []byte("x"), 4096, checkpoint.Malformed, "the checkpoint is not a signed note: ", "checkpoint: not a signed note: "},
		{"other key", "o/1", sign("o/1", other), 4096, checkpoint.WrongKey, "the checkpoint is not signed by the key o/1 (key hash ", "checkpoint: the note is not signed by o/1 (key hash "},
		{"tampered", "o/1", tampered, 4096, checkpoint.Tampered, "the checkpoint's signature by o/1 does not verify: the checkpoint was altered", "checkpoint: the signature by o/1 does not verify: the note was altered"},
		{"other key name", "o/2", good, 4096, checkpoint.WrongKey, "the checkpoint is not signed by the key o/2", "checkpoint: the note is not signed by o/2"},
		{"other log", "o/2", signed("o/2", "o/1", priv), 4096, checkpoint.WrongKey, `the checkpoint is for the log "o/1", not "o/2", the log of the grant`, `checkpoint: the checkpoint is for the log "o/1", not "o/2"`},
	} {
		_, err := checkpoint.OpenReport(tc.msg, tc.origin, pub, tc.max, "the key", "the grant")
		var r *checkpoint.Refusal
		if !errors.As(err, &r) || r.Failure != tc.want || !strings.HasPrefix(r.Message, tc.text) {
			t.Errorf("%s: %v, want failure %d with %q", tc.name, err, tc.want, tc.text)
		}
		if _, err := checkpoint.Open(tc.msg, tc.origin, pub, tc.max); err == nil || !strings.HasPrefix(err.Error(), tc.open) {
			t.Errorf("%s: Open: %v, want %q", tc.name, err, tc.open)
		}
	}
}

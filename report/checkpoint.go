package report

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/note"
)

// MaxCheckpointSize bounds a signed checkpoint note.
const MaxCheckpointSize = 4 << 10

// Checkpoint is a C2SP tlog-checkpoint: the origin of a log, its size and
// the RFC 6962 root hash of its first Size leaves (Extensions: the lines
// after the root, kept as read). Its Text method returns the text of the
// note. The ledger signs the same form at every append.
type Checkpoint = checkpoint.Checkpoint

// ParseCheckpoint parses the text of a checkpoint note strictly: a
// non-empty origin, a size in decimal without leading zeros, a root of
// exactly 32 bytes in padded standard base64, then non-empty extension
// lines; every line ends with a newline.
func ParseCheckpoint(text []byte) (*Checkpoint, error) {
	c, err := checkpoint.Parse(text)
	return c, reprefix(err)
}

// reprefix gives an error of package checkpoint this package's prefix.
func reprefix(err error) error {
	if err == nil {
		return nil
	}
	return errors.New("report: " + strings.TrimPrefix(err.Error(), "checkpoint: "))
}

// NewSigner returns a note signer under key name for an Ed25519 signer
// (such as keys.PrivateKey.Signer). Its key hash is C2SP signed-note's:
// the first 4 bytes of SHA-256(name, "\n", 0x01, public key).
func NewSigner(name string, s crypto.Signer) (note.Signer, error) {
	ns, err := checkpoint.NewSigner(name, s)
	if err != nil {
		return nil, reprefix(err)
	}
	return ns, nil
}

// NewVerifier returns a note verifier under key name for an Ed25519
// public key.
func NewVerifier(name string, pub ed25519.PublicKey) (note.Verifier, error) {
	v, err := checkpoint.NewVerifier(name, pub)
	return v, reprefix(err)
}

// LogOrigin returns the origin, and key name, of the log of a public key:
// licet/log/ and its key id in hex.
func LogOrigin(pub ed25519.PublicKey) string {
	return ledger.Origin(fmt.Sprintf("%x", token.KeyID(pub)))
}

// SignCheckpoint returns c as a signed note: its text, a blank line and one
// signature line by s under the key name c.Origin.
func SignCheckpoint(c *Checkpoint, s crypto.Signer) ([]byte, error) {
	if _, err := ParseCheckpoint(c.Text()); err != nil {
		return nil, err
	}
	ns, err := checkpoint.NewSigner(c.Origin, s)
	if err != nil {
		return nil, reprefix(err)
	}
	msg, err := checkpoint.Sign(c, ns)
	return msg, reprefix(err)
}

// OpenCheckpoint checks that msg is a checkpoint note signed by pub under
// the key name of pub's log (see [LogOrigin]), whose origin is that name,
// and returns the checkpoint. Errors are [*Error] values: CodeMalformed,
// CodeTampered (a signature by that key that does not verify) or
// CodeWrongKey (no signature by that key).
func OpenCheckpoint(msg []byte, pub ed25519.PublicKey) (*Checkpoint, error) {
	if len(msg) > MaxCheckpointSize {
		return nil, refuse(CodeMalformed, "the checkpoint is %d bytes, over the %d allowed", len(msg), MaxCheckpointSize)
	}
	origin := LogOrigin(pub)
	v, err := NewVerifier(origin, pub)
	if err != nil {
		return nil, err
	}
	n, err := note.Open(msg, note.VerifierList(v))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		var by []string
		for _, s := range unverified.Note.UnverifiedSigs {
			by = append(by, fmt.Sprintf("%s (key hash %08x)", s.Name, s.Hash))
		}
		return nil, refuse(CodeWrongKey, "the checkpoint is not signed by the grant's key %s (key hash %08x) but by %s", origin, v.KeyHash(), strings.Join(by, ", "))
	case errors.As(err, &invalid):
		return nil, refuse(CodeTampered, "the checkpoint's signature by %s does not verify: the checkpoint was altered after it was signed", origin)
	case err != nil:
		return nil, refuse(CodeMalformed, "the checkpoint is not a signed note: %v", err)
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return nil, refuse(CodeMalformed, "%s", strings.TrimPrefix(err.Error(), "report: "))
	}
	if c.Origin != origin {
		return nil, refuse(CodeWrongKey, "the checkpoint is for the log %q, not %q, the log of the grant's key", c.Origin, origin)
	}
	return c, nil
}

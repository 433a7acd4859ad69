package report

import (
	"crypto"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/licet/licet/internal/checkpoint"
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

// reprefix gives an error of package checkpoint this package's prefix.
func reprefix(err error) error {
	if err == nil {
		return nil
	}
	return errors.New("report: " + strings.TrimPrefix(err.Error(), "checkpoint: "))
}

// logOrigin returns the origin, and note key name, of the log of a public
// key: licet/log/ and its key id in hex.
func logOrigin(pub ed25519.PublicKey) string {
	return checkpoint.Origin(hex.EncodeToString(token.KeyID(pub)))
}

// SignCheckpoint returns c as a signed note: its text, a blank line and one
// signature line by s under the key name c.Origin.
func SignCheckpoint(c *Checkpoint, s crypto.Signer) ([]byte, error) {
	if _, err := checkpoint.Parse(c.Text()); err != nil {
		return nil, reprefix(err)
	}
	ns, err := checkpoint.NewSigner(c.Origin, s)
	if err != nil {
		return nil, reprefix(err)
	}
	msg, err := checkpoint.Sign(c, ns)
	return msg, reprefix(err)
}

// OpenCheckpoint checks that msg is a checkpoint note signed by pub under
// the key name of pub's log (licet/log/ and pub's key id in hex), whose
// origin is that name,
// and returns the checkpoint. Errors are [*Error] values: CodeMalformed,
// CodeTampered (a signature by that key that does not verify) or
// CodeWrongKey (no signature by that key).
func OpenCheckpoint(msg []byte, pub ed25519.PublicKey) (*Checkpoint, error) {
	if len(msg) > MaxCheckpointSize {
		return nil, refuse(CodeMalformed, "the checkpoint is %d bytes, over the %d allowed", len(msg), MaxCheckpointSize)
	}
	origin := logOrigin(pub)
	v, err := checkpoint.NewVerifier(origin, pub)
	if err != nil {
		return nil, reprefix(err)
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
	c, err := checkpoint.Parse([]byte(n.Text))
	if err != nil {
		return nil, refuse(CodeMalformed, "%s", strings.TrimPrefix(err.Error(), "checkpoint: "))
	}
	if c.Origin != origin {
		return nil, refuse(CodeWrongKey, "the checkpoint is for the log %q, not %q, the log of the grant's key", c.Origin, origin)
	}
	return c, nil
}

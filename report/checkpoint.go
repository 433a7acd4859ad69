package report

import (
	"crypto"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/token"
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
	c, err := checkpoint.OpenReport(msg, logOrigin(pub), pub, MaxCheckpointSize, "the grant's key", "the grant's key")
	var r *checkpoint.Refusal
	if errors.As(err, &r) {
		return nil, refuse(refusalCodes[r.Failure], "%s", r.Message)
	}
	return c, reprefix(err)
}

// refusalCodes are the codes of the failures of [checkpoint.OpenReport].
var refusalCodes = map[checkpoint.Failure]Code{
	checkpoint.Malformed: CodeMalformed,
	checkpoint.Tampered:  CodeTampered,
	checkpoint.WrongKey:  CodeWrongKey,
}

package report

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// MaxCheckpointSize bounds a signed checkpoint note.
const MaxCheckpointSize = 4 << 10

// Checkpoint is a C2SP tlog-checkpoint: the origin of a log, its size and
// the RFC 6962 root hash of its first Size leaves.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	// Extensions are the lines after the root, kept as read; licet writes
	// none and reads none.
	Extensions []string
}

// Text returns the checkpoint as the text of a note: the origin, the
// decimal size and the base64 root, one per line, then any extension
// lines, each ending in a newline.
func (c *Checkpoint) Text() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
	for _, e := range c.Extensions {
		b.WriteString(e + "\n")
	}
	return b.Bytes()
}

// ParseCheckpoint parses the text of a checkpoint note strictly: a
// non-empty origin, a size in decimal without leading zeros, a root of
// exactly 32 bytes in padded standard base64, then non-empty extension
// lines; every line ends with a newline.
func ParseCheckpoint(text []byte) (*Checkpoint, error) {
	s := string(text)
	if !strings.HasSuffix(s, "\n") {
		return nil, errors.New("report: the checkpoint text does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("report: the checkpoint has %d lines, not at least 3 (origin, size, root)", len(lines))
	}
	c := &Checkpoint{Origin: lines[0]}
	if c.Origin == "" || strings.TrimSpace(c.Origin) != c.Origin {
		return nil, fmt.Errorf("report: the checkpoint's origin %q is empty or has surrounding spaces", c.Origin)
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return nil, fmt.Errorf("report: the checkpoint's size %q is not a decimal number without leading zeros", lines[1])
	}
	c.Size = n
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize || base64.StdEncoding.EncodeToString(root) != lines[2] {
		return nil, fmt.Errorf("report: the checkpoint's root %q is not %d bytes in base64", lines[2], tlog.HashSize)
	}
	copy(c.Root[:], root)
	for _, e := range lines[3:] {
		if e == "" {
			return nil, errors.New("report: the checkpoint has an empty extension line")
		}
		c.Extensions = append(c.Extensions, e)
	}
	return c, nil
}

// noteSigner signs notes with an Ed25519 crypto.Signer.
type noteSigner struct {
	name string
	hash uint32
	s    crypto.Signer
}

var _ note.Signer = (*noteSigner)(nil)

func (s *noteSigner) Name() string    { return s.name }
func (s *noteSigner) KeyHash() uint32 { return s.hash }
func (s *noteSigner) Sign(msg []byte) ([]byte, error) {
	return s.s.Sign(nil, msg, crypto.Hash(0))
}

// NewSigner returns a note signer under key name for an Ed25519 signer
// (such as keys.PrivateKey.Signer). Its key hash is C2SP signed-note's:
// the first 4 bytes of SHA-256(name, "\n", 0x01, public key).
func NewSigner(name string, s crypto.Signer) (note.Signer, error) {
	pub, ok := s.Public().(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("report: the signing key is not an Ed25519 key")
	}
	v, err := NewVerifier(name, pub)
	if err != nil {
		return nil, err
	}
	return &noteSigner{name: name, hash: v.KeyHash(), s: s}, nil
}

// NewVerifier returns a note verifier under key name for an Ed25519
// public key.
func NewVerifier(name string, pub ed25519.PublicKey) (note.Verifier, error) {
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, fmt.Errorf("report: %v", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("report: key name %q: %v", name, err)
	}
	return v, nil
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
	ns, err := NewSigner(c.Origin, s)
	if err != nil {
		return nil, err
	}
	msg, err := note.Sign(&note.Note{Text: string(c.Text())}, ns)
	if err != nil {
		return nil, fmt.Errorf("report: signing the checkpoint: %v", err)
	}
	return msg, nil
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

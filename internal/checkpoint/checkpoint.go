// Package checkpoint writes, signs and reads the signed tree heads of
// licet's Merkle logs: C2SP tlog-checkpoints (an origin line, the decimal
// size, the base64 RFC 6962 root, then optional extension lines) in C2SP
// signed notes (golang.org/x/mod/sumdb/note), signed by an Ed25519
// [crypto.Signer] such as an unlocked licet key.
//
// The ledger signs one at every append (package ledger) and royalty
// reports carry one (package report); both use this package so that the
// two cannot drift apart.
package checkpoint

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Origin returns the origin, and note key name, of the log of the key
// whose id is kid (hex): licet/log/ and the key id.
func Origin(kid string) string { return "licet/log/" + kid }

// Checkpoint is a C2SP tlog-checkpoint: the origin of a log, its size and
// the RFC 6962 root hash of its first Size leaves.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	// Extensions are the lines after the root, in order, without their
	// newlines.
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

// Parse parses the text of a checkpoint note strictly: a non-empty origin,
// a size in decimal without leading zeros, a root of exactly 32 bytes in
// padded standard base64, then non-empty extension lines; every line ends
// with a newline.
func Parse(text []byte) (*Checkpoint, error) {
	s := string(text)
	if !strings.HasSuffix(s, "\n") {
		return nil, errors.New("checkpoint: the checkpoint text does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("checkpoint: the checkpoint has %d lines, not at least 3 (origin, size, root)", len(lines))
	}
	c := &Checkpoint{Origin: lines[0]}
	if c.Origin == "" || strings.TrimSpace(c.Origin) != c.Origin {
		return nil, fmt.Errorf("checkpoint: the checkpoint's origin %q is empty or has surrounding spaces", c.Origin)
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return nil, fmt.Errorf("checkpoint: the checkpoint's size %q is not a decimal number without leading zeros", lines[1])
	}
	c.Size = n
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize || base64.StdEncoding.EncodeToString(root) != lines[2] {
		return nil, fmt.Errorf("checkpoint: the checkpoint's root %q is not %d bytes in base64", lines[2], tlog.HashSize)
	}
	copy(c.Root[:], root)
	for _, e := range lines[3:] {
		if e == "" {
			return nil, errors.New("checkpoint: the checkpoint has an empty extension line")
		}
		c.Extensions = append(c.Extensions, e)
	}
	return c, nil
}

// Signer is a note signer backed by an Ed25519 [crypto.Signer].
type Signer struct {
	name string
	hash uint32
	s    crypto.Signer
	pub  ed25519.PublicKey
}

var _ note.Signer = (*Signer)(nil)

// Name returns the key name the signer signs under.
func (s *Signer) Name() string { return s.name }

// KeyHash returns the C2SP signed-note key hash of the name and key.
func (s *Signer) KeyHash() uint32 { return s.hash }

// Sign signs msg with the Ed25519 key.
func (s *Signer) Sign(msg []byte) ([]byte, error) {
	return s.s.Sign(nil, msg, crypto.Hash(0))
}

// Public returns the Ed25519 public key of the signer.
func (s *Signer) Public() crypto.PublicKey { return s.pub }

// NewSigner returns a note signer under key name for an Ed25519 signer
// (such as keys.PrivateKey.Signer). Its key hash is C2SP signed-note's:
// the first 4 bytes of SHA-256(name, "\n", 0x01, public key).
func NewSigner(name string, s crypto.Signer) (*Signer, error) {
	if s == nil {
		return nil, errors.New("checkpoint: no signing key")
	}
	pub, ok := s.Public().(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("checkpoint: the signing key is not an Ed25519 key")
	}
	v, err := NewVerifier(name, pub)
	if err != nil {
		return nil, err
	}
	return &Signer{name: name, hash: v.KeyHash(), s: s, pub: pub}, nil
}

// NewVerifier returns a note verifier under key name for an Ed25519
// public key.
func NewVerifier(name string, pub ed25519.PublicKey) (note.Verifier, error) {
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %v", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: key name %q: %v", name, err)
	}
	return v, nil
}

// Sign returns c as a signed note: its text, a blank line and one
// signature line by s. The checkpoint must parse back (see [Parse]) and s
// must sign under the key name c.Origin.
func Sign(c *Checkpoint, s note.Signer) ([]byte, error) {
	if _, err := Parse(c.Text()); err != nil {
		return nil, err
	}
	if s.Name() != c.Origin {
		return nil, fmt.Errorf("checkpoint: the signer's key name %q is not the origin %q", s.Name(), c.Origin)
	}
	msg, err := note.Sign(&note.Note{Text: string(c.Text())}, s)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: signing: %v", err)
	}
	return msg, nil
}

// Open checks that msg is a note signed by pub under the key name origin,
// holding a checkpoint of that origin, and returns the checkpoint. It
// reads at most maxSize bytes.
func Open(msg []byte, origin string, pub ed25519.PublicKey, maxSize int) (*Checkpoint, error) {
	c, f, err := open(msg, origin, pub, maxSize)
	if f == nil {
		return c, err
	}
	switch f.step {
	case tooLarge:
		return nil, fmt.Errorf("checkpoint: the note is %d bytes, over the %d allowed", len(msg), maxSize)
	case unsigned:
		return nil, fmt.Errorf("checkpoint: the note is not signed by %s (key hash %08x)", origin, f.keyHash)
	case badSignature:
		return nil, fmt.Errorf("checkpoint: the signature by %s does not verify: the note was altered after it was signed", origin)
	case notNote:
		return nil, fmt.Errorf("checkpoint: not a signed note: %v", f.err)
	case notCheckpoint:
		return nil, f.err
	default: // otherOrigin
		return nil, fmt.Errorf("checkpoint: the checkpoint is for the log %q, not %q", c.Origin, origin)
	}
}

// A failure is where [open] refused a note, with what the messages say.
type failure struct {
	step    int
	keyHash uint32   // unsigned: the hash of the key expected
	by      []string // unsigned: the signatures there are, as name (key hash)
	err     error    // notNote, notCheckpoint
}

// The steps of [open].
const (
	tooLarge = iota
	unsigned
	badSignature
	notNote
	notCheckpoint
	otherOrigin
)

// open is [Open] and [OpenReport] without their words: a failure for a
// note refused (with the checkpoint read for otherOrigin), an error for a
// key that is not Ed25519.
func open(msg []byte, origin string, pub ed25519.PublicKey, maxSize int) (*Checkpoint, *failure, error) {
	if len(msg) > maxSize {
		return nil, &failure{step: tooLarge}, nil
	}
	v, err := NewVerifier(origin, pub)
	if err != nil {
		return nil, nil, err
	}
	n, err := note.Open(msg, note.VerifierList(v))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		f := &failure{step: unsigned, keyHash: v.KeyHash()}
		for _, s := range unverified.Note.UnverifiedSigs {
			f.by = append(f.by, fmt.Sprintf("%s (key hash %08x)", s.Name, s.Hash))
		}
		return nil, f, nil
	case errors.As(err, &invalid):
		return nil, &failure{step: badSignature}, nil
	case err != nil:
		return nil, &failure{step: notNote, err: err}, nil
	}
	c, err := Parse([]byte(n.Text))
	if err != nil {
		return nil, &failure{step: notCheckpoint, err: err}, nil
	}
	if c.Origin != origin {
		return c, &failure{step: otherOrigin}, nil
	}
	return c, nil, nil
}

// Split splits the text of a file of signed checkpoints (notes
// one after another, as 'licet ledger checkpoint' prints them, blank
// lines between them allowed) into the notes.
func Split(data []byte) ([][]byte, error) {
	var notes [][]byte
	var cur []string
	inSigs := false
	flush := func() {
		if len(cur) > 0 {
			notes = append(notes, []byte(strings.Join(cur, "")))
		}
		cur, inSigs = nil, false
	}
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		return nil, errors.New("checkpoint: the checkpoint file does not end with a newline: it was cut short")
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		switch {
		case line == "":
		case inSigs && strings.HasPrefix(line, "— "):
			cur = append(cur, line)
		case inSigs && line == "\n":
			flush()
		case inSigs:
			flush()
			cur = append(cur, line)
		case line == "\n" && len(cur) == 0:
		case line == "\n":
			cur, inSigs = append(cur, line), true
		default:
			cur = append(cur, line)
		}
	}
	if len(cur) > 0 && !inSigs {
		return nil, errors.New("checkpoint: the checkpoint file ends with a note without signatures")
	}
	flush()
	if len(notes) == 0 {
		return nil, errors.New("checkpoint: the checkpoint file holds no signed checkpoint")
	}
	return notes, nil
}

// Failure says why [OpenReport] refused a checkpoint.
type Failure int

// The failures.
const (
	// Malformed: too large, not a signed note or not a checkpoint.
	Malformed Failure = iota + 1
	// Tampered: the key's signature does not verify.
	Tampered
	// WrongKey: no signature by the key, or the checkpoint of another log.
	WrongKey
)

// Refusal is the error of [OpenReport] for a checkpoint it refuses: the
// failure and a message for people, without a prefix.
type Refusal struct {
	Failure Failure
	Message string
}

func (r *Refusal) Error() string { return "checkpoint: " + r.Message }

func refuse(f Failure, format string, args ...any) *Refusal {
	return &Refusal{Failure: f, Message: fmt.Sprintf(format, args...)}
}

// OpenReport is [Open] for the checkpoint a report carries (packages
// report and seats/usage), its messages written for the one who reads
// the refusal: key names the key expected ("the grant's key"), logOf the
// owner of the log expected ("the log of the grant's key"). Refusals are
// [*Refusal] values; other errors (a key that is not Ed25519) are not.
func OpenReport(msg []byte, origin string, pub ed25519.PublicKey, maxSize int, key, logOf string) (*Checkpoint, error) {
	c, f, err := open(msg, origin, pub, maxSize)
	if f == nil {
		return c, err
	}
	switch f.step {
	case tooLarge:
		return nil, refuse(Malformed, "the checkpoint is %d bytes, over the %d allowed", len(msg), maxSize)
	case unsigned:
		return nil, refuse(WrongKey, "the checkpoint is not signed by %s %s (key hash %08x) but by %s", key, origin, f.keyHash, strings.Join(f.by, ", "))
	case badSignature:
		return nil, refuse(Tampered, "the checkpoint's signature by %s does not verify: the checkpoint was altered after it was signed", origin)
	case notNote:
		return nil, refuse(Malformed, "the checkpoint is not a signed note: %v", f.err)
	case notCheckpoint:
		return nil, refuse(Malformed, "%s", strings.TrimPrefix(f.err.Error(), "checkpoint: "))
	default: // otherOrigin
		return nil, refuse(WrongKey, "the checkpoint is for the log %q, not %q, the log of %s", c.Origin, origin, logOf)
	}
}

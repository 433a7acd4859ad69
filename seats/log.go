package seats

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/licet/licet/internal/checkpoint"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Files of a state directory.
const (
	// LogFile is the site log: records and signed checkpoints, one JSON
	// object a line.
	LogFile = "seats.log"
	// HeadFile is the newest signed checkpoint, written atomically after
	// each batch.
	HeadFile = "head"
)

// Events of the site log.
const (
	EventStarted  = "started"  // the server started (in_use: leases restored)
	EventGranted  = "granted"  // a lease was granted
	EventRenewed  = "renewed"  // a lease was renewed: a new token, same id
	EventReleased = "released" // a lease was released before its expiry
	EventExpired  = "expired"  // a lease reached its expiry unreleased
	EventBorrowed = "borrowed" // a seat was borrowed (a long lease)
	EventReturned = "returned" // a borrowed seat was returned early
	EventRefused  = "refused"  // a request was refused (reason: why)
	// EventSafeMode records that the server refuses new leases until
	// Expires: its state could not be trusted (reason: why). It is kept
	// across restarts.
	EventSafeMode = "safe_mode"
)

// events lists the valid events.
var events = map[string]bool{
	EventStarted: true, EventGranted: true, EventRenewed: true, EventReleased: true, EventExpired: true,
	EventBorrowed: true, EventReturned: true, EventRefused: true, EventSafeMode: true,
}

// AtLayout is the layout of a record's "at": RFC 3339 in UTC with
// milliseconds.
const AtLayout = "2006-01-02T15:04:05.000Z07:00"

// maxLine caps one line of the log file when reading it.
const maxLine = 1 << 20

// maxNote caps a signed checkpoint note.
const maxNote = 4096

// Record is one event of the site log. Its encoding (see [Record.Encode])
// is one JSON object with the members in this order, empty ones left out
// except seq, at, event and in_use; those bytes are the record's leaf in
// the log's Merkle tree.
type Record struct {
	Seq         int64     // index in the log, from 0
	At          time.Time // when, to the millisecond
	Event       string    // one of the Event constants
	Lease       string    // lease id, 32 hex digits
	Product     string    // the product asked
	Fingerprint string    // the machine's fingerprint
	Client      string    // free text given by the client
	Expires     time.Time // the lease's expiry (granted, renewed, borrowed); the end of safe mode
	Token       string    // the lease's text form (granted, renewed, borrowed)
	Reason      string    // why (refused: a problem code; safe_mode: the cause)
	InUse       int       // seats in use after the event, borrowed included
	// Raw is the record's bytes in the log, without the newline: set by
	// [ReadLog] and [Record.Encode].
	Raw []byte
}

// recordWire is the JSON form of a record.
type recordWire struct {
	Seq         int64  `json:"seq"`
	At          string `json:"at"`
	Event       string `json:"event"`
	Lease       string `json:"lease,omitempty"`
	Product     string `json:"product,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Client      string `json:"client,omitempty"`
	Expires     string `json:"expires,omitempty"`
	Token       string `json:"token,omitempty"`
	Reason      string `json:"reason,omitempty"`
	InUse       int    `json:"in_use"`
}

// Encode returns the record's bytes (without a newline) and sets Raw.
func (r *Record) Encode() ([]byte, error) {
	if !events[r.Event] {
		return nil, fmt.Errorf("seats: record %d: unknown event %q", r.Seq, r.Event)
	}
	r.Raw = r.appendJSON(make([]byte, 0, r.encodedSizeHint()))
	return r.Raw, nil
}

// encodedSizeHint is about the length of the record's encoding.
func (r *Record) encodedSizeHint() int {
	return 256 + len(r.Lease) + len(r.Product) + len(r.Fingerprint) + len(r.Client) + len(r.Token) + len(r.Reason)
}

// appendJSON appends the record's encoding to b: byte for byte what
// encoding/json makes of its recordWire (TestRecordEncodeMatchesJSON),
// without reflection, a record per lease being on the lease's path.
func (r *Record) appendJSON(b []byte) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, r.Seq, 10)
	b = append(b, `,"at":"`...)
	b = r.At.UTC().AppendFormat(b, AtLayout) // digits, '-', ':', '.', 'Z', '+': nothing to escape
	b = append(b, `","event":`...)
	b = appendJSONString(b, r.Event)
	b = appendJSONMember(b, `,"lease":`, r.Lease)
	b = appendJSONMember(b, `,"product":`, r.Product)
	b = appendJSONMember(b, `,"fingerprint":`, r.Fingerprint)
	b = appendJSONMember(b, `,"client":`, r.Client)
	if !r.Expires.IsZero() {
		b = append(b, `,"expires":"`...)
		b = r.Expires.UTC().AppendFormat(b, time.RFC3339)
		b = append(b, '"')
	}
	b = appendJSONMember(b, `,"token":`, r.Token)
	b = appendJSONMember(b, `,"reason":`, r.Reason)
	b = append(b, `,"in_use":`...)
	b = strconv.AppendInt(b, int64(r.InUse), 10)
	return append(b, '}')
}

// appendJSONMember appends name and v, unless v is empty (omitempty).
func appendJSONMember(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	return appendJSONString(append(b, name...), v)
}

// jsonSafe holds the bytes a JSON string holds as they are: ASCII but
// control characters, '"', '\\', '<', '>' and '&'.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = !strings.ContainsRune(`"\<>&`, rune(c))
	}
	return t
}()

// appendJSONString appends v as a JSON string as encoding/json writes it
// (HTML-safe): <, > and & as \u00XX, control characters as \b, \f, \n,
// \r, \t or \u00XX, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, v string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(v); {
		c := v[i]
		if jsonSafe[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, v[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, v[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, v[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, v[start:]...)
	return append(b, '"')
}

// decodeRecord reads one record strictly: known members only, times in
// their layouts, and bytes that are exactly the record's encoding.
func decodeRecord(raw []byte) (*Record, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var w recordWire
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("not a record: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	at, err := time.Parse(AtLayout, w.At)
	if err != nil {
		return nil, fmt.Errorf("at %q is not RFC 3339 with milliseconds", w.At)
	}
	r := &Record{Seq: w.Seq, At: at, Event: w.Event, Lease: w.Lease, Product: w.Product, Fingerprint: w.Fingerprint,
		Client: w.Client, Token: w.Token, Reason: w.Reason, InUse: w.InUse}
	if w.Expires != "" {
		if r.Expires, err = time.Parse(time.RFC3339, w.Expires); err != nil {
			return nil, fmt.Errorf("expires %q is not RFC 3339", w.Expires)
		}
	}
	again, err := r.Encode()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, raw) {
		return nil, errors.New("the record is not in its canonical encoding (member order, spacing, time layout)")
	}
	r.Raw = append([]byte(nil), raw...)
	return r, nil
}

// checkpointLine is the JSON form of a checkpoint line of the log file.
type checkpointLine struct {
	Checkpoint string `json:"checkpoint"`
}

// SignedCheckpoint is a checkpoint of the log as signed by the site key.
type SignedCheckpoint struct {
	// Note is the signed note (checkpoint text, blank line, signature).
	Note []byte
	// Checkpoint is the note's text, parsed.
	Checkpoint *checkpoint.Checkpoint
}

// Log is a site log read back by [ReadLog]: its records, the checkpoints
// signed after each batch, and the stored hashes of its Merkle tree
// (RFC 6962, leaf = a record's bytes). It is a [tlog.HashReader].
type Log struct {
	// Records are the log's records, Records[i].Seq == i (none after
	// [Log.Forget]).
	Records []Record
	// Checkpoints are the log's checkpoints, oldest first; the last
	// covers every record.
	Checkpoints []SignedCheckpoint
	// Origin is the checkpoints' origin (and key name).
	Origin string
	// Size is the length in bytes of the log file's valid part.
	Size int64
	// Cut is the number of bytes after Size that ReadLog left out: a
	// record or checkpoint torn by a crash in the middle of a write, or
	// records of a batch whose checkpoint was never written. Their
	// callers were never answered. CutReason says what was cut.
	Cut       int64
	CutReason string

	hashes []tlog.Hash
	count  int64 // records, kept or not
	forgot bool  // Records dropped (see Forget)
}

var _ tlog.HashReader = (*Log)(nil)

// ReadHashes returns the stored hashes at indexes (see
// [tlog.StoredHashIndex]).
func (l *Log) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(l.hashes)) {
			return nil, fmt.Errorf("seats: stored hash %d is beyond the log (%d records)", x, len(l.Records))
		}
		out[i] = l.hashes[x]
	}
	return out, nil
}

// Len returns the number of records.
func (l *Log) Len() int64 { return l.count }

// Forget drops the records and all checkpoints but the newest from
// memory, keeping the tree's hashes: a server appending for months needs
// only those. From then on Records stays empty and Checkpoints holds the
// newest only.
func (l *Log) Forget() {
	l.Records = nil
	if n := len(l.Checkpoints); n > 1 {
		l.Checkpoints = l.Checkpoints[n-1:]
	}
	l.forgot = true
}

// Root returns the Merkle root of the first n records.
func (l *Log) Root(n int64) (tlog.Hash, error) {
	if n < 0 || n > l.Len() {
		return tlog.Hash{}, fmt.Errorf("seats: a tree of %d records, the log has %d", n, l.Len())
	}
	return tlog.TreeHash(n, l)
}

// Head returns the newest signed checkpoint, nil for a log without one.
func (l *Log) Head() *SignedCheckpoint {
	if len(l.Checkpoints) == 0 {
		return nil
	}
	return &l.Checkpoints[len(l.Checkpoints)-1]
}

// InclusionProof proves that record i is in the tree of the first n
// records.
func (l *Log) InclusionProof(i, n int64) (tlog.RecordProof, error) {
	return tlog.ProveRecord(n, i, l)
}

// ConsistencyProof proves that the tree of the first m records is a
// prefix of the tree of the first n.
func (l *Log) ConsistencyProof(m, n int64) (tlog.TreeProof, error) {
	return tlog.ProveTree(n, m, l)
}

// Verify checks that every checkpoint of the log is signed by pub under
// the log's origin. ReadLog already checked that each matches the
// records before it.
func (l *Log) Verify(pub ed25519.PublicKey) error {
	for i, c := range l.Checkpoints {
		if _, err := checkpoint.Open(c.Note, l.Origin, pub, maxNote); err != nil {
			return fmt.Errorf("seats: the log's checkpoint %d (size %d): %s", i, c.Checkpoint.Size, strings.TrimPrefix(err.Error(), "checkpoint: "))
		}
	}
	return nil
}

// add appends a record's leaf hashes to the tree.
func (l *Log) add(r Record) error {
	return l.addHashed(r, tlog.RecordHash(r.Raw))
}

// addHashed appends a record whose leaf hash is leaf: its stored hashes,
// as tlog.StoredHashesForRecordHash computes them (the leaf, then the
// root of each subtree it completes), read from and appended to
// l.hashes in place (TestAddHashedMatchesTlog).
func (l *Log) addHashed(r Record, leaf tlog.Hash) error {
	n := l.count
	if int64(len(l.hashes)) != tlog.StoredHashCount(n) {
		return fmt.Errorf("seats: hashing record %d: %d stored hashes for %d records", r.Seq, len(l.hashes), n)
	}
	h := leaf
	l.hashes = append(l.hashes, h)
	for level := 0; n>>level&1 == 1; level++ {
		h = tlog.NodeHash(l.hashes[tlog.StoredHashIndex(level, n>>level-1)], h)
		l.hashes = append(l.hashes, h)
	}
	l.count++
	if !l.forgot {
		l.Records = append(l.Records, r)
	}
	return nil
}

// openNote parses a signed checkpoint note without checking its
// signature (see [Log.Verify]).
func openNote(msg []byte) (*checkpoint.Checkpoint, error) {
	if len(msg) > maxNote {
		return nil, fmt.Errorf("the note is %d bytes, over %d", len(msg), maxNote)
	}
	_, err := note.Open(msg, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		return nil, fmt.Errorf("not a signed note: %v", err)
	}
	return checkpoint.Parse([]byte(unverified.Note.Text))
}

// ReadLog reads the site log of the state directory dir: every record,
// checked strictly, in sequence, each batch's records matching the
// checkpoint that follows them (size and root). What a crash can leave
// at the end (a torn last line, records without their checkpoint) is left
// out and reported in Cut; anything else that does not match (a changed
// byte, a missing record) is an error. The checkpoints' signatures are
// not checked: see [Log.Verify].
func ReadLog(dir string) (*Log, error) {
	f, err := os.Open(filepath.Join(dir, LogFile))
	if err != nil {
		return nil, fmt.Errorf("seats: %v", err)
	}
	defer f.Close()
	return readLog(f)
}

func readLog(rd io.Reader) (*Log, error) {
	l := &Log{}
	br := bufio.NewReaderSize(rd, 64<<10)
	var off int64     // bytes read so far
	var pending int64 // bytes of records after the last checkpoint
	pendingRecords := 0
	for line := 1; ; line++ {
		b, err := readLine(br)
		if err == io.EOF {
			if len(b) > 0 {
				l.Cut = int64(len(b))
				l.CutReason = fmt.Sprintf("line %d is torn (%d bytes without a newline)", line, len(b))
			}
			break
		}
		if err != nil {
			return nil, fmt.Errorf("seats: the log at line %d: %v", line, err)
		}
		off += int64(len(b)) + 1
		if bytes.HasPrefix(b, []byte(`{"checkpoint":`)) {
			c, err := l.readCheckpoint(b)
			if err != nil {
				return nil, fmt.Errorf("seats: the log at line %d: %v", line, err)
			}
			l.Checkpoints = append(l.Checkpoints, *c)
			l.Size = off
			pending, pendingRecords = 0, 0
			continue
		}
		r, err := decodeRecord(b)
		if err != nil {
			return nil, fmt.Errorf("seats: the log at line %d: %v", line, err)
		}
		if r.Seq != l.Len() {
			return nil, fmt.Errorf("seats: the log at line %d: record %d where record %d is expected (a record is missing or repeated)", line, r.Seq, l.Len())
		}
		if err := l.add(*r); err != nil {
			return nil, err
		}
		pending += int64(len(b)) + 1
		pendingRecords++
	}
	if pendingRecords > 0 {
		l.Records = l.Records[:len(l.Records)-pendingRecords]
		l.count -= int64(pendingRecords)
		l.hashes = l.hashes[:tlog.StoredHashCount(l.Len())]
		reason := fmt.Sprintf("%d records after the last checkpoint", pendingRecords)
		if l.CutReason != "" {
			reason += ", then " + l.CutReason
		}
		l.Cut += pending
		l.CutReason = reason
	}
	return l, nil
}

// readLine returns the next line without its newline, io.EOF with the
// bytes of a last line that has none.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		b, err := br.ReadSlice('\n')
		line = append(line, b...)
		if len(line) > maxLine {
			return nil, fmt.Errorf("a line longer than %d bytes", maxLine)
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			return line, io.EOF
		default:
			return nil, err
		}
	}
}

// readCheckpoint checks a checkpoint line against the records before it.
func (l *Log) readCheckpoint(b []byte) (*SignedCheckpoint, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var cl checkpointLine
	if err := dec.Decode(&cl); err != nil {
		return nil, fmt.Errorf("not a checkpoint: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	c, err := openNote([]byte(cl.Checkpoint))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s", strings.TrimPrefix(err.Error(), "checkpoint: "))
	}
	if l.Origin == "" {
		l.Origin = c.Origin
	} else if c.Origin != l.Origin {
		return nil, fmt.Errorf("a checkpoint of the log %q in the log %q", c.Origin, l.Origin)
	}
	if c.Size != l.Len() {
		return nil, fmt.Errorf("a checkpoint of %d records after %d records", c.Size, l.Len())
	}
	if last := l.Head(); last != nil && c.Size < last.Checkpoint.Size {
		return nil, fmt.Errorf("a checkpoint of %d records after one of %d", c.Size, last.Checkpoint.Size)
	}
	root, err := tlog.TreeHash(c.Size, l)
	if err != nil {
		return nil, fmt.Errorf("hashing: %v", err)
	}
	if root != c.Root {
		return nil, fmt.Errorf("the records before the checkpoint of %d records do not hash to its root: a record was changed", c.Size)
	}
	return &SignedCheckpoint{Note: []byte(cl.Checkpoint), Checkpoint: c}, nil
}

// ReadHead reads the head file of the state directory dir and checks
// that it is a checkpoint signed by pub under origin.
func ReadHead(dir, origin string, pub ed25519.PublicKey) (*checkpoint.Checkpoint, error) {
	b, err := os.ReadFile(filepath.Join(dir, HeadFile))
	if err != nil {
		return nil, fmt.Errorf("seats: %v", err)
	}
	c, err := checkpoint.Open(b, origin, pub, maxNote)
	if err != nil {
		return nil, fmt.Errorf("seats: the head file: %s", strings.TrimPrefix(err.Error(), "checkpoint: "))
	}
	return c, nil
}

// Writer appends batches of records to a site log: each batch is written
// with its signed checkpoint in one write and made durable with one
// fsync; then the head file is replaced. It is not safe for concurrent
// use (see [Committer]).
type Writer struct {
	dir    string
	f      *os.File
	log    *Log
	signer note.Signer
	origin string
	broken error
	buf    []byte // a batch's bytes, reused
}

// OpenWriter opens the log of dir for appending, after l (read by
// [ReadLog], or nil for a new log): it cuts off what ReadLog left out,
// or creates the log file (0600). signer signs the checkpoints under
// origin.
func OpenWriter(dir string, l *Log, signer note.Signer, origin string) (*Writer, error) {
	if signer.Name() != origin {
		return nil, fmt.Errorf("seats: the signer's key name %q is not the origin %q", signer.Name(), origin)
	}
	path := filepath.Join(dir, LogFile)
	var f *os.File
	var err error
	if l == nil {
		l = &Log{Origin: origin}
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	} else {
		if l.Origin != "" && l.Origin != origin {
			return nil, fmt.Errorf("seats: the log is %q, not %q", l.Origin, origin)
		}
		l.Origin = origin
		f, err = os.OpenFile(path, os.O_RDWR, 0o600)
		if err == nil && l.Cut > 0 {
			err = f.Truncate(l.Size)
			if err == nil {
				err = f.Sync()
			}
			l.Cut, l.CutReason = 0, ""
		}
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, fmt.Errorf("seats: %v", err)
	}
	if _, err := f.Seek(l.Size, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("seats: %v", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("seats: the log %s is in use by another server: %v", path, err)
	}
	return &Writer{dir: dir, f: f, log: l, signer: signer, origin: origin}, nil
}

// Log returns the log as written so far. The caller must not change it.
func (w *Writer) Log() *Log { return w.log }

// Close closes the log file.
func (w *Writer) Close() error { return w.f.Close() }

// Append writes the records, whose Seq must follow the log's, and a
// checkpoint signed over them, and syncs the file. It returns the signed
// checkpoint. After an error the writer refuses every append: the file's
// end is unknown until it is read again.
func (w *Writer) Append(recs []Record) (*SignedCheckpoint, error) {
	return w.appendHashed(recs, nil)
}

// appendHashed is Append of records already encoded (Raw set) with their
// leaf hashes; nil leaves encodes and hashes them here.
func (w *Writer) appendHashed(recs []Record, leaves []tlog.Hash) (*SignedCheckpoint, error) {
	if w.broken != nil {
		return nil, w.broken
	}
	sc, err := w.append(recs, leaves)
	if err != nil {
		w.broken = fmt.Errorf("seats: the log cannot be appended to after an earlier error: %v", err)
		return nil, err
	}
	return sc, nil
}

func (w *Writer) append(recs []Record, leaves []tlog.Hash) (*SignedCheckpoint, error) {
	l := w.log
	n0, h0, c0, k0 := len(l.Records), len(l.hashes), len(l.Checkpoints), l.count
	undo := func() {
		l.Records, l.hashes, l.Checkpoints, l.count = l.Records[:n0], l.hashes[:h0], l.Checkpoints[:c0], k0
	}
	buf := w.buf[:0]
	defer func() {
		if cap(buf) <= 4<<20 {
			w.buf = buf[:0]
		}
	}()
	for i := range recs {
		r := recs[i]
		if r.Seq != l.Len() {
			undo()
			return nil, fmt.Errorf("seats: appending record %d where %d is next", r.Seq, l.Len())
		}
		b := r.Raw
		var leaf tlog.Hash
		if leaves != nil {
			leaf = leaves[i]
		} else {
			var err error
			if b, err = r.Encode(); err != nil {
				undo()
				return nil, err
			}
			leaf = tlog.RecordHash(b)
		}
		if err := l.addHashed(r, leaf); err != nil {
			undo()
			return nil, err
		}
		buf = append(append(buf, b...), '\n')
	}
	root, err := tlog.TreeHash(l.Len(), l)
	if err != nil {
		undo()
		return nil, fmt.Errorf("seats: hashing the log: %v", err)
	}
	c := &checkpoint.Checkpoint{Origin: w.origin, Size: l.Len(), Root: root}
	msg, err := checkpoint.Sign(c, w.signer)
	if err != nil {
		undo()
		return nil, fmt.Errorf("seats: %s", strings.TrimPrefix(err.Error(), "checkpoint: "))
	}
	buf = append(appendJSONString(append(buf, `{"checkpoint":`...), string(msg)), '}', '\n')
	if _, err := w.f.Write(buf); err != nil {
		undo()
		return nil, fmt.Errorf("seats: writing the log: %v", err)
	}
	if err := w.f.Sync(); err != nil {
		undo()
		return nil, fmt.Errorf("seats: syncing the log: %v", err)
	}
	l.Size += int64(len(buf))
	sc := SignedCheckpoint{Note: msg, Checkpoint: c}
	if l.forgot {
		l.Checkpoints = l.Checkpoints[:0]
	}
	l.Checkpoints = append(l.Checkpoints, sc)
	return &sc, nil
}

// WriteHead replaces the head file with a signed checkpoint, atomically
// (a temporary file synced, then renamed). A head behind the log is
// harmless; one ahead of it means the log was rolled back.
func WriteHead(dir string, msg []byte) error {
	return writeAtomic(filepath.Join(dir, HeadFile), msg)
}

// writeAtomic writes data to path (0600) through a synced temporary file
// renamed over it.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("seats: %v", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("seats: writing %s: %v", path, err)
	}
	return nil
}

// Committer is the group commit of a site log: callers reserve sequence
// numbers in the order of their state changes ([Committer.Reserve]),
// prepare their records concurrently (signing leases, encoding and
// hashing the records on their own goroutines), and hand them in
// ([Committer.Commit]) in any order; one goroutine writes every record
// whose predecessors are all in, as one batch with one fsync, and answers
// each caller after the fsync that holds its record. Another goroutine
// replaces the head file after the batches (at most every headEvery),
// never holding one up.
type Committer struct {
	w       *Writer
	next    int64 // next sequence number to reserve
	mu      sync.Mutex
	in      chan *pending
	done    chan struct{}
	maxSize int
	// OnBatch, when set before the first commit, is called after each
	// batch with its size (for metrics).
	OnBatch func(records int)
	// OnHeadError, when set before the first commit, receives the errors
	// of writing the head file (the log itself is written).
	OnHeadError func(error)

	batches, records atomic.Int64
	failed           atomic.Pointer[error]

	headMu   sync.Mutex
	head     []byte        // the newest checkpoint not yet in the head file
	headWake chan struct{} // one token: a head is waiting
	headStop chan struct{}
	headDone chan struct{}
}

// headEvery is the least time between two writes of the head file: the
// head may lag the log (it only has to never be ahead of it), and its
// fsync would compete with the log's.
const headEvery = 100 * time.Millisecond

type pending struct {
	rec  Record
	leaf tlog.Hash
	done chan error // nil: nobody waits
	buf  *[]byte    // rec.Raw's buffer, from rawBuffers
}

// NewCommitter starts the group commit on w.
func NewCommitter(w *Writer) *Committer {
	c := &Committer{w: w, next: w.log.Len(), in: make(chan *pending, 8192), done: make(chan struct{}), maxSize: 4096,
		headWake: make(chan struct{}, 1), headStop: make(chan struct{}), headDone: make(chan struct{})}
	go c.run()
	go c.runHead()
	return c
}

// Reserve returns the next sequence number. Every number reserved must be
// committed, or the log stops at it.
func (c *Committer) Reserve() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.next
	c.next++
	return n
}

// Reserved returns the number of sequence numbers reserved so far: the
// log's length once every reserved record is committed.
func (c *Committer) Reserved() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.next
}

// Batches returns the number of batches written and of records in them.
func (c *Committer) Batches() (batches, records int64) {
	return c.batches.Load(), c.records.Load()
}

// Err returns the first error of writing the log, nil while it is
// written.
func (c *Committer) Err() error {
	if p := c.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// prepare encodes and hashes r on the caller's goroutine. A record that
// cannot be encoded (an unknown event: a bug) still fills its place, as
// a refusal.
func prepare(r Record) *pending {
	if !events[r.Event] {
		r = Record{Seq: r.Seq, At: r.At, Event: EventRefused, Reason: "internal", InUse: r.InUse}
	}
	p := &pending{buf: rawBuffers.Get().(*[]byte)}
	r.Raw = r.appendJSON((*p.buf)[:0])
	*p.buf = r.Raw[:0]
	p.rec, p.leaf = r, tlog.RecordHash(r.Raw)
	return p
}

// rawBuffers recycles the bytes of records once they are written, when
// the log keeps no records in memory (a server's, after [Log.Forget]):
// a lease server encodes a record per lease.
var rawBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// recycle gives back the bytes of a batch's records, written and no
// longer referenced (the log forgot them); the pending records are not
// used after.
func (c *Committer) recycle(batch []*pending) {
	if !c.w.log.forgot {
		return
	}
	for _, p := range batch {
		if p.buf != nil && cap(*p.buf) <= 64<<10 {
			p.rec.Raw = nil
			rawBuffers.Put(p.buf)
			p.buf = nil
		}
	}
}

// Commit hands in r (its Seq reserved) and waits until it is on disk.
func (c *Committer) Commit(r Record) error {
	p := prepare(r)
	p.done = make(chan error, 1)
	c.in <- p
	return <-p.done
}

// CommitAsync hands in r (its Seq reserved) without waiting.
func (c *Committer) CommitAsync(r Record) {
	c.in <- prepare(r)
}

// Close writes what was handed in and the head, stops the committer and
// closes the log. Nothing may be committed after it.
func (c *Committer) Close() error {
	close(c.in)
	<-c.done
	close(c.headStop)
	close(c.headWake)
	<-c.headDone
	return c.w.Close()
}

func (c *Committer) run() {
	defer close(c.done)
	waiting := map[int64]*pending{}
	next := c.w.log.Len()
	closed := false
	var batch []*pending // reused from batch to batch
	var recs []Record
	var leaves []tlog.Hash
	take := func(p *pending, ok bool) {
		if !ok {
			closed = true
			return
		}
		waiting[p.rec.Seq] = p
	}
	for {
		if _, ready := waiting[next]; !ready {
			if closed {
				for _, p := range waiting {
					answer(p, errors.New("seats: the log closed before the records before this one were handed in"))
				}
				return
			}
			p, ok := <-c.in
			take(p, ok)
			continue
		}
	drain:
		for !closed {
			select {
			case p, ok := <-c.in:
				take(p, ok)
			default:
				break drain
			}
		}
		clear(batch) // the last batch's records are garbage now
		batch = batch[:0]
		for len(batch) < c.maxSize {
			p, ok := waiting[next]
			if !ok {
				break
			}
			delete(waiting, next)
			batch = append(batch, p)
			next++
		}
		clear(recs)
		recs, leaves = recs[:0], leaves[:0]
		for _, p := range batch {
			recs = append(recs, p.rec)
			leaves = append(leaves, p.leaf)
		}
		sc, err := c.w.appendHashed(recs, leaves)
		clear(recs) // they share the buffers recycled below
		for _, p := range batch {
			answer(p, err)
		}
		c.recycle(batch)
		if err != nil {
			c.failed.CompareAndSwap(nil, &err)
			continue
		}
		c.batches.Add(1)
		c.records.Add(int64(len(batch)))
		if c.OnBatch != nil {
			c.OnBatch(len(batch))
		}
		c.headMu.Lock()
		c.head = sc.Note
		c.headMu.Unlock()
		select {
		case c.headWake <- struct{}{}:
		default:
		}
	}
}

// runHead writes the newest checkpoint to the head file whenever one is
// waiting, until the committer closes.
func (c *Committer) runHead() {
	defer close(c.headDone)
	for range c.headWake {
		c.flushHead()
		t := time.NewTimer(headEvery)
		select {
		case <-t.C:
		case <-c.headStop:
		}
		t.Stop()
	}
	c.flushHead()
}

func (c *Committer) flushHead() {
	c.headMu.Lock()
	head := c.head
	c.head = nil
	c.headMu.Unlock()
	if head == nil {
		return
	}
	if err := WriteHead(c.w.dir, head); err != nil && c.OnHeadError != nil {
		c.OnHeadError(err)
	}
}

func answer(p *pending, err error) {
	if p.done != nil {
		p.done <- err
	}
}

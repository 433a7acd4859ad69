package ledger

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// StoredCheckpoint is a stored signed tree head of a log: the log of KID held
// Size entries whose root is Root. [Ledger.Append] signs one at each
// append (GrantID and Source empty); a mirrored log (a partner's, received
// in royalty reports) has the partner's, stored by
// [Ledger.AppendCheckpoint]: the log of KID here holds exactly the first
// Size entries of that issuer's log.
type StoredCheckpoint struct {
	KID  string
	Size int64
	Root tlog.Hash
	// Note is the signed note as received: the evidence that the issuer
	// committed to this tree.
	Note []byte
	// GrantID is the grant a mirrored checkpoint was reported under; ""
	// for the checkpoints the ledger signs.
	GrantID string
	// Source names where it came from (a report file), for people.
	Source   string
	Recorded time.Time
	// Events are stored with a mirrored checkpoint, in its transaction
	// (report.ingested); each has its Data set.
	Events []outbox.Event
}

// RootMismatchError is returned by [Ledger.AppendCheckpoint] when the
// entries, appended to the log, do not make up the checkpoint's tree.
type RootMismatchError struct {
	KID  string
	Size int64
	Want tlog.Hash // the checkpoint's root
	Got  tlog.Hash // the root of the stored entries and the new ones
}

func (e *RootMismatchError) Error() string {
	return fmt.Sprintf("ledger: the %d entries of log %s have the root %s, not the checkpoint's %s", e.Size, e.KID, e.Got, e.Want)
}

// StartError is returned by [Ledger.AppendCheckpoint] when the log does not
// hold the number of entries the new ones follow (another append ran
// first).
type StartError struct {
	KID   string
	Start int64 // where the new entries start
	Size  int64 // the entries the log holds
}

func (e *StartError) Error() string {
	return fmt.Sprintf("ledger: the new entries of log %s start at %d, but the log holds %d entries", e.KID, e.Start, e.Size)
}

// AppendCheckpoint appends the records of a mirrored log, all or none: the
// log of cp.KID must hold exactly start entries (else a [*StartError]),
// every record must be signed by that key, and the log with the new
// entries must have cp.Size entries and the root cp.Root (else a
// [*RootMismatchError]). The checkpoint is then stored with them. A
// checkpoint that adds no entry is stored when the log already has its
// size and root.
func (l *Ledger) AppendCheckpoint(ctx context.Context, start int64, cp *StoredCheckpoint, recs ...Record) ([]*Entry, error) {
	cp.KID = strings.ToLower(cp.KID)
	if cp.GrantID == "" {
		return nil, errors.New("ledger: a mirrored checkpoint names the grant it was reported under")
	}
	for i, r := range recs {
		if r.OrderRef != "" || r.RenewedFrom != "" {
			return nil, fmt.Errorf("ledger: mirrored record %d carries an order reference or renewal link, which the partner's checkpoint does not commit to", i+1)
		}
	}
	if cp.Size != start+int64(len(recs)) {
		return nil, fmt.Errorf("ledger: a checkpoint of %d entries cannot follow %d entries with %d more", cp.Size, start, len(recs))
	}
	if cp.Recorded.IsZero() {
		cp.Recorded = l.now().UTC().Truncate(time.Second)
	}
	if len(recs) == 0 {
		return nil, l.storeEmptyCheckpoint(ctx, cp)
	}
	before := func(tx *sql.Tx, logs map[string]*logState) error {
		for kid := range logs {
			if kid != cp.KID {
				return fmt.Errorf("ledger: a record is signed by key %s, not by %s, the key of the checkpoint's log", kid, cp.KID)
			}
		}
		if g := logs[cp.KID]; g.size != start {
			return &StartError{KID: cp.KID, Start: start, Size: g.size}
		}
		return nil
	}
	after := func(tx *sql.Tx, logs map[string]*logState) error {
		if g := logs[cp.KID]; g.root != cp.Root {
			return &RootMismatchError{KID: cp.KID, Size: g.size, Want: cp.Root, Got: g.root}
		}
		if err := l.insertCheckpoint(ctx, tx, cp); err != nil {
			return err
		}
		return l.checkpointAudit(ctx, tx, cp)
	}
	return l.appendHooked(ctx, nil, recs, before, after)
}

// storeEmptyCheckpoint stores a checkpoint that adds no entry.
func (l *Ledger) storeEmptyCheckpoint(ctx context.Context, cp *StoredCheckpoint) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return l.wrap("appending to", err)
	}
	defer tx.Rollback()
	g, err := l.lockLog(ctx, tx, cp.KID)
	if err != nil {
		return err
	}
	if g.size != cp.Size {
		return &StartError{KID: cp.KID, Start: cp.Size, Size: g.size}
	}
	if g.root, err = tlog.TreeHash(g.size, g.hr); err != nil {
		return l.wrap("hashing the log of "+g.kid+" in", err)
	}
	if g.root != cp.Root {
		return &RootMismatchError{KID: cp.KID, Size: g.size, Want: cp.Root, Got: g.root}
	}
	if err := l.insertCheckpoint(ctx, tx, cp); err != nil {
		return err
	}
	if err := l.checkpointAudit(ctx, tx, cp); err != nil {
		return err
	}
	return l.wrap("appending to", tx.Commit())
}

// insertCheckpoint stores cp unless a checkpoint of its size is stored.
func (l *Ledger) insertCheckpoint(ctx context.Context, tx *sql.Tx, cp *StoredCheckpoint) error {
	if _, err := l.outbox.Insert(ctx, tx, cp.Events); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, l.q(`INSERT INTO checkpoints (kid, size, root, note, grant_id, source, recorded)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kid, size) DO NOTHING`),
		cp.KID, cp.Size, cp.Root[:], cp.Note, cp.GrantID, cp.Source, cp.Recorded.Unix())
	return l.wrap("storing a checkpoint in", err)
}

// Checkpoints returns the stored checkpoints of the mirrored log of key
// kid, or of every mirrored log when kid is "", by log and size: those
// that came with a partner's entries ([Ledger.AppendCheckpoint]), not
// those the ledger signs at each [Ledger.Append] (see
// [Ledger.SignedCheckpoints]).
func (l *Ledger) Checkpoints(ctx context.Context, kid string) ([]*StoredCheckpoint, error) {
	return l.checkpoints(ctx, kid, "grant_id <> ''")
}

// SignedCheckpoints returns the checkpoints that [Ledger.Append] signed
// and stored for the log of key kid, or for every log when kid is "", by
// log and size.
func (l *Ledger) SignedCheckpoints(ctx context.Context, kid string) ([]*StoredCheckpoint, error) {
	return l.checkpoints(ctx, kid, "grant_id = ''")
}

// checkpoints returns the stored checkpoints that cond selects.
func (l *Ledger) checkpoints(ctx context.Context, kid, cond string) ([]*StoredCheckpoint, error) {
	query := "SELECT kid, size, root, note, grant_id, source, recorded FROM checkpoints WHERE " + cond
	var args []any
	if kid != "" {
		query += " AND kid = ?"
		args = append(args, strings.ToLower(kid))
	}
	rows, err := l.db.QueryContext(ctx, l.q(query+" ORDER BY kid, size"), args...)
	if err != nil {
		return nil, l.wrap("reading", err)
	}
	defer rows.Close()
	var out []*StoredCheckpoint
	for rows.Next() {
		var cp StoredCheckpoint
		var root []byte
		var recorded int64
		if err := rows.Scan(&cp.KID, &cp.Size, &root, &cp.Note, &cp.GrantID, &cp.Source, &recorded); err != nil {
			return nil, l.wrap("reading", err)
		}
		if len(root) != tlog.HashSize {
			return nil, fmt.Errorf("ledger: the stored checkpoint %d of log %s has a root of %d bytes: the checkpoints table was modified", cp.Size, cp.KID, len(root))
		}
		cp.Root, cp.Recorded = tlog.Hash(root), time.Unix(recorded, 0).UTC()
		out = append(out, &cp)
	}
	return out, l.wrap("reading", rows.Err())
}

// LastCheckpoint returns the largest stored checkpoint of the log of key
// kid, or [ErrNotFound].
func (l *Ledger) LastCheckpoint(ctx context.Context, kid string) (*StoredCheckpoint, error) {
	cps, err := l.Checkpoints(ctx, kid)
	if err != nil {
		return nil, err
	}
	if len(cps) == 0 {
		return nil, ErrNotFound
	}
	return cps[len(cps)-1], nil
}

var (
	_ error = (*RootMismatchError)(nil)
	_ error = (*StartError)(nil)
)

// maxNoteSize bounds a stored signed checkpoint note.
const maxNoteSize = 4 << 10

// issuerDataLine starts the extension line of a signed checkpoint that
// commits to the issuer data of its log (see [Ledger.Verify]).
const issuerDataLine = "licet-issuer-data "

// NewCheckpointSigner returns the note signer of the log of an Ed25519
// key (such as keys.PrivateKey.Signer): it signs under the key name
// the origin of the key's log ("licet/log/" and its key id in hex), as
// [Ledger.Append] requires.
func NewCheckpointSigner(s crypto.Signer) (note.Signer, error) {
	if s == nil {
		return nil, errors.New("ledger: no signing key for the checkpoints")
	}
	pub, ok := s.Public().(ed25519.PublicKey)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("ledger: the checkpoint signing key is not an Ed25519 key")
	}
	ns, err := checkpoint.NewSigner(checkpoint.Origin(hex.EncodeToString(token.KeyID(pub))), s)
	if err != nil {
		return nil, fmt.Errorf("ledger: %s", strings.TrimPrefix(err.Error(), "checkpoint: "))
	}
	return ns, nil
}

// nextIssuerData continues the issuer-data hash of a log over entry index:
// what only the issuer knows about it (the order reference and the
// license it renews), which the raw token does not carry. An entry with
// neither leaves the hash as it is, so a log without issuer data (a
// mirrored partner log) keeps the zero hash.
func nextIssuerData(prev tlog.Hash, index int64, order, renewedFrom string) tlog.Hash {
	if order == "" && renewedFrom == "" {
		return prev
	}
	h := sha256.New()
	h.Write([]byte("licet issuer data v1\n"))
	h.Write(prev[:])
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(index))
	h.Write(b[:])
	for _, s := range []string{order, renewedFrom} {
		binary.BigEndian.PutUint32(b[:4], uint32(len(s)))
		h.Write(b[:4])
		h.Write([]byte(s))
	}
	var out tlog.Hash
	h.Sum(out[:0])
	return out
}

// issuerDataOf returns the issuer-data hash a checkpoint commits to: its
// licet-issuer-data extension line, or the zero hash when it has none.
func issuerDataOf(c *checkpoint.Checkpoint) (tlog.Hash, error) {
	var h tlog.Hash
	found := false
	for _, e := range c.Extensions {
		v, ok := strings.CutPrefix(e, issuerDataLine)
		if !ok {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if found || err != nil || len(b) != tlog.HashSize {
			return h, errors.New("its issuer-data line is repeated or not a base64 hash")
		}
		found = true
		copy(h[:], b)
	}
	return h, nil
}

// checkpointOf returns the checkpoint of log g's tree with issuer data h.
func checkpointOf(g *logState, h tlog.Hash) *checkpoint.Checkpoint {
	c := &checkpoint.Checkpoint{Origin: checkpoint.Origin(g.kid), Size: g.size, Root: g.root}
	if h != (tlog.Hash{}) {
		c.Extensions = []string{issuerDataLine + base64.StdEncoding.EncodeToString(h[:])}
	}
	return c
}

// checkSignedHead checks, before an append signs over log g, that the
// newest stored checkpoint of g is signed by the log's key and has the
// size of the log and the root of its stored hashes. It returns the
// checkpoint's issuer-data hash, where the new entries' hash continues.
// An empty log needs no checkpoint; a log with entries and none was
// written by a licet before signed checkpoints, or had them removed.
// Messages name no root: the one to paste would be the attacker's.
func (l *Ledger) checkSignedHead(ctx context.Context, tx *sql.Tx, g *logState) (tlog.Hash, error) {
	refuse := func(format string, args ...any) (tlog.Hash, error) {
		return tlog.Hash{}, fmt.Errorf("ledger: the log of key %s: "+format+"; nothing was appended ('licet ledger verify' says more)", append([]any{g.kid}, args...)...)
	}
	if g.pub == nil {
		return refuse("its public key is unknown: give it with the records")
	}
	var size int64
	var msg []byte
	err := tx.QueryRowContext(ctx, l.q("SELECT size, note FROM checkpoints WHERE kid = ? ORDER BY size DESC LIMIT 1"), g.kid).Scan(&size, &msg)
	switch {
	case errors.Is(err, sql.ErrNoRows) && g.size == 0:
		g.checkedAt = time.Now()
		return tlog.Hash{}, nil
	case errors.Is(err, sql.ErrNoRows):
		return refuse("it holds %d entries and no signed checkpoint: its checkpoints were removed outside licet (or an older licet wrote it)", g.size)
	case err != nil:
		return tlog.Hash{}, l.wrap("reading the checkpoints of "+g.kid+" in", err)
	}
	c, err := checkpoint.Open(msg, checkpoint.Origin(g.kid), g.pub, maxNoteSize)
	if err != nil {
		return refuse("its newest stored checkpoint is not signed by its key (%s): the checkpoints table was modified outside licet", strings.TrimPrefix(err.Error(), "checkpoint: "))
	}
	if c.Size != g.size || size != g.size {
		return refuse("it holds %d entries, its newest signed checkpoint %d: entries were added or removed outside licet", g.size, c.Size)
	}
	root, err := tlog.TreeHash(g.size, g.hr)
	if err != nil {
		return tlog.Hash{}, l.wrap("hashing the log of "+g.kid+" in", err)
	}
	if root != c.Root {
		return refuse("its stored hashes do not give the root of its newest signed checkpoint: the log was rewritten outside licet")
	}
	h, err := issuerDataOf(c)
	if err != nil {
		return refuse("its newest signed checkpoint: %v", err)
	}
	if at, ok := l.issuerDataChecked(g.kid, g.size, h); ok {
		g.checkedAt = at
		return h, nil
	}
	g.checkedAt = time.Now()
	got, err := l.issuerData(ctx, tx, g.kid, g.size)
	if err != nil {
		return tlog.Hash{}, err
	}
	if got != h {
		return refuse("its order references or renewal links are not those its newest signed checkpoint commits to: they were edited outside licet")
	}
	return h, nil
}

// issuerData recomputes the issuer-data hash of the first size entries of
// log kid.
func (l *Ledger) issuerData(ctx context.Context, q querier, kid string, size int64) (tlog.Hash, error) {
	var h tlog.Hash
	rows, err := q.QueryContext(ctx, l.q(`SELECT idx, order_ref, renewed_from FROM entries
		WHERE kid = ? AND idx < ? AND (order_ref IS NOT NULL OR renewed_from <> '') ORDER BY idx`), kid, size)
	if err != nil {
		return h, l.wrap("reading", err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var order sql.NullString
		var renewed string
		if err := rows.Scan(&idx, &order, &renewed); err != nil {
			return h, l.wrap("reading", err)
		}
		h = nextIssuerData(h, idx, order.String, renewed)
	}
	return h, l.wrap("reading", rows.Err())
}

// issuerDataChecked returns when this Ledger last recomputed the issuer
// data of log kid, if it is h at size (appended here since) and that was
// less than [issuerDataRecheck] ago: a batch then reads every entry's
// order reference about once a minute, not at every chunk, and a
// long-running issuer still notices an edit within a minute.
func (l *Ledger) issuerDataChecked(kid string, size int64, h tlog.Hash) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, ok := l.checked[kid]
	return m.at, ok && m.size == size && m.data == h && time.Since(m.at) < issuerDataRecheck
}

// issuerDataRecheck is how long an append trusts the issuer data that the
// same Ledger appended before.
const issuerDataRecheck = time.Minute

// markIssuerData remembers the issuer data of a log as appended, and when
// its entries were last read.
func (l *Ledger) markIssuerData(kid string, size int64, h tlog.Hash, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.checked == nil {
		l.checked = map[string]issuerMark{}
	}
	l.checked[kid] = issuerMark{size, h, at}
}

// issuerMark is a log size and the issuer-data hash of its entries.
type issuerMark struct {
	size int64
	data tlog.Hash
	at   time.Time
}

// signHead signs a checkpoint of log g after the append of entries (those
// of g among them continue its issuer-data hash), checks the signature
// under the log's public key, and stores it.
func (l *Ledger) signHead(ctx context.Context, tx *sql.Tx, s note.Signer, g *logState, entries []*Entry) error {
	h := g.prevData
	for _, e := range entries {
		if e.KID == g.kid {
			h = nextIssuerData(h, e.Index, e.OrderRef, e.RenewedFrom)
		}
	}
	g.data = h
	c := checkpointOf(g, h)
	msg, err := checkpoint.Sign(c, s)
	if err != nil {
		return fmt.Errorf("ledger: signing the checkpoint of log %s: %s", g.kid, strings.TrimPrefix(err.Error(), "checkpoint: "))
	}
	if _, err := checkpoint.Open(msg, c.Origin, g.pub, maxNoteSize); err != nil {
		return fmt.Errorf("ledger: the checkpoint signer of log %s does not sign with the log's key: %s", g.kid, strings.TrimPrefix(err.Error(), "checkpoint: "))
	}
	return l.insertCheckpoint(ctx, tx, &StoredCheckpoint{KID: g.kid, Size: g.size, Root: g.root, Note: msg, Recorded: l.now().UTC().Truncate(time.Second)})
}

// SignedHeads returns, for each log with one, the newest checkpoint that
// [Ledger.Append] signed, by kid: the signed heads to keep outside the
// ledger (see [Ledger.Verify]). Each is checked to be signed by its log's
// key and to cover the log as stored; otherwise it is an error that says
// to run 'licet ledger verify'.
func (l *Ledger) SignedHeads(ctx context.Context) ([]*StoredCheckpoint, error) {
	logs, err := l.Logs(ctx)
	if err != nil {
		return nil, err
	}
	var out []*StoredCheckpoint
	for _, g := range logs {
		cps, err := l.SignedCheckpoints(ctx, g.KID)
		if err != nil {
			return nil, err
		}
		if len(cps) == 0 {
			continue
		}
		cp := cps[len(cps)-1]
		refuse := func(why string) error {
			return fmt.Errorf("ledger: the newest signed checkpoint of log %s %s: 'licet ledger verify' says more", g.KID, why)
		}
		if g.PublicKey == nil || hex.EncodeToString(token.KeyID(g.PublicKey)) != g.KID {
			return nil, refuse("cannot be checked: the log's public key is missing or not its key's")
		}
		c, err := checkpoint.Open(cp.Note, checkpoint.Origin(g.KID), g.PublicKey, maxNoteSize)
		if err != nil {
			return nil, refuse("is not signed by the log's key")
		}
		if c.Size != g.Size || c.Root != g.Root {
			return nil, refuse(fmt.Sprintf("covers %d entries, not the %d of the log's head", c.Size, g.Size))
		}
		out = append(out, cp)
	}
	return out, nil
}

package ledger

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Append records signed objects of one key, all or none, each at the end
// of that key's log, and returns their entries (with Index set). In the
// same transaction it stores a checkpoint of the log signed by s (see
// [NewCheckpointSigner]): the C2SP signed note of origin "licet/log/" and the key id in hex
// over the log's new size and root, with the issuer data of its entries
// (see [Ledger.Verify]). s must sign under the key name of the records'
// log; a nil s is an error. Before appending, the newest signed
// checkpoint must match the stored log: a log modified outside licet is
// never signed over.
//
// A token id already recorded under the same grant, or an order reference
// already in the ledger, is a
// [*DuplicateError] and nothing is appended.
func (l *Ledger) Append(ctx context.Context, s note.Signer, recs ...Record) ([]*Entry, error) {
	if s == nil {
		return nil, errors.New("ledger: no checkpoint signer: every append is signed by the key of its log (see NewCheckpointSigner)")
	}
	return l.appendHooked(ctx, s, recs, nil, nil)
}

// appendHooked is Append with two hooks run inside the transaction: before
// runs once every log is locked, after once every head is updated (with
// each log's new root). An error from either rolls everything back. With
// a signer s, every record must be of its log, and a signed checkpoint of
// the log is stored after the hooks; without one (a mirrored log, whose
// checkpoint the caller stores), records of several keys may be mixed.
func (l *Ledger) appendHooked(ctx context.Context, s note.Signer, recs []Record, before, after func(tx *sql.Tx, logs map[string]*logState) error) ([]*Entry, error) {
	entries := make([]*Entry, len(recs))
	byKID := map[string][]int{}
	seenID, seenOrder := map[string]bool{}, map[string]bool{}
	var signerPub ed25519.PublicKey
	if s != nil {
		if p, ok := s.(interface{ Public() crypto.PublicKey }); ok {
			signerPub, _ = p.Public().(ed25519.PublicKey)
		}
	}
	for i, r := range recs {
		e, err := Describe(r.Raw)
		if err != nil {
			return nil, fmt.Errorf("%w (record %d)", err, i+1)
		}
		if r.PublicKey != nil && !bytes.Equal(token.KeyID(r.PublicKey), hexBytes(e.KID)) {
			return nil, fmt.Errorf("ledger: record %d is signed by key %s, not by the public key given (%x)", i+1, e.KID, token.KeyID(r.PublicKey))
		}
		if s != nil && s.Name() != checkpoint.Origin(e.KID) {
			return nil, fmt.Errorf("ledger: record %d is signed by key %s, but the checkpoint signer signs for %s: append the records of one key with that key's signer", i+1, e.KID, s.Name())
		}
		if signerPub != nil && !bytes.Equal(token.KeyID(signerPub), hexBytes(e.KID)) {
			return nil, fmt.Errorf("ledger: record %d is signed by key %s, but the checkpoint signer's key is %x", i+1, e.KID, token.KeyID(signerPub))
		}
		if r.OrderRef != "" && e.Kind != KindLicense && e.Kind != KindGrant {
			return nil, fmt.Errorf("ledger: record %d is a %s: only licenses and grants carry an order reference", i+1, e.Kind)
		}
		if seenID[e.GrantID+"/"+e.ID] { // ids are unique per grant
			return nil, &DuplicateError{Field: "id", Value: e.ID}
		}
		if r.OrderRef != "" && seenOrder[r.OrderRef] {
			return nil, &DuplicateError{Field: "order reference", Value: r.OrderRef}
		}
		seenID[e.GrantID+"/"+e.ID], seenOrder[r.OrderRef] = true, r.OrderRef != ""
		e.OrderRef, e.RenewedFrom, e.File, e.Written = r.OrderRef, r.RenewedFrom, r.File, r.Written
		e.Recorded = l.now().UTC().Truncate(1e9)
		entries[i] = e
		byKID[e.KID] = append(byKID[e.KID], i)
	}
	kids := make([]string, 0, len(byKID))
	for k := range byKID {
		kids = append(kids, k)
	}
	sort.Strings(kids) // a fixed lock order: no deadlock between appenders

	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, l.wrap("appending to", err)
	}
	defer tx.Rollback()
	if err := l.checkDuplicates(ctx, tx, entries); err != nil {
		return nil, err
	}
	logs := map[string]*logState{}
	for _, kid := range kids {
		g, err := l.lockLog(ctx, tx, kid)
		if err != nil {
			return nil, err
		}
		for _, i := range byKID[kid] {
			if p := recs[i].PublicKey; p != nil {
				if g.pub != nil && !bytes.Equal(p, g.pub) {
					return nil, fmt.Errorf("ledger: the log of key %s holds another public key than the one given", kid)
				}
				g.pub = p
			}
		}
		if s != nil {
			if g.pub == nil {
				g.pub = signerPub
			}
			if g.prevData, err = l.checkSignedHead(ctx, tx, g); err != nil {
				return nil, err
			}
		}
		logs[kid] = g
	}
	if before != nil {
		if err := before(tx, logs); err != nil {
			return nil, err
		}
	}
	if err := l.appendEntries(ctx, tx, logs, entries); err != nil { // in the order given: the recording order
		return nil, err
	}
	if err := l.insertRecordEvents(ctx, tx, recs, entries); err != nil {
		return nil, err
	}
	if err := l.insertRecordAudits(ctx, tx, recs, entries); err != nil {
		return nil, err
	}
	for _, kid := range kids {
		if err := l.updateHead(ctx, tx, logs[kid]); err != nil {
			return nil, err
		}
	}
	if after != nil {
		if err := after(tx, logs); err != nil {
			return nil, err
		}
	}
	if s != nil {
		for _, kid := range kids {
			if err := l.signHead(ctx, tx, s, logs[kid], entries); err != nil {
				return nil, err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, l.uniqueError(l.wrap("appending to", err))
	}
	if s != nil {
		for _, kid := range kids {
			l.markIssuerData(kid, logs[kid].size, logs[kid].data, logs[kid].checkedAt)
		}
	}
	return entries, nil
}

// checkDuplicate refuses an entry whose id is recorded under the same
// grant (ids are unique per grant: a partner cannot take another's ids),
// or whose order reference is recorded.
func (l *Ledger) checkDuplicate(ctx context.Context, tx *sql.Tx, e *Entry) error {
	if old, err := l.getUnder(ctx, tx, e.GrantID, e.ID); err == nil {
		return &DuplicateError{Field: "id", Value: e.ID, Existing: old}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if e.OrderRef == "" {
		return nil
	}
	if old, err := l.getOne(ctx, tx, "order_ref = ?", e.OrderRef); err == nil {
		return &DuplicateError{Field: "order reference", Value: e.OrderRef, Existing: old}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// logState is a log locked by an appending transaction.
type logState struct {
	kid  string
	size int64
	root tlog.Hash // set by updateHead
	pub  ed25519.PublicKey
	hr   *txHashReader
	// prevData is the issuer-data hash of the newest signed checkpoint
	// (the zero hash for none): where the new entries' hash continues.
	prevData tlog.Hash
	data     tlog.Hash // the hash after the append (set by signHead)
	// checkedAt is when the issuer data of the log's entries was last
	// recomputed (set by checkSignedHead).
	checkedAt time.Time
}

// appendEntry appends e at the end of log g, inside tx.
func (l *Ledger) appendEntry(ctx context.Context, tx *sql.Tx, g *logState, e *Entry) error {
	e.Index = g.size
	hashes, err := tlog.StoredHashes(g.size, e.Raw, g.hr)
	if err != nil {
		return l.wrap("hashing the log of "+g.kid+" in", err)
	}
	base := tlog.StoredHashIndex(0, g.size)
	for j, h := range hashes {
		g.hr.fresh[base+int64(j)] = h
		if _, err := tx.ExecContext(ctx, l.q("INSERT INTO hashes (kid, idx, hash) VALUES (?, ?, ?)"), g.kid, base+int64(j), h[:]); err != nil {
			return l.uniqueError(l.wrap("appending to", err))
		}
	}
	if _, err := tx.ExecContext(ctx, l.q(`INSERT INTO entries (kid, idx, id, kind, iss, sub, aud, tier, iat, exp, grant_id, partner,
		order_ref, renewed_from, written, file, recorded, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.KID, e.Index, e.ID, string(e.Kind), e.Issuer, e.Subject,
		joinAud(e.Audience), e.Tier, e.IssuedAt.Unix(), unixOrNil(e.Expiry), e.GrantID, e.Partner,
		nullString(e.OrderRef), e.RenewedFrom, e.Written, e.File, e.Recorded.Unix(), e.Raw); err != nil {
		return l.uniqueError(l.wrap("appending to", err))
	}
	g.size++
	return nil
}

// updateHead stores the new size, root and public key of log g.
func (l *Ledger) updateHead(ctx context.Context, tx *sql.Tx, g *logState) error {
	root, err := tlog.TreeHash(g.size, g.hr)
	if err != nil {
		return l.wrap("hashing the log of "+g.kid+" in", err)
	}
	g.root = root
	_, err = tx.ExecContext(ctx, l.q("UPDATE logs SET size = ?, root = ?, pub = ? WHERE kid = ?"), g.size, root[:], nullBytes(g.pub), g.kid)
	return l.wrap("appending to", err)
}

// lockLog creates the log of kid if needed and locks its head row until
// the transaction ends.
func (l *Ledger) lockLog(ctx context.Context, tx *sql.Tx, kid string) (*logState, error) {
	query := "SELECT size, pub FROM logs WHERE kid = ?"
	if l.postgres {
		query += " FOR UPDATE" // SQLite's immediate transaction already holds the write lock
	}
	g := &logState{kid: kid, hr: &txHashReader{l: l, ctx: ctx, tx: tx, kid: kid, fresh: map[int64]tlog.Hash{}}}
	var pub []byte
	err := tx.QueryRowContext(ctx, l.q(query), kid).Scan(&g.size, &pub)
	if errors.Is(err, sql.ErrNoRows) { // a new log (another appender may be creating it too)
		empty, _ := tlog.TreeHash(0, nil)
		if _, err := tx.ExecContext(ctx, l.q("INSERT INTO logs (kid, size, root) VALUES (?, 0, ?) ON CONFLICT (kid) DO NOTHING"), kid, empty[:]); err != nil {
			return nil, l.wrap("appending to", err)
		}
		err = tx.QueryRowContext(ctx, l.q(query), kid).Scan(&g.size, &pub)
	}
	if err != nil {
		return nil, l.wrap("locking the log of "+kid+" in", err)
	}
	if pub != nil {
		if !bytes.Equal(token.KeyID(pub), hexBytes(kid)) {
			return nil, fmt.Errorf("ledger: the stored public key of log %s has the key id %x: the logs table was modified outside licet; nothing was appended (licet ledger verify)", kid, token.KeyID(pub))
		}
		g.pub = pub
	}
	return g, nil
}

// txHashReader reads stored hashes inside a transaction, seeing the hashes
// appended earlier in the same transaction and keeping those it read.
type txHashReader struct {
	l     *Ledger
	ctx   context.Context
	tx    *sql.Tx
	kid   string
	fresh map[int64]tlog.Hash
}

func (r *txHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for i, x := range indexes {
		if h, ok := r.fresh[x]; ok {
			out[i] = h
		} else {
			missing = append(missing, x)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	got, err := r.l.readHashes(r.ctx, r.tx, r.kid, missing)
	if err != nil {
		return nil, err
	}
	for i, x := range indexes {
		if h, ok := r.fresh[x]; ok {
			out[i] = h
		} else {
			out[i] = got[x]
			r.fresh[x] = got[x] // stored hashes do not change while the log is locked
		}
	}
	return out, nil
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readHashes reads stored hashes of a log by index; every one must exist.
func (l *Ledger) readHashes(ctx context.Context, q querier, kid string, indexes []int64) (map[int64]tlog.Hash, error) {
	args := []any{kid}
	marks := make([]string, len(indexes))
	for i, x := range indexes {
		args = append(args, x)
		marks[i] = "?"
	}
	rows, err := q.QueryContext(ctx, l.q("SELECT idx, hash FROM hashes WHERE kid = ? AND idx IN ("+strings.Join(marks, ", ")+")"), args...)
	if err != nil {
		return nil, l.wrap("reading hashes from", err)
	}
	defer rows.Close()
	got := make(map[int64]tlog.Hash, len(indexes))
	for rows.Next() {
		var x int64
		var b []byte
		if err := rows.Scan(&x, &b); err != nil {
			return nil, l.wrap("reading hashes from", err)
		}
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("ledger: stored hash %d of log %s is %d bytes, not %d: the hashes table was modified", x, kid, len(b), tlog.HashSize)
		}
		got[x] = tlog.Hash(b)
	}
	if err := rows.Err(); err != nil {
		return nil, l.wrap("reading hashes from", err)
	}
	for _, x := range indexes {
		if _, ok := got[x]; !ok {
			return nil, fmt.Errorf("ledger: stored hash %d of log %s is missing: the hashes table was modified", x, kid)
		}
	}
	return got, nil
}

// uniqueError turns a unique-index violation (an appender that raced
// another one past checkDuplicate) into a DuplicateError.
func (l *Ledger) uniqueError(err error) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	switch {
	case strings.Contains(s, "entries_order") || strings.Contains(s, "entries.order_ref"):
		return &DuplicateError{Field: "order reference", Value: "(raced another appender)"}
	case strings.Contains(s, "entries_id") || strings.Contains(s, "entries.id"):
		return &DuplicateError{Field: "id", Value: "(raced another appender)"}
	}
	return err
}

func joinAud(aud []string) string {
	if len(aud) == 0 {
		return ""
	}
	return "\n" + strings.Join(aud, "\n") + "\n"
}

func splitAud(s string) []string {
	s = strings.Trim(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func hexBytes(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return []byte(b)
}

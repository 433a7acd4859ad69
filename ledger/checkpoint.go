package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a signed tree head of a log that another issuer keeps
// (a partner's log, received in a royalty report) and that this ledger
// mirrors: the log of KID here holds exactly the first Size entries of
// that issuer's log, and their root is Root.
type Checkpoint struct {
	KID  string
	Size int64
	Root tlog.Hash
	// Note is the signed note as received: the evidence that the issuer
	// committed to this tree.
	Note []byte
	// GrantID is the grant the checkpoint was reported under.
	GrantID string
	// Source names where it came from (a report file), for people.
	Source   string
	Recorded time.Time
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
func (l *Ledger) AppendCheckpoint(ctx context.Context, start int64, cp *Checkpoint, recs ...Record) ([]*Entry, error) {
	cp.KID = strings.ToLower(cp.KID)
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
		return l.insertCheckpoint(ctx, tx, cp)
	}
	return l.appendHooked(ctx, recs, before, after)
}

// storeEmptyCheckpoint stores a checkpoint that adds no entry.
func (l *Ledger) storeEmptyCheckpoint(ctx context.Context, cp *Checkpoint) error {
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
	return l.wrap("appending to", tx.Commit())
}

// insertCheckpoint stores cp unless a checkpoint of its size is stored.
func (l *Ledger) insertCheckpoint(ctx context.Context, tx *sql.Tx, cp *Checkpoint) error {
	_, err := tx.ExecContext(ctx, l.q(`INSERT INTO checkpoints (kid, size, root, note, grant_id, source, recorded)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kid, size) DO NOTHING`),
		cp.KID, cp.Size, cp.Root[:], cp.Note, cp.GrantID, cp.Source, cp.Recorded.Unix())
	return l.wrap("storing a checkpoint in", err)
}

// Checkpoints returns the stored checkpoints of the log of key kid, or of
// every log when kid is "", by log and size.
func (l *Ledger) Checkpoints(ctx context.Context, kid string) ([]*Checkpoint, error) {
	query := "SELECT kid, size, root, note, grant_id, source, recorded FROM checkpoints"
	var args []any
	if kid != "" {
		query += " WHERE kid = ?"
		args = append(args, strings.ToLower(kid))
	}
	rows, err := l.db.QueryContext(ctx, l.q(query+" ORDER BY kid, size"), args...)
	if err != nil {
		return nil, l.wrap("reading", err)
	}
	defer rows.Close()
	var out []*Checkpoint
	for rows.Next() {
		var cp Checkpoint
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
func (l *Ledger) LastCheckpoint(ctx context.Context, kid string) (*Checkpoint, error) {
	cps, err := l.Checkpoints(ctx, kid)
	if err != nil {
		return nil, err
	}
	if len(cps) == 0 {
		return nil, ErrNotFound
	}
	return cps[len(cps)-1], nil
}

// checkCheckpoints reports stored checkpoints of log g that the recomputed
// hashes mem contradict.
func (l *Ledger) checkCheckpoints(ctx context.Context, g *Log, n int64, mem *memHashes, report func(string, ...any)) error {
	cps, err := l.Checkpoints(ctx, g.KID)
	if err != nil {
		return err
	}
	for _, cp := range cps {
		if cp.Size > n {
			report("the checkpoint of %d entries is beyond the %d entries of the log: entries were removed", cp.Size, n)
			continue
		}
		if int64(len(*mem)) < tlog.StoredHashCount(cp.Size) {
			continue
		}
		root, err := tlog.TreeHash(cp.Size, mem)
		if err != nil {
			return err
		}
		if root != cp.Root {
			report("the checkpoint of %d entries (from %s) has the root %s, the entries give %s: the mirrored entries were rewritten", cp.Size, cp.Source, cp.Root, root)
		}
	}
	return nil
}

var (
	_ error = (*RootMismatchError)(nil)
	_ error = (*StartError)(nil)
)

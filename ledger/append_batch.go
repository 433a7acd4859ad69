package ledger

import (
	"context"
	"database/sql"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// An append of many records (an issuing pool's group, a batch chunk)
// costs a few statements, not a few per record: the duplicate checks are
// one query, the stored hashes and the entries are inserted with
// multi-row INSERTs, and the hashes of the log's right edge are read once
// per transaction (txHashReader keeps what it read). Round trips to
// PostgreSQL inside the log's lock are what bound the issuing rate.

// Rows per multi-row statement: well under the parameter limits of
// SQLite (32766) and PostgreSQL (65535).
const (
	checkChunk = 400
	hashChunk  = 400 // 3 parameters a row
	entryChunk = 200 // 18 parameters a row
)

// checkDuplicates is checkDuplicate for every entry, in one query per
// chunk; the first duplicate in the entries' order is reported.
func (l *Ledger) checkDuplicates(ctx context.Context, tx *sql.Tx, entries []*Entry) error {
	if len(entries) == 1 {
		return l.checkDuplicate(ctx, tx, entries[0])
	}
	byID := map[string]*Entry{}    // grant id + "/" + id
	byOrder := map[string]*Entry{} // order reference
	for start := 0; start < len(entries); start += checkChunk {
		chunk := entries[start:min(len(entries), start+checkChunk)]
		ids := make([]any, 0, len(chunk))
		var orders []any
		for _, e := range chunk {
			ids = append(ids, e.ID)
			if e.OrderRef != "" {
				orders = append(orders, e.OrderRef)
			}
		}
		// One query for both: each entry found is filed under its id and
		// its order; only the chunk's own are looked up below.
		where := "id IN (" + marks(len(ids)) + ")"
		if len(orders) > 0 {
			where += " OR order_ref IN (" + marks(len(orders)) + ")"
		}
		if err := l.collectEntries(ctx, tx, where, append(ids, orders...), func(old *Entry) {
			byID[old.GrantID+"/"+old.ID] = old
			if old.OrderRef != "" {
				byOrder[old.OrderRef] = old
			}
		}); err != nil {
			return err
		}
	}
	for _, e := range entries {
		if old := byID[e.GrantID+"/"+e.ID]; old != nil {
			return &DuplicateError{Field: "id", Value: e.ID, Existing: old}
		}
		if e.OrderRef == "" {
			continue
		}
		if old := byOrder[e.OrderRef]; old != nil {
			return &DuplicateError{Field: "order reference", Value: e.OrderRef, Existing: old}
		}
	}
	return nil
}

// collectEntries calls found with each entry that where (with the
// arguments args) selects.
func (l *Ledger) collectEntries(ctx context.Context, tx *sql.Tx, where string, args []any, found func(*Entry)) error {
	rows, err := tx.QueryContext(ctx, l.q("SELECT "+entryColumns+" FROM entries WHERE "+where), args...)
	if err != nil {
		return l.wrap("reading", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return l.wrap("reading", err)
		}
		found(e)
	}
	return l.wrap("reading", rows.Err())
}

// appendEntries appends entries, in the order given, each at the end of
// its log in logs, inside tx.
func (l *Ledger) appendEntries(ctx context.Context, tx *sql.Tx, logs map[string]*logState, entries []*Entry) error {
	if len(entries) == 1 {
		return l.appendEntry(ctx, tx, logs[entries[0].KID], entries[0])
	}
	var hashArgs []any
	for _, e := range entries {
		g := logs[e.KID]
		e.Index = g.size
		hashes, err := tlog.StoredHashes(g.size, e.Raw, g.hr)
		if err != nil {
			return l.wrap("hashing the log of "+g.kid+" in", err)
		}
		base := tlog.StoredHashIndex(0, g.size)
		for j, h := range hashes {
			g.hr.fresh[base+int64(j)] = h
			hashArgs = append(hashArgs, g.kid, base+int64(j), h[:])
		}
		g.size++
	}
	for start := 0; start < len(hashArgs); start += 3 * hashChunk {
		args := hashArgs[start:min(len(hashArgs), start+3*hashChunk)]
		if _, err := tx.ExecContext(ctx, l.q("INSERT INTO hashes (kid, idx, hash) VALUES "+rowMarks(len(args)/3, 3)), args...); err != nil {
			return l.uniqueError(l.wrap("appending to", err))
		}
	}
	for start := 0; start < len(entries); start += entryChunk {
		chunk := entries[start:min(len(entries), start+entryChunk)]
		args := make([]any, 0, 18*len(chunk))
		for _, e := range chunk {
			args = append(args, e.KID, e.Index, e.ID, string(e.Kind), e.Issuer, e.Subject,
				joinAud(e.Audience), e.Tier, e.IssuedAt.Unix(), unixOrNil(e.Expiry), e.GrantID, e.Partner,
				nullString(e.OrderRef), e.RenewedFrom, e.Written, e.File, e.Recorded.Unix(), e.Raw)
		}
		if _, err := tx.ExecContext(ctx, l.q(`INSERT INTO entries (kid, idx, id, kind, iss, sub, aud, tier, iat, exp, grant_id, partner,
		order_ref, renewed_from, written, file, recorded, raw) VALUES `+rowMarks(len(chunk), 18)), args...); err != nil {
			return l.uniqueError(l.wrap("appending to", err))
		}
	}
	return nil
}

// marks returns n placeholders separated by commas: "?, ?, ?".
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// rowMarks returns n rows of per placeholders: "(?, ?), (?, ?)".
func rowMarks(n, per int) string {
	row := "(" + marks(per) + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

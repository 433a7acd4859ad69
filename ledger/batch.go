package ledger

import "context"

// MarkWrittenMany records that the tokens of entries were handed out,
// each to its File ("" for stdout), in one transaction, and sets their
// Written field. Package issue calls it once per batch chunk.
func (l *Ledger) MarkWrittenMany(ctx context.Context, entries []*Entry) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return l.wrap("updating", err)
	}
	defer tx.Rollback()
	for _, e := range entries {
		if _, err := tx.ExecContext(ctx, l.q("UPDATE entries SET written = ?, file = ? WHERE id = ?"), true, e.File, e.ID); err != nil {
			return l.wrap("updating", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return l.wrap("updating", err)
	}
	for _, e := range entries {
		e.Written = true
	}
	return nil
}

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
	// One statement per file and chunk of ids, not one per entry.
	var files []string
	ids := map[string][]any{}
	for _, e := range entries {
		if _, ok := ids[e.File]; !ok {
			files = append(files, e.File)
		}
		ids[e.File] = append(ids[e.File], e.ID)
	}
	for _, f := range files {
		for all := ids[f]; len(all) > 0; all = all[min(len(all), checkChunk):] {
			chunk := all[:min(len(all), checkChunk)]
			args := append([]any{true, f}, chunk...)
			if _, err := tx.ExecContext(ctx, l.q("UPDATE entries SET written = ?, file = ? WHERE id IN ("+marks(len(chunk))+")"), args...); err != nil {
				return l.wrap("updating", err)
			}
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

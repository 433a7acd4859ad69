package ledger

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// GetUnder returns the entry with the given id (32 hex digits, any case)
// issued under the grant with id grantID; grantID "" is the ledger's own
// namespace: its grants, revocation lists and the licenses issued without
// a grant. Ids are unique per grant only: partners choose the ids of the
// licenses they sign, so a partner's license may carry the id of another
// partner's license, or of one of the vendor's own entries.
func (l *Ledger) GetUnder(ctx context.Context, grantID, id string) (*Entry, error) {
	return l.getUnder(ctx, l.db, strings.ToLower(strings.TrimSpace(grantID)), strings.ToLower(strings.TrimSpace(id)))
}

// getUnder returns the entry with id under grantID, or ErrNotFound.
func (l *Ledger) getUnder(ctx context.Context, q querier, grantID, id string) (*Entry, error) {
	e, err := scanEntry(q.QueryRowContext(ctx, l.q("SELECT "+entryColumns+" FROM entries WHERE id = ? AND grant_id = ?"), id, grantID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, l.wrap("reading", err)
	}
	return e, nil
}

package ledger

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

const entryColumns = `kid, idx, id, kind, iss, sub, aud, tier, iat, exp, grant_id, partner,
	order_ref, renewed_from, written, file, recorded, raw`

type scanner interface{ Scan(dest ...any) error }

func scanEntry(s scanner) (*Entry, error) {
	var e Entry
	var kind, aud string
	var iat, recorded int64
	var exp sql.NullInt64
	var order sql.NullString
	if err := s.Scan(&e.KID, &e.Index, &e.ID, &kind, &e.Issuer, &e.Subject, &aud, &e.Tier, &iat, &exp,
		&e.GrantID, &e.Partner, &order, &e.RenewedFrom, &e.Written, &e.File, &recorded, &e.Raw); err != nil {
		return nil, err
	}
	e.Kind, e.Audience, e.OrderRef = Kind(kind), splitAud(aud), order.String
	e.IssuedAt, e.Recorded = time.Unix(iat, 0).UTC(), time.Unix(recorded, 0).UTC()
	if exp.Valid {
		e.Expiry = time.Unix(exp.Int64, 0).UTC()
	}
	return &e, nil
}

func unixOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// getOne returns the one entry matching a condition with one argument.
func (l *Ledger) getOne(ctx context.Context, q querier, cond string, arg any) (*Entry, error) {
	e, err := scanEntry(q.QueryRowContext(ctx, l.q("SELECT "+entryColumns+" FROM entries WHERE "+cond), arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, l.wrap("reading", err)
	}
	return e, nil
}

// AmbiguousError is returned by [Ledger.Get] when an id prefix matches
// several entries.
type AmbiguousError struct {
	Prefix  string
	Matches []string // ids, at most 10
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("ledger: id prefix %s matches %d entries (%s): give more digits", e.Prefix, len(e.Matches), strings.Join(e.Matches, ", "))
}

// Get returns the entry with the given id (hex, any case), or the only
// entry whose id starts with it when it is at least 6 digits long.
func (l *Ledger) Get(ctx context.Context, id string) (*Entry, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if id == "" || strings.Trim(id, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("ledger: %q is not an id: ids are hex digits (licet ledger list shows them)", id)
	}
	e, err := l.getOne(ctx, l.db, "id = ?", id)
	if !errors.Is(err, ErrNotFound) || len(id) >= 32 || len(id) < 6 {
		return e, err
	}
	rows, err := l.db.QueryContext(ctx, l.q("SELECT "+entryColumns+" FROM entries WHERE id >= ? AND id < ? ORDER BY id LIMIT 10"), id, id+"g")
	if err != nil {
		return nil, l.wrap("reading", err)
	}
	list, err := l.collect(rows)
	switch {
	case err != nil:
		return nil, err
	case len(list) == 0:
		return nil, ErrNotFound
	case len(list) > 1:
		ae := &AmbiguousError{Prefix: id}
		for _, e := range list {
			ae.Matches = append(ae.Matches, e.ID)
		}
		return nil, ae
	}
	return list[0], nil
}

// ByOrder returns the entry recorded with an order reference.
func (l *Ledger) ByOrder(ctx context.Context, ref string) (*Entry, error) {
	return l.getOne(ctx, l.db, "order_ref = ?", ref)
}

// MarkWritten records that the token of entry id was handed out, to file
// ("" for stdout).
func (l *Ledger) MarkWritten(ctx context.Context, id, file string) error {
	res, err := l.db.ExecContext(ctx, l.q("UPDATE entries SET written = ?, file = ? WHERE id = ?"), true, file, id)
	if err != nil {
		return l.wrap("updating", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Filter selects entries for [Ledger.List]. Zero fields select everything.
type Filter struct {
	Kind    Kind
	KID     string
	Subject string
	Tier    string
	Partner string
	Product string // one of the entry's audience
	// ExpiringBy, when set, keeps entries with an expiry at or before it
	// (and not perpetual); ExpiringAfter, when set, those with an expiry
	// after it.
	ExpiringBy    time.Time
	ExpiringAfter time.Time
	Unwritten     bool // only entries whose write did not finish
	// NotRenewed leaves out licenses that a later entry renews.
	NotRenewed bool
	// RenewedFrom keeps the renewals of the license with this id.
	RenewedFrom string
	// OrderByExpiry sorts by expiry (soonest first) instead of in the
	// order of recording.
	OrderByExpiry bool
	Limit         int // 0: no limit
}

// List returns the entries that match f.
func (l *Ledger) List(ctx context.Context, f Filter) ([]*Entry, error) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if f.Kind != "" {
		add("kind = ?", string(f.Kind))
	}
	if f.KID != "" {
		add("kid = ?", strings.ToLower(f.KID))
	}
	if f.Subject != "" {
		add("sub = ?", f.Subject)
	}
	if f.Tier != "" {
		add("tier = ?", f.Tier)
	}
	if f.Partner != "" {
		add("partner = ?", f.Partner)
	}
	if f.Product != "" {
		if l.postgres {
			add("strpos(aud, ?) > 0", joinAud([]string{f.Product}))
		} else {
			add("instr(aud, ?) > 0", joinAud([]string{f.Product}))
		}
	}
	if !f.ExpiringBy.IsZero() {
		add("exp IS NOT NULL AND exp <= ?", f.ExpiringBy.Unix())
	}
	if !f.ExpiringAfter.IsZero() {
		add("exp IS NOT NULL AND exp > ?", f.ExpiringAfter.Unix())
	}
	if f.Unwritten {
		add("written = ?", false)
	}
	if f.RenewedFrom != "" {
		add("renewed_from = ?", f.RenewedFrom)
	}
	if f.NotRenewed {
		conds = append(conds, "id NOT IN (SELECT renewed_from FROM entries WHERE renewed_from <> '')")
	}
	query := "SELECT " + entryColumns + " FROM entries"
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	if f.OrderByExpiry {
		query += " ORDER BY exp, " + l.recordingOrder()
	} else {
		query += " ORDER BY " + l.recordingOrder()
	}
	if f.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := l.db.QueryContext(ctx, l.q(query), args...)
	if err != nil {
		return nil, l.wrap("reading", err)
	}
	return l.collect(rows)
}

func (l *Ledger) collect(rows *sql.Rows) ([]*Entry, error) {
	defer rows.Close()
	var out []*Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, l.wrap("reading", err)
		}
		out = append(out, e)
	}
	return out, l.wrap("reading", rows.Err())
}

// Log is the head of one key's log.
type Log struct {
	KID       string
	Size      int64
	Root      tlog.Hash
	PublicKey ed25519.PublicKey // nil when never given to Append
}

// Origin returns the checkpoint origin of the log.
func (g *Log) Origin() string { return Origin(g.KID) }

// Logs returns the head of every log, by kid.
func (l *Ledger) Logs(ctx context.Context) ([]*Log, error) {
	rows, err := l.db.QueryContext(ctx, "SELECT kid, size, root, pub FROM logs ORDER BY kid")
	if err != nil {
		return nil, l.wrap("reading", err)
	}
	defer rows.Close()
	var out []*Log
	for rows.Next() {
		var g Log
		var root, pub []byte
		if err := rows.Scan(&g.KID, &g.Size, &root, &pub); err != nil {
			return nil, l.wrap("reading", err)
		}
		if len(root) != tlog.HashSize {
			return nil, fmt.Errorf("ledger: the stored root of log %s is %d bytes, not %d: the logs table was modified", g.KID, len(root), tlog.HashSize)
		}
		g.Root, g.PublicKey = tlog.Hash(root), pub
		out = append(out, &g)
	}
	return out, l.wrap("reading", rows.Err())
}

// TreeHead returns the stored size and root hash of the log of key kid;
// an unknown key has the empty tree.
func (l *Ledger) TreeHead(ctx context.Context, kid string) (tlog.Tree, error) {
	var size int64
	var root []byte
	err := l.db.QueryRowContext(ctx, l.q("SELECT size, root FROM logs WHERE kid = ?"), strings.ToLower(kid)).Scan(&size, &root)
	if errors.Is(err, sql.ErrNoRows) {
		h, _ := tlog.TreeHash(0, nil)
		return tlog.Tree{N: 0, Hash: h}, nil
	}
	if err != nil {
		return tlog.Tree{}, l.wrap("reading", err)
	}
	if len(root) != tlog.HashSize {
		return tlog.Tree{}, fmt.Errorf("ledger: the stored root of log %s is %d bytes, not %d: the logs table was modified", kid, len(root), tlog.HashSize)
	}
	return tlog.Tree{N: size, Hash: tlog.Hash(root)}, nil
}

// HashReader returns a reader of the stored hashes of the log of key kid,
// for tlog.TreeHash, tlog.ProveRecord and tlog.ProveTree.
func (l *Ledger) HashReader(ctx context.Context, kid string) tlog.HashReader {
	kid = strings.ToLower(kid)
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		got, err := l.readHashes(ctx, l.db, kid, indexes)
		if err != nil {
			return nil, err
		}
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			out[i] = got[x]
		}
		return out, nil
	})
}

// Entries returns the entries of the log of key kid from index start up
// to, not including, end, in log order.
func (l *Ledger) Entries(ctx context.Context, kid string, start, end int64) ([]*Entry, error) {
	rows, err := l.db.QueryContext(ctx, l.q("SELECT "+entryColumns+" FROM entries WHERE kid = ? AND idx >= ? AND idx < ? ORDER BY idx"),
		strings.ToLower(kid), start, end)
	if err != nil {
		return nil, l.wrap("reading", err)
	}
	return l.collect(rows)
}

package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet/token"
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
	// OrderRef keeps the entry sold under this order reference.
	OrderRef string
	// SubjectContains keeps entries whose subject contains it, in any case.
	SubjectContains string
	// Meta keeps licenses whose metadata holds every one of these
	// key-value pairs.
	Meta map[string]string
	// NotRevoked leaves out licenses and grants that the newest recorded
	// revocation list of their issuer revokes (see [Ledger.States]).
	NotRevoked bool
	// States sets the State of the licenses and grants listed, as of Now
	// (time.Now when zero).
	States bool
	Now    time.Time
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
	if f.OrderRef != "" {
		add("order_ref = ?", f.OrderRef)
	}
	if f.SubjectContains != "" {
		if l.postgres {
			add("strpos(lower(sub), ?) > 0", strings.ToLower(f.SubjectContains))
		} else {
			add("instr(lower(sub), ?) > 0", strings.ToLower(f.SubjectContains))
		}
	}
	if len(f.Meta) > 0 {
		add("kind = ?", string(KindLicense))
	}
	inGo := len(f.Meta) > 0 || f.NotRevoked // filters applied after the query
	query := "SELECT " + entryColumns + " FROM entries"
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	if f.OrderByExpiry {
		query += " ORDER BY exp, " + l.recordingOrder()
	} else {
		query += " ORDER BY " + l.recordingOrder()
	}
	if f.Limit > 0 && !inGo {
		query += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := l.db.QueryContext(ctx, l.q(query), args...)
	if err != nil {
		return nil, l.wrap("reading", err)
	}
	list, err := l.collect(rows)
	if err != nil {
		return nil, err
	}
	if len(f.Meta) > 0 {
		list, err = withMeta(list, f.Meta)
		if err != nil {
			return nil, err
		}
	}
	if f.States || f.NotRevoked {
		now := f.Now
		if now.IsZero() {
			now = time.Now()
		}
		if err := l.States(ctx, now, list...); err != nil {
			return nil, err
		}
	}
	if f.NotRevoked {
		list = slices.DeleteFunc(list, func(e *Entry) bool { return e.State != nil && e.State.Revoked != nil })
	}
	if f.Limit > 0 && len(list) > f.Limit {
		list = list[:f.Limit]
	}
	return list, nil
}

// withMeta keeps the license entries whose metadata holds every pair of
// meta.
func withMeta(list []*Entry, meta map[string]string) ([]*Entry, error) {
	out := list[:0]
	for _, e := range list {
		t, err := e.Terms()
		if err != nil {
			return nil, err
		}
		ok := t != nil
		for k, v := range meta {
			if got, has := t.Meta[k]; !ok || !has || got != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// States sets the [State] of each license and grant among entries as of
// now: written as recorded; bound when a license carries a machine
// binding; renewed from the license it renews and by the licenses
// recorded as renewing it; revoked when the newest revocation list
// recorded for its issuer (the highest seq; of two with one seq, the later
// recorded), or for a license under a grant also the newest of the
// grant's issuer, names its id (a license under a grant: its id under
// that grant, or the grant), or a key that signed it; expired when its
// expiry is not after now.
func (l *Ledger) States(ctx context.Context, now time.Time, entries ...*Entry) error {
	if !slices.ContainsFunc(entries, func(e *Entry) bool { return e.Kind != KindRevocations }) {
		return nil
	}
	ids := make([]any, 0, len(entries))
	for _, e := range entries {
		if e.Kind != KindRevocations {
			ids = append(ids, e.ID)
		}
	}
	renewals, lists, err := l.stateInputs(ctx, ids)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Kind == KindRevocations {
			continue
		}
		st := &State{Written: e.Written, RenewedFrom: e.RenewedFrom, RenewedBy: renewals[e.ID],
			Expired: !e.Expiry.IsZero() && !now.Before(e.Expiry)}
		s, err := subjectOf(e)
		if err != nil {
			return err
		}
		st.Bound = s.bound
		st.Revoked = s.revokedBy(lists)
		e.State = st
	}
	return nil
}

// stateInputs returns what States reads: the ids of the licenses that
// renew each of ids, in recording order, and the newest recorded
// revocation list of each issuer (the highest seq, of two with one seq
// the later recorded). Up to checkChunk ids, both come in one query.
func (l *Ledger) stateInputs(ctx context.Context, ids []any) (map[string][]string, map[string]*recordedList, error) {
	renewals, lists := map[string][]string{}, map[string]*recordedList{}
	order := l.recordingOrder()
	for start := 0; start == 0 || start < len(ids); start += checkChunk {
		chunk := ids[start:min(len(ids), start+checkChunk)]
		var parts []string
		args := append([]any(nil), chunk...)
		if len(chunk) > 0 {
			parts = append(parts, "SELECT id, renewed_from, NULL AS raw, "+order+" AS o FROM entries WHERE renewed_from IN ("+marks(len(chunk))+")")
		}
		if start == 0 {
			parts = append(parts, "SELECT id, '', raw, "+order+" FROM entries WHERE kind = ?")
			args = append(args, string(KindRevocations))
		}
		rows, err := l.db.QueryContext(ctx, l.q(strings.Join(parts, " UNION ALL ")+" ORDER BY o"), args...)
		if err != nil {
			return nil, nil, l.wrap("reading", err)
		}
		if err := l.readStateRows(rows, renewals, lists); err != nil {
			return nil, nil, err
		}
	}
	return renewals, lists, nil
}

// readStateRows reads the rows of stateInputs' query: a renewal (id,
// renewed_from) or a revocation list (id, "", raw).
func (l *Ledger) readStateRows(rows *sql.Rows, renewals map[string][]string, lists map[string]*recordedList) error {
	defer rows.Close()
	for rows.Next() {
		var id, from string
		var raw []byte
		var o int64
		if err := rows.Scan(&id, &from, &raw, &o); err != nil {
			return l.wrap("reading", err)
		}
		if from != "" {
			renewals[from] = append(renewals[from], id)
			continue
		}
		m, err := token.ParseMessage(raw)
		if err != nil {
			return fmt.Errorf("ledger: the revocation list %s: %s", id, strings.TrimPrefix(err.Error(), "token: "))
		}
		r, err := token.DecodeRevocations(m.Payload)
		if err != nil {
			return fmt.Errorf("ledger: the revocation list %s: %s", id, strings.TrimPrefix(err.Error(), "token: "))
		}
		if old := lists[r.Issuer]; old == nil || r.Seq >= old.list.Seq {
			lists[r.Issuer] = &recordedList{id: id, list: r}
		}
	}
	return l.wrap("reading", rows.Err())
}

// recordedList is a revocation list of the ledger.
type recordedList struct {
	id   string
	list *token.Revocations
}

// revocable is what a revocation list can name of a license or grant.
type revocable struct {
	id, kid     []byte
	issuer      string
	grant       []byte // the grant a license was minted under; nil for none
	grantIssuer string
	grantKID    []byte // the key that signed that grant
	bound       bool
}

// subjectOf decodes what a revocation list can name of entry e.
func subjectOf(e *Entry) (*revocable, error) {
	m, err := token.ParseMessage(e.Raw)
	if err != nil {
		return nil, fmt.Errorf("ledger: entry %s: %s", e.ID, strings.TrimPrefix(err.Error(), "token: "))
	}
	s := &revocable{kid: m.Header.KID, issuer: e.Issuer}
	s.id, _ = hex.DecodeString(e.ID)
	if e.Kind != KindLicense {
		return s, nil
	}
	lic, err := token.DecodeLicense(m.Payload)
	if err != nil {
		return nil, fmt.Errorf("ledger: entry %s: %s", e.ID, strings.TrimPrefix(err.Error(), "token: "))
	}
	s.bound = len(lic.Bind) > 0
	if g := m.Header.Grant; g != nil {
		gr, err := token.DecodeGrant(g.Payload)
		if err != nil {
			return nil, fmt.Errorf("ledger: entry %s: its grant: %s", e.ID, strings.TrimPrefix(err.Error(), "token: "))
		}
		s.grant, s.grantIssuer, s.grantKID = gr.ID, gr.Issuer, g.Header.KID
	}
	return s, nil
}

// revokedBy returns the revocation that the newest lists hold for s.
func (s *revocable) revokedBy(lists map[string]*recordedList) *Revocation {
	issuers := []string{s.issuer}
	if s.grant != nil && s.grantIssuer != s.issuer {
		issuers = append(issuers, s.grantIssuer)
	}
	has := func(set [][]byte, b []byte) bool {
		return b != nil && slices.ContainsFunc(set, func(x []byte) bool { return bytes.Equal(x, b) })
	}
	for _, iss := range issuers {
		rl := lists[iss]
		if rl == nil {
			continue
		}
		r := rl.list
		by := ""
		switch {
		case s.grant == nil && has(r.IDs, s.id):
			by = "id"
		case s.grant != nil && slices.ContainsFunc(r.Granted, func(g token.GrantIDs) bool { return bytes.Equal(g.Grant, s.grant) && has(g.IDs, s.id) }):
			by = "grant id"
		case s.grant != nil && has(r.IDs, s.grant):
			by = "grant"
		case has(r.KeyIDs, s.kid) || has(r.KeyIDs, s.grantKID):
			by = "key"
		default:
			continue
		}
		return &Revocation{List: rl.id, Issuer: r.Issuer, Seq: r.Seq, By: by}
	}
	return nil
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

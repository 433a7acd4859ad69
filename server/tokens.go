package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/licet/licet/internal/sqldb"
)

// Role is what an API token may do: read, mint (and read), revoke (and
// read), admin (everything), or partner:GRANT (read the licenses minted
// under that grant, upload that grant's royalty reports).
type Role string

// The roles.
const (
	RoleRead   Role = "read"
	RoleMint   Role = "mint"
	RoleRevoke Role = "revoke"
	RoleAdmin  Role = "admin"
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleRead, RoleMint, RoleRevoke, RoleAdmin:
		return r, nil
	}
	if g, ok := strings.CutPrefix(s, "partner:"); ok {
		if len(g) != 32 || strings.Trim(g, "0123456789abcdef") != "" {
			return "", fmt.Errorf("server: role %q: partner:GRANT takes the grant's id (32 lowercase hex digits)", s)
		}
		return Role(s), nil
	}
	return "", fmt.Errorf("server: unknown role %q: use read, mint, revoke, admin or partner:GRANT_ID", s)
}

// Grant returns the grant id of a partner role, "" for the others.
func (r Role) Grant() string {
	g, _ := strings.CutPrefix(string(r), "partner:")
	if g == string(r) {
		return ""
	}
	return g
}

// permission is what a route needs.
type permission int

const (
	permRead permission = iota
	permMint
	permRevoke
	permAdmin
	// permReport uploads royalty reports: admin, or a partner for its
	// own grant.
	permReport
)

// allows reports whether the role has the permission. A partner reads
// (its grant's licenses only: handlers narrow what it sees).
func (r Role) allows(p permission) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleMint:
		return p == permRead || p == permMint
	case RoleRevoke:
		return p == permRead || p == permRevoke
	case RoleRead:
		return p == permRead
	}
	return r.Grant() != "" && (p == permRead || p == permReport)
}

// APIToken is a token as stored: never the secret, only its hash.
type APIToken struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	Created time.Time `json:"created"`
	// Revoked is the time it was revoked; zero while valid.
	Revoked time.Time `json:"revoked,omitzero"`
}

// Store keeps API tokens (hashed) and the audit log in the ledger's
// database, in tables of their own (serve_tokens, serve_audit), so that
// several servers on one PostgreSQL share them.
type Store struct {
	side *sqldb.SideDB
	db   *sql.DB
	now  func() time.Time

	mu sync.Mutex
	// verified holds the tokens that authenticated within tokenTTL, by
	// id: a request need not read the store each time.
	verified map[string]*verifiedToken
}

// tokenTTL is how long a verified token is trusted without reading the
// store again: a token revoked by another process (licet serve token
// revoke, another replica) stops authenticating within it; one revoked
// through this Store stops at once.
const tokenTTL = time.Second

// verifiedToken is a token that authenticated at a time, with the
// stored hash of its secret form.
type verifiedToken struct {
	hash string
	tok  APIToken
	at   time.Time
}

// storeSchema is the DDL of the token store and the audit table.
const storeSchema = `
CREATE TABLE IF NOT EXISTS serve_tokens (
	id      TEXT PRIMARY KEY,
	name    TEXT NOT NULL,
	role    TEXT NOT NULL,
	hash    TEXT NOT NULL,
	created BIGINT NOT NULL,
	revoked BIGINT
);
` + sqldb.AuditSchema

// OpenStore opens the token store in the ledger at location (a file
// path or a postgres:// URL; open the ledger first, which creates the
// file).
func OpenStore(ctx context.Context, location string) (*Store, error) {
	side, err := sqldb.OpenSideDB(ctx, location, 4, storeSchema)
	if err != nil {
		return nil, fmt.Errorf("server: the token store: %w", err)
	}
	return &Store{side: side, db: side.DB, now: time.Now, verified: map[string]*verifiedToken{}}, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// SetClock sets the store's clock (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

func (s *Store) q(query string) string { return s.side.Q(query) }

// tokenPrefix starts every API token, so that secret scanners find them.
const tokenPrefix = "licet_"

// Create makes a token and returns it with its secret form, shown once:
// "licet_" + id + "_" + secret. The store keeps only its SHA-256.
func (s *Store) Create(ctx context.Context, name string, role Role) (*APIToken, string, error) {
	if strings.TrimSpace(name) == "" || len(name) > 100 {
		return nil, "", errors.New("server: a token's name is 1 to 100 characters")
	}
	if _, err := ParseRole(string(role)); err != nil {
		return nil, "", err
	}
	var idb [8]byte
	var secret [32]byte
	rand.Read(idb[:])
	rand.Read(secret[:])
	t := &APIToken{ID: hex.EncodeToString(idb[:]), Name: name, Role: role, Created: s.now().UTC().Truncate(time.Second)}
	full := tokenPrefix + t.ID + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO serve_tokens (id, name, role, hash, created) VALUES (?, ?, ?, ?, ?)"),
		t.ID, t.Name, string(t.Role), hashToken(full), t.Created.Unix())
	if err != nil {
		return nil, "", fmt.Errorf("server: storing the token: %v", err)
	}
	if err := s.Audit(ctx, "cli", "token.create", "", "", t.ID+" "+string(role)); err != nil {
		return nil, "", err
	}
	return t, full, nil
}

func hashToken(full string) string {
	h := sha256.Sum256([]byte(full))
	return hex.EncodeToString(h[:])
}

// ErrBadToken is a token that is malformed, unknown, wrong or revoked.
var ErrBadToken = errors.New("server: the API token is not valid (unknown, revoked or mistyped)")

// Authenticate returns the token of a secret form, or ErrBadToken. A
// token verified within the last second is not read again (see
// tokenTTL).
func (s *Store) Authenticate(ctx context.Context, full string) (*APIToken, error) {
	rest, ok := strings.CutPrefix(full, tokenPrefix)
	id, _, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(id) != 16 {
		return nil, ErrBadToken
	}
	now := s.now()
	given := hashToken(full)
	s.mu.Lock()
	v := s.verified[id]
	s.mu.Unlock()
	if v != nil && now.Sub(v.at) < tokenTTL && now.Sub(v.at) >= 0 {
		if subtle.ConstantTimeCompare([]byte(v.hash), []byte(given)) != 1 {
			return nil, ErrBadToken
		}
		t := v.tok
		return &t, nil
	}
	var hash string
	var t APIToken
	var created int64
	var revoked sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.q("SELECT name, role, hash, created, revoked FROM serve_tokens WHERE id = ?"), id).
		Scan(&t.Name, &t.Role, &hash, &created, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("server: reading the token store: %v", err)
	}
	if subtle.ConstantTimeCompare([]byte(hash), []byte(given)) != 1 || revoked.Valid {
		return nil, ErrBadToken
	}
	t.ID, t.Created = id, time.Unix(created, 0).UTC()
	s.mu.Lock()
	if len(s.verified) >= 10000 { // many tokens: start again
		clear(s.verified)
	}
	s.verified[id] = &verifiedToken{hash: hash, tok: t, at: now}
	s.mu.Unlock()
	return &t, nil
}

// List returns every token, the oldest first.
func (s *Store) List(ctx context.Context) ([]*APIToken, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, name, role, created, revoked FROM serve_tokens ORDER BY created, id")
	if err != nil {
		return nil, fmt.Errorf("server: reading the token store: %v", err)
	}
	defer rows.Close()
	var out []*APIToken
	for rows.Next() {
		var t APIToken
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &t.Role, &created, &revoked); err != nil {
			return nil, fmt.Errorf("server: reading the token store: %v", err)
		}
		t.Created = time.Unix(created, 0).UTC()
		if revoked.Valid {
			t.Revoked = time.Unix(revoked.Int64, 0).UTC()
		}
		out = append(out, &t)
	}
	return out, rows.Err()
}

// ErrNoToken is an id that names no token.
var ErrNoToken = errors.New("server: no such API token")

// Revoke revokes the token with id: it no longer authenticates.
func (s *Store) Revoke(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, s.q("UPDATE serve_tokens SET revoked = ? WHERE id = ? AND revoked IS NULL"), s.now().Unix(), id)
	if err != nil {
		return fmt.Errorf("server: updating the token store: %v", err)
	}
	s.mu.Lock()
	delete(s.verified, id)
	s.mu.Unlock()
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoToken
	}
	return s.Audit(ctx, "cli", "token.revoke", "", "", id)
}

// AuditRecord is one change recorded with the token that made it.
type AuditRecord struct {
	At      time.Time `json:"at"`
	TokenID string    `json:"token"` // "cli" for the command line
	Action  string    `json:"action"`
	EntryID string    `json:"entry,omitempty"`
	Order   string    `json:"order,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// Audit records a change made by the token with id tokenID that is not
// in the ledger (the command line's token changes); the ledger's changes
// are recorded with their append ([ledger.Audit]).
func (s *Store) Audit(ctx context.Context, tokenID, action, entryID, order, detail string) error {
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO serve_audit (at, token_id, action, entry_id, order_ref, detail) VALUES (?, ?, ?, ?, ?, ?)"),
		s.now().Unix(), tokenID, action, entryID, order, detail)
	if err != nil {
		return fmt.Errorf("server: recording the change in the audit log: %v", err)
	}
	return nil
}

// AuditLog returns the audit records, the oldest first; entryID, when
// set, keeps those of one ledger entry.
func (s *Store) AuditLog(ctx context.Context, entryID string) ([]*AuditRecord, error) {
	query, args := "SELECT at, token_id, action, entry_id, order_ref, detail FROM serve_audit", []any{}
	if entryID != "" {
		query += " WHERE entry_id = ?"
		args = append(args, entryID)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+" ORDER BY at"), args...)
	if err != nil {
		return nil, fmt.Errorf("server: reading the audit log: %v", err)
	}
	defer rows.Close()
	var out []*AuditRecord
	for rows.Next() {
		var r AuditRecord
		var at int64
		if err := rows.Scan(&at, &r.TokenID, &r.Action, &r.EntryID, &r.Order, &r.Detail); err != nil {
			return nil, fmt.Errorf("server: reading the audit log: %v", err)
		}
		r.At = time.Unix(at, 0).UTC()
		out = append(out, &r)
	}
	return out, rows.Err()
}

// Ping checks that the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

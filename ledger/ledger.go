package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/licet/licet/internal/sqldb"
	"github.com/licet/licet/ledger/outbox"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// DefaultFile is the name of the SQLite ledger kept beside a private key.
const DefaultFile = "licet.db"

// ErrNotFound is returned when no entry matches an id or order reference.
var ErrNotFound = errors.New("ledger: no such entry")

// DuplicateError is returned by [Ledger.Append] when a record would repeat
// an entry already in the ledger: the same token (id) or the same order
// reference.
type DuplicateError struct {
	Field    string // "id" or "order reference"
	Value    string
	Existing *Entry // the entry already recorded, when known
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("ledger: %s %s is already recorded", e.Field, e.Value)
}

// Ledger is an open ledger database. It is safe for concurrent use.
type Ledger struct {
	db       *sql.DB
	postgres bool
	location string
	now      func() time.Time
	outbox   *outbox.Outbox

	mu      sync.Mutex
	checked map[string]issuerMark // by kid: issuer data checked or appended here
}

// Open opens the ledger at location, creating it (and its tables) when it
// does not exist: a postgres:// (or postgresql://) URL, or the path of an
// SQLite file, created with mode 0600.
func Open(ctx context.Context, location string) (*Ledger, error) {
	if location == "" {
		return nil, errors.New("ledger: no location given")
	}
	l := &Ledger{location: location, now: time.Now}
	var err error
	if sqldb.IsURL(location) {
		l.postgres = true
		l.db, err = sql.Open("pgx", location)
		if err != nil {
			return nil, l.wrap("opening", err)
		}
		l.db.SetMaxOpenConns(4)
	} else {
		if err := createFile(location); err != nil {
			return nil, err
		}
		l.db, err = sql.Open("sqlite", sqldb.SQLiteDSN(location))
		if err != nil {
			return nil, fmt.Errorf("ledger: %s: %v", location, err)
		}
		// One connection: SQLite serializes writers anyway, and a second
		// connection of this process would only wait on the first.
		l.db.SetMaxOpenConns(1)
	}
	if err := l.migrate(ctx); err != nil {
		l.db.Close()
		return nil, err
	}
	l.outbox = l.newOutbox()
	if err := l.outbox.Migrate(ctx); err != nil {
		l.db.Close()
		return nil, err
	}
	if err := l.migrateAudit(ctx); err != nil {
		l.db.Close()
		return nil, err
	}
	return l, nil
}

// createFile creates an empty SQLite file with mode 0600 when there is
// none, so that the database is never world-readable.
func createFile(path string) error {
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("ledger: %s is a directory, not a ledger file", path)
		}
		return nil
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("ledger: %s: no such directory for the ledger file", dir)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil // another process created it first
	}
	if err != nil {
		return fmt.Errorf("ledger: creating %s: %v", path, err)
	}
	return f.Close()
}

// redactedError is a database error whose message had the location's
// passwords removed (drivers quote the connection string in theirs).
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Location returns where the ledger is, with any password removed.
func (l *Ledger) Location() string { return sqldb.Redact(l.location) }

// recordingOrder is the column that orders entries as they were recorded.
func (l *Ledger) recordingOrder() string {
	if l.postgres {
		return "seq"
	}
	return "rowid"
}

// Close closes the database.
func (l *Ledger) Close() error { return l.db.Close() }

// SetClock sets the clock that stamps the recording time of entries (the
// default is time.Now). For tests.
func (l *Ledger) SetClock(now func() time.Time) { l.now = now }

// q rewrites the ? placeholders of a query for the backend: PostgreSQL
// numbers them. Queries here never hold a ? elsewhere.
func (l *Ledger) q(query string) string { return sqldb.Rebind(l.postgres, query) }

const schemaVersion = "1"

// schema is the DDL, with BLOB and BOOL mapped for each backend.
const schema = `
CREATE TABLE IF NOT EXISTS ledger_meta (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS logs (
	kid  TEXT PRIMARY KEY,
	size BIGINT NOT NULL,
	root BLOB NOT NULL,
	pub  BLOB
);
CREATE TABLE IF NOT EXISTS entries (
	kid          TEXT NOT NULL,
	idx          BIGINT NOT NULL,
	id           TEXT NOT NULL,
	kind         TEXT NOT NULL,
	iss          TEXT NOT NULL,
	sub          TEXT NOT NULL,
	aud          TEXT NOT NULL,
	tier         TEXT NOT NULL,
	iat          BIGINT NOT NULL,
	exp          BIGINT,
	grant_id     TEXT NOT NULL,
	partner      TEXT NOT NULL,
	order_ref    TEXT,
	renewed_from TEXT NOT NULL,
	written      BOOL NOT NULL,
	file         TEXT NOT NULL,
	recorded     BIGINT NOT NULL,
	raw          BLOB NOT NULL,
	seq          BIGSERIAL,
	PRIMARY KEY (kid, idx)
);
DROP INDEX IF EXISTS entries_id;
CREATE UNIQUE INDEX IF NOT EXISTS entries_id_grant ON entries (id, grant_id);
CREATE UNIQUE INDEX IF NOT EXISTS entries_order ON entries (order_ref) WHERE order_ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS entries_exp ON entries (exp);
CREATE INDEX IF NOT EXISTS entries_sub ON entries (sub);
CREATE INDEX IF NOT EXISTS entries_kind ON entries (kind, partner);
CREATE INDEX IF NOT EXISTS entries_renewed ON entries (renewed_from) WHERE renewed_from <> '';
CREATE TABLE IF NOT EXISTS checkpoints (
	kid      TEXT NOT NULL,
	size     BIGINT NOT NULL,
	root     BLOB NOT NULL,
	note     BLOB NOT NULL,
	grant_id TEXT NOT NULL,
	source   TEXT NOT NULL,
	recorded BIGINT NOT NULL,
	PRIMARY KEY (kid, size)
);
CREATE TABLE IF NOT EXISTS hashes (
	kid  TEXT NOT NULL,
	idx  BIGINT NOT NULL,
	hash BLOB NOT NULL,
	PRIMARY KEY (kid, idx)
);
`

// migrate creates the tables once, under a lock so that concurrent first
// openers do not race, and checks the schema version.
func (l *Ledger) migrate(ctx context.Context) error {
	// SQLite answers SQLITE_BUSY at once, without its busy handler, when
	// several processes open a new file together (switching it to WAL
	// needs an exclusive lock): try again for a while.
	deadline := time.Now().Add(30 * time.Second)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		err := l.migrateOnce(ctx)
		if err == nil || l.postgres || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// isBusy reports an SQLite lock conflict.
func isBusy(err error) bool {
	s := err.Error()
	return strings.Contains(s, "SQLITE_BUSY") || strings.Contains(s, "database is locked")
}

func (l *Ledger) migrateOnce(ctx context.Context) error {
	ddl := schema
	if l.postgres {
		ddl = strings.NewReplacer("BLOB", "BYTEA", "BOOL", "BOOLEAN").Replace(ddl)
	} else {
		// SQLite numbers rows itself (rowid): that is the recording order.
		ddl = strings.NewReplacer("BOOL", "INTEGER", "\tseq          BIGSERIAL,\n", "").Replace(ddl)
	}
	tx, err := l.beginSchema(ctx, ddl, "creating the tables")
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v string
	err = tx.QueryRowContext(ctx, l.q("SELECT value FROM ledger_meta WHERE name = ?"), "schema").Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, l.q("INSERT INTO ledger_meta (name, value) VALUES (?, ?)"), "schema", schemaVersion); err != nil {
			return l.wrap("creating the tables", err)
		}
	case err != nil:
		return l.wrap("reading the schema version", err)
	case v != schemaVersion:
		return fmt.Errorf("ledger: %s has schema version %s; this licet reads version %s: use a matching licet", l.Location(), v, schemaVersion)
	}
	return l.wrap("creating the tables", tx.Commit())
}

// beginSchema opens a transaction that holds the schema lock (on
// PostgreSQL an advisory lock of one constant key, which every licet
// ledger in the database shares) and runs the statements of ddl in it,
// their errors named what. The caller commits or rolls back.
func (l *Ledger) beginSchema(ctx context.Context, ddl, what string) (*sql.Tx, error) {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, l.wrap("opening", err)
	}
	if l.postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7405312301)"); err != nil {
			tx.Rollback()
			return nil, l.wrap("locking the schema", err)
		}
	}
	for _, stmt := range strings.Split(ddl, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			tx.Rollback()
			return nil, l.wrap(what, err)
		}
	}
	return tx, nil
}

// wrap names the ledger and the action in a database error; nil stays nil.
func (l *Ledger) wrap(action string, err error) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf("ledger: %s %s: %v", action, l.Location(), err)
	return &redactedError{msg: sqldb.Scrub(l.location, msg), err: err}
}

package outbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet/internal/sqldb"
)

// The types of events (see [Event]).
const (
	EventLicenseIssued   = "license.issued"
	EventLicenseRenewed  = "license.renewed"
	EventLicenseRevoked  = "license.revoked"
	EventLicenseExpiring = "license.expiring"
	EventGrantIssued     = "grant.issued"
	EventGrantRevoked    = "grant.revoked"
	EventReportIngested  = "report.ingested"
)

// EventTypes lists every event type, in the order of the constants.
var EventTypes = []string{EventLicenseIssued, EventLicenseRenewed, EventLicenseRevoked, EventLicenseExpiring,
	EventGrantIssued, EventGrantRevoked, EventReportIngested}

// Event is a change announced to webhook subscribers: an outbox row.
// Events of an append (ledger.Record.Events,
// ledger.StoredCheckpoint.Events) are stored in the transaction of the
// entries they announce, so an event exists if and only if its entries
// do.
type Event struct {
	// ID is the event's id ("msg_" and 32 hex digits), set when stored:
	// the webhook-id that receivers deduplicate by.
	ID   string
	Type string
	// Subject is the ledger id of what the event is about; "" in a
	// ledger.Record is the id of the record's entry.
	Subject string
	// Data is the event's data object (JSON); nil in a ledger.Record is
	// the record's entry described by ledger.Entry.EventData.
	Data json.RawMessage
	// Key, when set, makes the event unique: another event with the same
	// key is not stored (package webhook's license.expiring events).
	Key     string
	Created time.Time // set when stored
	// Payload is the body delivered, set when stored: {"type",
	// "timestamp", "data"} as the Standard Webhooks spec suggests.
	Payload []byte
}

// EntryData is the data of an event about a license or grant.
type EntryData struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"` // license or grant
	Issuer      string     `json:"issuer"`
	Subject     string     `json:"subject,omitempty"`
	Products    []string   `json:"products,omitempty"`
	Tier        string     `json:"tier,omitempty"`
	IssuedAt    *time.Time `json:"issued_at,omitempty"`
	Expiry      *time.Time `json:"expiry,omitempty"`
	GrantID     string     `json:"grant_id,omitempty"`
	Partner     string     `json:"partner,omitempty"`
	Order       string     `json:"order,omitempty"`
	RenewedFrom string     `json:"renewed_from,omitempty"`
	// RevocationList and RevocationSeq name the list that revoked it
	// (license.revoked, grant.revoked).
	RevocationList string `json:"revocation_list,omitempty"`
	RevocationSeq  uint64 `json:"revocation_seq,omitempty"`
	// WindowDays is the window of a license.expiring event: the license
	// expires within that many days.
	WindowDays int `json:"window_days,omitempty"`
}

// Config is the database an outbox is kept in: a ledger's, as
// ledger.Ledger.Outbox hands it over.
type Config struct {
	DB       *sql.DB
	Postgres bool             // PostgreSQL rather than SQLite
	Now      func() time.Time // stamps events and subscriptions
	// Wrap adds to a database error what failed (action, such as
	// "reading events from") and where, without a password.
	Wrap func(action string, err error) error
	// OnSubscription, when set, runs in the transaction that adds or
	// deletes the webhook subscription id: the ledger stores there who made
	// the change.
	OnSubscription func(ctx context.Context, tx *sql.Tx, id string) error
}

// Outbox is the outbox kept in a ledger's database. It is safe for
// concurrent use.
type Outbox struct {
	c Config
}

// New returns the outbox kept in c.DB, whose tables [Outbox.Migrate]
// creates. A nil Now is time.Now; a nil Wrap prefixes "outbox: " and the
// action.
func New(c Config) *Outbox {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Wrap == nil {
		c.Wrap = func(action string, err error) error { return fmt.Errorf("outbox: %s the database: %w", action, err) }
	}
	return &Outbox{c: c}
}

func (o *Outbox) onSubscription(ctx context.Context, tx *sql.Tx, id string) error {
	if o.c.OnSubscription == nil {
		return nil
	}
	return o.c.OnSubscription(ctx, tx, id)
}

// q rewrites a query written with ? placeholders for the database.
func (o *Outbox) q(query string) string { return sqldb.Rebind(o.c.Postgres, query) }

func (o *Outbox) wrap(action string, err error) error {
	if err == nil {
		return nil
	}
	return o.c.Wrap(action, err)
}

// schema is the DDL of the outbox (events), the webhook subscriptions
// and their deliveries, for the backend.
func (o *Outbox) schema() string {
	seq, blob, boolean := "seq     INTEGER PRIMARY KEY", "BLOB", "INTEGER"
	if o.c.Postgres {
		seq, blob, boolean = "seq     BIGSERIAL PRIMARY KEY", "BYTEA", "BOOLEAN"
	}
	return strings.NewReplacer("SEQ", seq, "BLOB", blob, "BOOL", boolean).Replace(`
CREATE TABLE IF NOT EXISTS events (
	SEQ,
	id      TEXT NOT NULL UNIQUE,
	type    TEXT NOT NULL,
	subject TEXT NOT NULL,
	dedupe  TEXT,
	payload BLOB NOT NULL,
	created BIGINT NOT NULL,
	fanned  BOOL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_dedupe ON events (dedupe) WHERE dedupe IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_unfanned ON events (fanned, seq);
CREATE TABLE IF NOT EXISTS webhook_subscriptions (
	id         TEXT PRIMARY KEY,
	url        TEXT NOT NULL,
	events     TEXT NOT NULL,
	secret     TEXT NOT NULL,
	secret_ref TEXT NOT NULL,
	source     TEXT NOT NULL,
	created    BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
	event_id        TEXT NOT NULL,
	subscription_id TEXT NOT NULL,
	state           TEXT NOT NULL,
	attempts        INTEGER NOT NULL,
	next_at         BIGINT NOT NULL,
	lease           TEXT NOT NULL,
	lease_until     BIGINT NOT NULL,
	last_status     INTEGER NOT NULL,
	last_error      TEXT NOT NULL,
	done_at         BIGINT NOT NULL,
	PRIMARY KEY (event_id, subscription_id)
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (state, next_at);
`)
}

// Migrate creates the outbox's tables once, under the schema lock
// (ledger.Open calls it). It does nothing when they exist: on
// PostgreSQL, CREATE INDEX IF NOT EXISTS locks its table even then, and
// would deadlock with a server delivering events meanwhile.
func (o *Outbox) Migrate(ctx context.Context) error {
	exists := "SELECT count(*) FROM sqlite_master WHERE name = 'webhook_deliveries_due'"
	if o.c.Postgres {
		exists = "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'webhook_deliveries_due'"
	}
	var n int
	if err := o.c.DB.QueryRowContext(ctx, exists).Scan(&n); err != nil {
		return o.wrap("reading the tables of", err)
	}
	if n > 0 {
		return nil
	}
	tx, err := o.c.DB.BeginTx(ctx, nil)
	if err != nil {
		return o.wrap("opening", err)
	}
	defer tx.Rollback()
	if o.c.Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7405312301)"); err != nil {
			return o.wrap("locking the schema", err)
		}
	}
	for _, stmt := range strings.Split(o.schema(), ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return o.wrap("creating the tables", err)
		}
	}
	return o.wrap("creating the tables", tx.Commit())
}

// newEventID returns a fresh event id.
func newEventID() string {
	var b [16]byte
	rand.Read(b[:])
	return "msg_" + hex.EncodeToString(b[:])
}

// Insert stores evs in tx, a transaction on the outbox's database (the
// ledger's append), each with its Type known and its Data set, and sets
// their ID, Created and Payload. An event whose Key is stored already is
// left out; it reports how many were stored. The events go in multi-row
// INSERTs (eventChunk rows each): an append of a pool's group stores its
// events in one statement, not one each.
func (o *Outbox) Insert(ctx context.Context, tx *sql.Tx, evs []Event) (int, error) {
	args := make([]any, 0, 7*len(evs))
	for i := range evs {
		ev := &evs[i]
		if !slices.Contains(EventTypes, ev.Type) {
			return 0, fmt.Errorf("outbox: unknown event type %q", ev.Type)
		}
		if ev.Data == nil {
			return 0, fmt.Errorf("outbox: a %s event without data", ev.Type)
		}
		ev.ID, ev.Created = newEventID(), o.c.Now().UTC().Truncate(time.Millisecond)
		payload, err := json.Marshal(struct {
			Type      string          `json:"type"`
			Timestamp time.Time       `json:"timestamp"`
			Data      json.RawMessage `json:"data"`
		}{ev.Type, ev.Created, ev.Data})
		if err != nil {
			return 0, fmt.Errorf("outbox: encoding an event: %v", err)
		}
		ev.Payload = payload
		var key any
		if ev.Key != "" {
			key = ev.Key
		}
		args = append(args, ev.ID, ev.Type, ev.Subject, key, ev.Payload, ev.Created.UnixMilli(), false)
	}
	n := 0
	for start := 0; start < len(args); start += 7 * eventChunk {
		chunk := args[start:min(len(args), start+7*eventChunk)]
		res, err := tx.ExecContext(ctx, o.q(`INSERT INTO events (id, type, subject, dedupe, payload, created, fanned)
			VALUES `+rowMarks(len(chunk)/7, 7)+` ON CONFLICT DO NOTHING`), chunk...)
		if err != nil {
			return n, o.wrap("storing an event in", err)
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, nil
}

// eventChunk is the most events in one INSERT (7 parameters a row).
const eventChunk = 400

// AddEvents stores events that no ledger entry comes with, each with its
// Data set, in one transaction; it returns how many were stored (an
// event whose Key is stored already is not).
func (o *Outbox) AddEvents(ctx context.Context, evs ...Event) (int, error) {
	tx, err := o.c.DB.BeginTx(ctx, nil)
	if err != nil {
		return 0, o.wrap("storing events in", err)
	}
	defer tx.Rollback()
	n, err := o.Insert(ctx, tx, evs)
	if err != nil {
		return 0, err
	}
	return n, o.wrap("storing events in", tx.Commit())
}

// EventFilter selects events for [Outbox.Events].
type EventFilter struct {
	Type    string // "" for every type
	Subject string // "" for every subject
	Limit   int    // 0: no limit
}

// Events returns the stored events that match f, oldest first.
func (o *Outbox) Events(ctx context.Context, f EventFilter) ([]*Event, error) {
	query := "SELECT id, type, subject, dedupe, payload, created FROM events WHERE 1 = 1"
	var args []any
	if f.Type != "" {
		query += " AND type = ?"
		args = append(args, f.Type)
	}
	if f.Subject != "" {
		query += " AND subject = ?"
		args = append(args, f.Subject)
	}
	query += " ORDER BY seq"
	if f.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := o.c.DB.QueryContext(ctx, o.q(query), args...)
	if err != nil {
		return nil, o.wrap("reading events from", err)
	}
	defer rows.Close()
	var out []*Event
	for rows.Next() {
		ev := &Event{}
		var key sql.NullString
		var created int64
		if err := rows.Scan(&ev.ID, &ev.Type, &ev.Subject, &key, &ev.Payload, &created); err != nil {
			return nil, o.wrap("reading events from", err)
		}
		ev.Key, ev.Created = key.String, time.UnixMilli(created).UTC()
		ev.Data = dataOf(ev.Payload)
		out = append(out, ev)
	}
	return out, o.wrap("reading events from", rows.Err())
}

// dataOf returns the data object of a stored payload.
func dataOf(payload []byte) json.RawMessage {
	var p struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return nil
	}
	return p.Data
}

// rowMarks returns n rows of per placeholders: "(?, ?), (?, ?)".
func rowMarks(n, per int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", per), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

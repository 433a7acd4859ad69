package ledger

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
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
// Events of an append ([Record.Events], [StoredCheckpoint.Events]) are stored
// in the transaction of the entries they announce, so an event exists if
// and only if its entries do.
type Event struct {
	// ID is the event's id ("msg_" and 32 hex digits), set when stored:
	// the webhook-id that receivers deduplicate by.
	ID   string
	Type string
	// Subject is the ledger id of what the event is about; "" in a
	// Record is the id of the record's entry.
	Subject string
	// Data is the event's data object (JSON); nil in a Record is the
	// record's entry described by [EventData].
	Data json.RawMessage
	// Key, when set, makes the event unique: another event with the same
	// key is not stored (see [Ledger.ExpiringEvents]).
	Key     string
	Created time.Time // set when stored
	// Payload is the body delivered, set when stored: {"type",
	// "timestamp", "data"} as the Standard Webhooks spec suggests.
	Payload []byte
}

// EntryData is the data of an event about a license or grant.
type EntryData struct {
	ID          string     `json:"id"`
	Kind        Kind       `json:"kind"`
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

// EventData describes an entry for the data of an event.
func EventData(e *Entry) *EntryData {
	d := &EntryData{ID: e.ID, Kind: e.Kind, Issuer: e.Issuer, Subject: e.Subject, Products: e.Audience, Tier: e.Tier,
		GrantID: e.GrantID, Partner: e.Partner, Order: e.OrderRef, RenewedFrom: e.RenewedFrom}
	if !e.IssuedAt.IsZero() {
		t := e.IssuedAt.UTC()
		d.IssuedAt = &t
	}
	if !e.Expiry.IsZero() {
		t := e.Expiry.UTC()
		d.Expiry = &t
	}
	return d
}

// eventsSchema is the DDL of the outbox (events), the webhook
// subscriptions and their deliveries, for the backend.
func (l *Ledger) eventsSchema() string {
	seq, blob, boolean := "seq     INTEGER PRIMARY KEY", "BLOB", "INTEGER"
	if l.postgres {
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

// migrateEvents creates the tables of eventsSchema once, under the
// schema lock. It does nothing when they exist: on PostgreSQL, CREATE
// INDEX IF NOT EXISTS locks its table even then, and would deadlock with
// a server delivering events meanwhile.
func (l *Ledger) migrateEvents(ctx context.Context) error {
	exists := "SELECT count(*) FROM sqlite_master WHERE name = 'webhook_deliveries_due'"
	if l.postgres {
		exists = "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'webhook_deliveries_due'"
	}
	var n int
	if err := l.db.QueryRowContext(ctx, exists).Scan(&n); err != nil {
		return l.wrap("reading the tables of", err)
	}
	if n > 0 {
		return nil
	}
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return l.wrap("opening", err)
	}
	defer tx.Rollback()
	if l.postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7405312301)"); err != nil {
			return l.wrap("locking the schema", err)
		}
	}
	for _, stmt := range strings.Split(l.eventsSchema(), ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return l.wrap("creating the tables", err)
		}
	}
	return l.wrap("creating the tables", tx.Commit())
}

// newEventID returns a fresh event id.
func newEventID() string {
	var b [16]byte
	rand.Read(b[:])
	return "msg_" + hex.EncodeToString(b[:])
}

// execer is a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertEvents stores evs (their ID, Created and Payload set here);
// Subject "" and Data nil are those of e (nil for none). An event whose
// Key is stored already is left out; it reports how many were stored.
// The events go in multi-row INSERTs (eventChunk rows each): an append
// of a pool's group stores its events in one statement, not one each.
func (l *Ledger) insertEvents(ctx context.Context, x execer, e *Entry, evs []Event) (int, error) {
	args := make([]any, 0, 7*len(evs))
	for i := range evs {
		ev := &evs[i]
		if !slices.Contains(EventTypes, ev.Type) {
			return 0, fmt.Errorf("ledger: unknown event type %q", ev.Type)
		}
		if ev.Subject == "" && e != nil {
			ev.Subject = e.ID
		}
		if ev.Data == nil {
			if e == nil {
				return 0, fmt.Errorf("ledger: a %s event without data", ev.Type)
			}
			data, err := json.Marshal(EventData(e))
			if err != nil {
				return 0, fmt.Errorf("ledger: encoding an event: %v", err)
			}
			ev.Data = data
		}
		ev.ID, ev.Created = newEventID(), l.now().UTC().Truncate(time.Millisecond)
		payload, err := json.Marshal(struct {
			Type      string          `json:"type"`
			Timestamp time.Time       `json:"timestamp"`
			Data      json.RawMessage `json:"data"`
		}{ev.Type, ev.Created, ev.Data})
		if err != nil {
			return 0, fmt.Errorf("ledger: encoding an event: %v", err)
		}
		ev.Payload = payload
		args = append(args, ev.ID, ev.Type, ev.Subject, nullString(ev.Key), ev.Payload, ev.Created.UnixMilli(), false)
	}
	n := 0
	for start := 0; start < len(args); start += 7 * eventChunk {
		chunk := args[start:min(len(args), start+7*eventChunk)]
		res, err := x.ExecContext(ctx, l.q(`INSERT INTO events (id, type, subject, dedupe, payload, created, fanned)
			VALUES `+rowMarks(len(chunk)/7, 7)+` ON CONFLICT DO NOTHING`), chunk...)
		if err != nil {
			return n, l.wrap("storing an event in", err)
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, nil
}

// eventChunk is the most events in one INSERT (7 parameters a row).
const eventChunk = 400

// insertRecordEvents stores the events of each record, about its entry,
// all in one insertEvents.
func (l *Ledger) insertRecordEvents(ctx context.Context, tx *sql.Tx, recs []Record, entries []*Entry) error {
	var all []Event
	for i, r := range recs {
		for _, ev := range r.Events {
			if ev.Subject == "" {
				ev.Subject = entries[i].ID
			}
			if ev.Data == nil {
				data, err := json.Marshal(EventData(entries[i]))
				if err != nil {
					return fmt.Errorf("ledger: encoding an event: %v", err)
				}
				ev.Data = data
			}
			all = append(all, ev)
		}
	}
	if _, err := l.insertEvents(ctx, tx, nil, all); err != nil {
		return err
	}
	for _, r := range recs { // the records' events, as stored
		all = all[copy(r.Events, all):]
	}
	return nil
}

// AddEvents stores events that no ledger entry comes with, each with its
// Data set, in one transaction; it returns how many were stored (an
// event whose Key is stored already is not).
func (l *Ledger) AddEvents(ctx context.Context, evs ...Event) (int, error) {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, l.wrap("storing events in", err)
	}
	defer tx.Rollback()
	n, err := l.insertEvents(ctx, tx, nil, evs)
	if err != nil {
		return 0, err
	}
	return n, l.wrap("storing events in", tx.Commit())
}

// ExpiringEvents stores a license.expiring event for every license that
// expires after now and within the longest of windows, neither renewed
// nor revoked: one per license and window, the shortest window its
// expiry falls within, so each (license, window) is announced once however
// often this runs. It returns how many events it stored.
func (l *Ledger) ExpiringEvents(ctx context.Context, now time.Time, windows []time.Duration) (int, error) {
	if len(windows) == 0 {
		return 0, nil
	}
	ws := slices.Sorted(slices.Values(windows))
	if ws[0] <= 0 {
		return 0, errors.New("ledger: an expiry window must be positive")
	}
	list, err := l.List(ctx, Filter{Kind: KindLicense, ExpiringAfter: now, ExpiringBy: now.Add(ws[len(ws)-1]),
		NotRenewed: true, NotRevoked: true})
	if err != nil {
		return 0, err
	}
	var evs []Event
	for _, e := range list {
		left := e.Expiry.Sub(now)
		i := slices.IndexFunc(ws, func(w time.Duration) bool { return left <= w })
		if i < 0 {
			continue
		}
		d := EventData(e)
		d.WindowDays = int((ws[i] + 24*time.Hour - 1) / (24 * time.Hour))
		data, err := json.Marshal(d)
		if err != nil {
			return 0, fmt.Errorf("ledger: encoding an event: %v", err)
		}
		evs = append(evs, Event{Type: EventLicenseExpiring, Subject: e.ID, Data: data,
			Key: fmt.Sprintf("%s/%s/%s/%s", EventLicenseExpiring, e.GrantID, e.ID, ws[i])})
	}
	if len(evs) == 0 {
		return 0, nil
	}
	return l.AddEvents(ctx, evs...)
}

// EventFilter selects events for [Ledger.Events].
type EventFilter struct {
	Type    string // "" for every type
	Subject string // "" for every subject
	Limit   int    // 0: no limit
}

// Events returns the stored events that match f, oldest first.
func (l *Ledger) Events(ctx context.Context, f EventFilter) ([]*Event, error) {
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
	rows, err := l.db.QueryContext(ctx, l.q(query), args...)
	if err != nil {
		return nil, l.wrap("reading events from", err)
	}
	defer rows.Close()
	var out []*Event
	for rows.Next() {
		ev := &Event{}
		var key sql.NullString
		var created int64
		if err := rows.Scan(&ev.ID, &ev.Type, &ev.Subject, &key, &ev.Payload, &created); err != nil {
			return nil, l.wrap("reading events from", err)
		}
		ev.Key, ev.Created = key.String, time.UnixMilli(created).UTC()
		ev.Data = dataOf(ev.Payload)
		out = append(out, ev)
	}
	return out, l.wrap("reading events from", rows.Err())
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

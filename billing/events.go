package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/licet/licet/internal/sqldb"
)

// Events keeps the ids of the Stripe events processed, in the ledger's
// database (table stripe_events), so that several servers on one
// PostgreSQL share them.
type Events struct {
	side *sqldb.SideDB
	db   *sql.DB
	now  func() time.Time
}

const eventsSchema = `CREATE TABLE IF NOT EXISTS stripe_events (
	id      TEXT PRIMARY KEY,
	type    TEXT NOT NULL,
	outcome TEXT NOT NULL,
	license TEXT NOT NULL,
	at      BIGINT NOT NULL
)`

// OpenEvents opens the event table in the ledger at location (a file
// path or a postgres:// URL; open the ledger first, which creates the
// file with mode 0600), creating the table when there is none.
func OpenEvents(ctx context.Context, location string) (*Events, error) {
	side, err := sqldb.OpenSideDB(ctx, location, 2, eventsSchema)
	if err != nil {
		return nil, fmt.Errorf("billing: the event table: %w", err)
	}
	return &Events{side: side, db: side.DB, now: time.Now}, nil
}

// Close closes the table's database connection.
func (s *Events) Close() error { return s.db.Close() }

func (s *Events) q(query string) string { return s.side.Q(query) }

// Processed is a Stripe event recorded as processed.
type Processed struct {
	ID      string
	Type    string
	Outcome string
	License string // the license issued, renewed or revoked; "" for none
	At      time.Time
}

// Get returns the record of event id; ok is false when it was not
// processed.
func (s *Events) Get(ctx context.Context, id string) (p *Processed, ok bool, err error) {
	p = &Processed{ID: id}
	var at int64
	err = s.db.QueryRowContext(ctx, s.q("SELECT type, outcome, license, at FROM stripe_events WHERE id = ?"), id).
		Scan(&p.Type, &p.Outcome, &p.License, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("billing: reading the event table: %v", err)
	}
	p.At = time.Unix(at, 0).UTC()
	return p, true, nil
}

// Record records event p as processed; an event recorded before keeps
// its first record.
func (s *Events) Record(ctx context.Context, p *Processed) error {
	at := p.At
	if at.IsZero() {
		at = s.now()
	}
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO stripe_events (id, type, outcome, license, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"),
		p.ID, p.Type, p.Outcome, p.License, at.Unix())
	if err != nil {
		return fmt.Errorf("billing: recording event %s: %v", p.ID, err)
	}
	return nil
}

// Count returns how many events are recorded.
func (s *Events) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM stripe_events").Scan(&n); err != nil {
		return 0, fmt.Errorf("billing: reading the event table: %v", err)
	}
	return n, nil
}

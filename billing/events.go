package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/licet/licet/ledger"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// Events keeps the ids of the Stripe events processed, in the ledger's
// database (table stripe_events), so that several servers on one
// PostgreSQL share them.
type Events struct {
	db       *sql.DB
	postgres bool
	now      func() time.Time
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
	s := &Events{now: time.Now}
	var err error
	if ledger.IsURL(location) {
		s.postgres = true
		s.db, err = sql.Open("pgx", location)
		if err == nil {
			s.db.SetMaxOpenConns(2)
		}
	} else {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(60000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_txlock", "immediate")
		s.db, err = sql.Open("sqlite", "file:"+(&url.URL{Path: location}).EscapedPath()+"?"+q.Encode())
		if err == nil {
			s.db.SetMaxOpenConns(1)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("billing: opening the event table: %s", redacted(location, err))
	}
	if _, err := s.db.ExecContext(ctx, eventsSchema); err != nil {
		// Two servers starting at once on PostgreSQL may both create it.
		if !s.postgres || !strings.Contains(err.Error(), "duplicate key") {
			s.db.Close()
			return nil, fmt.Errorf("billing: creating the event table: %s", redacted(location, err))
		}
	}
	return s, nil
}

func redacted(location string, err error) string {
	return strings.ReplaceAll(err.Error(), location, ledger.Redact(location))
}

// Close closes the table's database connection.
func (s *Events) Close() error { return s.db.Close() }

func (s *Events) q(query string) string {
	if !s.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

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

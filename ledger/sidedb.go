package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/licet/licet/internal/sqldb"
)

// A SideDB is the ledger's database opened for tables that other packages
// keep beside the ledger's (the issuance server's API tokens and audit
// records, the Stripe events it processed): the same location, the same
// driver settings (SQLite: WAL, a busy timeout, full sync, immediate
// transactions) and the same placeholder style, written once here.
type SideDB struct {
	DB       *sql.DB
	postgres bool
}

// OpenSideDB opens the ledger's database at location (a file path or a
// postgres:// URL; open the ledger first, which creates the file with
// mode 0600) with at most maxConns connections on PostgreSQL (one on
// SQLite), and runs schema: CREATE ... IF NOT EXISTS statements separated
// by semicolons. Two processes creating the same table at once on
// PostgreSQL is not an error. Errors never carry a password of location.
func OpenSideDB(ctx context.Context, location string, maxConns int, schema string) (*SideDB, error) {
	s := &SideDB{postgres: IsURL(location)}
	var err error
	if s.postgres {
		s.DB, err = sql.Open("pgx", location)
		if err == nil {
			s.DB.SetMaxOpenConns(maxConns)
		}
	} else {
		s.DB, err = sql.Open("sqlite", sqliteDSN(location))
		if err == nil {
			s.DB.SetMaxOpenConns(1)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: opening %s: %s", Redact(location), redactMatches(err.Error()))
	}
	for _, stmt := range strings.Split(schema, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := s.DB.ExecContext(ctx, stmt); err != nil {
			if s.postgres && strings.Contains(err.Error(), "duplicate key") {
				continue // a concurrent first start created it
			}
			s.DB.Close()
			return nil, fmt.Errorf("ledger: creating tables in %s: %s", Redact(location), redactMatches(err.Error()))
		}
	}
	return s, nil
}

// Postgres reports whether the database is PostgreSQL.
func (s *SideDB) Postgres() bool { return s.postgres }

// Q rewrites a query written with ? placeholders for the database.
func (s *SideDB) Q(query string) string { return sqldb.Rebind(s.postgres, query) }

// Close closes the database.
func (s *SideDB) Close() error { return s.DB.Close() }

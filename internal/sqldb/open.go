package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// IsURL reports whether location names a PostgreSQL ledger rather than a
// file.
func IsURL(location string) bool {
	return strings.HasPrefix(location, "postgres://") || strings.HasPrefix(location, "postgresql://")
}

// SQLiteDSN turns a path into a modernc.org/sqlite DSN: WAL journal, a
// busy timeout for concurrent processes, immediate write transactions (so
// that two appenders never both read a log head and then fail to upgrade
// their lock), foreign keys on.
func SQLiteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(60000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Redact returns location with any password removed, for messages: the
// password of a URL's user information and the value of its password and
// sslpassword parameters. A URL that does not parse has them removed by
// pattern.
func Redact(location string) string {
	if !IsURL(location) {
		return location
	}
	u, err := url.Parse(location)
	if err != nil {
		return redactMatches(location)
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	changed := false
	for _, name := range secretParams {
		if q.Has(name) {
			q.Set(name, "xxxxx")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// secretParams are the connection parameters that hold secrets.
var secretParams = []string{"password", "sslpassword"}

// redactPattern finds the passwords of a URL, even one that does not
// parse: in the user information (group 1), or a password parameter
// (group 2).
var redactPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`://[^/@:?#]*:([^@/?#]*)@|[?&](?:ssl)?password=([^&#]*)`)
})

// secrets returns the passwords that location holds, as written and
// unescaped, to remove from messages that quote it.
func secrets(location string) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 3 && !slices.Contains(out, s) { // short ones would mangle unrelated text
			out = append(out, s)
		}
	}
	for _, m := range redactPattern().FindAllStringSubmatch(location, -1) {
		raw := m[1] + m[2] // one of them is empty
		add(raw)
		if v, err := url.QueryUnescape(raw); err == nil {
			add(v)
		}
		if v, err := url.PathUnescape(raw); err == nil {
			add(v)
		}
	}
	return out
}

// redactMatches replaces the passwords that redactPattern finds in s.
func redactMatches(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range redactPattern().FindAllStringSubmatchIndex(s, -1) {
		for g := 1; g <= 2; g++ {
			if m[2*g] >= 0 && m[2*g+1] > m[2*g] {
				b.WriteString(s[last:m[2*g]] + "xxxxx")
				last = m[2*g+1]
			}
		}
	}
	return b.String() + s[last:]
}

// Scrub removes the passwords of location from a message: in any URL it
// quotes, and wherever else they appear literally.
func Scrub(location, msg string) string {
	if !IsURL(location) {
		return msg
	}
	msg = redactMatches(msg)
	for _, s := range secrets(location) {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}

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
		s.DB, err = sql.Open("sqlite", SQLiteDSN(location))
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
func (s *SideDB) Q(query string) string { return Rebind(s.postgres, query) }

// Close closes the database.
func (s *SideDB) Close() error { return s.DB.Close() }

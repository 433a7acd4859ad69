// Package pgtest gives tests a fresh PostgreSQL schema on the server named
// by LICET_TEST_POSTGRES (.ci/services starts one). Without the variable
// the test skips, except under CI=true, where it fails: CI cannot skip the
// PostgreSQL tests silently.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// SkipMessage is why a PostgreSQL test skips, and how to run it.
const SkipMessage = "LICET_TEST_POSTGRES is not set: this PostgreSQL test skips; to run it, start a throwaway server with `. .ci/services` (it exports LICET_TEST_POSTGRES) and run go test again"

// Location returns the URL of a new schema (named prefix_ and random hex)
// on the test server, dropped when the test ends.
func Location(t testing.TB, prefix string) string {
	t.Helper()
	base := os.Getenv("LICET_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("LICET_TEST_POSTGRES is not set under CI=true: .ci/services should have started PostgreSQL and exported it")
		}
		t.Skip(SkipMessage)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("LICET_TEST_POSTGRES: %v", err)
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b [6]byte
	rand.Read(b[:])
	schema := prefix + "_" + hex.EncodeToString(b[:])
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("creating a schema on LICET_TEST_POSTGRES: %v", err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", base); err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

package sqldb_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licet/licet/internal/ledgertest"
	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/internal/sqldb"
)

// TestSideDB: a side table lives in the ledger's database with the
// ledger's placeholder style, a second open (another server starting)
// finds the table there, and a password in a URL never reaches an error.
func TestSideDB(t *testing.T) {
	for _, b := range []struct {
		name string
		open func(testing.TB) string
	}{
		{"sqlite", ledgertest.SQLiteLocation},
		{"postgres", func(t testing.TB) string { return pgtest.Location(t, "licet_test") }},
	} {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			location := b.open(t)
			ledgertest.Open(t, location) // creates the file, mode 0600
			const schema = `CREATE TABLE IF NOT EXISTS side_test (k TEXT PRIMARY KEY, v BIGINT NOT NULL);`
			s, err := sqldb.OpenSideDB(ctx, location, 2, schema)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.DB.ExecContext(ctx, s.Q("INSERT INTO side_test (k, v) VALUES (?, ?)"), "a", 7); err != nil {
				t.Fatal(err)
			}
			again, err := sqldb.OpenSideDB(ctx, location, 2, schema)
			if err != nil {
				t.Fatalf("second open: %v", err)
			}
			defer again.Close()
			var v int64
			if err := again.DB.QueryRowContext(ctx, again.Q("SELECT v FROM side_test WHERE k = ?"), "a").Scan(&v); err != nil || v != 7 {
				t.Fatalf("read back %d, %v", v, err)
			}
		})
	}
	if _, err := sqldb.OpenSideDB(context.Background(), "postgres://u:hunter2@127.0.0.1:1/db?password=hunter3&connect_timeout=1", 1, "CREATE TABLE x (a INT)"); err == nil || strings.Contains(err.Error(), "hunter") {
		t.Fatalf("error %v: want an error without the password", err)
	}
	if _, err := sqldb.OpenSideDB(context.Background(), filepath.Join(t.TempDir(), "none", "licet.db"), 1, "CREATE TABLE x (a INT)"); err == nil {
		t.Fatal("a missing directory opened")
	}
}

func TestRedact(t *testing.T) {
	got := sqldb.Redact("postgres://licet:s3cret@db.example/licet?sslmode=disable")
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "licet:xxxxx@db.example") {
		t.Errorf("Redact: %q", got)
	}
	if got := sqldb.Redact("/var/lib/licet.db"); got != "/var/lib/licet.db" {
		t.Errorf("Redact of a path: %q", got)
	}
}

package ledger_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licet/licet/ledger"
)

// TestSideDB: a side table lives in the ledger's database with the
// ledger's placeholder style, a second open (another server starting)
// finds the table there, and a password in a URL never reaches an error.
func TestSideDB(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			location := b.open(t)
			openLedger(t, location)
			const schema = `CREATE TABLE IF NOT EXISTS side_test (k TEXT PRIMARY KEY, v BIGINT NOT NULL);`
			s, err := ledger.OpenSideDB(ctx, location, 2, schema)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.DB.ExecContext(ctx, s.Q("INSERT INTO side_test (k, v) VALUES (?, ?)"), "a", 7); err != nil {
				t.Fatal(err)
			}
			again, err := ledger.OpenSideDB(ctx, location, 2, schema)
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
	if _, err := ledger.OpenSideDB(context.Background(), "postgres://u:hunter2@127.0.0.1:1/db?password=hunter3&connect_timeout=1", 1, "CREATE TABLE x (a INT)"); err == nil || strings.Contains(err.Error(), "hunter") {
		t.Fatalf("error %v: want an error without the password", err)
	}
	if _, err := ledger.OpenSideDB(context.Background(), filepath.Join(t.TempDir(), "none", "licet.db"), 1, "CREATE TABLE x (a INT)"); err == nil {
		t.Fatal("a missing directory opened")
	}
}

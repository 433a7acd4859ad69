// Package ledgertest gives the tests of issue, ledger (and ledger/outbox),
// report, royalty, webhook and internal/sqldb what they all need:
// deterministic keys, fresh ledgers and checkpoint signers. Only _test.go
// files import it.
package ledgertest

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"testing"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"golang.org/x/mod/sumdb/note"
)

// Key returns a deterministic key for issuer, generated from the SHA-256
// of seed followed by issuer (each package passes its own seed, so keys of
// different packages differ).
func Key(t testing.TB, seed, issuer string) *keys.PrivateKey {
	t.Helper()
	sum := sha256.Sum256([]byte(seed + issuer))
	k, err := keys.Generate(&seedReader{b: sum[:]}, issuer)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// seedReader yields its bytes once, then nothing.
type seedReader struct{ b []byte }

func (r *seedReader) Read(p []byte) (int, error) {
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// SQLiteLocation returns the path of a fresh SQLite ledger in t's temporary
// directory.
func SQLiteLocation(t testing.TB) string { return filepath.Join(t.TempDir(), "licet.db") }

// Open opens the ledger at location (a fresh SQLite ledger when location is
// empty), closed when the test ends.
func Open(t testing.TB, location string) *ledger.Ledger {
	t.Helper()
	if location == "" {
		location = SQLiteLocation(t)
	}
	l, err := ledger.Open(context.Background(), location)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// CheckpointSigner returns the signer of the checkpoints of k's log.
func CheckpointSigner(t testing.TB, k *keys.PrivateKey) note.Signer {
	t.Helper()
	s, err := ledger.NewCheckpointSigner(k.Signer())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// IDOf returns the hex token ID of the signed token raw.
func IDOf(t testing.TB, raw []byte) string {
	t.Helper()
	e, err := ledger.Describe(raw)
	if err != nil {
		t.Fatal(err)
	}
	return e.ID
}

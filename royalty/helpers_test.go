package royalty_test

import (
	"testing"

	"github.com/licet/licet/internal/ledgertest"
	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/internal/reporttest"
	"github.com/licet/licet/keys"
)

var t0 = reporttest.T0

// postgresLocation returns a fresh schema on LICET_TEST_POSTGRES; it skips
// without one, except under CI=true.
func postgresLocation(t testing.TB) string { return pgtest.Location(t, "licet_royalty") }

// testKey returns a deterministic key for issuer.
func testKey(t testing.TB, issuer string) *keys.PrivateKey {
	t.Helper()
	return ledgertest.Key(t, keySeed, issuer)
}

var (
	openLedger       = ledgertest.Open // "" opens a fresh SQLite ledger
	idOf             = ledgertest.IDOf
	checkpointSigner = ledgertest.CheckpointSigner
)

// world is a vendor and a partner, each with a ledger, and a grant.
type world = reporttest.World

func newWorld(t *testing.T, vendorLocation string) *world {
	return reporttest.NewWorld(t, keySeed, vendorLocation)
}

// statementWorld: see reporttest.StatementWorld.
func statementWorld(t *testing.T) *world { return reporttest.StatementWorld(t, keySeed) }

var (
	marshal = reporttest.Marshal
	itoa    = reporttest.Itoa
)

// keySeed is what this package passes to ledgertest.Key.
const keySeed = "royalty test "

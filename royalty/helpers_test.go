package royalty_test

import (
	"testing"

	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/internal/reporttest"
)

// The world of these tests (a vendor and a partner, each with a ledger,
// and a grant) is report's: see package reporttest.

// keySeed is what this package passes to ledgertest.Key.
const keySeed = "royalty test "

// postgresLocation returns a fresh schema on LICET_TEST_POSTGRES; it skips
// without one, except under CI=true.
func postgresLocation(t testing.TB) string { return pgtest.Location(t, "licet_royalty") }

type world = reporttest.World

func newWorld(t *testing.T, vendorLocation string) *world {
	return reporttest.NewWorld(t, keySeed, vendorLocation)
}

// statementWorld: see reporttest.StatementWorld.
func statementWorld(t *testing.T) *world { return reporttest.StatementWorld(t, keySeed) }

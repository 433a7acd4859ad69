package royalty_test

import (
	"testing"

	"github.com/licet/licet/internal/reporttest"
)

// The world of these tests (a vendor and a partner, each with a ledger,
// and a grant) is report's: see package reporttest.

// keySeed is what this package passes to ledgertest.Key.
const keySeed = "royalty test "

// backends are where the vendor's ledger of a backend test lives.
func backends() []reporttest.Backend { return reporttest.Backends("licet_royalty") }

type world = reporttest.World

func newWorld(t *testing.T, vendorLocation string) *world {
	return reporttest.NewWorld(t, keySeed, vendorLocation)
}

// statementWorld: see reporttest.StatementWorld.
func statementWorld(t *testing.T) *world { return reporttest.StatementWorld(t, keySeed) }

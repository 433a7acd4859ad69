package report_test

import (
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/internal/ledgertest"
	"github.com/licet/licet/internal/reporttest"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/report"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/tlog"
)

var t0 = reporttest.T0

func kidOf(k *keys.PrivateKey) string { return hex.EncodeToString(token.KeyID(k.Public().Key)) }

// backends are where the vendor's ledger of a backend test lives.
func backends() []reporttest.Backend { return reporttest.Backends("licet_report") }

// forge builds a report by hand: a checkpoint over the leaves log signed
// by signer, with entries from start, and the proof from start.
func forge(t testing.TB, signer *keys.PrivateKey, grantID string, kid string, log [][]byte, start int64, entries [][]byte) *report.Report {
	t.Helper()
	tree := &memTree{}
	for i, r := range log {
		hs, err := tlog.StoredHashes(int64(i), r, tree)
		if err != nil {
			t.Fatal(err)
		}
		tree.hashes = append(tree.hashes, hs...)
	}
	n := int64(len(log))
	root, err := tlog.TreeHash(n, tree)
	if err != nil {
		t.Fatal(err)
	}
	note, err := report.SignCheckpoint(&report.Checkpoint{Origin: checkpoint.Origin(kid), Size: n, Root: root}, signer.Signer())
	if err != nil {
		t.Fatal(err)
	}
	r := &report.Report{Version: report.Version, Vendor: "acme", Partner: "globex", GrantID: grantID, KID: kid,
		Created: t0, Start: start, Checkpoint: string(note), Entries: entries, Proof: []string{}}
	if start > 0 && start < n {
		p, err := tlog.ProveTree(n, start, tree)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range p {
			r.Proof = append(r.Proof, h.String())
		}
	}
	return r
}

type memTree struct{ hashes []tlog.Hash }

func (m *memTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = m.hashes[x]
	}
	return out, nil
}

// edit decodes a report file, changes it and encodes it again.
func edit(t testing.TB, data []byte, f func(r *report.Report)) []byte {
	t.Helper()
	var r report.Report
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	f(&r)
	return marshal(t, &r)
}

// revocations signs a revocation list with k.
func revocations(t testing.TB, k *keys.PrivateKey) []byte {
	t.Helper()
	raw, err := token.SignRevocations(k.Signer(), &token.Revocations{Issuer: k.Issuer, IssuedAt: t0, NextUpdate: t0.Add(720 * time.Hour), Seq: 1})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

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

var marshal = reporttest.Marshal

// keySeed is what this package passes to ledgertest.Key.
const keySeed = "report test "

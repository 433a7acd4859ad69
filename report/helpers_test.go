package report_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/report"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var t0 = time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)

// testKey returns a deterministic key for issuer.
func testKey(t testing.TB, issuer string) *keys.PrivateKey {
	t.Helper()
	seed := sha256.Sum256([]byte("report test " + issuer))
	k, err := keys.Generate(&seedReader{b: seed[:]}, issuer)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type seedReader struct{ b []byte }

func (r *seedReader) Read(p []byte) (int, error) {
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func kidOf(k *keys.PrivateKey) string { return hex.EncodeToString(token.KeyID(k.Public().Key)) }

// openLedger opens a fresh SQLite ledger, or the given location.
func openLedger(t testing.TB, location string) *ledger.Ledger {
	t.Helper()
	if location == "" {
		location = filepath.Join(t.TempDir(), "licet.db")
	}
	l, err := ledger.Open(context.Background(), location)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// postgresLocation returns a fresh schema on LICET_TEST_POSTGRES; it skips
// without one, except under CI=true.
func postgresLocation(t testing.TB) string { return pgtest.Location(t, "licet_report") }

// world is a vendor and a partner, each with a ledger, and a grant.
type world struct {
	t                 *testing.T
	vendor, partner   *keys.PrivateKey
	vled, pled        *ledger.Ledger
	grant             []byte
	grantID           string
	dir               string
	minted            [][]byte // the partner's log, in order
	clock             time.Time
	reportsMade, subs int
}

func newWorld(t *testing.T, vendorLocation string) *world {
	w := &world{t: t, vendor: testKey(t, "acme"), partner: testKey(t, "globex"), dir: t.TempDir(), clock: t0}
	w.vled = openLedger(t, vendorLocation)
	w.pled = openLedger(t, "")
	w.grant = w.signGrant(w.vendor, w.partner, []string{"pro", "team"})
	w.grantID = idOf(t, w.grant)
	return w
}

// signGrant signs and records (in the vendor's ledger) a grant from
// vendor to partner.
func (w *world) signGrant(vendor, partner *keys.PrivateKey, tiers []string) []byte {
	w.t.Helper()
	id, _ := token.NewID(nil)
	g := &token.Grant{
		Issuer: vendor.Issuer, Subject: partner.Issuer, Audience: []string{"acme-db"}, Tiers: tiers,
		Scopes: []string{}, Limits: map[string]uint64{"seats": 100}, IssuedAt: t0.Add(-24 * time.Hour),
		Expiry: t0.Add(730 * 24 * time.Hour), ID: id, Key: partner.Public().Key,
	}
	raw, err := token.SignGrant(vendor.Signer(), g)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.vled.Append(context.Background(), checkpointSigner(w.t, vendor), ledger.Record{Raw: raw, PublicKey: vendor.Public().Key, Written: true}); err != nil {
		w.t.Fatal(err)
	}
	return raw
}

// license signs a license of tier with seats under grant (nil: none),
// a day after the last one.
func (w *world) license(k *keys.PrivateKey, tier string, seats uint64, grant []byte) []byte {
	w.t.Helper()
	w.subs++
	w.clock = w.clock.Add(24 * time.Hour)
	id, _ := token.NewID(nil)
	l := &token.License{Issuer: k.Issuer, Subject: "customer-" + itoa(w.subs), Audience: []string{"acme-db"}, Tier: tier,
		IssuedAt: w.clock, Expiry: w.clock.Add(365 * 24 * time.Hour), ID: id, Limits: map[string]uint64{"seats": seats}}
	raw, err := token.SignLicense(k.Signer(), l, grant)
	if err != nil {
		w.t.Fatal(err)
	}
	return raw
}

// mint has the partner mint n licenses under the grant, recorded in its
// ledger.
func (w *world) mint(n int, tier string) {
	w.t.Helper()
	for range n {
		w.record(w.license(w.partner, tier, 10, w.grant))
	}
}

// checkpointSigner returns the signer of the checkpoints of k's log.
func checkpointSigner(t testing.TB, k *keys.PrivateKey) note.Signer {
	t.Helper()
	s, err := ledger.NewCheckpointSigner(k.Signer())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// record appends raw to the partner's ledger.
func (w *world) record(raw []byte) {
	w.t.Helper()
	if _, err := w.pled.Append(context.Background(), checkpointSigner(w.t, w.partner), ledger.Record{Raw: raw, PublicKey: w.partner.Public().Key, Written: true}); err != nil {
		w.t.Fatal(err)
	}
	w.minted = append(w.minted, raw)
}

// create makes the partner's report since a size, as bytes.
func (w *world) create(since int64) []byte {
	w.t.Helper()
	r, err := report.Create(context.Background(), w.pled, report.CreateOptions{Grant: w.grant, Signer: w.partner.Signer(), Since: since, Now: w.clock})
	if err != nil {
		w.t.Fatal(err)
	}
	return marshal(w.t, r)
}

// ingest ingests data as the report file NAME in the world's directory.
func (w *world) ingest(data []byte, opt report.IngestOptions) (*report.Ingested, error) {
	w.reportsMade++
	if opt.Source == "" {
		opt.Source = filepath.Join(w.dir, "report-"+itoa(w.reportsMade)+".json")
	}
	if opt.Now.IsZero() {
		opt.Now = w.clock
	}
	return report.Ingest(context.Background(), w.vled, data, opt)
}

// head is the vendor's mirror of the partner's log.
func (w *world) head() tlog.Tree {
	w.t.Helper()
	th, err := w.vled.TreeHead(context.Background(), kidOf(w.partner))
	if err != nil {
		w.t.Fatal(err)
	}
	return th
}

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

func marshal(t testing.TB, r *report.Report) []byte {
	t.Helper()
	data, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
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

func idOf(t testing.TB, raw []byte) string {
	t.Helper()
	e, err := ledger.Describe(raw)
	if err != nil {
		t.Fatal(err)
	}
	return e.ID
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
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

// statementWorld: globex reports 3 pro licenses (10 seats, a year) in
// October 2026 and 2 team licenses in November, both reports ingested;
// then the vendor signs a license of its own, and globex one it has not
// reported yet.
func statementWorld(t *testing.T) *world {
	w := newWorld(t, "")
	w.mint(3, "pro")
	if _, err := w.ingest(w.create(0), report.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	w.clock = time.Date(2026, 11, 9, 12, 0, 0, 0, time.UTC)
	w.mint(2, "team")
	if _, err := w.ingest(w.create(3), report.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	// Licenses that are not reported: the vendor's own, and the
	// partner's next one.
	if _, err := w.vled.Append(context.Background(), checkpointSigner(t, w.vendor), ledger.Record{Raw: w.license(w.vendor, "pro", 5, nil)}); err != nil {
		t.Fatal(err)
	}
	w.mint(1, "pro")
	return w
}

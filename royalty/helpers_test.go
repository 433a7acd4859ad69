package royalty_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/licet/licet/internal/ledgertest"
	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/report"
	"github.com/licet/licet/token"
)

var t0 = time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)

// postgresLocation returns a fresh schema on LICET_TEST_POSTGRES; it skips
// without one, except under CI=true.
func postgresLocation(t testing.TB) string { return pgtest.Location(t, "licet_royalty") }

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

// marshal encodes a report file.
func marshal(t testing.TB, r *report.Report) []byte {
	t.Helper()
	data, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// testKey returns a deterministic key for issuer.
func testKey(t testing.TB, issuer string) *keys.PrivateKey {
	t.Helper()
	return ledgertest.Key(t, "royalty test ", issuer)
}

var (
	openLedger       = ledgertest.Open // "" opens a fresh SQLite ledger
	idOf             = ledgertest.IDOf
	checkpointSigner = ledgertest.CheckpointSigner
)

// Package reporttest is the world the tests of report and royalty share: a
// vendor and a partner, each with a ledger, and a grant between them. Only
// _test.go files import it.
package reporttest

import (
	"context"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/licet/licet/internal/ledgertest"
	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/report"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/tlog"
)

// T0 is when the world starts.
var T0 = time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)

// World is a vendor and a partner, each with a ledger, and a grant.
type World struct {
	T                 *testing.T
	Vendor, Partner   *keys.PrivateKey
	VLed, PLed        *ledger.Ledger
	Grant             []byte
	GrantID           string
	Dir               string
	Minted            [][]byte // the partner's log, in order
	Clock             time.Time
	ReportsMade, Subs int
}

// NewWorld returns a world of vendor "acme" (ledger at vendorLocation, ""
// for a fresh SQLite one) and partner "globex" with a grant for pro and
// team. seed is passed to ledgertest.Key.
func NewWorld(t *testing.T, seed, vendorLocation string) *World {
	w := &World{T: t, Vendor: ledgertest.Key(t, seed, "acme"), Partner: ledgertest.Key(t, seed, "globex"), Dir: t.TempDir(), Clock: T0}
	w.VLed = ledgertest.Open(t, vendorLocation)
	w.PLed = ledgertest.Open(t, "")
	w.Grant = w.SignGrant(w.Vendor, w.Partner, []string{"pro", "team"})
	w.GrantID = ledgertest.IDOf(t, w.Grant)
	return w
}

// SignGrant signs and records (in the vendor's ledger) a grant from
// vendor to partner.
func (w *World) SignGrant(vendor, partner *keys.PrivateKey, tiers []string) []byte {
	w.T.Helper()
	id, _ := token.NewID(nil)
	g := &token.Grant{
		Issuer: vendor.Issuer, Subject: partner.Issuer, Audience: []string{"acme-db"}, Tiers: tiers,
		Scopes: []string{}, Limits: map[string]uint64{"seats": 100}, IssuedAt: T0.Add(-24 * time.Hour),
		Expiry: T0.Add(730 * 24 * time.Hour), ID: id, Key: partner.Public().Key,
	}
	raw, err := token.SignGrant(vendor.Signer(), g)
	if err != nil {
		w.T.Fatal(err)
	}
	if _, err := w.VLed.Append(context.Background(), ledgertest.CheckpointSigner(w.T, vendor), ledger.Record{Raw: raw, PublicKey: vendor.Public().Key, Written: true}); err != nil {
		w.T.Fatal(err)
	}
	return raw
}

// License signs a license of tier with seats under grant (nil: none),
// a day after the last one.
func (w *World) License(k *keys.PrivateKey, tier string, seats uint64, grant []byte) []byte {
	w.T.Helper()
	w.Subs++
	w.Clock = w.Clock.Add(24 * time.Hour)
	id, _ := token.NewID(nil)
	l := &token.License{Issuer: k.Issuer, Subject: "customer-" + Itoa(w.Subs), Audience: []string{"acme-db"}, Tier: tier,
		IssuedAt: w.Clock, Expiry: w.Clock.Add(365 * 24 * time.Hour), ID: id, Limits: map[string]uint64{"seats": seats}}
	raw, err := token.SignLicense(k.Signer(), l, grant)
	if err != nil {
		w.T.Fatal(err)
	}
	return raw
}

// Mint has the partner mint n licenses under the grant, recorded in its
// ledger.
func (w *World) Mint(n int, tier string) {
	w.T.Helper()
	for range n {
		w.Record(w.License(w.Partner, tier, 10, w.Grant))
	}
}

// Record appends raw to the partner's ledger.
func (w *World) Record(raw []byte) {
	w.T.Helper()
	if _, err := w.PLed.Append(context.Background(), ledgertest.CheckpointSigner(w.T, w.Partner), ledger.Record{Raw: raw, PublicKey: w.Partner.Public().Key, Written: true}); err != nil {
		w.T.Fatal(err)
	}
	w.Minted = append(w.Minted, raw)
}

// Create makes the partner's report since a size, as bytes.
func (w *World) Create(since int64) []byte {
	w.T.Helper()
	r, err := report.Create(context.Background(), w.PLed, report.CreateOptions{Grant: w.Grant, Signer: w.Partner.Signer(), Since: since, Now: w.Clock})
	if err != nil {
		w.T.Fatal(err)
	}
	return Marshal(w.T, r)
}

// Ingest ingests data into the vendor's ledger, by default as a new report
// file in the world's directory at the world's clock.
func (w *World) Ingest(data []byte, opt report.IngestOptions) (*report.Ingested, error) {
	w.ReportsMade++
	if opt.Source == "" {
		opt.Source = filepath.Join(w.Dir, "report-"+Itoa(w.ReportsMade)+".json")
	}
	if opt.Now.IsZero() {
		opt.Now = w.Clock
	}
	return report.Ingest(context.Background(), w.VLed, data, opt)
}

// StatementWorld: globex reports 3 pro licenses (10 seats, a year) in
// October 2026 and 2 team licenses in November, both reports ingested;
// then the vendor signs a license of its own, and globex one it has not
// reported yet.
func StatementWorld(t *testing.T, seed string) *World {
	w := NewWorld(t, seed, "")
	w.Mint(3, "pro")
	if _, err := w.Ingest(w.Create(0), report.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	w.Clock = time.Date(2026, 11, 9, 12, 0, 0, 0, time.UTC)
	w.Mint(2, "team")
	if _, err := w.Ingest(w.Create(3), report.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	// Licenses that are not reported: the vendor's own, and the
	// partner's next one.
	if _, err := w.VLed.Append(context.Background(), ledgertest.CheckpointSigner(t, w.Vendor), ledger.Record{Raw: w.License(w.Vendor, "pro", 5, nil)}); err != nil {
		t.Fatal(err)
	}
	w.Mint(1, "pro")
	return w
}

// Marshal encodes a report file.
func Marshal(t testing.TB, r *report.Report) []byte {
	t.Helper()
	data, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Itoa formats i in decimal.
func Itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return Itoa(i/10) + digits[i%10:i%10+1]
}

// PartnerLicense signs a license of the partner under the grant, issued
// at iat, expiring after days, with grace, recorded in its ledger.
func (w *World) PartnerLicense(sub string, iat time.Time, days int, grace time.Duration, seats uint64) []byte {
	w.T.Helper()
	id, _ := token.NewID(nil)
	l := &token.License{Issuer: w.Partner.Issuer, Subject: sub, Audience: []string{"acme-db"}, Tier: "pro",
		IssuedAt: iat, Expiry: iat.Add(time.Duration(days) * 24 * time.Hour), Grace: grace, ID: id, Limits: map[string]uint64{"seats": seats}}
	raw, err := token.SignLicense(w.Partner.Signer(), l, w.Grant)
	if err != nil {
		w.T.Fatal(err)
	}
	w.Record(raw)
	return raw
}

// Head is the vendor's mirror of the partner's log.
func (w *World) Head() tlog.Tree {
	w.T.Helper()
	th, err := w.VLed.TreeHead(context.Background(), hex.EncodeToString(token.KeyID(w.Partner.Public().Key)))
	if err != nil {
		w.T.Fatal(err)
	}
	return th
}

// LateWorld: the partner reports an "on-time" license issued October 6,
// ingested October 8; then, ingested November 20, a "backdated" license
// issued October 7 (late: before the previous report) and a "november"
// one. It fails t unless Ingest finds nothing late in the first report and
// exactly the backdated license late in the second.
func LateWorld(t *testing.T, seed, vendorLocation string) *World {
	t.Helper()
	w := NewWorld(t, seed, vendorLocation)
	oct := func(d int) time.Time { return time.Date(2026, 10, d, 9, 0, 0, 0, time.UTC) }
	w.PartnerLicense("on-time", oct(6), 365, 0, 1)
	w.Clock = oct(8)
	in, err := w.Ingest(w.Create(0), report.IngestOptions{})
	if err != nil || len(in.Late) != 0 || !in.Previous.IsZero() {
		t.Fatalf("the first report: %+v, %v (nothing is late in a first report)", in, err)
	}
	backdated := w.PartnerLicense("backdated", oct(7), 365, 0, 1)
	w.PartnerLicense("november", time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 365, 0, 1)
	w.Clock = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	in, err = w.Ingest(w.Create(1), report.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Late) != 1 || in.Late[0].ID != ledgertest.IDOf(t, backdated) || !in.Previous.Equal(oct(8)) || len(in.Entries) != 2 {
		t.Fatalf("the second report: late %+v, previous %s", in.Late, in.Previous)
	}
	return w
}

// Backend names where the vendor's ledger of a world lives.
type Backend struct {
	Name     string
	Location func(t testing.TB) string // for NewWorld
}

// Backends returns SQLite and, when LICET_TEST_POSTGRES names a server,
// PostgreSQL in a schema named after pgPrefix (see pgtest.Location: the
// PostgreSQL cases skip without the server, except under CI=true, where
// they fail).
func Backends(pgPrefix string) []Backend {
	return []Backend{
		{"sqlite", func(testing.TB) string { return "" }},
		{"postgres", func(t testing.TB) string { return pgtest.Location(t, pgPrefix) }},
	}
}

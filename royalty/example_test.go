package royalty_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/report"
	"github.com/licet/licet/royalty"
	"github.com/licet/licet/token"
)

// A vendor grants a partner tier pro; the partner mints two licenses and
// reports them; the vendor ingests the report and prices the quarter.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "royalty-example")
	check(err)
	defer os.RemoveAll(dir)
	key := func(name string) ed25519.PrivateKey {
		seed := sha256.Sum256([]byte("example " + name))
		return ed25519.NewKeyFromSeed(seed[:])
	}
	vendor, partner := key("acme"), key("globex")
	vled, err := ledger.Open(ctx, filepath.Join(dir, "acme.db"))
	check(err)
	defer vled.Close()
	pled, err := ledger.Open(ctx, filepath.Join(dir, "globex.db"))
	check(err)
	defer pled.Close()
	oct := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)

	// The vendor signs the grant and records it.
	grant, err := token.SignGrant(vendor, &token.Grant{Issuer: "acme", Subject: "globex", Audience: []string{"acme-db"},
		Tiers: []string{"pro"}, Scopes: []string{}, Limits: map[string]uint64{"seats": 100},
		IssuedAt: oct, Expiry: oct.AddDate(2, 0, 0), ID: bytes.Repeat([]byte{1}, token.IDSize), Key: partner.Public().(ed25519.PublicKey)})
	check(err)
	vsign, err := ledger.NewCheckpointSigner(vendor)
	check(err)
	_, err = vled.Append(ctx, vsign, ledger.Record{Raw: grant, PublicKey: vendor.Public().(ed25519.PublicKey), Written: true})
	check(err)

	// The partner mints a license of 3 seats and one of 2, for a year.
	psign, err := ledger.NewCheckpointSigner(partner)
	check(err)
	for i, seats := range []uint64{3, 2} {
		iat := oct.AddDate(0, 0, 10*(i+1))
		raw, err := token.SignLicense(partner, &token.License{Issuer: "globex", Subject: "customer", Audience: []string{"acme-db"},
			Tier: "pro", IssuedAt: iat, Expiry: iat.AddDate(1, 0, 0), ID: bytes.Repeat([]byte{byte(2 + i)}, token.IDSize),
			Limits: map[string]uint64{"seats": seats}}, grant)
		check(err)
		_, err = pled.Append(ctx, psign, ledger.Record{Raw: raw, PublicKey: partner.Public().(ed25519.PublicKey), Written: true})
		check(err)
	}

	// It reports them; the vendor ingests the report.
	now := oct.AddDate(0, 1, 0)
	r, err := report.Create(ctx, pled, report.CreateOptions{Grant: grant, Signer: partner, Now: now})
	check(err)
	data, err := r.Marshal()
	check(err)
	_, err = report.Ingest(ctx, vled, data, report.IngestOptions{Source: filepath.Join(dir, "globex-1.report"), Now: now})
	check(err)

	// The vendor prices the quarter: 5 seat-years at 120.00.
	pol, err := policy.Parse([]byte("[royalties]\ncurrency = \"EUR\"\n[royalties.prices.pro]\nper_seat_year = \"120\"\n"), "licet.toml")
	check(err)
	period, err := royalty.ParsePeriod("2026-Q4", now)
	check(err)
	s, err := royalty.Build(ctx, vled, royalty.Options{Period: period, Royalties: pol.Royalties})
	check(err)
	check(s.WriteText(os.Stdout))
	// Output:
	// Royalty statement 2026-Q4 (2026-10-01 to 2026-12-31), UTC
	// Vendor: acme
	//
	// PARTNER  TIER  LICENSES  SEATS  SEAT-YEARS  GRACE  PRICE                 ROYALTY
	// globex   pro   2         5      5.00        0.00   120.00 per seat-year  600.00
	// TOTAL          2                                                         600.00 EUR
	//
	// MONTH    LICENSES  ROYALTY
	// 2026-10  2         600.00
	// 2026-11  0         0.00
	// 2026-12  0         0.00
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}

// Periods are quarters, months, years, days, or relative to now.
func ExampleParsePeriod() {
	now := time.Date(2026, 2, 14, 10, 0, 0, 0, time.UTC)
	for _, s := range []string{"2026-Q4", "2026-11", "last-quarter", "2026-10-15..2026-11-14"} {
		p, err := royalty.ParsePeriod(s, now)
		check(err)
		fmt.Println(p)
	}
	// Output:
	// 2026-Q4 (2026-10-01 to 2026-12-31)
	// 2026-11 (2026-11-01 to 2026-11-30)
	// 2025-Q4 (2025-10-01 to 2025-12-31)
	// 2026-10-15..2026-11-14 (2026-10-15 to 2026-11-14)
}

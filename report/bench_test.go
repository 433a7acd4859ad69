package report_test

import (
	"context"
	"testing"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/report"
)

// BenchmarkIngest measures ingesting a first report of 1000 licenses into
// a fresh SQLite ledger: parsing, every signature and grant check, the
// tree, and the append (ns/op over 1000 is the cost per license).
func BenchmarkIngest(b *testing.B) {
	ctx := context.Background()
	w := &world{T: &testing.T{}, Vendor: testKey(b, "acme"), Partner: testKey(b, "globex"), Clock: t0}
	w.PLed, w.VLed = openLedger(b, ""), openLedger(b, "")
	w.Grant = w.SignGrant(w.Vendor, w.Partner, []string{"pro"})
	var recs []ledger.Record
	for range 1000 {
		w.Clock = t0 // every license on the same day, within the grant
		recs = append(recs, ledger.Record{Raw: w.License(w.Partner, "pro", 10, w.Grant), PublicKey: w.Partner.Public().Key, Written: true})
	}
	if _, err := w.PLed.Append(ctx, checkpointSigner(b, w.Partner), recs...); err != nil {
		b.Fatal(err)
	}
	r, err := report.Create(ctx, w.PLed, report.CreateOptions{Grant: w.Grant, Signer: w.Partner.Signer(), Now: t0})
	if err != nil {
		b.Fatal(err)
	}
	data := marshal(b, r)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		vled := openLedger(b, "")
		if _, err := vled.Append(ctx, checkpointSigner(b, w.Vendor), ledger.Record{Raw: w.Grant, PublicKey: w.Vendor.Public().Key}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := report.Ingest(ctx, vled, data, report.IngestOptions{Source: "r", Now: t0}); err != nil {
			b.Fatal(err)
		}
	}
}

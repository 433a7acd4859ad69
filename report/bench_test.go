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
	w := &world{t: &testing.T{}, vendor: testKey(b, "acme"), partner: testKey(b, "globex"), clock: t0}
	w.pled, w.vled = openLedger(b, ""), openLedger(b, "")
	w.grant = w.signGrant(w.vendor, w.partner, []string{"pro"})
	var recs []ledger.Record
	for range 1000 {
		w.clock = t0 // every license on the same day, within the grant
		recs = append(recs, ledger.Record{Raw: w.license(w.partner, "pro", 10, w.grant), PublicKey: w.partner.Public().Key, Written: true})
	}
	if _, err := w.pled.Append(ctx, checkpointSigner(b, w.partner), recs...); err != nil {
		b.Fatal(err)
	}
	r, err := report.Create(ctx, w.pled, report.CreateOptions{Grant: w.grant, Signer: w.partner.Signer(), Now: t0})
	if err != nil {
		b.Fatal(err)
	}
	data := marshal(b, r)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		vled := openLedger(b, "")
		if _, err := vled.Append(ctx, checkpointSigner(b, w.vendor), ledger.Record{Raw: w.grant, PublicKey: w.vendor.Public().Key}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := report.Ingest(ctx, vled, data, report.IngestOptions{Source: "r", Now: t0}); err != nil {
			b.Fatal(err)
		}
	}
}

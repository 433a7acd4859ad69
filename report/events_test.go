package report_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/report"
)

// TestIngestEmitsReportIngested: each ingest (an empty report too) stores
// one report.ingested event with the ingest; a refused report stores
// none.
func TestIngestEmitsReportIngested(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t, b.Location(t))
			w.Mint(3, "pro")
			r1 := w.Create(0)
			events := func() []*outbox.Event {
				t.Helper()
				evs, err := w.VLed.Outbox().Events(ctx, outbox.EventFilter{})
				if err != nil {
					t.Fatal(err)
				}
				return evs
			}
			if _, err := w.Ingest(r1, report.IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			evs := events()
			if len(evs) != 1 || evs[0].Type != outbox.EventReportIngested || evs[0].Subject != w.GrantID {
				t.Fatalf("events %+v", evs)
			}
			var d struct {
				GrantID string `json:"grant_id"`
				Partner string `json:"partner"`
				Start   int64  `json:"start"`
				Size    int64  `json:"size"`
				Entries int64  `json:"entries"`
			}
			if err := json.Unmarshal(evs[0].Data, &d); err != nil || d.GrantID != w.GrantID || d.Partner != "globex" || d.Size != 3 || d.Entries != 3 {
				t.Fatalf("data %s (%v)", evs[0].Data, err)
			}
			if _, err := w.Ingest(r1, report.IngestOptions{}); err == nil {
				t.Fatal("a replayed report was ingested")
			}
			if n := len(events()); n != 1 {
				t.Fatalf("%d events after a refused report, want 1", n)
			}
			if _, err := w.Ingest(w.Create(3), report.IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			if evs := events(); len(evs) != 2 || evs[1].Type != outbox.EventReportIngested {
				t.Fatalf("after an empty report: %+v", evs)
			}
		})
	}
}

package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/token"
)

// TestEventsOfManyRecords: the events of an append of more records than
// one INSERT takes are all stored in the records' order, each record's
// events given their ids, and AddEvents leaves out an event whose key
// comes twice in one call or is stored already.
func TestEventsOfManyRecords(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			l := openLedger(t, b.open(t))
			vendor := testKey(t, "acme")
			exp := t0.Add(365 * 24 * time.Hour)
			recs := make([]ledger.Record, 450)
			for i := range recs {
				recs[i] = ledger.Record{Raw: signLicense(t, vendor, token.License{Subject: "c" + itoa(i), Expiry: exp}, nil),
					Events: []outbox.Event{{Type: outbox.EventLicenseIssued}}}
			}
			recs[0].PublicKey = vendor.Public().Key
			es := mustAppend(t, l, vendor, recs...)
			evs, err := l.Outbox().Events(ctx, outbox.EventFilter{Type: outbox.EventLicenseIssued})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != len(recs) {
				t.Fatalf("%d events stored, want %d", len(evs), len(recs))
			}
			for i, ev := range evs {
				if ev.Subject != es[i].ID || ev.ID != recs[i].Events[0].ID || recs[i].Events[0].ID == "" {
					t.Fatalf("event %d: %s about %s, the record's %q", i, ev.ID, ev.Subject, recs[i].Events[0].ID)
				}
			}
			data := []byte(`{"id":"x"}`)
			n, err := l.Outbox().AddEvents(ctx, outbox.Event{Type: outbox.EventLicenseExpiring, Key: "k1", Data: data},
				outbox.Event{Type: outbox.EventLicenseExpiring, Key: "k1", Data: data}, outbox.Event{Type: outbox.EventLicenseExpiring, Key: "k2", Data: data})
			if err != nil || n != 2 {
				t.Errorf("AddEvents with a key twice: %d stored, %v", n, err)
			}
			if n, err := l.Outbox().AddEvents(ctx, outbox.Event{Type: outbox.EventLicenseExpiring, Key: "k2", Data: data}); err != nil || n != 0 {
				t.Errorf("AddEvents of a stored key: %d stored, %v", n, err)
			}
		})
	}
}

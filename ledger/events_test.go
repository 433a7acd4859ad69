package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
)

func countEvents(t *testing.T, l *ledger.Ledger, typ string) int {
	t.Helper()
	evs, err := l.Outbox().Events(context.Background(), outbox.EventFilter{Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// TestEventsInAppendTransaction: an append stores its records' events in
// its transaction; an append that is refused or rolled back leaves none.
func TestEventsInAppendTransaction(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			l := openLedger(t, b.open(t))
			k := testKey(t, "acme")
			raw := mintLicense(t, k, licenseSpec{sub: "c1", tier: "pro", days: 365}, nil)
			es := mustAppend(t, l, k, ledger.Record{Raw: raw, OrderRef: "PO-1", Events: []outbox.Event{{Type: outbox.EventLicenseIssued}}})
			evs, err := l.Outbox().Events(ctx, outbox.EventFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || evs[0].Type != outbox.EventLicenseIssued || evs[0].Subject != es[0].ID || len(evs[0].ID) != 36 {
				t.Fatalf("events = %+v", evs)
			}
			var p struct {
				Type      string
				Timestamp time.Time
				Data      outbox.EntryData
			}
			if err := json.Unmarshal(evs[0].Payload, &p); err != nil {
				t.Fatal(err)
			}
			if p.Type != outbox.EventLicenseIssued || p.Data.ID != es[0].ID || p.Data.Order != "PO-1" || p.Data.Subject != "c1" || p.Data.Expiry == nil || p.Timestamp.IsZero() {
				t.Fatalf("payload %s", evs[0].Payload)
			}

			// A duplicate order: refused, no event.
			raw2 := mintLicense(t, k, licenseSpec{sub: "c2", tier: "pro", days: 365}, nil)
			_, err = l.Append(ctx, signerOf(t, k), ledger.Record{Raw: raw2, OrderRef: "PO-1", Events: []outbox.Event{{Type: outbox.EventLicenseIssued}}})
			var de *ledger.DuplicateError
			if !errors.As(err, &de) {
				t.Fatalf("duplicate order: %v", err)
			}
			// A mirrored append rolled back after its events were written
			// (the root does not match): no event either.
			partner := testKey(t, "partner")
			praw := mintLicense(t, partner, licenseSpec{sub: "p1", tier: "pro", days: 30}, mintGrant(t, k, partner))
			_, err = l.AppendCheckpoint(ctx, 0, &ledger.StoredCheckpoint{KID: idKID(t, praw), Size: 1, GrantID: "00", Events: []outbox.Event{{Type: outbox.EventReportIngested, Data: json.RawMessage(`{}`)}}},
				ledger.Record{Raw: praw, Events: []outbox.Event{{Type: outbox.EventLicenseIssued}}})
			var rm *ledger.RootMismatchError
			if !errors.As(err, &rm) {
				t.Fatalf("mismatching root: %v", err)
			}
			if n := countEvents(t, l, ""); n != 1 {
				t.Fatalf("%d events after two refused appends, want 1", n)
			}
			// An unknown type is refused with the append.
			raw3 := mintLicense(t, k, licenseSpec{sub: "c3", tier: "pro", days: 365}, nil)
			if _, err := l.Append(ctx, signerOf(t, k), ledger.Record{Raw: raw3, Events: []outbox.Event{{Type: "license.sold"}}}); err == nil {
				t.Fatal("unknown event type accepted")
			}
			if _, err := l.Get(ctx, idOf(t, raw3)); !errors.Is(err, ledger.ErrNotFound) {
				t.Fatalf("the entry of a refused event was appended: %v", err)
			}
		})
	}
}

func idKID(t *testing.T, raw []byte) string {
	e, err := ledger.Describe(raw)
	if err != nil {
		t.Fatal(err)
	}
	return e.KID
}

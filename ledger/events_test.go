package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// TestExpiringEventsOncePerWindow: each license expiring within a window
// is announced once per window, at the shortest window it falls within;
// renewed, revoked, perpetual and far licenses are not announced.
func TestExpiringEventsOncePerWindow(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			l := openLedger(t, b.open(t))
			k := testKey(t, "acme")
			windows := []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour}
			a := mintLicense(t, k, licenseSpec{sub: "a", tier: "pro", days: 20}, nil)
			bb := mintLicense(t, k, licenseSpec{sub: "b", tier: "pro", days: 5}, nil)
			far := mintLicense(t, k, licenseSpec{sub: "far", tier: "pro", days: 40}, nil)
			perp := mintLicense(t, k, licenseSpec{sub: "perp", tier: "pro"}, nil)
			old := mintLicense(t, k, licenseSpec{sub: "old", tier: "pro", days: 10}, nil)
			renewal := mintLicense(t, k, licenseSpec{sub: "old", tier: "pro", days: 400}, nil)
			mustAppend(t, l, k, ledger.Record{Raw: a}, ledger.Record{Raw: bb}, ledger.Record{Raw: far}, ledger.Record{Raw: perp},
				ledger.Record{Raw: old}, ledger.Record{Raw: renewal, RenewedFrom: idOf(t, old)})
			run := func(at time.Time) map[string]int {
				t.Helper()
				if _, err := l.ExpiringEvents(ctx, at, windows); err != nil {
					t.Fatal(err)
				}
				evs, err := l.Outbox().Events(ctx, outbox.EventFilter{Type: outbox.EventLicenseExpiring})
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]int{}
				for _, ev := range evs {
					var d outbox.EntryData
					if err := json.Unmarshal(ev.Data, &d); err != nil {
						t.Fatal(err)
					}
					got[fmt.Sprintf("%s/%d", d.Subject, d.WindowDays)]++
				}
				return got
			}
			want := map[string]int{"a/30": 1, "b/7": 1}
			for range 3 {
				if got := run(t0); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("at t0: %v, want %v", got, want)
				}
			}
			want = map[string]int{"a/30": 1, "b/7": 1, "a/7": 1, "far/30": 1}
			if got := run(t0.Add(14 * 24 * time.Hour)); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("at t0+14d: %v, want %v", got, want)
			}
			want["a/1"] = 1
			if got := run(t0.Add(19*24*time.Hour + time.Hour)); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("at t0+19d1h: %v, want %v", got, want)
			}
		})
	}
}

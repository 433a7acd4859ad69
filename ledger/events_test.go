package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/ledger"
)

func countEvents(t *testing.T, l *ledger.Ledger, typ string) int {
	t.Helper()
	evs, err := l.Events(context.Background(), ledger.EventFilter{Type: typ})
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
			es := mustAppend(t, l, k, ledger.Record{Raw: raw, OrderRef: "PO-1", Events: []ledger.Event{{Type: ledger.EventLicenseIssued}}})
			evs, err := l.Events(ctx, ledger.EventFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || evs[0].Type != ledger.EventLicenseIssued || evs[0].Subject != es[0].ID || len(evs[0].ID) != 36 {
				t.Fatalf("events = %+v", evs)
			}
			var p struct {
				Type      string
				Timestamp time.Time
				Data      ledger.EntryData
			}
			if err := json.Unmarshal(evs[0].Payload, &p); err != nil {
				t.Fatal(err)
			}
			if p.Type != ledger.EventLicenseIssued || p.Data.ID != es[0].ID || p.Data.Order != "PO-1" || p.Data.Subject != "c1" || p.Data.Expiry == nil || p.Timestamp.IsZero() {
				t.Fatalf("payload %s", evs[0].Payload)
			}

			// A duplicate order: refused, no event.
			raw2 := mintLicense(t, k, licenseSpec{sub: "c2", tier: "pro", days: 365}, nil)
			_, err = l.Append(ctx, signerOf(t, k), ledger.Record{Raw: raw2, OrderRef: "PO-1", Events: []ledger.Event{{Type: ledger.EventLicenseIssued}}})
			var de *ledger.DuplicateError
			if !errors.As(err, &de) {
				t.Fatalf("duplicate order: %v", err)
			}
			// A mirrored append rolled back after its events were written
			// (the root does not match): no event either.
			partner := testKey(t, "partner")
			praw := mintLicense(t, partner, licenseSpec{sub: "p1", tier: "pro", days: 30}, mintGrant(t, k, partner))
			_, err = l.AppendCheckpoint(ctx, 0, &ledger.StoredCheckpoint{KID: idKID(t, praw), Size: 1, GrantID: "00", Events: []ledger.Event{{Type: ledger.EventReportIngested, Data: json.RawMessage(`{}`)}}},
				ledger.Record{Raw: praw, Events: []ledger.Event{{Type: ledger.EventLicenseIssued}}})
			var rm *ledger.RootMismatchError
			if !errors.As(err, &rm) {
				t.Fatalf("mismatching root: %v", err)
			}
			if n := countEvents(t, l, ""); n != 1 {
				t.Fatalf("%d events after two refused appends, want 1", n)
			}
			// An unknown type is refused with the append.
			raw3 := mintLicense(t, k, licenseSpec{sub: "c3", tier: "pro", days: 365}, nil)
			if _, err := l.Append(ctx, signerOf(t, k), ledger.Record{Raw: raw3, Events: []ledger.Event{{Type: "license.sold"}}}); err == nil {
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
				evs, err := l.Events(ctx, ledger.EventFilter{Type: ledger.EventLicenseExpiring})
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]int{}
				for _, ev := range evs {
					var d ledger.EntryData
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

// TestDeliveryQueue: fan-out to the subscriptions that want an event,
// leases, failures, parking and retry.
func TestDeliveryQueue(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			l := openLedger(t, b.open(t))
			k := testKey(t, "acme")
			all := &ledger.Subscription{URL: "https://crm.example/hook", Secret: "whsec_x"}
			revokes := &ledger.Subscription{URL: "https://ops.example/hook", Events: []string{"license.revoked", "grant.*"}, Secret: "whsec_y"}
			for _, s := range []*ledger.Subscription{all, revokes} {
				if err := l.AddSubscription(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			mustAppend(t, l, k, ledger.Record{Raw: mintLicense(t, k, licenseSpec{sub: "c1", tier: "pro", days: 365}, nil), Events: []ledger.Event{{Type: ledger.EventLicenseIssued}}})
			now := t0
			if n, err := l.FanOut(ctx, now, 10); err != nil || n != 1 {
				t.Fatalf("fan out: %d, %v", n, err)
			}
			if n, _ := l.FanOut(ctx, now, 10); n != 0 {
				t.Fatalf("fanned out again: %d", n)
			}
			ds, err := l.ClaimDeliveries(ctx, now, time.Minute, 10)
			if err != nil || len(ds) != 1 || ds[0].Subscription.ID != all.ID || ds[0].Event.Type != ledger.EventLicenseIssued {
				t.Fatalf("claim: %v %v", ds, err)
			}
			if again, _ := l.ClaimDeliveries(ctx, now, time.Minute, 10); len(again) != 0 {
				t.Fatalf("claimed a leased delivery again: %d", len(again))
			}
			d := ds[0]
			if err := l.DeliveryFailed(ctx, d, now, 500, "500 Internal Server Error", now.Add(10*time.Second), false); err != nil {
				t.Fatal(err)
			}
			if early, _ := l.ClaimDeliveries(ctx, now.Add(5*time.Second), time.Minute, 10); len(early) != 0 {
				t.Fatal("claimed before its next attempt")
			}
			// A lease that runs out: another claims it; the first one's
			// result is refused.
			first, _ := l.ClaimDeliveries(ctx, now.Add(10*time.Second), time.Second, 10)
			second, _ := l.ClaimDeliveries(ctx, now.Add(12*time.Second), time.Minute, 10)
			if len(first) != 1 || len(second) != 1 {
				t.Fatalf("claims %d, %d", len(first), len(second))
			}
			if err := l.DeliveryDone(ctx, first[0], now, 200); !errors.Is(err, ledger.ErrLeaseLost) {
				t.Fatalf("finishing a lost lease: %v", err)
			}
			if err := l.DeliveryFailed(ctx, second[0], now, 0, "connection refused", now, true); err != nil {
				t.Fatal(err)
			}
			parked, err := l.Deliveries(ctx, ledger.DeliveryFilter{State: ledger.DeliveryParked})
			if err != nil || len(parked) != 1 || parked[0].Attempts != 2 || parked[0].LastError != "connection refused" {
				t.Fatalf("parked: %+v %v", parked, err)
			}
			if got, _ := l.ClaimDeliveries(ctx, now.Add(time.Hour), time.Minute, 10); len(got) != 0 {
				t.Fatal("claimed a parked delivery")
			}
			if n, err := l.RetryDeliveries(ctx, now.Add(time.Hour), parked[0].Event.ID, ""); err != nil || n != 1 {
				t.Fatalf("retry: %d, %v", n, err)
			}
			ds, _ = l.ClaimDeliveries(ctx, now.Add(time.Hour), time.Minute, 10)
			if len(ds) != 1 || ds[0].Attempts != 0 {
				t.Fatalf("after retry: %+v", ds)
			}
			if err := l.DeliveryDone(ctx, ds[0], now.Add(time.Hour), 204); err != nil {
				t.Fatal(err)
			}
			if n, _ := l.RetryDeliveries(ctx, now, "", ""); n != 0 {
				t.Fatalf("retried a delivered one: %d", n)
			}
			// Config subscriptions are synced; removing one drops its
			// pending deliveries.
			cfg := []*ledger.Subscription{{ID: "config:crm", URL: "https://crm.example/x", SecretRef: "env:X"}}
			if err := l.SyncSubscriptions(ctx, "config", cfg); err != nil {
				t.Fatal(err)
			}
			mustAppend(t, l, k, ledger.Record{Raw: mintGrant(t, k, testKey(t, "p")), Events: []ledger.Event{{Type: ledger.EventGrantIssued}}})
			l.FanOut(ctx, now, 10)
			pending, _ := l.Deliveries(ctx, ledger.DeliveryFilter{State: ledger.DeliveryPending})
			if len(pending) != 3 {
				t.Fatalf("%d pending deliveries of grant.issued, want 3 (all, revokes' grant.*, config)", len(pending))
			}
			if err := l.SyncSubscriptions(ctx, "config", nil); err != nil {
				t.Fatal(err)
			}
			pending, _ = l.Deliveries(ctx, ledger.DeliveryFilter{State: ledger.DeliveryPending})
			subs, _ := l.Subscriptions(ctx)
			if len(pending) != 2 || len(subs) != 2 {
				t.Fatalf("after removing the config subscription: %d pending, %d subscriptions", len(pending), len(subs))
			}
		})
	}
}

// TestConcurrentClaims: claimers in parallel (on PostgreSQL, several
// connections) never claim one delivery twice.
func TestConcurrentClaims(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			loc := b.open(t)
			l := openLedger(t, loc)
			if err := l.AddSubscription(ctx, &ledger.Subscription{URL: "https://crm.example/hook", Secret: "whsec_x"}); err != nil {
				t.Fatal(err)
			}
			var evs []ledger.Event
			for i := range 60 {
				evs = append(evs, ledger.Event{Type: ledger.EventReportIngested, Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
			}
			if _, err := l.AddEvents(ctx, evs...); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var claimed []string
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := openLedger(t, loc)
					for {
						if _, err := c.FanOut(ctx, t0, 7); err != nil {
							t.Error(err)
							return
						}
						ds, err := c.ClaimDeliveries(ctx, t0, time.Hour, 5)
						if err != nil {
							t.Error(err)
							return
						}
						if len(ds) == 0 {
							if n, _ := c.FanOut(ctx, t0, 7); n == 0 {
								return
							}
							continue
						}
						mu.Lock()
						for _, d := range ds {
							claimed = append(claimed, d.Event.ID)
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			sort.Strings(claimed)
			for i := 1; i < len(claimed); i++ {
				if claimed[i] == claimed[i-1] {
					t.Fatalf("event %s claimed twice", claimed[i])
				}
			}
			if len(claimed) != 60 {
				t.Fatalf("%d claimed, want 60", len(claimed))
			}
		})
	}
}

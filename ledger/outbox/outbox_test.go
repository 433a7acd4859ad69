package outbox_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/internal/ledgertest"
	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/ledger/outbox"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// backends returns the locations of a fresh SQLite and, when
// LICET_TEST_POSTGRES names a server, PostgreSQL ledger.
func backends() []struct {
	name string
	open func(t testing.TB) string
} {
	return []struct {
		name string
		open func(t testing.TB) string
	}{
		{"sqlite", ledgertest.SQLiteLocation},
		{"postgres", func(t testing.TB) string { return pgtest.Location(t, "licet_test") }},
	}
}

// addEvent stores an event of type typ that no entry comes with.
func addEvent(t *testing.T, o *outbox.Outbox, typ string) {
	t.Helper()
	if n, err := o.AddEvents(context.Background(), outbox.Event{Type: typ, Subject: "0123", Data: json.RawMessage(`{}`)}); err != nil || n != 1 {
		t.Fatalf("adding a %s event: %d, %v", typ, n, err)
	}
}

// TestDeliveryQueue: fan-out to the subscriptions that want an event,
// leases, failures, parking and retry.
func TestDeliveryQueue(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			o := ledgertest.Open(t, b.open(t)).Outbox()
			all := &outbox.Subscription{URL: "https://crm.example/hook", Secret: "whsec_x"}
			revokes := &outbox.Subscription{URL: "https://ops.example/hook", Events: []string{"license.revoked", "grant.*"}, Secret: "whsec_y"}
			for _, s := range []*outbox.Subscription{all, revokes} {
				if err := o.AddSubscription(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			addEvent(t, o, outbox.EventLicenseIssued)
			now := t0
			if n, err := o.FanOut(ctx, now, 10); err != nil || n != 1 {
				t.Fatalf("fan out: %d, %v", n, err)
			}
			if n, _ := o.FanOut(ctx, now, 10); n != 0 {
				t.Fatalf("fanned out again: %d", n)
			}
			ds, err := o.ClaimDeliveries(ctx, now, time.Minute, 10)
			if err != nil || len(ds) != 1 || ds[0].Subscription.ID != all.ID || ds[0].Event.Type != outbox.EventLicenseIssued {
				t.Fatalf("claim: %v %v", ds, err)
			}
			if again, _ := o.ClaimDeliveries(ctx, now, time.Minute, 10); len(again) != 0 {
				t.Fatalf("claimed a leased delivery again: %d", len(again))
			}
			d := ds[0]
			if err := o.DeliveryFailed(ctx, d, now, 500, "500 Internal Server Error", now.Add(10*time.Second), false); err != nil {
				t.Fatal(err)
			}
			if early, _ := o.ClaimDeliveries(ctx, now.Add(5*time.Second), time.Minute, 10); len(early) != 0 {
				t.Fatal("claimed before its next attempt")
			}
			// A lease that runs out: another claims it; the first one's
			// result is refused.
			first, _ := o.ClaimDeliveries(ctx, now.Add(10*time.Second), time.Second, 10)
			second, _ := o.ClaimDeliveries(ctx, now.Add(12*time.Second), time.Minute, 10)
			if len(first) != 1 || len(second) != 1 {
				t.Fatalf("claims %d, %d", len(first), len(second))
			}
			if err := o.DeliveryDone(ctx, first[0], now, 200); !errors.Is(err, outbox.ErrLeaseLost) {
				t.Fatalf("finishing a lost lease: %v", err)
			}
			if err := o.DeliveryFailed(ctx, second[0], now, 0, "connection refused", now, true); err != nil {
				t.Fatal(err)
			}
			parked, err := o.Deliveries(ctx, outbox.DeliveryFilter{State: outbox.DeliveryParked})
			if err != nil || len(parked) != 1 || parked[0].Attempts != 2 || parked[0].LastError != "connection refused" {
				t.Fatalf("parked: %+v %v", parked, err)
			}
			if got, _ := o.ClaimDeliveries(ctx, now.Add(time.Hour), time.Minute, 10); len(got) != 0 {
				t.Fatal("claimed a parked delivery")
			}
			if n, err := o.RetryDeliveries(ctx, now.Add(time.Hour), parked[0].Event.ID, ""); err != nil || n != 1 {
				t.Fatalf("retry: %d, %v", n, err)
			}
			ds, _ = o.ClaimDeliveries(ctx, now.Add(time.Hour), time.Minute, 10)
			if len(ds) != 1 || ds[0].Attempts != 0 {
				t.Fatalf("after retry: %+v", ds)
			}
			if err := o.DeliveryDone(ctx, ds[0], now.Add(time.Hour), 204); err != nil {
				t.Fatal(err)
			}
			if n, _ := o.RetryDeliveries(ctx, now, "", ""); n != 0 {
				t.Fatalf("retried a delivered one: %d", n)
			}
			// Config subscriptions are synced; removing one drops its
			// pending deliveries.
			cfg := []*outbox.Subscription{{ID: "config:crm", URL: "https://crm.example/x", SecretRef: "env:X"}}
			if err := o.SyncSubscriptions(ctx, "config", cfg); err != nil {
				t.Fatal(err)
			}
			addEvent(t, o, outbox.EventGrantIssued)
			o.FanOut(ctx, now, 10)
			pending, _ := o.Deliveries(ctx, outbox.DeliveryFilter{State: outbox.DeliveryPending})
			if len(pending) != 3 {
				t.Fatalf("%d pending deliveries of grant.issued, want 3 (all, revokes' grant.*, config)", len(pending))
			}
			if err := o.SyncSubscriptions(ctx, "config", nil); err != nil {
				t.Fatal(err)
			}
			pending, _ = o.Deliveries(ctx, outbox.DeliveryFilter{State: outbox.DeliveryPending})
			subs, _ := o.Subscriptions(ctx)
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
			o := ledgertest.Open(t, loc).Outbox()
			if err := o.AddSubscription(ctx, &outbox.Subscription{URL: "https://crm.example/hook", Secret: "whsec_x"}); err != nil {
				t.Fatal(err)
			}
			var evs []outbox.Event
			for i := range 60 {
				evs = append(evs, outbox.Event{Type: outbox.EventReportIngested, Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
			}
			if _, err := o.AddEvents(ctx, evs...); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var claimed []string
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := ledgertest.Open(t, loc)
					for {
						if _, err := c.Outbox().FanOut(ctx, t0, 7); err != nil {
							t.Error(err)
							return
						}
						ds, err := c.Outbox().ClaimDeliveries(ctx, t0, time.Hour, 5)
						if err != nil {
							t.Error(err)
							return
						}
						if len(ds) == 0 {
							if n, _ := c.Outbox().FanOut(ctx, t0, 7); n == 0 {
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

// TestNewDefaults: an outbox made without a clock or an error wrapper
// (not through a ledger) stamps events with time.Now and names itself in
// its errors.
func TestNewDefaults(t *testing.T) {
	db, err := sql.Open("sqlite", ledgertest.SQLiteLocation(t)) // the driver of package ledger
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	o := outbox.New(outbox.Config{DB: db})
	if _, err := o.Events(context.Background(), outbox.EventFilter{}); err == nil || !strings.HasPrefix(err.Error(), "outbox: reading events from the database: ") {
		t.Fatalf("events of an outbox without tables: %v", err)
	}
	if err := o.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second)
	addEvent(t, o, outbox.EventLicenseIssued)
	evs, err := o.Events(context.Background(), outbox.EventFilter{})
	if err != nil || len(evs) != 1 || evs[0].Created.Before(before) {
		t.Fatalf("events %+v, %v", evs, err)
	}
}

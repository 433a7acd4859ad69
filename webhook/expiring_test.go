package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/licet/licet/internal/ledgertest"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/token"
	"github.com/licet/licet/webhook"
)

// TestExpiringEventsOncePerWindow: each license expiring within a window
// is announced once per window, at the shortest window it falls within,
// however many dispatchers run; renewed, perpetual and far licenses are
// not announced.
func TestExpiringEventsOncePerWindow(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			l := openLedger(t, b.open(t))
			k := ledgertest.Key(t, "webhook", "acme")
			lic := func(sub string, days int) []byte {
				id, err := token.NewID(nil)
				if err != nil {
					t.Fatal(err)
				}
				c := &token.License{Issuer: k.Issuer, Subject: sub, Audience: []string{"acme-db"}, Tier: "pro", IssuedAt: t0, ID: id}
				if days > 0 {
					c.Expiry = t0.Add(time.Duration(days) * 24 * time.Hour)
				}
				raw, err := token.SignLicense(k.Signer(), c, nil)
				if err != nil {
					t.Fatal(err)
				}
				return raw
			}
			old := lic("old", 10)
			recs := []ledger.Record{{Raw: lic("a", 20)}, {Raw: lic("b", 5)}, {Raw: lic("far", 40)}, {Raw: lic("perp", 0)},
				{Raw: old}, {Raw: lic("old", 400), RenewedFrom: ledgertest.IDOf(t, old)}}
			if _, err := l.Append(ctx, ledgertest.CheckpointSigner(t, k), recs...); err != nil {
				t.Fatal(err)
			}
			// Each run is another dispatcher (another server, or a restart).
			run := func(at time.Time) map[string]int {
				t.Helper()
				d := &webhook.Dispatcher{Ledger: l, Now: func() time.Time { return at }, Log: quiet,
					Windows: []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour}}
				if _, err := d.Round(ctx); err != nil {
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

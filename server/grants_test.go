package server

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
)

// TestIdempotentGrant: POST /v1/grants under an Idempotency-Key, or an
// order in the body, returns the grant recorded the first time on a
// retry (200, "existing": true, nothing signed or audited again, its
// days counted from the first request's time); other terms under the
// same key are a 409 order_conflict listing the differences, and a key
// of a license is a conflict too.
func TestIdempotentGrant(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			var clock atomic.Int64
			clock.Store(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Unix())
			e := newEnv(t, b.open(t), Config{Now: func() time.Time { return time.Unix(clock.Load(), 0) }})
			partner, err := keys.Generate(nil, "globex")
			if err != nil {
				t.Fatal(err)
			}
			body := map[string]any{"partner": "globex", "key": string(partner.Public().MarshalPEM()), "aud": []string{"acme-db"},
				"tiers": []string{"pro"}, "limits": map[string]any{"seats": 50}, "days": 365}
			status, data, _ := e.do("POST", "/v1/grants", "admin", body, "Idempotency-Key", "g-1")
			var first, again LicenseView
			e.decode(data, &first)
			if status != http.StatusCreated || first.Existing || first.Kind != "grant" {
				t.Fatalf("first: %d %s", status, data)
			}
			n := e.entries()
			clock.Add(3600) // an hour later: 365 days from the first request still
			status, data, _ = e.do("POST", "/v1/grants", "admin", body, "Idempotency-Key", "g-1")
			e.decode(data, &again)
			if status != http.StatusOK || !again.Existing || again.ID != first.ID || again.Token.Text != first.Token.Text || e.entries() != n {
				t.Fatalf("retry: %d %s", status, data)
			}

			// Other terms under the same key: 409 with the differences.
			body["limits"], body["tiers"] = map[string]any{"seats": 60}, []string{"pro", "team"}
			status, data, h := e.do("POST", "/v1/grants", "admin", body, "Idempotency-Key", "g-1")
			p := e.problem(status, data, h, http.StatusConflict, "order_conflict")
			if got := strings.Join(p.Problems, "; "); !strings.Contains(got, `tiers: "pro" vs "pro team"`) || !strings.Contains(got, `limit seats: "50" vs "60"`) || len(p.Problems) != 2 {
				t.Errorf("conflict: %s", data)
			}

			// An order in the body.
			body["limits"], body["tiers"], body["order"] = map[string]any{"seats": 50}, []string{"pro"}, "PG-7"
			status, data, _ = e.do("POST", "/v1/grants", "admin", body)
			e.decode(data, &first)
			status2, data2, _ := e.do("POST", "/v1/grants", "admin", body)
			e.decode(data2, &again)
			if status != http.StatusCreated || status2 != http.StatusOK || again.ID != first.ID || again.Order != "PG-7" {
				t.Errorf("order retry: %d %d %s", status, status2, data2)
			}

			// A key that issued a license is not a grant's.
			if status, data, _ := e.do("POST", "/v1/licenses", "mint", map[string]any{"template": "pro", "sub": "c-1"}, "Idempotency-Key", "l-1"); status != http.StatusCreated {
				t.Fatalf("mint: %d %s", status, data)
			}
			delete(body, "order")
			status, data, h = e.do("POST", "/v1/grants", "admin", body, "Idempotency-Key", "l-1")
			if p := e.problem(status, data, h, http.StatusConflict, "order_conflict"); len(p.Problems) != 1 || p.Problems[0] != "kind: license vs grant" {
				t.Errorf("a license's key: %s", data)
			}

			grants, _ := e.led.List(context.Background(), ledger.Filter{Kind: ledger.KindGrant})
			if len(grants) != 2 {
				t.Errorf("%d grants in the ledger, want 2", len(grants))
			}
			if log, _ := e.store.AuditLog(context.Background(), ""); countAction(log, "grant.issued") != 2 {
				t.Errorf("audit: %d grants recorded, want 2 (retries record nothing)", countAction(log, "grant.issued"))
			}
		})
	}
}

package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/webhook"
)

// TestSubscriptions: an admin subscribes an endpoint through the API
// (201, its signing secret shown once), lists the subscriptions beside
// the one of licet.toml (each with its source, no secret), receives an
// event signed with that secret, deletes it (204; its audit rows name
// the token), and cannot delete the one of licet.toml (409) nor one that
// does not exist (404).
func TestSubscriptions(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, b.open(t), Config{})
			if err := e.led.Outbox().SyncSubscriptions(ctx, "config", []*outbox.Subscription{
				{ID: "config:crm", URL: "https://crm.example/hooks", Events: []string{"license.*"}, SecretRef: "env:CRM_WHSEC"}}); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var got []string
			var secret string
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				defer mu.Unlock()
				if _, err := webhook.Verify(secret, r.Header, body, time.Now()); err != nil {
					t.Errorf("a delivery: %v", err)
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				got = append(got, string(body))
			}))
			defer rc.Close()

			status, data, h := e.do("POST", "/v1/webhooks/subscriptions", "admin", map[string]any{"url": rc.URL + "/hook", "events": []string{"license.issued"}})
			var created SubscriptionView
			e.decode(data, &created)
			if status != http.StatusCreated || !strings.HasPrefix(created.ID, "sub_") || created.Source != "api" ||
				!strings.HasPrefix(created.Secret, "whsec_") || created.URL != rc.URL+"/hook" || h.Get("Location") != "/v1/webhooks/subscriptions/"+created.ID {
				t.Fatalf("subscribe: %d %s", status, data)
			}
			mu.Lock()
			secret = created.Secret
			mu.Unlock()

			status, data, _ = e.do("GET", "/v1/webhooks/subscriptions", "admin", nil)
			var list subscriptionList
			e.decode(data, &list)
			if status != http.StatusOK || len(list.Subscriptions) != 2 || strings.Contains(string(data), created.Secret) || strings.Contains(string(data), `"secret"`) {
				t.Fatalf("list: %d %s", status, data)
			}
			sources := map[string]string{}
			for _, s := range list.Subscriptions {
				sources[s.ID] = s.Source
			}
			if sources["config:crm"] != "config" || sources[created.ID] != "api" {
				t.Errorf("sources: %v", sources)
			}

			// A license issued now reaches the endpoint, signed with the
			// secret shown.
			lic := e.mint("customer-1", nil)
			d := &webhook.Dispatcher{Ledger: e.led, AllowLoopbackInsecure: true}
			for deadline := time.Now().Add(10 * time.Second); ; {
				if _, err := d.Round(ctx); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				n := len(got)
				mu.Unlock()
				if n > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no delivery to the API's subscription")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if mu.Lock(); len(got) != 1 || !strings.Contains(got[0], lic.ID) {
				t.Errorf("delivered: %v", got)
			}
			mu.Unlock()

			status, data, h = e.do("DELETE", "/v1/webhooks/subscriptions/config:crm", "admin", nil)
			if p := e.problem(status, data, h, http.StatusConflict, "config_subscription"); !strings.Contains(p.Detail, "licet.toml") {
				t.Errorf("delete a config subscription: %s", data)
			}
			if status, data, _ = e.do("DELETE", "/v1/webhooks/subscriptions/"+created.ID, "admin", nil); status != http.StatusNoContent || len(data) != 0 {
				t.Fatalf("delete: %d %s", status, data)
			}
			status, data, h = e.do("DELETE", "/v1/webhooks/subscriptions/"+created.ID, "admin", nil)
			e.problem(status, data, h, http.StatusNotFound, "not_found")
			if subs, _ := e.led.Outbox().Subscriptions(ctx); len(subs) != 1 || subs[0].ID != "config:crm" {
				t.Errorf("after the delete: %v", subs)
			}

			log, err := e.store.AuditLog(ctx, created.ID)
			if err != nil || len(log) != 2 || log[0].TokenID != e.tokenID("admin") || log[1].TokenID != e.tokenID("admin") ||
				countAction(log, "webhook.subscribed") != 1 || countAction(log, "webhook.unsubscribed") != 1 || log[0].Detail != rc.URL+"/hook" {
				t.Errorf("audit: %+v %v", log, err)
			}
		})
	}
}

// tokenID returns the id of the env's token of role.
func (e *env) tokenID(role string) string {
	id, _, _ := strings.Cut(strings.TrimPrefix(e.tokens[role], "licet_"), "_")
	return id
}

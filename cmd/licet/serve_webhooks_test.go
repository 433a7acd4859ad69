package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/webhook"
)

// webhooksCmd is where the webhooks command is.
var webhooksCmd = []string{"serve", "webhooks"}

// TestServeWebhooksListRetry: list shows pending and parked deliveries
// (the URL without its query), retry re-queues a parked one, and bad use
// is refused.
func TestServeWebhooksListRetry(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			dir, _ := issuerDir(t)
			location := filepath.Join(dir, "licet.db")
			if backend == "postgres" {
				location = pgtest.Location(t, "licet_cli")
			}
			for _, sub := range []string{"c1", "c2"} {
				if out, err := licetCmd(dir, "mint", "--key", "acme.key", "--template", "pro", "--ledger", location, "--sub", sub, "-o", sub+".lic").CombinedOutput(); err != nil {
					t.Fatalf("mint: %v\n%s", err, out)
				}
			}
			l, err := ledger.Open(ctx, location)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Outbox().AddSubscription(ctx, &outbox.Subscription{ID: "sub_crm", URL: "https://crm.example/hook?token=s3cret", Secret: "whsec_x"}); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			if _, err := l.Outbox().FanOut(ctx, now, 10); err != nil {
				t.Fatal(err)
			}
			ds, err := l.Outbox().ClaimDeliveries(ctx, now, time.Minute, 1)
			if err != nil || len(ds) != 1 {
				t.Fatalf("claim: %v %v", ds, err)
			}
			parked := ds[0].Event.ID
			if err := l.Outbox().DeliveryFailed(ctx, ds[0], now, 503, "the endpoint answered 503 Service Unavailable\x1b[2J", now, true); err != nil {
				t.Fatal(err)
			}
			l.Close()

			licet := func(args ...string) (string, int) {
				t.Helper()
				cmd := licetCmd(dir, append(append(append([]string{}, webhooksCmd...), args...), "--ledger", location)...)
				out, err := cmd.CombinedOutput()
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				return string(out), code
			}
			out, code := licet("list")
			if code != 0 || !strings.Contains(out, parked) || !strings.Contains(out, "parked") || !strings.Contains(out, "pending") ||
				!strings.Contains(out, "https://crm.example/hook") || strings.Contains(out, "s3cret") || strings.Contains(out, "\x1b") {
				t.Fatalf("list (%d):\n%s", code, out)
			}
			out, _ = licet("list", "--state", "parked", "--json")
			var js []deliveryJSON
			if err := json.Unmarshal([]byte(out), &js); err != nil || len(js) != 1 || js[0].Event != parked || js[0].Attempts != 1 || js[0].LastStatus != 503 || js[0].Type != "license.issued" {
				t.Fatalf("list --json: %v\n%s", err, out)
			}
			if out, code := licet("retry", "msg_none"); code != 1 || !strings.Contains(out, "no parked delivery of msg_none") {
				t.Fatalf("retry of an unknown event (%d):\n%s", code, out)
			}
			if out, code := licet("retry"); code != 2 || !strings.Contains(out, "--all") {
				t.Fatalf("retry without events (%d):\n%s", code, out)
			}
			if out, code := licet("list", "--state", "stuck"); code != 2 || !strings.Contains(out, "--state") {
				t.Fatalf("list --state stuck (%d):\n%s", code, out)
			}
			if out, code := licet("retry", parked); code != 0 || !strings.Contains(out, "re-queued 1 parked delivery") {
				t.Fatalf("retry (%d):\n%s", code, out)
			}
			out, _ = licet("list", "--state", "pending", "--json")
			if err := json.Unmarshal([]byte(out), &js); err != nil || len(js) != 2 || js[0].NextAttempt == nil {
				t.Fatalf("pending after retry: %v\n%s", err, out)
			}
			if out, code := licet("list", "--state", "parked"); code != 0 || !strings.Contains(out, "no deliveries match") {
				t.Fatalf("parked after retry (%d):\n%s", code, out)
			}
		})
	}
}

// TestServeDeliversWebhooks: 'licet serve' with a [[webhooks]] entry in
// licet.toml (its secret in an environment variable) posts license.issued
// for a license minted through the API, signed so that the receiver
// verifies it; 'serve webhooks list' shows it delivered after a clean
// stop. A secret reference that does not resolve stops the server before
// it listens.
func TestServeDeliversWebhooks(t *testing.T) {
	secret := webhook.NewSecret()
	var mu sync.Mutex
	got := map[string]string{} // webhook-id: the license id of license.issued
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id, err := webhook.Verify(secret, r.Header, body, time.Now())
		if err != nil {
			t.Errorf("receiver: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p struct {
			Type string `json:"type"`
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		json.Unmarshal(body, &p)
		mu.Lock()
		got[id] = p.Type + " " + p.Data.ID
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rc.Close()

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pass"), []byte("correct horse\n"), 0o600)
	policy := servePolicy + "\n[[webhooks]]\nname = \"crm\"\nurl = \"" + rc.URL + "/hook\"\nevents = [\"license.*\"]\nsecret = \"env:CRM_WHSEC\"\n"
	os.WriteFile(filepath.Join(dir, "licet.toml"), []byte(policy), 0o644)
	licetRun(t, dir, "keys", "new", "--issuer", "acme", "--passphrase-file", "pass")
	tok := strings.TrimSpace(licetRun(t, dir, "serve", "token", "create", "--key", "acme.key", "--name", "crm", "--role", "mint"))

	// No secret: refused before listening.
	cmd := exec.Command("licet", "serve", "--key", "acme.key", "--passphrase-file", "pass", "--listen", "127.0.0.1:0")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "CRM_WHSEC is not set") || strings.Contains(string(out), "listening") {
		t.Fatalf("serve without the webhook's secret: %v\n%s", err, out)
	}

	p := startServe(t, dir, []string{"CRM_WHSEC=" + secret, webhookLoopbackEnv + "=1"}, "--key", "acme.key", "--passphrase-file", "pass", "--listen", "127.0.0.1:0")
	status, v := call(t, "POST", p.url+"/v1/licenses", tok, `{"template":"pro","sub":"customer-42","order":"PO-1"}`)
	if status != 201 {
		t.Fatalf("mint: %d %v\n%s", status, v, p.log())
	}
	id, _ := v["id"].(string)
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n, ok := len(got), false
		for _, s := range got {
			ok = ok || s == "license.issued "+id
		}
		mu.Unlock()
		if ok && n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no license.issued for %s delivered (got %v):\n%s", id, got, p.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.stop(t)
	out := licetRun(t, dir, "serve", "webhooks", "list", "--key", "acme.key", "--state", "delivered")
	if !strings.Contains(out, "license.issued") || !strings.Contains(out, "config:crm") || !strings.Contains(out, id) {
		t.Fatalf("serve webhooks list --state delivered:\n%s", out)
	}
}

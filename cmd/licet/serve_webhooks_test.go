package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/ledger"
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
			if err := l.AddSubscription(ctx, &ledger.Subscription{ID: "sub_crm", URL: "https://crm.example/hook?token=s3cret", Secret: "whsec_x"}); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			if _, err := l.FanOut(ctx, now, 10); err != nil {
				t.Fatal(err)
			}
			ds, err := l.ClaimDeliveries(ctx, now, time.Minute, 1)
			if err != nil || len(ds) != 1 {
				t.Fatalf("claim: %v %v", ds, err)
			}
			parked := ds[0].Event.ID
			if err := l.DeliveryFailed(ctx, ds[0], now, 503, "the endpoint answered 503 Service Unavailable\x1b[2J", now, true); err != nil {
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

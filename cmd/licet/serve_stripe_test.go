package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"
)

const stripeSecret = "whsec_servetest0123456789abcdef"

// postStripe delivers body to the Stripe endpoint signed with secret.
func postStripe(t *testing.T, url string, body []byte, secret string) (int, map[string]any) {
	t.Helper()
	now := time.Now()
	req, _ := http.NewRequest("POST", url+"/v1/stripe/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Stripe-Signature", fmt.Sprintf("t=%d,v1=%s", now.Unix(), hex.EncodeToString(webhook.ComputeSignature(now, body, secret))))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("stripe webhook: %d, not JSON: %s", resp.StatusCode, data)
	}
	return resp.StatusCode, v
}

// TestServeStripe: 'licet serve' with a [stripe] table in licet.toml
// serves the Stripe webhook endpoint without an API token: a signed paid
// Checkout Session mints once (a replay changes nothing), a body signed
// with another secret is refused, the license is in the ledger under the
// session's order, audited as "stripe", and the secret is in no log. A secret file readable
// by others stops the server before it listens.
func TestServeStripe(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pass"), []byte("right\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "licet.toml"), []byte(servePolicy+`
[stripe]
secret_file = "stripe.secret"
[stripe.prices]
price_pro = "pro"
`), 0o644)
	licetRun(t, dir, "keys", "new", "--issuer", "acme", "--passphrase-file", "pass")

	// Readable by others: refused at start.
	os.WriteFile(filepath.Join(dir, "stripe.secret"), []byte(stripeSecret+"\n"), 0o644)
	os.Chmod(filepath.Join(dir, "stripe.secret"), 0o644)
	cmd := exec.Command("licet", "serve", "--key", "acme.key", "--passphrase-file", "pass", "--listen", "127.0.0.1:0")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "readable by others") || strings.Contains(string(out), "listening") {
		t.Errorf("secret file mode 0644: %v\n%s", err, out)
	}
	os.Chmod(filepath.Join(dir, "stripe.secret"), 0o600)

	p := startServe(t, dir, nil, "--key", "acme.key", "--passphrase-file", "pass", "--listen", "127.0.0.1:0")
	body := []byte(`{"id": "evt_1", "object": "event", "type": "checkout.session.completed", "api_version": "2025-03-31.basil",
	  "data": {"object": {"id": "cs_1", "object": "checkout.session", "mode": "payment", "payment_status": "paid",
	    "customer": "cus_1", "customer_details": {"email": "ada@example.com"}, "metadata": {"licet_price": "price_pro"}}}}`)
	if status, v := postStripe(t, p.url, body, stripeSecret); status != 200 || v["outcome"] != "minted" {
		t.Fatalf("checkout: %d %v\n%s", status, v, p.log())
	}
	if status, v := postStripe(t, p.url, body, stripeSecret); status != 200 || v["outcome"] != "unchanged" {
		t.Errorf("replay: %d %v", status, v)
	}
	if status, v := postStripe(t, p.url, body, "whsec_notthesecret0123456789"); status != 400 || v["code"] != "bad_signature" {
		t.Errorf("other secret: %d %v", status, v)
	}
	p.stop(t)
	if strings.Contains(p.log(), stripeSecret) {
		t.Errorf("the secret is in the log:\n%s", p.log())
	}
	licetRun(t, dir, "ledger", "verify", "--ledger", "licet.db")
	if out := licetRun(t, dir, "ledger", "show", "--ledger", "licet.db", "--order", "stripe:checkout:cs_1"); !strings.Contains(out, "ada@example.com") {
		t.Errorf("ledger show --order:\n%s", out)
	}
	// The mint is audited once, as "stripe", with its event.
	if out := licetRun(t, dir, "serve", "audit", "--ledger", "licet.db"); strings.Count(out, "license.issued") != 1 ||
		!regexp.MustCompile(`stripe +license\.issued +[0-9a-f]{32} +stripe:checkout:cs_1 +stripe event evt_1`).MatchString(out) {
		t.Errorf("serve audit:\n%s", out)
	}
}

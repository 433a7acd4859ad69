package billing_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/licet/licet/billing"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
	"github.com/stripe/stripe-go/v82/webhook"
)

// A paid Checkout Session, as Stripe delivers it, mints a license from
// the template its price maps to.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "licet-stripe")
	defer os.RemoveAll(dir)

	pol, err := policy.Parse([]byte(`
[templates.pro]
products = ["acme-db"]
days     = 365

[stripe]
secret = "whsec_exampleexampleexample"

[stripe.prices]
price_1PqRsTuVwXyZ = "pro"
`), "licet.toml")
	if err != nil {
		panic(err)
	}
	led, _ := ledger.Open(ctx, filepath.Join(dir, "licet.db"))
	defer led.Close()
	events, _ := billing.OpenEvents(ctx, filepath.Join(dir, "licet.db"))
	defer events.Close()
	k, _ := keys.Generate(rand.Reader, "acme")
	is := &issue.Issuer{Name: k.Issuer, PublicKey: k.Public().Key, Ledger: led,
		Unlock: func() (crypto.Signer, error) { return k.Signer(), nil },
		Write:  func(file string, data []byte, replace bool) error { return nil }}
	secrets, _ := billing.LoadSecrets(pol.Stripe, "licet.toml")
	h, err := billing.New(billing.Config{Issuer: is, Policy: pol, Secrets: secrets, Events: events})
	if err != nil {
		panic(err)
	}

	body := []byte(`{"id": "evt_1", "object": "event", "type": "checkout.session.completed",
	  "data": {"object": {"id": "cs_1", "object": "checkout.session", "mode": "payment", "payment_status": "paid",
	    "customer_details": {"email": "ada@example.com"}, "metadata": {"licet_price": "price_1PqRsTuVwXyZ"}}}}`)
	now := time.Now()
	sig := fmt.Sprintf("t=%d,v1=%x", now.Unix(), webhook.ComputeSignature(now, body, secrets[0]))
	for range 2 { // Stripe delivers it twice
		req := httptest.NewRequest("POST", "/v1/stripe/webhook", bytes.NewReader(body))
		req.Header.Set("Stripe-Signature", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		fmt.Println(w.Code, strings.Contains(w.Body.String(), `"outcome":"minted"`))
	}
	e, _ := led.ByOrder(ctx, billing.OrderCheckout+"cs_1")
	fmt.Println(e.Subject, e.Tier, e.Expiry.Sub(e.IssuedAt))
	// Output:
	// 200 true
	// 200 false
	// ada@example.com pro 8760h0m0s
}

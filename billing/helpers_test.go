package billing_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/billing"
	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/internal/sqldb"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
	"github.com/stripe/stripe-go/v82/webhook"
)

const (
	secret      = "whsec_test0123456789abcdefTESTsecret"
	otherSecret = "whsec_other0123456789abcdefOTHER"
)

// testPolicy maps two prices; extra is appended to its [stripe] table.
func testPolicy(t testing.TB, extra string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(`
[templates.pro]
products = ["acme-db"]
limits   = { seats = 25 }
scopes   = ["api:read"]
days     = 30
grace    = "7d"

[templates.team]
products = ["acme-db", "acme-cli"]
limits   = { seats = 100 }
days     = 30

[stripe]
secret = "`+secret+`"
`+extra+`
[stripe.prices]
price_pro  = "pro"
price_team = "team"
`), "licet.toml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// backends returns SQLite and, when LICET_TEST_POSTGRES names a server,
// PostgreSQL.
func backends() []struct {
	name string
	open func(t testing.TB) string
} {
	return []struct {
		name string
		open func(t testing.TB) string
	}{
		{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "licet.db") }},
		{"postgres", func(t testing.TB) string { return pgtest.Location(t, "licet_billing_test") }},
	}
}

// env is an endpoint on a fresh ledger.
type env struct {
	t        testing.TB
	location string
	led      *ledger.Ledger
	is       *issue.Issuer
	events   *billing.Events
	h        *billing.Handler
	logs     *syncBuffer
	now      time.Time // the issuer's clock
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newEnv(t testing.TB, location string, p *policy.Policy, secrets ...string) *env {
	t.Helper()
	ctx := context.Background()
	led, err := ledger.Open(ctx, location)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	seed := sha256.Sum256([]byte("billing test"))
	k, err := keys.Generate(bytes.NewReader(seed[:]), "acme")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, location: location, led: led, logs: &syncBuffer{}, now: time.Now().UTC().Truncate(time.Second)}
	e.is = &issue.Issuer{
		Name: k.Issuer, PublicKey: k.Public().Key, Ledger: led,
		Unlock: func() (crypto.Signer, error) { return k.Signer(), nil },
		Now:    func() time.Time { return e.now },
		Write: func(file string, data []byte, replace bool) error {
			if file != "" {
				return fmt.Errorf("test: the endpoint wrote to file %q", file)
			}
			return nil
		},
	}
	if e.events, err = billing.OpenEvents(ctx, location); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.events.Close() })
	e.h = e.handler(p, e.events, secrets...)
	return e
}

// handler returns an endpoint of the env's issuer with p and events.
func (e *env) handler(p *policy.Policy, events *billing.Events, secrets ...string) *billing.Handler {
	e.t.Helper()
	if len(secrets) == 0 {
		secrets = []string{secret}
	}
	h, err := billing.New(billing.Config{Issuer: e.is, Policy: p, Secrets: secrets, Events: events,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil))})
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// sign returns the Stripe-Signature header of body by secret at ts.
func sign(body []byte, secret string, ts time.Time) string {
	return fmt.Sprintf("t=%d,v1=%s", ts.Unix(), hex.EncodeToString(webhook.ComputeSignature(ts, body, secret)))
}

// response is an answer of the endpoint.
type response struct {
	status int
	body   map[string]any
	raw    string
	ctype  string
}

func (r *response) str(k string) string { s, _ := r.body[k].(string); return s }

// post delivers body with a signature header to h.
func post(t testing.TB, h http.Handler, body []byte, sig string) *response {
	t.Helper()
	req := httptest.NewRequest("POST", "/v1/stripe/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if sig != "" {
		req.Header.Set("Stripe-Signature", sig)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	r := &response{status: w.Code, raw: w.Body.String(), ctype: w.Header().Get("Content-Type")}
	if err := json.Unmarshal(w.Body.Bytes(), &r.body); err != nil {
		t.Fatalf("the answer is not JSON: %v\n%s", err, w.Body.String())
	}
	return r
}

// deliver signs body with the test secret now and delivers it.
func (e *env) deliver(body []byte) *response {
	e.t.Helper()
	return post(e.t, e.h, body, sign(body, secret, time.Now()))
}

// entries returns every entry of the ledger.
func (e *env) entries() []*ledger.Entry {
	e.t.Helper()
	list, err := e.led.List(context.Background(), ledger.Filter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

func (e *env) byOrder(order string) *ledger.Entry {
	e.t.Helper()
	x, err := e.led.ByOrder(context.Background(), order)
	if err != nil {
		e.t.Fatalf("order %s: %v", order, err)
	}
	return x
}

func (e *env) eventCount() int {
	e.t.Helper()
	n, err := e.events.Count(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// evt builds a Stripe event of typ around object.
func evt(id, typ string, object map[string]any) []byte {
	b, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": "2025-03-31.basil", "created": time.Now().Unix(),
		"livemode": false, "pending_webhooks": 1, "type": typ,
		"request": map[string]any{"id": nil, "idempotency_key": nil},
		"data":    map[string]any{"object": object},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// checkoutSession is a completed Checkout Session selling price.
func checkoutSession(id, subscription, price string) map[string]any {
	o := map[string]any{
		"id": id, "object": "checkout.session", "mode": "payment", "payment_status": "paid", "status": "complete",
		"customer": "cus_Q1", "customer_details": map[string]any{"email": "ada@example.com", "name": "Ada"},
		"subscription": nil, "metadata": map[string]any{},
	}
	if subscription != "" {
		o["mode"], o["subscription"] = "subscription", subscription
	}
	if price != "" {
		o["metadata"] = map[string]any{"licet_price": price}
	}
	return o
}

// invoiceBasil is a paid invoice as API versions from 2025-03-31 send
// it (subscription and price under parent and pricing).
func invoiceBasil(id, subscription, reason, price string, periodEnd time.Time) map[string]any {
	return map[string]any{
		"id": id, "object": "invoice", "customer": "cus_Q1", "customer_email": "ada@example.com",
		"billing_reason": reason, "status": "paid",
		"parent": map[string]any{"type": "subscription_details", "subscription_details": map[string]any{"subscription": subscription}},
		"lines": map[string]any{"object": "list", "data": []any{map[string]any{
			"id": "il_1", "object": "line_item",
			"pricing": map[string]any{"type": "price_details", "price_details": map[string]any{"price": price, "product": "prod_1"}},
			"period":  map[string]any{"start": periodEnd.Add(-30 * 24 * time.Hour).Unix(), "end": periodEnd.Unix()},
		}}},
	}
}

// invoiceAcacia is a paid invoice as earlier API versions send it
// (subscription on the invoice, price on the line).
func invoiceAcacia(id, subscription, reason, price string, periodEnd time.Time) map[string]any {
	return map[string]any{
		"id": id, "object": "invoice", "customer": "cus_Q1", "customer_email": "ada@example.com",
		"billing_reason": reason, "subscription": subscription,
		"lines": map[string]any{"object": "list", "data": []any{map[string]any{
			"id": "il_1", "object": "line_item", "price": map[string]any{"id": price, "object": "price"},
			"period": map[string]any{"start": periodEnd.Add(-30 * 24 * time.Hour).Unix(), "end": periodEnd.Unix()},
		}}},
	}
}

func mustContain(t testing.TB, s, want string) {
	t.Helper()
	if !strings.Contains(s, want) {
		t.Errorf("%q does not contain %q", s, want)
	}
}

// audit returns the rows of the ledger's audit table, each as "actor
// action entry order detail", sorted.
func (e *env) audit() []string {
	e.t.Helper()
	ctx := context.Background()
	db, err := sqldb.OpenSideDB(ctx, e.location, 1, "")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.DB.QueryContext(ctx, "SELECT token_id, action, entry_id, order_ref, detail FROM serve_audit")
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var f [5]string
		if err := rows.Scan(&f[0], &f[1], &f[2], &f[3], &f[4]); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, strings.Join(f[:], " "))
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

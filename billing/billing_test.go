package billing_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/billing"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/token"
)

// license decodes the license of a ledger entry.
func license(t testing.TB, e *ledger.Entry) *token.License {
	t.Helper()
	m, err := token.ParseMessage(e.Raw)
	if err != nil {
		t.Fatal(err)
	}
	l, err := token.DecodeLicense(m.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestCheckoutMints: a signed checkout.session.completed mints a license
// with the template's terms under the session's order; the same event
// delivered again, and then once more after its record is lost, issues
// nothing.
func TestCheckoutMints(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), testPolicy(t, ""))
			body := evt("evt_1", "checkout.session.completed", checkoutSession("cs_1", "", "price_pro"))
			r := e.deliver(body)
			if r.status != 200 || r.str("outcome") != billing.Minted || r.str("order") != "stripe:checkout:cs_1" {
				t.Fatalf("answer %d %s", r.status, r.raw)
			}
			x := e.byOrder("stripe:checkout:cs_1")
			l := license(t, x)
			if x.ID != r.str("license") || l.Subject != "ada@example.com" || l.Tier != "pro" || !slices.Equal(l.Audience, []string{"acme-db"}) ||
				l.Limits["seats"] != 25 || !slices.Equal(l.Scopes, []string{"api:read"}) || l.Grace != 7*24*time.Hour ||
				!l.IssuedAt.Equal(e.now) || !l.Expiry.Equal(e.now.Add(30*24*time.Hour)) {
				t.Errorf("license %+v", l)
			}

			// Replayed: nothing new.
			e.now = e.now.Add(3 * time.Second)
			r = e.deliver(body)
			if r.status != 200 || r.str("outcome") != billing.Unchanged || r.str("license") != x.ID {
				t.Errorf("replay: %d %s", r.status, r.raw)
			}
			mustContain(t, r.str("reason"), "processed at")
			// Processed, but its record lost (a crash between the
			// issuing and the record): the order finds the license.
			fresh := newEnv(t, filepath.Join(t.TempDir(), "other.db"), testPolicy(t, "")).events
			h2 := e.handler(testPolicy(t, ""), fresh)
			r = post(t, h2, body, sign(body, secret, time.Now()))
			if r.status != 200 || r.str("outcome") != billing.Unchanged || r.str("license") != x.ID {
				t.Errorf("redelivered without a record: %d %s", r.status, r.raw)
			}
			if n := len(e.entries()); n != 1 {
				t.Errorf("%d entries, want 1", n)
			}
			if n := e.eventCount(); n != 1 {
				t.Errorf("%d events recorded, want 1", n)
			}
			if rep, err := e.led.Verify(context.Background()); err != nil || !rep.OK() {
				t.Errorf("ledger verify: %v %+v", err, rep)
			}
		})
	}
}

// TestBadSignature: a tampered body, another secret, an old timestamp, no
// or a malformed header are 400 and record nothing; no secret and no
// signature is logged.
func TestBadSignature(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), testPolicy(t, ""))
			body := evt("evt_1", "checkout.session.completed", checkoutSession("cs_1", "", "price_pro"))
			good := sign(body, secret, time.Now())
			tampered := bytes.Replace(body, []byte("price_pro"), []byte("price_team"), 1)
			for _, tc := range []struct {
				name, sig string
				body      []byte
				want      string
			}{
				{"tampered body", good, tampered, "no signature of the body"},
				{"other secret", sign(body, otherSecret, time.Now()), body, "no signature of the body"},
				{"old timestamp", sign(body, secret, time.Now().Add(-10*time.Minute)), body, "older than 5m0s"},
				{"no header", "", body, "no Stripe-Signature header"},
				{"malformed header", "t=soon,v1=abc", body, "malformed"},
				{"v0 only", strings.Replace(good, "v1=", "v0=", 1), body, "no signature"},
			} {
				r := post(t, e.h, tc.body, tc.sig)
				if r.status != 400 || r.str("code") != billing.CodeBadSignature || r.str("type") != "urn:licet:problem:bad_signature" || r.ctype != "application/problem+json" {
					t.Errorf("%s: %d %s %s", tc.name, r.status, r.ctype, r.raw)
				}
				mustContain(t, r.str("detail"), tc.want)
			}
			if n := len(e.entries()); n != 0 {
				t.Errorf("%d entries recorded", n)
			}
			if n := e.eventCount(); n != 0 {
				t.Errorf("%d events recorded", n)
			}
			logs := e.logs.String()
			mustContain(t, logs, "code=bad_signature")
			if strings.Contains(logs, secret) || strings.Contains(logs, good[strings.Index(good, "v1="):]) {
				t.Errorf("the log holds a secret or a signature:\n%s", logs)
			}
		})
	}
}

// TestSecretRotation: while a secret is rolled, a body signed with either
// configured secret is accepted, and so is Stripe's header with two v1
// signatures (the old secret's and the new one's).
func TestSecretRotation(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "licet.db"), testPolicy(t, ""), otherSecret, secret)
	body := evt("evt_1", "checkout.session.completed", checkoutSession("cs_1", "", "price_pro"))
	if r := post(t, e.h, body, sign(body, secret, time.Now())); r.status != 200 || r.str("outcome") != billing.Minted {
		t.Errorf("second secret: %d %s", r.status, r.raw)
	}
	now := time.Now()
	body = evt("evt_2", "checkout.session.completed", checkoutSession("cs_2", "", "price_pro"))
	both := sign(body, "whsec_rolledaway0123456789", now) + "," + strings.SplitN(sign(body, otherSecret, now), ",", 2)[1]
	if r := post(t, e.h, body, both); r.status != 200 || r.str("outcome") != billing.Minted {
		t.Errorf("two signatures: %d %s", r.status, r.raw)
	}
}

// TestMalformedEvent: a signed body that is not a Stripe event is 400,
// nothing recorded.
func TestMalformedEvent(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "licet.db"), testPolicy(t, ""))
	for _, tc := range []struct{ name, body string }{
		{"not JSON", `{"id": "evt_1", "object": "event",`},
		{"JSON array", `[1, 2]`},
		{"no id", `{"object": "event", "type": "checkout.session.completed", "data": {"object": {}}}`},
		{"not an event", `{"id": "evt_1", "object": "charge", "type": "x", "data": {"object": {}}}`},
		{"no data", `{"id": "evt_1", "object": "event", "type": "checkout.session.completed"}`},
		{"object of the wrong type", `{"id": "evt_1", "object": "event", "type": "invoice.paid", "data": {"object": {"id": "in_1", "lines": 7}}}`},
		{"object without id", `{"id": "evt_1", "object": "event", "type": "invoice.paid", "data": {"object": {"lines": {"data": []}}}}`},
		{"customer of the wrong type", `{"id": "evt_1", "object": "event", "type": "checkout.session.completed", "data": {"object": {"id": "cs_1", "customer": 12}}}`},
	} {
		r := e.deliver([]byte(tc.body))
		if r.status != 400 || r.str("code") != billing.CodeMalformed {
			t.Errorf("%s: %d %s", tc.name, r.status, r.raw)
		}
	}
	big := evt("evt_big", "checkout.session.completed", map[string]any{"id": "cs_1", "pad": strings.Repeat("x", billing.MaxBody)})
	if r := e.deliver(big); r.status != 413 {
		t.Errorf("oversized: %d %s", r.status, r.raw)
	}
	if n := len(e.entries()); n != 0 {
		t.Errorf("%d entries recorded", n)
	}
	if n := e.eventCount(); n != 0 {
		t.Errorf("%d events recorded", n)
	}
}

// TestUnknownEventType: 200, ignored, recorded as processed.
func TestUnknownEventType(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "licet.db"), testPolicy(t, ""))
	r := e.deliver(evt("evt_1", "charge.refunded", map[string]any{"id": "ch_1", "object": "charge"}))
	if r.status != 200 || r.str("outcome") != billing.Ignored {
		t.Errorf("%d %s", r.status, r.raw)
	}
	if len(e.entries()) != 0 || e.eventCount() != 1 {
		t.Errorf("%d entries, %d events", len(e.entries()), e.eventCount())
	}
}

// TestUnknownPrice: a price not in [stripe.prices] is a 500 that Stripe
// delivers again, logged, nothing recorded; once licet.toml maps it the
// next delivery mints. With unknown_price = ignore it is 200, ignored.
func TestUnknownPrice(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "licet.db"), testPolicy(t, ""))
	body := evt("evt_1", "checkout.session.completed", checkoutSession("cs_1", "", "price_new"))
	r := e.deliver(body)
	if r.status != 500 || r.str("code") != billing.CodeUnknownPrice {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	mustContain(t, r.str("detail"), "price price_new is not in [stripe.prices]")
	mustContain(t, e.logs.String(), "level=ERROR")
	if len(e.entries()) != 0 || e.eventCount() != 0 {
		t.Errorf("%d entries, %d events", len(e.entries()), e.eventCount())
	}
	p := testPolicy(t, "")
	p.Stripe.Prices["price_new"] = "team"
	h := e.handler(p, e.events)
	if r := post(t, h, body, sign(body, secret, time.Now())); r.status != 200 || r.str("outcome") != billing.Minted {
		t.Errorf("after mapping: %d %s", r.status, r.raw)
	}

	e = newEnv(t, filepath.Join(t.TempDir(), "licet.db"), testPolicy(t, `unknown_price = "ignore"`))
	if r := e.deliver(body); r.status != 200 || r.str("outcome") != billing.Ignored {
		t.Errorf("ignore: %d %s", r.status, r.raw)
	}
	if len(e.entries()) != 0 {
		t.Errorf("ignore: %d entries", len(e.entries()))
	}
}

// TestNoPriceNoSubject: a one-off payment that names no price, or no
// email, is a 422; a subscription checkout without a price waits for its
// invoice (200, ignored); a pending payment is ignored.
func TestNoPriceNoSubject(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "licet.db"), testPolicy(t, ""))
	r := e.deliver(evt("evt_1", "checkout.session.completed", checkoutSession("cs_1", "", "")))
	if r.status != 422 || r.str("code") != billing.CodeNoPrice {
		t.Errorf("no price: %d %s", r.status, r.raw)
	}
	s := checkoutSession("cs_2", "", "price_pro")
	s["customer_details"] = map[string]any{"email": nil}
	if r := e.deliver(evt("evt_2", "checkout.session.completed", s)); r.status != 422 || r.str("code") != billing.CodeNoSubject {
		t.Errorf("no email: %d %s", r.status, r.raw)
	}
	if r := e.deliver(evt("evt_3", "checkout.session.completed", checkoutSession("cs_3", "sub_1", ""))); r.status != 200 || r.str("outcome") != billing.Ignored {
		t.Errorf("subscription without price: %d %s", r.status, r.raw)
	}
	s = checkoutSession("cs_4", "", "price_pro")
	s["payment_status"] = "unpaid"
	if r := e.deliver(evt("evt_4", "checkout.session.completed", s)); r.status != 200 || r.str("outcome") != billing.Ignored {
		t.Errorf("unpaid: %d %s", r.status, r.raw)
	}
	if r := e.deliver(evt("evt_5", "checkout.session.async_payment_succeeded", checkoutSession("cs_4", "", "price_pro"))); r.status != 200 || r.str("outcome") != billing.Minted {
		t.Errorf("async payment succeeded: %d %s", r.status, r.raw)
	}
	if n := len(e.entries()); n != 1 {
		t.Errorf("%d entries, want 1", n)
	}

	// subject = customer: the customer id.
	e = newEnv(t, filepath.Join(t.TempDir(), "licet.db"), testPolicy(t, `subject = "customer"`))
	if r := e.deliver(evt("evt_1", "checkout.session.completed", checkoutSession("cs_1", "", "price_pro"))); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if sub := e.byOrder("stripe:checkout:cs_1").Subject; sub != "cus_Q1" {
		t.Errorf("subject %q, want cus_Q1", sub)
	}
}

// TestSubscriptionLifecycle: a subscription's checkout mints under the
// subscription's order; its first invoice does nothing more; each later
// invoice.paid renews the newest license to the period's end (in either
// API version's shape), with the terms of the price paid (a plan
// change); a replayed invoice renews nothing; deleting the subscription
// revokes every license of it once.
func TestSubscriptionLifecycle(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), testPolicy(t, `on_cancel = "revoke"`))
			ctx := context.Background()
			r := e.deliver(evt("evt_1", "checkout.session.completed", checkoutSession("cs_1", "sub_A", "price_pro")))
			if r.status != 200 || r.str("outcome") != billing.Minted || r.str("order") != "stripe:subscription:sub_A" {
				t.Fatalf("checkout: %d %s", r.status, r.raw)
			}
			first := e.byOrder("stripe:subscription:sub_A")
			r = e.deliver(evt("evt_2", "invoice.paid", invoiceBasil("in_1", "sub_A", "subscription_create", "price_pro", e.now.Add(30*24*time.Hour))))
			if r.status != 200 || r.str("outcome") != billing.Unchanged || r.str("license") != first.ID {
				t.Errorf("first invoice: %d %s", r.status, r.raw)
			}

			e.now = e.now.Add(29 * 24 * time.Hour)
			end := e.now.Add(31 * 24 * time.Hour)
			renewal := evt("evt_3", "invoice.paid", invoiceAcacia("in_2", "sub_A", "subscription_cycle", "price_pro", end))
			r = e.deliver(renewal)
			if r.status != 200 || r.str("outcome") != billing.Renewed || r.str("order") != "stripe:invoice:in_2" {
				t.Fatalf("renewal: %d %s", r.status, r.raw)
			}
			second := e.byOrder("stripe:invoice:in_2")
			if second.RenewedFrom != first.ID || !second.Expiry.Equal(end) || second.ID != r.str("license") || second.Subject != "ada@example.com" {
				t.Errorf("renewal %+v", second)
			}
			// Replayed, and redelivered after its record was lost: the
			// invoice's order is recorded, nothing is renewed again.
			if r := e.deliver(renewal); r.status != 200 || r.str("outcome") != billing.Unchanged {
				t.Errorf("replayed renewal: %d %s", r.status, r.raw)
			}
			fresh := newEnv(t, filepath.Join(t.TempDir(), "other.db"), testPolicy(t, "")).events
			if r := post(t, e.handler(testPolicy(t, ""), fresh), renewal, sign(renewal, secret, time.Now())); r.status != 200 || r.str("outcome") != billing.Unchanged {
				t.Errorf("renewal without its record: %d %s", r.status, r.raw)
			}

			// A plan change: the team price renews with the team terms.
			e.now = e.now.Add(30 * 24 * time.Hour)
			end = e.now.Add(30 * 24 * time.Hour)
			r = e.deliver(evt("evt_4", "invoice.paid", invoiceBasil("in_3", "sub_A", "subscription_cycle", "price_team", end)))
			if r.status != 200 || r.str("outcome") != billing.Renewed {
				t.Fatalf("plan change: %d %s", r.status, r.raw)
			}
			third := e.byOrder("stripe:invoice:in_3")
			if l := license(t, third); third.RenewedFrom != second.ID || l.Tier != "team" || l.Limits["seats"] != 100 || len(l.Scopes) != 0 ||
				!slices.Equal(l.Audience, []string{"acme-db", "acme-cli"}) || !l.Expiry.Equal(end) {
				t.Errorf("plan change: %+v renews %s", l, third.RenewedFrom)
			}
			if n := len(e.entries()); n != 3 {
				t.Errorf("%d entries, want 3", n)
			}

			// Deleted: every license of the subscription revoked, once.
			del := evt("evt_5", "customer.subscription.deleted", map[string]any{"id": "sub_A", "object": "subscription", "customer": "cus_Q1", "status": "canceled"})
			r = e.deliver(del)
			if r.status != 200 || r.str("outcome") != billing.Revoked || r.str("license") != third.ID {
				t.Fatalf("deleted: %d %s", r.status, r.raw)
			}
			chain := []*ledger.Entry{e.byOrder("stripe:subscription:sub_A"), e.byOrder("stripe:invoice:in_2"), e.byOrder("stripe:invoice:in_3")}
			if err := e.led.States(ctx, e.now, chain...); err != nil {
				t.Fatal(err)
			}
			for _, x := range chain {
				if x.State.Revoked == nil {
					t.Errorf("%s (%s) is not revoked", x.ID, x.OrderRef)
				}
			}
			n := len(e.entries())
			fresh = newEnv(t, filepath.Join(t.TempDir(), "other2.db"), testPolicy(t, "")).events
			if r := post(t, e.handler(testPolicy(t, `on_cancel = "revoke"`), fresh), del, sign(del, secret, time.Now())); r.status != 200 || r.str("outcome") != billing.Unchanged {
				t.Errorf("deleted again: %d %s", r.status, r.raw)
			}
			if m := len(e.entries()); m != n {
				t.Errorf("deleted again: %d entries, was %d", m, n)
			}
			if rep, err := e.led.Verify(ctx); err != nil || !rep.OK() {
				t.Errorf("ledger verify: %v %+v", err, rep)
			}
			// Each change in the ledger's audit table once, by "stripe",
			// with its event: the revocation list revoked the three
			// licenses of the subscription.
			list, err := issue.NewestList(ctx, e.led, "acme")
			if err != nil || list == nil {
				t.Fatalf("the newest list: %v", err)
			}
			want := []string{
				"stripe license.issued " + first.ID + " stripe:subscription:sub_A stripe event evt_1",
				"stripe license.renewed " + second.ID + " stripe:invoice:in_2 stripe event evt_3",
				"stripe license.renewed " + third.ID + " stripe:invoice:in_3 stripe event evt_4",
				"stripe license.revoked " + first.ID + " stripe:subscription:sub_A stripe event evt_5 list " + list.Entry.ID,
				"stripe license.revoked " + second.ID + " stripe:invoice:in_2 stripe event evt_5 list " + list.Entry.ID,
				"stripe license.revoked " + third.ID + " stripe:invoice:in_3 stripe event evt_5 list " + list.Entry.ID,
			}
			slices.Sort(want)
			if got := e.audit(); !slices.Equal(got, want) {
				t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestInvoiceMintsFirst: a subscription's first invoice.paid arriving
// before its checkout mints; the checkout then finds the license (same
// terms: unchanged; another price: an order conflict, 409).
func TestInvoiceMintsFirst(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "licet.db"), testPolicy(t, ""))
	r := e.deliver(evt("evt_1", "invoice.paid", invoiceBasil("in_1", "sub_A", "subscription_create", "price_pro", e.now.Add(30*24*time.Hour))))
	if r.status != 200 || r.str("outcome") != billing.Minted || r.str("order") != "stripe:subscription:sub_A" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	first := e.byOrder("stripe:subscription:sub_A")
	if !first.Expiry.Equal(e.now.Add(30 * 24 * time.Hour)) {
		t.Errorf("expiry %s", first.Expiry)
	}
	e.now = e.now.Add(time.Minute)
	if r := e.deliver(evt("evt_2", "checkout.session.completed", checkoutSession("cs_1", "sub_A", "price_pro"))); r.status != 200 || r.str("outcome") != billing.Unchanged || r.str("license") != first.ID {
		t.Errorf("checkout after: %d %s", r.status, r.raw)
	}
	r = e.deliver(evt("evt_3", "checkout.session.completed", checkoutSession("cs_1", "sub_A", "price_team")))
	if r.status != 409 || r.str("code") != billing.CodeOrderConflict {
		t.Errorf("other price: %d %s", r.status, r.raw)
	}
	mustContain(t, r.str("detail"), "tier: pro vs team")
	if n := len(e.entries()); n != 1 {
		t.Errorf("%d entries, want 1", n)
	}
}

// TestCancelExpire: with on_cancel = expire (the default) a deleted
// subscription revokes nothing.
func TestCancelExpire(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), testPolicy(t, ""))
			e.deliver(evt("evt_1", "checkout.session.completed", checkoutSession("cs_1", "sub_A", "price_pro")))
			r := e.deliver(evt("evt_2", "customer.subscription.deleted", map[string]any{"id": "sub_A", "object": "subscription", "customer": "cus_Q1"}))
			if r.status != 200 || r.str("outcome") != billing.Unchanged {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			x := e.byOrder("stripe:subscription:sub_A")
			if err := e.led.States(context.Background(), e.now, x); err != nil {
				t.Fatal(err)
			}
			if x.State.Revoked != nil || len(e.entries()) != 1 {
				t.Errorf("revoked %+v, %d entries", x.State.Revoked, len(e.entries()))
			}
			// An unknown subscription: nothing to do.
			r = e.deliver(evt("evt_3", "customer.subscription.deleted", map[string]any{"id": "sub_B", "object": "subscription"}))
			if r.status != 200 || r.str("outcome") != billing.Ignored {
				t.Errorf("unknown subscription: %d %s", r.status, r.raw)
			}
		})
	}
}

// TestLoadSecrets: the secret file's lines, its mode, its errors (no
// secret in them).
func TestLoadSecrets(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "licet.toml")
	write := func(name, data string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(dir, name), mode)
	}
	write("s", "# rolled on 2026-12-01\n"+otherSecret+"\n\n"+secret+"\n", 0o600)
	got, err := billing.LoadSecrets(&policy.Stripe{SecretFile: "s"}, pol)
	if err != nil || !slices.Equal(got, []string{otherSecret, secret}) {
		t.Errorf("LoadSecrets = %q, %v", got, err)
	}
	if got, err := billing.LoadSecrets(&policy.Stripe{Secret: secret}, pol); err != nil || !slices.Equal(got, []string{secret}) {
		t.Errorf("secret = %q, %v", got, err)
	}
	write("open", secret+"\n", 0o644)
	write("bad", "sk_live_abcdefgh12345678\n", 0o600)
	write("empty", "# nothing\n", 0o600)
	for _, tc := range []struct{ file, want string }{
		{"open", "readable by others (mode 0644): chmod 600"},
		{"bad", "line 1 is not a webhook signing secret"},
		{"empty", "holds no signing secret"},
		{"missing", "no such file"},
	} {
		_, err := billing.LoadSecrets(&policy.Stripe{SecretFile: tc.file}, pol)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "sk_live") || strings.Contains(err.Error(), secret) {
			t.Errorf("%s: %v, want %q", tc.file, err, tc.want)
		}
	}
}

// TestNew refuses a configuration without what it needs.
func TestNew(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "licet.db"), testPolicy(t, ""))
	noStripe, _ := policy.Parse([]byte("[templates.pro]\nproducts = [\"a\"]\n"), "licet.toml")
	for _, tc := range []struct {
		name string
		cfg  billing.Config
		want string
	}{
		{"no stripe table", billing.Config{Issuer: e.is, Events: e.events, Policy: noStripe, Secrets: []string{secret}}, "no [stripe] table"},
		{"no secret", billing.Config{Issuer: e.is, Events: e.events, Policy: testPolicy(t, "")}, "no signing secret"},
		{"not a secret", billing.Config{Issuer: e.is, Events: e.events, Policy: testPolicy(t, ""), Secrets: []string{"sk_test_x"}}, "not one"},
		{"no issuer", billing.Config{Events: e.events, Policy: testPolicy(t, ""), Secrets: []string{secret}}, "issuer"},
	} {
		if _, err := billing.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestConcurrentDeliveries: one event delivered eight times at once (and
// the subscription's first invoice with it) issues one license.
func TestConcurrentDeliveries(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), testPolicy(t, ""))
			bodies := [][]byte{
				evt("evt_1", "checkout.session.completed", checkoutSession("cs_1", "sub_A", "price_pro")),
				evt("evt_2", "invoice.paid", invoiceBasil("in_1", "sub_A", "subscription_create", "price_pro", e.now.Add(30*24*time.Hour))),
			}
			var wg sync.WaitGroup
			results := make([]*response, 16)
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					body := bodies[i%2]
					results[i] = post(t, e.h, body, sign(body, secret, time.Now()))
				}()
			}
			wg.Wait()
			minted := 0
			for _, r := range results {
				if r.status != 200 {
					t.Errorf("%d %s", r.status, r.raw)
				}
				if r.str("outcome") == billing.Minted {
					minted++
				}
			}
			if n := len(e.entries()); n != 1 || minted != 1 {
				t.Errorf("%d entries, %d answers minted; want 1 and 1", n, minted)
			}
		})
	}
}

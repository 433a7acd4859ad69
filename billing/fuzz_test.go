package billing_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/licet/licet/billing"
)

// FuzzEvent delivers any body, signed with the endpoint's secret: no
// panic, and every answer is one of the documented ones (a 2xx with an
// outcome, or a problem with its code and status).
func FuzzEvent(f *testing.F) {
	end := time.Now().Add(30 * 24 * time.Hour)
	for _, b := range [][]byte{
		evt("evt_1", "checkout.session.completed", checkoutSession("cs_1", "", "price_pro")),
		evt("evt_2", "checkout.session.completed", checkoutSession("cs_2", "sub_A", "price_team")),
		evt("evt_3", "invoice.paid", invoiceBasil("in_1", "sub_A", "subscription_cycle", "price_pro", end)),
		evt("evt_4", "invoice.paid", invoiceAcacia("in_2", "sub_B", "subscription_create", "price_x", end)),
		evt("evt_5", "customer.subscription.deleted", map[string]any{"id": "sub_A", "object": "subscription"}),
		[]byte(`{"id":"evt_6","object":"event","type":"invoice.paid","data":{"object":{"id":"in_3","customer":{"id":"cus_1"},"lines":{"data":[{"price":null,"period":{"end":-1}}]}}}}`),
		[]byte(`not json`),
	} {
		f.Add(b)
	}
	e := newEnv(f, filepath.Join(f.TempDir(), "licet.db"), testPolicy(f, `on_cancel = "revoke"`))
	statuses := map[string]int{
		billing.CodeBadSignature: 400, billing.CodeMalformed: 400, billing.CodeTooLarge: 413, billing.CodeNoPrice: 422,
		billing.CodeNoSubject: 422, billing.CodeOrderConflict: 409, billing.CodeUnknownPrice: 500, billing.CodeInternal: 500,
	}
	outcomes := map[string]bool{billing.Minted: true, billing.Renewed: true, billing.Revoked: true, billing.Unchanged: true, billing.Ignored: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		e.t = t
		r := post(t, e.h, body, sign(body, secret, time.Now()))
		switch {
		case r.status == 200:
			if !outcomes[r.str("outcome")] {
				t.Errorf("200 with outcome %q", r.str("outcome"))
			}
		case statuses[r.str("code")] != r.status:
			t.Errorf("%d with code %q: %s", r.status, r.str("code"), r.raw)
		case r.str("code") == billing.CodeInternal:
			t.Errorf("internal error: %s\n%s", r.raw, e.logs.String())
		}
	})
}

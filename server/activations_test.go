package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/machine"
	"github.com/licet/licet/verify"
)

// TestActivations: an activation request in, a license bound to its
// machine out (the request's product as aud, its fingerprint as the host
// binding), idempotent by order; a malformed or modified request, one
// for another product than the terms name, a bad field and the wrong
// role are problems, and nothing is recorded.
func TestActivations(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), Config{})
			req := &machine.ActivationRequest{Version: 1, Product: "acme-db", Fingerprint: strings.Repeat("ab", 32),
				Source: machine.SourceMachineID, Created: time.Now().UTC().Truncate(time.Second)}
			reqJSON, err := json.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			body := `{"request":` + string(reqJSON) + `,"sub":"site-7","tier":"pro","days":90,"order":"ACT-1"}`
			status, data, _ := e.do("POST", "/v1/activations", "mint", body)
			if status != 201 {
				t.Fatalf("activation: %d %s", status, data)
			}
			var v LicenseView
			e.decode(data, &v)
			_, err = e.verifier().Verify([]byte(v.Token.Text))
			if err == nil || verify.CodeOf(err) != verify.CodeBindingMismatch {
				t.Errorf("verified without the machine's binding: %v", err)
			}
			v2, err := verify.New(e.keySet(), verify.WithProduct("acme-db"), verify.WithBinding(map[string]string{machine.BindingKey: req.Fingerprint}))
			if err != nil {
				t.Fatal(err)
			}
			if res, err := v2.Verify([]byte(v.Token.Text)); err != nil || res.Claims.Bind[machine.BindingKey] != req.Fingerprint || res.Claims.Audience[0] != "acme-db" {
				t.Fatalf("the bound license: %v", err)
			}
			if v.State.Status != "bound" {
				t.Errorf("state %q, want bound", v.State.Status)
			}
			status, data, _ = e.do("POST", "/v1/activations", "mint", body)
			var again LicenseView
			e.decode(data, &again)
			if status != 200 || !again.Existing || again.ID != v.ID {
				t.Errorf("retry: %d %s", status, data)
			}
			if log, _ := e.store.AuditLog(context.Background(), v.ID); len(log) != 1 || log[0].Action != "license.activated" {
				t.Errorf("audit: %+v", log)
			}
			n := e.entries()
			bad := strings.Replace(string(reqJSON), `"version":1`, `"Version":1`, 1)
			for _, c := range []struct {
				body   string
				status int
				code   string
			}{
				{`{"sub":"x","tier":"pro","days":3}`, 422, "invalid_terms"},
				{`{"request":` + bad + `,"sub":"x","tier":"pro","days":3}`, 422, "invalid_activation_request"},
				{`{"request":` + strings.Replace(string(reqJSON), "abab", "zzab", 1) + `,"sub":"x","tier":"pro","days":3}`, 422, "invalid_activation_request"},
				{`{"request":` + string(reqJSON) + `,"sub":"x","aud":["other"],"tier":"pro","days":3}`, 422, "activation_conflict"},
				{`{"request":` + string(reqJSON) + `,"sub":"x","tier":"pro"}`, 422, "invalid_terms"},
				{`{"request":` + string(reqJSON) + `,"sub":"x","tier":"pro","days":3,"extra":1}`, 400, httpserve.CodeUnknownField},
				{`{"request":"text","sub":"x"}`, 422, "invalid_activation_request"},
				{`{"request":`, 400, httpserve.CodeMalformedJSON},
			} {
				status, data, h := e.do("POST", "/v1/activations", "mint", c.body)
				e.problem(status, data, h, c.status, c.code)
			}
			status, data, h := e.do("POST", "/v1/activations", "read", body)
			e.problem(status, data, h, 403, httpserve.CodeForbidden)
			if e.entries() != n {
				t.Errorf("refused activations recorded %d entries", e.entries()-n)
			}
		})
	}
}

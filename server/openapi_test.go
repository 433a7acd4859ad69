package server

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/licet/licet/billing"
	"github.com/licet/licet/docs"
)

type openAPIDoc struct {
	OpenAPI  string                              `json:"openapi"`
	Security []map[string][]string               `json:"security"`
	Paths    map[string]map[string]openAPIOp     `json:"paths"`
	Comps    struct{ Schemas map[string]schema } `json:"components"`
}

type openAPIOp struct {
	Security    *[]map[string][]string `json:"security"`
	Parameters  []struct{ Name, In string }
	RequestBody *struct {
		Content map[string]struct {
			Schema struct {
				Ref string `json:"$ref"`
			} `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]json.RawMessage `json:"responses"`
}

type schema struct {
	Properties           map[string]json.RawMessage `json:"properties"`
	AdditionalProperties *bool                      `json:"additionalProperties"`
}

// TestOpenAPI checks docs/openapi.json against the routes, both ways:
// every route (the server's, and the Stripe endpoint that 'licet serve'
// registers beside them) is documented with its method, every documented
// operation is a route; public routes and only they need no token;
// request bodies document exactly the fields the handlers accept (and
// refuse others); the list endpoints document exactly their query
// parameters, and the others none; each path parameter and each header
// a handler reads (Idempotency-Key, If-None-Match, Stripe-Signature) is
// documented; and the server serves the document.
func TestOpenAPI(t *testing.T) {
	var doc openAPIDoc
	if err := json.Unmarshal(docs.OpenAPI, &doc); err != nil {
		t.Fatalf("docs/openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Security) != 1 {
		t.Errorf("openapi %q, security %v", doc.OpenAPI, doc.Security)
	}
	e := newEnv(t, backends()[0].open(t), Config{})
	routes := map[string]Route{}
	for _, rt := range e.srv.Routes() {
		routes[rt.Method+" "+rt.Path] = rt
	}
	// The Stripe endpoint: no API token, its own signature.
	routes[billing.Route] = Route{Public: true}
	documented := map[string]openAPIOp{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[strings.ToUpper(method)+" "+path] = op
		}
	}
	for k := range routes {
		if _, ok := documented[k]; !ok {
			t.Errorf("route %s is not in docs/openapi.json", k)
		}
	}
	bodies := map[string]map[string]bool{
		"POST /v1/licenses": createFields(), "POST /v1/licenses/{id}/renew": renewFields(),
		"POST /v1/licenses/{id}/revoke": {"next_update": true}, "POST /v1/grants": grantFields(),
		"POST /v1/activations":            activationFields(),
		"POST /v1/reports":                knownFields([]string{"licet_report", "vendor", "partner", "grant", "kid", "created", "start", "checkpoint", "proof", "entries"}),
		"POST /v1/webhooks/subscriptions": subscribeFields(),
		billing.Route:                     nil, // a Stripe event: Stripe's fields, others ignored
	}
	headers := map[string][]string{
		"POST /v1/licenses": {"Idempotency-Key"}, "POST /v1/licenses/{id}/renew": {"Idempotency-Key"},
		"POST /v1/activations": {"Idempotency-Key"}, "POST /v1/grants": {"Idempotency-Key"},
		"GET /v1/revocations": {"If-None-Match"}, billing.Route: {"Stripe-Signature"},
	}
	queries := map[string][]string{"GET /v1/licenses": listParams, "GET /v1/expiring": {"within", "product", "tier", "partner"}, "GET /v1/statements": {"period", "partner"}}
	for k, op := range documented {
		rt, ok := routes[k]
		if !ok {
			t.Errorf("docs/openapi.json documents %s, which is not a route", k)
			continue
		}
		if public := op.Security != nil && len(*op.Security) == 0; public != rt.Public {
			t.Errorf("%s: public %v in the document, %v in the routes", k, public, rt.Public)
		}
		if len(op.Responses) == 0 {
			t.Errorf("%s: no responses documented", k)
		}
		if !rt.Public {
			for _, code := range []string{"401", "403", "429"} {
				if op.Responses[code] == nil {
					t.Errorf("%s: response %s not documented", k, code)
				}
			}
		}
		fields, hasBody := bodies[k]
		if (op.RequestBody != nil) != hasBody {
			t.Errorf("%s: request body documented %v, taken %v", k, op.RequestBody != nil, hasBody)
		}
		if hasBody && fields != nil && op.RequestBody != nil {
			ref := op.RequestBody.Content["application/json"].Schema.Ref
			s, ok := doc.Comps.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
			if !ok {
				t.Errorf("%s: request schema %q not found", k, ref)
				continue
			}
			if got, want := slices.Sorted(maps.Keys(s.Properties)), slices.Sorted(maps.Keys(fields)); !slices.Equal(got, want) {
				t.Errorf("%s: the document's fields %v, the handler's %v", k, got, want)
			}
			if s.AdditionalProperties == nil || *s.AdditionalProperties {
				t.Errorf("%s: the schema does not say additionalProperties: false", k)
			}
		}
		params := map[string][]string{}
		for _, p := range op.Parameters {
			params[p.In] = append(params[p.In], p.Name)
		}
		if got, want := slices.Sorted(slices.Values(params["query"])), slices.Sorted(slices.Values(queries[k])); !slices.Equal(got, want) {
			t.Errorf("%s: documented query parameters %v, accepted %v", k, got, want)
		}
		if got, want := slices.Sorted(slices.Values(params["header"])), slices.Sorted(slices.Values(headers[k])); !slices.Equal(got, want) {
			t.Errorf("%s: documented header parameters %v, read %v", k, got, want)
		}
		var inPath []string
		for _, seg := range strings.Split(k, "/") {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				inPath = append(inPath, strings.Trim(seg, "{}"))
			}
		}
		if got := slices.Sorted(slices.Values(params["path"])); !slices.Equal(got, slices.Sorted(slices.Values(inPath))) {
			t.Errorf("%s: documented path parameters %v, in the path %v", k, got, inPath)
		}
	}
	status, data, h := e.do("GET", "/v1/openapi.json", "", nil)
	if status != http.StatusOK || !bytes.Equal(data, docs.OpenAPI) || h.Get("Content-Type") != "application/json" {
		t.Errorf("GET /v1/openapi.json: %d, %d bytes", status, len(data))
	}
}

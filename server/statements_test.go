package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/policy"
)

// TestStatements: the royalty statement of a period prices the reported
// licenses (as 'licet report statement --format json'); a partner token
// gets its own partner's only; a missing or bad period, another
// partner's statement and a server without prices are problems.
func TestStatements(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), Config{})
			grantID, rep := partnerReport(t, e, 3)
			if status, data, _ := e.do("POST", "/v1/reports", "admin", string(rep)); status != 201 {
				t.Fatalf("ingest: %d %s", status, data)
			}
			_, partner, err := e.store.Create(context.Background(), "globex", Role("partner:"+grantID))
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range []string{"read", partner} {
				status, data, _ := e.do("GET", "/v1/statements?period=this-month", tok, nil)
				var st struct {
					Licenses int      `json:"licenses"`
					Royalty  string   `json:"royalty"`
					Currency string   `json:"currency"`
					Partners []string `json:"partners"`
				}
				if err := json.Unmarshal(data, &st); err != nil || status != 200 {
					t.Fatalf("statement (%s): %d %s", tok, status, data)
				}
				if st.Licenses != 3 || st.Currency != "EUR" || !strings.HasPrefix(st.Royalty, "150") || len(st.Partners) != 1 || st.Partners[0] != "globex" {
					t.Errorf("statement (%s): %s", tok, data)
				}
			}
			status, data, _ := e.do("GET", "/v1/statements?period=2001-01", "read", nil)
			if !strings.Contains(string(data), `"licenses": 0`) || status != 200 {
				t.Errorf("an empty period: %d %s", status, data)
			}
			for path, code := range map[string]string{
				"/v1/statements":                                    "bad_parameter",
				"/v1/statements?period=someday":                     "bad_parameter",
				"/v1/statements?period=2026-11&x=1":                 "unknown_parameter",
				"/v1/statements?period=2026-11&partner=a&partner=b": "repeated_parameter",
			} {
				status, data, h := e.do("GET", path, "read", nil)
				e.problem(status, data, h, 400, code)
			}
			status, data, h := e.do("GET", "/v1/statements?period=this-month&partner=initech", partner, nil)
			e.problem(status, data, h, 403, httpserve.CodeForbidden)
			status, data, h = e.do("GET", "/v1/statements?period=this-month", "", nil)
			e.problem(status, data, h, 401, httpserve.CodeUnauthenticated)
		})
	}
	noPrices, err := policy.Parse([]byte("[templates.pro]\nproducts = [\"acme-db\"]\ndays = 30\n"), "licet.toml")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, backends()[0].open(t), Config{Policy: noPrices})
	status, data, h := e.do("GET", "/v1/statements?period=this-month", "read", nil)
	e.problem(status, data, h, 409, "no_prices")
}

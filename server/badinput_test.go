package server

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/token"
)

// TestBadInput: every endpoint that takes a body refuses malformed JSON,
// unknown (or miscased, or repeated) fields, wrong types and oversized
// bodies with a clear problem, and every endpoint refuses a missing
// token and the wrong role; nothing is recorded in the ledger or the
// audit log.
func TestBadInput(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), Config{})
			lic := e.mint("customer-1", nil)
			n := e.entries()
			auditBefore, _ := e.store.AuditLog(context.Background(), "")
			big := `{"sub":"` + strings.Repeat("x", 70<<10) + `"}`
			bodies := []struct {
				body   string
				status int
				code   string
			}{
				{`{"sub":`, 400, httpserve.CodeMalformedJSON},
				{`{"sub":"a"}{"sub":"b"}`, 400, httpserve.CodeMalformedJSON},
				{``, 400, httpserve.CodeMalformedJSON},
				{`{"nope":1}`, 400, httpserve.CodeUnknownField},
				{`{"Sub":"a","template":"pro"}`, 400, httpserve.CodeUnknownField},
				{`{"days":"a","days":"b"}`, 400, httpserve.CodeUnknownField},
				{`{"days":"thirty"}`, 400, httpserve.CodeWrongType},
				{`{"limits":{"seats":"many"}}`, 400, httpserve.CodeWrongType},
				{`["a"]`, 400, httpserve.CodeWrongType},
				{big, 413, httpserve.CodeBodyTooLarge},
			}
			posts := map[string]string{
				"/v1/licenses":                       "mint",
				"/v1/licenses/" + lic.ID + "/renew":  "mint",
				"/v1/licenses/" + lic.ID + "/revoke": "revoke",
				"/v1/grants":                         "admin",
			}
			for path, role := range posts {
				for _, c := range bodies {
					if strings.HasSuffix(path, "/revoke") && (c.body == "" || c.code == httpserve.CodeWrongType && c.body != `["a"]`) {
						continue // revoke's body is optional; its one field's wrong type is below
					}
					status, data, h := e.do("POST", path, role, c.body)
					if status != c.status {
						t.Errorf("POST %s %.40s: %d, want %d: %s", path, c.body, status, c.status, data)
						continue
					}
					e.problem(status, data, h, c.status, c.code)
				}
				status, data, h := e.do("POST", path, role, `{"template":"pro","sub":"x"}`, "Content-Type", "text/plain")
				e.problem(status, data, h, 415, httpserve.CodeUnsupportedType)
			}
			status, data, h := e.do("POST", "/v1/licenses/"+lic.ID+"/revoke", "revoke", `{"next_update":7}`)
			e.problem(status, data, h, 400, httpserve.CodeWrongType)

			// Webhook subscriptions: their own fields.
			subs := "/v1/webhooks/subscriptions"
			for _, c := range []struct {
				body   string
				status int
				code   string
			}{
				{`{"url":`, 400, httpserve.CodeMalformedJSON},
				{``, 400, httpserve.CodeMalformedJSON},
				{`{"url":"https://crm.example/h","secret":"whsec_mine"}`, 400, httpserve.CodeUnknownField},
				{`{"URL":"https://crm.example/h"}`, 400, httpserve.CodeUnknownField},
				{`{"url":"https://crm.example/h","url":"https://other.example/h"}`, 400, httpserve.CodeUnknownField},
				{`{"url":7}`, 400, httpserve.CodeWrongType},
				{`{"url":"https://crm.example/h","events":"license.issued"}`, 400, httpserve.CodeWrongType},
				{`["a"]`, 400, httpserve.CodeWrongType},
				{`{"url":"https://crm.example/` + strings.Repeat("x", 70<<10) + `"}`, 413, httpserve.CodeBodyTooLarge},
				{`{}`, 422, "invalid_terms"},
				{`{"url":"ftp://crm.example/h"}`, 422, "invalid_terms"},
				{`{"url":"https://user:pw@crm.example/h"}`, 422, "invalid_terms"},
				{`{"url":"https://crm.example/h","events":["license.nope"]}`, 422, "invalid_terms"},
			} {
				status, data, h := e.do("POST", subs, "admin", c.body)
				if status != c.status {
					t.Errorf("POST %s %.40s: %d, want %d: %s", subs, c.body, status, c.status, data)
					continue
				}
				e.problem(status, data, h, c.status, c.code)
			}
			status, data, h = e.do("POST", subs, "admin", `{"url":"https://crm.example/h"}`, "Content-Type", "text/plain")
			e.problem(status, data, h, 415, httpserve.CodeUnsupportedType)
			status, data, h = e.do("DELETE", subs+"/sub_0123", "admin", nil)
			e.problem(status, data, h, 404, httpserve.CodeNotFound)

			// Terms the issuing path would refuse: 422, every problem listed.
			for path, body := range map[string]string{
				"/v1/licenses":                      `{"sub":" ","days":0,"scopes":["bad scope"],"versions":"~~"}`,
				"/v1/licenses/" + lic.ID + "/renew": `{"days":-1}`,
				"/v1/grants":                        `{"partner":"bad id!","key":"not a key","aud":[],"tiers":[]}`,
			} {
				status, data, h := e.do("POST", path, posts[path], body)
				if p := e.problem(status, data, h, 422, "invalid_terms"); len(p.Problems) < 1 {
					t.Errorf("%s: no problems listed: %s", path, data)
				}
			}
			status, data, h = e.do("POST", "/v1/licenses", "mint", `{"template":"nope","sub":"x"}`)
			e.problem(status, data, h, 422, "invalid_terms")

			// Query parameters.
			for path, code := range map[string]string{
				"/v1/licenses?bogus=1": "unknown_parameter", "/v1/licenses?sub=a&sub=b": "repeated_parameter",
				"/v1/licenses?limit=0": "bad_parameter", "/v1/licenses?cursor=zz": "bad_parameter",
				"/v1/licenses?expires_before=soon": "bad_parameter", "/v1/licenses?kind=revocations": "bad_parameter",
				"/v1/expiring?within=forever": "bad_parameter", "/v1/expiring?bogus=1": "unknown_parameter",
			} {
				status, data, h := e.do("GET", path, "read", nil)
				e.problem(status, data, h, 400, code)
			}

			// Access: no token, a wrong one, the wrong role.
			routes := []struct{ method, path string }{
				{"POST", "/v1/licenses"}, {"GET", "/v1/licenses"}, {"GET", "/v1/licenses/" + lic.ID},
				{"POST", "/v1/licenses/" + lic.ID + "/renew"}, {"POST", "/v1/licenses/" + lic.ID + "/revoke"},
				{"GET", "/v1/expiring"}, {"POST", "/v1/grants"}, {"POST", "/v1/activations"},
				{"GET", "/v1/webhooks/subscriptions"}, {"POST", "/v1/webhooks/subscriptions"}, {"DELETE", "/v1/webhooks/subscriptions/sub_0123"},
			}
			for _, rt := range routes {
				for _, tok := range []string{"", "licet_0123456789abcdef_wrong", "Basic abc"} {
					status, data, h := e.do(rt.method, rt.path, tok, `{"template":"pro","sub":"x","days":3}`)
					e.problem(status, data, h, 401, httpserve.CodeUnauthenticated)
					if h.Get("WWW-Authenticate") == "" {
						t.Errorf("%s %s: 401 without WWW-Authenticate", rt.method, rt.path)
					}
				}
			}
			wrong := map[string][]string{
				"POST /v1/licenses":                       {"read", "revoke"},
				"POST /v1/licenses/" + lic.ID + "/renew":  {"read", "revoke"},
				"POST /v1/licenses/" + lic.ID + "/revoke": {"read", "mint"},
				"POST /v1/grants":                         {"read", "mint", "revoke"},
				"GET /v1/webhooks/subscriptions":          {"read", "mint", "revoke"},
				"POST /v1/webhooks/subscriptions":         {"read", "mint", "revoke"},
				"DELETE /v1/webhooks/subscriptions/sub_1": {"read", "mint", "revoke"},
			}
			for route, roles := range wrong {
				method, path, _ := strings.Cut(route, " ")
				for _, role := range roles {
					status, data, h := e.do(method, path, role, `{"template":"pro","sub":"x","days":3,"partner":"p"}`)
					e.problem(status, data, h, 403, httpserve.CodeForbidden)
				}
			}
			if e.entries() != n {
				t.Errorf("the ledger holds %d entries after the refused requests, %d before", e.entries(), n)
			}
			if after, _ := e.store.AuditLog(context.Background(), ""); len(after) != len(auditBefore) {
				t.Errorf("the audit log grew from %d to %d records", len(auditBefore), len(after))
			}
			if subs, err := e.led.Outbox().Subscriptions(context.Background()); err != nil || len(subs) != 0 {
				t.Errorf("webhook subscriptions after the refused requests: %v %v", subs, err)
			}
		})
	}
}

// TestIdempotentRetry: the same order, or the same Idempotency-Key,
// returns the license recorded the first time (200, existing); other
// terms under the same order are a 409 listing the differences.
func TestIdempotentRetry(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), Config{})
			body := map[string]any{"template": "pro", "sub": "c-1", "days": 30}
			status, data, _ := e.do("POST", "/v1/licenses", "mint", body, "Idempotency-Key", "k-1")
			var first, again LicenseView
			e.decode(data, &first)
			if status != 201 || first.Existing {
				t.Fatalf("first: %d %s", status, data)
			}
			n := e.entries()
			status, data, _ = e.do("POST", "/v1/licenses", "mint", body, "Idempotency-Key", "k-1")
			e.decode(data, &again)
			if status != 200 || !again.Existing || again.ID != first.ID || again.Token.Text != first.Token.Text || e.entries() != n {
				t.Fatalf("retry: %d %s", status, data)
			}
			body["days"] = 31
			status, data, h := e.do("POST", "/v1/licenses", "mint", body, "Idempotency-Key", "k-1")
			if p := e.problem(status, data, h, 409, "order_conflict"); len(p.Problems) == 0 || !strings.Contains(p.Problems[0], "exp") {
				t.Errorf("conflict: %s", data)
			}
			// An order in the body.
			body["days"], body["order"] = 30, "PO-7"
			status, data, _ = e.do("POST", "/v1/licenses", "mint", body)
			e.decode(data, &first)
			status2, data2, _ := e.do("POST", "/v1/licenses", "mint", body)
			e.decode(data2, &again)
			if status != 201 || status2 != 200 || again.ID != first.ID || again.Order != "PO-7" {
				t.Errorf("order retry: %d %d %s", status, status2, data2)
			}
			if log, _ := e.store.AuditLog(context.Background(), ""); countAction(log, "license.issued") != 2 {
				t.Errorf("audit: %d issues recorded, want 2 (retries record nothing)", countAction(log, "license.issued"))
			}
			status, data, h = e.do("POST", "/v1/licenses", "mint", map[string]any{"template": "pro", "sub": "x"}, "Idempotency-Key", strings.Repeat("k", 101))
			e.problem(status, data, h, 422, "invalid_terms")
		})
	}
}

func countAction(log []*AuditRecord, action string) int {
	n := 0
	for _, r := range log {
		if r.Action == action {
			n++
		}
	}
	return n
}

// TestPartnerToken: a partner:GRANT token sees the licenses of its
// grant only and can change nothing.
func TestPartnerToken(t *testing.T) {
	e := newEnv(t, backends()[0].open(t), Config{})
	mine := e.mint("vendor-customer", nil)
	// A license recorded under a grant: the partner mints it with its
	// own key; the vendor's ledger holds it (as royalty reports do).
	grantID, partnerLic := recordPartnerLicense(t, e)
	_, secret, err := e.store.Create(context.Background(), "globex", Role("partner:"+grantID))
	if err != nil {
		t.Fatal(err)
	}
	status, data, _ := e.do("GET", "/v1/licenses", secret, nil)
	var page listPage
	e.decode(data, &page)
	if status != 200 || len(page.Licenses) != 1 || page.Licenses[0].ID != partnerLic {
		t.Fatalf("partner list: %d %s", status, data)
	}
	if status, _, _ := e.do("GET", "/v1/licenses/"+partnerLic, secret, nil); status != 200 {
		t.Errorf("partner get of its license: %d", status)
	}
	status, data, h := e.do("GET", "/v1/licenses/"+mine.ID, secret, nil)
	e.problem(status, data, h, 404, httpserve.CodeNotFound)
	status, data, h = e.do("POST", "/v1/licenses", secret, `{"template":"pro","sub":"x"}`)
	e.problem(status, data, h, 403, httpserve.CodeForbidden)
	if _, err := ParseRole("partner:nothex"); err == nil {
		t.Error("ParseRole accepted partner:nothex")
	}
}

// TestTokenRevokedAndRateLimit: a revoked token is refused; a token over
// its rate gets 429 with Retry-After, and another token is unaffected.
func TestTokenRevokedAndRateLimit(t *testing.T) {
	e := newEnv(t, backends()[0].open(t), Config{Rate: 1, Burst: 3})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if status, data, _ := e.do("GET", "/v1/licenses", "read", nil); status != 200 {
			t.Fatalf("request %d: %d %s", i, status, data)
		}
	}
	status, data, h := e.do("GET", "/v1/licenses", "read", nil)
	e.problem(status, data, h, http.StatusTooManyRequests, httpserve.CodeRateLimited)
	if h.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if status, _, _ := e.do("GET", "/v1/licenses", "admin", nil); status != 200 {
		t.Errorf("another token: %d", status)
	}
	tok, err := e.store.Authenticate(ctx, e.tokens["mint"])
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	status, data, h = e.do("GET", "/v1/licenses", "mint", nil)
	e.problem(status, data, h, 401, httpserve.CodeUnauthenticated)
	if err := e.store.Revoke(ctx, tok.ID); err != ErrNoToken {
		t.Errorf("revoking twice: %v", err)
	}
	list, err := e.store.List(ctx)
	if err != nil || len(list) != 4 || list[1].Revoked.IsZero() == (list[1].ID == tok.ID) {
		t.Errorf("list: %v", err)
	}
}

// recordPartnerLicense grants globex (through the API) and records a
// license globex minted under the grant with its own key; it returns the
// grant's and the license's ids.
func recordPartnerLicense(t *testing.T, e *env) (string, string) {
	t.Helper()
	pk, err := keys.Generate(nil, "globex")
	if err != nil {
		t.Fatal(err)
	}
	status, data, _ := e.do("POST", "/v1/grants", "admin", map[string]any{"partner": "globex", "key": string(pk.Public().MarshalPEM()),
		"aud": []string{"acme-db"}, "tiers": []string{"*"}, "days": 365})
	if status != 201 {
		t.Fatalf("grant: %d %s", status, data)
	}
	var g LicenseView
	e.decode(data, &g)
	raw, _ := base64.StdEncoding.DecodeString(g.Token.Raw)
	is := &issue.Issuer{Name: "globex", PublicKey: pk.Public().Key, Ledger: e.led,
		Unlock: func() (crypto.Signer, error) { return pk.Signer(), nil }, Write: func(string, []byte, bool) error { return nil }}
	res, err := is.License(context.Background(), &issue.LicenseRequest{
		License: &token.License{Subject: "globex-customer", Audience: []string{"acme-db"}, Tier: "pro", Expiry: time.Now().Add(24 * time.Hour)},
		Grant:   raw, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	return g.ID, res.Entry.ID
}

// TestConcurrentRetries: requests with one Idempotency-Key sent at once
// get one license: exactly one is signed (201), the others return it
// (200, existing), and the ledger holds one entry for the key.
func TestConcurrentRetries(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), Config{Rate: 1000, Burst: 1000})
			const n = 8
			type answer struct {
				status int
				id     string
			}
			answers := make(chan answer, n)
			start := make(chan struct{})
			for i := 0; i < n; i++ {
				go func() {
					<-start
					status, data, _ := e.do("POST", "/v1/licenses", "mint", `{"template":"pro","sub":"race","days":30}`, "Idempotency-Key", "race-1")
					var v LicenseView
					_ = json.Unmarshal(data, &v)
					answers <- answer{status, v.ID}
				}()
			}
			close(start)
			created, ids := 0, map[string]bool{}
			for i := 0; i < n; i++ {
				a := <-answers
				switch a.status {
				case 201:
					created++
				case 200:
				default:
					t.Errorf("status %d", a.status)
				}
				ids[a.id] = true
			}
			if created != 1 || len(ids) != 1 {
				t.Errorf("%d signed, %d distinct licenses; want 1 and 1", created, len(ids))
			}
			if e.entries() != 1 {
				t.Errorf("the ledger holds %d entries", e.entries())
			}
		})
	}
}

// TestTokenCache: a token verified within a second is not read from the
// store again (a revocation made by another process, here another Store
// on the same database, is seen once the second is over), a wrong secret
// under a verified token's id is refused, and a revocation through the
// same Store is seen at once.
func TestTokenCache(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			location := b.open(t)
			e := newEnv(t, location, Config{})
			now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
			e.store.SetClock(func() time.Time { return now })
			secret := e.tokens["mint"]
			tok, err := e.store.Authenticate(ctx, secret)
			if err != nil {
				t.Fatal(err)
			}
			other, err := OpenStore(ctx, location)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			if err := other.Revoke(ctx, tok.ID); err != nil {
				t.Fatal(err)
			}
			if got, err := e.store.Authenticate(ctx, secret); err != nil || got.ID != tok.ID || got.Role != RoleMint {
				t.Errorf("within the second: %v %v", got, err)
			}
			if _, err := e.store.Authenticate(ctx, secret[:len(secret)-1]+"x"); err != ErrBadToken {
				t.Errorf("a wrong secret under a verified id: %v", err)
			}
			now = now.Add(tokenTTL)
			if _, err := e.store.Authenticate(ctx, secret); err != ErrBadToken {
				t.Errorf("revoked by another store, a second later: %v", err)
			}
			admin := e.tokens["admin"]
			atok, err := e.store.Authenticate(ctx, admin)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.store.Revoke(ctx, atok.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := e.store.Authenticate(ctx, admin); err != ErrBadToken {
				t.Errorf("revoked through the same store: %v", err)
			}
		})
	}
}

package server

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// TestAPI runs each endpoint's happy path on each backend.
func TestAPI(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), Config{})
			testMint(t, e)
			testListAndGet(t, e)
			testRenew(t, e)
			testRevokeAndRevocations(t, e)
			testExpiring(t, e)
			testGrant(t, e)
			testMetrics(t, e)
		})
	}
}

func testMint(t *testing.T, e *env) {
	v := e.mint("customer-1", map[string]any{"order": "PO-1", "limits": map[string]any{"seats": 5}, "meta": map[string]string{"crm": "42"}})
	if v.Kind != "license" || v.Subject != "customer-1" || v.Tier != "pro" || v.Order != "PO-1" || v.Existing || v.State.Status != "written" || !v.State.Written {
		t.Fatalf("minted %+v", v)
	}
	if v.Expiry == nil || v.Expiry.Sub(v.IssuedAt) != 365*24*time.Hour {
		t.Errorf("exp %v, iat %v: the template's 365 days", v.Expiry, v.IssuedAt)
	}
	res, err := e.verifier().Verify([]byte(v.Token.Text))
	if err != nil {
		t.Fatalf("the minted text form does not verify: %v", err)
	}
	lic := res.Claims
	if lic.Limits["seats"] != 5 || lic.Meta["crm"] != "42" || len(lic.Scopes) != 1 {
		t.Errorf("terms: %+v", lic)
	}
	raw, _ := base64.StdEncoding.DecodeString(v.Token.Raw)
	if u, err := token.ParseUnverified([]byte(v.Token.PEM)); err != nil || u == nil || len(raw) == 0 {
		t.Errorf("pem/raw forms: %v", err)
	}
	log, err := e.store.AuditLog(context.Background(), v.ID)
	if err != nil || len(log) != 1 || log[0].Action != "license.issued" || log[0].Order != "PO-1" {
		t.Fatalf("audit of the mint: %+v %v", log, err)
	}
	if tok, _ := e.store.Authenticate(context.Background(), e.tokens["mint"]); log[0].TokenID != tok.ID {
		t.Errorf("audit names token %s, not the mint token %s", log[0].TokenID, tok.ID)
	}
}

func testListAndGet(t *testing.T, e *env) {
	for i := 0; i < 4; i++ {
		e.mint(fmt.Sprintf("bulk-%d", i), nil)
	}
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		path := "/v1/licenses?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		status, data, _ := e.do("GET", path, "read", nil)
		if status != 200 {
			t.Fatalf("list: %d %s", status, data)
		}
		var page listPage
		e.decode(data, &page)
		for _, v := range page.Licenses {
			seen = append(seen, v.Subject)
		}
		if cursor = page.NextCursor; cursor == "" {
			if pages != 2 {
				t.Errorf("%d pages of 2 for 5 licenses", pages+1)
			}
			break
		}
	}
	if strings.Join(seen, ",") != "customer-1,bulk-0,bulk-1,bulk-2,bulk-3" {
		t.Errorf("paged through %v", seen)
	}
	status, data, _ := e.do("GET", "/v1/licenses?sub=bulk-2", "read", nil)
	var page listPage
	e.decode(data, &page)
	if status != 200 || len(page.Licenses) != 1 || page.Licenses[0].Subject != "bulk-2" || page.Licenses[0].Token != nil {
		t.Fatalf("filter sub: %d %s", status, data)
	}
	for path, want := range map[string]int{"/v1/licenses?order=PO-1": 1, "/v1/licenses?name=BULK": 4, "/v1/licenses?product=acme-db&tier=pro": 5, "/v1/licenses?product=nope": 0} {
		status, data, _ := e.do("GET", path, "read", nil)
		var p listPage
		e.decode(data, &p)
		if status != 200 || len(p.Licenses) != want {
			t.Errorf("GET %s: %d, %d licenses, want %d", path, status, len(p.Licenses), want)
		}
	}
	// By id, by order reference.
	for _, ref := range []string{page.Licenses[0].ID, "PO-1"} {
		status, data, _ := e.do("GET", "/v1/licenses/"+ref, "read", nil)
		var v LicenseView
		e.decode(data, &v)
		if status != 200 || v.Token == nil || v.Token.Text == "" || v.State == nil {
			t.Errorf("get %s: %d %s", ref, status, data)
		}
	}
	status, data, h := e.do("GET", "/v1/licenses/0123456789abcdef0123456789abcdef", "read", nil)
	e.problem(status, data, h, 404, "not_found")
}

func testRenew(t *testing.T, e *env) {
	old := e.mint("renew-me", map[string]any{"days": 10})
	status, data, _ := e.do("POST", "/v1/licenses/"+old.ID+"/renew", "mint", map[string]any{"days": 30, "order": "RN-1", "tier": "gold"})
	if status != http.StatusCreated {
		t.Fatalf("renew: %d %s", status, data)
	}
	var v LicenseView
	e.decode(data, &v)
	if v.RenewedFrom != old.ID || v.Tier != "gold" || !v.Expiry.Equal(old.Expiry.Add(30*24*time.Hour)) {
		t.Errorf("renewal %+v (old exp %v)", v, old.Expiry)
	}
	// A retry returns the same renewal.
	status, data, _ = e.do("POST", "/v1/licenses/"+old.ID+"/renew", "mint", map[string]any{"days": 30, "order": "RN-1", "tier": "gold"})
	var again LicenseView
	e.decode(data, &again)
	if status != 200 || !again.Existing || again.ID != v.ID {
		t.Errorf("renew retry: %d %s", status, data)
	}
	if log, _ := e.store.AuditLog(context.Background(), v.ID); len(log) != 1 || log[0].Action != "license.renewed" || log[0].Order != "RN-1" {
		t.Errorf("audit of the renewal: %+v", log)
	}
	status, data, _ = e.do("GET", "/v1/licenses/"+old.ID, "read", nil)
	var st LicenseView
	e.decode(data, &st)
	if st.State.Status != "renewed" || len(st.State.Renewed) != 1 || st.State.Renewed[0] != v.ID {
		t.Errorf("old after renewal: %d %s", status, data)
	}
}

func testRevokeAndRevocations(t *testing.T, e *env) {
	status, data, h := e.do("GET", "/v1/revocations", "", nil)
	var body revocationsBody
	e.decode(data, &body)
	if status != 200 || len(body.Lists) != 0 || h.Get("ETag") == "" {
		t.Fatalf("no list yet: %d %s", status, data)
	}
	empty := h.Get("ETag")
	v := e.mint("revoke-me", nil)
	status, data, _ = e.do("POST", "/v1/licenses/"+v.ID+"/revoke", "revoke", map[string]any{"next_update": "7d"})
	if status != http.StatusCreated {
		t.Fatalf("revoke: %d %s", status, data)
	}
	var rr revokeResponse
	e.decode(data, &rr)
	if rr.License.State.Status != "revoked" || rr.List.Seq != 1 || rr.AlreadyRevoked {
		t.Fatalf("revoke answer %s", data)
	}
	if log, _ := e.store.AuditLog(context.Background(), v.ID); len(log) != 2 || log[1].Action != "license.revoked" || log[1].Detail != "list "+rr.List.ID {
		t.Errorf("audit of the revocation: %+v", log)
	} else if tok, _ := e.store.Authenticate(context.Background(), e.tokens["revoke"]); log[1].TokenID != tok.ID {
		t.Errorf("the revocation is recorded with token %s, not the revoke token", log[1].TokenID)
	}
	// Again: already revoked, nothing signed.
	n := e.entries()
	status, data, _ = e.do("POST", "/v1/licenses/"+v.ID+"/revoke", "revoke", nil)
	e.decode(data, &rr)
	if status != 200 || !rr.AlreadyRevoked || e.entries() != n {
		t.Errorf("revoke again: %d %s", status, data)
	}
	status, data, _ = e.do("GET", "/v1/licenses?name=revoke-me&not_revoked=true", "read", nil)
	var page listPage
	e.decode(data, &page)
	if status != 200 || len(page.Licenses) != 0 {
		t.Errorf("not_revoked lists the revoked license: %s", data)
	}
	if status, data, _ = e.do("GET", "/v1/licenses/"+v.ID, "read", nil); !strings.Contains(string(data), `"by": "id"`) {
		t.Errorf("get of the revoked license: %d %s", status, data)
	}
	status, data, h = e.do("GET", "/v1/revocations", "", nil)
	e.decode(data, &body)
	etag := h.Get("ETag")
	if status != 200 || len(body.Lists) != 1 || etag == empty || etag == "" {
		t.Fatalf("revocations: %d %s (ETag %s)", status, data, etag)
	}
	lists, err := verify.ParseRevocations([]byte(body.Lists[0].Token.Text), e.keySet())
	if err != nil || len(lists) != 1 || lists[0].Claims().Seq != 1 || len(lists[0].Claims().IDs) != 1 || fmt.Sprintf("%x", lists[0].Claims().IDs[0]) != v.ID {
		t.Fatalf("the served list: %v", err)
	}
	status, data, h = e.do("GET", "/v1/revocations", "", nil, "If-None-Match", etag)
	if status != http.StatusNotModified || len(data) != 0 || h.Get("ETag") != etag {
		t.Errorf("If-None-Match current: %d %q", status, data)
	}
	status, _, _ = e.do("GET", "/v1/revocations", "", nil, "If-None-Match", empty)
	if status != 200 {
		t.Errorf("If-None-Match stale: %d", status)
	}
}

func testExpiring(t *testing.T, e *env) {
	soon := e.mint("soon", map[string]any{"days": 5})
	status, data, _ := e.do("GET", "/v1/expiring?within=7d", "read", nil)
	var resp expiringResponse
	e.decode(data, &resp)
	if status != 200 || len(resp.Licenses) != 1 || resp.Licenses[0].ID != soon.ID {
		t.Errorf("expiring within 7d: %d %s", status, data)
	}
	status, data, _ = e.do("GET", "/v1/expiring?within=400", "read", nil)
	e.decode(data, &resp)
	for _, v := range resp.Licenses {
		if v.State.Status != "written" || v.Subject == "revoke-me" {
			t.Errorf("expiring lists %s (%s)", v.Subject, v.State.Status)
		}
	}
	if status != 200 || len(resp.Licenses) < 6 {
		t.Errorf("expiring within 400 days: %d, %d licenses", status, len(resp.Licenses))
	}
}

func testGrant(t *testing.T, e *env) {
	partner, err := keys.Generate(nil, "globex")
	if err != nil {
		t.Fatal(err)
	}
	status, data, _ := e.do("POST", "/v1/grants", "admin", map[string]any{
		"partner": "globex", "key": string(partner.Public().MarshalPEM()), "aud": []string{"acme-db"}, "tiers": []string{"pro"},
		"scopes": []string{"api:*"}, "limits": map[string]any{"seats": 50}, "days": 365, "max_life": "365d"})
	if status != http.StatusCreated {
		t.Fatalf("grant: %d %s", status, data)
	}
	var v LicenseView
	e.decode(data, &v)
	if v.Kind != "grant" || v.Subject != "globex" {
		t.Fatalf("grant: %s", data)
	}
	u, err := token.ParseUnverified([]byte(v.Token.Text))
	if err != nil || u.Grant == nil || u.Grant.Limits["seats"] != 50 || !u.Grant.Key.Equal(partner.Public().Key) {
		t.Fatalf("the grant: %v", err)
	}
	if !ed25519.Verify(e.key.Public().Key, u.Message.AppendToBeSigned(nil), u.Message.Signature) {
		t.Fatal("the grant's signature does not verify")
	}
	if log, _ := e.store.AuditLog(context.Background(), v.ID); len(log) != 1 || log[0].Action != "grant.issued" {
		t.Errorf("audit of the grant: %+v", log)
	}
	var kinds []ledger.Kind
	all, _ := e.led.List(context.Background(), ledger.Filter{Kind: ledger.KindGrant})
	for _, x := range all {
		kinds = append(kinds, x.Kind)
	}
	if len(kinds) != 1 {
		t.Errorf("grants in the ledger: %v", kinds)
	}
}

func testMetrics(t *testing.T, e *env) {
	status, data, _ := e.do("GET", "/metrics", "", nil)
	for _, want := range []string{`licet_issued_total{kind="license"} 8`, `licet_issued_total{kind="renewal"} 1`, `licet_issued_total{kind="revocations"} 1`,
		`licet_issued_total{kind="grant"} 1`, `licet_http_requests_total{code="201",route="POST /v1/licenses"} 8`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("/metrics (%d) lacks %s:\n%s", status, want, grepLines(string(data), "licet_"))
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(l, "#") && !strings.Contains(l, "bucket") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// countingSigner is a crypto.Signer that is not an ed25519.PrivateKey
// (as a hardware key would not be), counting its signatures.
type countingSigner struct {
	inner crypto.Signer
	n     atomic.Int64
}

func (c *countingSigner) Public() crypto.PublicKey { return c.inner.Public() }

func (c *countingSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	c.n.Add(1)
	return c.inner.Sign(rand, digest, opts)
}

// TestSignsThroughSigner: every signature of the API (the license and
// its log's checkpoint, a revocation list) goes through the Issuer's
// crypto.Signer, so a hardware key can take the place of the key file.
func TestSignsThroughSigner(t *testing.T) {
	e := newEnv(t, backends()[0].open(t), Config{})
	cs := &countingSigner{inner: e.key.Signer()}
	e.srv.cfg.Issuer.Unlock = func() (crypto.Signer, error) { return cs, nil }
	v := e.mint("hsm-customer", nil)
	if _, err := e.verifier().Verify([]byte(v.Token.Text)); err != nil {
		t.Fatalf("the license signed through the Signer: %v", err)
	}
	afterMint := cs.n.Load()
	if afterMint < 2 {
		t.Errorf("%d signatures through the Signer for a mint, want the license's and the checkpoint's", afterMint)
	}
	if status, data, _ := e.do("POST", "/v1/licenses/"+v.ID+"/revoke", "revoke", nil); status != 201 {
		t.Fatalf("revoke: %d %s", status, data)
	}
	if cs.n.Load() < afterMint+2 {
		t.Errorf("the revocation list was not signed through the Signer (%d, then %d)", afterMint, cs.n.Load())
	}
}

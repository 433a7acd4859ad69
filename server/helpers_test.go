package server

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/verify"
)

type backend struct {
	name string
	open func(t testing.TB) string
}

// backends returns SQLite and, when LICET_TEST_POSTGRES is set,
// PostgreSQL.
func backends() []backend {
	return []backend{
		{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "licet.db") }},
		{"postgres", func(t testing.TB) string { return pgtest.Location(t, "licet_server_test") }},
	}
}

const testPolicy = `
[products.acme-db]
name = "Acme DB"

[templates.pro]
products = ["acme-db"]
scopes   = ["api:read"]
limits   = { seats = 25 }
days     = 365

[royalties]
currency = "EUR"

[royalties.prices.pro]
flat = "50"
`

// env is a running API on loopback with a token of each role.
type env struct {
	t      *testing.T
	url    string
	led    *ledger.Ledger
	store  *Store
	key    *keys.PrivateKey
	tokens map[string]string // role -> secret
	srv    *Server
	hs     *httpserve.Server
}

func newEnv(t *testing.T, location string, cfg Config) *env {
	t.Helper()
	ctx := context.Background()
	led, err := ledger.Open(ctx, location)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	store, err := OpenStore(ctx, location)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	k, err := keys.Generate(nil, "acme")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Parse([]byte(testPolicy), "licet.toml")
	if err != nil {
		t.Fatal(err)
	}
	is := &issue.Issuer{Name: "acme", PublicKey: k.Public().Key, Ledger: led,
		Unlock: func() (crypto.Signer, error) { return k.Signer(), nil },
		Write:  func(string, []byte, bool) error { return nil }}
	if cfg.Policy == nil {
		cfg.Policy = pol
	}
	cfg.Issuer, cfg.Store = is, store
	srv := New(cfg)
	hs := httpserve.New(httpserve.Config{MaxBody: 64 << 10, Ready: srv.Ready})
	srv.Register(hs)
	ts := httptest.NewServer(hs.Handler())
	t.Cleanup(ts.Close)
	e := &env{t: t, url: ts.URL, led: led, store: store, key: k, tokens: map[string]string{}, srv: srv, hs: hs}
	for _, role := range []Role{RoleRead, RoleMint, RoleRevoke, RoleAdmin} {
		_, secret, err := store.Create(ctx, "test "+string(role), role)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[string(role)] = secret
	}
	return e
}

// do sends a request with the token of role ("" for none) and returns
// the status and body.
func (e *env) do(method, path, role string, body any, headers ...string) (int, []byte, http.Header) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		secret, ok := e.tokens[role]
		if !ok {
			secret = role // a raw secret
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, data, resp.Header
}

// decode decodes data into v, failing the test on error.
func (e *env) decode(data []byte, v any) {
	e.t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		e.t.Fatalf("decoding %s: %v", data, err)
	}
}

// problem decodes a problem response and checks its status and code.
func (e *env) problem(status int, data []byte, h http.Header, wantStatus int, wantCode string) *httpserve.Problem {
	e.t.Helper()
	if status != wantStatus {
		e.t.Fatalf("status %d, want %d: %s", status, wantStatus, data)
	}
	if ct := h.Get("Content-Type"); ct != "application/problem+json" {
		e.t.Fatalf("Content-Type %q: %s", ct, data)
	}
	var p httpserve.Problem
	e.decode(data, &p)
	if p.Code != wantCode || p.Status != wantStatus || p.Detail == "" {
		e.t.Fatalf("problem %+v, want code %s", p, wantCode)
	}
	return &p
}

// entries counts the ledger's entries.
func (e *env) entries() int {
	e.t.Helper()
	all, err := e.led.List(context.Background(), ledger.Filter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(all)
}

// mint mints a license from the pro template and returns its view.
func (e *env) mint(sub string, extra map[string]any) *LicenseView {
	e.t.Helper()
	body := map[string]any{"template": "pro", "sub": sub}
	for k, v := range extra {
		body[k] = v
	}
	status, data, _ := e.do("POST", "/v1/licenses", "mint", body)
	if status != http.StatusCreated {
		e.t.Fatalf("mint: %d %s", status, data)
	}
	var v LicenseView
	e.decode(data, &v)
	return &v
}

var _ = time.Second

// keySet trusts the test key.
func (e *env) keySet() *verify.KeySet {
	e.t.Helper()
	ks, err := verify.NewKeySet(verify.Key{PublicKey: e.key.Public().Key, Issuer: "acme"})
	if err != nil {
		e.t.Fatal(err)
	}
	return ks
}

// verifier verifies licenses of acme-db signed by the test key.
func (e *env) verifier() *verify.Verifier {
	e.t.Helper()
	v, err := verify.New(e.keySet(), verify.WithProduct("acme-db"))
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

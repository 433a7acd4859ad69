package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licet/licet/internal/seattest"
	"github.com/licet/licet/machine"
	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// world is a vendor key, a license directory and a clock.
type world struct {
	t    *testing.T
	priv ed25519.PrivateKey
	dir  string
	now  atomic.Int64
	n    byte
}

func newWorld(t *testing.T) *world {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, priv: priv, dir: t.TempDir()}
	w.now.Store(t0.UnixNano())
	return w
}

func (w *world) clock() time.Time        { return time.Unix(0, w.now.Load()).UTC() }
func (w *world) advance(d time.Duration) { w.now.Add(int64(d)) }

// config is the product's configuration with the test's key, clock and
// files, and nothing from the real machine.
func (w *world) config() sdk.Config {
	der, err := x509.MarshalPKIXPublicKey(w.priv.Public())
	if err != nil {
		w.t.Fatal(err)
	}
	cfg := appConfig(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), "acme")
	cfg.LicensePath = filepath.Join(w.dir, "license.lic")
	cfg.RevocationsPath = filepath.Join(w.dir, "revoked.pem")
	cfg.StatePath = filepath.Join(w.dir, "state.json")
	cfg.EnvVar, cfg.ConfigDirName = "-", "-"
	cfg.Clock = w.clock
	cfg.Machine = &machine.Machine{
		Getenv:   func(string) string { return "" },
		ReadFile: func(string) ([]byte, error) { return []byte("test-machine"), nil },
	}
	return cfg
}

// license mints a license into the license file and returns its claims.
func (w *world) license(mod func(*token.License)) *token.License {
	w.n++
	id := make([]byte, token.IDSize)
	id[0] = w.n
	l := &token.License{
		Issuer: "acme", Subject: "customer-42", Audience: []string{product},
		IssuedAt: t0.Add(-time.Hour), Expiry: t0.Add(30 * 24 * time.Hour), ID: id,
		Tier: "pro", Scopes: []string{"api:read", "reports:read"},
		Limits: map[string]uint64{"seats": 10, "rpm": 1000},
	}
	if mod != nil {
		mod(l)
	}
	raw, err := token.SignLicense(w.priv, l, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	w.write("license.lic", token.EncodePEM(raw, token.PEMLicense, nil))
	return l
}

func (w *world) revoke(seq uint64, ids ...[]byte) {
	raw, err := token.SignRevocations(w.priv, &token.Revocations{
		Issuer: "acme", IssuedAt: w.clock().Add(-time.Minute), NextUpdate: w.clock().Add(7 * 24 * time.Hour), Seq: seq, IDs: ids,
	})
	if err != nil {
		w.t.Fatal(err)
	}
	w.write("revoked.pem", token.EncodePEM(raw, token.PEMRevocations, nil))
}

func (w *world) write(name string, data []byte) {
	p := filepath.Join(w.dir, name)
	if err := os.WriteFile(p+".tmp", data, 0o644); err != nil {
		w.t.Fatal(err)
	}
	if err := os.Rename(p+".tmp", p); err != nil {
		w.t.Fatal(err)
	}
}

// response is what a test checks of an answer.
type response struct {
	status int
	code   string // problem code, "" for success
	scope  string
	body   map[string]any
}

func get(t *testing.T, srv *httptest.Server, path string) response {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{status: resp.StatusCode}
	if err := json.Unmarshal(data, &r.body); err != nil && resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %q", path, resp.StatusCode, data)
	}
	if resp.StatusCode != 200 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("GET %s: %d with Content-Type %q", path, resp.StatusCode, ct)
		}
		r.code, _ = r.body["code"].(string)
		r.scope, _ = r.body["scope"].(string)
	}
	return r
}

func TestEndToEnd(t *testing.T) {
	type want struct {
		path   string
		status int
		code   string
		scope  string
	}
	tests := []struct {
		name    string
		setup   func(w *world)
		loadErr verify.Code // code Load reports, "" for none
		wants   []want
	}{
		{
			name:  "valid pro",
			setup: func(w *world) { w.license(nil) },
			wants: []want{
				{"/healthz", 200, "", ""},
				{"/api/hello", 200, "", ""},
				{"/api/reports", 200, "", ""},
				{"/admin/stats", 403, "scope_missing", "admin:stats"},
			},
		},
		{
			name:  "valid free",
			setup: func(w *world) { w.license(func(l *token.License) { l.Tier = "free"; l.Scopes = []string{"api:read"} }) },
			wants: []want{
				{"/api/hello", 200, "", ""},
				{"/api/reports", 403, "tier_too_low", ""},
			},
		},
		{
			name:  "pro tier without the scope",
			setup: func(w *world) { w.license(func(l *token.License) { l.Scopes = []string{"api:read"} }) },
			wants: []want{
				{"/api/hello", 200, "", ""},
				{"/api/reports", 403, "scope_missing", "reports:read"},
			},
		},
		{
			name: "enterprise admin",
			setup: func(w *world) {
				w.license(func(l *token.License) { l.Tier = "enterprise"; l.Scopes = []string{"api:*", "reports:*", "admin:*"} })
			},
			wants: []want{
				{"/api/hello", 200, "", ""},
				{"/api/reports", 200, "", ""},
				{"/admin/stats", 200, "", ""},
			},
		},
		{
			name: "expired",
			setup: func(w *world) {
				w.license(func(l *token.License) { l.IssuedAt = t0.Add(-60 * 24 * time.Hour); l.Expiry = t0.Add(-24 * time.Hour) })
			},
			loadErr: verify.CodeExpired,
			wants: []want{
				{"/healthz", 200, "", ""},
				{"/api/hello", 403, "expired", ""},
				{"/admin/stats", 403, "expired", ""},
			},
		},
		{
			name:    "wrong product",
			setup:   func(w *world) { w.license(func(l *token.License) { l.Audience = []string{"other-app"} }) },
			loadErr: verify.CodeWrongProduct,
			wants:   []want{{"/api/hello", 403, "wrong_product", ""}},
		},
		{
			name: "revoked",
			setup: func(w *world) {
				l := w.license(nil)
				w.revoke(1, l.ID)
			},
			loadErr: verify.CodeRevoked,
			wants:   []want{{"/api/hello", 403, "revoked", ""}},
		},
		{
			name: "in grace",
			setup: func(w *world) {
				w.license(func(l *token.License) {
					l.IssuedAt = t0.Add(-30 * 24 * time.Hour)
					l.Expiry = t0.Add(-24 * time.Hour)
					l.Grace = 7 * 24 * time.Hour
				})
			},
			wants: []want{
				{"/api/hello", 200, "", ""},
				{"/api/reports", 200, "", ""},
			},
		},
		{
			name:    "no license",
			setup:   func(w *world) {},
			loadErr: sdk.CodeNoLicense,
			wants:   []want{{"/healthz", 200, "", ""}, {"/api/hello", 403, "no_license", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.setup(w)
			lic, err := sdk.Load(w.config())
			if lic == nil {
				t.Fatalf("Load: %v", err)
			}
			if got := verify.Code(sdk.CodeOf(err)); got != tt.loadErr {
				t.Fatalf("Load error %v (%q), want %q", err, got, tt.loadErr)
			}
			srv := httptest.NewServer(newHandler(lic))
			defer srv.Close()
			for _, wt := range tt.wants {
				r := get(t, srv, wt.path)
				if r.status != wt.status || r.code != wt.code || r.scope != wt.scope {
					t.Errorf("GET %s: %d %q %q, want %d %q %q (%v)", wt.path, r.status, r.code, r.scope, wt.status, wt.code, wt.scope, r.body)
				}
			}
			st := get(t, srv, "/license")
			if st.body["licensed"] != (tt.loadErr == "") {
				t.Errorf("/license: %v", st.body)
			}
			if tt.name == "in grace" && st.body["in_grace"] != true {
				t.Errorf("/license in grace: %v", st.body)
			}
		})
	}
}

// TestLifecycle runs the service through a license's life while it
// serves: installed late, expiring, in grace, expired, renewed, revoked.
func TestLifecycle(t *testing.T) {
	w := newWorld(t)
	lic, err := sdk.Load(w.config())
	if sdk.CodeOf(err) != sdk.CodeNoLicense {
		t.Fatalf("Load: %v", err)
	}
	srv := httptest.NewServer(newHandler(lic))
	defer srv.Close()
	status := func(path string) int { return get(t, srv, path).status }
	if status("/api/hello") != 403 {
		t.Fatal("unlicensed service serves")
	}

	first := w.license(func(l *token.License) { l.Expiry = t0.Add(24 * time.Hour); l.Grace = 24 * time.Hour })
	if err := lic.Reload(); err != nil {
		t.Fatal(err)
	}
	if status("/api/hello") != 200 {
		t.Fatal("installed license not in effect")
	}
	w.advance(36 * time.Hour) // in grace
	if status("/api/reports") != 200 || get(t, srv, "/license").body["in_grace"] != true {
		t.Fatal("in grace")
	}
	w.advance(24 * time.Hour) // past grace, nobody reloaded
	if r := get(t, srv, "/api/hello"); r.status != 403 || r.code != "expired" {
		t.Fatalf("expired: %+v", r)
	}
	second := w.license(func(l *token.License) { l.IssuedAt = w.clock(); l.Expiry = w.clock().AddDate(1, 0, 0) })
	if err := lic.Reload(); err != nil {
		t.Fatal(err)
	}
	if status("/api/hello") != 200 {
		t.Fatal("renewal not in effect")
	}
	w.revoke(1, first.ID)
	if err := lic.Reload(); err != nil || status("/api/hello") != 200 {
		t.Fatalf("revoking the old license affects the new one: %v", err)
	}
	w.revoke(2, first.ID, second.ID)
	if err := lic.Reload(); sdk.CodeOf(err) != "revoked" {
		t.Fatalf("Reload: %v", err)
	}
	if r := get(t, srv, "/api/hello"); r.status != 403 || r.code != "revoked" {
		t.Fatalf("revoked: %+v", r)
	}
}

func TestRateLimited(t *testing.T) {
	w := newWorld(t)
	w.license(func(l *token.License) { l.Limits = map[string]uint64{"rpm": 2} })
	lic, err := sdk.Load(w.config())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(lic))
	defer srv.Close()
	steps := []struct {
		path   string
		status int
		code   string
	}{
		{"/api/hello", 200, ""},
		// Refused by the license before the limit, and not counted.
		{"/admin/stats", 403, "scope_missing"},
		{"/admin/stats", 403, "scope_missing"},
		{"/admin/stats", 403, "scope_missing"},
		{"/healthz", 200, ""},
		{"/api/reports", 200, ""},
		{"/api/hello", 429, sdk.CodeRateLimited},
		{"/admin/stats", 403, "scope_missing"},
		{"/healthz", 200, ""},
	}
	for i, st := range steps {
		if r := get(t, srv, st.path); r.status != st.status || r.code != st.code {
			t.Errorf("request %d, %s: %d %q, want %d %q", i, st.path, r.status, r.code, st.status, st.code)
		}
	}
}

// TestRun starts the service as main does, on a real listener, and stops
// it by cancelling the context. A license dropped in while it runs is
// picked up by the watcher.
func TestRun(t *testing.T) {
	w := newWorld(t)
	cfg := w.config()
	cfg.Clock = nil // the watcher polls on real time
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, 10*time.Millisecond, ln, log.New(&logs, "", 0)) }()

	url := "http://" + ln.Addr().String()
	get := func(path string) int {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/healthz") != 200 || get("/api/hello") != 403 {
		t.Fatal("unlicensed service")
	}
	now := time.Now()
	w.license(func(l *token.License) { l.IssuedAt = now.Add(-time.Minute); l.Expiry = now.Add(time.Hour) })
	deadline := time.Now().Add(10 * time.Second)
	for get("/api/hello") != 200 {
		if time.Now().After(deadline) {
			t.Fatalf("license not picked up; log:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"unlicensed until a license is installed", "license for customer-42 (pro) in effect"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}

	// A broken configuration is an error from run, not a crash.
	bad := cfg
	bad.TrustedKeys = nil
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	if err := run(context.Background(), bad, time.Second, ln2, log.New(io.Discard, "", 0)); err == nil {
		t.Error("run with no trusted key succeeded")
	}
}

// TestRunOnLease: with a lease server, the service takes a seat at start
// (bound to this machine, verified under the site grant), serves what the
// lease allows, and gives the seat back when it stops.
func TestRunOnLease(t *testing.T) {
	w := newWorld(t)
	seats := seattest.New(t, seattest.Options{Vendor: w.priv, Issuer: "acme", Site: "site-hq", Product: product,
		Seats: 1, Lease: time.Hour})
	cfg := w.config()
	cfg.Clock = nil
	cfg.LicensePath, cfg.StatePath, cfg.RevocationsPath = "", "", ""
	cfg.LeaseServer = seats.URL
	cfg.LeasePath = filepath.Join(w.dir, "lease.lic")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, 10*time.Millisecond, ln, log.New(&logs, "", 0)) }()

	url := "http://" + ln.Addr().String()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "/api/hello")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no lease in effect; log:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	fp, _ := cfg.Machine.Fingerprint(product)
	if got := seats.Leases(); len(got) != 1 {
		t.Fatalf("server leases %v, want one", got)
	} else {
		for _, f := range got {
			if f != fp {
				t.Fatalf("lease bound to %s, want this machine's %s", f, fp)
			}
		}
	}
	if resp, err := http.Get(url + "/admin/stats"); err != nil || resp.StatusCode != 403 {
		t.Fatalf("/admin/stats on a lease with api:read only: %v %v", resp, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if c := seats.Counts(); c.Releases != 1 || len(seats.Leases()) != 0 {
		t.Fatalf("after the service stopped: %+v, leases %v; want the seat given back", c, seats.Leases())
	}
	if _, err := os.Stat(cfg.LeasePath); !os.IsNotExist(err) {
		t.Fatalf("lease file after the release: %v", err)
	}
}

// TestSandboxKey checks that the embedded key is the sandbox key the
// rest of licet uses, so that `licet mint --key sandbox` licenses work
// with the example.
func TestSandboxKey(t *testing.T) {
	seed := sha256.Sum256([]byte("licet sandbox key v1"))
	want := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	got, err := verify.ParsePublicKeyPEM(vendorKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("sandbox.pub is not the sandbox key")
	}
	cfg := appConfig(vendorKey, issuer)
	cfg.EnvVar, cfg.ConfigDirName = "-", "-"
	if lic, err := sdk.Load(cfg); lic == nil {
		t.Fatalf("the example's configuration is broken: %v", err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Example serves the example's endpoints without a license: the health
// check answers, the gated endpoints refuse with problem+json.
func Example() {
	cfg := appConfig(vendorKey, issuer)
	cfg.EnvVar, cfg.ConfigDirName = "-", "-"
	lic, err := sdk.Load(cfg)
	fmt.Println(sdk.CodeOf(err))

	h := newHandler(lic)
	for _, path := range []string{"/healthz", "/api/hello"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Print(path, " ", rec.Code, " ", rec.Body)
	}
	// Output:
	// no_license
	// /healthz 200 ok
	// /api/hello 403 {"type":"urn:licet:problem:no_license","title":"No valid license","status":403,"detail":"no valid license is installed","code":"no_license"}
}

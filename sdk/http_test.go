package sdk_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })

// serve runs one request through h and decodes a problem body if any.
func serve(t *testing.T, h http.Handler) (*httptest.ResponseRecorder, *sdk.Problem) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code == http.StatusOK {
		return rec, nil
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("status %d with Content-Type %q", rec.Code, ct)
	}
	var p sdk.Problem
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body: %v", err)
	}
	if p.Status != rec.Code {
		t.Errorf("problem status %d, response %d", p.Status, rec.Code)
	}
	if p.Type != sdk.DefaultProblemType+p.Code {
		t.Errorf("problem type %q for code %q", p.Type, p.Code)
	}
	return rec, &p
}

func TestRequire(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) {
		l.Expiry = t0.Add(time.Hour)
	})))
	lic := mustLoad(t, cfg)

	tests := []struct {
		name   string
		h      http.Handler
		status int
		code   string
		scope  string
		tier   string
	}{
		{"no scope needed", lic.Require()(okHandler), 200, "", "", ""},
		{"scope granted", lic.Require("api:read")(okHandler), 200, "", "", ""},
		{"pattern granted", lic.Require("api:read", "reports:monthly")(okHandler), 200, "", "", ""},
		{"scope missing", lic.Require("api:read", "admin", "billing")(okHandler), 403, "scope_missing", "admin", ""},
		{"tier enough", lic.RequireTier("pro")(okHandler), 200, "", "", ""},
		{"lower tier required", lic.RequireTier("free")(okHandler), 200, "", "", ""},
		{"tier too low", lic.RequireTier("enterprise")(okHandler), 403, "tier_too_low", "", "enterprise"},
		{"tier unknown", lic.RequireTier("platinum")(okHandler), 403, "tier_too_low", "", "platinum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, p := serve(t, tt.h)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.status == 200 {
				if rec.Body.String() != "ok" {
					t.Errorf("body %q", rec.Body)
				}
				return
			}
			if p.Code != tt.code || p.Scope != tt.scope || p.Tier != tt.tier || p.Title == "" || p.Detail == "" {
				t.Errorf("problem %+v", p)
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Error("refusal is cacheable")
			}
		})
	}

	// Expired since loading: 403 with the code, on every middleware.
	v.clock.Add(2 * time.Hour)
	for name, h := range map[string]http.Handler{
		"Require":     lic.Require()(okHandler),
		"RequireTier": lic.RequireTier("free")(okHandler),
	} {
		rec, p := serve(t, h)
		if rec.Code != 403 || p.Code != "expired" || p.Title != "License expired" || p.Detail != "the license has expired" {
			t.Errorf("%s after expiry: %d %+v", name, rec.Code, p)
		}
	}
}

func TestRequireRefusals(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	cfg.ProblemType = "https://docs.example.com/licensing#"

	// Nothing installed.
	unlicensed, _ := sdk.Load(cfg)
	// An expired license found at load.
	write(t, v.path("expired.lic"), v.mint(v.license(func(l *token.License) {
		l.IssuedAt = t0.Add(-48 * time.Hour)
		l.Expiry = t0.Add(-24 * time.Hour)
	})))
	c2 := cfg
	c2.LicensePath = v.path("expired.lic")
	expired, _ := sdk.Load(c2)

	tests := []struct {
		name, code, detail string
		lic                *sdk.License
	}{
		{"nil handle", "no_license", "no valid license is installed", nil},
		{"nothing installed", "no_license", "no valid license is installed", unlicensed},
		{"expired at load", "expired", "the license has expired", expired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.lic.Require("api:read")(okHandler).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			var p sdk.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if rec.Code != 403 || p.Code != tt.code || !strings.HasPrefix(p.Detail, tt.detail) {
				t.Errorf("%d %+v", rec.Code, p)
			}
			wantType := "https://docs.example.com/licensing#" + tt.code
			if tt.lic == nil {
				wantType = sdk.DefaultProblemType + tt.code
			}
			if p.Type != wantType {
				t.Errorf("type %q, want %q", p.Type, wantType)
			}
			// No file path leaks to the client.
			if strings.Contains(rec.Body.String(), v.dir) {
				t.Errorf("body names a path: %s", rec.Body)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.Limits = map[string]uint64{"rpm": 3} })))
	lic := mustLoad(t, cfg)
	h := lic.RateLimit()(okHandler)

	for i := 0; i < 3; i++ {
		if rec, _ := serve(t, h); rec.Code != 200 {
			t.Fatalf("request %d: %d", i, rec.Code)
		}
	}
	rec, p := serve(t, h)
	if rec.Code != http.StatusTooManyRequests || p.Code != sdk.CodeRateLimited || rec.Header().Get("Retry-After") != "20" {
		t.Fatalf("4th request: %d %q %+v", rec.Code, rec.Header().Get("Retry-After"), p)
	}
	// A refused request does not use up the budget: 20 s later one passes.
	v.clock.Add(19 * time.Second)
	if rec, _ := serve(t, h); rec.Code != 429 || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("after 19 s: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	v.clock.Add(time.Second)
	if rec, _ := serve(t, h); rec.Code != 200 {
		t.Fatalf("after 20 s: %d", rec.Code)
	}
	if rec, _ := serve(t, h); rec.Code != 429 {
		t.Fatalf("right after: %d", rec.Code)
	}

	// A new license with another limit takes effect: the bucket is
	// resized, not refilled; a minute at the new rate fills it.
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.Limits = map[string]uint64{"rpm": 600} })))
	if err := lic.Reload(); err != nil {
		t.Fatal(err)
	}
	if rec, _ := serve(t, h); rec.Code != 429 {
		t.Fatalf("right after the switch to rpm 600: %d, want the bucket kept (empty)", rec.Code)
	}
	v.clock.Add(time.Minute)
	for i := 0; i < 600; i++ {
		if rec, _ := serve(t, h); rec.Code != 200 {
			t.Fatalf("rpm 600, request %d: %d", i, rec.Code)
		}
	}
	if rec, _ := serve(t, h); rec.Code != 429 || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("request 601: %d", rec.Code)
	}

	// rpm 0 allows nothing.
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.Limits = map[string]uint64{"rpm": 0} })))
	if err := lic.Reload(); err != nil {
		t.Fatal(err)
	}
	if rec, _ := serve(t, h); rec.Code != 429 || rec.Header().Get("Retry-After") != "60" {
		t.Fatalf("rpm 0: %d %q", rec.Code, rec.Header().Get("Retry-After"))
	}

	// No rpm limit, or no license: not limited here.
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.Limits = nil })))
	if err := lic.Reload(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		if rec, _ := serve(t, h); rec.Code != 200 {
			t.Fatalf("no limit, request %d: %d", i, rec.Code)
		}
	}
	var none *sdk.License
	if rec, _ := serve(t, none.RateLimit()(okHandler)); rec.Code != 200 {
		t.Fatalf("nil license: %d", rec.Code)
	}
}

func TestCodeOf(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{sdk.ErrUnlicensed, "no_license"},
		{&sdk.ClockRollbackError{}, "clock_rollback"},
		{fmt.Errorf("wrapped: %w", &sdk.ListRollbackError{}), "list_rollback"},
		{&sdk.RevocationsError{Err: verify.CodeBadSignature}, "revocations_invalid"},
		{&sdk.StateError{Err: errors.New("x")}, "state_invalid"},
		{&sdk.LoadError{}, "no_license"},
		{&sdk.LoadError{Candidates: []sdk.Candidate{{Err: verify.CodeRevoked}}}, "revoked"},
		{verify.CodeScopeMissing, "scope_missing"},
		{errors.New("disk on fire"), "internal"},
	}
	for _, tt := range tests {
		if got := sdk.CodeOf(tt.err); got != tt.want {
			t.Errorf("CodeOf(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestRateLimitSurvivesReloads: swapping between two licenses with
// different rpm limits does not refill the bucket (issue 9, item 11).
func TestRateLimitSurvivesReloads(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	a := v.mint(v.license(func(l *token.License) { l.Limits = map[string]uint64{"rpm": 5} }))
	b := v.mint(v.license(func(l *token.License) { l.Limits = map[string]uint64{"rpm": 6} }))
	write(t, cfg.LicensePath, a)
	lic := mustLoad(t, cfg)
	h := lic.RateLimit()(okHandler)
	passed := 0
	for i := 0; i < 20; i++ {
		// Swap the license before every request, as an attacker who can
		// write the license file (or a product that reloads a lot) might.
		write(t, cfg.LicensePath, [][]byte{a, b}[i%2])
		if err := lic.Reload(); err != nil {
			t.Fatal(err)
		}
		if rec, _ := serve(t, h); rec.Code == 200 {
			passed++
		}
	}
	if passed > 6 {
		t.Errorf("%d of 20 requests passed within one instant while swapping rpm 5 and 6 licenses; at most 6 may", passed)
	}
	// The refill goes on at the limit of the license in effect.
	v.clock.Add(10 * time.Second) // rpm 5 or 6: one token
	if rec, _ := serve(t, h); rec.Code != 200 {
		t.Errorf("after 10 s: %d", rec.Code)
	}
	// A lower limit caps what is left.
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.Limits = map[string]uint64{"rpm": 1} })))
	if err := lic.Reload(); err != nil {
		t.Fatal(err)
	}
	v.clock.Add(time.Hour)
	codes := []int{}
	for i := 0; i < 3; i++ {
		rec, _ := serve(t, h)
		codes = append(codes, rec.Code)
	}
	if codes[0] != 200 || codes[1] != 429 || codes[2] != 429 {
		t.Errorf("rpm 1 after an hour: %v, want one request through", codes)
	}
}

// TestProblemBodiesTellNothing: a refused client learns the code and a
// generic message, never fingerprints, products, issuers, subjects,
// tiers, limits or paths; those go to Config.Logger (issue 9, item 13).
func TestProblemBodiesTellNothing(t *testing.T) {
	v := newVendor(t, "vendor")
	var logBuf strings.Builder
	cfg := v.config()
	cfg.Logger = slog.New(slog.NewTextHandler(&logBuf, nil))
	fp, err := testMachine.Fingerprint(product)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{fp, "acme", product, "customer-42", v.dir, "other-host-fingerprint", `"pro"`, "7 requests", "allows 7"}

	// Bound to another machine: the verify message names both values.
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) {
		l.Bind = map[string]string{"host": "other-host-fingerprint"}
	})))
	bound, _ := sdk.Load(cfg)
	// A license in effect, with a tier and an rpm limit.
	c2 := cfg
	c2.LicensePath = v.path("ok.lic")
	write(t, c2.LicensePath, v.mint(v.license(func(l *token.License) { l.Limits = map[string]uint64{"rpm": 7} })))
	ok := mustLoad(t, c2)
	rl := ok.RateLimit()(okHandler)
	for i := 0; i < 7; i++ {
		serve(t, rl)
	}

	for _, tt := range []struct {
		name, code string
		h          http.Handler
	}{
		{"binding mismatch", "binding_mismatch", bound.Require()(okHandler)},
		{"scope missing", "scope_missing", ok.Require("admin")(okHandler)},
		{"tier too low", "tier_too_low", ok.RequireTier("enterprise")(okHandler)},
		{"rate limited", "rate_limited", rl},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logBuf.Reset()
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
			body := rec.Body.String()
			var p sdk.Problem
			if err := json.Unmarshal([]byte(body), &p); err != nil || p.Code != tt.code || p.Detail == "" {
				t.Fatalf("%d %s, want code %s", rec.Code, body, tt.code)
			}
			for _, s := range secrets {
				if strings.Contains(body, s) {
					t.Errorf("body tells %q: %s", s, body)
				}
			}
			logged := logBuf.String()
			if !strings.Contains(logged, "licensing: request refused") || !strings.Contains(logged, "code="+tt.code) {
				t.Errorf("log %q", logged)
			}
		})
	}
	// The detail is in the log: here the two fingerprints.
	logBuf.Reset()
	serve(t, bound.Require()(okHandler))
	if l := logBuf.String(); !strings.Contains(l, fp) || !strings.Contains(l, "other-host-fingerprint") {
		t.Errorf("log lacks the binding detail: %q", l)
	}
	// Without a logger, nothing is logged and nothing breaks.
	c3 := c2
	c3.Logger = nil
	if rec, p := serve(t, mustLoad(t, c3).Require("admin")(okHandler)); rec.Code != 403 || p.Detail != "the license does not grant the scope this needs" {
		t.Errorf("no logger: %d %+v", rec.Code, p)
	}
}

package sdk_test

import (
	"errors"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/machine"
	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

func TestHandleQuestions(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) {
		l.Limits = map[string]uint64{"seats": 25, "rpm": 0}
		l.Rights = []string{"embed", "white-label"}
	})))
	lic := mustLoad(t, cfg)

	for _, tt := range []struct {
		scope string
		want  bool
	}{
		{"api:read", true},
		{"api:write", false},
		{"reports:monthly", true},
		{"reports:a:b", true},
		{"reports", false},
		{"reports:*", false}, // a required scope is never a pattern
		{"", false},
	} {
		if got := lic.Allows(tt.scope); got != tt.want {
			t.Errorf("Allows(%q) = %v, want %v", tt.scope, got, tt.want)
		}
	}
	if lic.Tier() != "pro" {
		t.Errorf("Tier = %q", lic.Tier())
	}
	for _, tt := range []struct {
		min  string
		want bool
	}{{"free", true}, {"pro", true}, {"enterprise", false}, {"platinum", false}, {"", false}} {
		if got := lic.TierAtLeast(tt.min); got != tt.want {
			t.Errorf("TierAtLeast(%q) = %v, want %v", tt.min, got, tt.want)
		}
	}
	if n, ok := lic.Limit("seats"); n != 25 || !ok {
		t.Errorf("Limit(seats) = %d, %v", n, ok)
	}
	if n, ok := lic.Limit("rpm"); n != 0 || !ok {
		t.Errorf("Limit(rpm) = %d, %v; a zero limit is set", n, ok)
	}
	if _, ok := lic.Limit("nodes"); ok {
		t.Error("Limit(nodes) set")
	}
	if !lic.HasRight("white-label") || lic.HasRight("redistribute") {
		t.Error("HasRight")
	}
	if got := lic.ExpiresIn(); got != 365*24*time.Hour {
		t.Errorf("ExpiresIn = %v", got)
	}
	if lic.InGrace() {
		t.Error("InGrace")
	}
	st := lic.Status()
	if !st.Licensed || st.Err != nil || st.Code != "" || st.Subject != "customer-42" || st.Tier != "pro" ||
		st.Issuer != "acme" || st.ID != "01000000000000000000000000000000" || !st.Expiry.Equal(t0.Add(365*24*time.Hour)) {
		t.Errorf("Status = %+v", st)
	}
}

func TestTierOffLadder(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.Tier = "legacy-gold" })))
	lic := mustLoad(t, cfg)
	if lic.Tier() != "legacy-gold" {
		t.Errorf("Tier = %q", lic.Tier())
	}
	if lic.TierAtLeast("free") {
		t.Error("a tier off the ladder is at least free")
	}
	cfg.Tiers = nil
	write(t, cfg.LicensePath, v.mint(v.license(nil)))
	if mustLoad(t, cfg).TierAtLeast("pro") {
		t.Error("TierAtLeast without a ladder")
	}
}

func TestPerpetual(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.Expiry = time.Time{} })))
	lic := mustLoad(t, cfg)
	if lic.ExpiresIn() != math.MaxInt64 {
		t.Errorf("ExpiresIn = %v", lic.ExpiresIn())
	}
	v.clock.Add(100 * 365 * 24 * time.Hour)
	if !lic.Allows("api:read") || lic.InGrace() {
		t.Error("perpetual license stopped")
	}
}

// TestExpiryWithoutPolling checks that the handle stops allowing at
// expiry + leeway + grace by the clock alone, nobody polling.
func TestExpiryWithoutPolling(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	exp := t0.Add(time.Hour)
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.Expiry = exp; l.Grace = 24 * time.Hour })))
	lic := mustLoad(t, cfg)
	leeway := verify.DefaultLeeway

	steps := []struct {
		at           time.Time
		allows       bool
		grace        bool
		expiresIn    time.Duration
		code         string
		statusGrace  bool
		statusTier   string
		tierAtLeast  bool
		limitPresent bool
	}{
		{exp.Add(-time.Minute), true, false, time.Minute, "", false, "pro", true, true},
		{exp.Add(leeway), true, false, -leeway, "", false, "pro", true, true},
		{exp.Add(leeway + time.Second), true, true, -leeway - time.Second, "", true, "pro", true, true},
		{exp.Add(leeway + 24*time.Hour), true, true, -leeway - 24*time.Hour, "", true, "pro", true, true},
		{exp.Add(leeway + 24*time.Hour + time.Second), false, false, 0, "expired", false, "", false, false},
	}
	for _, s := range steps {
		v.clock.Set(s.at)
		_, limit := lic.Limit("seats")
		if lic.Allows("api:read") != s.allows || lic.InGrace() != s.grace || lic.ExpiresIn() != s.expiresIn ||
			sdk.CodeOf(lic.Err()) != s.code || lic.Status().InGrace != s.statusGrace || lic.Tier() != s.statusTier ||
			lic.TierAtLeast("free") != s.tierAtLeast || limit != s.limitPresent || lic.HasRight("embed") != s.allows {
			t.Errorf("at exp%+v: allows %v grace %v expiresIn %v err %v tier %q",
				s.at.Sub(exp), lic.Allows("api:read"), lic.InGrace(), lic.ExpiresIn(), lic.Err(), lic.Tier())
		}
	}
	var ve *verify.Error
	if err := lic.Err(); !errors.As(err, &ve) || ve.Detail != exp.Format(time.RFC3339) || !errors.Is(err, verify.CodeExpired) {
		t.Errorf("Err = %#v", err)
	}
	// The claims stay readable after expiry.
	if c := lic.Claims(); c == nil || c.Subject != "customer-42" {
		t.Errorf("Claims after expiry: %+v", c)
	}
}

func TestClaimsIsACopy(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) {
		l.Meta = map[string]string{"order": "A-1"}
		l.Versions = ">= 3.0"
	})))
	lic := mustLoad(t, cfg)
	c := lic.Claims()
	if c.Meta["order"] != "A-1" || c.Versions != ">= 3.0" || len(c.Constraint) != 1 {
		t.Fatalf("Claims = %+v", c)
	}
	c.Scopes[0] = "*"
	c.Limits["seats"] = 1e6
	c.Meta["order"] = "forged"
	c.ID[0] = 0xff
	c.Tier = "enterprise"
	if lic.Allows("admin") || lic.Claims().Scopes[0] != "api:read" {
		t.Error("changing Claims changed the license")
	}
	if n, _ := lic.Limit("seats"); n != 25 || lic.Claims().Meta["order"] != "A-1" || lic.Claims().ID[0] != 1 || lic.Tier() != "pro" {
		t.Error("changing Claims changed the license")
	}
}

func TestNilLicense(t *testing.T) {
	var lic *sdk.License
	if lic.Allows("x") || lic.Tier() != "" || lic.TierAtLeast("free") || lic.HasRight("embed") ||
		lic.InGrace() || lic.ExpiresIn() != 0 || lic.Claims() != nil {
		t.Error("nil License answers")
	}
	if _, ok := lic.Limit("seats"); ok {
		t.Error("nil License has a limit")
	}
	if !errors.Is(lic.Err(), sdk.ErrUnlicensed) || !errors.Is(lic.Reload(), sdk.ErrUnlicensed) {
		t.Error("nil License error")
	}
	if st := lic.Status(); st.Licensed || st.Code != sdk.CodeNoLicense {
		t.Errorf("Status = %+v", st)
	}
	if _, err := lic.Watch(t.Context(), sdk.WatchOptions{}); err == nil {
		t.Error("Watch on nil License")
	}
}

// TestZeroLicense checks that a License not made by Load (a zero value)
// behaves like a nil one instead of crashing.
func TestZeroLicense(t *testing.T) {
	lic := new(sdk.License)
	if lic.Allows("x") || lic.Tier() != "" || lic.TierAtLeast("free") || lic.HasRight("embed") ||
		lic.InGrace() || lic.ExpiresIn() != 0 || lic.Claims() != nil {
		t.Error("zero License answers")
	}
	if !errors.Is(lic.Err(), sdk.ErrUnlicensed) || !errors.Is(lic.Reload(), sdk.ErrUnlicensed) {
		t.Error("zero License error")
	}
	if st := lic.Status(); st.Licensed || st.Code != sdk.CodeNoLicense {
		t.Errorf("Status = %+v", st)
	}
	if _, err := lic.Watch(t.Context(), sdk.WatchOptions{}); err == nil {
		t.Error("Watch on zero License")
	}
	for _, h := range []http.Handler{lic.Require()(okHandler), lic.RequireTier("free")(okHandler)} {
		if rec, p := serve(t, h); rec.Code != 403 || p.Code != sdk.CodeNoLicense {
			t.Errorf("zero License middleware: %d %+v", rec.Code, p)
		}
	}
	if rec, _ := serve(t, lic.RateLimit()(okHandler)); rec.Code != 200 {
		t.Errorf("zero License rate limit: %d", rec.Code)
	}
}

func TestStatusWarnings(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	cfg.RevocationsPath = v.path("revoked.pem")
	write(t, cfg.RevocationsPath, v.revocations(1, t0.Add(-40*24*time.Hour))) // next update 10 days ago
	cfg.Machine = &machine.Machine{
		Getenv:   func(string) string { return "" },
		ReadFile: func(string) ([]byte, error) { return nil, errors.New("denied") },
		Hostname: func() (string, error) { return " ", nil },
	}
	write(t, cfg.LicensePath, v.mint(v.license(nil)))
	lic := mustLoad(t, cfg)
	ws := strings.Join(lic.Status().Warnings, "\n")
	for _, want := range []string{`revocation list of "acme" is stale since`, "no machine fingerprint: machine: no machine identity"} {
		if !strings.Contains(ws, want) {
			t.Errorf("warnings lack %q: %q", want, ws)
		}
	}
	// A copy: changing it changes nothing.
	lic.Status().Warnings[0] = "x"
	if lic.Status().Warnings[0] == "x" {
		t.Error("Status.Warnings aliases the handle")
	}
}

// TestConcurrentAllows runs Allows and the other questions from many
// goroutines while the license is swapped back and forth; run with -race.
// Both licenses grant api:read and at least free: no swap may ever show a
// moment without a license.
func TestConcurrentAllows(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	read := v.mint(v.license(func(l *token.License) { l.Scopes = []string{"api:read"}; l.Tier = "free" }))
	all := v.mint(v.license(func(l *token.License) { l.Scopes = []string{"api:*"}; l.Tier = "enterprise" }))
	write(t, cfg.LicensePath, read)
	lic := mustLoad(t, cfg)
	w, err := lic.Watch(t.Context(), sdk.WatchOptions{Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad [8]int
	for g := 0; g < len(bad); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !lic.Allows("api:read") {
					bad[g]++
				}
				if !lic.TierAtLeast("free") {
					bad[g]++
				}
				lic.Limit("seats")
				lic.ExpiresIn()
				lic.Status()
			}
		}()
	}
	for i := 0; i < 20; i++ {
		if i%2 == 0 {
			write(t, cfg.LicensePath, all)
		} else {
			write(t, cfg.LicensePath, read)
		}
		if err := lic.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	for g, n := range bad {
		if n != 0 {
			t.Errorf("goroutine %d saw %d wrong answers", g, n)
		}
	}
}

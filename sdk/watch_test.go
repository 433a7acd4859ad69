package sdk_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// recorder turns watcher callbacks into strings on a channel.
type recorder struct {
	t  *testing.T
	ch chan string
}

func newRecorder(t *testing.T) *recorder { return &recorder{t: t, ch: make(chan string, 100)} }

func (r *recorder) options(interval time.Duration) sdk.WatchOptions {
	return sdk.WatchOptions{
		Interval:       interval,
		ExpiringWithin: 7 * 24 * time.Hour,
		OnChange:       func(st sdk.Status) { r.ch <- "change " + st.Subject },
		OnExpiring:     func(st sdk.Status, left time.Duration) { r.ch <- fmt.Sprintf("expiring %s %v", st.Subject, left) },
		OnGrace:        func(st sdk.Status) { r.ch <- "grace " + st.Subject },
		OnExpired:      func(st sdk.Status) { r.ch <- "expired " + st.Subject },
		OnError:        func(err error) { r.ch <- "error " + sdk.CodeOf(err) },
	}
}

// next returns the next event, failing after a few seconds.
func (r *recorder) next() string {
	r.t.Helper()
	select {
	case ev := <-r.ch:
		return ev
	case <-time.After(5 * time.Second):
		r.t.Fatal("no event within 5 s")
		return ""
	}
}

func (r *recorder) expect(want string) {
	r.t.Helper()
	if got := r.next(); got != want {
		r.t.Fatalf("event %q, want %q", got, want)
	}
}

// quiet checks that nothing happens for a few polls.
func (r *recorder) quiet(d time.Duration) {
	r.t.Helper()
	select {
	case ev := <-r.ch:
		r.t.Fatalf("unexpected event %q", ev)
	case <-time.After(d):
	}
}

func TestWatchLifecycle(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	cfg.RevocationsPath = v.path("revoked.pem")
	sub := func(name string, mod func(*token.License)) *token.License {
		return v.license(func(l *token.License) {
			l.Subject = name
			l.Expiry = t0.Add(30 * 24 * time.Hour)
			if mod != nil {
				mod(l)
			}
		})
	}
	write(t, cfg.LicensePath, v.mint(sub("a", nil)))
	lic := mustLoad(t, cfg)
	r := newRecorder(t)
	w, err := lic.Watch(t.Context(), r.options(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r.quiet(30 * time.Millisecond)

	// Replaced: the new license takes effect.
	b := v.mint(sub("b", func(l *token.License) { l.Scopes = []string{"api:*"} }))
	write(t, cfg.LicensePath, b)
	r.expect("change b")
	if !lic.Allows("api:write") {
		t.Fatal("new license not in effect")
	}

	// Corrupted: reported, the last good license stays.
	write(t, cfg.LicensePath, []byte("-----BEGIN LICET LICENSE-----\nnot base64\n-----END LICET LICENSE-----\n"))
	r.expect("error malformed")
	if !lic.Allows("api:write") || lic.Status().Subject != "b" {
		t.Fatal("corrupt file dropped the last good license")
	}
	if ws := strings.Join(lic.Status().Warnings, "\n"); !strings.Contains(ws, "reload failed, keeping the license from "+cfg.LicensePath) {
		t.Errorf("warnings %q", ws)
	}

	// Deleted: reported, the last good license stays.
	if err := os.Remove(cfg.LicensePath); err != nil {
		t.Fatal(err)
	}
	r.expect("error no_license")
	if !lic.Allows("api:write") {
		t.Fatal("deleted file dropped the last good license")
	}
	r.quiet(30 * time.Millisecond) // reported once, not at every poll

	// Back, then a third license.
	write(t, cfg.LicensePath, b)
	r.quiet(30 * time.Millisecond) // the same license: no change
	write(t, cfg.LicensePath, v.mint(sub("c", func(l *token.License) { l.Grace = 48 * time.Hour })))
	r.expect("change c")

	// Time passes: expiring, grace, expired; each once.
	v.clock.Set(t0.Add(27 * 24 * time.Hour))
	r.expect("expiring c 72h0m0s")
	v.clock.Set(t0.Add(30*24*time.Hour + verify.DefaultLeeway + time.Second))
	r.expect("grace c")
	if !lic.InGrace() || !lic.Allows("api:read") {
		t.Fatal("not in grace")
	}
	v.clock.Set(t0.Add(32*24*time.Hour + verify.DefaultLeeway + time.Second))
	r.expect("expired c")
	if lic.Allows("api:read") {
		t.Fatal("expired license allows")
	}
	r.quiet(30 * time.Millisecond)

	// A renewal brings it back.
	d := v.license(func(l *token.License) {
		l.Subject = "d"
		l.IssuedAt = v.clock.Now()
		l.Expiry = v.clock.Now().AddDate(1, 0, 0)
	})
	write(t, cfg.LicensePath, v.mint(d))
	r.expect("change d")
	if !lic.Allows("api:read") {
		t.Fatal("renewal not in effect")
	}

	// Revoked: denied at once.
	write(t, cfg.RevocationsPath, v.revocations(1, v.clock.Now(), d.ID))
	r.expect("error revoked")
	if lic.Allows("api:read") {
		t.Fatal("revoked license allows")
	}

	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
	w.Close() // twice is fine
}

func TestWatchReportsStateAtStart(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) {
		l.Expiry = t0.Add(-time.Hour)
		l.IssuedAt = t0.Add(-48 * time.Hour)
		l.Grace = 7 * 24 * time.Hour
	})))
	lic := mustLoad(t, cfg)
	r := newRecorder(t)
	w, err := lic.Watch(t.Context(), r.options(time.Hour)) // no poll during the test
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r.expect("grace customer-42")
}

func TestWatchClockRollbackOnce(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(nil)))
	lic := mustLoad(t, cfg)
	r := newRecorder(t)
	w, err := lic.Watch(t.Context(), r.options(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	v.clock.Add(-2 * time.Hour)
	r.expect("error clock_rollback")
	r.quiet(50 * time.Millisecond)
	v.clock.Add(2 * time.Hour)
	r.quiet(30 * time.Millisecond)
	if !lic.Allows("api:read") {
		t.Fatal("not allowed after the clock is right")
	}
	v.clock.Add(-2 * time.Hour)
	r.expect("error clock_rollback") // a new occurrence is reported again
}

func TestWatchPicksUpFirstLicense(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	lic, err := sdk.Load(cfg)
	if err == nil {
		t.Fatal("Load without a license succeeded")
	}
	r := newRecorder(t)
	w, err := lic.Watch(t.Context(), r.options(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r.quiet(30 * time.Millisecond) // Load's error is not reported again
	write(t, cfg.LicensePath, []byte("garbage"))
	r.expect("error malformed")
	write(t, cfg.LicensePath, v.mint(v.license(nil)))
	r.expect("change customer-42")
	if !lic.Allows("api:read") {
		t.Fatal("license not in effect")
	}
}

func TestWatchStops(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(nil)))
	lic := mustLoad(t, cfg)
	before := runtime.NumGoroutine()

	ctx, cancel := context.WithCancel(context.Background())
	var ws []*sdk.Watcher
	for i := 0; i < 5; i++ {
		w, err := lic.Watch(ctx, sdk.WatchOptions{Interval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	ws[0].Close()
	cancel()
	for _, w := range ws {
		select {
		case <-w.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("watcher still running after its context was cancelled")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before watching", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := lic.Watch(ctx, sdk.WatchOptions{Interval: -1}); err == nil {
		t.Error("negative interval accepted")
	}
}

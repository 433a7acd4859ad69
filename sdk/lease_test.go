package sdk_test

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licet/licet/internal/seattest"
	"github.com/licet/licet/sdk"
	"github.com/licet/licet/verify"
)

// newSeatServer starts a test lease server with seats seats and leases
// of life, under a site grant the vendor v signs, on v's clock.
func newSeatServer(t *testing.T, v *vendor, seats int, life time.Duration) *seattest.Server {
	return seattest.New(t, seattest.Options{Vendor: v.priv, Issuer: "acme", Site: "site-hq", Product: product,
		Seats: seats, Lease: life, Clock: v.clock.Now})
}

// leaseConfig is v's configuration on a lease from s, with no license file
// and no leeway (expiry checks are exact).
func leaseConfig(v *vendor, s *seattest.Server) sdk.Config {
	cfg := v.config()
	cfg.LicensePath = ""
	cfg.LeaseServer = s.URL
	cfg.LeasePath = v.path("lease.lic")
	cfg.LeaseClient = "test-host"
	cfg.Leeway = -1
	return sdk.WithLeaseTick(cfg, 2*time.Millisecond)
}

// eventually waits up to 5 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// still checks for a while that cond stays true.
func still(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if !cond() {
			t.Fatalf("%s no longer holds", what)
		}
	}
}

func closeLease(t *testing.T, lic *sdk.License) {
	t.Cleanup(func() { lic.Close(context.Background()) })
}

func leaseID(lic *sdk.License) string {
	c := lic.Claims()
	if c == nil {
		return ""
	}
	return hex.EncodeToString(c.ID)
}

// TestLeaseAcquire: Load acquires a lease bound to this machine, verifies
// it under the site grant, and saves it (0600) at LeasePath.
func TestLeaseAcquire(t *testing.T) {
	v := newVendor(t, "lease")
	s := newSeatServer(t, v, 2, time.Hour)
	lic := mustLoad(t, leaseConfig(v, s))
	closeLease(t, lic)
	if !lic.Allows("api:read") || lic.Allows("admin") {
		t.Fatalf("Allows(api:read) = %v, Allows(admin) = %v: want the lease's scopes", lic.Allows("api:read"), lic.Allows("admin"))
	}
	st := lic.Status()
	if st.Issuer != "site-hq" || st.Source != "lease from "+s.URL || !st.Expiry.Equal(t0.Add(time.Hour)) {
		t.Fatalf("status = %+v", st)
	}
	fp, _ := testMachine.Fingerprint(product)
	if got := s.Leases(); len(got) != 1 || got[leaseID(lic)] != fp {
		t.Fatalf("server holds leases %v, want one for %s", got, fp)
	}
	fi, err := os.Stat(v.path("lease.lic"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("lease file mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestRenewDelay: a third of the life, within the jitter either way.
func TestRenewDelay(t *testing.T) {
	life := 90 * time.Minute
	lo, hi := time.Duration(float64(life/3)*(1-sdk.LeaseJitter)), time.Duration(float64(life/3)*(1+sdk.LeaseJitter))
	if got := sdk.RenewDelay(life, 0); got != lo {
		t.Errorf("RenewDelay(r=0) = %v, want %v", got, lo)
	}
	if got := sdk.RenewDelay(life, 0.5); got != life/3 {
		t.Errorf("RenewDelay(r=0.5) = %v, want %v", got, life/3)
	}
	if got := sdk.RenewDelay(life, 0.999999); got > hi || got < hi-time.Second {
		t.Errorf("RenewDelay(r→1) = %v, want just below %v", got, hi)
	}
}

// TestLeaseRenews: the lease is renewed (same id, later expiry) after a
// third of its life within the jitter, not before.
func TestLeaseRenews(t *testing.T) {
	v := newVendor(t, "lease")
	s := newSeatServer(t, v, 2, time.Hour)
	lic := mustLoad(t, leaseConfig(v, s))
	closeLease(t, lic)
	id := leaseID(lic)
	v.clock.Add(time.Duration(float64(time.Hour/3)*(1-sdk.LeaseJitter)) - time.Second)
	still(t, "no renewal before a third of the life less the jitter", func() bool { return s.Counts().Renews == 0 })
	v.clock.Add(time.Duration(float64(time.Hour/3)*2*sdk.LeaseJitter) + 2*time.Second)
	eventually(t, "a renewal by a third of the life plus the jitter", func() bool {
		return s.Counts().Renews == 1 && lic.Status().Expiry.After(t0.Add(time.Hour))
	})
	if leaseID(lic) != id || s.Counts().Acquires != 1 {
		t.Fatalf("lease %s after renewal, want %s, and one acquisition", leaseID(lic), id)
	}
	if !lic.Allows("api:read") {
		t.Fatalf("renewed lease allows nothing: %v", lic.Err())
	}
}

// TestLeaseServerDown: while the server cannot be reached, the lease in
// hand works until its signed expiry, then nothing is allowed (expired);
// when the server is back, a new lease is acquired.
func TestLeaseServerDown(t *testing.T) {
	v := newVendor(t, "lease")
	s := newSeatServer(t, v, 2, time.Hour)
	lic := mustLoad(t, leaseConfig(v, s))
	closeLease(t, lic)
	s.SetDown(true)
	v.clock.Add(50 * time.Minute) // past the renewal: the attempts fail
	eventually(t, "a failed renewal reported", func() bool {
		w := strings.Join(lic.Status().Warnings, "\n")
		return strings.Contains(w, "no answer")
	})
	if !lic.Allows("api:read") {
		t.Fatalf("the lease in hand stopped working before its expiry: %v", lic.Err())
	}
	v.clock.Set(t0.Add(time.Hour - time.Second))
	if !lic.Allows("api:read") {
		t.Fatalf("a second before the expiry: %v", lic.Err())
	}
	v.clock.Set(t0.Add(time.Hour + time.Second))
	if lic.Allows("api:read") {
		t.Fatal("allowed after the lease's expiry with the server down")
	}
	if code := sdk.CodeOf(lic.Err()); code != string(verify.CodeExpired) {
		t.Fatalf("Err = %v (code %s), want expired", lic.Err(), code)
	}
	s.SetDown(false)
	eventually(t, "a new lease once the server is back", func() bool { return lic.Allows("api:read") })
	if got := s.Counts().Acquires; got != 2 {
		t.Fatalf("%d acquisitions, want 2", got)
	}
}

// TestLeaseGone: a server that no longer knows the lease (410 lease_gone)
// gets a new acquisition, and the new lease takes over.
func TestLeaseGone(t *testing.T) {
	v := newVendor(t, "lease")
	s := newSeatServer(t, v, 2, time.Hour)
	lic := mustLoad(t, leaseConfig(v, s))
	closeLease(t, lic)
	first := leaseID(lic)
	s.Forget()
	v.clock.Add(25 * time.Minute)
	eventually(t, "a new lease", func() bool { id := leaseID(lic); return id != first && id != "" })
	if !lic.Allows("api:read") || s.Counts().Acquires != 2 {
		t.Fatalf("after lease_gone: allows %v, %+v", lic.Allows("api:read"), s.Counts())
	}
}

// TestLeaseGoneFull: a lease the server forgot is given up even when no
// new one can be had: its seat may be someone else's.
func TestLeaseGoneFull(t *testing.T) {
	v := newVendor(t, "lease")
	s := newSeatServer(t, v, 1, time.Hour)
	lic := mustLoad(t, leaseConfig(v, s))
	closeLease(t, lic)
	s.Forget()
	s.Take(t0.Add(24 * time.Hour))
	v.clock.Add(25 * time.Minute)
	eventually(t, "the forgotten lease given up", func() bool { return !lic.Allows("api:read") })
	if code := sdk.CodeOf(lic.Err()); code != sdk.CodeSeatsFull {
		t.Fatalf("Err = %v (code %s), want seats_full", lic.Err(), code)
	}
	if _, err := os.Stat(v.path("lease.lic")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the forgotten lease is still saved: %v", err)
	}
}

// TestLeaseFull: every seat taken: Load reports seats_full and the License
// allows nothing; it asks again after Retry-After, not before, and comes
// to life when a seat is free.
func TestLeaseFull(t *testing.T) {
	v := newVendor(t, "lease")
	s := newSeatServer(t, v, 1, time.Hour)
	taken := s.Take(t0.Add(24 * time.Hour))
	lic, err := sdk.Load(leaseConfig(v, s))
	closeLease(t, lic)
	var le *sdk.LoadError
	if !errors.As(err, &le) || sdk.CodeOf(err) != sdk.CodeSeatsFull {
		t.Fatalf("Load = %v (code %s), want a LoadError with seats_full", err, sdk.CodeOf(err))
	}
	if lic.Allows("api:read") {
		t.Fatal("allowed without a seat")
	}
	v.clock.Add(6 * time.Second)
	still(t, "no new request before Retry-After", func() bool { return s.Counts().Asked == 1 })
	s.Drop(taken)
	v.clock.Add(time.Second)
	eventually(t, "a lease after Retry-After", func() bool { return lic.Allows("api:read") })
	if got := s.Counts().Asked; got != 2 {
		t.Fatalf("%d requests, want 2", got)
	}
}

// TestLeaseClose: Close releases the lease, stops renewing, removes the
// saved lease, and the License allows nothing after.
func TestLeaseClose(t *testing.T) {
	v := newVendor(t, "lease")
	s := newSeatServer(t, v, 2, time.Hour)
	lic := mustLoad(t, leaseConfig(v, s))
	if err := lic.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.Counts().Releases; got != 1 {
		t.Fatalf("%d releases, want 1", got)
	}
	if lic.Allows("api:read") || sdk.CodeOf(lic.Err()) != sdk.CodeLeaseReleased {
		t.Fatalf("after Close: allows %v, Err %v", lic.Allows("api:read"), lic.Err())
	}
	if _, err := os.Stat(v.path("lease.lic")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("saved lease after Close: %v", err)
	}
	v.clock.Add(30 * time.Minute)
	still(t, "no renewal after Close", func() bool {
		c := s.Counts()
		return c.Renews+c.Asked == 1
	})
	if err := lic.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestLeaseSaved: a restart finds the saved lease: with the server
// unreachable it runs on it until its expiry; with the server up it
// renews it (the same seat) instead of taking another.
func TestLeaseSaved(t *testing.T) {
	v := newVendor(t, "lease")
	s := newSeatServer(t, v, 2, time.Hour)
	cfg := leaseConfig(v, s)
	first := mustLoad(t, cfg)
	id := leaseID(first)
	saved, err := os.ReadFile(cfg.LeasePath)
	if err != nil {
		t.Fatal(err)
	}
	restart := func(name string) *sdk.License {
		c := cfg
		c.LeasePath = v.path(name)
		if err := os.WriteFile(c.LeasePath, saved, 0o600); err != nil {
			t.Fatal(err)
		}
		lic, _ := sdk.Load(c)
		closeLease(t, lic)
		return lic
	}

	s.SetDown(true)
	v.clock.Add(10 * time.Minute)
	off := restart("off.lic")
	if !off.Allows("api:read") || leaseID(off) != id {
		t.Fatalf("restart with the server down: allows %v, lease %s (want %s): %v", off.Allows("api:read"), leaseID(off), id, off.Err())
	}
	v.clock.Set(t0.Add(time.Hour + time.Second))
	if off.Allows("api:read") {
		t.Fatal("the saved lease works past its expiry")
	}

	v.clock.Set(t0.Add(10 * time.Minute))
	s.SetDown(false)
	on := restart("on.lic")
	if !on.Allows("api:read") || leaseID(on) != id {
		t.Fatalf("restart with the server up: allows %v, lease %s (want %s)", on.Allows("api:read"), leaseID(on), id)
	}
	if got := on.Status().Expiry; !got.Equal(t0.Add(70 * time.Minute)) {
		t.Fatalf("restarted lease expires %v, want renewed to %v", got, t0.Add(70*time.Minute))
	}
	if a := s.Counts().Acquires; a != 1 {
		t.Fatalf("%d acquisitions, want 1 (the saved lease renewed)", a)
	}
	first.Close(context.Background())
}

// TestLeaseRefused: a lease that does not verify is refused like any
// license: bound to another machine, or longer than the site grant allows.
func TestLeaseRefused(t *testing.T) {
	for name, c := range map[string]struct {
		knob func(s *seattest.Server)
		code verify.Code
	}{
		"another machine":       {func(s *seattest.Server) { s.BindTo("0000") }, verify.CodeBindingMismatch},
		"longer than the grant": {func(s *seattest.Server) { s.Extra(time.Minute) }, verify.CodeGrantViolation},
	} {
		t.Run(name, func(t *testing.T) {
			v := newVendor(t, "lease")
			s := newSeatServer(t, v, 2, time.Hour)
			c.knob(s)
			lic, err := sdk.Load(leaseConfig(v, s))
			closeLease(t, lic)
			if !errors.Is(err, c.code) {
				t.Fatalf("Load = %v, want %s", err, c.code)
			}
			if lic.Allows("api:read") {
				t.Fatal("the refused lease allows")
			}
		})
	}
}

// TestLeaseConfig: a lease server URL that cannot work is a ConfigError.
func TestLeaseConfig(t *testing.T) {
	v := newVendor(t, "lease")
	for _, url := range []string{"seats.lan:7070", "ftp://seats.lan", "http://", "http://u:p@seats.lan"} {
		cfg := v.config()
		cfg.LeaseServer = url
		var ce *sdk.ConfigError
		if _, err := sdk.Load(cfg); !errors.As(err, &ce) || ce.Field != "LeaseServer" {
			t.Errorf("LeaseServer %q: Load = %v, want a ConfigError", url, err)
		}
	}
	cfg := v.config()
	cfg.LeasePath = v.path("lease.lic")
	if _, err := sdk.Load(cfg); err == nil || !strings.Contains(err.Error(), "LeasePath") {
		t.Errorf("LeasePath without LeaseServer: Load = %v", err)
	}
}

// TestLeaseWatch: a renewal is the same lease (no OnChange); a new lease
// after lease_gone is another license (OnChange once).
func TestLeaseWatch(t *testing.T) {
	v := newVendor(t, "lease")
	s := newSeatServer(t, v, 2, time.Hour)
	lic := mustLoad(t, leaseConfig(v, s))
	closeLease(t, lic)
	var changes atomic.Int32
	w, err := lic.Watch(context.Background(), sdk.WatchOptions{Interval: 2 * time.Millisecond,
		OnChange: func(sdk.Status) { changes.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	v.clock.Add(25 * time.Minute)
	eventually(t, "a renewal", func() bool { return s.Counts().Renews == 1 })
	still(t, "no OnChange for a renewal", func() bool { return changes.Load() == 0 })
	s.Forget()
	v.clock.Add(25 * time.Minute)
	eventually(t, "OnChange for the new lease", func() bool { return changes.Load() == 1 })
}

// TestLeaseTLS: a lease server on https with its own certificate: refused
// with the system's roots, leased with LeaseTLSClient of its certificate.
func TestLeaseTLS(t *testing.T) {
	v := newVendor(t, "lease")
	s := seattest.New(t, seattest.Options{Vendor: v.priv, Issuer: "acme", Site: "site-hq", Product: product,
		Seats: 1, Lease: time.Hour, Clock: v.clock.Now, TLS: true})
	cfg := leaseConfig(v, s)
	lic, err := sdk.Load(cfg)
	closeLease(t, lic)
	if sdk.CodeOf(err) != sdk.CodeLeaseUnavailable || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Load with the system's roots = %v (code %s), want lease_unavailable for the certificate", err, sdk.CodeOf(err))
	}
	if cfg.LeaseHTTPClient, err = sdk.LeaseTLSClient(s.CertPEM); err != nil {
		t.Fatal(err)
	}
	cfg.LeasePath = v.path("tls.lic")
	lic = mustLoad(t, cfg)
	closeLease(t, lic)
	if !lic.Allows("api:read") {
		t.Fatalf("Load over TLS: %v", lic.Err())
	}
	if _, err := sdk.LeaseTLSClient([]byte("not a certificate")); err == nil {
		t.Error("LeaseTLSClient of no certificate succeeded")
	}
}

//go:build unix

package sdk_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/licet/licet/sdk"
)

// within runs f and fails the test if it has not returned after a few
// seconds: opening a FIFO with no writer blocks forever.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s hangs on a FIFO", what)
	}
}

// TestFIFOPaths: a FIFO at the license, revocation list or state path, or
// named by the environment variable, is refused at once, by Load, Reload
// and Watch (issue 9, item 14).
func TestFIFOPaths(t *testing.T) {
	v := newVendor(t, "vendor")
	lic := v.mint(v.license(nil))
	for _, place := range []string{"license", "revocations", "state", "env"} {
		t.Run(place, func(t *testing.T) {
			cfg := v.config()
			dir := t.TempDir()
			cfg.LicensePath = dir + "/license.lic"
			cfg.RevocationsPath = dir + "/revoked.pem"
			cfg.StatePath = dir + "/state.json"
			fifo := dir + "/fifo"
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			write(t, cfg.LicensePath, lic)
			switch place {
			case "license":
				cfg.LicensePath = fifo
			case "revocations":
				cfg.RevocationsPath = fifo
			case "state":
				cfg.StatePath = fifo
			case "env":
				cfg.LicensePath = ""
				cfg.EnvVar = "WIDGET_LICENSE"
				cfg.Getenv = func(name string) string {
					if name == "WIDGET_LICENSE" {
						return fifo
					}
					return ""
				}
			}
			var l *sdk.License
			var loadErr, err error
			within(t, "Load", func() { l, loadErr = sdk.Load(cfg) })
			if err = loadErr; err == nil || !strings.Contains(err.Error(), "not a regular file: it is a named pipe (FIFO)") {
				t.Fatalf("Load: %v", err)
			}
			if l.Allows("api:read") {
				t.Error("allows")
			}
			within(t, "Reload", func() { err = l.Reload() })
			if err == nil || !strings.Contains(err.Error(), "named pipe") {
				t.Errorf("Reload: %v", err)
			}
			// Watch polls through the same path: it must keep polling
			// (and stop when asked) instead of hanging in a poll.
			w, err := l.Watch(context.Background(), sdk.WatchOptions{Interval: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
			within(t, "Watch", func() { w.Close() })
			var re *sdk.RevocationsError
			var se *sdk.StateError
			switch place {
			case "revocations":
				if !errors.As(loadErr, &re) {
					t.Errorf("error %T, want a RevocationsError", loadErr)
				}
			case "state":
				if !errors.As(loadErr, &se) {
					t.Errorf("error %T, want a StateError", loadErr)
				}
			}
		})
	}
}

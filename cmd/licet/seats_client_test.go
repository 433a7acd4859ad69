package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/licet/licet/internal/seatclient"
	"github.com/licet/licet/internal/seattest"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/machine"
	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
)

// seatServerCmd is the testscript command "seatserver [-tls] SEATS LEASE
// [BORROW BORROWS]": it starts a test lease server (package seattest) for
// product widget on 127.0.0.1, under a site grant the sandbox key signs,
// and sets $SEATS to its URL; with -tls it serves HTTPS and writes its
// certificate to seats-ca.pem. The script's end stops it.
func seatServerCmd(ts *testscript.TestScript, neg bool, args []string) {
	tls := len(args) > 0 && args[0] == "-tls"
	if tls {
		args = args[1:]
	}
	if neg || (len(args) != 2 && len(args) != 4) {
		ts.Fatalf("usage: seatserver [-tls] SEATS LEASE [BORROW BORROWS]")
	}
	seats, err := strconv.Atoi(args[0])
	ts.Check(err)
	lease, err := time.ParseDuration(args[1])
	ts.Check(err)
	o := seattest.Options{Vendor: keys.Sandbox().Key, Issuer: keys.SandboxIssuer, Site: "site-hq", Product: "widget",
		Seats: seats, Lease: lease, TLS: tls}
	if len(args) == 4 {
		o.Borrow, err = time.ParseDuration(args[2])
		ts.Check(err)
		o.Borrows, err = strconv.Atoi(args[3])
		ts.Check(err)
	}
	s, err := seattest.Start(o)
	ts.Check(err)
	ts.Defer(s.Close)
	ts.Setenv("SEATS", s.URL)
	if tls {
		ts.Check(os.WriteFile(ts.MkAbs("seats-ca.pem"), s.CertPEM, 0o644))
	}
}

// TestSeatsClientsOnServer: the client side against the real 'licet
// seats serve' (2 seats, borrows of up to 7 days, one at a time): licet
// seats checkout, borrow, status and return, a renewal of the same lease
// presenting its token, and a product (package sdk) that leases a seat at
// Load, verifies it with the vendor key alone and gives it back at Close.
func TestSeatsClientsOnServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the licet binary")
	}
	dir := t.TempDir()
	writeSite(t, dir, token.Site{Seats: 2, Lease: time.Hour, Borrow: 7 * 24 * time.Hour, Borrows: 1})
	bin := filepath.Join(dir, "licet-seats")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexec licet seats \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := startServeBin(t, bin, dir, nil, 30*time.Second,
		"--key", "site.key", "--grant", "site.grant", "--state", "state", "--listen", "127.0.0.1:0", "--scope", "api:read")
	t.Chdir(dir)
	if err := os.WriteFile("sandbox.pub", keys.Sandbox().Public().MarshalPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	laptop := &machine.Machine{Getenv: func(string) string { return "" },
		ReadFile: func(string) ([]byte, error) { return []byte("laptop-1"), nil }}
	licet := func(want int, args ...string) string {
		t.Helper()
		a, stdout, stderr := testApp("")
		a.machine = laptop
		if code := run(args, a); code != want {
			t.Fatalf("licet %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, stdout, stderr)
		}
		return stdout.String() + stderr.String()
	}
	licet(0, "seats", "checkout", "--server", srv.url, "--product", "widget", "-o", "a.lease")
	licet(0, "seats", "borrow", "--server", srv.url, "--product", "widget", "--for", "3d", "-o", "b.lease")
	if out := licet(0, "seats", "status", "--server", srv.url); !strings.Contains(out, "2 of 2 in use (1 borrowed)") {
		t.Fatalf("status:\n%s", out)
	}
	if out := licet(0, "verify", "b.lease", "--pub", "sandbox.pub", "--product", "widget"); !strings.HasPrefix(out, "valid") {
		t.Fatalf("the borrowed lease:\n%s", out)
	}
	if out := licet(1, "seats", "checkout", "--server", srv.url, "--product", "widget", "-o", "c.lease"); !strings.Contains(out, "seats_full") {
		t.Fatalf("a third seat:\n%s", out)
	}
	licet(0, "seats", "return", "a.lease", "--server", srv.url)
	licet(0, "seats", "return", "b.lease", "--server", srv.url)
	if out := licet(0, "seats", "status", "--server", srv.url); !strings.Contains(out, "0 of 2 in use") {
		t.Fatalf("status after the returns:\n%s", out)
	}

	// A renewal presenting the lease: the same lease id, a new token.
	c := &seatclient.Client{Server: srv.url}
	ctx := context.Background()
	fp, _ := laptop.Fingerprint("widget")
	l, err := c.Acquire(ctx, seatclient.LeaseRequest{Product: "widget", Fingerprint: fp, Client: "test"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Renew(ctx, l.ID, fp, l.Token)
	if err != nil || r.ID != l.ID {
		t.Fatalf("renew: %+v, %v", r, err)
	}
	if _, err := c.Renew(ctx, l.ID, "00"+fp[2:], ""); !seatCode(err, seatclient.CodeWrongMachine) {
		t.Fatalf("renew from another machine: %v, want wrong_machine", err)
	}
	if err := c.Release(ctx, l.ID, fp); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Renew(ctx, l.ID, fp, ""); !seatCode(err, seatclient.CodeLeaseGone) {
		t.Fatalf("renew after release: %v, want lease_gone", err)
	}

	// The product.
	lic, err := sdk.Load(sdk.Config{TrustedKeys: keys.Sandbox().Public().MarshalPEM(), Issuer: keys.SandboxIssuer,
		Product: "widget", EnvVar: "-", ConfigDirName: "-", Machine: laptop,
		LeaseServer: srv.url, LeasePath: filepath.Join(dir, "widget.lease"), LeaseClient: "test"})
	if err != nil {
		t.Fatalf("Load on a lease: %v\n%s", err, srv.log())
	}
	if !lic.Allows("api:read") || lic.Status().Issuer != "site-hq" {
		t.Fatalf("the product's lease: %+v", lic.Status())
	}
	if st, err := c.Status(ctx); err != nil || st.Seats.InUse != 1 {
		t.Fatalf("status with the product running: %+v %v", st, err)
	}
	if err := lic.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Status(ctx); err != nil || st.Seats.InUse != 0 || lic.Allows("api:read") {
		t.Fatalf("after Close: %+v %v, allows %v", st, err, lic.Allows("api:read"))
	}
	srv.stop(t)
}

// seatCode reports whether err is a lease server's refusal with code.
func seatCode(err error, code string) bool {
	var se *seatclient.Error
	return errors.As(err, &se) && se.Code == code
}

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/licet/licet/internal/seattest"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/machine"
)

// seatServerCmd is the testscript command "seatserver SEATS LEASE [BORROW
// BORROWS]": it starts a test lease server (package seattest) for product
// widget on 127.0.0.1, under a site grant the sandbox key signs, and sets
// $SEATS to its URL. The script's end stops it.
func seatServerCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || (len(args) != 2 && len(args) != 4) {
		ts.Fatalf("usage: seatserver SEATS LEASE [BORROW BORROWS]")
	}
	seats, err := strconv.Atoi(args[0])
	ts.Check(err)
	lease, err := time.ParseDuration(args[1])
	ts.Check(err)
	o := seattest.Options{Vendor: keys.Sandbox().Key, Issuer: keys.SandboxIssuer, Site: "site-hq", Product: "widget",
		Seats: seats, Lease: lease}
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
}

// TestREADMEFloatingSeats runs the README's laptop block (licet seats
// status, borrow, verify, return, checkout) as written, against a test
// lease server in place of https://seats.hq.example:7070 and with a vendor
// key acme in acme.pub: each command succeeds, the lease verifies on this
// machine, and every seat is back at the end.
func TestREADMEFloatingSeats(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Floating seats on a closed network\n")
	if !ok {
		t.Fatal("README has no floating seats section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var block string
	for _, b := range strings.Split(section, "```sh\n")[1:] {
		b, _, _ = strings.Cut(b, "```")
		if strings.Contains(b, "licet seats borrow") {
			block = b
		}
	}
	if block == "" {
		t.Fatal("no sh block with licet seats borrow")
	}

	t.Chdir(t.TempDir())
	k, err := keys.Generate(nil, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("acme.pub", k.Public().MarshalPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	seats := seattest.New(t, seattest.Options{Vendor: k.Key, Issuer: "acme", Site: "site-hq", Product: "acme-db",
		Seats: 25, Lease: time.Hour, Borrow: 7 * 24 * time.Hour, Borrows: 3})
	const server = "https://seats.hq.example:7070"
	var ran []string
	for _, line := range strings.Split(block, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == "#" {
			continue
		}
		if f[0] != "licet" {
			t.Fatalf("not a licet command: %q", line)
		}
		args := f[1:]
		for i, a := range args {
			if a == server {
				args[i] = seats.URL
			}
		}
		a, stdout, stderr := testApp("")
		a.machine = &machine.Machine{Getenv: func(string) string { return "" },
			ReadFile: func(string) ([]byte, error) { return []byte("readme-laptop"), nil }}
		if code := run(args, a); code != exitOK {
			t.Fatalf("%s: exit %d\n%s%s", line, code, stdout, stderr)
		}
		ran = append(ran, args[0]+" "+args[1])
	}
	if want := "seats status,seats borrow,verify acme-db.lease,seats return,seats checkout,seats return"; strings.Join(ran, ",") != want {
		t.Errorf("ran %q, want %q", strings.Join(ran, ","), want)
	}
	if c := seats.Counts(); c.Acquires != 2 || c.Releases != 2 || len(seats.Leases()) != 0 {
		t.Errorf("server: %+v, leases %v; want two leases taken and given back", c, seats.Leases())
	}
	if _, err := os.Stat("acme-db.lease"); !os.IsNotExist(err) {
		t.Errorf("acme-db.lease after return: %v", err)
	}
}

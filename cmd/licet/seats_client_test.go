package main

import (
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/licet/licet/internal/seattest"
	"github.com/licet/licet/keys"
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

package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/licet/licet/internal/seatclient"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/machine"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// stressProduct is the product of the seats stress test.
const stressProduct = "widget"

// journalLine is one line of a stress worker's journal: a lease it holds
// (after each acquisition, borrow or renewal, with the signed token) or
// one it gives back (written before the release is sent, so that the
// observer never counts a seat the server may already have handed on).
// At is the worker's clock in Unix milliseconds.
type journalLine struct {
	Ev    string `json:"ev"` // "hold" or "release"
	ID    string `json:"id"`
	Token string `json:"token,omitempty"`
	At    int64  `json:"at"`
}

// seatWorker is the stress test's client process: "seatworker URL JOURNAL
// SEED SECONDS". It holds at most one lease at a time and, at random,
// acquires, borrows, renews (after a third of the lease's life) and
// releases, for SECONDS, writing every lease it holds and every release to
// JOURNAL. Its machine is $LICET_MACHINE_ID. It never exits on a server
// error: the server is killed and restarted under it.
func seatWorker(args []string) int {
	if len(args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: seatworker URL JOURNAL SEED SECONDS")
		return 2
	}
	seed, err1 := strconv.ParseUint(args[2], 10, 64)
	secs, err2 := strconv.Atoi(args[3])
	if err := errors.Join(err1, err2); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	j, err := os.OpenFile(args[1], os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fp, err := (&machine.Machine{}).Fingerprint(stressProduct)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	write := func(l journalLine) {
		l.At = time.Now().UnixMilli()
		data, _ := json.Marshal(l)
		j.Write(append(data, '\n')) // one write a line: O_APPEND keeps lines whole
	}
	rng := mathrand.New(mathrand.NewPCG(seed, seed^0x5ea75))
	c := &seatclient.Client{Server: args[0]}
	ctx := context.Background()
	var (
		id, tok  string
		due, exp time.Time
		borrowed bool
	)
	hold := func(l *seatclient.Lease) {
		write(journalLine{Ev: "hold", ID: l.ID, Token: l.Token})
		claims, err := leaseClaims([]byte(l.Token))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		id, tok, exp, borrowed = l.ID, l.Token, claims.Expiry, l.Borrowed
		due = time.Now().Add(claims.Expiry.Sub(claims.IssuedAt) / 3)
	}
	for end := time.Now().Add(time.Duration(secs) * time.Second); time.Now().Before(end); {
		now := time.Now()
		if id != "" && !now.Before(exp) {
			id = "" // expired in our hands (the server was down)
		}
		switch {
		case id == "":
			req := seatclient.LeaseRequest{Product: stressProduct, Fingerprint: fp, Client: "worker"}
			if rng.IntN(10) == 0 {
				req.Borrow = int64(2 + rng.IntN(3))
			}
			l, err := c.Acquire(ctx, req)
			if err != nil {
				time.Sleep(time.Duration(20+rng.IntN(200)) * time.Millisecond)
				continue
			}
			hold(l)
		case rng.IntN(25) == 0:
			write(journalLine{Ev: "release", ID: id})
			c.Release(ctx, id, fp) // a failed release: the seat comes back at the expiry
			id = ""
		case !borrowed && !now.Before(due):
			l, err := c.Renew(ctx, id, fp, tok)
			var se *seatclient.Error
			switch {
			case err == nil:
				hold(l)
			case errors.As(err, &se) && se.Code == seatclient.CodeLeaseGone:
				id = ""
			default:
				due = now.Add(100 * time.Millisecond)
			}
		}
		time.Sleep(time.Duration(10+rng.IntN(40)) * time.Millisecond)
	}
	return 0
}

// stressLease is what the observer knows of one lease: when a worker first
// held it, until when its newest signed token runs, and when it was given
// back (0: never).
type stressLease struct {
	start, exp, released int64 // Unix ms
	pass                 int   // the observer's read pass that first saw it
}

// observer reads the workers' journals and checks the invariant: at no
// instant more than seats leases out, unexpired (by their signed tokens)
// and unreleased.
type observer struct {
	t      *testing.T
	seats  int
	keys   *verify.KeySet
	fps    map[string]string // journal path -> the worker's fingerprint
	mu     sync.Mutex
	offset map[string]int64
	leases map[string]*stressLease
	holds  int
	peak   int
	pass   int  // read passes so far
	failed bool // the live check failed once (reported once)
}

// read takes the journal lines written since the last read.
func (o *observer) read(path string) {
	f, err := os.Open(path)
	if err != nil {
		return // not written yet
	}
	defer f.Close()
	if _, err := f.Seek(o.offset[path], 0); err != nil {
		o.t.Fatal(err)
	}
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return // a partial line is read again next time
		}
		o.offset[path] += int64(len(line))
		var l journalLine
		if err := json.Unmarshal(line, &l); err != nil {
			o.t.Errorf("%s: %q: %v", path, line, err)
			continue
		}
		switch l.Ev {
		case "hold":
			o.hold(path, l)
		case "release":
			if sl := o.leases[l.ID]; sl != nil && sl.released == 0 {
				sl.released = l.At
			}
		}
	}
}

// hold records a lease token a worker received, after checking it: signed
// by the site key under the vendor's site grant, for this product, bound
// to the worker's machine, within the grant's limits.
func (o *observer) hold(path string, l journalLine) {
	m, _, err := token.Decode([]byte(l.Token))
	if err != nil {
		o.t.Errorf("%s: lease %s: %v", path, l.ID, err)
		return
	}
	c, err := token.DecodeLicense(m.Payload)
	if err != nil {
		o.t.Errorf("%s: lease %s: %v", path, l.ID, err)
		return
	}
	v, err := verify.New(o.keys, verify.WithProduct(stressProduct), verify.WithLeeway(0),
		verify.WithClock(func() time.Time { return c.IssuedAt }),
		verify.WithBinding(map[string]string{machine.BindingKey: o.fps[path]}))
	if err != nil {
		o.t.Fatal(err)
	}
	if _, err := v.Verify([]byte(l.Token)); err != nil {
		o.t.Errorf("%s: lease %s does not verify: %v", path, l.ID, err)
		return
	}
	o.holds++
	sl := o.leases[l.ID]
	if sl == nil {
		sl = &stressLease{start: l.At, pass: o.pass}
		o.leases[l.ID] = sl
	}
	if e := c.Expiry.UnixMilli(); e > sl.exp {
		sl.exp = e
	}
}

// outAt counts the leases out at instant ms, of those first seen by pass
// maxPass or before.
func (o *observer) outAt(ms int64, maxPass int) int {
	n := 0
	for _, l := range o.leases {
		if l.pass <= maxPass && l.start <= ms && ms < l.exp && (l.released == 0 || ms < l.released) {
			n++
		}
	}
	return n
}

// check reads every journal twice and checks the count now, of the leases
// seen by the first pass: the journals are read one after another, so the
// first pass may see worker B's new lease and not the release by worker A
// that freed its seat (A's journal was read before A wrote it); A wrote
// its release before it sent it, so before B's lease was granted, so
// before the first pass ended: the second pass sees it. sweep checks the
// count at every instant a lease started, once every journal is complete.
func (o *observer) check() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for range 2 {
		o.pass++
		for path := range o.fps {
			o.read(path)
		}
	}
	if n := o.outAt(time.Now().UnixMilli(), o.pass-1); n > o.seats && !o.failed {
		o.failed = true
		o.t.Errorf("observer: %d leases out now, more than %d seats", n, o.seats)
	}
}

func (o *observer) sweep() {
	o.mu.Lock()
	defer o.mu.Unlock()
	starts := make([]int64, 0, len(o.leases))
	for _, l := range o.leases {
		starts = append(starts, l.start)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	for _, s := range starts {
		n := o.outAt(s, o.pass)
		o.peak = max(o.peak, n)
		if n > o.seats {
			o.t.Errorf("observer: %d leases out at %s, more than %d seats", n, time.UnixMilli(s).UTC().Format(time.RFC3339Nano), o.seats)
			return
		}
	}
}

// stressWorkers runs n worker processes of the test binary (as
// seatworker) against url for secs seconds, killing one at random with
// SIGKILL every killEvery and starting another in its place; each has its
// own machine id and journal in dir. It returns when they are all done.
func stressWorkers(t *testing.T, o *observer, url, dir string, n, secs int, killEvery time.Duration, stop <-chan struct{}) (killed int) {
	self, err := exec.LookPath("seatworker")
	if err != nil {
		t.Fatalf("seatworker (the test binary, from TestMain) not on the PATH: %v", err)
	}
	var seq int
	start := func(left time.Duration) *exec.Cmd {
		seq++
		journal := filepath.Join(dir, fmt.Sprintf("worker-%03d.journal", seq))
		mid := fmt.Sprintf("worker-%03d", seq)
		fp, err := (&machine.Machine{Getenv: func(k string) string {
			if k == machine.IDEnv {
				return mid
			}
			return ""
		}}).Fingerprint(stressProduct)
		if err != nil {
			t.Fatal(err)
		}
		o.mu.Lock()
		o.fps[journal] = fp
		o.mu.Unlock()
		cmd := exec.Command(self, url, journal, strconv.Itoa(seq), strconv.Itoa(max(1, int(left/time.Second))))
		cmd.Env = append(os.Environ(), machine.IDEnv+"="+mid)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	end := time.Now().Add(time.Duration(secs) * time.Second)
	procs := make([]*exec.Cmd, n)
	for i := range procs {
		procs[i] = start(time.Until(end))
	}
	rng := mathrand.New(mathrand.NewPCG(1, 2))
	tick := time.NewTicker(killEvery)
	defer tick.Stop()
	for time.Until(end) > time.Second {
		select {
		case <-tick.C:
		case <-stop:
			return killed
		}
		i := rng.IntN(n)
		procs[i].Process.Signal(syscall.SIGKILL)
		procs[i].Wait()
		killed++
		procs[i] = start(time.Until(end))
	}
	for _, p := range procs {
		if err := p.Wait(); err != nil {
			t.Errorf("worker: %v", err)
		}
	}
	return killed
}

// runSeatsStress runs n workers against the lease server at url for secs
// seconds with an observer checking, all the time, that no more than
// seats leases signed under keys are out; midRun(i) runs at the i-th
// quarter of the run (1, 2, 3: the server's crashes). It returns the
// observer, its journals read and swept.
func runSeatsStress(t *testing.T, url string, keys *verify.KeySet, seats, n, secs int, midRun func(i int)) *observer {
	dir := t.TempDir()
	o := &observer{t: t, seats: seats, keys: keys, fps: map[string]string{}, offset: map[string]int64{}, leases: map[string]*stressLease{}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
				o.check()
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := 1; i <= 3; i++ {
			select {
			case <-done:
				return
			case <-time.After(time.Duration(secs) * time.Second / 4):
				midRun(i)
			}
		}
	}()
	killed := stressWorkers(t, o, url, dir, n, secs, 700*time.Millisecond, done)
	close(done)
	wg.Wait()
	o.check()
	o.sweep()
	t.Logf("%d workers (%d killed with SIGKILL), %d leases, %d tokens held, peak %d of %d seats",
		n, killed, len(o.leases), o.holds, o.peak, seats)
	if o.peak != seats {
		t.Errorf("peak %d leases out, want all %d seats taken at some instant (the test must contend)", o.peak, seats)
	}
	return o
}

// TestSeatsStress is issue 22's test of "never more than N": 60 client
// processes (the test binary as seatworker) against 10 seats of the real
// 'licet seats serve', with leases of 3 s and borrows of up to 5 s, for
// 30 s: random acquire, renew, release and borrow, a client killed with
// SIGKILL every 0.7 s (and another started), the server killed with
// SIGKILL and restarted on its state three times; an observer checks,
// from the signed lease tokens the clients hold, that never more than 10
// unexpired, unreleased leases are out. At the end the clients are gone
// without releasing: their seats come back when their leases end.
func TestSeatsStress(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the licet binary and 60 client processes for 40 s")
	}
	const seats = 10
	dir := t.TempDir()
	writeSite(t, dir, token.Site{Seats: seats, Lease: 3 * time.Second, Borrow: 5 * time.Second, Borrows: 3})
	bin := filepath.Join(dir, "licet-seats")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexec licet seats \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := func() *serveProcess {
		return startServeBin(t, bin, dir, nil, 30*time.Second,
			"--key", "site.key", "--grant", "site.grant", "--state", "state", "--listen", addr)
	}
	var (
		mu  sync.Mutex
		srv = start()
	)
	url := srv.url
	vendor, err := verify.NewKeySet(verify.Key{PublicKey: keys.Sandbox().Public().Key, Issuer: keys.SandboxIssuer})
	if err != nil {
		t.Fatal(err)
	}
	runSeatsStress(t, url, vendor, seats, 60, 30, func(i int) {
		mu.Lock()
		defer mu.Unlock()
		if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Errorf("kill the server: %v", err)
		}
		<-srv.done
		time.Sleep(200 * time.Millisecond) // the clients meet a dead server
		srv = start()
		t.Logf("server killed with SIGKILL and restarted (%d)", i)
	})

	// Every client is gone, most without releasing: their seats come back
	// when their leases end (5 s at most).
	c := &seatclient.Client{Server: url}
	ctx := context.Background()
	time.Sleep(5*time.Second + 500*time.Millisecond)
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Seats.InUse != 0 || st.SafeUntil != nil {
		t.Fatalf("status after every lease ended: %+v", st)
	}
	for i := range seats + 1 {
		_, err := c.Acquire(ctx, seatclient.LeaseRequest{Product: stressProduct, Fingerprint: fmt.Sprintf("%064x", i)})
		var se *seatclient.Error
		switch {
		case i < seats && err != nil:
			t.Fatalf("seat %d of %d after the run: %v", i+1, seats, err)
		case i == seats && !(errors.As(err, &se) && se.Code == seatclient.CodeSeatsFull):
			t.Fatalf("seat %d of %d: %v, want seats_full", i+1, seats, err)
		}
	}
	mu.Lock()
	srv.stop(t)
	mu.Unlock()
}

// writeSite writes a site key (site.key, unencrypted) and a site grant of
// product widget with the terms of site for it (site.grant, signed by the
// sandbox key, max life the longest lease or borrow, no grace) into dir.
func writeSite(t *testing.T, dir string, site token.Site) {
	t.Helper()
	k, err := keys.Generate(rand.Reader, "site-hq")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "site.key"), k.MarshalUnencrypted(), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	life, grace := site.MaxLease(), time.Duration(0)
	g := &token.Grant{Issuer: keys.SandboxIssuer, Subject: "site-hq", Audience: []string{stressProduct},
		IssuedAt: now.Add(-time.Hour), Expiry: now.Add(24 * time.Hour), ID: make([]byte, token.IDSize),
		Key: k.Public().Key, Tiers: []string{"pro"}, Scopes: []string{"api:*"}, MaxLife: &life, MaxGrace: &grace,
		Site: &site}
	rand.Read(g.ID)
	raw, err := token.SignGrant(keys.Sandbox().Signer(), g)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "site.grant"), token.EncodePEM(raw, token.PEMGrant, nil), 0o644); err != nil {
		t.Fatal(err)
	}
}

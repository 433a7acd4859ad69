package issue_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// streamOut hands a license to the caller (file ""), as the issuance
// server does.
var streamOut = issue.Out{Encode: func(e *ledger.Entry) ([]byte, error) { return e.Raw, nil }}

func poolTerms(sub string) *token.License {
	return &token.License{Subject: sub, Audience: []string{"acme-db"}, Tier: "pro", Expiry: t0.Add(365 * 24 * time.Hour)}
}

// signedCheckpoints counts the checkpoints the key signed: one per
// ledger transaction that appended to its log.
func signedCheckpoints(t *testing.T, l *ledger.Ledger, is *issue.Issuer) int {
	t.Helper()
	cps, err := l.SignedCheckpoints(context.Background(), hexKID(is.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return len(cps)
}

// TestPoolConcurrent: 240 concurrent requests, 40 of them retries of
// another's order, through one Pool: every order issued once, every retry
// answered with the license of its order, far fewer transactions
// (signed checkpoints) than licenses, and a ledger that verifies.
func TestPoolConcurrent(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			l := openLedger(t, b.open(t))
			is := newIssuer(testKey(t, "acme"), l, nil)
			is.Write = func(file string, data []byte, replace bool) error { return nil }
			pool := is.NewPool(issue.PoolConfig{Wait: 5 * time.Millisecond})
			defer pool.Close()
			const orders, retries = 200, 40
			ids := make([]string, orders+retries)
			existing := make([]bool, orders+retries)
			var wg sync.WaitGroup
			errs := make(chan error, orders+retries)
			for i := range orders + retries {
				wg.Add(1)
				go func() {
					defer wg.Done()
					o := i % orders
					res, err := pool.License(ctx, &issue.LicenseRequest{License: poolTerms(fmt.Sprintf("customer-%d", o)), Order: fmt.Sprintf("PO-%d", o), Out: streamOut})
					if err != nil {
						errs <- err
						return
					}
					if string(res.Data) != string(res.Entry.Raw) || !res.Entry.Written {
						errs <- fmt.Errorf("order %d: data or written state not set", o)
					}
					ids[i], existing[i] = res.Entry.ID, res.Existing
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			signedNow := 0
			for i := range orders + retries {
				if ids[i] != ids[i%orders] {
					t.Errorf("request %d: license %s, its order's is %s", i, ids[i], ids[i%orders])
				}
				if !existing[i] {
					signedNow++
				}
			}
			if signedNow != orders {
				t.Errorf("%d requests signed a new license, want %d (one per order)", signedNow, orders)
			}
			all, err := l.List(ctx, ledger.Filter{Kind: ledger.KindLicense})
			if err != nil || len(all) != orders {
				t.Fatalf("the ledger holds %d licenses (%v), want %d", len(all), err, orders)
			}
			if n := signedCheckpoints(t, l, is); n >= orders/2 {
				t.Errorf("%d transactions for %d licenses: requests were not grouped", n, orders)
			} else {
				t.Logf("%d licenses in %d transactions", orders, n)
			}
			v, err := l.Verify(ctx)
			if err != nil || !v.OK() {
				t.Fatalf("verify: %v %+v", err, v)
			}
		})
	}
}

// TestPoolDuplicateOrder: requests with one order inside one pool sign
// once: the others get that license (Existing), and one asking other
// terms gets a ConflictError; the ledger holds one license.
func TestPoolDuplicateOrder(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, backends()[0].open(t))
	is := newIssuer(testKey(t, "acme"), l, nil)
	is.Write = func(file string, data []byte, replace bool) error { return nil }
	pool := is.NewPool(issue.PoolConfig{Wait: 50 * time.Millisecond})
	defer pool.Close()
	type outcome struct {
		res *issue.Result
		err error
	}
	out := make([]outcome, 6)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			terms := poolTerms("customer-1")
			if i == 5 {
				terms.Tier = "enterprise"
			}
			res, err := pool.License(ctx, &issue.LicenseRequest{License: terms, Order: "PO-1", Out: streamOut})
			out[i] = outcome{res, err}
		}()
	}
	wg.Wait()
	first := ""
	fresh := 0
	for i, o := range out[:5] {
		if o.err != nil {
			// the conflicting request may have signed first: then the
			// enterprise license is the order's and these conflict
			var c *issue.ConflictError
			if errors.As(o.err, &c) && out[5].err == nil {
				continue
			}
			t.Fatalf("request %d: %v", i, o.err)
		}
		if first == "" {
			first = o.res.Entry.ID
		}
		if o.res.Entry.ID != first {
			t.Errorf("request %d: license %s, another got %s", i, o.res.Entry.ID, first)
		}
		if !o.res.Existing {
			fresh++
		}
	}
	var c *issue.ConflictError
	switch {
	case first != "" && (!errors.As(out[5].err, &c) || c.Existing.ID != first):
		t.Errorf("other terms, same order: %v, want a conflict with %s", out[5].err, first)
	case first != "" && fresh != 1:
		t.Errorf("%d of the same requests signed, want 1", fresh)
	}
	all, _ := l.List(ctx, ledger.Filter{Kind: ledger.KindLicense})
	if len(all) != 1 {
		t.Errorf("the ledger holds %d licenses, want 1", len(all))
	}
}

// TestPoolInvalidBeside: an invalid request pooled beside valid ones fails
// alone, before joining; the valid ones are appended together.
func TestPoolInvalidBeside(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, backends()[0].open(t))
	is := newIssuer(testKey(t, "acme"), l, nil)
	is.Write = func(file string, data []byte, replace bool) error { return nil }
	pool := is.NewPool(issue.PoolConfig{Wait: 200 * time.Millisecond})
	defer pool.Close()
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			terms := poolTerms(fmt.Sprintf("customer-%d", i))
			if i == 3 {
				terms.Audience = nil // no product: invalid
			}
			_, errs[i] = pool.License(ctx, &issue.LicenseRequest{License: terms, Order: fmt.Sprintf("PO-%d", i), Out: streamOut})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i == 3 {
			if err == nil {
				t.Error("the invalid request was issued")
			}
			continue
		}
		if err != nil {
			t.Errorf("request %d failed beside an invalid one: %v", i, err)
		}
	}
	all, _ := l.List(ctx, ledger.Filter{Kind: ledger.KindLicense})
	if len(all) != 7 {
		t.Errorf("the ledger holds %d licenses, want 7", len(all))
	}
	if n := signedCheckpoints(t, l, is); n != 1 {
		t.Errorf("%d transactions for 7 valid requests pooled within 200 ms, want 1", n)
	}
}

// TestPoolUnwritten: a write that fails for one license of a group fails
// only that request, as an UnwrittenError (the license stays recorded).
func TestPoolUnwritten(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, backends()[0].open(t))
	is := newIssuer(testKey(t, "acme"), l, nil)
	is.Write = func(file string, data []byte, replace bool) error {
		if file == "bad" {
			return errors.New("disk full")
		}
		return nil
	}
	pool := is.NewPool(issue.PoolConfig{Wait: 100 * time.Millisecond})
	defer pool.Close()
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := streamOut
			if i == 2 {
				o.File = "bad"
			}
			_, errs[i] = pool.License(ctx, &issue.LicenseRequest{License: poolTerms("c"), Out: o})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		var u *issue.UnwrittenError
		if i == 2 != errors.As(err, &u) || i != 2 && err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	unwritten, _ := l.List(ctx, ledger.Filter{Kind: ledger.KindLicense, Unwritten: true})
	if len(unwritten) != 1 {
		t.Errorf("%d unwritten licenses, want 1", len(unwritten))
	}
}

// TestReplyRecordedWritten: a license handed back in the reply
// (Out.Reply), through a Pool or Issuer.License, is recorded written in
// its append (the Issuer's Write, failing here, is never called: no
// second transaction marks it), its bytes in Result.Data; a retry of its
// order hands the same bytes back; a reply out naming a file is refused
// before anything is recorded.
func TestReplyRecordedWritten(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			l := openLedger(t, b.open(t))
			is := newIssuer(testKey(t, "acme"), l, nil)
			is.Write = func(string, []byte, bool) error { return errors.New("disk full") }
			pool := is.NewPool(issue.PoolConfig{})
			defer pool.Close()
			reply := streamOut
			reply.Reply = true
			issuers := map[string]func(*issue.LicenseRequest) (*issue.Result, error){
				"pool":   func(r *issue.LicenseRequest) (*issue.Result, error) { return pool.License(ctx, r) },
				"issuer": func(r *issue.LicenseRequest) (*issue.Result, error) { return is.License(ctx, r) },
			}
			for name, license := range issuers {
				res, err := license(&issue.LicenseRequest{License: poolTerms("c"), Order: "R-" + name, Out: reply})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if !res.Entry.Written || string(res.Data) != string(res.Entry.Raw) {
					t.Errorf("%s: written %v, data %d bytes", name, res.Entry.Written, len(res.Data))
				}
				again, err := license(&issue.LicenseRequest{License: poolTerms("c"), Order: "R-" + name, Out: reply})
				if err != nil || !again.Existing || string(again.Data) != string(res.Data) {
					t.Errorf("%s: the retry: %v", name, err)
				}
				bad := reply
				bad.File = "x.lic"
				if _, err := license(&issue.LicenseRequest{License: poolTerms("c"), Out: bad}); err == nil {
					t.Errorf("%s: a reply out with a file was accepted", name)
				}
			}
			all, _ := l.List(ctx, ledger.Filter{Kind: ledger.KindLicense})
			unwritten, _ := l.List(ctx, ledger.Filter{Kind: ledger.KindLicense, Unwritten: true})
			if len(all) != 2 || len(unwritten) != 0 {
				t.Errorf("%d licenses recorded, %d unwritten; want 2, 0", len(all), len(unwritten))
			}
		})
	}
}

// TestPoolSettles: the sequencer waits for the requests being checked
// and signed when the first of a group arrives (PoolConfig.Wait 0): nine
// requests held in their checks while a tenth joins are committed with
// it, in one transaction, and one of them failing its checks fails alone
// without holding the commit back.
func TestPoolSettles(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, backends()[0].open(t))
	is := newIssuer(testKey(t, "acme"), l, nil)
	is.Write = func(string, []byte, bool) error { return nil }
	pool := is.NewPool(issue.PoolConfig{})
	defer pool.Close()
	issue.SetSettleMin(pool, 10*time.Second) // the first commit has no previous one
	release := make(chan struct{})
	var started sync.WaitGroup
	errs := make([]error, 10)
	var wg sync.WaitGroup
	for i := 1; i < 10; i++ {
		started.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = pool.License(ctx, &issue.LicenseRequest{License: poolTerms("c"), Out: streamOut,
				AskedAt: func(time.Time) (*token.License, error) {
					started.Done()
					<-release
					if i == 9 {
						return nil, errors.New("invalid terms")
					}
					return poolTerms(fmt.Sprint("c", i)), nil
				}})
		}()
	}
	started.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, errs[0] = pool.License(ctx, &issue.LicenseRequest{License: poolTerms("c0"), Out: streamOut})
	}()
	for pool.Pooled() == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	close(release)
	wg.Wait()
	for i, err := range errs {
		if (i == 9) != (err != nil) {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if n := signedCheckpoints(t, l, is); n != 1 {
		t.Errorf("%d transactions for 9 licenses prepared together, want 1", n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the commit waited %s: the failed request held it back", d)
	}
}

// TestPoolRotationRead: an Issuer with a Pool reads its rotation grants
// once a second, not once per license: a rotation grant recorded after a
// license is attached once the grants are read again (here: an hour,
// cut short by ExpireRotations).
func TestPoolRotationRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLedger(t, backends()[0].open(t))
	oldKey, newKey := testKey(t, "acme"), testKey(t, "acme2")
	newKey.Issuer = "acme"
	old := newIssuer(oldKey, l, nil)
	fresh := newIssuer(newKey, l, nil)
	fresh.Write = func(string, []byte, bool) error { return nil }
	pool := fresh.NewPool(issue.PoolConfig{})
	defer pool.Close()
	issue.SetRotationTTL(fresh, time.Hour) // however slow the machine
	mint := func() *issue.Result {
		t.Helper()
		r, err := pool.License(ctx, &issue.LicenseRequest{License: poolTerms("c"), Out: streamOut})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := mint(); r.Rotation {
		t.Fatal("a rotation grant before any was recorded")
	}
	g := &token.Grant{Subject: "acme", Key: newKey.Public().Key, Audience: []string{"acme-db"}, Tiers: []string{"*"},
		Scopes: []string{"*"}, Expiry: t0.Add(400 * 24 * time.Hour)}
	if _, err := old.Grant(ctx, g, rawOut(filepath.Join(dir, "rotation.grant"))); err != nil {
		t.Fatal(err)
	}
	if r := mint(); r.Rotation {
		t.Error("the rotation grants were read again within the second")
	}
	issue.ExpireRotations(fresh)
	if r := mint(); !r.Rotation {
		t.Error("the rotation grant recorded is not attached once the grants are read again")
	}
}

// TestPoolStates: a pool with States sets the ledger state of each
// license it records (written, since it goes back in the reply; revoked
// when its key is revoked already), one without leaves it to the caller.
func TestPoolStates(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, backends()[0].open(t))
	k := testKey(t, "acme")
	is := newIssuer(k, l, nil)
	is.Write = func(string, []byte, bool) error { return nil }
	reply := streamOut
	reply.Reply = true
	with, without := is.NewPool(issue.PoolConfig{States: true}), is.NewPool(issue.PoolConfig{})
	defer with.Close()
	defer without.Close()
	r, err := with.License(ctx, &issue.LicenseRequest{License: poolTerms("c"), Out: reply})
	if err != nil {
		t.Fatal(err)
	}
	if st := r.Entry.State; st == nil || st.Name() != "written" {
		t.Errorf("the state of a license recorded through a pool with States: %+v", st)
	}
	if r, err := without.License(ctx, &issue.LicenseRequest{License: poolTerms("c"), Out: reply}); err != nil || r.Entry.State != nil {
		t.Errorf("a pool without States: %v, state %+v", err, r.Entry.State)
	}
	list, err := token.SignRevocations(k.Signer(), &token.Revocations{Issuer: "acme", IssuedAt: t0, NextUpdate: t0.Add(time.Hour), Seq: 1,
		KeyIDs: [][]byte{token.KeyID(k.Public().Key)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := is.Record(ctx, list, "", "", reply); err != nil {
		t.Fatal(err)
	}
	r, err = with.License(ctx, &issue.LicenseRequest{License: poolTerms("c"), Out: reply})
	if err != nil {
		t.Fatal(err)
	}
	if st := r.Entry.State; st == nil || st.Name() != "revoked" {
		t.Errorf("the state of a license whose key is revoked: %+v", st)
	}
}

// TestPoolClosed: a closed pool refuses requests; Close twice is fine.
func TestPoolClosed(t *testing.T) {
	l := openLedger(t, backends()[0].open(t))
	is := newIssuer(testKey(t, "acme"), l, nil)
	pool := is.NewPool(issue.PoolConfig{})
	pool.Close()
	pool.Close()
	if _, err := pool.License(context.Background(), &issue.LicenseRequest{License: poolTerms("c"), Out: streamOut}); !errors.Is(err, issue.ErrPoolClosed) {
		t.Errorf("a closed pool: %v", err)
	}
}

// TestPoolReplicas: two pools on two connections to one ledger (two
// server processes) issue overlapping orders at once (pool 0 orders 0-99,
// pool 1 orders 50-149). Orders recorded by the other pool meanwhile
// refuse a whole group's append; the pool appends the rest again and
// answers those requests with the recorded license: no request fails,
// every order is issued once and both pools answer each shared order with
// the same license.
func TestPoolReplicas(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			loc := b.open(t)
			k := testKey(t, "acme")
			const orders, overlap = 100, 50
			ids := [2]map[int]string{{}, {}}
			var mu sync.Mutex
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make(chan error, 2*orders)
			var l *ledger.Ledger
			for r := range 2 {
				l = openLedger(t, loc)
				is := newIssuer(k, l, nil)
				is.Write = func(file string, data []byte, replace bool) error { return nil }
				pool := is.NewPool(issue.PoolConfig{Wait: 30 * time.Millisecond})
				defer pool.Close()
				for o := r * overlap; o < r*overlap+orders; o++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						res, err := pool.License(ctx, &issue.LicenseRequest{License: poolTerms(fmt.Sprintf("customer-%d", o)), Order: fmt.Sprintf("PO-%d", o), Out: streamOut})
						if err != nil {
							errs <- fmt.Errorf("pool %d, order %d: %w", r, o, err)
							return
						}
						mu.Lock()
						ids[r][o] = res.Entry.ID
						mu.Unlock()
					}()
				}
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			for o := overlap; o < orders; o++ {
				if ids[0][o] != ids[1][o] {
					t.Errorf("order %d: the pools answered %s and %s", o, ids[0][o], ids[1][o])
				}
			}
			all, err := l.List(ctx, ledger.Filter{Kind: ledger.KindLicense})
			if err != nil || len(all) != orders+overlap {
				t.Fatalf("the ledger holds %d licenses (%v), want %d", len(all), err, orders+overlap)
			}
			if v, err := l.Verify(ctx); err != nil || !v.OK() {
				t.Fatalf("verify: %v %+v", err, v)
			}
		})
	}
}

// TestRelativeTermsAtIssueTime: terms asked relative to now (365 days)
// computed a second before the license is signed are counted from its
// issue time, so that a retry of the order (compared as asked at the
// recorded issue time) returns the license instead of a conflict. Through
// Issuer.License and through a Pool.
func TestRelativeTermsAtIssueTime(t *testing.T) {
	for _, pooled := range []bool{false, true} {
		t.Run(fmt.Sprintf("pool=%v", pooled), func(t *testing.T) {
			ctx := context.Background()
			l := openLedger(t, backends()[0].open(t))
			is := newIssuer(testKey(t, "acme"), l, nil)
			is.Write = func(file string, data []byte, replace bool) error { return nil }
			is.Now = func() time.Time { return t0.Add(time.Second) } // signed a second after the request
			issue1 := is.License
			if pooled {
				pool := is.NewPool(issue.PoolConfig{})
				defer pool.Close()
				issue1 = pool.License
			}
			req := func(asked time.Time) *issue.LicenseRequest {
				terms := func(at time.Time) *token.License {
					return &token.License{Subject: "c", Audience: []string{"acme-db"}, Tier: "pro", Expiry: at.Add(365 * 24 * time.Hour)}
				}
				return &issue.LicenseRequest{License: terms(asked), Order: "PO-9", Out: streamOut,
					AskedAt: func(at time.Time) (*token.License, error) { return terms(at), nil }}
			}
			first, err := issue1(ctx, req(t0))
			if err != nil {
				t.Fatal(err)
			}
			if want := first.Entry.IssuedAt.Add(365 * 24 * time.Hour); !first.Entry.Expiry.Equal(want) {
				t.Errorf("expiry %s, want 365 days from the issue time (%s)", first.Entry.Expiry, want)
			}
			again, err := issue1(ctx, req(t0.Add(2*time.Second)))
			if err != nil || !again.Existing || again.Entry.ID != first.Entry.ID {
				t.Fatalf("the retry: %v", err)
			}
		})
	}
}

// TestPoolCloseCommits: Close commits the requests already pooled and
// answers them (nothing pooled is lost when a server stops).
func TestPoolCloseCommits(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, backends()[0].open(t))
	is := newIssuer(testKey(t, "acme"), l, nil)
	is.Write = func(file string, data []byte, replace bool) error { return nil }
	pool := is.NewPool(issue.PoolConfig{Wait: time.Hour})
	errs := make(chan error, 3)
	for i := range 3 {
		go func() {
			_, err := pool.License(ctx, &issue.LicenseRequest{License: poolTerms("c"), Order: fmt.Sprintf("PO-%d", i), Out: streamOut})
			errs <- err
		}()
	}
	// Wait until all three are pooled: the sequencer holds them for an
	// hour unless the pool closes.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if pool.Pooled() == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests pooled after 30 s, want 3", pool.Pooled())
		}
	}
	pool.Close()
	for range 3 {
		if err := <-errs; err != nil {
			t.Errorf("a request pooled before Close: %v", err)
		}
	}
	if all, _ := l.List(ctx, ledger.Filter{Kind: ledger.KindLicense}); len(all) != 3 {
		t.Errorf("the ledger holds %d licenses, want 3", len(all))
	}
}

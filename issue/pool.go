package issue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// Pool issues the licenses that concurrent callers ask of one Issuer
// through shared ledger transactions, as a log sequencer does: each
// request is checked and signed on its caller's goroutine (so signing
// runs on every core), then joins the pool; one sequencer goroutine
// appends everything pooled in one [ledger.Ledger.Append] (one
// transaction, one signed checkpoint of the log) and answers every waiter
// from that commit. Throughput is then bounded by signing, not by one
// commit per license.
//
// Pool.License answers as [Issuer.License] does: an order already
// recorded with the same terms returns the recorded license
// (Result.Existing), with other terms a [*ConflictError]. Two requests
// with one order in one process never both sign: the second waits for
// the first and gets its license (or a conflict). A request that cannot
// be issued (invalid terms, outside its grant, a conflict) fails before
// it joins the pool, and an append refused because of one record (an
// order recorded meanwhile by another process sharing the ledger) is
// made again without it: no request fails because of another.
type Pool struct {
	is  *Issuer
	cfg PoolConfig

	joins chan *pooled
	stop  chan struct{}
	done  chan struct{}

	mu      sync.Mutex
	closed  bool
	senders sync.WaitGroup
	// delivering counts the groups recorded and being written.
	delivering sync.WaitGroup
	// waiting counts the requests signed and not yet answered.
	waiting atomic.Int64
	// preparing counts the requests being checked and signed: they join
	// soon. One that fails before joining sends on gaveUp.
	preparing atomic.Int64
	gaveUp    chan struct{}
	// lastCommit is how long the sequencer's previous commit took;
	// settleMin is the least it waits for requests being prepared
	// (tests).
	lastCommit, settleMin time.Duration
	// orders holds the order references being issued in this process:
	// the channel is closed once the order is recorded (or failed).
	orders map[string]chan struct{}
}

// PoolConfig is how a [Pool] groups requests.
type PoolConfig struct {
	// Max is the most licenses appended in one transaction; 0 is 256.
	Max int
	// Wait is how long the sequencer keeps collecting after the first
	// request of a group arrived, unless Max are pooled first. 0 commits
	// what has arrived as soon as the previous commit is done (requests
	// arriving during a commit make up the next group, so a lone request
	// waits for nothing), after waiting, up to half as long as the
	// previous commit took, for the requests being checked and signed at
	// that moment: under load the clients answered by one commit come
	// back together, and the first of them would otherwise be committed
	// alone, the rest in the next commit.
	Wait time.Duration
	// States sets the ledger state of each license recorded (its
	// Entry.State, see ledger.States), in one query per group: for
	// callers that answer with it, rather than one query each. A state
	// that cannot be read is left nil.
	States bool
}

// pooled is a signed license waiting for its commit.
type pooled struct {
	rec  ledger.Record
	out  Out
	res  *Result
	done chan error // receives the outcome once
}

// NewPool starts the sequencer of a pool over is; Close stops it. From
// then on the Issuer reads its rotation grants at most once a second (see
// [Issuer.Rotation]): not once per license.
func (is *Issuer) NewPool(cfg PoolConfig) *Pool {
	is.rotMu.Lock()
	is.rotationTTL = rotationTTL
	is.rotMu.Unlock()
	if cfg.Max <= 0 {
		cfg.Max = 256
	}
	p := &Pool{is: is, cfg: cfg, joins: make(chan *pooled, cfg.Max), stop: make(chan struct{}), done: make(chan struct{}),
		orders: map[string]chan struct{}{}, gaveUp: make(chan struct{}, 1)}
	go p.run()
	return p
}

// rotationTTL is how long an Issuer with a Pool trusts the rotation
// grants it read.
const rotationTTL = time.Second

// ErrPoolClosed is a request made of a closed [Pool].
var ErrPoolClosed = errors.New("issue: the issuing pool is closed (the server is stopping)")

// Close stops taking requests, commits those already pooled, answers
// them and returns.
func (p *Pool) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.done
		return
	}
	p.closed = true
	p.mu.Unlock()
	p.senders.Wait()
	close(p.stop)
	<-p.done
}

// License issues a license as [Issuer.License] does, its record appended
// together with those of the concurrent requests (see [Pool]).
func (p *Pool) License(ctx context.Context, req *LicenseRequest) (*Result, error) {
	for attempt := 0; ; attempt++ {
		res, err := p.license(ctx, req)
		var dup *ledger.DuplicateError
		if req.Order != "" && attempt < 3 && errors.As(err, &dup) && dup.Field == "order reference" {
			// Another process recorded the order first: the next
			// attempt finds it (the same terms: that license; other
			// terms: a conflict).
			continue
		}
		return res, err
	}
}

func (p *Pool) license(ctx context.Context, req *LicenseRequest) (*Result, error) {
	release := func() {}
	if req.Order != "" {
		var err error
		if release, err = p.claim(ctx, req.Order); err != nil {
			return nil, err
		}
	}
	p.preparing.Add(1)
	joined := false
	defer func() {
		if !joined {
			p.giveUp()
			release()
		}
	}()
	if req.Order != "" {
		if r, err := p.is.existing(ctx, req); r != nil || err != nil {
			return r, err
		}
	}
	pd, err := p.sign(ctx, req)
	if err != nil {
		return nil, err
	}
	if req.Out.Reply {
		// Handed back in the reply: encoded now and recorded written, so
		// that no second transaction marks it.
		if pd.res.Data, err = replyData(pd.rec.Raw, req.Out); err != nil {
			return nil, err
		}
		pd.rec.Written = true
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrPoolClosed
	}
	p.senders.Add(1)
	p.mu.Unlock()
	joined = true
	return p.await(ctx, pd, release)
}

// giveUp counts a request that stopped preparing without joining.
func (p *Pool) giveUp() {
	p.preparing.Add(-1)
	select {
	case p.gaveUp <- struct{}{}:
	default:
	}
}

// received counts a request that joined.
func (p *Pool) received(pd *pooled) *pooled {
	p.preparing.Add(-1)
	return pd
}

// claim makes the caller the one request issuing order in this process,
// waiting while another one does; release ends the claim.
func (p *Pool) claim(ctx context.Context, order string) (release func(), err error) {
	for {
		p.mu.Lock()
		busy, ok := p.orders[order]
		if !ok {
			ch := make(chan struct{})
			p.orders[order] = ch
			p.mu.Unlock()
			return func() {
				p.mu.Lock()
				delete(p.orders, order)
				p.mu.Unlock()
				close(ch)
			}, nil
		}
		p.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// sign checks and signs the license of req (on the caller's goroutine).
func (p *Pool) sign(ctx context.Context, req *LicenseRequest) (*pooled, error) {
	now := p.is.now()
	terms, err := termsAt(req, now)
	if err != nil {
		return nil, err
	}
	lic, grantRaw, g, rotation, err := p.is.prepare(ctx, terms, req.Grant, req.NoRotationGrant, now)
	if err != nil {
		return nil, err
	}
	signer, err := p.is.Signer()
	if err != nil {
		return nil, err
	}
	raw, err := token.SignLicense(signer, lic, grantRaw)
	if err != nil {
		return nil, err
	}
	*req.License = *lic
	return &pooled{
		rec: ledger.Record{Raw: raw, OrderRef: req.Order, RenewedFrom: req.RenewedFrom, File: req.Out.File, PublicKey: p.is.PublicKey,
			Audit: ledger.AuditOf(ctx)}, // the commit's context is not the caller's
		out:  req.Out,
		res:  &Result{File: req.Out.File, Grant: g, Rotation: rotation},
		done: make(chan error, 1),
	}, nil
}

// await hands pd to the sequencer (the caller counted in p.senders) and
// waits for its commit; release runs once the outcome is known (even when
// the caller gave up waiting).
func (p *Pool) await(ctx context.Context, pd *pooled, release func()) (*Result, error) {
	p.waiting.Add(1)
	p.joins <- pd
	p.senders.Done()
	select {
	case err := <-pd.done:
		release()
		if err != nil {
			return nil, err
		}
		return pd.res, nil
	case <-ctx.Done():
		// The commit goes on without the caller; the claim on its order
		// ends with it.
		go func() { <-pd.done; release() }()
		return nil, ctx.Err()
	}
}

// run is the sequencer: it collects pooled licenses and commits them.
func (p *Pool) run() {
	defer close(p.done)
	defer p.delivering.Wait()
	for {
		var first *pooled
		select {
		case first = <-p.joins:
		case <-p.stop:
			for {
				select {
				case pd := <-p.joins:
					p.commit(p.collect(p.received(pd)))
				default:
					return
				}
			}
		}
		group := p.collect(p.received(first))
		start := time.Now()
		p.commit(group)
		p.lastCommit = time.Since(start)
	}
}

// collect returns first and what joins after it: what is queued now, or
// what arrives within cfg.Wait, up to cfg.Max.
func (p *Pool) collect(first *pooled) []*pooled {
	group := []*pooled{first}
	var timeout <-chan time.Time
	if p.cfg.Wait > 0 {
		t := time.NewTimer(p.cfg.Wait)
		defer t.Stop()
		timeout = t.C
	}
	for len(group) < p.cfg.Max {
		if timeout == nil {
			select {
			case pd := <-p.joins:
				group = append(group, p.received(pd))
				continue
			default:
			}
			if p.preparing.Load() > 0 {
				return p.settle(group)
			}
			return group
		}
		select {
		case pd := <-p.joins:
			group = append(group, p.received(pd))
		case <-timeout:
			return group
		case <-p.stop: // closing: commit now
			return group
		}
	}
	return group
}

// settle adds to group the requests being prepared, waiting for them up
// to half the previous commit's duration (PoolConfig.Wait).
func (p *Pool) settle(group []*pooled) []*pooled {
	t := time.NewTimer(max(p.lastCommit/2, p.settleMin))
	defer t.Stop()
	for len(group) < p.cfg.Max && p.preparing.Load() > 0 {
		select {
		case pd := <-p.joins:
			group = append(group, p.received(pd))
		case <-p.gaveUp: // one failed: are others still coming?
		case <-t.C:
			return group
		case <-p.stop:
			return group
		}
	}
	return group
}

// commitTimeout bounds one commit: the callers' contexts do not (one
// caller giving up must not fail the others).
const commitTimeout = time.Minute

// commit appends group in one transaction and answers each of its
// requests. A refused append is made again without the records that
// caused it: an order recorded meanwhile answers its request with the
// ledger's DuplicateError (License then returns the recorded license);
// any other refusal splits the group into single appends, so that each
// request gets its own outcome.
func (p *Pool) commit(group []*pooled) {
	if len(group) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	recs := make([]ledger.Record, len(group))
	for i, pd := range group {
		recs[i] = pd.rec
	}
	entries, err := p.is.append(ctx, recs...)
	if err == nil {
		// Written and marked while the next group is appended: marking
		// takes no lock on the log.
		p.delivering.Add(1)
		go func() {
			defer p.delivering.Done()
			ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
			defer cancel()
			p.deliver(ctx, group, entries)
		}()
		return
	}
	if len(group) == 1 {
		p.answer(group[0], err)
		return
	}
	var dup *ledger.DuplicateError
	if errors.As(err, &dup) {
		var rest []*pooled
		for _, pd := range group {
			if pd.rec.OrderRef != "" {
				if old, err := p.is.Ledger.ByOrder(ctx, pd.rec.OrderRef); err == nil {
					p.answer(pd, &ledger.DuplicateError{Field: "order reference", Value: pd.rec.OrderRef, Existing: old})
					continue
				}
			}
			rest = append(rest, pd)
		}
		if len(rest) < len(group) {
			p.commit(rest)
			return
		}
	}
	for _, pd := range group {
		p.commit([]*pooled{pd})
	}
}

// deliver writes each freshly recorded license where its request asks,
// marks those written in one transaction and answers every request (a
// license handed back in the reply is recorded written already).
func (p *Pool) deliver(ctx context.Context, group []*pooled, entries []*ledger.Entry) {
	var ok []*ledger.Entry
	errs := make([]error, len(group))
	for i, pd := range group {
		e := entries[i]
		pd.res.Entry = e
		if pd.out.Reply {
			continue // encoded before, recorded written
		}
		data, err := pd.out.Encode(e)
		if err == nil {
			err = p.is.Write(pd.out.File, data, pd.out.Replace)
		}
		if err != nil {
			errs[i] = &UnwrittenError{Entry: e, Err: err}
			continue
		}
		pd.res.Data = data
		e.File = pd.out.File
		ok = append(ok, e)
	}
	if len(ok) == 0 {
		// nothing to mark
	} else if err := p.is.Ledger.MarkWrittenMany(ctx, ok); err != nil {
		for i := range group {
			if errs[i] == nil {
				errs[i] = &UnwrittenError{Entry: entries[i], Err: fmt.Errorf("marking it written: %w", err)}
			}
		}
	}
	if p.cfg.States && p.is.Ledger.States(ctx, p.is.now(), entries...) != nil {
		for _, e := range entries {
			e.State = nil // the caller reads them itself
		}
	}
	for i, pd := range group {
		p.answer(pd, errs[i])
	}
}

// answer gives a pooled request its outcome.
func (p *Pool) answer(pd *pooled, err error) {
	p.waiting.Add(-1)
	pd.done <- err
}

// Pooled returns how many requests are signed and waiting for their
// commit.
func (p *Pool) Pooled() int { return int(p.waiting.Load()) }

// termsAt returns the terms of req as asked at now, the issue time: a
// request with relative terms (365 days from now) made a second before it
// is signed would otherwise record an expiry that a retry, asked at the
// recorded issue time, finds different.
func termsAt(req *LicenseRequest, now time.Time) (*token.License, error) {
	if req.AskedAt == nil {
		return req.License, nil
	}
	return req.AskedAt(now)
}

package issue

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// BatchJob is one license of a batch, identified by its order reference.
type BatchJob struct {
	Order string
	// License holds the terms; Batch sets its ID, Issuer and IssuedAt.
	License *token.License
	File    string // where the license is written
	// Name names the job in messages, e.g. "line 3 (order PO-1187)"; ""
	// is "order ORDER".
	Name string
	// AskedAt, when set, returns the terms as asked at an earlier time
	// (see [LicenseRequest]): an order already recorded is compared with
	// the terms asked at its issue time.
	AskedAt func(now time.Time) (*token.License, error)
}

func (j *BatchJob) name() string {
	if j.Name != "" {
		return j.Name
	}
	return "order " + j.Order
}

// Batch outcomes.
const (
	Issued    = "issued"    // signed, recorded and written now
	Recovered = "recovered" // recorded by an earlier, interrupted run; written now
	Existing  = "existing"  // issued by an earlier run with the same terms
	Conflict  = "conflict"  // issued by an earlier run with other terms: nothing done
)

// BatchOutcome is what Batch did for one job.
type BatchOutcome struct {
	Job    *BatchJob
	Entry  *ledger.Entry
	Status string
	// Differences lists, for a conflict, each term that differs:
	// "field: recorded vs asked".
	Differences []string
}

// BatchConfig is how Batch signs and writes.
type BatchConfig struct {
	// Grant is the raw grant to embed (partners); nil lets the Issuer
	// attach its rotation grant when one is needed.
	Grant []byte
	// NoRotationGrant signs without the rotation grant.
	NoRotationGrant bool
	Workers         int // signing goroutines; 0: GOMAXPROCS
	Chunk           int // licenses per ledger transaction; 0: 256
	// Encode returns the file content of a recorded license.
	Encode func(e *ledger.Entry) ([]byte, error)
	// Progress, when set, is called as jobs complete.
	Progress func(done, total int)
	// Recorded, when set, is called after each chunk is recorded and
	// before its files are written, with the number recorded so far.
	Recorded func(recorded int)
}

// ProblemsError lists every problem found before anything was signed.
type ProblemsError struct{ Problems []string }

func (e *ProblemsError) Error() string {
	return "issue: " + strings.Join(e.Problems, "; ")
}

// Batch issues a license per job, idempotently by order reference: a job
// whose order is recorded with the same terms is written again where it
// asks if needed (Existing, or Recovered when an interrupted run recorded
// it but did not finish writing it); one recorded with other terms is a
// Conflict, nothing done; the others are checked all at once (claims,
// grant), signed in parallel, recorded (unwritten) in chunks, written,
// and marked written. A rerun after a crash at any point therefore issues
// nothing twice and loses nothing.
func (is *Issuer) Batch(ctx context.Context, jobs []*BatchJob, cfg BatchConfig) ([]*BatchOutcome, error) {
	if cfg.Chunk <= 0 {
		cfg.Chunk = 256
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	now := is.now()
	outcomes := make([]*BatchOutcome, len(jobs))
	var todo []int
	done := 0
	for i, j := range jobs {
		o, err := is.batchExisting(ctx, j, cfg)
		if err != nil {
			return outcomes, err
		}
		if o == nil {
			todo = append(todo, i)
			continue
		}
		outcomes[i] = o
		done++
		if cfg.Progress != nil {
			cfg.Progress(done, len(jobs))
		}
	}
	if len(todo) == 0 {
		return outcomes, nil
	}
	sc, err := is.batchCheck(ctx, jobs, todo, cfg, now)
	if err != nil {
		return outcomes, err
	}
	if sc.signer, err = is.Signer(); err != nil {
		return outcomes, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	signed, errc := signJobs(ctx, jobs, todo, sc, cfg.Workers, cfg.Chunk)
	recorded := 0
	for chunk := range signed {
		recs := make([]ledger.Record, len(chunk))
		for k, s := range chunk {
			recs[k] = ledger.Record{Raw: s.raw, OrderRef: jobs[s.index].Order, File: jobs[s.index].File, PublicKey: is.PublicKey}
		}
		entries, err := is.append(ctx, recs...)
		if err != nil {
			cancel()
			drain(signed)
			return outcomes, err
		}
		recorded += len(entries)
		if cfg.Recorded != nil {
			cfg.Recorded(recorded)
		}
		if err := is.writeChunk(ctx, entries, cfg); err != nil {
			cancel()
			drain(signed)
			return outcomes, err
		}
		for k, s := range chunk {
			outcomes[s.index] = &BatchOutcome{Job: jobs[s.index], Entry: entries[k], Status: Issued}
		}
		done += len(chunk)
		if cfg.Progress != nil {
			cfg.Progress(done, len(jobs))
		}
	}
	return outcomes, <-errc
}

// batchExisting returns the outcome of a job whose order is recorded
// (written again where the job asks, if needed), nil for a new order.
func (is *Issuer) batchExisting(ctx context.Context, j *BatchJob, cfg BatchConfig) (*BatchOutcome, error) {
	e, err := is.Ledger.ByOrder(ctx, j.Order)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	asked := j.License
	if j.AskedAt != nil && e.Kind == ledger.KindLicense {
		if asked, err = j.AskedAt(e.IssuedAt); err != nil {
			return nil, fmt.Errorf("issue: %s: %w", j.name(), err)
		}
	}
	if d := Differences(e, asked, ""); len(d) > 0 {
		return &BatchOutcome{Job: j, Entry: e, Status: Conflict, Differences: d}, nil
	}
	written := e.Written
	if err := is.writeRecorded(ctx, e, j.File, cfg); err != nil {
		return nil, err
	}
	if written {
		return &BatchOutcome{Job: j, Entry: e, Status: Existing}, nil
	}
	return &BatchOutcome{Job: j, Entry: e, Status: Recovered}, nil
}

// signContext is what every batch worker signs with.
type signContext struct {
	signer crypto.Signer
	issuer string
	now    time.Time
	grant  []byte
}

// batchCheck checks every job to sign (claims, grant) before anything is
// signed, and returns what to sign with (but the signer).
func (is *Issuer) batchCheck(ctx context.Context, jobs []*BatchJob, todo []int, cfg BatchConfig, now time.Time) (*signContext, error) {
	sc := &signContext{issuer: is.Name, now: now, grant: cfg.Grant}
	var g *token.Grant
	rotation := false
	if cfg.Grant != nil {
		var err error
		if g, err = decodeGrant(cfg.Grant); err != nil {
			return nil, err
		}
		if !g.Key.Equal(is.PublicKey) {
			return nil, fmt.Errorf("issue: grant %x is for the key %x of %s, not for the signing key %x", g.ID, token.KeyID(g.Key), g.Subject, is.KeyID())
		}
	} else if !cfg.NoRotationGrant {
		rot, err := is.Rotation(ctx)
		if err != nil {
			return nil, err
		}
		if rot != nil {
			g, sc.grant, rotation = rot.Grant, rot.Raw, true
		}
	}
	var problems []string
	for _, i := range todo {
		j := jobs[i]
		lic := *j.License
		lic.Issuer, lic.IssuedAt, lic.ID = is.Name, now, make([]byte, token.IDSize)
		if err := lic.Validate(); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s", j.name(), strings.TrimPrefix(err.Error(), "token: invalid license: ")))
			continue
		}
		if g == nil {
			continue
		}
		what := "outside the grant"
		if rotation {
			what = fmt.Sprintf("outside the rotation grant %x", g.ID)
		}
		for _, v := range verify.Violations(g, &lic) {
			problems = append(problems, fmt.Sprintf("%s: %s: %s", j.name(), what, v))
		}
	}
	if len(problems) > 0 {
		return nil, &ProblemsError{Problems: problems}
	}
	return sc, nil
}

func drain[T any](c <-chan T) {
	for range c {
	}
}

// signedJob is a signed license of job index.
type signedJob struct {
	index int
	raw   []byte
}

// signJobs signs the jobs at todo with workers goroutines and sends
// them in chunks of at most chunkSize, as soon as any are ready. The error
// channel receives the first signing error (or nil) once all are done.
//
// Each worker takes every workers-th job of todo and hands its results
// over a few at a time (signFlush): one channel operation per signature
// cost as much as a tenth of the signing itself on two cores.
func signJobs(ctx context.Context, jobs []*BatchJob, todo []int, sc *signContext, workers, chunkSize int) (<-chan []signedJob, <-chan error) {
	ctx, cancel := context.WithCancel(ctx)
	flush := max(1, min(chunkSize, signFlush))
	out := make(chan []signedJob, workers)
	errc := make(chan error, 1)
	var firstErr error
	var once sync.Once
	fail := func(err error) { once.Do(func() { firstErr = err; cancel() }) }
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := make([]signedJob, 0, flush)
			send := func() bool {
				select {
				case out <- batch:
					batch = make([]signedJob, 0, flush)
					return true
				case <-ctx.Done():
					return false
				}
			}
			for k := w; k < len(todo); k += workers {
				if ctx.Err() != nil {
					return
				}
				i := todo[k]
				raw, err := sc.sign(jobs[i].License)
				if err != nil {
					fail(fmt.Errorf("issue: %s: %w", jobs[i].name(), err))
					return
				}
				if batch = append(batch, signedJob{i, raw}); len(batch) == flush && !send() {
					return
				}
			}
			if len(batch) > 0 {
				send()
			}
		}()
	}
	go func() { wg.Wait(); close(out) }()
	chunks := make(chan []signedJob)
	go func() {
		defer close(chunks)
		defer cancel()
		for b := range out {
			chunk := b
		fill:
			for len(chunk) < chunkSize {
				select {
				case b, ok := <-out:
					if !ok {
						break fill
					}
					chunk = append(chunk, b...)
				default:
					break fill
				}
			}
			for len(chunk) > chunkSize {
				chunks <- chunk[:chunkSize:chunkSize]
				chunk = chunk[chunkSize:]
			}
			chunks <- chunk
		}
		errc <- firstErr
	}()
	return chunks, errc
}

// signFlush is how many signed licenses a batch worker hands over at once.
const signFlush = 64

// sign signs one license of a batch: a fresh id, the issuer and time of
// the batch, its grant.
func (sc *signContext) sign(terms *token.License) ([]byte, error) {
	id, err := token.NewID(nil)
	if err != nil {
		return nil, err
	}
	lic := *terms
	lic.ID, lic.Issuer, lic.IssuedAt = id, sc.issuer, sc.now
	return token.SignLicense(sc.signer, &lic, sc.grant)
}

// writeChunk writes the files of freshly recorded entries and marks them
// written in one transaction.
func (is *Issuer) writeChunk(ctx context.Context, entries []*ledger.Entry, cfg BatchConfig) error {
	for _, e := range entries {
		data, err := cfg.Encode(e)
		if err != nil {
			return err
		}
		if err := is.Write(e.File, data, false); err != nil {
			return fmt.Errorf("issue: order %s: writing %s: %w (the license %s is recorded, unwritten: run the batch again)", e.OrderRef, e.File, err, e.ID)
		}
	}
	return is.Ledger.MarkWrittenMany(ctx, entries)
}

// writeRecorded writes the file of an entry recorded by an earlier run
// where a job asks for it (see [Issuer.writeAgain]).
func (is *Issuer) writeRecorded(ctx context.Context, e *ledger.Entry, file string, cfg BatchConfig) error {
	_, err := is.writeAgain(ctx, e, Out{File: file, Encode: cfg.Encode})
	return err
}

// writeAgain writes a recorded entry where out asks. A file already there
// with the same content (written by an earlier run, or by a run stopped
// after writing it) is kept, unless out.Replace; other content is an
// error. The entry is then marked written to that file.
func (is *Issuer) writeAgain(ctx context.Context, e *ledger.Entry, out Out) ([]byte, error) {
	data, err := out.Encode(e)
	if err != nil {
		return nil, err
	}
	if !out.Reply {
		err = is.Write(out.File, data, out.Replace)
	}
	if errors.Is(err, fs.ErrExist) {
		have, rerr := os.ReadFile(out.File)
		if rerr != nil || !bytes.Equal(have, data) {
			return nil, fmt.Errorf("issue: order %s: %s exists and is not the recorded license %s: move it away (or replace it) and try again", e.OrderRef, out.File, e.ID)
		}
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("issue: order %s: writing %s: %w", e.OrderRef, out.File, err)
	}
	if e.Written && (e.File == out.File || out.File == "") {
		return data, nil
	}
	e.File = out.File
	return data, is.Ledger.MarkWrittenMany(ctx, []*ledger.Entry{e})
}

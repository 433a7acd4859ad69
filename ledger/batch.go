package ledger

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/licet/licet/token"
)

// BatchJob is one license of a batch, identified by its order reference.
type BatchJob struct {
	Order string
	// License holds the terms; Batch sets its ID, Issuer and IssuedAt.
	License *token.License
	File    string // where the license is written
}

// Batch outcomes.
const (
	Issued    = "issued"    // signed, recorded and written now
	Recovered = "recovered" // recorded by an earlier, interrupted run; written now
	Skipped   = "skipped"   // issued by an earlier run: nothing done
)

// BatchOutcome is what Batch did for one job.
type BatchOutcome struct {
	Job    *BatchJob
	Entry  *Entry
	Status string
}

// BatchConfig is how Batch signs and writes.
type BatchConfig struct {
	Signer    crypto.Signer // the unlocked key, used by every worker
	PublicKey ed25519.PublicKey
	Issuer    string
	Grant     []byte    // raw grant to embed (partners); nil for none
	Now       time.Time // the iat of every license
	Workers   int       // signing goroutines; 0: GOMAXPROCS
	Chunk     int       // licenses per ledger transaction; 0: 256
	// Encode returns the file content of a recorded license.
	Encode func(e *Entry) ([]byte, error)
	// WriteFile writes a new file atomically; it must fail with an error
	// wrapping fs.ErrExist when the file exists.
	WriteFile func(path string, data []byte) error
	// Progress, when set, is called as jobs complete.
	Progress func(done, total int)
	// AfterAppend, when set, is called after each chunk is recorded and
	// before its files are written, with the number recorded so far (a
	// hook for crash tests).
	AfterAppend func(recorded int)
}

// Batch issues a license per job, idempotently by order reference: a job
// whose order is recorded and written is skipped; one recorded but not
// written (a run interrupted between the two) is written from the
// recorded bytes; the others are signed in parallel, recorded (unwritten)
// in chunks, written, and marked written. A rerun after a crash at any
// point therefore issues nothing twice and loses nothing.
func (l *Ledger) Batch(ctx context.Context, jobs []*BatchJob, cfg BatchConfig) ([]*BatchOutcome, error) {
	if cfg.Chunk <= 0 {
		cfg.Chunk = 256
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	outcomes := make([]*BatchOutcome, len(jobs))
	var todo []int
	done := 0
	for i, j := range jobs {
		e, err := l.ByOrder(ctx, j.Order)
		switch {
		case errors.Is(err, ErrNotFound):
			todo = append(todo, i)
			continue
		case err != nil:
			return outcomes, err
		case e.Written:
			outcomes[i] = &BatchOutcome{Job: j, Entry: e, Status: Skipped}
		default:
			if err := l.writeRecorded(ctx, e, j.File, cfg); err != nil {
				return outcomes, err
			}
			outcomes[i] = &BatchOutcome{Job: j, Entry: e, Status: Recovered}
		}
		done++
		if cfg.Progress != nil {
			cfg.Progress(done, len(jobs))
		}
	}
	if len(todo) == 0 {
		return outcomes, nil
	}
	cs, err := NewCheckpointSigner(cfg.Signer)
	if err != nil {
		return outcomes, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	signed, errc := signJobs(ctx, jobs, todo, cfg)
	recorded := 0
	for chunk := range signed {
		recs := make([]Record, len(chunk))
		for k, s := range chunk {
			recs[k] = Record{Raw: s.raw, OrderRef: jobs[s.index].Order, File: jobs[s.index].File, PublicKey: cfg.PublicKey}
		}
		entries, err := l.Append(ctx, cs, recs...)
		if err != nil {
			cancel()
			drain(signed)
			return outcomes, err
		}
		recorded += len(entries)
		if cfg.AfterAppend != nil {
			cfg.AfterAppend(recorded)
		}
		if err := l.writeChunk(ctx, entries, cfg); err != nil {
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

func drain[T any](c <-chan T) {
	for range c {
	}
}

// signedJob is a signed license of job index.
type signedJob struct {
	index int
	raw   []byte
}

// signJobs signs the jobs at todo with cfg.Workers goroutines and sends
// them in chunks of at most cfg.Chunk, as soon as any are ready. The error
// channel receives the first signing error (or nil) once all are done.
//
// Each worker takes every cfg.Workers-th job of todo and hands its results
// over a few at a time (signFlush): one channel operation per signature
// cost as much as a tenth of the signing itself on two cores.
func signJobs(ctx context.Context, jobs []*BatchJob, todo []int, cfg BatchConfig) (<-chan []signedJob, <-chan error) {
	ctx, cancel := context.WithCancel(ctx)
	flush := max(1, min(cfg.Chunk, signFlush))
	out := make(chan []signedJob, cfg.Workers)
	errc := make(chan error, 1)
	var firstErr error
	var once sync.Once
	fail := func(err error) { once.Do(func() { firstErr = err; cancel() }) }
	var wg sync.WaitGroup
	for w := range cfg.Workers {
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
			for k := w; k < len(todo); k += cfg.Workers {
				if ctx.Err() != nil {
					return
				}
				i := todo[k]
				raw, err := SignJob(jobs[i], cfg)
				if err != nil {
					fail(fmt.Errorf("ledger: order %s: %w", jobs[i].Order, err))
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
			for len(chunk) < cfg.Chunk {
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
			for len(chunk) > cfg.Chunk {
				chunks <- chunk[:cfg.Chunk:cfg.Chunk]
				chunk = chunk[cfg.Chunk:]
			}
			chunks <- chunk
		}
		errc <- firstErr
	}()
	return chunks, errc
}

// signFlush is how many signed licenses a batch worker hands over at once.
const signFlush = 64

// SignJob signs the license of one job: a fresh id, cfg's issuer and
// time. It is the signing step of [Ledger.Batch], exported for benchmarks.
func SignJob(j *BatchJob, cfg BatchConfig) ([]byte, error) {
	id, err := token.NewID(nil)
	if err != nil {
		return nil, err
	}
	lic := *j.License
	lic.ID, lic.Issuer, lic.IssuedAt = id, cfg.Issuer, cfg.Now.UTC().Truncate(time.Second)
	return token.SignLicense(cfg.Signer, &lic, cfg.Grant)
}

// writeChunk writes the files of freshly recorded entries and marks them
// written in one transaction.
func (l *Ledger) writeChunk(ctx context.Context, entries []*Entry, cfg BatchConfig) error {
	for _, e := range entries {
		data, err := cfg.Encode(e)
		if err != nil {
			return err
		}
		if err := cfg.WriteFile(e.File, data); err != nil {
			return fmt.Errorf("ledger: order %s: writing %s: %w (the license %s is recorded, unwritten: run the batch again)", e.OrderRef, e.File, err, e.ID)
		}
	}
	return l.markWrittenMany(ctx, entries)
}

// writeRecorded writes the file of an entry recorded by an interrupted
// run. A file already there with the same content (the run stopped after
// writing it) only needs marking; other content is an error.
func (l *Ledger) writeRecorded(ctx context.Context, e *Entry, file string, cfg BatchConfig) error {
	data, err := cfg.Encode(e)
	if err != nil {
		return err
	}
	err = cfg.WriteFile(file, data)
	if errors.Is(err, fs.ErrExist) {
		have, rerr := os.ReadFile(file)
		if rerr != nil || !bytes.Equal(have, data) {
			return fmt.Errorf("ledger: order %s: %s exists and is not the recorded license %s: move it away and run the batch again", e.OrderRef, file, e.ID)
		}
		err = nil
	}
	if err != nil {
		return fmt.Errorf("ledger: order %s: writing %s: %w", e.OrderRef, file, err)
	}
	e.File = file
	return l.markWrittenMany(ctx, []*Entry{e})
}

// markWrittenMany marks entries written, in one transaction.
func (l *Ledger) markWrittenMany(ctx context.Context, entries []*Entry) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return l.wrap("updating", err)
	}
	defer tx.Rollback()
	for _, e := range entries {
		if _, err := tx.ExecContext(ctx, l.q("UPDATE entries SET written = ?, file = ? WHERE id = ?"), true, e.File, e.ID); err != nil {
			return l.wrap("updating", err)
		}
		e.Written = true
	}
	return l.wrap("updating", tx.Commit())
}

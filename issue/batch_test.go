package issue_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

func batchJobs(dir string, n int) []*issue.BatchJob {
	jobs := make([]*issue.BatchJob, n)
	for i := range jobs {
		jobs[i] = &issue.BatchJob{
			Order:   fmt.Sprintf("PO-%03d", i),
			License: &token.License{Subject: fmt.Sprintf("c%d", i), Audience: []string{"acme-db"}, Tier: "pro", Expiry: t0.Add(time.Hour * 24 * 365)},
			File:    filepath.Join(dir, fmt.Sprintf("PO-%03d.lic", i)),
		}
	}
	return jobs
}

func batchConfig() issue.BatchConfig {
	return issue.BatchConfig{Chunk: 7, Encode: func(e *ledger.Entry) ([]byte, error) { return e.Raw, nil }}
}

// TestBatchInterrupted stops a batch at every stage (a write that fails,
// a file written but not marked, a record without its file) and checks
// that the next run completes it with every order issued exactly once.
func TestBatchInterrupted(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			l := openLedger(t, b.open(t))
			k := testKey(t, "acme")
			dir := t.TempDir()
			jobs := batchJobs(dir, 40)

			// Run 1: the 12th file cannot be written.
			is := newIssuer(k, l, nil)
			var writes atomic.Int32
			is.Write = func(path string, data []byte, replace bool) error {
				if writes.Add(1) == 12 {
					return errors.New("disk full")
				}
				return keys.WriteFile(path, data, 0o644, replace)
			}
			if _, err := is.Batch(ctx, jobs, batchConfig()); err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "run the batch again") {
				t.Fatalf("run 1: %v", err)
			}
			// A file written by an interrupted run but never marked: the
			// next run finds the same bytes there.
			unwritten, _ := l.List(ctx, ledger.Filter{Unwritten: true})
			if len(unwritten) == 0 {
				t.Fatal("no unwritten entry after a failed write")
			}
			if err := os.WriteFile(unwritten[0].File, unwritten[0].Raw, 0o644); err != nil {
				t.Fatal(err)
			}

			// Run 2 completes; progress reaches the total.
			is = newIssuer(k, l, nil)
			cfg := batchConfig()
			var last atomic.Int64
			cfg.Progress = func(done, total int) { last.Store(int64(done*1000 + total)) }
			outcomes, err := is.Batch(ctx, jobs, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if last.Load() != 40*1000+40 {
				t.Errorf("last progress %d", last.Load())
			}
			count := map[string]int{}
			for _, o := range outcomes {
				count[o.Status]++
			}
			if count[issue.Recovered] == 0 || count[issue.Existing] == 0 || count[issue.Issued] == 0 || len(outcomes) != 40 {
				t.Errorf("run 2 outcomes: %v", count)
			}

			// Run 3 issues nothing.
			outcomes, err = is.Batch(ctx, jobs, batchConfig())
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range outcomes {
				if o.Status != issue.Existing {
					t.Errorf("run 3: order %s %s", o.Job.Order, o.Status)
				}
			}
			list, _ := l.List(ctx, ledger.Filter{})
			if len(list) != 40 {
				t.Errorf("the ledger has %d entries, want 40", len(list))
			}
			for _, e := range list {
				data, err := os.ReadFile(e.File)
				if err != nil || string(data) != string(e.Raw) || !e.Written {
					t.Errorf("order %s: file %s: %v (written %v)", e.OrderRef, e.File, err, e.Written)
				}
			}
			if r, _ := l.Verify(ctx); !r.OK() {
				t.Errorf("verify: %q", r.Problems)
			}
		})
	}
}

func TestBatchRefuses(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, filepath.Join(t.TempDir(), "licet.db"))
	k := testKey(t, "acme")
	dir := t.TempDir()
	jobs := batchJobs(dir, 3)
	// Another file where a recorded, unwritten license should go.
	is := newIssuer(k, l, nil)
	is.Write = func(string, []byte, bool) error { return fs.ErrPermission }
	if _, err := is.Batch(ctx, jobs, batchConfig()); err == nil {
		t.Fatal("a failing write did not fail the batch")
	}
	for _, j := range jobs {
		os.WriteFile(j.File, []byte("something else"), 0o644)
	}
	is = newIssuer(k, l, nil)
	if _, err := is.Batch(ctx, jobs, batchConfig()); err == nil || !strings.Contains(err.Error(), "is not the recorded license") {
		t.Errorf("a foreign file in the way: %v", err)
	}
	// A license the token package refuses: nothing is recorded for it.
	bad := batchJobs(dir, 1)
	bad[0].Order, bad[0].License.Tier = "BAD", ""
	var pe *issue.ProblemsError
	if _, err := is.Batch(ctx, bad, batchConfig()); !errors.As(err, &pe) || !strings.Contains(err.Error(), "order BAD") {
		t.Errorf("an invalid license: %v", err)
	}
	if _, err := l.ByOrder(ctx, "BAD"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("the invalid license was recorded: %v", err)
	}
}

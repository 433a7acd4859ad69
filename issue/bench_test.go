package issue

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/internal/ratio"
	"github.com/licet/licet/token"
)

// benchJobs returns n jobs with a typical license.
func benchJobs(n int) []*BatchJob {
	jobs := make([]*BatchJob, n)
	for i := range jobs {
		jobs[i] = &BatchJob{Order: "PO-" + string(rune('a'+i%26)), License: &token.License{
			Subject: "customer-0000000042", Audience: []string{"acme-db"}, Tier: "pro",
			Scopes: []string{"api:read", "reports:*"}, Limits: map[string]uint64{"seats": 25},
			Expiry: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC),
		}}
	}
	return jobs
}

func benchConfig() (*signContext, ed25519.PrivateKey) {
	seed := sha256.Sum256([]byte("bench"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return &signContext{signer: priv, issuer: "acme", now: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)}, priv
}

// BenchmarkBatchSigning measures, in one run, the signing stage of Batch
// (signJobs: fresh ids, claims encoding, COSE signing on one goroutine per
// core) against raw ed25519.Sign of messages of the same size on the same
// number of goroutines, interleaved with it in every iteration ("ratio":
// the batch rate over the raw rate), and against raw ed25519.Sign followed
// by ed25519.Verify ("ratio-sign+verify"). Token's signing verifies the
// first signature of a software key, and every signature of other signers
// (token/selfcheck.go), so the first ratio is the one that applies to a
// batch signed with a key file.
func BenchmarkBatchSigning(b *testing.B) {
	const per = 2000
	sc, priv := benchConfig()
	jobs := benchJobs(per)
	todo := make([]int, per)
	for i := range todo {
		todo[i] = i
	}
	raw, err := sc.sign(jobs[0].License)
	if err != nil {
		b.Fatal(err)
	}
	m, _ := token.ParseMessage(raw)
	msg := m.AppendToBeSigned(nil)
	workers := runtime.GOMAXPROCS(0)
	pub := priv.Public().(ed25519.PublicKey)
	raw2 := func(verify bool) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < per; i += workers {
					sig := ed25519.Sign(priv, msg)
					if verify && !ed25519.Verify(pub, msg, sig) {
						panic("bad signature")
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	batch := func() time.Duration {
		start := time.Now()
		chunks, errc := signJobs(context.Background(), jobs, todo, sc, workers, 256)
		n := 0
		for c := range chunks {
			n += len(c)
		}
		if err := <-errc; err != nil || n != per {
			b.Fatalf("signed %d of %d: %v", n, per, err)
		}
		return time.Since(start)
	}
	// Each iteration runs the batch and both raw baselines, the batch
	// first on even iterations and last on odd ones; the ratios are the
	// medians of the per-iteration ratios (raw time over batch time: the
	// batch rate over the raw rate), with their quartiles.
	var rate, rateSV ratio.Series
	var rawTime, batchTime time.Duration
	b.ResetTimer()
	for i := range b.N {
		var tb, tr, trv time.Duration
		if i%2 == 0 {
			tb = batch()
			tr = raw2(false)
			trv = raw2(true)
		} else {
			tr = raw2(false)
			trv = raw2(true)
			tb = batch()
		}
		rate.Add(tr, tb)
		rateSV.Add(trv, tb)
		rawTime += tr
		batchTime += tb
	}
	b.ReportMetric(float64(per*b.N)/rawTime.Seconds(), "raw-sigs/s")
	b.ReportMetric(float64(per*b.N)/batchTime.Seconds(), "batch-licenses/s")
	rate.Report(b, "ratio")
	rateSV.Report(b, "ratio-sign+verify")
	b.ReportMetric(float64(workers), "cores")
}

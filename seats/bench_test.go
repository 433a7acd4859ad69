package seats

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/internal/ratio"
	"github.com/licet/licet/token"
)

// BenchmarkLeases is the load generator of the lease server: clients
// goroutines acquire leases as fast as they are answered (each lease
// signed on its caller's goroutine, its record on disk, in a batch with
// others, before the answer), against raw ed25519.Sign of a lease's
// signed bytes on one goroutine per core, interleaved in every iteration.
// "ratio" is the lease rate over the raw signing rate (the median of the
// per-iteration ratios, with its quartiles); p99-ms the 99th percentile
// of one acquire's latency; records/batch how many records shared one
// fsync; cpu/raw-sig the process's CPU time per lease over its CPU time
// per raw signature (what a lease costs, in signatures, whatever else the
// machine runs).
func BenchmarkLeases(b *testing.B) {
	for _, clients := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchLeases(b, clients) })
	}
}

func benchLeases(b *testing.B, clients int) {
	per := 64 * clients
	if clients == 1 {
		per = 256
	}
	f := newFixture(b, token.Site{Seats: 1 << 30, Lease: time.Hour})
	f.clock = nil
	cfg := f.config()
	cfg.Clock = time.Now
	s, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	first, err := s.Acquire(ctx, Request{Product: "widget", Fingerprint: fp1})
	if err != nil {
		b.Fatal(err)
	}
	m, _, _ := token.Decode([]byte(first.Token))
	msg := m.AppendToBeSigned(nil)
	workers := runtime.GOMAXPROCS(0)
	var rawCPU, leaseCPU time.Duration
	raw := func() time.Duration {
		c0 := cpuTime()
		defer func() { rawCPU += cpuTime() - c0 }()
		start := time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < per; i += workers {
					ed25519.Sign(f.site, msg)
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	// The clients live across iterations (as a product's connection
	// does); each iteration every client acquires per/clients leases,
	// timed, and then releases them, untimed: the server holds no more
	// leases than one iteration's.
	var latencies []time.Duration
	var mu sync.Mutex
	start := make([]chan struct{}, clients)
	var wg sync.WaitGroup
	for c := range clients {
		start[c] = make(chan struct{})
		go func() {
			fp := fmt.Sprintf("%016x", c)
			lat := make([]time.Duration, 0, per/clients)
			for range start[c] {
				lat = lat[:0]
				var ids []string
				for range per / clients {
					t0 := time.Now()
					l, err := s.Acquire(ctx, Request{Product: "widget", Fingerprint: fp})
					if err != nil {
						b.Error(err)
						break
					}
					lat = append(lat, time.Since(t0))
					ids = append(ids, l.ID)
				}
				mu.Lock()
				latencies = append(latencies, lat...)
				mu.Unlock()
				wg.Done()
				<-start[c]
				for _, id := range ids {
					if err := s.Release(ctx, id, ReleaseRequest{Fingerprint: fp}); err != nil {
						b.Error(err)
					}
				}
				wg.Done()
			}
		}()
	}
	defer func() {
		for _, ch := range start {
			close(ch)
		}
	}()
	leases := func() time.Duration {
		wg.Add(clients)
		c0 := cpuTime()
		t0 := time.Now()
		for _, ch := range start {
			ch <- struct{}{}
		}
		wg.Wait()
		d := time.Since(t0)
		leaseCPU += cpuTime() - c0
		wg.Add(clients)
		for _, ch := range start {
			ch <- struct{}{}
		}
		wg.Wait()
		return d
	}
	batches0, records0 := s.com.Batches()
	var rate ratio.Series
	var rawTime, leaseTime time.Duration
	b.ResetTimer()
	for i := range b.N {
		var tl, tr time.Duration
		if i%2 == 0 {
			tl, tr = leases(), raw()
		} else {
			tr, tl = raw(), leases()
		}
		rate.Add(tr, tl)
		rawTime += tr
		leaseTime += tl
	}
	b.StopTimer()
	batches, records := s.com.Batches()
	slices.Sort(latencies)
	b.ReportMetric(float64(per*b.N)/leaseTime.Seconds(), "leases/s")
	b.ReportMetric(float64(per*b.N)/rawTime.Seconds(), "raw-sigs/s")
	rate.Report(b, "ratio")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(records-records0)/float64(max(batches-batches0, 1)), "records/batch")
	b.ReportMetric(float64(workers), "cores")
	if rawCPU > 0 && leaseCPU > 0 {
		b.ReportMetric(float64(leaseCPU)/float64(rawCPU), "cpu/raw-sig")
	}
}

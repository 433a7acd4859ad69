package server

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
)

// BenchmarkServeMint is the issuance server's minting rate under load,
// with its own load generator: C clients (1, 16, 64), each sending POST
// /v1/licenses (a template, a new order each) over keep-alive HTTP to a
// server on loopback, one request at a time, on SQLite and PostgreSQL
// (LICET_TEST_POSTGRES). Each run reports licenses/s, the p50 and p99
// latency of a request and, measured in the same run on the same cores
// right after:
//
//   - floor-req/s: the same load generator (the same clients, as many
//     requests) against a handler that answers at once with a fixed body
//     the size of a mint's response: the most any HTTP API can answer on
//     these cores with this client, before signing or recording anything;
//     %floor is licenses/s as a percentage of it;
//   - raw-sign/s: raw ed25519.Sign over a message of a license's size on
//     GOMAXPROCS goroutines; %raw-sign is licenses/s as a percentage of
//     it, floor%raw-sign the floor's.
//
// reply-bytes is the size of a mint's response body (the floor's body).
//
// The figures are reported, never asserted: they depend on the machine
// and on what else runs on it.
//
//	go test ./server -run '^$' -bench ServeMint -benchtime 4000x
func BenchmarkServeMint(b *testing.B) {
	for _, be := range backends() {
		for _, clients := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("%s/clients=%d", be.name, clients), func(b *testing.B) {
				url, token := benchServer(b, be.open(b))
				lat, size := loadMint(b, url, token, clients, b.N)
				elapsed := b.Elapsed()
				b.StopTimer()
				rate := float64(b.N) / elapsed.Seconds()
				floor := floorRate(b, clients, b.N, size)
				raw := rawSignRate(time.Second)
				b.ReportMetric(rate, "licenses/s")
				b.ReportMetric(percentile(lat, 50).Seconds()*1e3, "p50-ms")
				b.ReportMetric(percentile(lat, 99).Seconds()*1e3, "p99-ms")
				b.ReportMetric(floor, "floor-req/s")
				b.ReportMetric(100*rate/floor, "%floor")
				b.ReportMetric(raw, "raw-sign/s")
				b.ReportMetric(100*rate/raw, "%raw-sign")
				b.ReportMetric(100*floor/raw, "floor%raw-sign")
				b.ReportMetric(float64(size), "reply-bytes")
				b.ReportMetric(0, "ns/op") // the rate says it; ns/op would mislead with several clients
			})
		}
	}
}

// benchServer starts the API on loopback over a fresh ledger at location
// and returns its URL and a mint token.
func benchServer(b *testing.B, location string) (url, token string) {
	b.Helper()
	ctx := context.Background()
	led, err := ledger.Open(ctx, location)
	if err != nil {
		b.Fatal(err)
	}
	store, err := OpenStore(ctx, location)
	if err != nil {
		b.Fatal(err)
	}
	k, err := keys.Generate(nil, "acme")
	if err != nil {
		b.Fatal(err)
	}
	pol, err := policy.Parse([]byte(testPolicy), "licet.toml")
	if err != nil {
		b.Fatal(err)
	}
	is := &issue.Issuer{Name: k.Issuer, PublicKey: k.Public().Key, Ledger: led,
		Unlock: func() (crypto.Signer, error) { return k.Signer(), nil },
		Write:  func(string, []byte, bool) error { return nil }}
	srv := New(Config{Issuer: is, Policy: pol, Store: store, Rate: 1e9, Burst: 1 << 30})
	_, token, err = store.Create(ctx, "bench", RoleMint)
	if err != nil {
		b.Fatal(err)
	}
	hs := httpserve.New(httpserve.Config{Addr: "127.0.0.1:0", Ready: srv.Ready})
	srv.Register(hs)
	ln, err := hs.Listen()
	if err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(sctx, ln) }()
	b.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
		store.Close()
		led.Close()
	})
	return "http://" + ln.Addr().String(), token
}

// benchRun tells one benchmark run's orders from another's.
var benchRun atomic.Int64

// loadMint sends n mints from clients concurrent clients and returns
// each request's latency and the size of the last response's body. A
// failed request fails the benchmark.
func loadMint(b *testing.B, url, token string, clients, n int) ([]time.Duration, int) {
	b.Helper()
	run := benchRun.Add(1)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[string]
	var size atomic.Int64
	b.ResetTimer()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || failed.Load() != nil {
					return
				}
				body := fmt.Sprintf(`{"template":"pro","sub":"customer-%d","order":"B%d-%d"}`, i, run, i)
				req, _ := http.NewRequest("POST", url+"/v1/licenses", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					msg := err.Error()
					failed.Store(&msg)
					return
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(start)
				size.Store(int64(len(data)))
				if resp.StatusCode != http.StatusCreated {
					msg := fmt.Sprintf("%d %s", resp.StatusCode, data)
					failed.Store(&msg)
					return
				}
			}
		}()
	}
	wg.Wait()
	if m := failed.Load(); m != nil {
		b.Fatalf("a mint failed: %s", *m)
	}
	return lat, int(size.Load())
}

// rawSignRate returns how many ed25519.Sign of a license-sized message
// GOMAXPROCS goroutines make per second, over d.
func rawSignRate(d time.Duration) float64 {
	_, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 300) // about a license's signature input
	var total atomic.Int64
	stop := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int64(0)
			for time.Now().Before(stop) {
				for range 16 {
					ed25519.Sign(priv, msg)
				}
				n += 16
			}
			total.Add(n)
		}()
	}
	wg.Wait()
	return float64(total.Load()) / time.Since(start).Seconds()
}

// percentile returns the p-th percentile of ds (sorted in place).
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, len(ds)*p/100)]
}

// floorServer starts a server on loopback whose POST /v1/licenses
// answers 201 at once with a fixed JSON body of size bytes (at least a
// few), and returns its URL.
func floorServer(b *testing.B, size int) string {
	b.Helper()
	body := []byte(`{"id":"0","pad":"` + strings.Repeat("x", max(0, size-19)) + `"}` + "\n")
	hs := httpserve.New(httpserve.Config{Addr: "127.0.0.1:0"})
	hs.Mux().HandleFunc("POST /v1/licenses", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write(body)
	})
	ln, err := hs.Listen()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ctx, ln) }()
	b.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String()
}

// floorRate runs loadMint's n requests from clients clients against a
// floorServer answering size bytes, and returns its requests/s.
func floorRate(b *testing.B, clients, n, size int) float64 {
	b.Helper()
	url := floorServer(b, size)
	start := time.Now()
	loadMint(b, url, "-", clients, n)
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkHTTPFloor runs BenchmarkServeMint's load generator against a
// handler that answers 201 at once with a body of a mint response's size
// (about 1.6 kB), beside raw ed25519.Sign in the same run: the floor that
// BenchmarkServeMint measures again beside each of its figures.
func BenchmarkHTTPFloor(b *testing.B) {
	for _, clients := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			url := floorServer(b, 1600)
			lat, _ := loadMint(b, url, "-", clients, b.N)
			elapsed := b.Elapsed()
			b.StopTimer()
			rate := float64(b.N) / elapsed.Seconds()
			raw := rawSignRate(time.Second)
			b.ReportMetric(rate, "requests/s")
			b.ReportMetric(percentile(lat, 50).Seconds()*1e3, "p50-ms")
			b.ReportMetric(percentile(lat, 99).Seconds()*1e3, "p99-ms")
			b.ReportMetric(raw, "raw-sign/s")
			b.ReportMetric(100*rate/raw, "%raw-sign")
			b.ReportMetric(0, "ns/op")
		})
	}
}

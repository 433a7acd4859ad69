package server

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/token"
)

// TestMintsShareTransactions: concurrent POST /v1/licenses are recorded
// together (issue.Pool): 24 mints at once take far fewer ledger
// transactions (signed checkpoints of the key) than licenses, each is
// answered 201 with its own license, and an invalid request among them
// fails alone.
func TestMintsShareTransactions(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), Config{Rate: 1000, Burst: 1000, PoolWait: 300 * time.Millisecond})
			const n = 24
			status := make([]int, n+1)
			bodies := make([]string, n+1)
			var wg sync.WaitGroup
			for i := range n + 1 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					body := fmt.Sprintf(`{"template":"pro","sub":"customer-%d","order":"PO-%d"}`, i, i)
					if i == n {
						body = `{"template":"no-such-template","sub":"x","order":"PO-bad"}`
					}
					req, _ := http.NewRequest("POST", e.url+"/v1/licenses", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+e.tokens["mint"])
					req.Header.Set("Content-Type", "application/json")
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						bodies[i] = err.Error()
						return
					}
					data, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					status[i], bodies[i] = resp.StatusCode, string(data)
				}()
			}
			wg.Wait()
			for i := range n {
				if status[i] != http.StatusCreated {
					t.Errorf("mint %d: %d %s", i, status[i], bodies[i])
				}
			}
			if status[n] < 400 || status[n] >= 500 {
				t.Errorf("the invalid request: %d %s", status[n], bodies[n])
			}
			if got := e.entries(); got != n {
				t.Errorf("the ledger holds %d entries, want %d", got, n)
			}
			cps, err := e.led.SignedCheckpoints(context.Background(), hex.EncodeToString(token.KeyID(e.key.Public().Key)))
			if err != nil {
				t.Fatal(err)
			}
			if len(cps) >= n/2 {
				t.Errorf("%d ledger transactions for %d concurrent mints: not grouped", len(cps), n)
			}
		})
	}
}

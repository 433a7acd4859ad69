package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/webhook"
)

// buildLicet builds the licet command once, as this package's test
// binary named licet (without the test's race detector) in dir: run
// under that name it is the command (testscript's Main), with the test
// hooks of 'licet serve' (webhookTestHook) that the shipped binary lacks.
func buildLicet(t *testing.T, dir string) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build licet: %v", err)
	}
	bin := filepath.Join(dir, "licet")
	cmd := exec.Command(gobin, "test", "-c", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	return bin
}

// replica is one 'licet serve' process of the replica test; dead once
// it was killed or stopped.
type replica struct {
	*serveProcess
	dead atomic.Bool
	// inflight counts the requests sent to it and not answered yet.
	inflight atomic.Int64
}

// startReplica starts 'bin serve args...' in dir with env added and
// waits until it listens.
func startReplica(t *testing.T, bin, dir string, env []string, args ...string) *replica {
	t.Helper()
	return &replica{serveProcess: startServeBin(t, bin, dir, env, 60*time.Second, args...)}
}

// hookReceiver is the replica test's webhook endpoint: it verifies the
// Standard Webhooks signature of every delivery (refusing it otherwise,
// with 400) and counts the deliveries of each event.
type hookReceiver struct {
	secret string
	mu     sync.Mutex
	count  map[string]int    // deliveries per event id (webhook-id)
	entry  map[string]string // the license each event names (data.id)
	bad    []string          // deliveries refused, and why
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		var id string
		if id, err = webhook.Verify(h.secret, r.Header, body, time.Now()); err == nil {
			var p struct {
				Type string `json:"type"`
				Data struct {
					ID string `json:"id"`
				} `json:"data"`
			}
			switch err = json.Unmarshal(body, &p); {
			case err != nil:
			case p.Type != outbox.EventLicenseIssued || p.Data.ID == "":
				err = fmt.Errorf("a %q event about %q", p.Type, p.Data.ID)
			default:
				h.mu.Lock()
				h.count[id]++
				h.entry[id] = p.Data.ID
				h.mu.Unlock()
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
	}
	h.mu.Lock()
	h.bad = append(h.bad, fmt.Sprintf("%s: %v", r.Header.Get(webhook.HeaderID), err))
	h.mu.Unlock()
	http.Error(w, err.Error(), http.StatusBadRequest)
}

// delivered returns how many events were delivered, and how many
// deliveries there were.
func (h *hookReceiver) delivered() (events, deliveries int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.count {
		deliveries += n
	}
	return len(h.count), deliveries
}

// mintCall is one POST /v1/licenses of the replica test: an order's
// request, or a retry of it (the same body and headers).
type mintCall struct {
	order int    // index of the order
	ref   string // the order reference the ledger records
	body  string
	key   string // Idempotency-Key header; "" for an order in the body
	retry bool
}

// mintResult is what the client finally got for a call.
type mintResult struct {
	status int
	id     string
	err    error
	// failovers counts the attempts that failed on a replica (killed)
	// and were sent again to another.
	failovers int
}

// TestReplicas runs three 'licet serve' processes on one PostgreSQL
// ledger with one API token, and sends them 2,000 concurrent mints of
// which a fifth are retries of earlier orders (the same body, with the
// order in the body or an Idempotency-Key header, sent to any replica).
// Mid-run one server (the one with the most requests in flight) is
// killed with SIGKILL: its requests in flight fail on the client side,
// and the client sends them again to another replica, as a CRM would. Afterwards every order is issued exactly once (the
// ledger holds one license per order, and every answer for an order,
// retries included, is that license), and 'licet ledger verify' finds
// the log consistent.
//
// A webhook receiver in the test, subscribed to license.issued in
// licet.toml, verifies every delivery's signature and counts the
// deliveries of each event. Once the outbox has drained (the killed
// server's claims come due after their lease, shortened to 2 s), every
// license.issued event in the ledger was delivered at least once, every
// delivered event is one in the ledger naming a license in the ledger
// (none for a rolled-back append), and each order has exactly one
// license.issued event.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers and sends 2,000 requests")
	}
	loc := pgtest.Location(t, "licet_replicas")
	dir := t.TempDir()
	bin := buildLicet(t, dir)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("licet %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	if err := os.WriteFile(filepath.Join(dir, "pass"), []byte("replica test passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hooks := &hookReceiver{secret: webhook.NewSecret(), count: map[string]int{}, entry: map[string]string{}}
	rc := httptest.NewServer(hooks) // on 127.0.0.1
	defer rc.Close()
	policy := servePolicy + "\n[[webhooks]]\nname = \"crm\"\nurl = \"" + rc.URL + "/hook\"\nevents = [\"license.issued\"]\nsecret = \"env:CRM_WHSEC\"\n"
	os.WriteFile(filepath.Join(dir, "licet.toml"), []byte(policy), 0o644)
	run("keys", "new", "--issuer", "acme", "--passphrase-file", "pass")
	tok := strings.TrimSpace(run("serve", "token", "create", "--ledger", loc, "--name", "crm", "--role", "mint"))
	replicas := make([]*replica, 3)
	for i := range replicas {
		replicas[i] = startReplica(t, bin, dir, []string{"CRM_WHSEC=" + hooks.secret, webhookLoopbackEnv + "=1", webhookLeaseEnv + "=2s"}, "--key", "acme.key", "--ledger", loc, "--passphrase-file", "pass",
			"--listen", "127.0.0.1:0", "--rate", "1000000", "--burst", "1000000")
	}

	const total, orders = 2000, 1600 // a fifth are retries
	calls := make([]*mintCall, 0, total)
	for i := range orders {
		c := &mintCall{order: i}
		if i%2 == 0 {
			c.ref = fmt.Sprintf("PO-%d", i)
			c.body = fmt.Sprintf(`{"template":"pro","sub":"customer-%d","order":%q}`, i, c.ref)
		} else {
			c.key = fmt.Sprintf("crm-%d", i)
			c.ref = "idempotency-key:" + c.key
			c.body = fmt.Sprintf(`{"template":"pro","sub":"customer-%d"}`, i)
		}
		calls = append(calls, c)
	}
	rng := rand.New(rand.NewPCG(21, 3))
	for range total - orders {
		c := *calls[rng.IntN(orders)]
		c.retry = true
		calls = append(calls, &c)
	}
	rng.Shuffle(len(calls), func(i, j int) { calls[i], calls[j] = calls[j], calls[i] })

	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	results := make([]mintResult, len(calls))
	var answered atomic.Int64
	killed := make(chan struct{})
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = sendMint(client, replicas, i%len(replicas), tok, c)
			if answered.Add(1) == total/3 {
				close(killed)
			}
		}()
	}
	// Kill one replica once a third of the requests are answered: the
	// rest are in flight or queued, some of them on it.
	select {
	case <-killed:
	case <-time.After(3 * time.Minute):
		t.Fatal("a third of the requests were not answered within 3 minutes")
	}
	// The victim is the replica with the most requests in flight (under
	// load one replica may have answered all of its own by now).
	victim := replicas[0]
	for _, p := range replicas[1:] {
		if p.inflight.Load() > victim.inflight.Load() {
			victim = p
		}
	}
	victim.dead.Store(true)
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	killedAt := time.Since(start)
	wg.Wait()
	elapsed := time.Since(start)

	// Every answer for an order, retries included, names one license.
	byOrder := map[string]string{}
	failovers, fresh := 0, 0
	for i, c := range calls {
		r := results[i]
		failovers += r.failovers
		if r.err != nil {
			t.Errorf("order %s (retry %v): %v", c.ref, c.retry, r.err)
			continue
		}
		if r.status == http.StatusCreated {
			fresh++
		}
		if id, ok := byOrder[c.ref]; ok && id != r.id {
			t.Errorf("order %s was answered with licenses %s and %s", c.ref, id, r.id)
		}
		byOrder[c.ref] = r.id
	}
	t.Logf("%d requests (%d orders) on 3 replicas in %s, one killed at %s; %d attempts failed on the killed replica and were sent to another; %d answers 201, %d 200",
		total, orders, elapsed.Round(time.Millisecond), killedAt.Round(time.Millisecond), failovers, fresh, total-fresh)
	if failovers == 0 {
		t.Error("no request was in flight on the killed replica: the kill tested nothing")
	}
	if len(byOrder) != orders {
		t.Errorf("%d orders answered, want %d", len(byOrder), orders)
	}

	// The ledger: exactly one license per order, the one answered.
	led, err := ledger.Open(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	all, err := led.List(context.Background(), ledger.Filter{Kind: ledger.KindLicense})
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]int{}
	for _, e := range all {
		recorded[e.OrderRef]++
		if want, ok := byOrder[e.OrderRef]; ok && want != e.ID {
			t.Errorf("order %s: the ledger holds %s, the client got %s", e.OrderRef, e.ID, want)
		}
	}
	if len(all) != orders {
		t.Errorf("the ledger holds %d licenses for %d orders", len(all), orders)
	}
	for ref, n := range recorded {
		if n != 1 {
			t.Errorf("order %q is recorded %d times", ref, n)
		}
	}
	checkReplicaWebhooks(t, led, all, hooks)

	for _, p := range replicas {
		if p != victim {
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := <-p.done; err != nil {
				t.Errorf("a replica after SIGTERM: %v\n%s", err, p.log())
			}
			p.dead.Store(true)
		}
	}
	out := run("ledger", "verify", "--ledger", loc) // exit 0: every log consistent
	t.Logf("licet ledger verify: %s", strings.TrimSpace(out))
}

// sendMint sends c to replica first, and again to the next live replica
// when the connection fails (a killed server), as a CRM retries.
func sendMint(client *http.Client, replicas []*replica, first int, tok string, c *mintCall) mintResult {
	var res mintResult
	for attempt := 0; attempt < 2*len(replicas); attempt++ {
		p := replicas[(first+attempt)%len(replicas)]
		if p.dead.Load() {
			continue
		}
		req, err := http.NewRequest("POST", p.url+"/v1/licenses", strings.NewReader(c.body))
		if err != nil {
			return mintResult{err: err}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		if c.key != "" {
			req.Header.Set("Idempotency-Key", c.key)
		}
		p.inflight.Add(1)
		resp, err := client.Do(req)
		if err != nil {
			p.inflight.Add(-1)
			// The server went away with the request (killed): send it
			// to another replica.
			res.failovers++
			res.err = err
			continue
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		p.inflight.Add(-1)
		if err != nil {
			res.failovers++
			res.err = err
			continue
		}
		var v struct {
			ID    string `json:"id"`
			Order string `json:"order"`
		}
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
			return mintResult{status: resp.StatusCode, failovers: res.failovers, err: fmt.Errorf("%s: %d %s", p.url, resp.StatusCode, data)}
		}
		if err := json.Unmarshal(data, &v); err != nil || v.ID == "" {
			return mintResult{status: resp.StatusCode, failovers: res.failovers, err: fmt.Errorf("%s: %d, no license id: %s", p.url, resp.StatusCode, data)}
		}
		return mintResult{status: resp.StatusCode, id: v.ID, failovers: res.failovers}
	}
	if res.err == nil {
		res.err = errors.New("no replica answered")
	}
	return res
}

// checkReplicaWebhooks waits (at most a minute) until the outbox has
// drained: every license.issued event of the ledger delivered to hooks
// and no delivery left pending. Then every delivered event must be one
// of the ledger's, naming a license of all (the ledger's licenses), and
// each order must have exactly one license.issued event.
func checkReplicaWebhooks(t *testing.T, led *ledger.Ledger, all []*ledger.Entry, hooks *hookReceiver) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	var events []*outbox.Event
	for {
		var err error
		if events, err = led.Outbox().Events(ctx, outbox.EventFilter{Type: outbox.EventLicenseIssued}); err != nil {
			t.Fatal(err)
		}
		pending, err := led.Outbox().Deliveries(ctx, outbox.DeliveryFilter{State: outbox.DeliveryPending})
		if err != nil {
			t.Fatal(err)
		}
		hooks.mu.Lock()
		missing := 0
		for _, ev := range events {
			if hooks.count[ev.ID] == 0 {
				missing++
			}
		}
		hooks.mu.Unlock()
		if missing == 0 && len(pending) == 0 {
			break
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("the outbox did not drain within a minute: %d of %d license.issued events not delivered, %d deliveries pending", missing, len(events), len(pending))
		}
		time.Sleep(100 * time.Millisecond)
	}
	n, deliveries := hooks.delivered()
	t.Logf("webhooks: %d license.issued events delivered %d times (%d again: at least once) within %s of the last answer",
		n, deliveries, deliveries-n, time.Since(start).Round(time.Millisecond))

	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	for _, b := range hooks.bad {
		t.Errorf("a delivery the receiver refused: %s", b)
	}
	if parked, err := led.Outbox().Deliveries(ctx, outbox.DeliveryFilter{State: outbox.DeliveryParked}); err != nil || len(parked) > 0 {
		t.Errorf("%d deliveries parked (%v)", len(parked), err)
	}
	order := map[string]string{} // license id -> order
	for _, e := range all {
		order[e.ID] = e.OrderRef
	}
	stored := map[string]bool{}
	perOrder := map[string]int{}
	for _, ev := range events {
		stored[ev.ID] = true
		ref, ok := order[ev.Subject]
		if !ok {
			t.Errorf("event %s announces %s, which is not in the ledger", ev.ID, ev.Subject)
			continue
		}
		perOrder[ref]++
	}
	for id, lic := range hooks.entry {
		if !stored[id] {
			t.Errorf("event %s (license %s) was delivered but is not in the ledger", id, lic)
		}
		if _, ok := order[lic]; !ok {
			t.Errorf("event %s was delivered for license %s, which is not in the ledger (a rolled-back append)", id, lic)
		}
	}
	if len(perOrder) != len(all) {
		t.Errorf("%d orders have a license.issued event, want %d", len(perOrder), len(all))
	}
	for ref, k := range perOrder {
		if k != 1 {
			t.Errorf("order %s has %d license.issued events, want 1", ref, k)
		}
	}
}

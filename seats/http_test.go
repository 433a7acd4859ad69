package seats

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/token"
)

func serveHTTP(t *testing.T, s *Server) string {
	t.Helper()
	hs := httpserve.New(httpserve.Config{Addr: "127.0.0.1:0", MaxBody: MaxBody, Ready: s.Ready})
	s.Register(hs)
	ts := httptest.NewServer(hs.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// do sends a request and returns the status, the Retry-After header and
// the decoded JSON body (nil for none).
func do(t *testing.T, method, url, body string) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s %s: %d, not JSON: %s", method, url, resp.StatusCode, data)
		}
		if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: %d as %s", method, url, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), v
}

func TestHTTP(t *testing.T) {
	f := newFixture(t, token.Site{Seats: 2, Lease: time.Hour, Borrow: 24 * time.Hour, Borrows: 1})
	s := f.open(t)
	url := serveHTTP(t, s)

	code, _, body := do(t, "POST", url+"/v1/leases", `{"product": "widget", "fingerprint": "`+fp1+`", "client": "pc-1"}`)
	if code != 201 {
		t.Fatalf("acquire: %d %v", code, body)
	}
	id, tok := body["lease_id"].(string), body["token"].(string)
	seats := body["seats"].(map[string]any)
	if len(id) != 32 || !strings.HasPrefix(tok, "licet1.") || body["expires"] != "2026-12-08T05:00:00Z" ||
		body["renew_after"] != "2026-12-08T04:20:00Z" || body["borrowed"] != false || seats["total"] != 2.0 || seats["in_use"] != 1.0 {
		t.Fatalf("acquire body %v", body)
	}
	f.verifyLease(t, tok, "widget", fp1)

	for _, tc := range []struct {
		method, path, body string
		status             int
		code, retry        string
	}{
		{"POST", "/v1/leases", `{"product": "widget", "fingerprint": "` + fp2 + `", "extra": 1}`, 400, "unknown_field", ""},
		{"POST", "/v1/leases", `{"product": "widget", "Fingerprint": "` + fp2 + `"}`, 400, "unknown_field", ""},
		{"POST", "/v1/leases", `{"product": "widget", "fingerprint": 7}`, 400, "wrong_type", ""},
		{"POST", "/v1/leases", `{"product": "widget", "fingerprint": "` + strings.Repeat("a", MaxBody) + `"}`, 413, "body_too_large", ""},
		{"POST", "/v1/leases", `{"product": "nope", "fingerprint": "` + fp2 + `"}`, 403, "wrong_product", ""},
		{"POST", "/v1/leases", `{"product": "widget", "fingerprint": "` + fp2 + `", "borrow": 86401}`, 400, "borrow_too_long", ""},
		{"POST", "/v1/leases/" + id + "/renew", `{"fingerprint": "` + fp2 + `"}`, 403, "wrong_machine", ""},
		{"POST", "/v1/leases/" + strings.Repeat("0", 32) + "/renew", `{"fingerprint": "` + fp2 + `"}`, 410, "lease_gone", ""},
		{"DELETE", "/v1/leases/" + id, `{"fingerprint": "` + fp2 + `"}`, 403, "wrong_machine", ""},
		{"PUT", "/v1/leases", `{}`, 405, "method_not_allowed", ""},
	} {
		code, retry, body := do(t, tc.method, url+tc.path, tc.body)
		if code != tc.status || body["code"] != tc.code || retry != tc.retry {
			t.Errorf("%s %s %.60s: %d %q %v, want %d %s", tc.method, tc.path, tc.body, code, retry, body, tc.status, tc.code)
		}
	}

	code, _, body = do(t, "POST", url+"/v1/leases", `{"product": "widget", "fingerprint": "`+fp2+`", "borrow": 3600}`)
	if code != 201 || body["borrowed"] != true {
		t.Fatalf("borrow: %d %v", code, body)
	}
	code, retry, body := do(t, "POST", url+"/v1/leases", `{"product": "widget", "fingerprint": "`+fp3+`"}`)
	if code != 429 || body["code"] != "seats_full" || retry != "3600" {
		t.Fatalf("full: %d %q %v", code, retry, body)
	}

	f.clock.Add(20 * time.Minute)
	code, _, body = do(t, "POST", url+"/v1/leases/"+id+"/renew", `{"fingerprint": "`+fp1+`", "token": "`+tok+`"}`)
	if code != 200 || body["lease_id"] != id || body["expires"] != "2026-12-08T05:20:00Z" {
		t.Fatalf("renew: %d %v", code, body)
	}

	code, _, body = do(t, "GET", url+"/v1/status", "")
	if code != 200 || body["queue"] != 0.0 || body["lease_max"] != 86400.0 || body["borrows_total"] != 1.0 ||
		body["grant"] != "07070707070707070707070707070707" || body["safe_until"] != nil || body["log_size"] != 5.0 {
		t.Fatalf("status: %d %v", code, body)
	}
	code, _, body = do(t, "GET", url+"/v1/leases", "")
	leases, _ := body["leases"].([]any)
	if code != 200 || len(leases) != 2 || leases[1].(map[string]any)["ref"] != LeaseRef(id) || leases[1].(map[string]any)["client"] != "pc-1" {
		t.Fatalf("leases: %d %v", code, body)
	}
	// The list never shows a lease id: with it and the fingerprint it
	// shows, anyone on the network could release the seat of another.
	for _, l := range leases {
		for k, v := range l.(map[string]any) {
			if k == "id" || v == id {
				t.Fatalf("GET /v1/leases shows a lease id (%s): %v", k, l)
			}
		}
	}
	for range 2 {
		if code, _, body := do(t, "DELETE", url+"/v1/leases/"+id, `{"fingerprint": "`+fp1+`"}`); code != 204 || body != nil {
			t.Fatalf("release: %d %v", code, body)
		}
	}
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"licet_seats_in_use 1\n", "licet_seats_borrowed 1\n", "licet_seats_total 2\n",
		`licet_seats_requests_total{op="acquire",outcome="seats_full"} 1`, "licet_seats_log_records_total "} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestHTTPSafeMode(t *testing.T) {
	f := newFixture(t, token.Site{Seats: 2, Lease: time.Hour})
	s := f.open(t)
	s.Close()
	os.Remove(filepath.Join(f.dir, HeadFile))
	s = f.open(t)
	url := serveHTTP(t, s)
	code, retry, body := do(t, "POST", url+"/v1/leases", `{"product": "widget", "fingerprint": "`+fp1+`"}`)
	if code != 503 || body["code"] != "state_unverified" || retry != "3600" {
		t.Fatalf("safe mode: %d %q %v", code, retry, body)
	}
	code, _, body = do(t, "GET", url+"/v1/status", "")
	if code != 200 || body["safe_until"] != "2026-12-08T05:00:00Z" {
		t.Fatalf("status: %d %v", code, body)
	}
	// Ready: safe mode does not stop renewals.
	if code, _, _ := do(t, "GET", url+"/readyz", ""); code != 200 {
		t.Fatalf("readyz: %d", code)
	}
}

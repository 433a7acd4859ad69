package httpserve

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckListen(t *testing.T) {
	for _, c := range []struct {
		addr          string
		tls, insecure bool
		ok            bool
	}{
		{"127.0.0.1:8080", false, false, true},
		{"[::1]:8080", false, false, true},
		{"localhost:0", false, false, true},
		{"0.0.0.0:8080", false, false, false},
		{":8080", false, false, false},
		{"10.1.2.3:443", true, false, true},
		{"0.0.0.0:8080", false, true, true},
		{"no-port", false, false, false},
	} {
		err := CheckListen(c.addr, c.tls, c.insecure)
		if (err == nil) != c.ok {
			t.Errorf("CheckListen(%q, tls %v, insecure %v) = %v", c.addr, c.tls, c.insecure, err)
		}
		if err != nil && c.addr == ":8080" && !strings.Contains(err.Error(), "--insecure-listen") {
			t.Errorf("the refusal does not name --insecure-listen: %v", err)
		}
	}
}

type body struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`
}

func newTest(t *testing.T) (*Server, *httptest.Server) {
	s := New(Config{MaxBody: 64})
	s.Mux().HandleFunc("POST /v1/things", func(w http.ResponseWriter, r *http.Request) {
		var b body
		if err := DecodeJSON(r, &b, map[string]bool{"name": true, "count": true, "tags": true}); err != nil {
			WriteProblem(w, err)
			return
		}
		WriteJSON(w, http.StatusCreated, b)
	})
	s.Mux().HandleFunc("GET /v1/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	s.Mux().HandleFunc("GET /v1/panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

func problemOf(t *testing.T, resp *http.Response) *Problem {
	t.Helper()
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var p Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Status != resp.StatusCode || p.Type != ProblemType+p.Code {
		t.Errorf("problem %+v does not match status %d", p, resp.StatusCode)
	}
	return &p
}

func TestDecodeProblems(t *testing.T) {
	_, ts := newTest(t)
	for _, c := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"name":"a","count":1}`, 201, ""},
		{`{"name":`, 400, CodeMalformedJSON},
		{`not json`, 400, CodeMalformedJSON},
		{``, 400, CodeMalformedJSON},
		{`{"name":"a"} {}`, 400, CodeMalformedJSON},
		{`{"nme":"a"}`, 400, CodeUnknownField},
		{`{"Name":"a"}`, 400, CodeUnknownField},
		{`{"name":"a","name":"b"}`, 400, CodeUnknownField},
		{`{"count":"3"}`, 400, CodeWrongType},
		{`{"tags":"x"}`, 400, CodeWrongType},
		{`[1,2]`, 400, CodeWrongType},
		{`{"name":"` + strings.Repeat("x", 100) + `"}`, 413, CodeBodyTooLarge},
	} {
		resp, err := http.Post(ts.URL+"/v1/things", "application/json", strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != c.status {
			b, _ := io.ReadAll(resp.Body)
			t.Errorf("%s: status %d, want %d: %s", c.body, resp.StatusCode, c.status, b)
			resp.Body.Close()
			continue
		}
		if c.code == "" {
			resp.Body.Close()
			continue
		}
		if p := problemOf(t, resp); p.Code != c.code || p.Detail == "" {
			t.Errorf("%s: problem %+v, want code %s", c.body, p, c.code)
		}
	}
	resp, err := http.Post(ts.URL+"/v1/things", "text/plain", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if p := problemOf(t, resp); p.Code != CodeUnsupportedType {
		t.Errorf("text/plain: %+v", p)
	}
}

func TestRoutesAndOperations(t *testing.T) {
	_, ts := newTest(t)
	get := func(path string) *http.Response {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if p := problemOf(t, get("/nowhere")); p.Code != CodeNotFound {
		t.Errorf("404: %+v", p)
	}
	resp := get("/v1/things")
	if resp.Header.Get("Allow") != "POST" {
		t.Errorf("Allow %q", resp.Header.Get("Allow"))
	}
	if p := problemOf(t, resp); p.Code != CodeMethod || p.Status != 405 {
		t.Errorf("405: %+v", p)
	}
	if p := problemOf(t, get("/v1/panic")); p.Code != CodeInternal || strings.Contains(p.Detail, "boom") {
		t.Errorf("panic: %+v", p)
	}
	resp = get("/v1/things/x1")
	if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), `"id": "x1"`) {
		t.Errorf("path value: %s", b)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if resp := get(path); resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	resp = get("/metrics")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`licet_http_requests_total{code="404",route="unmatched"} 1`, `licet_http_requests_total{code="500",route="GET /v1/panic"} 1`, "go_goroutines"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestDrain: a request in flight when shutdown begins completes; /readyz
// turns unready meanwhile; Serve returns nil.
func TestDrain(t *testing.T) {
	s := New(Config{Addr: "127.0.0.1:0"})
	started, release := make(chan struct{}), make(chan struct{})
	s.Mux().HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})
	ln, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(url + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-started
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for !s.draining.Load() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while draining: %d", rec.Code)
	}
	close(release)
	if b := <-got; b != "done" {
		t.Errorf("the request in flight got %q", b)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("still accepting after shutdown")
	}
}

func TestListenRefusesNetworkWithoutTLS(t *testing.T) {
	s := New(Config{Addr: "0.0.0.0:0"})
	if _, err := s.Listen(); err == nil || !strings.Contains(err.Error(), "--insecure-listen") {
		t.Fatalf("Listen on 0.0.0.0 without TLS: %v", err)
	}
	s = New(Config{Addr: "127.0.0.1:0", CertFile: "x.pem"})
	if _, err := s.Listen(); err == nil {
		t.Fatal("TLS with a certificate and no key was accepted")
	}
}

// TestTLS: with a certificate and key the server serves HTTPS (on
// loopback: tests listen nowhere else; TestCheckListen covers the
// network addresses TLS allows), and plain HTTP there is refused.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "licet test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)

	s := New(Config{Addr: "127.0.0.1:0", CertFile: certFile, KeyFile: keyFile})
	ln, err := s.Listen()
	if err != nil {
		t.Fatalf("Listen with TLS: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	pool := x509.NewCertPool()
	pool.AddCert(mustParse(t, der))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://127.0.0.1:" + port + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Errorf("HTTPS /healthz: %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	if resp, err := http.Get("http://127.0.0.1:" + port + "/healthz"); err == nil {
		if resp.StatusCode == 200 {
			t.Error("plain HTTP served on the TLS listener")
		}
		resp.Body.Close()
	}
	cancel()
	if err := <-served; err != nil {
		t.Error(err)
	}
	if _, err := New(Config{Addr: "127.0.0.1:0", CertFile: certFile, KeyFile: certFile}).Listen(); err == nil {
		t.Error("a certificate file as the key was accepted")
	}
}

func mustParse(t *testing.T, der []byte) *x509.Certificate {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/licet/licet/internal/pgtest"
)

// serveProcess is 'licet serve' running as a real process.
type serveProcess struct {
	cmd    *exec.Cmd
	url    string
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan error
}

func (p *serveProcess) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// startServe starts 'licet serve args...' in dir with env added and waits
// until it listens.
func startServe(t *testing.T, dir string, env []string, args ...string) *serveProcess {
	t.Helper()
	return startServeBin(t, "licet", dir, env, 30*time.Second, args...)
}

// startServeBin starts 'bin serve args...' in dir with env added and waits
// up to wait until it listens (on the free port it chose).
func startServeBin(t *testing.T, bin, dir string, env []string, wait time.Duration, args ...string) *serveProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	listeningLine := regexp.MustCompile(`msg=listening addr=(127\.0\.0\.1:\d+)`)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	select {
	case a := <-addr:
		p.url = "http://" + a
	case err := <-p.done:
		t.Fatalf("licet serve exited before listening (%v):\n%s", err, p.log())
	case <-time.After(wait):
		t.Fatalf("licet serve did not listen within %s:\n%s", wait, p.log())
	}
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("licet serve after SIGTERM: %v\n%s", err, p.log())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("licet serve did not stop within 30 s of SIGTERM:\n%s", p.log())
	}
	if !strings.Contains(p.log(), "msg=stopped") {
		t.Errorf("no clean stop logged:\n%s", p.log())
	}
}

// licetRun runs licet with args in dir and returns its stdout.
func licetRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("licet", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("licet %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// call sends a JSON request with a bearer token ("" for none).
func call(t *testing.T, method, url, tok, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	data, _ := io.ReadAll(resp.Body)
	if len(data) > 0 {
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s %s: %d, not JSON: %s", method, url, resp.StatusCode, data)
		}
	}
	return resp.StatusCode, v
}

const servePolicy = `[templates.pro]
products = ["acme-db"]
days     = 365
`

// TestServeProcess runs 'licet serve' as a process, on SQLite and (with
// LICET_TEST_POSTGRES) PostgreSQL: the key unlocked at start from
// systemd's $CREDENTIALS_DIRECTORY, a token made with 'licet serve token
// create', a mint, a read, the public revocation list, a clean stop on
// SIGTERM, and a ledger that verifies afterwards.
func TestServeProcess(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			location := "licet.db"
			if backend == "postgres" {
				location = pgtest.Location(t, "licet_serve")
			}
			testServeProcess(t, location)
		})
	}
}

func testServeProcess(t *testing.T, location string) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds")
	os.Mkdir(creds, 0o700)
	if err := os.WriteFile(filepath.Join(creds, "passphrase"), []byte("correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "licet.toml"), []byte(servePolicy), 0o644)
	licetRun(t, dir, "keys", "new", "--issuer", "acme", "--passphrase-file", "creds/passphrase")
	tok := strings.TrimSpace(licetRun(t, dir, "serve", "token", "create", "--ledger", location, "--name", "crm", "--role", "mint"))
	if !strings.HasPrefix(tok, "licet_") {
		t.Fatalf("token create printed %q", tok)
	}
	p := startServe(t, dir, []string{"CREDENTIALS_DIRECTORY=" + creds}, "--key", "acme.key", "--ledger", location, "--listen", "127.0.0.1:0")
	status, v := call(t, "POST", p.url+"/v1/licenses", tok, `{"template":"pro","sub":"customer-42","order":"PO-1"}`)
	if status != 201 || v["sub"] != "customer-42" {
		t.Fatalf("mint: %d %v\n%s", status, v, p.log())
	}
	id, _ := v["id"].(string)
	if status, v = call(t, "GET", p.url+"/v1/licenses/"+id, tok, ""); status != 200 || v["token"] == nil {
		t.Errorf("get: %d %v", status, v)
	}
	if status, v = call(t, "POST", p.url+"/v1/licenses", "", `{"template":"pro","sub":"x"}`); status != 401 || v["code"] != "unauthenticated" {
		t.Errorf("no token: %d %v", status, v)
	}
	if status, _ = call(t, "GET", p.url+"/v1/revocations", "", ""); status != 200 {
		t.Errorf("revocations: %d", status)
	}
	if status, _ = call(t, "GET", p.url+"/readyz", "", ""); status != 200 {
		t.Errorf("readyz: %d", status)
	}
	p.stop(t)
	licetRun(t, dir, "ledger", "verify", "--ledger", location) // exit 0: every log consistent
	// The mint is in the audit log with the token that made it.
	tokID := strings.SplitN(strings.TrimPrefix(tok, "licet_"), "_", 2)[0]
	if out := licetRun(t, dir, "serve", "audit", "--ledger", location); !regexp.MustCompile(tokID + ` +license.issued +` + id + ` +PO-1`).MatchString(out) {
		t.Errorf("serve audit does not show the mint by token %s:\n%s", tokID, out)
	}
	if out := licetRun(t, dir, "serve", "token", "list", "--ledger", location); !strings.Contains(out, "crm") || !strings.Contains(out, "mint") {
		t.Errorf("token list:\n%s", out)
	}
}

// TestServeRefusals: a wrong passphrase stops 'licet serve' before it
// listens (the key is unlocked at start), and so does a network address
// without TLS or --insecure-listen.
func TestServeRefusals(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pass"), []byte("right\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "wrong"), []byte("wrong\n"), 0o600)
	licetRun(t, dir, "keys", "new", "--issuer", "acme", "--passphrase-file", "pass")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--key", "acme.key", "--passphrase-file", "wrong", "--listen", "127.0.0.1:0"}, 1, "wrong passphrase"},
		{[]string{"--key", "acme.key", "--passphrase-file", "pass", "--listen", "0.0.0.0:0"}, 2, "--insecure-listen"},
		{[]string{"--key", "acme.key", "--passphrase-file", "pass", "--listen", "127.0.0.1:0", "--tls-cert", "c.pem"}, 2, "TLS"},
	} {
		cmd := exec.Command("licet", append([]string{"serve"}, c.args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != c.code || !strings.Contains(string(out), c.want) || strings.Contains(string(out), "listening") {
			t.Errorf("licet serve %v: %v\n%s", c.args, err, out)
		}
	}
}

// TestREADMERunningTheServer runs the shell block of README's "Running
// the issuance server" section (on a free port instead of 8080) with
// licet on PATH, a new key and its passphrase file: every curl call it
// shows runs against a live 'licet serve', and the server stops cleanly.
func TestREADMERunningTheServer(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	start := strings.Index(s, "## Running the issuance server")
	if start < 0 {
		t.Fatal(`README has no "## Running the issuance server" section`)
	}
	sec := s[start:]
	from := strings.Index(sec, "```sh\n")
	to := strings.Index(sec[from+6:], "```\n")
	if from < 0 || to < 0 {
		t.Fatal("no shell block in Running the issuance server")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not found")
	}
	block := sec[from+6 : from+6+to]
	for _, want := range []string{"$API/licenses", "/renew", "/revoke", "revocations", "If-None-Match", "expiring", "grants", "Idempotency-Key", "token create", "$API/activations", "$API/reports", "$API/statements", "$API/webhooks/subscriptions"} {
		if !strings.Contains(block, want) {
			t.Errorf("the README block does not show %s", want)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().String()
	ln.Close()
	// The trap stops the server when a step fails, so that nothing is
	// left running.
	script := "set -e\ntrap 'kill $SERVER 2>/dev/null || true' EXIT\nprintf 'readme-serve-pass\\n' > acme.pass && chmod 600 acme.pass\n" +
		"licet keys new --issuer acme --passphrase-file acme.pass >/dev/null 2>&1\n" +
		strings.ReplaceAll(strings.ReplaceAll(block, "127.0.0.1:8080", port), "2>/dev/null", "2>>stderr.log")
	dir := t.TempDir()
	outFile, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer outFile.Close()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, outFile, outFile // files: Wait does not wait for the server's copy of them
	cmd.Env = append(os.Environ(), "LICET_PASSPHRASE=", "LICET_LEDGER=", "LICET_POLICY=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		err = fmt.Errorf("did not finish within 60 s: %v", <-done)
	}
	out, _ := os.ReadFile(outFile.Name())
	logData, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
	if err != nil {
		stderrLog, _ := os.ReadFile(filepath.Join(dir, "stderr.log"))
		t.Fatalf("the README block failed: %v\n%s\nstandard error the README hides:\n%s\nserve.log:\n%s", err, out, stderrLog, logData)
	}
	for _, want := range []string{`"sub": "customer-42"`, `"existing": true`, `"renewed_from": "`, `"status": "revoked"`, "304\n", `"status": "bound"`, `"ingested": true`, `"royalty": "50.00"`, `"source": "api"`, "204\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(string(logData), "msg=stopped") {
		t.Errorf("serve.log shows no clean stop:\n%s", logData)
	}
	if g, _ := os.ReadFile(filepath.Join(dir, "grant.json")); !strings.Contains(string(g), `"kind": "grant"`) {
		t.Errorf("grant.json: %s", g)
	}
}

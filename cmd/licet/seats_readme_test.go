package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeSeatServers maps the key of each 'licet seats serve' command of
// the README's floating seats section to the URL its clients use there.
var readmeSeatServers = map[string]string{
	"site-hq.key": "https://seats.hq.example:7070",
	"hq-a.key":    "https://seats-a.hq.example:7070",
	"hq-b.key":    "https://seats-b.hq.example:7070",
}

// TestREADMEFloatingSeats runs every sh block of README's "Floating seats
// on a closed network" section, in order, as one shell script (set -e:
// every command's exit code counts) in a fresh directory, with licet on
// PATH (this test binary, see TestMain) and the real 'licet seats serve'
// processes the blocks start, on 127.0.0.1. It substitutes only what a
// test must: a free loopback port for each server's --listen 0.0.0.0:7070
// and its URL (readmeSeatServers), a self-signed certificate at the
// --tls-cert and --tls-key paths the servers are given, trusted through
// SSL_CERT_FILE as a site's certificate is trusted by the system; the
// vendor's key acme.key (the Vendor quickstart's) and its passphrase in
// LICET_PASSPHRASE; a machine id. Then it checks what the blocks made: the
// leases audited and reported, the statements (table, JSON, CSV, HTML) of
// the leases taken, the statement of two servers, clean stops.
func TestREADMEFloatingSeats(t *testing.T) {
	if testing.Short() {
		t.Skip("starts licet seats serve processes")
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Floating seats on a closed network\n")
	if !ok {
		t.Fatal("README has no floating seats section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	blocks, err := readmeBlocks(section)
	if err != nil {
		t.Fatal(err)
	}
	var sh []string
	goBlocks := 0
	for _, b := range blocks {
		switch b.lang {
		case "sh":
			sh = append(sh, b.text)
		case "go": // TestREADMELeaseConfig (package sdk) checks the first
			if goBlocks++; goBlocks > 1 {
				t.Fatal("a second Go block in the section: TestREADMELeaseConfig (package sdk) checks only the first")
			}
		default:
			t.Fatalf("a %q block in the section: no test runs it (make it sh, and this test runs it)", b.lang)
		}
	}
	script := strings.Join(sh, "\n")
	for _, want := range []string{
		"licet seats serve", "licet seats status", "licet seats checkout", "licet seats borrow", "licet verify",
		"licet seats return", "licet seats report --state", "--since", "licet seats ingest", "--trust acme.pub --grant",
		"licet seats audit", "--json", "--format csv", "--format html", "--grant hq-a.grant --grant hq-b.grant",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the section's sh blocks lack %q", want)
		}
	}
	if !strings.Contains(section, "What this cannot stop") {
		t.Error(`the section lacks "What this cannot stop"`)
	}

	dir, trust := t.TempDir(), t.TempDir()
	script, certs, logs := readmeSeatSubst(t, script)
	writeSelfSigned(t, dir, certs, filepath.Join(trust, "site-ca.pem"))
	script = "set -ex\nlicet keys new --issuer acme >/dev/null 2>&1\n" + script + "\necho the README blocks ran to the end\n"

	stdout, err := os.Create(filepath.Join(trust, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(trust, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd := exec.Command("sh", "-c", script)
	// Files, not pipes: Wait does not wait for the servers' copies. The
	// servers are in the script's process group, killed at the end
	// whatever happened.
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), "LICET_PASSPHRASE=readme-vendor-pass", "LICET_LEDGER=", "LICET_POLICY=",
		"LICET_MACHINE_ID=readme-laptop", "SSL_CERT_FILE="+filepath.Join(trust, "site-ca.pem"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	// A script stuck (a server that never answers) is killed after 60 s.
	watchdog := time.AfterFunc(60*time.Second, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	err = cmd.Wait()
	if !watchdog.Stop() {
		err = fmt.Errorf("did not finish within 60 s: %v", err)
	}
	outData, _ := os.ReadFile(stdout.Name())
	errData, _ := os.ReadFile(stderr.Name())
	out := string(outData)
	logText := func() string {
		var b strings.Builder
		for _, l := range logs {
			data, _ := os.ReadFile(filepath.Join(dir, l))
			fmt.Fprintf(&b, "%s:\n%s", l, data)
		}
		return b.String()
	}
	if err != nil {
		t.Fatalf("the README blocks failed: %v\nstdout:\n%s\nstderr (the commands, set -x):\n%s\n%s", err, out, errData, logText())
	}
	if !strings.Contains(out, "the README blocks ran to the end\n") {
		t.Fatalf("the script stopped early:\n%s\n%s", out, errData)
	}
	t.Logf("the blocks' output:\n%s", out)

	for _, l := range logs {
		if data, _ := os.ReadFile(filepath.Join(dir, l)); !strings.Contains(string(data), "msg=stopped") {
			t.Errorf("%s shows no clean stop:\n%s", l, data)
		}
	}
	// The laptop's two leases: the checkout returned, then the borrow,
	// audited while out, then returned.
	returned := regexp.MustCompile(`(?m)^returned lease ([0-9a-f]{32}) of acme-db; removed acme-db\.lease$`).FindAllStringSubmatch(out, -1)
	audited := regexp.MustCompile(`(?m)^reported acme-db\.lease: record \d+: borrowed at \S+ \(([0-9a-f]{32})\)$`).FindStringSubmatch(out)
	switch {
	case len(returned) != 2:
		t.Errorf("want the checkout and the borrow returned, got %q", returned)
	case audited == nil || audited[1] != returned[1][1]:
		t.Errorf("the audit does not report the borrowed lease %s as borrowed (got %q)", returned[1][1], audited)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^ingested records 0 to \d+ of site site-hq \(grant [0-9a-f]{32}\) from hq-1\.report: 2 leases granted`),
		regexp.MustCompile(`(?m)^ingested records \d+ to \d+ of site site-hq \(grant [0-9a-f]{32}\) from hq-2\.report`),
		regexp.MustCompile(`(?m)^Seat usage of site site-hq \(vendor acme, grant [0-9a-f]{32}\): 25 seats$`),
		// TOTAL: peak 1 (the laptop's leases one after the other), no
		// refusal, 1 borrow, 2 leases.
		regexp.MustCompile(`(?m)^TOTAL +1 +[0-9.]+ +0 +1 +2$`),
		// Two servers, one statement: 15 + 10 seats, a lease out on
		// each at once.
		regexp.MustCompile(`(?m)^Seat usage of site hq-a, hq-b \(vendor acme, grant [0-9a-f]{32}, [0-9a-f]{32}\): 25 seats$`),
		regexp.MustCompile(`(?m)^TOTAL +2 +[0-9.]+ +0 +0 +2$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("the output lacks %s", want)
		}
	}
	// The JSON statement.
	_, js, _ := strings.Cut(out, "\n{\n")
	js, _, _ = strings.Cut(js, "\n}\n")
	var st struct {
		Site  string `json:"site"`
		Seats int    `json:"seats"`
		Total struct {
			Peak, Refusals, Borrows, Leases int
		} `json:"total"`
	}
	if err := json.Unmarshal([]byte("{\n"+js+"\n}"), &st); err != nil {
		t.Errorf("the JSON statement: %v", err)
	} else if st.Site != "site-hq" || st.Seats != 25 || st.Total.Peak != 1 || st.Total.Borrows != 1 || st.Total.Leases != 2 {
		t.Errorf("the JSON statement: %+v", st)
	}
	// The CSV and HTML files, of the same leases.
	csv, err := os.ReadFile(filepath.Join(dir, "hq-usage.csv"))
	if err != nil {
		t.Fatal(err)
	}
	leases, borrows := 0, 0
	for _, line := range strings.Split(string(csv), "\n") {
		f := strings.Split(line, ",")
		if len(f) == 10 && f[1] == "*" {
			n, _ := strconv.Atoi(f[9])
			b, _ := strconv.Atoi(f[8])
			leases, borrows = leases+n, borrows+b
		}
	}
	if leases != 2 || borrows != 1 {
		t.Errorf("hq-usage.csv counts %d leases and %d borrows, want 2 and 1:\n%s", leases, borrows, csv)
	}
	if html, err := os.ReadFile(filepath.Join(dir, "hq-usage.html")); err != nil || !strings.Contains(string(html), "Content-Security-Policy") || !strings.Contains(string(html), "site-hq") {
		t.Errorf("hq-usage.html: %v", err)
	}
}

// readmeBlock is a fenced block of the README.
type readmeBlock struct{ lang, text string }

// readmeBlocks returns the fenced blocks of a README section.
func readmeBlocks(section string) ([]readmeBlock, error) {
	var blocks []readmeBlock
	var cur *readmeBlock
	for _, line := range strings.SplitAfter(section, "\n") {
		if !strings.HasPrefix(line, "```") {
			if cur != nil {
				cur.text += line
			}
			continue
		}
		if cur == nil {
			cur = &readmeBlock{lang: strings.TrimSpace(strings.TrimPrefix(line, "```"))}
			continue
		}
		blocks = append(blocks, *cur)
		cur = nil
	}
	if cur != nil {
		return nil, fmt.Errorf("a %q block is not closed", cur.lang)
	}
	return blocks, nil
}

// readmeSeatSubst puts each 'licet seats serve' of script on a free port
// of 127.0.0.1 and its URL (readmeSeatServers) on the same port, and
// returns the new script, the --tls-cert and --tls-key files the servers
// read and the files their logs go to (2>FILE).
func readmeSeatSubst(t *testing.T, script string) (string, []string, []string) {
	t.Helper()
	script = regexp.MustCompile(`\\\n\s*`).ReplaceAllString(script, " ")
	var certs, logs []string
	urls := map[string]string{}
	lines := strings.Split(script, "\n")
	for i, line := range lines {
		if !strings.Contains(line, "licet seats serve") {
			continue
		}
		f := strings.Fields(line)
		flag := func(name string) string {
			for j := range f[:len(f)-1] {
				if f[j] == name {
					return f[j+1]
				}
			}
			t.Fatalf("a seats serve without %s: %s", name, line)
			return ""
		}
		key := flag("--key")
		url, ok := readmeSeatServers[key]
		if !ok {
			t.Fatalf("a seats serve with --key %s: which URL do its clients use? (readmeSeatServers)", key)
		}
		if !strings.Contains(line, " --listen 0.0.0.0:7070 ") || !strings.HasSuffix(url, ":7070") {
			t.Fatalf("a seats serve not on 0.0.0.0:7070: %s", line)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		lines[i] = strings.Replace(line, " --listen 0.0.0.0:7070 ", " --listen "+addr+" ", 1)
		urls[url] = "https://" + addr
		certs = append(certs, flag("--tls-cert"), flag("--tls-key"))
		if m := regexp.MustCompile(` 2>(\S+) &$`).FindStringSubmatch(line); m != nil {
			logs = append(logs, m[1])
		} else {
			t.Fatalf("a seats serve not in the background with its log in a file: %s", line)
		}
	}
	script = strings.Join(lines, "\n")
	for from, to := range urls {
		script = strings.ReplaceAll(script, from, to)
	}
	if u := regexp.MustCompile(`https?://[^\s/]*\.example\b\S*`).FindString(script); u != "" {
		t.Fatalf("the script uses a server it does not start: %s", u)
	}
	return script, certs, logs
}

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 and its
// key (mode 0600) to each pair of files of certs (certificate, key) in dir,
// and the certificate to trusted.
func writeSelfSigned(t *testing.T, dir string, certs []string, trusted string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "seats.hq.example"},
		DNSNames: []string{"seats.hq.example"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	if err := os.WriteFile(trusted, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(certs); i += 2 {
		if err := os.WriteFile(filepath.Join(dir, certs[i]), certPEM, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, certs[i+1]), keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

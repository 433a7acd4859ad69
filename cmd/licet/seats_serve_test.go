package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/token"
)

// seatsSite writes a site key (site.key) and a site grant for it
// (site.grant, signed by the sandbox key) of seats seats into dir.
func seatsSite(t *testing.T, dir string, seats uint64) {
	t.Helper()
	k, err := keys.Generate(rand.Reader, "site-hq")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "site.key"), k.MarshalUnencrypted(), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	life, grace := time.Hour, time.Duration(0)
	g := &token.Grant{Issuer: keys.SandboxIssuer, Subject: "site-hq", Audience: []string{"widget"},
		IssuedAt: now.Add(-time.Hour), Expiry: now.Add(30 * 24 * time.Hour), ID: make([]byte, 16),
		Key: k.Public().Key, Tiers: []string{"pro"}, MaxLife: &life, MaxGrace: &grace,
		Site: &token.Site{Seats: seats, Lease: time.Hour}}
	rand.Read(g.ID)
	raw, err := token.SignGrant(keys.Sandbox().Signer(), g)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := token.EncodeText(raw, "")
	if err := os.WriteFile(filepath.Join(dir, "site.grant"), []byte(text+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startSeats starts 'licet seats serve' in dir and waits until it
// listens. startServeBin runs "BIN serve ARGS", so BIN is a script that
// runs 'licet seats' in its place (exec: the process is licet itself,
// and a SIGKILL reaches it).
func startSeats(t *testing.T, dir string) *serveProcess {
	t.Helper()
	bin := filepath.Join(dir, "licet-seats")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexec licet seats \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return startServeBin(t, bin, dir, nil, 30*time.Second,
		"--key", "site.key", "--grant", "site.grant", "--state", "state", "--listen", "127.0.0.1:0")
}

// TestSeatsServeSIGKILL: leases granted over HTTP survive a SIGKILL of
// the server: after a restart they are still counted (the N+1th request
// is refused) and renewable; a graceful stop logs its drain.
func TestSeatsServeSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the licet binary")
	}
	dir := t.TempDir()
	seatsSite(t, dir, 3)
	p := startSeats(t, dir)
	type held struct{ id, token, fp string }
	var leases []held
	for i := range 3 {
		fp := fmt.Sprintf("%016x", 0xabc0+i)
		code, body := call(t, "POST", p.url+"/v1/leases", "", `{"product": "widget", "fingerprint": "`+fp+`"}`)
		if code != 201 {
			t.Fatalf("acquire %d: %d %v\n%s", i, code, body, p.log())
		}
		leases = append(leases, held{body["lease_id"].(string), body["token"].(string), fp})
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
	p = startSeats(t, dir)
	code, body := call(t, "GET", p.url+"/v1/status", "", "")
	if seats, _ := body["seats"].(map[string]any); code != 200 || seats["in_use"] != 3.0 || body["safe_until"] != nil {
		t.Fatalf("status after SIGKILL: %d %v\n%s", code, body, p.log())
	}
	code, body = call(t, "POST", p.url+"/v1/leases", "", `{"product": "widget", "fingerprint": "dddddddddddddddd"}`)
	if code != 429 || body["code"] != "seats_full" {
		t.Fatalf("a fourth seat after SIGKILL: %d %v", code, body)
	}
	for _, l := range leases {
		code, body := call(t, "POST", p.url+"/v1/leases/"+l.id+"/renew", "", `{"fingerprint": "`+l.fp+`", "token": "`+l.token+`"}`)
		if code != 200 || body["lease_id"] != l.id {
			t.Fatalf("renew after SIGKILL: %d %v", code, body)
		}
	}
	code, _ = call(t, "DELETE", p.url+"/v1/leases/"+leases[0].id, "", `{"fingerprint": "`+leases[0].fp+`"}`)
	if code != 204 {
		t.Fatalf("release: %d", code)
	}
	p.stop(t)
	// The log holds every event, in one piece, after a kill and a stop.
	data, err := os.ReadFile(filepath.Join(dir, "state", "seats.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"event":"granted"`, `"event":"started"`, `"event":"refused"`, `"event":"renewed"`, `"event":"released"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the log lacks %s", want)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "state"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("state directory %v %v", fi, err)
	}
}

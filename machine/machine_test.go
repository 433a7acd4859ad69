package machine_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/machinetest"

	"github.com/licet/licet/machine"
)

const product = "widget-server"

// fakeMachine is a machine whose identity sources are given
// (machinetest.Fake).
var fakeMachine = machinetest.Fake

func TestMachineID(t *testing.T) {
	both := map[string]string{"/etc/machine-id": "aaaa\n", "/var/lib/dbus/machine-id": "bbbb\n"}
	tests := []struct {
		name           string
		m              *machine.Machine
		wantID, source string
	}{
		{"env override first", fakeMachine("  cluster-7 \n", both, "host"), "cluster-7", machine.SourceEnv},
		{"blank env ignored", fakeMachine(" \t", both, "host"), "aaaa", machine.SourceMachineID},
		{"machine-id", fakeMachine("", both, "host"), "aaaa", machine.SourceMachineID},
		{"empty machine-id", fakeMachine("", map[string]string{"/etc/machine-id": "\n", "/var/lib/dbus/machine-id": "bbbb"}, "host"), "bbbb", machine.SourceDBus},
		{"dbus", fakeMachine("", map[string]string{"/var/lib/dbus/machine-id": "bbbb\n"}, "host"), "bbbb", machine.SourceDBus},
		{"first line only", fakeMachine("", map[string]string{"/etc/machine-id": "cccc\nmore"}, "host"), "cccc", machine.SourceMachineID},
		{"binary machine-id skipped", fakeMachine("", map[string]string{"/etc/machine-id": "\x00\x01\x02"}, "host"), "host", machine.SourceHostname},
		{"hostname", fakeMachine("", nil, "web-1"), "web-1", machine.SourceHostname},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, source, err := tt.m.ID()
			if err != nil || id != tt.wantID || source != tt.source {
				t.Errorf("ID() = %q, %q, %v; want %q, %q", id, source, err, tt.wantID, tt.source)
			}
		})
	}
	_, _, err := fakeMachine("", nil, "").ID()
	if err == nil || !strings.Contains(err.Error(), "machine: no machine identity (set LICET_MACHINE_ID)") ||
		!strings.Contains(err.Error(), "/etc/machine-id") {
		t.Errorf("no identity: %v", err)
	}
	if _, err := fakeMachine("", nil, "").Fingerprint(product); err == nil {
		t.Error("Fingerprint without identity")
	}
}

func TestFingerprint(t *testing.T) {
	m := fakeMachine("", map[string]string{"/etc/machine-id": "4c4c4544003510\n"}, "host")
	fp, err := m.Fingerprint("widget-server")
	if err != nil {
		t.Fatal(err)
	}
	// The documented construction, computed independently.
	sum := sha256.Sum256([]byte("licet machine fingerprint v1\x00widget-server\x004c4c4544003510"))
	if fp != hex.EncodeToString(sum[:]) {
		t.Errorf("fingerprint %s, want %x", fp, sum)
	}
	// Golden: changing the construction un-binds every license in the field.
	if fp != "f819da57570b35100806b4940ef1ea240382e41c2acaa2e9f5cfe285ad6687fd" {
		t.Errorf("fingerprint %s changed", fp)
	}
	// The environment override gives another value for the same id: a
	// license bound to the machine-id fingerprint does not take it.
	env, err := fakeMachine("4c4c4544003510", nil, "").Fingerprint("widget-server")
	if err != nil {
		t.Fatal(err)
	}
	envSum := sha256.Sum256([]byte("licet machine fingerprint v1 env\x00widget-server\x004c4c4544003510"))
	if env != hex.EncodeToString(envSum[:]) || env == fp {
		t.Errorf("env fingerprint %s, want %x (and not the machine-id one)", env, envSum)
	}
	for _, src := range []*machine.Machine{
		fakeMachine("", map[string]string{"/var/lib/dbus/machine-id": "4c4c4544003510\n"}, ""),
		fakeMachine("", nil, "4c4c4544003510"),
	} {
		// dbus and the host name are the machine's own id, as before.
		if got, _ := src.Fingerprint("widget-server"); got != fp {
			t.Errorf("machine's own id from another file or the host name: %s, want %s", got, fp)
		}
	}
	other, _ := m.Fingerprint("gadget")
	if other == fp {
		t.Error("two products share a fingerprint")
	}
	if strings.Contains(fp, "4c4c4544003510") {
		t.Error("raw id in the fingerprint")
	}
	if _, err := m.Fingerprint(""); err == nil {
		t.Error("empty product accepted")
	}
	// The real machine: some identity exists wherever tests run.
	if fp, err := machine.Fingerprint(product); err != nil || len(fp) != 64 {
		t.Errorf("Fingerprint on this machine: %q, %v", fp, err)
	}
}

func TestActivationRequest(t *testing.T) {
	m := fakeMachine("node-pool-a", nil, "")
	now := time.Date(2026, 6, 1, 12, 0, 0, 123, time.FixedZone("CEST", 7200))
	req, err := m.ActivationRequest(product, now)
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := m.Fingerprint(product)
	if req.Version != 1 || req.Product != product || req.Fingerprint != fp || req.Source != machine.SourceEnv ||
		!req.Created.Equal(now.Truncate(time.Second)) || req.Created.Location() != time.UTC {
		t.Errorf("request %+v", req)
	}
	data, err := req.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "version": 1,
  "product": "widget-server",
  "fingerprint": "` + fp + `",
  "source": "env",
  "created": "2026-06-01T10:00:00Z"
}
`
	if string(data) != want {
		t.Errorf("JSON:\n%s\nwant:\n%s", data, want)
	}
	if bytes.Contains(data, []byte("node-pool-a")) {
		t.Error("raw machine id in the request")
	}
	back, err := machine.ParseActivationRequest(data)
	if err != nil {
		t.Fatal(err)
	}
	if *back != *req {
		t.Errorf("round trip: %+v, want %+v", back, req)
	}
	if _, err := fakeMachine("", nil, "").ActivationRequest(product, now); err == nil {
		t.Error("request without identity")
	}
	if _, err := m.ActivationRequest("", now); err == nil {
		t.Error("request without product")
	}
	if r, err := machine.NewActivationRequest(product); err != nil || r.Validate() != nil {
		t.Errorf("NewActivationRequest on this machine: %v", err)
	}
}

func TestParseActivationRequestRefuses(t *testing.T) {
	fp := strings.Repeat("ab", 32)
	good := `{"version":1,"product":"p","fingerprint":"` + fp + `","source":"hostname","created":"2026-06-01T10:00:00Z"}`
	if _, err := machine.ParseActivationRequest([]byte(good)); err != nil {
		t.Fatalf("good request: %v", err)
	}
	tests := []struct{ name, in, want string }{
		{"empty", ``, "parsing"},
		{"not JSON", `licet1.abc`, "parsing"},
		{"unknown field", strings.Replace(good, `"version":1`, `"version":1,"raw_id":"x"`, 1), "unknown field"},
		{"trailing", good + `{}`, "data after"},
		{"trailing brace", good + `}`, "data after"},
		{"version", strings.Replace(good, `"version":1`, `"version":2`, 1), "version 2"},
		{"no product", strings.Replace(good, `"product":"p"`, `"product":""`, 1), "no product"},
		{"short fingerprint", strings.Replace(good, fp, fp[:62], 1), "64 lowercase hex"},
		{"upper-case fingerprint", strings.Replace(good, fp, strings.ToUpper(fp), 1), "64 lowercase hex"},
		{"unknown source", strings.Replace(good, `"hostname"`, `"bios"`, 1), "source"},
		{"huge", `{"product":"` + strings.Repeat("x", 70<<10) + `"}`, "more than"},
		{"wrong type", strings.Replace(good, `"version":1`, `"version":"1"`, 1), "parsing"},
		// A person reads the first "product", encoding/json keeps the
		// last: the license would be minted for another product.
		{"duplicate product", strings.Replace(good, `"product":"p"`, `"product":"p","product":"q"`, 1), `field "product" appears twice`},
		{"case variant", strings.Replace(good, `"product":"p"`, `"product":"p","Product":"q"`, 1), `unknown field "Product"`},
		{"case variant alone", strings.Replace(good, `"product":"p"`, `"PRODUCT":"p"`, 1), `unknown field "PRODUCT"`},
		{"escaped case variant", strings.Replace(good, `"product":"p"`, `"\u0050roduct":"p"`, 1), `unknown field "Product"`},
		{"duplicate fingerprint", strings.Replace(good, `"source"`, `"fingerprint":"`+strings.Repeat("cd", 32)+`","source"`, 1), `field "fingerprint" appears twice`},
		{"control character in product", strings.Replace(good, `"product":"p"`, `"product":"p\r\u001b[2Kq"`, 1), "control, format"},
		{"bidi override in product", strings.Replace(good, `"product":"p"`, `"product":"p\u202eq"`, 1), "control, format"},
		{"line separator in product", strings.Replace(good, `"product":"p"`, `"product":"p\u2028q"`, 1), "control, format"},
		{"space around product", strings.Replace(good, `"product":"p"`, `"product":" p"`, 1), "control, format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := machine.ParseActivationRequest([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "machine: ") {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

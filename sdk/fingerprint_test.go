package sdk_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// fakeMachine is a machine with the given environment value, files and
// host name.
func fakeMachine(env string, files map[string]string, host string) *sdk.Machine {
	return &sdk.Machine{
		Getenv: func(name string) string {
			if name == sdk.MachineIDEnv {
				return env
			}
			return ""
		},
		ReadFile: func(path string) ([]byte, error) {
			if s, ok := files[path]; ok {
				return []byte(s), nil
			}
			return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
		},
		Hostname: func() (string, error) {
			if host == "" {
				return "", errors.New("no host name")
			}
			return host, nil
		},
	}
}

func TestMachineID(t *testing.T) {
	both := map[string]string{"/etc/machine-id": "aaaa\n", "/var/lib/dbus/machine-id": "bbbb\n"}
	tests := []struct {
		name           string
		m              *sdk.Machine
		wantID, source string
	}{
		{"env override first", fakeMachine("  cluster-7 \n", both, "host"), "cluster-7", sdk.SourceEnv},
		{"blank env ignored", fakeMachine(" \t", both, "host"), "aaaa", sdk.SourceMachineID},
		{"machine-id", fakeMachine("", both, "host"), "aaaa", sdk.SourceMachineID},
		{"empty machine-id", fakeMachine("", map[string]string{"/etc/machine-id": "\n", "/var/lib/dbus/machine-id": "bbbb"}, "host"), "bbbb", sdk.SourceDBus},
		{"dbus", fakeMachine("", map[string]string{"/var/lib/dbus/machine-id": "bbbb\n"}, "host"), "bbbb", sdk.SourceDBus},
		{"first line only", fakeMachine("", map[string]string{"/etc/machine-id": "cccc\nmore"}, "host"), "cccc", sdk.SourceMachineID},
		{"binary machine-id skipped", fakeMachine("", map[string]string{"/etc/machine-id": "\x00\x01\x02"}, "host"), "host", sdk.SourceHostname},
		{"hostname", fakeMachine("", nil, "web-1"), "web-1", sdk.SourceHostname},
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
	if err == nil || !strings.Contains(err.Error(), "sdk: no machine identity (set LICET_MACHINE_ID)") ||
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
	for _, src := range []*sdk.Machine{
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
	if fp, err := sdk.Fingerprint(product); err != nil || len(fp) != 64 {
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
	if req.Version != 1 || req.Product != product || req.Fingerprint != fp || req.Source != sdk.SourceEnv ||
		!req.Created.Equal(now.Truncate(time.Second)) || req.Created.Location() != time.UTC {
		t.Errorf("request %+v", req)
	}
	if b := req.Bind(); len(b) != 1 || b["host"] != fp {
		t.Errorf("Bind = %v", b)
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
	back, err := sdk.ParseActivationRequest(data)
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
	if r, err := sdk.NewActivationRequest(product); err != nil || r.Validate() != nil {
		t.Errorf("NewActivationRequest on this machine: %v", err)
	}
}

func TestParseActivationRequestRefuses(t *testing.T) {
	fp := strings.Repeat("ab", 32)
	good := `{"version":1,"product":"p","fingerprint":"` + fp + `","source":"hostname","created":"2026-06-01T10:00:00Z"}`
	if _, err := sdk.ParseActivationRequest([]byte(good)); err != nil {
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
			_, err := sdk.ParseActivationRequest([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "sdk: ") {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestActivationFlow is offline activation from end to end: the site
// writes a request, the vendor mints a license bound to it, and the license
// verifies on that machine only.
func TestActivationFlow(t *testing.T) {
	v := newVendor(t, "vendor")
	site := fakeMachine("", map[string]string{"/etc/machine-id": "6f1e2d3c4b5a69788796a5b4c3d2e1f0\n"}, "site")
	req, err := site.ActivationRequest(product, t0)
	if err != nil {
		t.Fatal(err)
	}
	data, err := req.MarshalIndent() // what `licet activate request` writes
	if err != nil {
		t.Fatal(err)
	}

	// The vendor's side: `licet mint --from-request`.
	got, err := sdk.ParseActivationRequest(data)
	if err != nil {
		t.Fatal(err)
	}
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) {
		l.Audience = []string{got.Product}
		l.Bind = got.Bind()
	})))

	cfg.Machine = site
	if lic, err := sdk.Load(cfg); err != nil || !lic.Allows("api:read") {
		t.Fatalf("bound license on its machine: %v", err)
	}
	for name, m := range map[string]*sdk.Machine{
		"another machine":        fakeMachine("", map[string]string{"/etc/machine-id": "00000000000000000000000000000000\n"}, "site"),
		"a container overriding": fakeMachine("some-cluster", map[string]string{"/etc/machine-id": "6f1e2d3c4b5a69788796a5b4c3d2e1f0\n"}, "site"),
		// The site's machine id copied into the override on another
		// machine: the override is labelled, so it does not match.
		"the machine id copied into the override": fakeMachine("6f1e2d3c4b5a69788796a5b4c3d2e1f0", nil, "elsewhere"),
	} {
		cfg.Machine = m
		if _, err := sdk.Load(cfg); verify.CodeOf(err) != verify.CodeBindingMismatch {
			t.Errorf("%s: %v, want binding_mismatch", name, err)
		}
	}
}

// TestEnvBoundLicense: a license minted from a request made with the
// LICET_MACHINE_ID override verifies wherever the same override is set,
// and not on a machine whose own id (machine-id file, host name) happens
// to be that value.
func TestEnvBoundLicense(t *testing.T) {
	v := newVendor(t, "vendor")
	req, err := fakeMachine("cluster-7", nil, "node-1").ActivationRequest(product, t0)
	if err != nil {
		t.Fatal(err)
	}
	if req.Source != sdk.SourceEnv {
		t.Fatalf("source %q", req.Source)
	}
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.Bind = req.Bind() })))
	cfg.Machine = fakeMachine("cluster-7", map[string]string{"/etc/machine-id": "ffff\n"}, "node-2")
	if lic, err := sdk.Load(cfg); err != nil || !lic.Allows("api:read") {
		t.Fatalf("env-bound license with the same override on another node: %v", err)
	}
	for name, m := range map[string]*sdk.Machine{
		"machine-id file": fakeMachine("", map[string]string{"/etc/machine-id": "cluster-7\n"}, "x"),
		"host name":       fakeMachine("", nil, "cluster-7"),
	} {
		cfg.Machine = m
		if _, err := sdk.Load(cfg); verify.CodeOf(err) != verify.CodeBindingMismatch {
			t.Errorf("%s equal to the override: %v, want binding_mismatch", name, err)
		}
	}
}

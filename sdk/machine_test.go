package sdk_test

import (
	"testing"

	"github.com/licet/licet/internal/machinetest"

	"github.com/licet/licet/machine"
	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// fakeMachine is a machine whose identity sources are given
// (machinetest.Fake).
var fakeMachine = machinetest.Fake

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
	got, err := machine.ParseActivationRequest(data)
	if err != nil {
		t.Fatal(err)
	}
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) {
		l.Audience = nil
		if err := got.Apply(l); err != nil {
			t.Fatal(err)
		}
	})))

	cfg.Machine = site
	if lic, err := sdk.Load(cfg); err != nil || !lic.Allows("api:read") {
		t.Fatalf("bound license on its machine: %v", err)
	}
	for name, m := range map[string]*machine.Machine{
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
	if req.Source != machine.SourceEnv {
		t.Fatalf("source %q", req.Source)
	}
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) {
		if err := req.Apply(l); err != nil {
			t.Fatal(err)
		}
	})))
	cfg.Machine = fakeMachine("cluster-7", map[string]string{"/etc/machine-id": "ffff\n"}, "node-2")
	if lic, err := sdk.Load(cfg); err != nil || !lic.Allows("api:read") {
		t.Fatalf("env-bound license with the same override on another node: %v", err)
	}
	for name, m := range map[string]*machine.Machine{
		"machine-id file": fakeMachine("", map[string]string{"/etc/machine-id": "cluster-7\n"}, "x"),
		"host name":       fakeMachine("", nil, "cluster-7"),
	} {
		cfg.Machine = m
		if _, err := sdk.Load(cfg); verify.CodeOf(err) != verify.CodeBindingMismatch {
			t.Errorf("%s equal to the override: %v, want binding_mismatch", name, err)
		}
	}
}

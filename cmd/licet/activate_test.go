package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/machinetest"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/machine"
	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// fakeMachine is a machine whose identity sources are given
// (machinetest.Fake).
var fakeMachine = machinetest.Fake

// machineApp is a test app on machine m, whose clock says now.
func machineApp(m *machine.Machine, now time.Time) (*app, *strings.Builder, *strings.Builder) {
	a, _, _ := testApp("")
	var stdout, stderr strings.Builder
	a.stdout, a.stderr = &stdout, &stderr
	a.machine = m
	a.now = func() time.Time { return now }
	return a, &stdout, &stderr
}

// TestActivateRequestSources: every machine id source ends up in the
// request and is named on stderr; the host name is warned about; no
// identity at all is exit 2 with a hint to set LICET_MACHINE_ID.
func TestActivateRequestSources(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 500, time.UTC)
	tests := []struct {
		name       string
		machine    *machine.Machine
		wantSource string
		wantFrom   string
		wantWarn   bool
	}{
		{"env wins", fakeMachine("cluster-7", map[string]string{"/etc/machine-id": "aaaa\n"}, "h"), machine.SourceEnv, "$LICET_MACHINE_ID", false},
		{"machine-id", fakeMachine("", map[string]string{"/etc/machine-id": "aaaa\n"}, "h"), machine.SourceMachineID, "/etc/machine-id", false},
		{"dbus", fakeMachine("", map[string]string{"/var/lib/dbus/machine-id": "bbbb\n"}, "h"), machine.SourceDBus, "/var/lib/dbus/machine-id", false},
		{"host name, warned", fakeMachine("  ", nil, "container-1f2e"), machine.SourceHostname, "the host name", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, stdout, stderr := machineApp(tt.machine, now)
			if code := run([]string{"activate", "request", "--product", "acme-db", "--json"}, a); code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got struct {
				Request       *machine.ActivationRequest `json:"request"`
				File          *string                    `json:"file"`
				MachineIDFrom string                     `json:"machine_id_from"`
				Warnings      []string                   `json:"warnings"`
			}
			dec := json.NewDecoder(strings.NewReader(stdout.String()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("%v\n%s", err, stdout)
			}
			wantFP, err := tt.machine.Fingerprint("acme-db")
			if err != nil {
				t.Fatal(err)
			}
			r := got.Request
			if r == nil || r.Source != tt.wantSource || r.Fingerprint != wantFP || r.Product != "acme-db" ||
				r.Version != machine.ActivationRequestVersion || !r.Created.Equal(now.Truncate(time.Second)) {
				t.Errorf("request = %+v, want source %s, fingerprint %s, created %s", r, tt.wantSource, wantFP, now)
			}
			if got.File != nil {
				t.Errorf("file = %q, want null without -o", *got.File)
			}
			if got.MachineIDFrom != tt.wantFrom || !strings.Contains(stderr.String(), "machine id from "+tt.wantFrom) {
				t.Errorf("machine_id_from %q, stderr %q; want %q", got.MachineIDFrom, stderr, tt.wantFrom)
			}
			warned := strings.Contains(stderr.String(), "licet: warning: ") && strings.Contains(stderr.String(), "set LICET_MACHINE_ID")
			if warned != tt.wantWarn || (len(got.Warnings) > 0) != tt.wantWarn {
				t.Errorf("warned %v (json %q), want %v; stderr %s", warned, got.Warnings, tt.wantWarn, stderr)
			}
		})
	}
	t.Run("no identity", func(t *testing.T) {
		for _, args := range [][]string{
			{"activate", "request", "--product", "acme-db"},
			{"verify", "x", "--pub", "x.pub", "--product", "acme-db", "--bind-machine"},
		} {
			a, stdout, stderr := machineApp(fakeMachine("", nil, ""), now)
			if code := run(args, a); code != exitUsage {
				t.Errorf("%v: exit %d, want 2", args, code)
			}
			if stdout.Len() != 0 || !strings.Contains(stderr.String(), "licet: error: this machine: no machine identity") ||
				!strings.Contains(stderr.String(), "licet: hint: set LICET_MACHINE_ID") {
				t.Errorf("%v: stdout %q, stderr %q", args, stdout, stderr)
			}
		}
	})
}

// TestActivateRequestUsesAppEnvironment: LICET_MACHINE_ID comes from the
// app's environment, not the process's.
func TestActivateRequestUsesAppEnvironment(t *testing.T) {
	t.Setenv(machine.IDEnv, "process-env")
	a, stdout, stderr := machineApp(nil, time.Now())
	a.lookupEnv = func(k string) (string, bool) {
		if k == machine.IDEnv {
			return "app-env", true
		}
		return "", false
	}
	if code := run([]string{"activate", "request", "--product", "p"}, a); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	req, err := machine.ParseActivationRequest([]byte(stdout.String()))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fakeMachine("app-env", nil, "").Fingerprint("p")
	if req.Fingerprint != want || req.Source != machine.SourceEnv {
		t.Errorf("request %+v, want the fingerprint of app-env %s", req, want)
	}
}

func TestApplyRequest(t *testing.T) {
	req := &machine.ActivationRequest{Version: 1, Product: "acme-db", Fingerprint: strings.Repeat("ab", 32), Source: machine.SourceEnv}
	fp := req.Fingerprint
	tests := []struct {
		name     string
		aud      []string
		bind     map[string]string
		wantAud  []string
		wantBind map[string]string
		problem  string // "" for none
	}{
		{"no aud: the request's product", nil, nil, []string{"acme-db"}, map[string]string{"host": fp}, ""},
		{"aud naming it is kept", []string{"acme-cli", "acme-db"}, nil, []string{"acme-cli", "acme-db"}, map[string]string{"host": fp}, ""},
		{"aud without it", []string{"acme-cli"}, nil, nil, nil, "--aud acme-cli does not name acme-db"},
		{"other bind keys merge", nil, map[string]string{"user": "alice"}, []string{"acme-db"}, map[string]string{"host": fp, "user": "alice"}, ""},
		{"the same host value agrees", nil, map[string]string{"host": fp}, []string{"acme-db"}, map[string]string{"host": fp}, ""},
		{"another host value conflicts", nil, map[string]string{"host": "abc"}, nil, nil, "--bind host=abc conflicts with the activation request req.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lic := &token.License{Audience: tt.aud, Bind: tt.bind}
			problems := applyRequest(lic, req, "req.json")
			if tt.problem != "" {
				if len(problems) != 1 || !strings.Contains(problems[0], tt.problem) {
					t.Errorf("problems %q, want one with %q", problems, tt.problem)
				}
				return
			}
			if len(problems) > 0 {
				t.Fatalf("problems %q", problems)
			}
			if !equal(lic.Audience, tt.wantAud) || joinPairs(lic.Bind) != joinPairs(tt.wantBind) {
				t.Errorf("aud %v bind %v, want %v %v", lic.Audience, lic.Bind, tt.wantAud, tt.wantBind)
			}
		})
	}
}

// TestActivationMatchesSDK: a license minted by the CLI from a request
// made by the CLI is accepted by machine.Load on the same machine and refused
// on another one: the CLI and the product compute the same fingerprint.
func TestActivationMatchesSDK(t *testing.T) {
	t.Chdir(t.TempDir())
	k := keys.Sandbox()
	if err := os.WriteFile("sandbox.key", k.MarshalUnencrypted(), 0o600); err != nil {
		t.Fatal(err)
	}
	site := fakeMachine("", map[string]string{"/etc/machine-id": "6f1e2d3c4b5a69788796a5b4c3d2e1f0\n"}, "site")
	a, _, stderr := machineApp(site, time.Now())
	if code := run([]string{"activate", "request", "--product", "widget", "-o", "req.json"}, a); code != exitOK {
		t.Fatalf("activate request: exit %d: %s", code, stderr)
	}
	vendor, _, stderr := machineApp(fakeMachine("vendor-machine", nil, "vendor"), time.Now())
	if code := run([]string{"mint", "--key", "sandbox.key", "--from-request", "req.json", "--sub", "s", "--tier", "pro",
		"--scope", "api:read", "--days", "30", "-o", "lic.txt"}, vendor); code != exitOK {
		t.Fatalf("mint: exit %d: %s", code, stderr)
	}
	for _, tt := range []struct {
		name    string
		machine *machine.Machine
		want    verify.Code
	}{
		{"the site", site, ""},
		{"another machine", fakeMachine("", map[string]string{"/etc/machine-id": "00000000000000000000000000000000\n"}, "site"), verify.CodeBindingMismatch},
		{"the vendor's machine", fakeMachine("vendor-machine", nil, "vendor"), verify.CodeBindingMismatch},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lic, err := sdk.Load(sdk.Config{
				TrustedKeys: k.Public().MarshalPEM(), Issuer: k.Issuer, Product: "widget",
				LicensePath: "lic.txt", EnvVar: "-", ConfigDirName: "-", Machine: tt.machine,
			})
			if got := verify.Code(sdk.CodeOf(err)); got != tt.want {
				t.Fatalf("sdk.Load: %v, want code %q", err, tt.want)
			}
			if allowed := lic.Allows("api:read"); allowed != (tt.want == "") {
				t.Errorf("Allows = %v", allowed)
			}
			// licet verify --bind-machine agrees with the product.
			a, stdout, stderr := machineApp(tt.machine, time.Now())
			if err := os.WriteFile("sandbox.pub", k.Public().MarshalPEM(), 0o644); err != nil {
				t.Fatal(err)
			}
			code := run([]string{"verify", "lic.txt", "--pub", "sandbox.pub", "--product", "widget", "--bind-machine"}, a)
			wantCode := exitOK
			if tt.want != "" {
				wantCode = exitRejected
			}
			if code != wantCode || (tt.want != "" && !strings.HasPrefix(stdout.String(), "rejected: "+string(tt.want))) {
				t.Errorf("verify: exit %d, want %d; %s %s", code, wantCode, stdout, stderr)
			}
		})
	}
}

// FuzzMintFromRequest feeds arbitrary bytes to mint as the request file:
// mint refuses them (exit 1, or 2 over the size limit) with a message
// naming the file, never an internal error, and a valid request passes
// every check of the request and of the license made from it.
//
// The output file exists (no --force): mint refuses to overwrite it after
// those checks, before it signs and records anything. Signing and recording
// in the ledger (an SQLite transaction, synced to disk) took milliseconds a
// call, so long that minimizing one input took the whole -fuzztime (8
// executions in 15 s). TestApplyRequest, TestActivationMatchesSDK and
// security_activation.txtar check the license signed from a request.
func FuzzMintFromRequest(f *testing.F) {
	req, err := fakeMachine("seed", nil, "").ActivationRequest("acme-db", time.Unix(1700000000, 0))
	if err != nil {
		f.Fatal(err)
	}
	good, err := req.MarshalIndent()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"version":1,"product":"p","fingerprint":"` + strings.Repeat("0", 64) + `","source":"hostname","created":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"version":1,"product":"p","product":"q"}`))
	f.Add([]byte{})
	dir := f.TempDir()
	key := dir + "/sandbox.key"
	if err := os.WriteFile(key, keys.Sandbox().MarshalUnencrypted(), 0o600); err != nil {
		f.Fatal(err)
	}
	out := dir + "/exists.lic"
	if err := os.WriteFile(out, []byte("not overwritten\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	// One request file for the whole run: a fuzzing process calls the
	// function once at a time.
	path := dir + "/req.json"
	f.Fuzz(func(t *testing.T, in []byte) {
		if err := os.WriteFile(path, in, 0o644); err != nil {
			t.Fatal(err)
		}
		a, stdout, stderr := testApp("")
		code := runOnly([]string{"mint", "--key", key, "--from-request", path, "--sub", "s", "--tier", "t", "--days", "1", "-o", out}, a, newMintCmd)
		if strings.Contains(stderr.String(), "internal error") {
			t.Fatalf("%s", stderr)
		}
		if code == exitOK || stdout.Len() > 0 {
			t.Fatalf("exit %d, stdout %q: mint overwrote %s or printed a token", code, stdout, out)
		}
		if _, err := machine.ParseActivationRequest(in); err == nil && len(in) <= maxRequestFileSize {
			// A valid request passes every check: only the output file
			// stops mint. One that cannot make a license (a product too
			// long for a token, say) is refused as such.
			refusedOutput := code == exitUsage && strings.Contains(stderr.String(), "licet: error: "+out+" already exists")
			if !refusedOutput && code != exitRejected {
				t.Fatalf("exit %d on a valid request; stderr %s", code, stderr)
			}
			return
		}
		wantCode := exitRejected
		if len(in) > maxRequestFileSize {
			wantCode = exitUsage
		}
		if code != wantCode || !strings.Contains(stderr.String(), "licet: error: "+path) {
			t.Fatalf("exit %d, want %d; stderr %s", code, wantCode, stderr)
		}
	})
}

// TestREADMEEmbedsSDKREADME: the README's section on embedding licet is
// sdk/README.md, word for word.
func TestREADMEEmbedsSDKREADME(t *testing.T) {
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	sdkReadme, err := os.ReadFile(filepath.Join(root, "sdk", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const heading = "## Embedding licet in your product\n"
	_, section, ok := strings.Cut(string(readme), "\n"+heading)
	if !ok {
		t.Fatalf("README has no %q section", strings.TrimSpace(heading))
	}
	section, _, _ = strings.Cut(section, "\n## ")
	if want := strings.TrimSpace(strings.TrimPrefix(string(sdkReadme), heading)); strings.TrimSpace(section) != want {
		t.Errorf("README's %q section differs from sdk/README.md: copy it again", strings.TrimSpace(heading))
	}
}

// TestREADMEOfflineActivation runs the commands of the README's offline
// activation section, in order, on one machine, with acme.key and
// acme.pub: each succeeds, and the license they make is refused on
// another machine. The container variant in a comment runs too.
func TestREADMEOfflineActivation(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "### Offline activation (air-gapped sites)\n")
	if !ok {
		t.Fatal("README has no offline activation section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	const containerNote = "# in a container or cluster: "
	var commands []string
	var container string
	for _, block := range strings.Split(section, "```sh\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		block = strings.ReplaceAll(block, "\\\n", " ")
		for _, line := range strings.Split(block, "\n") {
			line = strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(line, containerNote):
				container = strings.TrimPrefix(line, containerNote)
			case line == "" || strings.HasPrefix(line, "#"):
			default:
				commands = append(commands, line)
			}
		}
	}
	if len(commands) != 3 || container == "" {
		t.Fatalf("want the three steps and the container variant, found %q and %q", commands, container)
	}

	dir := t.TempDir()
	t.Chdir(dir)
	k, err := keys.Generate(nil, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("acme.key", k.MarshalUnencrypted(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("acme.pub", k.Public().MarshalPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	// LICET_MACHINE_ID comes from the command line's environment.
	site := fakeMachine("", map[string]string{"/etc/machine-id": "6f1e2d3c4b5a69788796a5b4c3d2e1f0\n"}, "site")
	site.Getenv = nil
	runLine := func(line string, m *machine.Machine) (int, string, string) {
		t.Helper()
		args := strings.Fields(line)
		env := map[string]string{}
		for len(args) > 0 && strings.Contains(args[0], "=") {
			k, v, _ := strings.Cut(args[0], "=")
			env[k], args = v, args[1:]
		}
		if len(args) == 0 || args[0] != "licet" {
			t.Fatalf("not a licet command: %q", line)
		}
		a, stdout, stderr := machineApp(m, time.Now())
		a.lookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		return run(args[1:], a), stdout.String(), stderr.String()
	}
	for _, line := range commands {
		if code, stdout, stderr := runLine(line, site); code != exitOK {
			t.Fatalf("%s: exit %d\n%s%s", line, code, stdout, stderr)
		}
	}
	other := fakeMachine("", map[string]string{"/etc/machine-id": "00000000000000000000000000000000\n"}, "site")
	if code, stdout, _ := runLine(commands[2], other); code != exitRejected || !strings.HasPrefix(stdout, "rejected: binding_mismatch: ") {
		t.Errorf("%s on another machine: exit %d, %s", commands[2], code, stdout)
	}

	t.Chdir(t.TempDir())
	if code, stdout, stderr := runLine(container, site); code != exitOK {
		t.Fatalf("%s: exit %d\n%s%s", container, code, stdout, stderr)
	}
	data, err := os.ReadFile("req.json")
	if err != nil {
		t.Fatal(err)
	}
	req, err := machine.ParseActivationRequest(data)
	if err != nil || req.Source != machine.SourceEnv {
		t.Errorf("%s: request %+v, %v; want the source env", container, req, err)
	}
}

package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
	"github.com/spf13/cobra"
)

// testApp returns an app with buffers for its streams, no passphrase in the
// environment, no terminal, and the given stdin.
func testApp(stdin string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &app{
		stdin:          strings.NewReader(stdin),
		stdout:         &stdout,
		stderr:         &stderr,
		lookupEnv:      func(string) (string, bool) { return "", false },
		now:            time.Now,
		stdinTerminal:  func() bool { return false },
		readPassword:   func() ([]byte, error) { return nil, os.ErrClosed },
		stdoutTerminal: func() bool { return false },
	}, &stdout, &stderr
}

// TestParseDate: every time flag takes the same DATE forms.
func TestParseDate(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in   string
		startOfDay bool
		want       string // RFC 3339, "" for an error
	}{
		{"day is its end", "2027-06-30", false, "2027-06-30T23:59:59Z"},
		{"day is its start for not-before", "2027-06-30", true, "2027-06-30T00:00:00Z"},
		{"rfc3339 utc", "2027-06-30T12:00:00Z", false, "2027-06-30T12:00:00Z"},
		{"rfc3339 offset becomes utc", "2027-06-30T12:00:00+02:00", false, "2027-06-30T10:00:00Z"},
		{"unix seconds", "4102444800", false, "2100-01-01T00:00:00Z"},
		{"unix zero", "0", true, "1970-01-01T00:00:00Z"},
		{"negative unix", "-86400", false, "1969-12-31T00:00:00Z"},
		{"days from now", "30d", false, "2026-03-31T12:00:00Z"},
		{"hours from now", "12h", true, "2026-03-02T00:00:00Z"},
		{"days and hours from now", "1d12h", false, "2026-03-03T00:00:00Z"},
		{"month 13", "2027-13-01", false, ""},
		{"no zero padding", "2027-6-30", false, ""},
		{"words", "tomorrow", false, ""},
		{"unix too large", "99999999999999", false, ""},
		{"negative duration", "-5m", false, ""},
		{"empty", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDate(tt.in, tt.startOfDay, now)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("parseDate(%q) = %v, want an error", tt.in, got)
				}
				if !strings.Contains(err.Error(), "is not a DATE: use YYYY-MM-DD, RFC 3339 (2026-01-31T12:00:00Z), unix seconds, or a duration from now (30d, 36h)") ||
					strings.Contains(err.Error(), "strconv") {
					t.Errorf("error %q does not say what a DATE is", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := got.Format(time.RFC3339); s != tt.want {
				t.Errorf("parseDate(%q) = %s, want %s", tt.in, s, tt.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		name, in string
		want     time.Duration
		bad      bool
	}{
		{"days", "90d", 90 * 24 * time.Hour, false},
		{"days and hours", "1d12h", 36 * time.Hour, false},
		{"go duration", "36h", 36 * time.Hour, false},
		{"minutes", "5m", 5 * time.Minute, false},
		{"zero seconds", "0s", 0, false},
		{"zero days", "0d", 0, false},
		{"negative", "-5m", 0, true},
		{"days then negative", "1d-5m", 0, true},
		{"no unit", "30", 0, true},
		{"unit only", "d", 0, true},
		{"empty", "", 0, true},
		{"weeks are not a unit", "2w", 0, true},
		{"absurd days", "999999999999d", 0, true},
		{"more days than a time.Duration holds", "1000000d", 0, true},
		{"100 years", "36600d", 36600 * 24 * time.Hour, false},
		{"over 100 years", "36601d", 0, true},
		{"over 100 years in hours", "878425h", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDuration(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("parseDuration(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("parseDuration(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                          "0s",
		30 * 24 * time.Hour:        "30d",
		400 * 24 * time.Hour:       "400d",
		36 * time.Hour:             "1d12h",
		12 * time.Hour:             "12h",
		90 * time.Second:           "1m30s",
		24*time.Hour + time.Second: "1d1s",
		500 * time.Millisecond:     "500ms",
		-36 * time.Hour:            "-1d12h",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
		if d >= time.Second {
			if back, err := parseDuration(formatDuration(d)); err != nil || back != d {
				t.Errorf("parseDuration(formatDuration(%v)) = %v, %v", d, back, err)
			}
		}
	}
}

func TestParseLimits(t *testing.T) {
	tests := []struct {
		name     string
		in       []string
		want     map[string]uint64
		problems []string
	}{
		{"none", nil, nil, nil},
		{"two", []string{"seats=25", "nodes=0"}, map[string]uint64{"seats": 25, "nodes": 0}, nil},
		{"duplicate", []string{"seats=1", "seats=2"}, map[string]uint64{"seats": 1}, []string{"--limit seats is given twice"}},
		{"negative", []string{"seats=-1"}, map[string]uint64{}, []string{`--limit seats="-1": the value must be a whole number >= 0`}},
		{"not a pair", []string{"seats"}, nil, []string{`--limit "seats": want NAME=VALUE`}},
		{"empty name", []string{"=3"}, nil, []string{`--limit "=3": want NAME=VALUE`}},
		{"value with equals", []string{"a=1=2"}, map[string]uint64{}, []string{`--limit a="1=2": the value must be a whole number >= 0`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := parseLimits("limit", tt.in)
			if len(got) != len(tt.want) {
				t.Errorf("limits = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("limits[%s] = %d, want %d", k, got[k], v)
				}
			}
			if strings.Join(problems, "|") != strings.Join(tt.problems, "|") {
				t.Errorf("problems = %q, want %q", problems, tt.problems)
			}
		})
	}
}

func TestParsePairsKeepsEqualsInValues(t *testing.T) {
	m, problems := parsePairs("meta", []string{"note=a=b, c", "empty="})
	if len(problems) != 0 {
		t.Fatal(problems)
	}
	if m["note"] != "a=b, c" || m["empty"] != "" || len(m) != 2 {
		t.Errorf("pairs = %q", m)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"license.pem":    "license.pem",
		"reports:*":      "'reports:*'",
		">= 2.0, < 3.0":  "'>= 2.0, < 3.0'",
		"it's":           `'it'\''s'`,
		"":               "''",
		"seats=5":        "seats=5",
		"2100-01-02T00Z": "2100-01-02T00Z",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestReadToken checks how the argument of inspect and verify is read: a
// file wins over a token string of the same name, and a name that looks
// like neither is reported as a missing file.
func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	tok := "licet1.0oRYLaMBJwRIXh1zzNIVkOAQeB1hcHBsaWNhdGlvbi9saWNldC1saWNlbnNl"
	if err := os.WriteFile("license.txt", []byte("from the file"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, arg, stdin, want, wantName string
		wantErr                          string
	}{
		{"file", "license.txt", "", "from the file", "license.txt", ""},
		{"token string", tok, "", tok + "\n", "the token argument", ""},
		{"pem string", "-----BEGIN LICET LICENSE-----\nAAAA\n-----END LICET LICENSE-----", "", "-----BEGIN LICET LICENSE-----\nAAAA\n-----END LICET LICENSE-----\n", "the token argument", ""},
		{"stdin", "-", "piped", "piped", "stdin", ""},
		{"token string broken by a mail client", "> " + tok[:30] + "\n> " + tok[30:], "", tok + "\n", "the token argument", ""},
		{"token string with spaces", tok[:10] + " " + tok[10:40] + "\t" + tok[40:], "", tok + "\n", "the token argument", ""},
		{"stdin quoted", "-", "> " + tok[:20] + "\r\n> " + tok[20:] + "\r\n", tok + "\n", "stdin", ""},
		{"missing file", "nothere.pem", "", "", "", "nothere.pem: no such file"},
		{"short dotted name is a file", "abc.def", "", "", "", "abc.def: no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, _ := testApp(tt.stdin)
			data, name, err := a.readToken([]string{tt.arg})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tt.want || name != tt.wantName {
				t.Errorf("readToken = %q, %q; want %q, %q", data, name, tt.want, tt.wantName)
			}
		})
	}
	// A token-shaped argument that names an existing file is the file.
	if err := os.WriteFile(tok, []byte("file named like a token"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, _, _ := testApp("")
	if data, _, err := a.readToken([]string{tok}); err != nil || string(data) != "file named like a token" {
		t.Errorf("readToken(file named like a token) = %q, %v", data, err)
	}
	// No argument and a terminal on stdin: nothing to read.
	a.stdinTerminal = func() bool { return true }
	if _, _, err := a.readToken(nil); err == nil || !strings.Contains(err.Error(), "no token given") {
		t.Errorf("readToken(nil) on a terminal: err = %v", err)
	}
}

// TestEveryCommandHasExamples walks the command tree: every command's
// --help has an Examples section.
func TestEveryCommandHasExamples(t *testing.T) {
	a, _, _ := testApp("")
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if !c.Hidden && c.Name() != "__complete" && c.Name() != "__completeNoDesc" {
			n++
			if strings.TrimSpace(c.Example) == "" {
				t.Errorf("%q has no Example", c.CommandPath())
			}
			if c.Short == "" {
				t.Errorf("%q has no Short description", c.CommandPath())
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(a))
	if n < 15 {
		t.Errorf("walked %d commands, want at least 15", n)
	}
}

// TestRawNotToTerminal: raw bytes are never written to a terminal.
func TestRawNotToTerminal(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("sandbox.key", keys.Sandbox().MarshalUnencrypted(), 0o600); err != nil {
		t.Fatal(err)
	}
	a, stdout, stderr := testApp("")
	a.stdoutTerminal = func() bool { return true }
	code := run([]string{"mint", "--key", "sandbox.key", "--sub", "s", "--aud", "p", "--tier", "t", "--perpetual", "--format", "raw"}, a)
	if code != exitUsage || stdout.Len() != 0 || !strings.Contains(stderr.String(), "not writing raw bytes to a terminal") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// The text form is fine on a terminal.
	a, stdout, _ = testApp("")
	a.stdoutTerminal = func() bool { return true }
	if code := run([]string{"mint", "--key", "sandbox.key", "--sub", "s", "--aud", "p", "--tier", "t", "--perpetual"}, a); code != 0 || !strings.HasPrefix(stdout.String(), "licet1.") {
		t.Errorf("text form: exit %d, stdout %q", code, stdout)
	}
}

// TestFixturesAreSandboxSigned ties the fixed tokens and key of the
// scripts to the sandbox key, so that they cannot drift from it.
func TestFixturesAreSandboxSigned(t *testing.T) {
	seed := sha256.Sum256([]byte("licet sandbox key v1"))
	want := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	if got := keys.Sandbox().Public().Key; !got.Equal(want) {
		t.Fatalf("keys.Sandbox() public key is %x, want %x", got, want)
	}
	data, err := os.ReadFile("testdata/script/verify.txtar")
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(data), "-- sandbox-plain.pub --\n")
	file, _, _ := strings.Cut(after, "\n-- ")
	pub, err := keys.ParsePublicKey([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Key.Equal(want) {
		t.Errorf("sandbox-plain.pub in verify.txtar is not the sandbox key")
	}
}

// TestVerifyJSONSchema checks the exact set of fields of verify --json,
// valid and rejected, against the schema the README documents.
func TestVerifyJSONSchema(t *testing.T) {
	root := repoRoot(t)
	t.Chdir(t.TempDir())
	k := keys.Sandbox()
	if err := os.WriteFile("sandbox.pub", k.Public().MarshalPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	lic := &token.License{
		Issuer: k.Issuer, Subject: "s", Audience: []string{"p"}, IssuedAt: time.Now().Add(-time.Hour),
		ID: make([]byte, token.IDSize), Tier: "t",
	}
	raw, err := token.SignLicense(k.Signer(), lic, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("lic.raw", raw, 0o644); err != nil {
		t.Fatal(err)
	}
	topLevel := []string{"code", "detail", "fallback", "grant", "in_grace", "license", "message", "revocations", "type", "unchecked", "valid", "warnings"}
	licenseFields := []string{"aud", "bind", "exp", "fallback", "grace", "iat", "id", "iss", "kid", "limits", "meta", "nbf", "perpetual", "rights", "scopes", "sub", "tier", "versions"}
	for _, tt := range []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"valid", []string{"verify", "lic.raw", "--pub", "sandbox.pub", "--json"}, exitOK},
		{"rejected", []string{"verify", "lic.raw", "--pub", "sandbox.pub", "--json", "--product", "q"}, exitRejected},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, stdout, stderr := testApp("")
			if code := run(tt.args, a); code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.wantCode, stderr)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
				t.Fatalf("not one JSON object: %v\n%s", err, stdout)
			}
			if got := mapKeys(m); !equal(got, topLevel) {
				t.Errorf("fields %v, want %v", got, topLevel)
			}
			if tt.wantCode != exitOK {
				if string(m["license"]) != "null" {
					t.Errorf("license = %s on a rejection, want null", m["license"])
				}
				return
			}
			var l map[string]json.RawMessage
			if err := json.Unmarshal(m["license"], &l); err != nil {
				t.Fatal(err)
			}
			if got := mapKeys(l); !equal(got, licenseFields) {
				t.Errorf("license fields %v, want %v", got, licenseFields)
			}
		})
	}
	// Every field is documented in the README's JSON schema section.
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, schema, _ := strings.Cut(string(readme), "## JSON output of verify")
	schema, _, _ = strings.Cut(schema, "\n## ")
	for _, f := range append(append(topLevel, licenseFields...), "partner", "expires", "next_update", "kids", "granted") {
		if !strings.Contains(schema, "`"+f+"`") {
			t.Errorf("README's JSON section does not document `%s`", f)
		}
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the test's directory")
		}
	}
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func equal(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// runOnly runs args like run, on a root that has only the commands that
// the news make: a fuzz target runs one command thousands of times a
// second, and building the whole tree takes longer than most commands.
func runOnly(args []string, a *app, news ...func(*app) *cobra.Command) int {
	root := newRoot(a)
	for _, n := range news {
		root.AddCommand(n(a))
	}
	return execute(root, args, a)
}

// FuzzInspect feeds arbitrary bytes to inspect and verify: they exit 0 or 1
// with a message, never 2 (an internal error) and never a panic. The
// second value picks the command line, so that each call runs one command:
// the fuzzer explores all three and runs thousands a second.
func FuzzInspect(f *testing.F) {
	k := keys.Sandbox()
	lic := &token.License{
		Issuer: k.Issuer, Subject: "s", Audience: []string{"p"}, IssuedAt: time.Unix(1700000000, 0),
		ID: make([]byte, token.IDSize), Tier: "t", Scopes: []string{"a:*"}, Limits: map[string]uint64{"n": 1},
	}
	raw, err := token.SignLicense(k.Signer(), lic, nil)
	if err != nil {
		f.Fatal(err)
	}
	text, _ := token.EncodeText(raw, "")
	dir := f.TempDir()
	pub := filepath.Join(dir, "sandbox.pub")
	if err := os.WriteFile(pub, k.Public().MarshalPEM(), 0o644); err != nil {
		f.Fatal(err)
	}
	commands := [][]string{{"inspect"}, {"inspect", "--json"}, {"verify", "--pub", pub, "--json"}}
	for _, in := range [][]byte{
		raw, []byte(text), token.EncodePEM(raw, token.PEMLicense, map[string]string{"Subject": "s"}),
		[]byte("licet1."), {0xd2, 0x84},
	} {
		for i := range commands {
			f.Add(in, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, command uint8) {
		args := commands[int(command)%len(commands)]
		a, _, stderr := testApp(string(in))
		code := runOnly(args, a, newInspectCmd, newVerifyCmd)
		if code != exitOK && code != exitRejected {
			t.Fatalf("%v: exit %d on %q; stderr %s", args, code, in, stderr)
		}
		if strings.Contains(stderr.String(), "internal error") || strings.Contains(stderr.String(), "goroutine") {
			t.Fatalf("%v: %s", args, stderr)
		}
	})
}

// TestFileErrors checks the messages for files that cannot be read, also
// the permission case that the scripts skip when run as root.
func TestFileErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"missing", &fs.PathError{Op: "open", Path: "k.key", Err: fs.ErrNotExist}, "k.key: no such file (a key file)"},
		{"permission", &fs.PathError{Op: "open", Path: "k.key", Err: fs.ErrPermission}, "k.key: permission denied (a key file)"},
		{"other", &fs.PathError{Op: "read", Path: "k.key", Err: errors.New("input/output error")}, "k.key: input/output error (a key file)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fileError(tt.err, "k.key", "a key file")
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != exitUsage || err.Error() != tt.want {
				t.Errorf("fileError = %v, want %q with exit code 2", err, tt.want)
			}
		})
	}
}

// TestREADMEListsEveryCode: the README's format summary names every
// verification code, in the library's order.
func TestREADMEListsEveryCode(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, summary, _ := strings.Cut(string(readme), "## Format summary")
	summary, _, _ = strings.Cut(summary, "\n## ")
	last := -1
	for _, c := range verify.Codes() {
		i := strings.Index(summary, "`"+string(c)+"`")
		if i < 0 {
			t.Errorf("README's format summary does not name %s", c)
			continue
		}
		if i < last {
			t.Errorf("README names %s out of order", c)
		}
		last = i
	}
}

// TestMintRefusesOversizedTokens: a license larger than verifiers accept
// is never written, in any form.
func TestMintRefusesOversizedTokens(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("sandbox.key", keys.Sandbox().MarshalUnencrypted(), 0o600); err != nil {
		t.Fatal(err)
	}
	big := "note=" + strings.Repeat("x", 12000)
	for _, format := range []string{"raw", "text", "pem"} {
		t.Run(format, func(t *testing.T) {
			a, stdout, stderr := testApp("")
			code := run([]string{"mint", "--key", "sandbox.key", "--sub", "s", "--aud", "p", "--tier", "t",
				"--perpetual", "--meta", big, "--meta", "b=" + strings.Repeat("y", 4500), "--format", format, "-o", "lic." + format}, a)
			if code != exitRejected || stdout.Len() != 0 || !strings.Contains(stderr.String(), "16384") {
				t.Errorf("exit %d, stdout %d bytes, stderr %q", code, stdout.Len(), stderr)
			}
			if _, err := os.Stat("lic." + format); err == nil {
				t.Errorf("lic.%s was written", format)
			}
		})
	}
	// Just under the limit in the raw form is fine, and verifies.
	a, _, stderr := testApp("")
	if code := run([]string{"mint", "--key", "sandbox.key", "--sub", "s", "--aud", "p", "--tier", "t",
		"--perpetual", "--meta", "note=" + strings.Repeat("x", 15000), "--format", "raw", "-o", "ok.raw"}, a); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if err := os.WriteFile("sandbox.pub", keys.Sandbox().Public().MarshalPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	a, stdout, stderr := testApp("")
	if code := run([]string{"verify", "ok.raw", "--pub", "sandbox.pub"}, a); code != 0 || !strings.HasPrefix(stdout.String(), "valid\n") {
		t.Errorf("verify: exit %d, %s %s", code, stdout, stderr)
	}
}

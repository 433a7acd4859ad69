package sdk_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/machine"
	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

func TestLoadPlaces(t *testing.T) {
	v := newVendor(t, "vendor")
	pathLic := v.mint(v.license(func(l *token.License) { l.Subject = "from-path" }))
	envText := v.text(v.license(func(l *token.License) { l.Subject = "from-env-token" }))
	envFile := v.path("env.lic")
	write(t, envFile, v.mint(v.license(func(l *token.License) { l.Subject = "from-env-path" })))
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, product), 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(home, product, sdk.LicenseFileName), v.mint(v.license(func(l *token.License) { l.Subject = "from-config-dir" })))
	write(t, v.path("license.lic"), pathLic)

	// A PEM license whose base64 holds a '/': it must not pass for a path.
	var pemWithSlash []byte
	for i := 0; pemWithSlash == nil; i++ {
		p := v.mint(v.license(func(l *token.License) { l.Subject = "from-env-pem"; l.Meta = map[string]string{"n": strconv.Itoa(i)} }))
		if bytes.Contains(p[30:], []byte("/")) {
			pemWithSlash = p
		}
	}
	env := func(val string) func(string) string {
		return func(name string) string {
			if name == "WIDGET_SERVER_LICENSE" {
				return val
			}
			return ""
		}
	}
	tests := []struct {
		name        string
		mod         func(*sdk.Config)
		wantSubject string
		wantSource  string
	}{
		{"explicit path first", func(c *sdk.Config) { c.EnvVar = ""; c.Getenv = env(envText) }, "from-path", v.path("license.lic")},
		{"env token", func(c *sdk.Config) { c.LicensePath = ""; c.EnvVar = ""; c.Getenv = env(envText) }, "from-env-token", "$WIDGET_SERVER_LICENSE"},
		{"env token with white space", func(c *sdk.Config) { c.LicensePath = ""; c.EnvVar = ""; c.Getenv = env("\n " + envText + "\n") }, "from-env-token", "$WIDGET_SERVER_LICENSE"},
		{"env PEM (base64 with slashes)", func(c *sdk.Config) {
			c.LicensePath = ""
			c.EnvVar = ""
			c.Getenv = env(string(pemWithSlash))
		}, "from-env-pem", "$WIDGET_SERVER_LICENSE"},
		{"env path", func(c *sdk.Config) { c.LicensePath = ""; c.EnvVar = ""; c.Getenv = env(envFile) }, "from-env-path", "$WIDGET_SERVER_LICENSE -> " + envFile},
		{"custom env var", func(c *sdk.Config) {
			c.LicensePath = ""
			c.EnvVar = "MY_LIC"
			c.Getenv = func(n string) string {
				if n == "MY_LIC" {
					return envText
				}
				return ""
			}
		}, "from-env-token", "$MY_LIC"},
		{"config dir", func(c *sdk.Config) {
			c.LicensePath = ""
			c.ConfigDirName = ""
			c.UserConfigDir = func() (string, error) { return home, nil }
		}, "from-config-dir", filepath.Join(home, product, sdk.LicenseFileName)},
		{"env before config dir", func(c *sdk.Config) {
			c.LicensePath = ""
			c.EnvVar, c.Getenv = "", env(envText)
			c.ConfigDirName = ""
			c.UserConfigDir = func() (string, error) { return home, nil }
		}, "from-env-token", "$WIDGET_SERVER_LICENSE"},
		{"broken first place falls through", func(c *sdk.Config) {
			c.LicensePath = v.path("broken.lic")
			write(t, c.LicensePath, []byte("licet1.AAAA"))
			c.EnvVar, c.Getenv = "", env(envText)
		}, "from-env-token", "$WIDGET_SERVER_LICENSE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := v.config()
			tt.mod(&cfg)
			lic := mustLoad(t, cfg)
			st := lic.Status()
			if st.Subject != tt.wantSubject || st.Source != tt.wantSource {
				t.Errorf("subject %q from %q, want %q from %q", st.Subject, st.Source, tt.wantSubject, tt.wantSource)
			}
		})
	}
}

func TestLoadSkippedPlacesAreWarnings(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.Audience = []string{"other"} })))
	cfg.EnvVar = "LIC"
	cfg.Getenv = func(string) string { return v.text(v.license(nil)) }
	lic := mustLoad(t, cfg)
	ws := strings.Join(lic.Status().Warnings, "\n")
	if !strings.Contains(ws, cfg.LicensePath) || !strings.Contains(ws, "wrong_product") {
		t.Errorf("warnings do not name the refused license: %q", ws)
	}
}

func TestLoadErrorListsEveryPlace(t *testing.T) {
	v := newVendor(t, "vendor")
	home := t.TempDir()
	cfg := v.config()
	cfg.EnvVar = ""
	cfg.Getenv = func(n string) string {
		if n == "WIDGET_SERVER_LICENSE" {
			return "not-a-license"
		}
		return ""
	}
	cfg.ConfigDirName = ""
	cfg.UserConfigDir = func() (string, error) { return home, nil }
	cfgDirFile := filepath.Join(home, product, sdk.LicenseFileName)
	if err := os.MkdirAll(filepath.Dir(cfgDirFile), 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, cfgDirFile, v.mint(v.license(func(l *token.License) {
		l.IssuedAt = t0.Add(-60 * 24 * time.Hour)
		l.Expiry = t0.Add(-30 * 24 * time.Hour)
	})))

	lic, lerr := loadErr[*sdk.LoadError](t, cfg)
	msg := lerr.Error()
	for _, want := range []string{
		`sdk: no valid license for product "widget-server"`,
		cfg.LicensePath + ": not found",
		"$WIDGET_SERVER_LICENSE: neither an existing file nor a valid license",
		cfgDirFile + ": rejected (expired): license expired at 2026-05-02T12:00:00Z",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if len(lerr.Candidates) != 3 {
		t.Fatalf("%d candidates, want 3", len(lerr.Candidates))
	}
	kinds := []string{lerr.Candidates[0].Kind, lerr.Candidates[1].Kind, lerr.Candidates[2].Kind}
	if kinds[0] != sdk.KindPath || kinds[1] != sdk.KindEnv || kinds[2] != sdk.KindConfigDir {
		t.Errorf("kinds %v", kinds)
	}
	if !errors.Is(lerr, fs.ErrNotExist) || !errors.Is(lerr, verify.CodeExpired) || !errors.Is(lerr, verify.CodeMalformed) {
		t.Error("errors.Is does not see the candidates' errors")
	}
	if lerr.NotFound() {
		t.Error("NotFound with a refused license")
	}
	if got := lerr.Code(); got != "malformed" {
		t.Errorf("Code = %q, want the first refusal, malformed", got)
	}
	if lic == nil || lic.Allows("api:read") || lic.Err() == nil {
		t.Error("the unlicensed handle must exist and allow nothing")
	}
}

func TestLoadNothingFound(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	cfg.EnvVar = ""
	cfg.Getenv = func(string) string { return "" }
	cfg.ConfigDirName = ""
	cfg.UserConfigDir = func() (string, error) { return "", errors.New("$HOME is not defined") }
	lic, lerr := loadErr[*sdk.LoadError](t, cfg)
	if !strings.Contains(lerr.Error(), "$WIDGET_SERVER_LICENSE: not set") ||
		!strings.Contains(lerr.Error(), "config directory: unknown: $HOME is not defined") {
		t.Errorf("message: %v", lerr)
	}
	if lerr.Code() != sdk.CodeNoLicense || sdk.CodeOf(lerr) != sdk.CodeNoLicense {
		t.Errorf("code %q", lerr.Code())
	}
	// A config directory this machine does not have holds nothing either.
	if !lerr.NotFound() {
		t.Errorf("NotFound false: %v", lerr)
	}
	cfg.ConfigDirName = "-"
	_, lerr = loadErr[*sdk.LoadError](t, cfg)
	if !lerr.NotFound() || len(lerr.Candidates) != 2 {
		t.Errorf("NotFound false: %v", lerr)
	}
	if lic.Status().Code != sdk.CodeNoLicense {
		t.Errorf("status code %q", lic.Status().Code)
	}

	cfg.LicensePath = ""
	cfg.EnvVar = "-"
	_, lerr = loadErr[*sdk.LoadError](t, cfg)
	if !strings.Contains(lerr.Error(), "no place to look") {
		t.Errorf("message: %v", lerr)
	}
}

func TestLoadRefusals(t *testing.T) {
	v := newVendor(t, "vendor")
	other := newVendor(t, "other")
	tests := []struct {
		name string
		tok  func() []byte
		mod  func(*sdk.Config)
		code verify.Code
	}{
		{"wrong product", func() []byte { return v.mint(v.license(func(l *token.License) { l.Audience = []string{"gadget"} })) }, nil, verify.CodeWrongProduct},
		{"unknown key", func() []byte { return other.mint(other.license(nil)) }, nil, verify.CodeUnknownKey},
		{"wrong issuer", func() []byte { return v.mint(v.license(func(l *token.License) { l.Issuer = "mallory" })) }, nil, verify.CodeWrongIssuer},
		{"expired", func() []byte {
			return v.mint(v.license(func(l *token.License) { l.IssuedAt = t0.Add(-48 * time.Hour); l.Expiry = t0.Add(-time.Hour) }))
		}, nil, verify.CodeExpired},
		{"not yet valid", func() []byte { return v.mint(v.license(func(l *token.License) { l.NotBefore = t0.Add(time.Hour) })) }, nil, verify.CodeNotYetValid},
		{"version not covered", func() []byte { return v.mint(v.license(func(l *token.License) { l.Versions = ">= 4.0" })) }, nil, verify.CodeVersionNotCovered},
		{"version needed", func() []byte { return v.mint(v.license(func(l *token.License) { l.Versions = ">= 3.0" })) },
			func(c *sdk.Config) { c.ProductVersion = "" }, verify.CodeVersionNotCovered},
		{"bound to another machine", func() []byte {
			return v.mint(v.license(func(l *token.License) { l.Bind = map[string]string{"host": strings.Repeat("0", 64)} }))
		}, nil, verify.CodeBindingMismatch},
		{"bound, machine has no id", func() []byte {
			return v.mint(v.license(func(l *token.License) { l.Bind = map[string]string{"host": strings.Repeat("0", 64)} }))
		}, func(c *sdk.Config) {
			c.Machine = &machine.Machine{
				Getenv:   func(string) string { return "" },
				ReadFile: func(string) ([]byte, error) { return nil, fs.ErrNotExist },
				Hostname: func() (string, error) { return "", errors.New("no host name") },
			}
		}, verify.CodeBindingMismatch},
		{"bound to another cluster", func() []byte {
			return v.mint(v.license(func(l *token.License) { l.Bind = map[string]string{"cluster": "eu-1"} }))
		}, func(c *sdk.Config) { c.Binding = map[string]string{"cluster": "us-1"} }, verify.CodeBindingMismatch},
		{"malformed", func() []byte { return []byte("-----BEGIN LICET LICENSE-----\nAAAA\n-----END LICET LICENSE-----\n") }, nil, verify.CodeMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := v.config()
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			write(t, cfg.LicensePath, tt.tok())
			lic, lerr := loadErr[*sdk.LoadError](t, cfg)
			if got := lerr.Code(); got != string(tt.code) {
				t.Errorf("code %q, want %q: %v", got, tt.code, lerr)
			}
			if !errors.Is(lerr, &verify.Error{Code: tt.code}) {
				t.Errorf("errors.Is(err, %s) false", tt.code)
			}
			if lic.Allows("api:read") {
				t.Error("refused license allows")
			}
			if got := lic.Status().Code; got != string(tt.code) {
				t.Errorf("status code %q", got)
			}
		})
	}
}

func TestLoadBinding(t *testing.T) {
	v := newVendor(t, "vendor")
	fp, err := testMachine.Fingerprint(product)
	if err != nil {
		t.Fatal(err)
	}
	cfg := v.config()
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) {
		l.Bind = map[string]string{machine.BindingKey: fp, "cluster": "eu-1"}
	})))
	cfg.Binding = map[string]string{"cluster": "eu-1"}
	if lic := mustLoad(t, cfg); !lic.Allows("api:read") {
		t.Error("bound license refused on its machine")
	}

	// LICET_MACHINE_ID, read through Config.Getenv, moves the machine.
	cfg.Machine = nil
	cfg.Getenv = func(n string) string {
		if n == machine.IDEnv {
			return "k8s-cluster-7"
		}
		return ""
	}
	if _, err := sdk.Load(cfg); verify.CodeOf(err) != verify.CodeBindingMismatch {
		t.Errorf("other machine id: %v", err)
	}
	fp7, err := (&machine.Machine{Getenv: cfg.Getenv}).Fingerprint(product)
	if err != nil {
		t.Fatal(err)
	}
	// A fixed "host" value replaces the fingerprint.
	cfg.Binding = map[string]string{machine.BindingKey: fp, "cluster": "eu-1"}
	if _, err := sdk.Load(cfg); err != nil {
		t.Errorf("fixed host binding: %v", err)
	}
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.Bind = map[string]string{machine.BindingKey: fp7} })))
	cfg.Binding = nil
	if _, err := sdk.Load(cfg); err != nil {
		t.Errorf("license bound to LICET_MACHINE_ID: %v", err)
	}
}

func TestLoadFileHazards(t *testing.T) {
	v := newVendor(t, "vendor")
	tests := []struct {
		name  string
		setup func(path string)
		want  string
	}{
		{"directory", func(p string) { os.Mkdir(p, 0o700) }, "not a regular file"},
		{"over the token limit", func(p string) { write(t, p, make([]byte, token.MaxTokenSize+1)) }, "rejected (malformed): not a well-formed licet object: token: input of 16385 bytes exceeds the 16384-byte limit"},
		{"huge", func(p string) { write(t, p, make([]byte, 1<<20+1)) }, "larger than 1048576 bytes"},
		{"empty", func(p string) { write(t, p, nil) }, "rejected (malformed)"},
		{"binary garbage", func(p string) { write(t, p, []byte{0xd2, 0x84, 0xff, 0x00}) }, "rejected (malformed)"},
		{"grant, not a license", func(p string) {
			raw, err := token.SignRevocations(v.priv, &token.Revocations{Issuer: "acme", IssuedAt: t0, NextUpdate: t0.Add(time.Hour), Seq: 1})
			if err != nil {
				t.Fatal(err)
			}
			write(t, p, raw)
		}, "rejected (wrong_type)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := v.config()
			cfg.LicensePath = filepath.Join(t.TempDir(), "license.lic")
			tt.setup(cfg.LicensePath)
			_, lerr := loadErr[*sdk.LoadError](t, cfg)
			if !strings.Contains(lerr.Error(), tt.want) {
				t.Errorf("error %q lacks %q", lerr, tt.want)
			}
		})
	}
}

func TestLoadConfigErrors(t *testing.T) {
	v := newVendor(t, "vendor")
	tests := []struct {
		name  string
		mod   func(*sdk.Config)
		field string
	}{
		{"no product", func(c *sdk.Config) { c.Product = "" }, "Product"},
		{"no keys", func(c *sdk.Config) { c.TrustedKeys = nil }, "TrustedKeys"},
		{"not a key", func(c *sdk.Config) {
			c.TrustedKeys = []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
		}, "TrustedKeys"},
		{"private key block", func(c *sdk.Config) {
			c.TrustedKeys = []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
		}, "TrustedKeys"},
		{"same key twice", func(c *sdk.Config) { c.TrustedKeys = append(append([]byte{}, v.pubPEM...), v.pubPEM...) }, "TrustedKeys"},
		{"empty tier", func(c *sdk.Config) { c.Tiers = []string{"free", ""} }, "Tiers"},
		{"tier twice", func(c *sdk.Config) { c.Tiers = []string{"free", "pro", "free"} }, "Tiers"},
		{"bad version", func(c *sdk.Config) { c.ProductVersion = "three" }, "ProductVersion"},
		{"config dir name with a slash", func(c *sdk.Config) { c.ConfigDirName = "acme/widget" }, "ConfigDirName"},
		{"product id unfit as a directory name", func(c *sdk.Config) { c.ConfigDirName = ""; c.Product = ".." }, "ConfigDirName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := v.config()
			tt.mod(&cfg)
			lic, err := sdk.Load(cfg)
			var ce *sdk.ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.field {
				t.Fatalf("err = %v, want a ConfigError on %s", err, tt.field)
			}
			if lic != nil {
				t.Error("non-nil License with a configuration error")
			}
			if !strings.HasPrefix(err.Error(), "sdk: config: "+tt.field+": ") {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestLoadSeveralKeys(t *testing.T) {
	v := newVendor(t, "vendor")
	old := newVendor(t, "old vendor key")
	cfg := v.config()
	cfg.TrustedKeys = append(append([]byte("# rotated keys\n"), old.pubPEM...), v.pubPEM...)
	for _, k := range []*vendor{v, old} {
		write(t, cfg.LicensePath, k.mint(k.license(nil)))
		if _, err := sdk.Load(cfg); err != nil {
			t.Errorf("license of a trusted key refused: %v", err)
		}
	}
	ks, err := verify.NewKeySet(verify.Key{PublicKey: v.priv.Public().(ed25519.PublicKey), Issuer: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.TrustedKeys, cfg.KeySet = nil, ks
	write(t, cfg.LicensePath, old.mint(old.license(nil)))
	if _, err := sdk.Load(cfg); verify.CodeOf(err) != verify.CodeUnknownKey {
		t.Errorf("KeySet does not replace TrustedKeys: %v", err)
	}
}

func TestDefaultEnvVar(t *testing.T) {
	for in, want := range map[string]string{
		"widget-server": "WIDGET_SERVER_LICENSE",
		"Acme.App2":     "ACME_APP2_LICENSE",
		"x":             "X_LICENSE",
		"ünï":           "_N__LICENSE",
	} {
		if got := sdk.DefaultEnvVar(in); got != want {
			t.Errorf("DefaultEnvVar(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadLateInstall(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	lic, lerr := loadErr[*sdk.LoadError](t, cfg)
	if !lerr.NotFound() {
		t.Fatalf("NotFound false: %v", lerr)
	}
	write(t, cfg.LicensePath, v.mint(v.license(nil)))
	if err := lic.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if !lic.Allows("api:read") || lic.Err() != nil {
		t.Error("license installed after Load not in effect after Reload")
	}
}

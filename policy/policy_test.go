package policy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/policy"
)

const good = `
[products.acme-db]
name = "Acme DB"
[products.acme-cli]

[templates.pro]
products = ["acme-db", "acme-cli"]
scopes   = ["api:read", "reports:*"]
versions = ">= 2.0, < 4.0"
limits   = { seats = 25, nodes = 3 }
rights   = ["embed"]
meta     = { plan = "pro-2026" }
days     = 365
grace    = "30d"

[templates.trial]
products  = ["acme-db"]
tier      = "evaluation"
perpetual = true
`

func TestParse(t *testing.T) {
	p, err := policy.Parse([]byte(good), "licet.toml")
	if err != nil {
		t.Fatal(err)
	}
	pro, err := p.Template("pro")
	if err != nil {
		t.Fatal(err)
	}
	if pro.Tier != "pro" || pro.Days != 365 || pro.Grace != 30*24*time.Hour || pro.Versions != ">= 2.0, < 4.0" ||
		!slices.Equal(pro.Products, []string{"acme-db", "acme-cli"}) || pro.Limits["seats"] != 25 || pro.Meta["plan"] != "pro-2026" {
		t.Errorf("pro = %+v", pro)
	}
	if got := pro.LimitArgs(); !slices.Equal(got, []string{"nodes=3", "seats=25"}) {
		t.Errorf("LimitArgs = %q", got)
	}
	if got := pro.MetaArgs(); !slices.Equal(got, []string{"plan=pro-2026"}) {
		t.Errorf("MetaArgs = %q", got)
	}
	trial, _ := p.Template("trial")
	if trial.Tier != "evaluation" || !trial.Perpetual {
		t.Errorf("trial = %+v", trial)
	}
	if p.Products["acme-db"].Name != "Acme DB" {
		t.Errorf("products = %+v", p.Products)
	}
	if _, err := p.Template("gold"); err == nil || !strings.Contains(err.Error(), `no template "gold" (there are: pro, trial)`) {
		t.Errorf("unknown template: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"not toml", "[templates.pro\n", "licet.toml:"},
		{"unknown key", "[templates.pro]\nproducts = [\"a\"]\nseats = 3\n", "unknown keys: templates.pro.seats"},
		{"unknown section", "[prices]\npro = 3\n", "unknown keys: prices"},
		{"no products", "[templates.pro]\ndays = 3\n", "template pro: products is required"},
		{"undeclared product", "[products.a]\n[templates.pro]\nproducts = [\"b\"]\n", `product "b" is not in [products]`},
		{"bad scope", "[templates.pro]\nproducts = [\"a\"]\nscopes = [\"api read\"]\n", `scope "api read" is not a scope`},
		{"bad versions", "[templates.pro]\nproducts = [\"a\"]\nversions = \"two\"\n", "is not a version constraint"},
		{"negative limit", "[templates.pro]\nproducts = [\"a\"]\nlimits = { seats = -1 }\n", "limit seats = -1"},
		{"days and perpetual", "[templates.pro]\nproducts = [\"a\"]\ndays = 3\nperpetual = true\n", "exclude each other"},
		{"bad days", "[templates.pro]\nproducts = [\"a\"]\ndays = -3\n", "days = -3"},
		{"bad grace", "[templates.pro]\nproducts = [\"a\"]\ngrace = \"soon\"\n", `grace "soon" is not a DURATION`},
		{"grace without expiry", "[templates.pro]\nproducts = [\"a\"]\nperpetual = true\ngrace = \"3d\"\n", "grace needs an expiry"},
		{"wrong type", "[templates.pro]\nproducts = \"a\"\n", "licet.toml:"},
		{"two problems at once", "[templates.a]\ndays = -1\n", "for; template a: days = -1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := policy.Parse([]byte(c.file), "licet.toml")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Parse: %v, want %q", err, c.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "licet.toml")
	if err := os.WriteFile(path, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := policy.Load(path); err != nil {
		t.Fatal(err)
	}
	if _, err := policy.Load(filepath.Join(dir, "missing.toml")); err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Errorf("Load of a missing file: %v", err)
	}
	big := filepath.Join(dir, "big.toml")
	os.WriteFile(big, []byte(strings.Repeat("# padding\n", 200000)), 0o644)
	if _, err := policy.Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Load of a huge file: %v", err)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "1d12h": 36 * time.Hour, "90m": 90 * time.Minute, "0d": 0} {
		if got, err := policy.ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "d", "-3h", "3 days", "99999999d"} {
		if _, err := policy.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", in)
		}
	}
}

func ExampleParse() {
	p, err := policy.Parse([]byte(`
[templates.pro]
products = ["acme-db"]
limits   = { seats = 25 }
days     = 365
`), "licet.toml")
	if err != nil {
		panic(err)
	}
	t, _ := p.Template("pro")
	fmt.Println(t.Tier, t.Products, t.Days, t.LimitArgs())
	// Output: pro [acme-db] 365 [seats=25]
}

func TestParseDurationBounds(t *testing.T) {
	for _, s := range []string{"36601d", "1000000d", "36600d1h", "99999999d", "9223372036d"} {
		if _, err := policy.ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q) accepted a duration over %d days", s, policy.MaxDurationDays)
		}
	}
	if d, err := policy.ParseDuration("36600d"); err != nil || d != policy.MaxDurationDays*24*time.Hour {
		t.Errorf("ParseDuration(36600d) = %v, %v", d, err)
	}
}

package vectors_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/vectors"
	"github.com/licet/licet/token"
)

const goodHeader = `# comment one
# comment two
expect: valid
now: 2026-06-01T12:00:00Z
product: acme-db
version: 2.1.0
scopes: api:read  reports:daily
bind: host=fp-1
bind: os=linux=x
key: 601e938da18c84b5c0bb4921a88ceb6f43d5bdcc755e48336525df3ed8903808 issuer=acme not_before=2025-01-01T00:00:00Z not_after=2027-01-01T00:00:00+01:00 revoked
key: 601e938da18c84b5c0bb4921a88ceb6f43d5bdcc755e48336525df3ed8903809
revocations: licet1.AAAA
leeway: 0
in_grace: true
build_date: 2026-02-15T00:00:00Z
fallback: true
`

func TestParse(t *testing.T) {
	v, err := vectors.Parse("x", []byte(goodHeader+"\n  licet1.abc  \n"))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"name", v.Name == "x"},
		{"comment", v.Comment == "comment one\ncomment two"},
		{"expect", v.Expect == vectors.ExpectValid && v.Stage == ""},
		{"now", v.Now.Equal(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)) && v.Now.Location() == time.UTC},
		{"product and version", v.Product == "acme-db" && v.Version == "2.1.0"},
		{"scopes", strings.Join(v.Scopes, ",") == "api:read,reports:daily"},
		{"bind", len(v.Bind) == 2 && v.Bind["host"] == "fp-1" && v.Bind["os"] == "linux=x"},
		{"keys", len(v.Keys) == 2 && len(v.Keys[0].Public) == 32 && v.Keys[0].Public[31] == 0x08 && v.Keys[1].Public[31] == 0x09},
		{"key attributes", v.Keys[0].Issuer == "acme" && v.Keys[0].Revoked &&
			v.Keys[0].NotBefore.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) &&
			v.Keys[0].NotAfter.Equal(time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC))},
		{"second key defaults", v.Keys[1].Issuer == "" && !v.Keys[1].Revoked && v.Keys[1].NotBefore.IsZero() && v.Keys[1].NotAfter.IsZero()},
		{"revocations", string(v.Revocations) == "licet1.AAAA"},
		{"leeway", v.Leeway == 0},
		{"in grace", v.InGrace},
		{"build date", v.BuildDate.Equal(time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC))},
		{"fallback", v.Fallback},
		{"token", v.Form == vectors.FormText && string(v.Token) == "licet1.abc"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: wrong: %+v", c.name, v)
		}
	}
}

func TestParseDefaults(t *testing.T) {
	v, err := vectors.Parse("d", []byte("expect: expired\nnow: 2026-06-01T12:00:00Z\nproduct: p\nkey: "+strings.Repeat("ab", 32)+"\n\nraw: d284\n"))
	if err != nil {
		t.Fatal(err)
	}
	if v.Leeway != vectors.DefaultLeeway || v.Version != "" || v.Scopes != nil || v.Bind != nil || v.Revocations != nil || v.InGrace ||
		!v.BuildDate.IsZero() || v.Fallback {
		t.Errorf("defaults not applied: %+v", v)
	}
	if v.Form != vectors.FormRaw || string(v.Token) != "\xd2\x84" {
		t.Errorf("raw token: %s %x", v.Form, v.Token)
	}
}

func TestParseForms(t *testing.T) {
	head := "expect: malformed\nstage: envelope\nnow: 2026-06-01T12:00:00Z\nproduct: p\nkey: " + strings.Repeat("ab", 32) + "\n\n"
	for _, tc := range []struct {
		name, body, form, token string
	}{
		{"text", "licet1.AAAA\n", vectors.FormText, "licet1.AAAA"},
		{"pem", "-----BEGIN LICET LICENSE-----\nA: b\n\n0oQ=\n-----END LICET LICENSE-----\n", vectors.FormPEM,
			"-----BEGIN LICET LICENSE-----\nA: b\n\n0oQ=\n-----END LICET LICENSE-----\n"},
		{"raw", "raw: 00ff\n", vectors.FormRaw, "\x00\xff"},
		{"empty raw", "raw:\n", vectors.FormRaw, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := vectors.Parse(tc.name, []byte(head+tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if v.Form != tc.form || string(v.Token) != tc.token || v.Stage != vectors.StageEnvelope {
				t.Errorf("got %s %q stage %q", v.Form, v.Token, v.Stage)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	key := "key: " + strings.Repeat("ab", 32) + "\n"
	base := "expect: valid\nnow: 2026-06-01T12:00:00Z\nproduct: p\n" + key
	for _, tc := range []struct{ name, in string }{
		{"no blank line", base + "licet1.AAAA\n"},
		{"no token", base + "\n\n"},
		{"unknown header", base + "color: red\n\nlicet1.AAAA\n"},
		{"header without colon", base + "expect valid\n\nlicet1.AAAA\n"},
		{"repeated header", base + "product: q\n\nlicet1.AAAA\n"},
		{"unknown code", strings.Replace(base, "valid", "sort_of_valid", 1) + "\nlicet1.AAAA\n"},
		{"missing expect", strings.Replace(base, "expect: valid\n", "", 1) + "\nlicet1.AAAA\n"},
		{"missing now", strings.Replace(base, "now: 2026-06-01T12:00:00Z\n", "", 1) + "\nlicet1.AAAA\n"},
		{"missing product", strings.Replace(base, "product: p\n", "", 1) + "\nlicet1.AAAA\n"},
		{"missing key", strings.Replace(base, key, "", 1) + "\nlicet1.AAAA\n"},
		{"bad time", strings.Replace(base, "2026-06-01T12:00:00Z", "June 1st", 1) + "\nlicet1.AAAA\n"},
		{"short key", base + "key: abcd\n\nlicet1.AAAA\n"},
		{"bad key attribute", base + "key: " + strings.Repeat("cd", 32) + " color=red\n\nlicet1.AAAA\n"},
		{"bad key flag", base + "key: " + strings.Repeat("cd", 32) + " expired\n\nlicet1.AAAA\n"},
		{"bad leeway", base + "leeway: 5m\n\nlicet1.AAAA\n"},
		{"negative leeway", base + "leeway: -1\n\nlicet1.AAAA\n"},
		{"bad in_grace", base + "in_grace: maybe\n\nlicet1.AAAA\n"},
		{"in_grace on a failing vector", strings.Replace(base, "valid", "expired", 1) + "in_grace: true\n\nlicet1.AAAA\n"},
		{"bad fallback", base + "fallback: perhaps\n\nlicet1.AAAA\n"},
		{"fallback on a failing vector", strings.Replace(base, "valid", "expired", 1) + "fallback: true\n\nlicet1.AAAA\n"},
		{"bad build_date", base + "build_date: 2026-02-15\n\nlicet1.AAAA\n"},
		{"bind without =", base + "bind: host\n\nlicet1.AAAA\n"},
		{"bind twice", base + "bind: host=a\nbind: host=b\n\nlicet1.AAAA\n"},
		{"stage on a valid vector", base + "stage: envelope\n\nlicet1.AAAA\n"},
		{"malformed without stage", strings.Replace(base, "valid", "malformed", 1) + "\nlicet1.AAAA\n"},
		{"unknown stage", strings.Replace(base, "valid", "malformed", 1) + "stage: signature\n\nlicet1.AAAA\n"},
		{"bad raw hex", base + "\nraw: zz\n"},
		{"text on two lines", base + "\nlicet1.AA\nAA\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if v, err := vectors.Parse(tc.name, []byte(tc.in)); err == nil {
				t.Errorf("accepted: %+v", v)
			} else if !strings.HasPrefix(err.Error(), "vectors: ") {
				t.Errorf("error without package prefix: %v", err)
			}
		})
	}
}

// TestCoverage checks the promise of the README: every code of FORMAT
// section 8 and every happy path has a vector, and malformed vectors exist
// at both stages.
func TestCoverage(t *testing.T) {
	vs, err := vectors.LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	expects, names, stages, forms := map[string]int{}, map[string]bool{}, map[string]int{}, map[string]int{}
	for _, v := range vs {
		expects[v.Expect]++
		names[v.Name] = true
		stages[v.Stage]++
		forms[v.Form]++
	}
	for _, c := range append([]string{vectors.ExpectValid}, vectors.Codes...) {
		if expects[c] == 0 {
			t.Errorf("no vector expects %s", c)
		}
	}
	for _, n := range []string{
		"valid-perpetual", "valid-in-grace", "valid-wildcard-area", "valid-wildcard-all",
		"valid-multi-product", "valid-branded-prefix", "valid-pem", "valid-raw",
		"valid-alg-ed25519", "valid-under-grant", "valid-site-lease", "valid-revocations-other",
		"malformed-trailing-bytes-raw", "malformed-duplicate-claim", "malformed-claims-indefinite-map",
		"malformed-envelope-indefinite-array", "malformed-unprotected-not-empty", "malformed-missing-iat",
		"malformed-bad-versions", "malformed-crit-unknown-claim",
	} {
		if !names[n] {
			t.Errorf("vector %s is missing", n)
		}
	}
	if stages[vectors.StageEnvelope] == 0 || stages[vectors.StageClaims] == 0 {
		t.Errorf("malformed stages: %v", stages)
	}
	if forms[vectors.FormText] == 0 || forms[vectors.FormPEM] == 0 || forms[vectors.FormRaw] == 0 {
		t.Errorf("forms: %v", forms)
	}
}

func TestKeysAndIDsAreFixed(t *testing.T) {
	// The README promises these derivations to other implementations.
	if got := fmt.Sprintf("%x", vectors.PublicKey(vectors.KeyVendor)); got != "601e938da18c84b5c0bb4921a88ceb6f43d5bdcc755e48336525df3ed8903808" {
		t.Errorf("vendor public key %s", got)
	}
	if len(vectors.ID("x")) != 16 || string(vectors.ID("x")) == string(vectors.ID("y")) {
		t.Error("ids are not 16 distinct bytes")
	}
}

func ExampleParse() {
	v, err := vectors.Parse("example", []byte(`# A license past its expiry, within its grace period.
expect: valid
now: 2026-06-01T12:00:00Z
product: acme-db
scopes: api:read
key: 601e938da18c84b5c0bb4921a88ceb6f43d5bdcc755e48336525df3ed8903808 issuer=acme
in_grace: true

licet1.0oRYLaMBJwRI
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Expect, v.Product, v.Scopes, v.Keys[0].Issuer, v.Leeway, v.InGrace, v.Form)
	// Output: valid acme-db [api:read] acme 5m0s true text
}

// TestREADMEDocumentsHeaders keeps testdata/vectors/README.md in step with
// Parse: every header name, key attribute, stage and code is documented.
func TestREADMEDocumentsHeaders(t *testing.T) {
	dir, err := vectors.Dir()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"expect", "stage", "now", "product", "version", "scopes", "bind", "key",
		"revocations", "leeway", "in_grace", "build_date", "fallback", "issuer=", "not_before=", "not_after=", "revoked",
		vectors.StageEnvelope, vectors.StageClaims, "raw:", "-----BEGIN "}
	for _, n := range append(names, vectors.Codes...) {
		if !strings.Contains(string(readme), "`"+n) {
			t.Errorf("README.md does not document `%s`", n)
		}
	}
}

// TestSmallOrderForgeriesVerify: the licenses of the small-order cnf
// vectors carry signatures that verify under the grant's cnf key with
// plain RFC 8032 verification (crypto/ed25519), so a verifier that skips
// the small-order check would accept them: only the check makes them
// grant_invalid.
func TestSmallOrderForgeriesVerify(t *testing.T) {
	order8 := "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa" // sign bit set
	for name, keyHex := range map[string]string{
		"grant-invalid-cnf-small-order":   "01" + strings.Repeat("00", 31),
		"grant-invalid-cnf-small-order-8": order8,
	} {
		vs, err := vectors.LoadAll()
		if err != nil {
			t.Fatal(err)
		}
		var v *vectors.Vector
		for _, x := range vs {
			if x.Name == name {
				v = x
			}
		}
		if v == nil {
			t.Fatalf("no vector %s", name)
		}
		key, _ := hex.DecodeString(keyHex)
		if !token.IsSmallOrder(key) {
			t.Fatalf("%s: the key is not of small order", name)
		}
		m, _, err := token.Decode(v.Token)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(m.Header.KID, token.KeyID(key)) || m.Header.Grant == nil || !bytes.Contains(m.Header.Grant.Payload, key) {
			t.Fatalf("%s: the license is not signed under a grant naming the small-order key", name)
		}
		if !ed25519.Verify(key, m.AppendToBeSigned(nil), m.Signature) {
			t.Fatalf("%s: the forged signature does not verify under the small-order key", name)
		}
	}
}

package license

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// sign returns a license for acme-db signed with the sandbox key, which
// vendor.pub holds, after change has adjusted it.
func sign(change func(*token.License)) []byte {
	l := &token.License{
		Issuer: "acme", Subject: "customer-42", Audience: []string{"acme-db"},
		IssuedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Expiry: time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC),
		ID: make([]byte, token.IDSize), Tier: "pro", Scopes: []string{"api:*"}, Versions: ">= 3.0, < 4.0",
	}
	if change != nil {
		change(l)
	}
	raw, err := token.SignLicense(keys.Sandbox().Signer(), l, nil)
	if err != nil {
		panic(err) // the test's own claims are wrong
	}
	return raw
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(*token.License)
		code   verify.Code // "" for valid
		msg    string
	}{
		{"valid", nil, "", ""},
		{"expired", func(l *token.License) { l.Expiry = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC) }, verify.CodeExpired, "please renew it"},
		{"another product", func(l *token.License) { l.Audience = []string{"acme-cli"} }, verify.CodeWrongProduct, "license rejected (wrong_product)"},
		{"version 3.2.0 not covered", func(l *token.License) { l.Versions = ">= 4.0" }, verify.CodeVersionNotCovered, "license rejected (version_not_covered)"},
		{"scope missing", func(l *token.License) { l.Scopes = []string{"reports:*"} }, verify.CodeScopeMissing, "license rejected (scope_missing)"},
		{"another issuer", func(l *token.License) { l.Issuer = "globex" }, verify.CodeWrongIssuer, "license rejected (wrong_issuer)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lic, err := Check(sign(tt.change))
			if tt.code == "" {
				if err != nil || lic.Claims.Subject != "customer-42" {
					t.Fatalf("Check = %v, %v", lic, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %q", err, tt.msg)
			}
			if tt.code != verify.CodeExpired && !errors.Is(err, &verify.Error{Code: tt.code}) {
				t.Errorf("err = %v, want code %s", err, tt.code)
			}
		})
	}
}

// TestREADMESnippet checks that the README's partner quickstart is this
// package's license.go, byte for byte, so the snippet always compiles.
func TestREADMESnippet(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("license.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```go\npackage license\n")
	if !ok {
		t.Fatal("README has no ```go block starting with package license")
	}
	snippet, _, ok := strings.Cut(rest, "```\n")
	if !ok {
		t.Fatal("the README's go block does not end")
	}
	if got := "package license\n" + snippet; got != string(src) {
		t.Errorf("README snippet and license.go differ:\n--- README\n%s\n--- license.go\n%s", got, src)
	}
}

func ExampleCheck() {
	lic, err := Check(sign(nil))
	fmt.Println(lic.Claims.Subject, lic.Claims.Tier, err)
	_, err = Check(sign(func(l *token.License) { l.Scopes = nil }))
	fmt.Println(verify.CodeOf(err))
	// Output:
	// customer-42 pro <nil>
	// scope_missing
}

package main

import (
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// detKey returns a deterministic key for tests.
func detKey(t *testing.T, issuer string, b byte) *keys.PrivateKey {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = b
	}
	return &keys.PrivateKey{Issuer: issuer, Key: ed25519.NewKeyFromSeed(seed)}
}

// rawSign builds a COSE_Sign1 by hand, with any protected header: what a
// hostile issuer could send, which token's Sign functions refuse to make.
func rawSign(t *testing.T, k *keys.PrivateKey, typ string, payload, embedded []byte) []byte {
	t.Helper()
	hdr := map[int]any{1: token.AlgEdDSA, 4: k.KeyID(), 16: typ}
	if embedded != nil {
		hdr[13] = cbor.RawMessage(embedded)
	}
	protected, err := token.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	tbs, err := token.Marshal([]any{"Signature1", protected, []byte{}, payload})
	if err != nil {
		t.Fatal(err)
	}
	sig := ed25519.Sign(k.Key, tbs)
	out, err := token.Marshal(cbor.Tag{Number: 18, Content: []any{protected, map[int]any{}, payload, sig}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestVerifyEscalations runs the CLI's verify on licenses a rogue partner
// could build by hand (licet mint refuses to make them): each is rejected
// with the right code, through the product's view: the vendor's public key
// and nothing else.
func TestVerifyEscalations(t *testing.T) {
	t.Chdir(t.TempDir())
	vendor := detKey(t, "acme", 1)
	partner := detKey(t, "globex", 2)
	other := detKey(t, "initech", 3)
	rogue := detKey(t, "umbrella", 4)
	if err := os.WriteFile("vendor.pub", vendor.Public().MarshalPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	id := func(b byte) []byte {
		x := make([]byte, token.IDSize)
		x[0] = b
		return x
	}
	grant := func(change func(*token.Grant)) *token.Grant {
		g := &token.Grant{
			Issuer: "acme", Subject: "globex", Audience: []string{"acme-db"},
			IssuedAt: now.Add(-time.Hour), Expiry: now.Add(365 * 24 * time.Hour), ID: id(1),
			Key: partner.Public().Key, Tiers: []string{"pro"}, Scopes: []string{"api:*"},
			Limits: map[string]uint64{"seats": 50}, Rights: []string{"embed"}, MaxLife: durationPtr(90 * 24 * time.Hour),
		}
		if change != nil {
			change(g)
		}
		return g
	}
	signGrant := func(k *keys.PrivateKey, g *token.Grant) []byte {
		raw, err := token.SignGrant(k.Signer(), g)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	license := func(change func(*token.License)) *token.License {
		l := &token.License{
			Issuer: "globex", Subject: "customer-9", Audience: []string{"acme-db"},
			IssuedAt: now.Add(-time.Minute), Expiry: now.Add(30 * 24 * time.Hour), ID: id(2),
			Tier: "pro", Scopes: []string{"api:read"}, Limits: map[string]uint64{"seats": 10},
		}
		if change != nil {
			change(l)
		}
		return l
	}
	mint := func(k *keys.PrivateKey, l *token.License, grantRaw []byte) []byte {
		raw, err := token.SignLicense(k.Signer(), l, grantRaw)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	goodGrant := signGrant(vendor, grant(nil))
	payload := func(l *token.License) []byte {
		p, err := l.MarshalClaims()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	grantPayload, err := grant(nil).MarshalClaims()
	if err != nil {
		t.Fatal(err)
	}
	nestedGrant := rawSign(t, vendor, token.TypeGrant, grantPayload, goodGrant)
	directLicense := mint(vendor, license(func(l *token.License) { l.Issuer = "acme" }), nil)

	tests := []struct {
		name  string
		tok   []byte
		extra []string
		code  verify.Code
		msg   string
	}{
		{"within the grant", mint(partner, license(nil), goodGrant), nil, "", "valid"},
		{"tier", mint(partner, license(func(l *token.License) { l.Tier = "enterprise" }), goodGrant), nil,
			verify.CodeGrantViolation, `tier "enterprise" is not in the grant`},
		{"scope", mint(partner, license(func(l *token.License) { l.Scopes = []string{"admin:write"} }), goodGrant), nil,
			verify.CodeGrantViolation, `scope "admin:write" is not covered`},
		{"limit above cap", mint(partner, license(func(l *token.License) { l.Limits["seats"] = 51 }), goodGrant), nil,
			verify.CodeGrantViolation, "seats=51 is above the grant's cap of 50"},
		{"missing capped limit", mint(partner, license(func(l *token.License) { l.Limits = nil }), goodGrant), nil,
			verify.CodeGrantViolation, `limit "seats" is capped at 50`},
		{"expiry beyond the grant", mint(partner, license(func(l *token.License) { l.Expiry = now.Add(400 * 24 * time.Hour) }), goodGrant), nil,
			verify.CodeGrantViolation, "after the grant's expiry"},
		{"life beyond max-life", mint(partner, license(func(l *token.License) { l.Expiry = now.Add(100 * 24 * time.Hour) }), goodGrant), nil,
			verify.CodeGrantViolation, "longer than the grant's max life"},
		{"wrong product", mint(partner, license(func(l *token.License) { l.Audience = []string{"acme-crm"} }), goodGrant), []string{"--product", "acme-crm"},
			verify.CodeGrantViolation, `product "acme-crm" is not in the grant`},
		{"right not passed on", mint(partner, license(func(l *token.License) { l.Rights = []string{"resell"} }), goodGrant), nil,
			verify.CodeGrantViolation, `right "resell" is not in the grant`},
		{"iss not the partner", mint(partner, license(func(l *token.License) { l.Issuer = "initech" }), goodGrant), nil,
			verify.CodeGrantViolation, `issuer "initech" is not the grant's partner "globex"`},
		{"signed by another partner's key", mint(other, license(nil), goodGrant), nil,
			verify.CodeGrantViolation, "not the partner key"},
		{"grant signed by an unknown key", mint(partner, license(nil), signGrant(rogue, grant(func(g *token.Grant) { g.Issuer = "umbrella" }))), nil,
			verify.CodeGrantInvalid, "grant signed by unknown key"},
		{"grant expired", mint(partner, license(nil), goodGrant), []string{"--at", now.Add(366 * 24 * time.Hour).Format(time.RFC3339)},
			verify.CodeGrantInvalid, "grant expired at"},
		{"grant not yet valid", mint(partner, license(nil), signGrant(vendor, grant(func(g *token.Grant) { g.NotBefore = now.Add(48 * time.Hour) }))), nil,
			verify.CodeGrantInvalid, "grant is not valid before"},
		{"grant nested in a grant", mint(partner, license(nil), nestedGrant), nil,
			verify.CodeGrantInvalid, "carries a grant itself"},
		{"grant presented as a license", goodGrant, nil,
			verify.CodeWrongType, "want a license"},
		{"license presented as a grant", rawSign(t, partner, token.TypeLicense, payload(license(nil)), directLicense), nil,
			verify.CodeGrantInvalid, "not a grant"},
		{"partner key signs directly", mint(partner, license(nil), nil), nil,
			verify.CodeUnknownKey, "unknown key"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "tok")
			if err := os.WriteFile(file, tt.tok, 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"verify", file, "--pub", "vendor.pub", "--json"}, tt.extra...)
			if len(tt.extra) == 0 || tt.extra[0] != "--product" {
				args = append(args, "--product", "acme-db")
			}
			a, stdout, stderr := testApp("")
			code := run(args, a)
			var out verdictJSON
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
				t.Fatalf("case %d: exit %d, stdout %q, stderr %q", i, code, stdout, stderr)
			}
			wantExit := exitRejected
			if tt.code == "" {
				wantExit = exitOK
			}
			if code != wantExit || out.Code != string(tt.code) || !strings.Contains(out.Message, tt.msg) {
				t.Errorf("exit %d, code %q, message %q; want exit %d, code %q, message with %q",
					code, out.Code, out.Message, wantExit, tt.code, tt.msg)
			}
		})
	}
}

// durationPtr returns a pointer to d, for optional ceilings.
func durationPtr(d time.Duration) *time.Duration { return &d }

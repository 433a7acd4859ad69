package machine_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/machine"
	"github.com/licet/licet/token"
)

func TestApply(t *testing.T) {
	fp := strings.Repeat("ab", 32)
	other := strings.Repeat("cd", 32)
	req := &machine.ActivationRequest{Version: 1, Product: "acme-db", Fingerprint: fp, Source: machine.SourceMachineID}
	tests := []struct {
		name         string
		aud          []string
		bind         map[string]string
		wantAud      []string
		wantBind     map[string]string
		wantAudience []string // ConflictError.Audience
		wantConflict string   // ConflictError.Bind
	}{
		{"no aud, no bind", nil, nil, []string{"acme-db"}, map[string]string{"host": fp}, nil, ""},
		{"aud names the product", []string{"acme-cli", "acme-db"}, nil, []string{"acme-cli", "acme-db"}, map[string]string{"host": fp}, nil, ""},
		{"other bindings kept", nil, map[string]string{"cluster": "eu-1"}, []string{"acme-db"}, map[string]string{"host": fp, "cluster": "eu-1"}, nil, ""},
		{"same host given", nil, map[string]string{"host": fp}, []string{"acme-db"}, map[string]string{"host": fp}, nil, ""},
		{"aud without the product", []string{"acme-cli"}, nil, []string{"acme-cli"}, nil, []string{"acme-cli"}, ""},
		{"another host", nil, map[string]string{"host": other}, nil, map[string]string{"host": other}, nil, other},
		{"both", []string{"x"}, map[string]string{"host": other, "k": "v"}, []string{"x"}, map[string]string{"host": other, "k": "v"}, []string{"x"}, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lic := &token.License{Audience: slices.Clone(tt.aud), Bind: maps.Clone(tt.bind)}
			err := req.Apply(lic)
			var ce *machine.ConflictError
			if tt.wantAudience != nil || tt.wantConflict != "" {
				if !errors.As(err, &ce) {
					t.Fatalf("Apply = %v, want a *ConflictError", err)
				}
				if !slices.Equal(ce.Audience, tt.wantAudience) || ce.Bind != tt.wantConflict ||
					ce.Product != "acme-db" || ce.Fingerprint != fp {
					t.Errorf("conflict %+v", ce)
				}
				if !strings.HasPrefix(err.Error(), "machine: the license conflicts with the activation request: ") {
					t.Errorf("message %q", err)
				}
			} else if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			// On a conflict the license is left as it was.
			if !slices.Equal(lic.Audience, tt.wantAud) || !maps.Equal(lic.Bind, tt.wantBind) {
				t.Errorf("license aud %q bind %v, want %q %v", lic.Audience, lic.Bind, tt.wantAud, tt.wantBind)
			}
		})
	}
	bad := *req
	bad.Fingerprint = "XY"
	lic := &token.License{}
	if err := bad.Apply(lic); err == nil || !strings.Contains(err.Error(), "64 lowercase hex") || lic.Bind != nil || lic.Audience != nil {
		t.Errorf("invalid request applied: %v, %+v", err, lic)
	}
}

// TestApplyVerifies: a license bound by Apply validates as a token
// license, and its host entry is the machine's fingerprint.
func TestApplyVerifies(t *testing.T) {
	m := fakeMachine("", map[string]string{"/etc/machine-id": "0123\n"}, "h")
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	req, err := m.ActivationRequest(product, now)
	if err != nil {
		t.Fatal(err)
	}
	lic := &token.License{Issuer: "acme", Subject: "c", Tier: "pro", IssuedAt: now, Expiry: now.Add(time.Hour), ID: make([]byte, token.IDSize)}
	if err := req.Apply(lic); err != nil {
		t.Fatal(err)
	}
	if err := lic.Validate(); err != nil {
		t.Fatal(err)
	}
	fp, _ := m.Fingerprint(product)
	if lic.Bind[machine.BindingKey] != fp || !slices.Equal(lic.Audience, []string{product}) {
		t.Errorf("bound license %+v", lic)
	}
}

package token_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/licet/licet/token"
)

func siteGrant() *token.Grant {
	return &token.Grant{
		Issuer: "acme", Subject: "site-hq", Audience: []string{"widget"},
		IssuedAt: t0, Expiry: t0.Add(365 * 24 * time.Hour), ID: bytes.Repeat([]byte{7}, 16),
		Key: testKey("site").Public().(ed25519.PublicKey), Tiers: []string{"pro"}, Scopes: []string{},
		Site: &token.Site{Seats: 25, Lease: time.Hour, Borrow: 7 * 24 * time.Hour, Borrows: 3},
	}
}

func TestSiteGrantRoundTrip(t *testing.T) {
	for _, site := range []*token.Site{
		{Seats: 25, Lease: time.Hour, Borrow: 7 * 24 * time.Hour, Borrows: 3},
		{Seats: 1, Lease: time.Second},
	} {
		g := siteGrant()
		g.Site = site
		payload, err := g.MarshalClaims()
		if err != nil {
			t.Fatal(err)
		}
		got, err := token.DecodeGrant(payload)
		if err != nil {
			t.Fatalf("DecodeGrant: %v", err)
		}
		if got.Site == nil || *got.Site != *site {
			t.Fatalf("site %+v, want %+v", got.Site, site)
		}
	}
	g := siteGrant()
	g.Site = nil
	payload, _ := g.MarshalClaims()
	if bytes.Contains(payload, []byte("\x64site")) {
		t.Fatal("a grant without a site claim encodes one")
	}
	if got, _ := token.DecodeGrant(payload); got.Site != nil {
		t.Fatal("a grant without a site claim decodes with one")
	}
}

func TestSiteMaxLease(t *testing.T) {
	for _, c := range []struct {
		site   token.Site
		max    time.Duration
		borrow bool
	}{
		{token.Site{Seats: 1, Lease: time.Hour}, time.Hour, false},
		{token.Site{Seats: 1, Lease: time.Hour, Borrow: 48 * time.Hour, Borrows: 1}, 48 * time.Hour, true},
		{token.Site{Seats: 1, Lease: time.Hour, Borrow: 48 * time.Hour}, time.Hour, false}, // no borrows: no borrowing
	} {
		if got := c.site.MaxLease(); got != c.max || c.site.CanBorrow() != c.borrow {
			t.Errorf("%+v: MaxLease %s CanBorrow %v, want %s %v", c.site, got, c.site.CanBorrow(), c.max, c.borrow)
		}
	}
}

// TestSiteClaimStrict decodes hand-made "site" claims: only the four members,
// seats and lease present and not zero, unsigned integers only.
func TestSiteClaimStrict(t *testing.T) {
	g := siteGrant()
	g.Site = nil
	base, err := g.MarshalClaims()
	if err != nil {
		t.Fatal(err)
	}
	var claims map[any]any
	if err := cbor.Unmarshal(base, &claims); err != nil {
		t.Fatal(err)
	}
	enc, _ := cbor.CoreDetEncOptions().EncMode()
	for name, c := range map[string]struct {
		site any
		want string // "" = accepted
	}{
		"minimal":            {map[string]any{"seats": 1, "lease": 60}, ""},
		"all four":           {map[string]any{"seats": 5, "lease": 60, "borrow": 600, "borrows": 2}, ""},
		"unknown member":     {map[string]any{"seats": 5, "lease": 60, "queue": 1}, "members other than"},
		"seats zero":         {map[string]any{"seats": 0, "lease": 60}, "seats missing or 0"},
		"seats missing":      {map[string]any{"lease": 60}, "seats missing or 0"},
		"lease zero":         {map[string]any{"seats": 1, "lease": 0}, "lease missing or 0"},
		"lease negative":     {map[string]any{"seats": 1, "lease": -60}, "grant claims"},
		"seats text":         {map[string]any{"seats": "5", "lease": 60}, "grant claims"},
		"not a map":          {[]any{5, 60}, "grant claims"},
		"integer member":     {map[any]any{"seats": 5, "lease": 60, 1: 1}, "members other than"},
		"lease too long":     {map[string]any{"seats": 1, "lease": uint64(1) << 62}, "too long"},
		"borrows text":       {map[string]any{"seats": 1, "lease": 60, "borrows": "x"}, "grant claims"},
		"empty map":          {map[string]any{}, "seats missing or 0"},
		"borrow only (zero)": {map[string]any{"seats": 1, "lease": 60, "borrow": 0}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			m := map[any]any{}
			for k, v := range claims {
				m[k] = v
			}
			m["site"] = c.site
			payload, err := enc.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			_, err = token.DecodeGrant(payload)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && err == nil:
				t.Fatal("accepted")
			case c.want != "" && (!errors.Is(err, token.ErrMalformed) || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want ErrMalformed containing %q", err, c.want)
			}
		})
	}
}

func TestSiteGrantValidate(t *testing.T) {
	for name, c := range map[string]struct {
		site token.Site
		want string
	}{
		"no seats":         {token.Site{Lease: time.Hour}, "at least one seat"},
		"no lease":         {token.Site{Seats: 1}, "longest lease"},
		"fractional lease": {token.Site{Seats: 1, Lease: 1500 * time.Millisecond}, "longest lease"},
		"borrow no count":  {token.Site{Seats: 1, Lease: time.Hour, Borrow: time.Hour}, "borrowing needs both"},
		"count no borrow":  {token.Site{Seats: 1, Lease: time.Hour, Borrows: 1}, "borrowing needs both"},
		"borrows > seats":  {token.Site{Seats: 2, Lease: time.Hour, Borrow: time.Hour, Borrows: 3}, "more than the site's 2 seats"},
		"negative borrow":  {token.Site{Seats: 1, Lease: time.Hour, Borrow: -time.Hour, Borrows: 1}, "longest borrow"},
	} {
		g := siteGrant()
		g.Site = &c.site
		_, err := token.SignGrant(testKey("vendor"), g)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
	}
}

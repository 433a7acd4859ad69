package issue_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// TestLicenseRetry: an order issued again with the same terms returns the
// recorded license without unlocking the key, even a day later with a
// relative term; other terms are a ConflictError listing each difference.
func TestLicenseRetry(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			l := openLedger(t, b.open(t))
			k := testKey(t, "acme")
			dir := t.TempDir()
			unlocks := 0
			is := newIssuer(k, l, &unlocks)
			terms := func(now time.Time) *token.License {
				return &token.License{Subject: "customer-42", Audience: []string{"acme-db"}, Tier: "pro",
					Limits: map[string]uint64{"seats": 25}, Expiry: now.Add(365 * 24 * time.Hour)}
			}
			req := func(now time.Time, file string) *issue.LicenseRequest {
				return &issue.LicenseRequest{License: terms(now), Order: "PO-1187", Out: rawOut(file),
					AskedAt: func(at time.Time) (*token.License, error) { return terms(at), nil }}
			}
			first, err := is.License(ctx, req(t0, filepath.Join(dir, "a.lic")))
			if err != nil || first.Existing || unlocks != 1 {
				t.Fatalf("first: %v existing %v unlocks %d", err, first != nil && first.Existing, unlocks)
			}

			// A day later, the same terms (365 days from now): the recorded license.
			later := t0.Add(24 * time.Hour)
			is2 := newIssuer(k, l, &unlocks)
			is2.Now = func() time.Time { return later }
			again, err := is2.License(ctx, req(later, filepath.Join(dir, "b.lic")))
			if err != nil {
				t.Fatal(err)
			}
			if !again.Existing || again.Entry.ID != first.Entry.ID || unlocks != 1 {
				t.Errorf("retry: existing %v id %s (first %s), unlocks %d", again.Existing, again.Entry.ID, first.Entry.ID, unlocks)
			}
			if data, err := os.ReadFile(filepath.Join(dir, "b.lic")); err != nil || string(data) != string(first.Entry.Raw) {
				t.Errorf("the retry did not write the recorded license where asked: %v", err)
			}

			// Other terms: a conflict, the differences listed, nothing signed.
			other := req(later, filepath.Join(dir, "c.lic"))
			other.AskedAt = func(at time.Time) (*token.License, error) {
				l := terms(at)
				l.Tier, l.Limits = "team", map[string]uint64{"seats": 50, "nodes": 2}
				return l, nil
			}
			_, err = is2.License(ctx, other)
			var ce *issue.ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("other terms: %v", err)
			}
			want := []string{"tier: pro vs team", "limit nodes: (none) vs 2", "limit seats: 25 vs 50"}
			if !slices.Equal(ce.Differences, want) || ce.Existing.ID != first.Entry.ID {
				t.Errorf("differences %q, want %q", ce.Differences, want)
			}
			if _, err := os.Stat(filepath.Join(dir, "c.lic")); err == nil || unlocks != 1 {
				t.Errorf("a conflicting order wrote a file or unlocked the key (%d)", unlocks)
			}
			if list, _ := l.List(ctx, ledger.Filter{}); len(list) != 1 {
				t.Errorf("%d entries, want 1", len(list))
			}
		})
	}
}

// TestRotation: after a rotation grant is recorded, the new key's
// licenses carry it while it is current, and revocation lists go to the
// previous key, whose file the workspace names.
func TestRotation(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLedger(t, filepath.Join(dir, "licet.db"))
	oldKey, newKey := testKey(t, "acme"), testKey(t, "acme2")
	newKey.Issuer = "acme"
	old := newIssuer(oldKey, l, nil)
	fresh := newIssuer(newKey, l, nil)

	if rot, err := fresh.Rotation(ctx); err != nil || rot != nil {
		t.Fatalf("a rotation before any grant: %v %v", rot, err)
	}
	s, err := issue.RevocationSigner(ctx, l, nil, "acme", newKey.Public().Key, t0)
	if err != nil || s.Rotated || s.KID != hexKID(newKey.Public().Key) {
		t.Fatalf("list signer without a rotation: %+v %v", s, err)
	}

	g := &token.Grant{Subject: "acme", Key: newKey.Public().Key, Audience: []string{"acme-db"}, Tiers: []string{"*"},
		Scopes: []string{"*"}, Expiry: t0.Add(100 * 24 * time.Hour)}
	gr, err := old.Grant(ctx, g, rawOut(filepath.Join(dir, "rotation.grant")))
	if err != nil {
		t.Fatal(err)
	}
	r, err := fresh.License(ctx, &issue.LicenseRequest{License: &token.License{Subject: "c", Audience: []string{"acme-db"}, Tier: "pro",
		Expiry: t0.Add(30 * 24 * time.Hour)}, Out: rawOut(filepath.Join(dir, "c.lic"))})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Rotation || r.Entry.GrantID != gr.Entry.ID {
		t.Errorf("the license does not carry the rotation grant: rotation %v grant %q", r.Rotation, r.Entry.GrantID)
	}
	// Outside the grant (perpetual): refused, naming the rotation grant.
	_, err = fresh.License(ctx, &issue.LicenseRequest{License: &token.License{Subject: "p", Audience: []string{"acme-db"}, Tier: "pro"},
		Out: rawOut(filepath.Join(dir, "p.lic"))})
	var ge *issue.GrantViolationError
	if !errors.As(err, &ge) || !ge.Rotation {
		t.Errorf("a perpetual license under the rotation: %v", err)
	}

	ws, _ := issue.LoadWorkspace(dir)
	ws.Put(hexKID(oldKey.Public().Key), "acme", filepath.Join(dir, "acme.key"))
	if err := ws.Save(); err != nil {
		t.Fatal(err)
	}
	ws, err = issue.LoadWorkspace(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err = issue.RevocationSigner(ctx, l, ws, "acme", newKey.Public().Key, t0)
	if err != nil || !s.Rotated || s.KID != hexKID(oldKey.Public().Key) || !s.PublicKey.Equal(oldKey.Public().Key) ||
		s.File != filepath.Join(dir, "acme.key") {
		t.Errorf("list signer during the rotation: %+v %v", s, err)
	}

	// After the rotation's end: nothing attached, the new key signs lists.
	fresh.Now = func() time.Time { return t0.Add(101 * 24 * time.Hour) }
	r, err = fresh.License(ctx, &issue.LicenseRequest{License: &token.License{Subject: "d", Audience: []string{"acme-db"}, Tier: "pro",
		Expiry: t0.Add(300 * 24 * time.Hour)}, Out: rawOut(filepath.Join(dir, "d.lic"))})
	if err != nil || r.Rotation || r.Entry.GrantID != "" {
		t.Errorf("after the rotation: %v, grant %q", err, r.Entry.GrantID)
	}
	if s, _ := issue.RevocationSigner(ctx, l, ws, "acme", newKey.Public().Key, t0.Add(101*24*time.Hour)); s.Rotated {
		t.Error("the previous key still signs lists after the rotation")
	}
}

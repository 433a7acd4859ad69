package issue_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/token"
)

// eventLog returns the stored events as "type subject", oldest first.
func eventLog(t *testing.T, l *ledger.Ledger) []string {
	t.Helper()
	evs, err := l.Outbox().Events(context.Background(), outbox.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type+" "+ev.Subject)
	}
	return out
}

// TestIssuingEmitsEvents: mint emits license.issued, renew
// license.renewed, grant grant.issued, batch license.issued per new
// order, revoke license.revoked (grant.revoked) per id newly on the list;
// a retried order emits nothing.
func TestIssuingEmitsEvents(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			l := openLedger(t, b.open(t))
			vendor, partner := testKey(t, "acme"), testKey(t, "globex")
			is := newIssuer(vendor, l, nil)
			var want []string
			check := func(step string) {
				t.Helper()
				// Batch records in the order its workers sign: compare as sets.
				if got := eventLog(t, l); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
					t.Fatalf("after %s: events\n%q\nwant\n%q", step, got, want)
				}
			}
			lic := func(sub string) *token.License {
				return &token.License{Subject: sub, Audience: []string{"acme-db"}, Tier: "pro", Expiry: t0.Add(30 * 24 * time.Hour)}
			}
			a, err := is.License(ctx, &issue.LicenseRequest{License: lic("a"), Order: "PO-1", Out: rawOut(filepath.Join(dir, "a"))})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, "license.issued "+a.Entry.ID)
			check("mint")
			if _, err := is.License(ctx, &issue.LicenseRequest{License: lic("a"), Order: "PO-1", Out: rawOut(filepath.Join(dir, "a2"))}); err != nil {
				t.Fatal(err)
			}
			check("a retried order")

			r, err := is.Renew(ctx, &issue.RenewRequest{Old: a.Entry, Expiry: t0.Add(400 * 24 * time.Hour), Out: rawOut(filepath.Join(dir, "r"))})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, "license.renewed "+r.Entry.ID)
			check("renew")
			evs, _ := l.Outbox().Events(ctx, outbox.EventFilter{Type: outbox.EventLicenseRenewed})
			var d outbox.EntryData
			if err := json.Unmarshal(evs[0].Data, &d); err != nil || d.RenewedFrom != a.Entry.ID || d.Subject != "a" {
				t.Fatalf("renewed data %s (%v)", evs[0].Data, err)
			}

			g, err := is.Grant(ctx, &token.Grant{Subject: partner.Issuer, Audience: []string{"acme-db"}, Tiers: []string{"pro"}, Scopes: []string{},
				Expiry: t0.Add(365 * 24 * time.Hour), Key: partner.Public().Key}, rawOut(filepath.Join(dir, "g")))
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, "grant.issued "+g.Entry.ID)
			check("grant")

			var jobs []*issue.BatchJob
			for i := range 3 {
				jobs = append(jobs, &issue.BatchJob{Order: fmt.Sprintf("B-%d", i), License: lic(fmt.Sprintf("b%d", i)), File: filepath.Join(dir, fmt.Sprintf("b%d", i))})
			}
			outs, err := is.Batch(ctx, jobs, issue.BatchConfig{Encode: func(e *ledger.Entry) ([]byte, error) { return e.Raw, nil }})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range outs {
				want = append(want, "license.issued "+o.Entry.ID)
			}
			check("batch")
			if _, err := is.Batch(ctx, jobs, issue.BatchConfig{Encode: func(e *ledger.Entry) ([]byte, error) { return e.Raw, nil }}); err != nil {
				t.Fatal(err)
			}
			check("a batch run again")

			revoke := func(ids ...string) {
				t.Helper()
				var es []issue.ListEntry
				for _, id := range ids {
					b, _ := hex.DecodeString(id)
					es = append(es, issue.ListEntry{ID: b})
				}
				if _, err := is.Revoke(ctx, &issue.RevokeRequest{Revoke: es, NextUpdate: t0.Add(24 * time.Hour), Out: rawOut(filepath.Join(dir, "list")), Replacing: nil}); err != nil {
					t.Fatal(err)
				}
			}
			revoke(a.Entry.ID)
			want = append(want, "license.revoked "+a.Entry.ID)
			check("revoke")
			revokeReplace := func(ids ...string) {
				t.Helper()
				var es []issue.ListEntry
				for _, id := range ids {
					b, _ := hex.DecodeString(id)
					es = append(es, issue.ListEntry{ID: b})
				}
				if _, err := is.Revoke(ctx, &issue.RevokeRequest{Revoke: es, NextUpdate: t0.Add(24 * time.Hour), Out: issue.Out{File: filepath.Join(dir, "list"), Replace: true,
					Encode: func(e *ledger.Entry) ([]byte, error) { return e.Raw, nil }}}); err != nil {
					t.Fatal(err)
				}
			}
			revokeReplace(outs[0].Entry.ID, g.Entry.ID)
			want = append(want, "license.revoked "+outs[0].Entry.ID, "grant.revoked "+g.Entry.ID)
			check("a second revoke (the first id is not announced again)")
			evs, _ = l.Outbox().Events(ctx, outbox.EventFilter{Type: outbox.EventGrantRevoked})
			if err := json.Unmarshal(evs[0].Data, &d); err != nil || d.RevocationSeq != 2 || d.RevocationList == "" || d.Kind != string(ledger.KindGrant) {
				t.Fatalf("grant.revoked data %s (%v)", evs[0].Data, err)
			}
		})
	}
}

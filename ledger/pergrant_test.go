package ledger_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/sqldb"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// licenseWithID signs a license with k under grant, carrying the given id.
func licenseWithID(t testing.TB, k *keys.PrivateKey, sub string, id []byte, grant []byte) []byte {
	t.Helper()
	l := &token.License{Issuer: k.Issuer, Subject: sub, Audience: []string{"acme-db"}, Tier: "pro", IssuedAt: t0,
		Expiry: t0.Add(24 * time.Hour), ID: id}
	raw, err := token.SignLicense(k.Signer(), l, grant)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestIDsPerGrant: a partner's license may carry the id of another
// partner's license, or of one of the vendor's entries; only the same id
// under the same grant is a duplicate.
func TestIDsPerGrant(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			l := openLedger(t, b.open(t))
			vendor, a, bk := testKey(t, "acme"), testKey(t, "globex"), testKey(t, "initech")
			ga, gb := mintGrant(t, vendor, a), mintGrant(t, vendor, bk)
			mustAppend(t, l, vendor, ledger.Record{Raw: ga, PublicKey: vendor.Public().Key}, ledger.Record{Raw: gb})
			id, _ := token.NewID(nil)
			fromA := licenseWithID(t, a, "a-customer", id, ga)
			fromB := licenseWithID(t, bk, "b-customer", id, gb)
			// A takes B's id first: B's own license still goes in.
			mustAppend(t, l, a, ledger.Record{Raw: fromA, PublicKey: a.Public().Key})
			mustAppend(t, l, bk, ledger.Record{Raw: fromB, PublicKey: bk.Public().Key})
			for _, c := range []struct {
				grant, sub string
			}{{idOf(t, ga), "a-customer"}, {idOf(t, gb), "b-customer"}} {
				if e, err := l.GetUnder(ctx, strings.ToUpper(c.grant), idOf(t, fromA)); err != nil || e.Subject != c.sub {
					t.Errorf("GetUnder(%s) = %+v, %v; want %s", c.grant, e, err, c.sub)
				}
			}
			// A license of A carrying the id of B's grant does not hide
			// the grant.
			hijack := licenseWithID(t, a, "a-hijack", hexBytes(t, idOf(t, gb)), ga)
			mustAppend(t, l, a, ledger.Record{Raw: hijack})
			if e, err := l.GetUnder(ctx, "", idOf(t, gb)); err != nil || e.Kind != ledger.KindGrant {
				t.Errorf("GetUnder of B's grant = %+v, %v", e, err)
			}
			if _, err := l.GetUnder(ctx, idOf(t, gb), idOf(t, ga)); !errors.Is(err, ledger.ErrNotFound) {
				t.Errorf("GetUnder of an id not under that grant: %v, want ErrNotFound", err)
			}
			// The same id under the same grant is a duplicate, also within
			// one append.
			again := licenseWithID(t, a, "a-other", id, ga)
			var de *ledger.DuplicateError
			if _, err := l.Append(ctx, signerOf(t, a), ledger.Record{Raw: again}); !errors.As(err, &de) || de.Field != "id" || de.Existing == nil || de.Existing.Subject != "a-customer" {
				t.Errorf("the same id under the same grant: %v", err)
			}
			id2, _ := token.NewID(nil)
			if _, err := l.Append(ctx, signerOf(t, a), ledger.Record{Raw: licenseWithID(t, a, "x", id2, ga)}, ledger.Record{Raw: licenseWithID(t, a, "y", id2, ga)}); !errors.As(err, &de) {
				t.Errorf("the same id under one grant twice in one append: %v", err)
			}
			// Under two grants (of one partner key) in one append: both go in.
			ga2 := mintGrant(t, vendor, a)
			mustAppend(t, l, vendor, ledger.Record{Raw: ga2})
			id3, _ := token.NewID(nil)
			mustAppend(t, l, a, ledger.Record{Raw: licenseWithID(t, a, "x", id3, ga)}, ledger.Record{Raw: licenseWithID(t, a, "y", id3, ga2)})
			// The vendor's own namespace: a license without a grant cannot
			// take the id of the vendor's grant.
			if _, err := l.Append(ctx, signerOf(t, vendor), ledger.Record{Raw: licenseWithID(t, vendor, "v", hexBytes(t, idOf(t, ga)), nil)}); !errors.As(err, &de) {
				t.Errorf("a vendor license with the id of a vendor grant: %v", err)
			}
			if r, err := l.Verify(ctx); err != nil || !r.OK() {
				t.Errorf("Verify: %+v, %v", r, err)
			}
		})
	}
}

// TestMigrateIDsPerGrant: a ledger made before ids were unique per grant
// (one unique index on id) accepts the same id under two grants once
// opened again.
func TestMigrateIDsPerGrant(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			location := b.open(t)
			vendor, a, bk := testKey(t, "acme"), testKey(t, "globex"), testKey(t, "initech")
			ga, gb := mintGrant(t, vendor, a), mintGrant(t, vendor, bk)
			id, _ := token.NewID(nil)
			l := openLedger(t, location)
			mustAppend(t, l, vendor, ledger.Record{Raw: ga}, ledger.Record{Raw: gb})
			mustAppend(t, l, a, ledger.Record{Raw: licenseWithID(t, a, "a", id, ga)})
			l.Close()

			// Make it the old schema: the unique index on id alone.
			driver, dsn := "sqlite", location
			if sqldb.IsURL(location) {
				driver = "pgx"
			}
			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range []string{"DROP INDEX IF EXISTS entries_id_grant", "CREATE UNIQUE INDEX IF NOT EXISTS entries_id ON entries (id)"} {
				if _, err := db.Exec(stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			db.Close()

			l = openLedger(t, location)
			mustAppend(t, l, bk, ledger.Record{Raw: licenseWithID(t, bk, "b", id, gb)})
			var de *ledger.DuplicateError
			if _, err := l.Append(ctx, signerOf(t, a), ledger.Record{Raw: licenseWithID(t, a, "a2", id, ga)}); !errors.As(err, &de) {
				t.Errorf("the same id under the same grant after the migration: %v", err)
			}
		})
	}
}

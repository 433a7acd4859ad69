package issue_test

import (
	"crypto"
	"encoding/hex"
	"testing"
	"time"

	"github.com/licet/licet/internal/ledgertest"
	"github.com/licet/licet/internal/pgtest"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// backend opens a fresh, empty ledger.
type backend struct {
	name string
	open func(t testing.TB) (location string)
}

// backends returns SQLite and, when LICET_TEST_POSTGRES names a server,
// PostgreSQL (skipped without it, failing under CI=true).
func backends() []backend {
	return []backend{
		{"sqlite", ledgertest.SQLiteLocation},
		{"postgres", func(t testing.TB) string { return pgtest.Location(t, "licet_issue_test") }},
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newIssuer returns an Issuer of k on l at t0, writing files with
// keys.WriteFile and counting unlocks.
func newIssuer(k *keys.PrivateKey, l *ledger.Ledger, unlocks *int) *issue.Issuer {
	return &issue.Issuer{
		Name: k.Issuer, PublicKey: k.Public().Key, Ledger: l,
		Unlock: func() (crypto.Signer, error) {
			if unlocks != nil {
				*unlocks++
			}
			return k.Signer(), nil
		},
		Now:   func() time.Time { return t0 },
		Write: func(file string, data []byte, replace bool) error { return keys.WriteFile(file, data, 0o644, replace) },
	}
}

// rawOut encodes an entry as its raw bytes.
func rawOut(file string) issue.Out {
	return issue.Out{File: file, Encode: func(e *ledger.Entry) ([]byte, error) { return e.Raw, nil }}
}

// mintGrant signs a grant from vendor to partner.
func mintGrant(t testing.TB, vendor, partner *keys.PrivateKey) []byte {
	t.Helper()
	id, _ := token.NewID(nil)
	g := &token.Grant{
		Issuer: vendor.Issuer, Subject: partner.Issuer, Audience: []string{"acme-db"}, Tiers: []string{"pro"},
		Scopes: []string{}, IssuedAt: t0, Expiry: t0.Add(730 * 24 * time.Hour), ID: id, Key: partner.Public().Key,
	}
	raw, err := token.SignGrant(vendor.Signer(), g)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// mintLicense signs a license with k at t0 (perpetual when days is 0).
func mintLicense(t testing.TB, k *keys.PrivateKey, sub string, days int, grant []byte) []byte {
	t.Helper()
	id, _ := token.NewID(nil)
	l := &token.License{Issuer: k.Issuer, Subject: sub, Audience: []string{"acme-db"}, Tier: "pro", IssuedAt: t0, ID: id}
	if days > 0 {
		l.Expiry = t0.Add(time.Duration(days) * 24 * time.Hour)
	}
	raw, err := token.SignLicense(k.Signer(), l, grant)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func hexKID(pub []byte) string { return hex.EncodeToString(token.KeyID(pub)) }

// testKey returns a deterministic key for issuer (name varies the seed).
func testKey(t testing.TB, issuer string) *keys.PrivateKey {
	t.Helper()
	return ledgertest.Key(t, "issue test ", issuer)
}

var openLedger = ledgertest.Open

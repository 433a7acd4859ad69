package ledger_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/licet/licet/internal/ledgertest"
	"github.com/licet/licet/internal/pgtest"
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
// PostgreSQL. Without it the PostgreSQL cases skip, except under CI=true,
// where they fail: CI cannot skip them silently.
func backends() []backend {
	return []backend{
		{"sqlite", ledgertest.SQLiteLocation},
		{"postgres", PostgresLocation},
	}
}

// PostgresLocation returns the URL of a fresh schema on the test server,
// dropped when the test ends.
func PostgresLocation(t testing.TB) string { return pgtest.Location(t, "licet_test") }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// licenseSpec is what a test license varies.
type licenseSpec struct {
	sub, tier string
	aud       []string
	days      int // 0: perpetual
}

// mintLicense signs a license with k (under grant, if not nil).
func mintLicense(t testing.TB, k *keys.PrivateKey, s licenseSpec, grant []byte) []byte {
	t.Helper()
	id, err := token.NewID(nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.aud == nil {
		s.aud = []string{"acme-db"}
	}
	l := &token.License{Issuer: k.Issuer, Subject: s.sub, Audience: s.aud, Tier: s.tier, IssuedAt: t0, ID: id}
	if s.days > 0 {
		l.Expiry = t0.Add(time.Duration(s.days) * 24 * time.Hour)
	}
	raw, err := token.SignLicense(k.Signer(), l, grant)
	if err != nil {
		t.Fatal(err)
	}
	return raw
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

// mintRevocations signs a revocation list.
func mintRevocations(t testing.TB, k *keys.PrivateKey, seq uint64, ids ...[]byte) []byte {
	t.Helper()
	raw, err := token.SignRevocations(k.Signer(), &token.Revocations{
		Issuer: k.Issuer, IssuedAt: t0, NextUpdate: t0.Add(30 * 24 * time.Hour), Seq: seq, IDs: ids,
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// mustAppend appends records signed by k.
func mustAppend(t testing.TB, l *ledger.Ledger, k *keys.PrivateKey, recs ...ledger.Record) []*ledger.Entry {
	t.Helper()
	es, err := l.Append(context.Background(), signerOf(t, k), recs...)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func itoa(i int) string { return strconv.Itoa(i) }

var _ = fmt.Sprint

func hexOf(b []byte) string { return hex.EncodeToString(b) }

func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exampleKey and exampleLicense serve the examples, which have no testing.T.
func exampleKey() *keys.PrivateKey { return testKey(&testing.T{}, "acme") }

func exampleLicense(k *keys.PrivateKey, sub string) []byte {
	return mintLicense(&testing.T{}, k, licenseSpec{sub: sub, tier: "pro", days: 365}, nil)
}

// testKey returns a deterministic key for issuer.
func testKey(t testing.TB, issuer string) *keys.PrivateKey {
	t.Helper()
	return ledgertest.Key(t, "ledger test ", issuer)
}

var (
	openLedger = ledgertest.Open
	idOf       = ledgertest.IDOf
	signerOf   = ledgertest.CheckpointSigner // the checkpoint signer of k's log
)

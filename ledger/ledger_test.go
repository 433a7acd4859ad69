package ledger_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/internal/sqldb"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite"
)

// TestConformance runs the same behaviour checks on every backend.
func TestConformance(t *testing.T) {
	cases := []struct {
		name string
		f    func(t *testing.T, location string)
	}{
		{"AppendGetList", testAppendGetList},
		{"Duplicates", testDuplicates},
		{"TreeHeadAndProofs", testTreeHeadAndProofs},
		{"VerifyDetectsTampering", testVerifyDetectsTampering},
		{"MarkWritten", testMarkWritten},
		{"ReopenKeepsEverything", testReopen},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.f(t, b.open(t)) })
			}
		})
	}
}

func testAppendGetList(t *testing.T, location string) {
	ctx := context.Background()
	l := openLedger(t, location)
	vendor, partner := testKey(t, "acme"), testKey(t, "globex")
	grant := mintGrant(t, vendor, partner)
	lic1 := mintLicense(t, vendor, licenseSpec{sub: "customer-1", tier: "pro", aud: []string{"acme-db", "acme-cli"}, days: 10}, nil)
	lic2 := mintLicense(t, vendor, licenseSpec{sub: "customer-2", tier: "team", days: 100}, nil)
	lic3 := mintLicense(t, vendor, licenseSpec{sub: "customer-3", tier: "pro"}, nil)
	plic := mintLicense(t, partner, licenseSpec{sub: "customer-9", tier: "pro", days: 20}, grant)
	rev := mintRevocations(t, vendor, 1, hexBytes(t, idOf(t, lic2)))

	es := mustAppend(t, l, vendor,
		ledger.Record{Raw: grant, PublicKey: vendor.Public().Key, Written: true, File: "globex.grant"},
		ledger.Record{Raw: lic1, OrderRef: "PO-1", Written: true},
		ledger.Record{Raw: lic2, OrderRef: "PO-2"},
		ledger.Record{Raw: lic3},
	)
	es = append(es, mustAppend(t, l, partner, ledger.Record{Raw: plic, PublicKey: partner.Public().Key, Written: true})...)
	es = append(es, mustAppend(t, l, vendor, ledger.Record{Raw: rev, Written: true})...)
	vkid, pkid := hexOf(token.KeyID(vendor.Public().Key)), hexOf(token.KeyID(partner.Public().Key))
	wantIdx := []struct {
		kid string
		idx int64
	}{{vkid, 0}, {vkid, 1}, {vkid, 2}, {vkid, 3}, {pkid, 0}, {vkid, 4}}
	for i, w := range wantIdx {
		if es[i].KID != w.kid || es[i].Index != w.idx {
			t.Errorf("entry %d at %s/%d, want %s/%d", i, es[i].KID, es[i].Index, w.kid, w.idx)
		}
	}

	e, err := l.Get(ctx, idOf(t, lic1))
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != ledger.KindLicense || e.Subject != "customer-1" || e.Tier != "pro" || strings.Join(e.Audience, ", ") != "acme-db, acme-cli" ||
		e.OrderRef != "PO-1" || !e.Written || !e.IssuedAt.Equal(t0) || !e.Expiry.Equal(t0.Add(240*time.Hour)) || string(e.Raw) != string(lic1) {
		t.Errorf("Get returned %+v", e)
	}
	if e, err := l.Get(ctx, strings.ToUpper(idOf(t, lic2)[:12])); err != nil || e.Subject != "customer-2" {
		t.Errorf("Get by a 12-digit upper-case prefix: %v, %v", e, err)
	}
	if _, err := l.Get(ctx, "ffffffffffffffffffffffffffffffff"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("Get of an unknown id: %v, want ErrNotFound", err)
	}
	if _, err := l.Get(ctx, "not-hex"); err == nil || !strings.Contains(err.Error(), "not an id") {
		t.Errorf("Get of a non-hex id: %v", err)
	}
	if e, err := l.ByOrder(ctx, "PO-2"); err != nil || e.ID != idOf(t, lic2) {
		t.Errorf("ByOrder(PO-2) = %v, %v", e, err)
	}
	pe, _ := l.Get(ctx, idOf(t, plic))
	if pe.Partner != "globex" || pe.GrantID != idOf(t, grant) || pe.Issuer != "globex" {
		t.Errorf("partner license: partner %q grant %q issuer %q", pe.Partner, pe.GrantID, pe.Issuer)
	}
	ge, _ := l.Get(ctx, idOf(t, grant))
	if ge.Kind != ledger.KindGrant || ge.Partner != "globex" || ge.Subject != "globex" || ge.Tier != "pro" || ge.File != "globex.grant" {
		t.Errorf("grant entry: %+v", ge)
	}
	re, _ := l.Get(ctx, idOf(t, rev))
	if re.Kind != ledger.KindRevocations || re.Issuer != "acme" || len(re.ID) != 32 {
		t.Errorf("revocations entry: %+v", re)
	}

	filters := []struct {
		name string
		f    ledger.Filter
		want []string // subjects, in order ("" for revocations)
	}{
		{"all", ledger.Filter{}, []string{"globex", "customer-1", "customer-2", "customer-3", "customer-9", ""}},
		{"licenses", ledger.Filter{Kind: ledger.KindLicense}, []string{"customer-1", "customer-2", "customer-3", "customer-9"}},
		{"by sub", ledger.Filter{Subject: "customer-2"}, []string{"customer-2"}},
		{"by tier", ledger.Filter{Tier: "pro", Kind: ledger.KindLicense}, []string{"customer-1", "customer-3", "customer-9"}},
		{"by partner", ledger.Filter{Partner: "globex"}, []string{"globex", "customer-9"}},
		{"by product", ledger.Filter{Product: "acme-cli"}, []string{"customer-1"}},
		{"product is a whole name", ledger.Filter{Product: "acme"}, nil},
		{"by key", ledger.Filter{KID: strings.ToUpper(pkid)}, []string{"customer-9"}},
		{"expiring within 30 days", ledger.Filter{Kind: ledger.KindLicense, ExpiringBy: t0.Add(30 * 24 * time.Hour), OrderByExpiry: true}, []string{"customer-1", "customer-9"}},
		{"not expired at day 15", ledger.Filter{Kind: ledger.KindLicense, ExpiringAfter: t0.Add(15 * 24 * time.Hour)}, []string{"customer-2", "customer-9"}},
		{"unwritten", ledger.Filter{Unwritten: true}, []string{"customer-2", "customer-3"}},
		{"limit", ledger.Filter{Kind: ledger.KindLicense, Limit: 2}, []string{"customer-1", "customer-2"}},
	}
	for _, f := range filters {
		list, err := l.List(ctx, f.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range list {
			got = append(got, e.Subject)
		}
		if !slices.Equal(got, f.want) {
			t.Errorf("List %s = %q, want %q", f.name, got, f.want)
		}
	}
	r, err := l.Verify(ctx)
	if err != nil || !r.OK() || r.Entries != 6 || len(r.Logs) != 2 {
		t.Errorf("Verify: %+v, %v", r, err)
	}
}

func testDuplicates(t *testing.T, location string) {
	ctx := context.Background()
	l := openLedger(t, location)
	k := testKey(t, "acme")
	lic := mintLicense(t, k, licenseSpec{sub: "c", tier: "pro", days: 1}, nil)
	mustAppend(t, l, k, ledger.Record{Raw: lic, OrderRef: "PO-7"})
	other := mintLicense(t, k, licenseSpec{sub: "d", tier: "pro", days: 1}, nil)
	cases := []struct {
		name  string
		recs  []ledger.Record
		field string
	}{
		{"same token", []ledger.Record{{Raw: lic}}, "id"},
		{"same order", []ledger.Record{{Raw: other, OrderRef: "PO-7"}}, "order reference"},
		{"same token twice in one append", []ledger.Record{{Raw: other}, {Raw: other}}, "id"},
		{"same order twice in one append", []ledger.Record{{Raw: other, OrderRef: "X"}, {Raw: mintLicense(t, k, licenseSpec{sub: "e", tier: "pro"}, nil), OrderRef: "X"}}, "order reference"},
	}
	for _, c := range cases {
		_, err := l.Append(ctx, signerOf(t, k), c.recs...)
		var de *ledger.DuplicateError
		if !errors.As(err, &de) || de.Field != c.field {
			t.Errorf("%s: %v, want a duplicate %s", c.name, err, c.field)
		}
	}
	_, err := l.Append(ctx, signerOf(t, k), ledger.Record{Raw: other}, ledger.Record{Raw: lic})
	var de *ledger.DuplicateError
	if !errors.As(err, &de) || de.Existing == nil || de.Existing.OrderRef != "PO-7" {
		t.Errorf("a duplicate in a batch: %v (existing %+v)", err, de)
	}
	if head, _ := l.TreeHead(ctx, hexOf(token.KeyID(k.Public().Key))); head.N != 1 {
		t.Errorf("after refused appends the log has %d entries, want 1 (all or none)", head.N)
	}
	// A grant is sold under an order too (the API's idempotent grants);
	// a revocation list is not.
	if es, err := l.Append(ctx, signerOf(t, k), ledger.Record{Raw: mintGrant(t, k, testKey(t, "p")), OrderRef: "G"}); err != nil {
		t.Errorf("a grant with an order reference: %v", err)
	} else if g, err := l.ByOrder(ctx, "G"); err != nil || g.ID != es[0].ID || g.Kind != ledger.KindGrant {
		t.Errorf("the grant by its order: %+v %v", g, err)
	}
	if _, err := l.Append(ctx, signerOf(t, k), ledger.Record{Raw: mintRevocations(t, k, 1), OrderRef: "R"}); err == nil || !strings.Contains(err.Error(), "only licenses and grants carry an order reference") {
		t.Errorf("a revocation list with an order reference: %v", err)
	}
	pem := token.EncodePEM(other, token.PEMLicense, nil)
	if _, err := l.Append(ctx, signerOf(t, k), ledger.Record{Raw: pem}); err == nil || !strings.Contains(err.Error(), "record the raw COSE_Sign1 bytes") {
		t.Errorf("a PEM record: %v", err)
	}
	if _, err := l.Append(ctx, signerOf(t, k), ledger.Record{Raw: []byte{0xd2, 0x84, 0x40}}); err == nil || !strings.Contains(err.Error(), "not a signed licet object") {
		t.Errorf("a garbage record: %v", err)
	}
	if _, err := l.Append(ctx, signerOf(t, k), ledger.Record{Raw: other, PublicKey: testKey(t, "x").Public().Key}); err == nil || !strings.Contains(err.Error(), "not by the public key given") {
		t.Errorf("a record with another key: %v", err)
	}
}

func testTreeHeadAndProofs(t *testing.T, location string) {
	ctx := context.Background()
	l := openLedger(t, location)
	k := testKey(t, "acme")
	kid := hexOf(token.KeyID(k.Public().Key))
	var raws [][]byte
	var heads []tlog.Tree
	for i := range 13 {
		raw := mintLicense(t, k, licenseSpec{sub: "c" + itoa(i), tier: "pro", days: i + 1}, nil)
		raws = append(raws, raw)
		if i%4 == 0 {
			mustAppend(t, l, k, ledger.Record{Raw: raw})
		} else if i%4 == 3 {
			mustAppend(t, l, k, ledger.Record{Raw: raws[i-2]}, ledger.Record{Raw: raws[i-1]}, ledger.Record{Raw: raw})
		} else {
			continue
		}
		h, err := l.TreeHead(ctx, kid)
		if err != nil {
			t.Fatal(err)
		}
		heads = append(heads, h)
	}
	// An independent computation from the raw bytes.
	var mem []tlog.Hash
	reader := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			out[i] = mem[x]
		}
		return out, nil
	})
	for i, raw := range raws {
		hs, err := tlog.StoredHashes(int64(i), raw, reader)
		if err != nil {
			t.Fatal(err)
		}
		mem = append(mem, hs...)
	}
	for _, h := range heads {
		want, _ := tlog.TreeHash(h.N, reader)
		if h.Hash != want {
			t.Errorf("tree head at size %d: %s, want %s", h.N, h.Hash, want)
		}
	}
	last := heads[len(heads)-1]
	if last.N != 13 {
		t.Fatalf("tree size %d, want 13", last.N)
	}
	hr := l.HashReader(ctx, kid)
	for n := int64(0); n < last.N; n++ {
		p, err := tlog.ProveRecord(last.N, n, hr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(p, last.N, last.Hash, n, tlog.RecordHash(raws[n])); err != nil {
			t.Errorf("record %d: %v", n, err)
		}
	}
	for _, old := range heads[:len(heads)-1] {
		p, err := tlog.ProveTree(last.N, old.N, hr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckTree(p, last.N, last.Hash, old.N, old.Hash); err != nil {
			t.Errorf("consistency %d -> %d: %v", old.N, last.N, err)
		}
	}
	es, err := l.Entries(ctx, kid, 5, 8)
	if err != nil || len(es) != 3 || es[0].Index != 5 || string(es[2].Raw) != string(raws[7]) {
		t.Errorf("Entries(5, 8): %d entries, %v", len(es), err)
	}
	if h, err := l.TreeHead(ctx, "0000000000000000"); err != nil || h.N != 0 {
		t.Errorf("the head of an unknown log: %+v, %v", h, err)
	}
	if checkpoint.Origin(kid) != "licet/log/"+kid {
		t.Errorf("origin %q", checkpoint.Origin(kid))
	}
}

// rawDB opens the ledger's database directly, to tamper with it.
func rawDB(t *testing.T, location string) (*sql.DB, func(string) string) {
	t.Helper()
	driver, dsn := "sqlite", location
	rebind := func(q string) string { return q }
	if sqldb.IsURL(location) {
		driver = "pgx"
		rebind = func(q string) string {
			n := 0
			var b strings.Builder
			for _, r := range q {
				if r == '?' {
					n++
					b.WriteString("$" + itoa(n))
				} else {
					b.WriteRune(r)
				}
			}
			return b.String()
		}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, rebind
}

func testVerifyDetectsTampering(t *testing.T, location string) {
	ctx := context.Background()
	k := testKey(t, "acme")
	kid := hexOf(token.KeyID(k.Public().Key))
	other := testKey(t, "mallory")
	cases := []struct {
		name   string
		tamper []string // statements with ? for: kid, then extra args
		args   func(raws [][]byte) []any
		want   string
	}{
		{"edited subject", []string{"UPDATE entries SET sub = 'someone-else' WHERE kid = ? AND idx = 2"}, nil, "the stored subject \"someone-else\" is not the token's \"c2\""},
		{"edited expiry", []string{"UPDATE entries SET exp = exp + 86400 WHERE kid = ? AND idx = 1"}, nil, "the stored expiry"},
		{"made perpetual", []string{"UPDATE entries SET exp = NULL WHERE kid = ? AND idx = 1"}, nil, "the stored expiry \"<nil>\""},
		{"replaced raw bytes", []string{"UPDATE entries SET raw = ? WHERE kid = ? AND idx = 3"},
			func(raws [][]byte) []any { return []any{raws[5]} }, "do not hash to the stored leaf hash"},
		{"re-signed by another key", []string{"UPDATE entries SET raw = ? WHERE kid = ? AND idx = 3"},
			func([][]byte) []any {
				return []any{mintLicense(t, other, licenseSpec{sub: "c3", tier: "pro", days: 4}, nil)}
			}, "the stored key id"},
		{"removed entry", []string{"DELETE FROM entries WHERE kid = ? AND idx = 4"}, nil, "entry 4 is missing"},
		{"removed last entry and its hashes", []string{"DELETE FROM entries WHERE kid = ? AND idx = 5", "DELETE FROM hashes WHERE kid = ? AND idx >= 8"}, nil, "the head says 6 entries, the log holds 5"},
		{"rewritten history", []string{"DELETE FROM entries WHERE kid = ? AND idx = 5", "DELETE FROM hashes WHERE kid = ? AND idx >= 8", "UPDATE logs SET size = 5 WHERE kid = ?"}, nil, "the history was rewritten"},
		{"edited stored hash", []string{"UPDATE hashes SET hash = ? WHERE kid = ? AND idx = 2"},
			func([][]byte) []any { return []any{make([]byte, 32)} }, "stored hash 2 (level 1) differs"},
		{"edited root", []string{"UPDATE logs SET root = ? WHERE kid = ?"},
			func([][]byte) []any { return []any{make([]byte, 32)} }, "the stored root"},
		{"stray row", []string{"INSERT INTO entries SELECT 'ffffffffffffffff', idx, 'x' || id, kind, iss, sub, aud, tier, iat, exp, grant_id, partner, NULL, renewed_from, written, file, recorded, raw FROM entries WHERE kid = ? AND idx = 0"}, nil, "1 entries belong to no log"},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			loc := location
			if c.name != cases[0].name { // each case needs a fresh ledger
				loc = freshLike(t, location)
			}
			l := openLedger(t, loc)
			var raws [][]byte
			for i := range 6 {
				raw := mintLicense(t, k, licenseSpec{sub: "c" + itoa(i), tier: "pro", days: i + 1}, nil)
				raws = append(raws, raw)
				mustAppend(t, l, k, ledger.Record{Raw: raw, PublicKey: k.Public().Key})
			}
			if r, err := l.Verify(ctx); err != nil || !r.OK() {
				t.Fatalf("before tampering: %+v, %v", r, err)
			}
			db, rebind := rawDB(t, loc)
			for _, stmt := range c.tamper {
				var args []any
				if c.args != nil && strings.Count(stmt, "?") == 2 {
					args = append(args, c.args(raws)...)
				}
				if strings.Contains(stmt, "?") {
					args = append(args, kid)
				}
				if _, err := db.Exec(rebind(stmt), args...); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			r, err := l.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() {
				t.Fatalf("tampering not detected")
			}
			if !strings.Contains(strings.Join(r.Problems, "\n"), c.want) {
				t.Errorf("problems:\n%s\nwant one containing %q", strings.Join(r.Problems, "\n"), c.want)
			}
		})
	}
}

// freshLike returns a fresh location on the same backend as location.
func freshLike(t *testing.T, location string) string {
	if sqldb.IsURL(location) {
		return PostgresLocation(t)
	}
	return t.TempDir() + "/licet.db"
}

func testMarkWritten(t *testing.T, location string) {
	ctx := context.Background()
	l := openLedger(t, location)
	k := testKey(t, "acme")
	raw := mintLicense(t, k, licenseSpec{sub: "c", tier: "pro", days: 1}, nil)
	es := mustAppend(t, l, k, ledger.Record{Raw: raw, File: "c.lic"})
	if es[0].Written {
		t.Fatal("recorded as written")
	}
	if err := l.MarkWritten(ctx, es[0].ID, "out/c.lic"); err != nil {
		t.Fatal(err)
	}
	e, _ := l.Get(ctx, es[0].ID)
	if !e.Written || e.File != "out/c.lic" {
		t.Errorf("after MarkWritten: written %v file %q", e.Written, e.File)
	}
	if err := l.MarkWritten(ctx, "00000000000000000000000000000000", ""); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("MarkWritten of an unknown id: %v", err)
	}
	if r, _ := l.Verify(ctx); !r.OK() {
		t.Errorf("the written state is not part of the log, yet Verify says %q", r.Problems)
	}
}

func testReopen(t *testing.T, location string) {
	ctx := context.Background()
	k := testKey(t, "acme")
	l, err := ledger.Open(ctx, location)
	if err != nil {
		t.Fatal(err)
	}
	raw := mintLicense(t, k, licenseSpec{sub: "c", tier: "pro", days: 1}, nil)
	mustAppend(t, l, k, ledger.Record{Raw: raw})
	head1, _ := l.TreeHead(ctx, hexOf(token.KeyID(k.Public().Key)))
	l.Close()
	l2 := openLedger(t, location)
	mustAppend(t, l2, k, ledger.Record{Raw: mintLicense(t, k, licenseSpec{sub: "d", tier: "pro", days: 1}, nil)})
	head2, _ := l2.TreeHead(ctx, hexOf(token.KeyID(k.Public().Key)))
	if head1.N != 1 || head2.N != 2 {
		t.Errorf("sizes %d then %d, want 1 then 2", head1.N, head2.N)
	}
	if r, _ := l2.Verify(ctx); !r.OK() {
		t.Errorf("Verify after reopening: %q", r.Problems)
	}
}

func TestSQLiteFileMode(t *testing.T) {
	path := t.TempDir() + "/licet.db"
	openLedger(t, path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the ledger file has mode %#o, want 0600", fi.Mode().Perm())
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cases := []struct{ location, want string }{
		{"", "no location"},
		{dir, "is a directory"},
		{dir + "/missing/licet.db", "no such directory"},
	}
	for _, c := range cases {
		if _, err := ledger.Open(ctx, c.location); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q): %v, want %q", c.location, err, c.want)
		}
	}
	if err := os.WriteFile(dir+"/junk.db", []byte("this is not a database at all, not even close......................................................................................"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Open(ctx, dir+"/junk.db"); err == nil || !strings.Contains(err.Error(), "junk.db") {
		t.Errorf("Open of a junk file: %v", err)
	}
}

// TestPasswordNeverPrinted: a PostgreSQL password given in the user
// information or as ?password= (or sslpassword) is removed from Location
// and from every error, including the driver's own messages that quote
// the URL (issue 17 item 7).
func TestPasswordNeverPrinted(t *testing.T) {
	ctx := context.Background()
	cases := []string{
		"postgres://licet@127.0.0.1:1/licet?password=s3cretQ&sslmode=disable",
		"postgres://licet:s3cretU@127.0.0.1:1/licet?sslmode=disable",
		"postgresql://licet@127.0.0.1:1/licet?sslmode=bogus&password=s3cretQ",
		"postgres://licet@127.0.0.1:1/licet?password=s3cretQ&connect_timeout=x",
		"postgres://licet@127.0.0.1:1/licet?sslpassword=s3cretS&sslmode=bogus",
		"postgres://licet:s3cretU@[::1/licet?password=s3cretQ",
		"postgres://licet@127.0.0.1:1/licet?password=s%33cretQ&sslmode=bogus",
		"postgres://licet@127.0.0.1:1/licet?password=ab&sslmode=bogus",
	}
	for _, loc := range cases {
		red := sqldb.Redact(loc)
		_, err := ledger.Open(ctx, loc)
		if err == nil {
			t.Fatalf("Open(%s) succeeded", red)
		}
		for _, s := range []string{red, err.Error()} {
			for _, secret := range []string{"s3cret", "password=ab", "s%33"} {
				if strings.Contains(s, secret) {
					t.Errorf("%q holds the password (%s)", s, secret)
				}
			}
		}
		if !strings.Contains(red, "xxxxx") || !strings.Contains(red, "127.0.0.1:1") && !strings.Contains(red, "[::1") {
			t.Errorf("Redact(%q) = %q", loc, red)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// TestRevokeSameIDUnderTwoGrants (issue 17 item 6, GCTI.md): two partners'
// licenses carry the same id, each under its own grant. Revoking one (by
// its file, by its ledger entry, or by the id the ledger knows) leaves the
// other valid; a plain id that the ledger does not know touches neither.
// licet mint has no flag to choose an id, so the licenses are made with
// the token package.
func TestRevokeSameIDUnderTwoGrants(t *testing.T) {
	t.Chdir(t.TempDir())
	vendor := detKey(t, "acme", 1)
	globex, initech := detKey(t, "globex", 2), detKey(t, "initech", 3)
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("acme.key", vendor.MarshalUnencrypted())
	write("acme.pub", vendor.Public().MarshalPEM())
	now := time.Now().UTC().Truncate(time.Second)
	id := bytes.Repeat([]byte{0x42}, token.IDSize)
	mintUnder := func(partner *keys.PrivateKey, grantID byte) []byte {
		g := &token.Grant{Issuer: "acme", Subject: partner.Issuer, Audience: []string{"acme-db"},
			IssuedAt: now.Add(-time.Hour), Expiry: now.Add(365 * 24 * time.Hour), ID: bytes.Repeat([]byte{grantID}, token.IDSize),
			Key: partner.Public().Key, Tiers: []string{"pro"}, Scopes: []string{}}
		graw, err := token.SignGrant(vendor.Signer(), g)
		if err != nil {
			t.Fatal(err)
		}
		l := &token.License{Issuer: partner.Issuer, Subject: "customer-of-" + partner.Issuer, Audience: []string{"acme-db"},
			IssuedAt: now.Add(-time.Minute), Expiry: now.Add(30 * 24 * time.Hour), ID: id, Tier: "pro"}
		raw, err := token.SignLicense(partner.Signer(), l, graw)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	rawA, rawB := mintUnder(globex, 0x0a), mintUnder(initech, 0x0b)
	write("a.lic", token.EncodePEM(rawA, token.PEMLicense, nil))
	write("b.lic", token.EncodePEM(rawB, token.PEMLicense, nil))

	licet := func(want int, args ...string) string {
		t.Helper()
		a, stdout, stderr := testApp("")
		if code := run(args, a); code != want {
			t.Fatalf("licet %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, stdout, stderr)
		}
		return stdout.String() + stderr.String()
	}
	verdicts := func(list string) (a, b string) {
		t.Helper()
		a = licet(1, "verify", "a.lic", "--pub", "acme.pub", "--product", "acme-db", "--revocations", list)
		b = licet(0, "verify", "b.lic", "--pub", "acme.pub", "--product", "acme-db", "--revocations", list)
		return a, b
	}
	check := func(list string) {
		t.Helper()
		a, b := verdicts(list)
		if !strings.Contains(a, "rejected: revoked: license "+hex.EncodeToString(id)+" minted under grant "+strings.Repeat("0a", token.IDSize)+" is revoked") {
			t.Fatalf("globex's license with %s:\n%s", list, a)
		}
		if !strings.HasPrefix(b, "valid\n") {
			t.Fatalf("initech's license with %s:\n%s", list, b)
		}
	}

	// A plain id entry: neither license is touched (both are minted under
	// a grant), and revoke says nothing about a grant.
	out := licet(0, "revoke", "--key", "acme.key", "--cti", hex.EncodeToString(id), "--next-update", "30d", "-o", "plain.pem")
	if strings.Contains(out, "under grant") {
		t.Fatalf("revoke --cti of an id the ledger does not know:\n%s", out)
	}
	licet(0, "verify", "a.lic", "--pub", "acme.pub", "--product", "acme-db", "--revocations", "plain.pem")
	licet(0, "verify", "b.lic", "--pub", "acme.pub", "--product", "acme-db", "--revocations", "plain.pem")

	// By the file: its grant is in it.
	licet(0, "revoke", "--key", "acme.key", "--cti-from", "a.lic", "--next-update", "30d", "-o", "file.pem")
	check("file.pem")

	// By the ledger: the vendor's ledger holds globex's license (a shared
	// ledger, or one that recorded it); --license and --cti find its grant.
	led, err := ledger.Open(context.Background(), ledger.DefaultFile)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := ledger.NewCheckpointSigner(globex.Signer())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := led.Append(context.Background(), cs, ledger.Record{Raw: rawA, PublicKey: globex.Public().Key}); err != nil {
		t.Fatal(err)
	}
	led.Close()
	// A fresh ledger state: take globex's pair off the list first.
	licet(0, "revoke", "--key", "acme.key", "--unrevoke", strings.Repeat("0a", token.IDSize)+":"+hex.EncodeToString(id), "--next-update", "30d", "-o", "none.pem")
	licet(0, "verify", "a.lic", "--pub", "acme.pub", "--product", "acme-db", "--revocations", "none.pem")
	out = licet(0, "revoke", "--key", "acme.key", "--license", hex.EncodeToString(id)[:10], "--next-update", "30d", "-o", "ledger.pem")
	if !strings.Contains(out, "under grant "+strings.Repeat("0a", token.IDSize)+" (partner globex)") {
		t.Fatalf("revoke --license of globex's license:\n%s", out)
	}
	check("ledger.pem")
	licet(0, "revoke", "--key", "acme.key", "--unrevoke", strings.Repeat("0a", token.IDSize)+":"+hex.EncodeToString(id), "--next-update", "30d", "-o", "none2.pem")
	out = licet(0, "revoke", "--key", "acme.key", "--cti", hex.EncodeToString(id), "--next-update", "30d", "-o", "cti.pem")
	if !strings.Contains(out, "the ledger's entry for id "+hex.EncodeToString(id)) {
		t.Fatalf("revoke --cti of an id the ledger knows under a grant:\n%s", out)
	}
	check("cti.pem")

	// A bare --unrevoke id that names two entries is refused: which one?
	licet(0, "revoke", "--key", "acme.key", "--cti-from", "b.lic", "--next-update", "30d", "-o", "both.pem")
	out = licet(2, "revoke", "--key", "acme.key", "--unrevoke", hex.EncodeToString(id), "--next-update", "30d", "-o", "x.pem")
	if !strings.Contains(out, "give GRANT:ID") {
		t.Fatalf("revoke --unrevoke of an id under two grants:\n%s", out)
	}
}

// TestUnrevokeWarnsUnlessExpired: dropping the entry of a license that is
// still valid warns that stateful products keep it revoked; dropping the
// entry of an expired license (the ledger knows its expiry) is pruning,
// without a warning.
func TestUnrevokeWarnsUnlessExpired(t *testing.T) {
	t.Chdir(t.TempDir())
	vendor := detKey(t, "acme", 1)
	if err := os.WriteFile("acme.key", vendor.MarshalUnencrypted(), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	mint := func(idByte byte, exp time.Time) []byte {
		l := &token.License{Issuer: "acme", Subject: "c", Audience: []string{"acme-db"}, Tier: "pro",
			IssuedAt: exp.Add(-48 * time.Hour), Expiry: exp, ID: bytes.Repeat([]byte{idByte}, token.IDSize)}
		raw, err := token.SignLicense(vendor.Signer(), l, nil)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	led, err := ledger.Open(context.Background(), ledger.DefaultFile)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := ledger.NewCheckpointSigner(vendor.Signer())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := led.Append(context.Background(), cs, ledger.Record{Raw: mint(1, now.Add(-time.Hour)), PublicKey: vendor.Public().Key},
		ledger.Record{Raw: mint(2, now.Add(time.Hour)), PublicKey: vendor.Public().Key}); err != nil {
		t.Fatal(err)
	}
	led.Close()
	expired, live := strings.Repeat("01", token.IDSize), strings.Repeat("02", token.IDSize)
	licet := func(args ...string) string {
		t.Helper()
		a, stdout, stderr := testApp("")
		if code := run(args, a); code != 0 {
			t.Fatalf("licet %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		return stderr.String()
	}
	licet("revoke", "--key", "acme.key", "--cti", expired, "--cti", live, "--next-update", "30d", "-o", "r1.pem")
	if out := licet("revoke", "--key", "acme.key", "--unrevoke", expired, "--next-update", "30d", "-o", "r2.pem"); strings.Contains(out, "warning: products") ||
		!strings.Contains(out, "unrevoking id "+expired+": dropped from the list") {
		t.Fatalf("unrevoking an expired license:\n%s", out)
	}
	if out := licet("revoke", "--key", "acme.key", "--unrevoke", live, "--next-update", "30d", "-o", "r3.pem"); !strings.Contains(out, "licet: warning: products that keep revocation state (package sdk) keep id "+live+" revoked") {
		t.Fatalf("unrevoking a live license:\n%s", out)
	}
}

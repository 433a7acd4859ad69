package sdk_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// rotated is a vendor after a key rotation: the current key and the
// retired one (which still signs revocation lists) both trusted for acme.
type rotated struct {
	cur, old *vendor
	cfg      sdk.Config
}

func newRotated(t *testing.T) *rotated {
	cur, old := newVendor(t, "vendor"), newVendor(t, "retired vendor key")
	ks, err := verify.NewKeySet(
		verify.Key{PublicKey: cur.priv.Public().(ed25519.PublicKey), Issuer: "acme", NotBefore: t0.Add(-90 * 24 * time.Hour)},
		verify.Key{PublicKey: old.priv.Public().(ed25519.PublicKey), Issuer: "acme", NotAfter: t0.Add(-90 * 24 * time.Hour)},
	)
	if err != nil {
		t.Fatal(err)
	}
	cfg := cur.config()
	cfg.TrustedKeys, cfg.KeySet = nil, ks
	cfg.StatePath = cur.path("state.json")
	cfg.RevocationsPath = cur.path("revoked.pem")
	return &rotated{cur: cur, old: old, cfg: cfg}
}

// list signs a list of acme with v's key.
func (r *rotated) list(t *testing.T, v *vendor, seq uint64, iat time.Time, rv token.Revocations) []byte {
	t.Helper()
	rv.Issuer, rv.Seq, rv.IssuedAt, rv.NextUpdate = "acme", seq, iat, iat.Add(30*24*time.Hour)
	raw, err := token.SignRevocations(v.priv, &rv)
	if err != nil {
		t.Fatal(err)
	}
	return token.EncodePEM(raw, token.PEMRevocations, nil)
}

// partnerLicense mints a license of reseller under a grant of acme
// (signed by v) whose id is grantID.
func partnerLicense(t *testing.T, v *vendor, grantID []byte, mod func(*token.License)) []byte {
	t.Helper()
	partner := newVendor(t, "partner")
	g, err := token.SignGrant(v.priv, &token.Grant{
		Issuer: "acme", Subject: "reseller", Audience: []string{product},
		IssuedAt: t0.Add(-48 * time.Hour), Expiry: t0.Add(200 * 24 * time.Hour),
		ID: grantID, Key: partner.priv.Public().(ed25519.PublicKey),
		Tiers: []string{"pro"}, Scopes: []string{"api:*", "reports:*"},
	})
	if err != nil {
		t.Fatal(err)
	}
	l := v.license(func(l *token.License) {
		l.Issuer = "reseller"
		l.Expiry = t0.Add(100 * 24 * time.Hour)
		l.Limits = nil
		l.Rights = nil
		if mod != nil {
			mod(l)
		}
	})
	raw, err := token.SignLicense(partner.priv, l, g)
	if err != nil {
		t.Fatal(err)
	}
	return token.EncodePEM(raw, token.PEMLicense, nil)
}

// TestLeakedRetiredKeyCannotUnrevoke: a leaked retired key signs an empty
// list with a huge seq. The licenses the vendor revoked stay revoked (in
// the running product and after a restart), the drop is reported, and the
// vendor's later lists, with lower seqs, are still taken (issue 18 item
// 2).
func TestLeakedRetiredKeyCannotUnrevoke(t *testing.T) {
	r := newRotated(t)
	cur, cfg := r.cur, r.cfg
	direct := cur.license(nil)
	grantID := bytes.Repeat([]byte{0x6a}, token.IDSize)
	underGrantID := bytes.Repeat([]byte{0x6b}, token.IDSize)
	revokedKey := newVendor(t, "another key")
	first := r.list(t, cur, 5, t0.Add(-time.Hour), token.Revocations{
		IDs:     [][]byte{direct.ID},
		KeyIDs:  [][]byte{token.KeyID(revokedKey.priv.Public().(ed25519.PublicKey))},
		Granted: []token.GrantIDs{{Grant: grantID, IDs: [][]byte{underGrantID}}},
	})
	write(t, cfg.RevocationsPath, first)
	partnerPath := cur.path("partner.lic")
	write(t, partnerPath, partnerLicense(t, cur, grantID, func(l *token.License) { l.ID = underGrantID }))
	write(t, cfg.LicensePath, cur.mint(direct))
	lic, lerr := loadErr[*sdk.LoadError](t, cfg)
	if lerr.Code() != "revoked" {
		t.Fatalf("the revoked license: %v", lerr)
	}
	cfgP := cfg
	cfgP.LicensePath = partnerPath
	if _, lerr := loadErr[*sdk.LoadError](t, cfgP); lerr.Code() != "revoked" {
		t.Fatalf("the license revoked by its grant and id: %v", lerr)
	}

	// The leaked retired key publishes an empty list with a huge seq.
	leaked := r.list(t, r.old, 1<<62, t0.Add(-time.Minute), token.Revocations{})
	write(t, cfg.RevocationsPath, leaked)
	err := lic.Reload()
	if !errors.Is(err, verify.CodeRevoked) || lic.Allows("api:read") {
		t.Fatalf("running product after the leaked list: %v, want still revoked", err)
	}
	var de *sdk.ListDroppedError
	if !errors.As(err, &de) || !errors.Is(err, sdk.ErrListDropped) || de.Issuer != "acme" || de.Seq != 1<<62 || de.Seen != 5 || len(de.Dropped) != 3 {
		t.Fatalf("Reload = %v, want a *ListDroppedError of the three entries", err)
	}
	if !strings.Contains(de.Error(), "drops 3 revoked entries (cti:") || sdk.CodeOf(de) != sdk.CodeListDropped {
		t.Errorf("message %q, code %q", de, sdk.CodeOf(de))
	}
	if ws := strings.Join(lic.Status().Warnings, "\n"); !strings.Contains(ws, "they stay revoked") {
		t.Errorf("warnings %q do not report the drop", ws)
	}
	// After a restart, from the state file: all three still revoked, and
	// the drop, reported already, is not reported again.
	restarted, lerr := loadErr[*sdk.LoadError](t, cfg)
	if lerr.Code() != "revoked" {
		t.Errorf("restart, the license revoked by id: %v", lerr)
	}
	if ws := strings.Join(restarted.Status().Warnings, "\n"); strings.Contains(ws, "drops") {
		t.Errorf("restart reports the drop again: %q", ws)
	}
	if _, lerr := loadErr[*sdk.LoadError](t, cfgP); lerr.Code() != "revoked" {
		t.Errorf("restart, the license revoked by its grant and id: %v", lerr)
	}
	cfgK := cfg
	cfgK.KeySet = nil
	cfgK.TrustedKeys = append(append([]byte(nil), revokedKey.pubPEM...), cur.pubPEM...)
	cfgK.TrustedKeys = append(cfgK.TrustedKeys, r.old.pubPEM...)
	cfgK.LicensePath = cur.path("by-revoked-key.lic")
	write(t, cfgK.LicensePath, revokedKey.mint(revokedKey.license(nil)))
	if _, lerr := loadErr[*sdk.LoadError](t, cfgK); lerr.Code() != "revoked" {
		t.Errorf("restart, the license by the revoked key: %v", lerr)
	}
	st := readStateFile(t, cfg.StatePath)
	if got := st.Revoked["acme"]; len(got.Kept) != 3 || len(got.Listed) != 0 || st.Seq["acme"] != 1<<62 {
		t.Errorf("state %+v", st)
	}

	// The vendor's next list (seq 6, below the leaked seq) is taken: a
	// license it revokes is revoked, another one is valid, and no
	// rollback is reported.
	fresh := cur.license(nil)
	other := cur.license(nil)
	write(t, cfg.RevocationsPath, r.list(t, cur, 6, t0, token.Revocations{IDs: [][]byte{direct.ID, fresh.ID}}))
	write(t, cfg.LicensePath, cur.mint(fresh))
	if err := lic.Reload(); !errors.Is(err, verify.CodeRevoked) || errors.Is(err, sdk.ErrListRollback) || errors.Is(err, sdk.ErrListDropped) {
		t.Fatalf("the vendor's list after the leaked one: %v, want revoked, and no rollback or drop", err)
	}
	write(t, cfg.LicensePath, cur.mint(other))
	if err := lic.Reload(); err != nil || !lic.Allows("api:read") {
		t.Fatalf("a license the vendor's list does not name: %v", err)
	}
	if _, lerr := loadErr[*sdk.LoadError](t, cfgP); lerr.Code() != "revoked" {
		t.Errorf("the license revoked by its grant and id, after the vendor's list: %v", lerr)
	}
}

// TestListDropReportedOnce: Watch reports a list that drops entries once,
// through OnError, and not again at every poll.
func TestListDropReportedOnce(t *testing.T) {
	r := newRotated(t)
	cur, cfg := r.cur, r.cfg
	gone := cur.license(nil)
	write(t, cfg.RevocationsPath, r.list(t, cur, 1, t0.Add(-time.Hour), token.Revocations{IDs: [][]byte{gone.ID}}))
	write(t, cfg.LicensePath, cur.mint(cur.license(nil)))
	lic := mustLoad(t, cfg)
	rec := newRecorder(t)
	w, err := lic.Watch(t.Context(), rec.options(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	write(t, cfg.RevocationsPath, r.list(t, cur, 2, t0, token.Revocations{}))
	rec.expect("error " + sdk.CodeListDropped)
	rec.quiet(200 * time.Millisecond)
	if !lic.Allows("api:read") {
		t.Fatal("a dropped entry of another license denies this one")
	}
}

// TestKidEntryWithoutIssuer: without Config.Issuer the trusted keys name
// no issuer, so a kid entry in any list revokes what the key signed,
// whatever iss it claims (issue 18 item 1).
func TestKidEntryWithoutIssuer(t *testing.T) {
	v, k := newVendor(t, "vendor"), newVendor(t, "second key")
	cfg := v.config()
	cfg.Issuer = ""
	cfg.TrustedKeys = append(append([]byte(nil), v.pubPEM...), k.pubPEM...)
	cfg.RevocationsPath = v.path("revoked.pem")
	raw, err := token.SignRevocations(v.priv, &token.Revocations{Issuer: "v", IssuedAt: t0.Add(-time.Hour), NextUpdate: t0.Add(time.Hour), Seq: 1,
		KeyIDs: [][]byte{token.KeyID(k.priv.Public().(ed25519.PublicKey))}})
	if err != nil {
		t.Fatal(err)
	}
	write(t, cfg.RevocationsPath, token.EncodePEM(raw, token.PEMRevocations, nil))
	for _, iss := range []string{"v", "w"} {
		write(t, cfg.LicensePath, k.mint(k.license(func(l *token.License) { l.Issuer = iss })))
		if _, lerr := loadErr[*sdk.LoadError](t, cfg); lerr.Code() != "revoked" {
			t.Errorf("license by the revoked key with iss %s: %v", iss, lerr)
		}
	}
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.Issuer = "w" })))
	if _, err := sdk.Load(cfg); err != nil {
		t.Errorf("license by the other key: %v", err)
	}
}

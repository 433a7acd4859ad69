package sdk_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// listOf signs a revocation list of issuer with v's key, in PEM form or,
// with text, in the compact text form.
func listOf(t *testing.T, v *vendor, issuer string, seq uint64, iat time.Time, text bool, ids ...[]byte) []byte {
	t.Helper()
	raw, err := token.SignRevocations(v.priv, &token.Revocations{
		Issuer: issuer, IssuedAt: iat, NextUpdate: iat.Add(30 * 24 * time.Hour), Seq: seq, IDs: ids,
	})
	if err != nil {
		t.Fatal(err)
	}
	if text {
		s, err := token.EncodeText(raw, "")
		if err != nil {
			t.Fatal(err)
		}
		return []byte(s + "\n")
	}
	return token.EncodePEM(raw, token.PEMRevocations, nil)
}

// twoIssuers returns a configuration that trusts acme (key a) and beta
// (key b), with a license of each: acme's at cfg.LicensePath, beta's in
// the returned other path.
func twoIssuers(t *testing.T) (a, b *vendor, cfg sdk.Config, licA, licB *token.License, pathB string) {
	a, b = newVendor(t, "vendor"), newVendor(t, "beta")
	ks, err := verify.NewKeySet(
		verify.Key{PublicKey: a.priv.Public().(ed25519.PublicKey), Issuer: "acme"},
		verify.Key{PublicKey: b.priv.Public().(ed25519.PublicKey), Issuer: "beta"},
	)
	if err != nil {
		t.Fatal(err)
	}
	cfg = a.config()
	cfg.TrustedKeys, cfg.KeySet = nil, ks
	cfg.StatePath = a.path("state.json")
	cfg.RevocationsPath = a.path("revoked.pem")
	licA = a.license(nil)
	licB = b.license(func(l *token.License) { l.Issuer = "beta"; l.ID[1] = 0xbb })
	write(t, cfg.LicensePath, a.mint(licA))
	pathB = a.path("beta.lic")
	write(t, pathB, b.mint(licB))
	return a, b, cfg, licA, licB, pathB
}

// TestRevocationsPerIssuer: a list applies to its own issuer's licenses
// only; one file may hold one list per issuer; an issuer whose list was
// seen cannot lose it to another issuer's list (issue 9, item 8).
func TestRevocationsPerIssuer(t *testing.T) {
	t.Run("another issuer's list does not revoke", func(t *testing.T) {
		_, b, cfg, licA, _, _ := twoIssuers(t)
		write(t, cfg.RevocationsPath, listOf(t, b, "beta", 1, t0.Add(-time.Hour), false, licA.ID))
		if lic, err := sdk.Load(cfg); err != nil || !lic.Allows("api:read") {
			t.Fatalf("beta's list naming acme's license: %v", err)
		}
	})
	t.Run("one list per issuer in one file", func(t *testing.T) {
		for _, text := range []bool{false, true} {
			a, b, cfg, licA, licB, pathB := twoIssuers(t)
			both := append(listOf(t, a, "acme", 3, t0.Add(-time.Hour), text),
				append([]byte("\n\n"), listOf(t, b, "beta", 7, t0.Add(-time.Hour), text, licB.ID)...)...)
			write(t, cfg.RevocationsPath, both)
			if _, err := sdk.Load(cfg); err != nil {
				t.Fatalf("text=%v: acme's license under both lists: %v", text, err)
			}
			st := readStateFile(t, cfg.StatePath)
			if st.Seq["acme"] != 3 || st.Seq["beta"] != 7 {
				t.Errorf("text=%v: seqs %v", text, st.Seq)
			}
			cfgB := cfg
			cfgB.LicensePath = pathB
			if _, lerr := loadErr[*sdk.LoadError](t, cfgB); lerr.Code() != "revoked" {
				t.Errorf("text=%v: beta's license under beta's list: %v", text, lerr)
			}
			// acme's list names acme's license: revoked. beta's list no
			// longer names beta's license: it stays revoked all the same
			// (revocation is monotonic), and the drop is reported.
			write(t, cfg.RevocationsPath, append(listOf(t, a, "acme", 4, t0, text, licA.ID), listOf(t, b, "beta", 8, t0, text)...))
			licAcme, lerr := loadErr[*sdk.LoadError](t, cfg)
			if lerr.Code() != "revoked" {
				t.Errorf("text=%v: acme's license under acme's list: %v", text, lerr)
			}
			if ws := strings.Join(licAcme.Status().Warnings, "\n"); !strings.Contains(ws, `of "beta" (seq 8) drops 1 revoked entries (cti:01bb`) {
				t.Errorf("text=%v: warnings %q do not report beta's dropped entry", text, ws)
			}
			if _, lerr := loadErr[*sdk.LoadError](t, cfgB); lerr.Code() != "revoked" {
				t.Errorf("text=%v: beta's license dropped from beta's list: %v", text, lerr)
			}
		}
	})
	// Both directions: the file now holds only the other issuer's list.
	for _, tt := range []struct{ seen, now string }{{"acme", "beta"}, {"beta", "acme"}} {
		t.Run("list of "+tt.seen+" replaced by "+tt.now+"'s", func(t *testing.T) {
			a, b, cfg, _, _, _ := twoIssuers(t)
			signer := map[string]*vendor{"acme": a, "beta": b}
			write(t, cfg.RevocationsPath, listOf(t, signer[tt.seen], tt.seen, 5, t0.Add(-time.Hour), false))
			lic := mustLoad(t, cfg)
			write(t, cfg.RevocationsPath, listOf(t, signer[tt.now], tt.now, 9, t0, false))
			// While running: refused, the previous list stays.
			err := lic.Reload()
			var le *sdk.ListRollbackError
			if !errors.As(err, &le) || !le.Missing || le.Issuer != tt.seen || le.Seen != 5 {
				t.Fatalf("Reload: %v, want a missing list of %s", err, tt.seen)
			}
			if !strings.Contains(le.Error(), `the list of "`+tt.seen+`" is missing`) {
				t.Errorf("message %q", le)
			}
			// At the next start: nothing allowed until it is put right.
			lic2, le2 := loadErr[*sdk.ListRollbackError](t, cfg)
			if !le2.Missing || le2.Issuer != tt.seen || lic2.Allows("api:read") {
				t.Errorf("Load: %+v", le2)
			}
			if got := readStateFile(t, cfg.StatePath).Seq[tt.now]; got != 0 {
				t.Errorf("the refused list's seq %d was recorded", got)
			}
			// Both lists: fine again.
			write(t, cfg.RevocationsPath, append(listOf(t, signer[tt.seen], tt.seen, 5, t0, false), listOf(t, signer[tt.now], tt.now, 9, t0, false)...))
			if err := lic2.Reload(); err != nil || !lic2.Allows("api:read") {
				t.Errorf("both lists: %v", err)
			}
		})
	}
	t.Run("file hazards", func(t *testing.T) {
		a, b, cfg, _, _, _ := twoIssuers(t)
		one := listOf(t, a, "acme", 1, t0.Add(-time.Hour), false)
		other := listOf(t, b, "beta", 1, t0.Add(-time.Hour), false)
		for name, tc := range map[string]struct {
			data []byte
			want string
		}{
			"two lists of one issuer": {append(bytes.Clone(one), listOf(t, a, "acme", 2, t0.Add(-time.Hour), false)...), `two revocation lists of issuer "acme"`},
			"junk between blocks":     {append(append(bytes.Clone(one), "junk\n"...), other...), "data after PEM block 1 is not another PEM block"},
			"second list forged":      {append(bytes.Clone(one), listOf(t, newVendor(t, "mallory"), "beta", 1, t0, false)...), "list 2 of 2: "},
			"empty file":              {[]byte("\n"), "the file is empty"},
		} {
			os.Remove(cfg.StatePath)
			write(t, cfg.RevocationsPath, tc.data)
			_, re := loadErr[*sdk.RevocationsError](t, cfg)
			if !strings.Contains(re.Error(), tc.want) {
				t.Errorf("%s: %v, want %q", name, re, tc.want)
			}
		}
	})
}

// TestFutureRevocationList: a list issued after the clock (beyond the
// leeway) is refused with a message about the clock, and never raises the
// high-water mark: once a good list is back, or the clock reaches the
// list, all is well (issue 9, item 9).
func TestFutureRevocationList(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	cfg.StatePath = v.path("state.json")
	cfg.RevocationsPath = v.path("revoked.pem")
	write(t, cfg.LicensePath, v.mint(v.license(nil)))
	future := t0.Add(30 * 24 * time.Hour)

	// At start: refused, nothing allowed, the mark stays at now.
	write(t, cfg.RevocationsPath, v.revocations(2, future))
	lic, re := loadErr[*sdk.RevocationsError](t, cfg)
	if !strings.Contains(re.Error(), "after this machine's clock") || !strings.Contains(re.Error(), "check the clock") {
		t.Errorf("message %q does not speak of the clock", re)
	}
	if lic.Allows("api:read") || sdk.CodeOf(re) != sdk.CodeRevocationsInvalid {
		t.Error("a future list at start allows")
	}
	if hw := readStateFile(t, cfg.StatePath).HighWater; hw != t0.Unix() {
		t.Errorf("high water %d, want now (%d): a future list raised it", hw, t0.Unix())
	}
	// A good list in its place: the product works, no rollback.
	write(t, cfg.RevocationsPath, v.revocations(1, t0.Add(-time.Hour)))
	if err := lic.Reload(); err != nil || !lic.Allows("api:read") {
		t.Fatalf("good list after a future one: %v", err)
	}

	// While running: the future list is refused, the good one stays.
	write(t, cfg.RevocationsPath, v.revocations(2, future))
	if err := lic.Reload(); !errors.As(err, &re) || !lic.Allows("api:read") {
		t.Fatalf("future list while running: %v", err)
	}
	if hw := readStateFile(t, cfg.StatePath).HighWater; hw > t0.Unix() {
		t.Errorf("high water %d raised by a refused list", hw)
	}
	if st := readStateFile(t, cfg.StatePath); st.Seq["acme"] != 1 {
		t.Errorf("seq %d recorded from a refused list", st.Seq["acme"])
	}
	// Within the leeway it is taken; the clock reaching the list too,
	// without the file changing.
	v.clock.Set(future.Add(-verify.DefaultLeeway))
	if err := lic.Reload(); err != nil || !lic.Allows("api:read") {
		t.Fatalf("list within the leeway: %v", err)
	}
	if st := readStateFile(t, cfg.StatePath); st.Seq["acme"] != 2 {
		t.Errorf("seq %d after the list became good", st.Seq["acme"])
	}
}

package issue_test

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// recordRaw appends tokens signed by k to l, as mint would.
func recordRaw(t *testing.T, l *ledger.Ledger, k *keys.PrivateKey, raws ...[]byte) []*ledger.Entry {
	t.Helper()
	cs, err := ledger.NewCheckpointSigner(k.Signer())
	if err != nil {
		t.Fatal(err)
	}
	var recs []ledger.Record
	for _, raw := range raws {
		recs = append(recs, ledger.Record{Raw: raw, PublicKey: k.Public().Key})
	}
	es, err := l.Append(context.Background(), cs, recs...)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func idOf(t *testing.T, raw []byte) []byte {
	t.Helper()
	u, err := token.ParseUnverified(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.License.ID
}

// TestRevokeExtendsTheLedgersList (issue 17 item 1): each list is the
// newest recorded one plus the change, seq + 1; only Unrevoke drops an
// entry; a license minted under a grant is revoked under it, also when
// asked by its plain id.
func TestRevokeExtendsTheLedgersList(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			l := openLedger(t, b.open(t))
			vendor, partner := testKey(t, "acme"), testKey(t, "globex")
			is := newIssuer(vendor, l, nil)
			a, c := mintLicense(t, vendor, "a", 30, nil), mintLicense(t, vendor, "c", 30, nil)
			grant := mintGrant(t, vendor, partner)
			p := mintLicense(t, partner, "p", 30, grant)
			recordRaw(t, l, vendor, a, c, grant)
			recordRaw(t, l, partner, p)
			u, _ := token.ParseUnverified(grant)
			gid := u.Grant.ID

			revoke := func(file string, req *issue.RevokeRequest) *issue.RevokeResult {
				t.Helper()
				req.NextUpdate, req.Out = t0.Add(30*24*time.Hour), rawOut(filepath.Join(dir, file))
				res, err := is.Revoke(ctx, req)
				if err != nil {
					t.Fatalf("Revoke: %v", err)
				}
				return res
			}
			r1 := revoke("1", &issue.RevokeRequest{Revoke: []issue.ListEntry{{ID: idOf(t, a)}}})
			if r1.Base != nil || r1.List.Seq != 1 {
				t.Fatalf("first list: base %v, seq %d", r1.Base, r1.List.Seq)
			}
			// p asked by its plain id: revoked under its grant.
			r2 := revoke("2", &issue.RevokeRequest{Revoke: []issue.ListEntry{{ID: idOf(t, p)}}})
			if r2.List.Seq != 2 || r2.Kept != 1 || !reflect.DeepEqual(r2.List.IDs, [][]byte{idOf(t, a)}) {
				t.Fatalf("second list: seq %d, kept %d, ids %x", r2.List.Seq, r2.Kept, r2.List.IDs)
			}
			if want := []token.GrantIDs{{Grant: gid, IDs: [][]byte{idOf(t, p)}}}; !reflect.DeepEqual(r2.List.Granted, want) {
				t.Fatalf("second list gcti %x, want %x", r2.List.Granted, want)
			}
			if len(r2.Scoped) != 1 || r2.Scoped[0].Subject != "p" {
				t.Fatalf("Scoped %v, want p's entry", r2.Scoped)
			}
			r3 := revoke("3", &issue.RevokeRequest{Revoke: []issue.ListEntry{{ID: idOf(t, c)}}, Unrevoke: []issue.ListEntry{{ID: idOf(t, a)}}})
			if r3.List.Seq != 3 || r3.Kept != 1 || !reflect.DeepEqual(r3.List.IDs, [][]byte{idOf(t, c)}) || len(r3.List.Granted) != 1 {
				t.Fatalf("third list: seq %d, kept %d, ids %x, gcti %x", r3.List.Seq, r3.Kept, r3.List.IDs, r3.List.Granted)
			}
			if len(r3.Dropped) != 1 || !bytes.Equal(r3.Dropped[0].ID, idOf(t, a)) {
				t.Fatalf("Dropped %v", r3.Dropped)
			}
			// The recorded list is the one written, and the next extends it.
			data, err := os.ReadFile(filepath.Join(dir, "3"))
			if err != nil || !bytes.Equal(data, r3.Entry.Raw) {
				t.Fatalf("written %x, recorded %x (%v)", data, r3.Entry.Raw, err)
			}
			newest, err := issue.NewestList(ctx, l, "acme")
			if err != nil || newest.Entry.ID != r3.Entry.ID {
				t.Fatalf("NewestList: %v %v, want %s", newest, err, r3.Entry.ID)
			}
		})
	}
}

// TestRevokeRefuses: nothing is signed for an unrevoke that is not on the
// list or also revoked, for an output holding a newer list of the issuer,
// for a --from list that the ledger does not hold, and with the new key
// of a current rotation.
func TestRevokeRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLedger(t, filepath.Join(dir, "licet.db"))
	vendor := testKey(t, "acme")
	is := newIssuer(vendor, l, nil)
	a := mintLicense(t, vendor, "a", 30, nil)
	recordRaw(t, l, vendor, a)
	next := t0.Add(24 * time.Hour)
	first, err := is.Revoke(ctx, &issue.RevokeRequest{Revoke: []issue.ListEntry{{ID: idOf(t, a)}}, NextUpdate: next, Out: rawOut(filepath.Join(dir, "first"))})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := token.SignRevocations(vendor.Signer(), &token.Revocations{Issuer: "acme", IssuedAt: t0, NextUpdate: next, Seq: 9})
	if err != nil {
		t.Fatal(err)
	}
	other, err := token.SignRevocations(testKey(t, "beta").Signer(), &token.Revocations{Issuer: "beta", IssuedAt: t0, NextUpdate: next, Seq: 9})
	if err != nil {
		t.Fatal(err)
	}
	var pe *issue.ProblemsError
	var ne *issue.NewerListError
	var fe *issue.FromError
	for name, tc := range map[string]struct {
		req   issue.RevokeRequest
		check func(error) bool
	}{
		"unrevoke not on the list": {issue.RevokeRequest{Unrevoke: []issue.ListEntry{{ID: bytes.Repeat([]byte{7}, 16), AnyGrant: true}}},
			func(err error) bool {
				return errors.As(err, &pe) && strings.Contains(pe.Problems[0], "is not on the list")
			}},
		"revoke and unrevoke": {issue.RevokeRequest{Revoke: []issue.ListEntry{{KeyID: vendor.KeyID()}}, Unrevoke: []issue.ListEntry{{KeyID: vendor.KeyID()}}},
			func(err error) bool {
				return errors.As(err, &pe) && strings.Contains(pe.Problems[0], "both revoked and unrevoked")
			}},
		"newer list in the output": {issue.RevokeRequest{Replacing: foreign},
			func(err error) bool { return errors.As(err, &ne) && ne.Seq == 9 && ne.BaseSeq == 1 }},
		"from not in the ledger": {issue.RevokeRequest{From: foreign},
			func(err error) bool {
				return errors.As(err, &fe) && strings.Contains(err.Error(), "newer than the ledger's newest")
			}},
		"from of another issuer": {issue.RevokeRequest{From: other},
			func(err error) bool { return errors.As(err, &fe) }},
	} {
		t.Run(name, func(t *testing.T) {
			req := tc.req
			req.NextUpdate, req.Out = next, rawOut(filepath.Join(dir, "out-"+name))
			req.Out.Replace = true
			_, err := is.Revoke(ctx, &req)
			if !tc.check(err) {
				t.Fatalf("Revoke: %v", err)
			}
			if _, err := os.Stat(req.Out.File); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s written: %v", req.Out.File, err)
			}
		})
	}
	// An older list, or another issuer's, is replaced.
	if _, err := is.Revoke(ctx, &issue.RevokeRequest{Replacing: first.Entry.Raw, NextUpdate: next, Out: issue.Out{File: filepath.Join(dir, "first"), Replace: true,
		Encode: func(e *ledger.Entry) ([]byte, error) { return e.Raw, nil }}}); err != nil {
		t.Fatalf("replacing the ledger's own list: %v", err)
	}
	if _, err := is.Revoke(ctx, &issue.RevokeRequest{Replacing: other, NextUpdate: next, Out: rawOut(filepath.Join(dir, "beta"))}); err != nil {
		t.Fatalf("replacing another issuer's list: %v", err)
	}

	// The new key of a current rotation does not sign lists.
	newKey := testKey(t, "acme2")
	newKey.Issuer = "acme"
	g := &token.Grant{Subject: "acme", Key: newKey.Public().Key, Audience: []string{"acme-db"}, Tiers: []string{"*"}, Scopes: []string{"*"}, Expiry: t0.Add(100 * 24 * time.Hour)}
	if _, err := is.Grant(ctx, g, rawOut(filepath.Join(dir, "rotation.grant"))); err != nil {
		t.Fatal(err)
	}
	var re *issue.RotatedSignerError
	_, err = newIssuer(newKey, l, nil).Revoke(ctx, &issue.RevokeRequest{NextUpdate: next, Out: rawOut(filepath.Join(dir, "new"))})
	if !errors.As(err, &re) || re.Signer.KID != hexKID(vendor.Public().Key) {
		t.Fatalf("Revoke with the new key of a rotation: %v", err)
	}
	// The previous key does, extending the same list.
	res, err := is.Revoke(ctx, &issue.RevokeRequest{NextUpdate: next, Out: rawOut(filepath.Join(dir, "old"))})
	if err != nil || res.List.Seq != 4 {
		t.Fatalf("Revoke with the previous key: %v, seq %v", err, res)
	}
}

// TestEntryFor: the entry that revokes a ledger entry or a token names a
// partner's license with its grant.
func TestEntryFor(t *testing.T) {
	l := openLedger(t, filepath.Join(t.TempDir(), "licet.db"))
	vendor, partner := testKey(t, "acme"), testKey(t, "globex")
	grant := mintGrant(t, vendor, partner)
	p, d := mintLicense(t, partner, "p", 30, grant), mintLicense(t, vendor, "d", 30, nil)
	es := append(recordRaw(t, l, vendor, grant, d), recordRaw(t, l, partner, p)...)
	u, _ := token.ParseUnverified(grant)
	for i, want := range []issue.ListEntry{{ID: u.Grant.ID}, {ID: idOf(t, d)}, {Grant: u.Grant.ID, ID: idOf(t, p)}} {
		got, err := issue.EntryFor(es[i])
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("EntryFor(%s %s) = %v, %v; want %v", es[i].Kind, es[i].Subject, got, err, want)
		}
		got, err = issue.EntryForToken(es[i].Raw)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("EntryForToken(%s %s) = %v, %v; want %v", es[i].Kind, es[i].Subject, got, err, want)
		}
	}
}

// TestRevokeConcurrent: a list recorded by another revoke between this
// one's planning and recording is extended, not forked: this revoke plans
// again, and its list holds both changes with the next seq.
func TestRevokeConcurrent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLedger(t, filepath.Join(dir, "licet.db"))
	vendor := testKey(t, "acme")
	a, b := mintLicense(t, vendor, "a", 30, nil), mintLicense(t, vendor, "b", 30, nil)
	recordRaw(t, l, vendor, a, b)
	next := t0.Add(24 * time.Hour)
	is := newIssuer(vendor, l, nil)
	unlock := is.Unlock
	is.Unlock = func() (crypto.Signer, error) {
		// Another issuer records a list after this one planned its own.
		other := newIssuer(vendor, l, nil)
		if _, err := other.Revoke(ctx, &issue.RevokeRequest{Revoke: []issue.ListEntry{{ID: idOf(t, a)}}, NextUpdate: next, Out: rawOut(filepath.Join(dir, "other"))}); err != nil {
			t.Errorf("the other revoke: %v", err)
		}
		return unlock()
	}
	res, err := is.Revoke(ctx, &issue.RevokeRequest{Revoke: []issue.ListEntry{{ID: idOf(t, b)}}, NextUpdate: next, Out: rawOut(filepath.Join(dir, "this"))})
	if err != nil {
		t.Fatal(err)
	}
	if res.List.Seq != 2 || len(res.List.IDs) != 2 || res.Base == nil || res.Base.Seq != 1 {
		t.Fatalf("seq %d, ids %x, base %v: want seq 2 with both ids, extending seq 1", res.List.Seq, res.List.IDs, res.Base)
	}
}

package ledger_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// signLicense signs a license with every field a state test varies.
func signLicense(t *testing.T, k *keys.PrivateKey, l token.License, grant []byte) []byte {
	t.Helper()
	if l.ID == nil {
		l.ID, _ = token.NewID(nil)
	}
	l.Issuer, l.IssuedAt = k.Issuer, t0
	if l.Audience == nil {
		l.Audience = []string{"acme-db"}
	}
	if l.Tier == "" {
		l.Tier = "pro"
	}
	raw, err := token.SignLicense(k.Signer(), &l, grant)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestStates: a license's state in the ledger (issue 17 item 4): issued,
// written, bound, renewed (by and from), revoked (by the newest recorded
// list of its issuer, which names it by id, under its grant (gcti), by its
// grant or by key) and expired; List filters by order, metadata, part of
// the subject, and leaves out revoked ones.
func TestStates(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testStates(t, b.open(t)) })
	}
}

func testStates(t *testing.T, location string) {
	ctx := context.Background()
	l := openLedger(t, location)
	vendor, globex, initech := testKey(t, "acme"), testKey(t, "globex"), testKey(t, "initech")
	now := t0.Add(20 * 24 * time.Hour)
	exp := t0.Add(365 * 24 * time.Hour)
	gGlobex, gInitech := mintGrant(t, vendor, globex), mintGrant(t, vendor, initech)
	sameID, _ := token.NewID(nil)

	written := signLicense(t, vendor, token.License{Subject: "Customer-Written", Expiry: exp, Meta: map[string]string{"crm": "42", "region": "eu"},
		Scopes: []string{"api:read"}, Limits: map[string]uint64{"seats": 10}, Rights: []string{"embed"}}, nil)
	unwritten := signLicense(t, vendor, token.License{Subject: "customer-unwritten", Expiry: exp, Meta: map[string]string{"crm": "43"}}, nil)
	bound := signLicense(t, vendor, token.License{Subject: "customer-bound", Expiry: exp, Bind: map[string]string{"machine": "m-1"}}, nil)
	old := signLicense(t, vendor, token.License{Subject: "customer-renewing", Expiry: t0.Add(30 * 24 * time.Hour)}, nil)
	renewal := signLicense(t, vendor, token.License{Subject: "customer-renewing", Expiry: exp}, nil)
	expired := signLicense(t, vendor, token.License{Subject: "customer-expired", Expiry: t0.Add(10 * 24 * time.Hour)}, nil)
	byKey := signLicense(t, initech, token.License{Subject: "customer-initech-other"}, gInitech)
	pGlobex := signLicense(t, globex, token.License{Subject: "customer-globex", Expiry: exp, ID: sameID}, gGlobex)
	// Ids are unique per grant: while the ledger still refuses a repeated
	// id, initech's license has another id, and a plain id entry naming it
	// shows that only gcti revokes a license minted under a grant.
	pInitech := signLicense(t, initech, token.License{Subject: "customer-initech", Expiry: exp}, gInitech)
	vkey := vendor.Public().Key
	mustAppend(t, l, vendor,
		ledger.Record{Raw: gGlobex, PublicKey: vkey, Written: true}, ledger.Record{Raw: gInitech, Written: true},
		ledger.Record{Raw: written, OrderRef: "PO-W", Written: true, File: "w.lic"},
		ledger.Record{Raw: unwritten, OrderRef: "PO-U"},
		ledger.Record{Raw: bound, Written: true},
		ledger.Record{Raw: old, Written: true},
		ledger.Record{Raw: renewal, RenewedFrom: idOf(t, old), Written: true},
		ledger.Record{Raw: expired, Written: true})
	mustAppend(t, l, globex, ledger.Record{Raw: pGlobex, Written: true})
	mustAppend(t, l, initech, ledger.Record{Raw: pInitech, Written: true}, ledger.Record{Raw: byKey, Written: true})

	// The newest list (seq 2, recorded first) revokes the written license
	// by id and globex's license under its grant (gcti); an older one
	// (seq 1, recorded later) revoked the bound one, which seq 2 dropped.
	// The plain id of initech's license, and globex's id under initech's
	// grant, revoke nothing: initech's license is under its grant.
	seq2, err := token.SignRevocations(vendor.Signer(), &token.Revocations{Issuer: "acme", IssuedAt: t0, NextUpdate: exp, Seq: 2,
		IDs:     [][]byte{hexBytes(t, idOf(t, written)), hexBytes(t, idOf(t, pInitech))},
		Granted: []token.GrantIDs{{Grant: hexBytes(t, idOf(t, gGlobex)), IDs: [][]byte{sameID}}, {Grant: hexBytes(t, idOf(t, gInitech)), IDs: [][]byte{sameID}}}})
	if err != nil {
		t.Fatal(err)
	}
	seq1, err := token.SignRevocations(vendor.Signer(), &token.Revocations{Issuer: "acme", IssuedAt: t0, NextUpdate: exp, Seq: 1,
		IDs: [][]byte{hexBytes(t, idOf(t, bound))}})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, vendor, ledger.Record{Raw: seq2, Written: true})
	mustAppend(t, l, vendor, ledger.Record{Raw: seq1, Written: true})

	list, err := l.List(ctx, ledger.Filter{States: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*ledger.Entry{}
	for _, e := range list {
		got[e.Subject] = e
		if e.Kind == ledger.KindRevocations && e.State != nil {
			t.Errorf("a revocation list has a state: %+v", e.State)
		}
	}
	cases := []struct {
		sub, name string
		revokedBy string
	}{
		{"Customer-Written", "revoked", "id"},
		{"customer-unwritten", "issued", ""},
		{"customer-bound", "bound", ""},
		{"customer-expired", "expired", ""},
		{"customer-globex", "revoked", "grant id"},
		{"customer-initech", "written", ""},
		{"globex", "written", ""},
	}
	for _, c := range cases {
		e := got[c.sub]
		if e == nil || e.State == nil {
			t.Fatalf("%s: no entry or no state", c.sub)
		}
		if e.State.Name() != c.name {
			t.Errorf("%s: state %q, want %q (%+v)", c.sub, e.State.Name(), c.name, e.State)
		}
		switch r := e.State.Revoked; {
		case c.revokedBy == "" && r != nil:
			t.Errorf("%s: revoked by %+v", c.sub, r)
		case c.revokedBy != "" && (r == nil || r.By != c.revokedBy || r.Seq != 2 || r.List != idOf(t, seq2) || r.Issuer != "acme"):
			t.Errorf("%s: revoked %+v, want by %s in list seq 2 %s", c.sub, r, c.revokedBy, idOf(t, seq2))
		}
	}
	if e := got["customer-expired"]; !e.State.Expired || !e.State.Written {
		t.Errorf("expired: %+v", e.State)
	}
	// Renewed, by and from: the old license is renewed by the new one.
	var oldE, newE *ledger.Entry
	for _, e := range list {
		if e.Subject == "customer-renewing" && e.ID == idOf(t, old) {
			oldE = e
		} else if e.Subject == "customer-renewing" {
			newE = e
		}
	}
	if oldE.State.Name() != "renewed" || !slices.Equal(oldE.State.RenewedBy, []string{newE.ID}) || newE.State.RenewedFrom != oldE.ID || newE.State.Name() != "written" {
		t.Errorf("renewal: old %+v, new %+v", oldE.State, newE.State)
	}
	if tm, err := got["Customer-Written"].Terms(); err != nil || tm.Limits["seats"] != 10 || tm.Scopes[0] != "api:read" || tm.Rights[0] != "embed" || tm.Meta["region"] != "eu" {
		t.Errorf("Terms = %+v, %v", tm, err)
	}

	// A grant revoked in the newest list revokes the licenses under it; a
	// key revoked revokes what it signed.
	seq3, _ := token.SignRevocations(vendor.Signer(), &token.Revocations{Issuer: "acme", IssuedAt: t0, NextUpdate: exp, Seq: 3,
		IDs: [][]byte{hexBytes(t, idOf(t, gInitech))}, KeyIDs: [][]byte{token.KeyID(globex.Public().Key)}})
	mustAppend(t, l, vendor, ledger.Record{Raw: seq3, Written: true})
	e1, _ := l.Get(ctx, idOf(t, byKey))
	e2, _ := l.Get(ctx, idOf(t, pGlobex))
	e3, _ := l.Get(ctx, idOf(t, written))
	if err := l.States(ctx, now, e1, e2, e3); err != nil {
		t.Fatal(err)
	}
	if r := e1.State.Revoked; r == nil || r.By != "grant" || r.Seq != 3 {
		t.Errorf("a license under a revoked grant: %+v", r)
	}
	if r := e2.State.Revoked; r == nil || r.By != "key" || r.Seq != 3 {
		t.Errorf("a license signed by a revoked key: %+v", r)
	}
	if e3.State.Revoked != nil {
		t.Errorf("seq 3 dropped the written license, yet it is revoked: %+v", e3.State.Revoked)
	}

	filters := []struct {
		name string
		f    ledger.Filter
		want []string
	}{
		{"by order", ledger.Filter{OrderRef: "PO-U"}, []string{"customer-unwritten"}},
		{"by meta", ledger.Filter{Meta: map[string]string{"crm": "42"}}, []string{"Customer-Written"}},
		{"by two meta", ledger.Filter{Meta: map[string]string{"crm": "42", "region": "us"}}, nil},
		{"by part of the subject, any case", ledger.Filter{SubjectContains: "CUSTOMER-INITECH", Kind: ledger.KindLicense}, []string{"customer-initech", "customer-initech-other"}},
		{"not revoked", ledger.Filter{Kind: ledger.KindLicense, NotRevoked: true, Now: now},
			[]string{"Customer-Written", "customer-unwritten", "customer-bound", "customer-renewing", "customer-renewing", "customer-expired"}},
		{"limit after the filters in Go", ledger.Filter{Kind: ledger.KindLicense, NotRevoked: true, Limit: 1}, []string{"Customer-Written"}},
	}
	for _, f := range filters {
		list, err := l.List(ctx, f.f)
		if err != nil {
			t.Fatal(err)
		}
		var subs []string
		for _, e := range list {
			subs = append(subs, e.Subject)
		}
		if !slices.Equal(subs, f.want) {
			t.Errorf("List %s = %q, want %q", f.name, subs, f.want)
		}
	}
}

// TestStatesOfMany: States of more entries than one query takes (the
// renewals are read per chunk of ids): a renewal of a license in the
// second chunk, two renewals of one in the first (in recording order),
// and a revocation by the newest list are all seen.
func TestStatesOfMany(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			l := openLedger(t, b.open(t))
			vendor := testKey(t, "acme")
			exp := t0.Add(365 * 24 * time.Hour)
			var recs []ledger.Record
			for i := range 450 {
				recs = append(recs, ledger.Record{Raw: signLicense(t, vendor, token.License{Subject: "c" + itoa(i), Expiry: exp}, nil), Written: true})
			}
			recs[0].PublicKey = vendor.Public().Key
			es := mustAppend(t, l, vendor, recs...)
			r1 := signLicense(t, vendor, token.License{Subject: "c3", Expiry: exp}, nil)
			r2 := signLicense(t, vendor, token.License{Subject: "c3", Expiry: exp}, nil)
			r3 := signLicense(t, vendor, token.License{Subject: "c449", Expiry: exp}, nil)
			mustAppend(t, l, vendor, ledger.Record{Raw: r1, RenewedFrom: es[3].ID}, ledger.Record{Raw: r2, RenewedFrom: es[3].ID},
				ledger.Record{Raw: r3, RenewedFrom: es[449].ID})
			list, err := token.SignRevocations(vendor.Signer(), &token.Revocations{Issuer: "acme", IssuedAt: t0, NextUpdate: exp, Seq: 1,
				IDs: [][]byte{hexBytes(t, es[7].ID)}})
			if err != nil {
				t.Fatal(err)
			}
			mustAppend(t, l, vendor, ledger.Record{Raw: list})
			if err := l.States(ctx, t0, es...); err != nil {
				t.Fatal(err)
			}
			if got := es[3].State.RenewedBy; !slices.Equal(got, []string{idOf(t, r1), idOf(t, r2)}) {
				t.Errorf("c3 renewed by %v", got)
			}
			if got := es[449].State.RenewedBy; !slices.Equal(got, []string{idOf(t, r3)}) {
				t.Errorf("c449 renewed by %v", got)
			}
			if es[7].State.Revoked == nil || es[8].State.Revoked != nil || es[448].State.RenewedBy != nil {
				t.Errorf("c7 revoked %v, c8 revoked %v, c448 renewed by %v", es[7].State.Revoked, es[8].State.Revoked, es[448].State.RenewedBy)
			}
		})
	}
}

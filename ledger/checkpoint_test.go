package ledger_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/tlog"
)

// memTree is an in-memory RFC 6962 tree, as a partner's ledger would hold.
type memTree struct{ hashes []tlog.Hash }

func (m *memTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = m.hashes[x]
	}
	return out, nil
}

// rootOf returns the root of the tree whose leaves are raws.
func rootOf(t testing.TB, raws ...[]byte) tlog.Hash {
	t.Helper()
	m := &memTree{}
	for i, r := range raws {
		hs, err := tlog.StoredHashes(int64(i), r, m)
		if err != nil {
			t.Fatal(err)
		}
		m.hashes = append(m.hashes, hs...)
	}
	h, err := tlog.TreeHash(int64(len(raws)), m)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestAppendCheckpoint mirrors a partner's log on every backend: entries
// are appended only when they make up the signed tree, after exactly the
// entries stored, all or none.
func TestAppendCheckpoint(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testAppendCheckpoint(t, b.open(t)) })
	}
}

func testAppendCheckpoint(t *testing.T, location string) {
	ctx := context.Background()
	l := openLedger(t, location)
	vendor, partner, other := testKey(t, "acme"), testKey(t, "globex"), testKey(t, "initech")
	grant := mintGrant(t, vendor, partner)
	kid := hexOf(token.KeyID(partner.Public().Key))
	var lics [][]byte
	for _, sub := range []string{"c1", "c2", "c3", "c4", "c5"} {
		lics = append(lics, mintLicense(t, partner, licenseSpec{sub: sub, tier: "pro", days: 30}, grant))
	}
	recs := func(raws ...[]byte) []ledger.Record {
		var out []ledger.Record
		for _, r := range raws {
			out = append(out, ledger.Record{Raw: r, PublicKey: partner.Public().Key, Written: true})
		}
		return out
	}
	notes := map[int][]byte{}
	cp := func(n int) *ledger.StoredCheckpoint {
		root := rootOf(t, lics[:n]...)
		if notes[n] == nil {
			note, err := checkpoint.Sign(&checkpoint.Checkpoint{Origin: checkpoint.Origin(kid), Size: int64(n), Root: root}, signerOf(t, partner))
			if err != nil {
				t.Fatal(err)
			}
			notes[n] = note
		}
		return &ledger.StoredCheckpoint{KID: kid, Size: int64(n), Root: root, Note: notes[n], GrantID: "g", Source: "r" + itoa(n)}
	}
	head := func() tlog.Tree {
		th, err := l.TreeHead(ctx, kid)
		if err != nil {
			t.Fatal(err)
		}
		return th
	}

	// Reordered entries: the root differs, nothing is stored.
	_, err := l.AppendCheckpoint(ctx, 0, cp(3), recs(lics[1], lics[0], lics[2])...)
	var rm *ledger.RootMismatchError
	if !errors.As(err, &rm) || rm.Want != cp(3).Root || rm.Size != 3 {
		t.Fatalf("reordered: err = %v, want a RootMismatchError", err)
	}
	if head().N != 0 {
		t.Fatalf("reordered entries were stored: %d", head().N)
	}
	if _, err := l.Get(ctx, idOf(t, lics[0])); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("an entry of the refused append is stored: %v", err)
	}

	// The first three, then the next two.
	es, err := l.AppendCheckpoint(ctx, 0, cp(3), recs(lics[:3]...)...)
	if err != nil || len(es) != 3 || es[2].Index != 2 || es[0].Partner != "globex" {
		t.Fatalf("AppendCheckpoint = %v, %v", es, err)
	}
	if h := head(); h.N != 3 || h.Hash != cp(3).Root {
		t.Fatalf("head = %v", h)
	}
	// A second append that starts elsewhere than the stored size.
	var se *ledger.StartError
	if _, err := l.AppendCheckpoint(ctx, 2, cp(5), recs(lics[2:]...)...); err == nil {
		t.Fatal("a count that does not add up was accepted")
	}
	if _, err := l.AppendCheckpoint(ctx, 4, cp(5), recs(lics[4:]...)...); !errors.As(err, &se) || se.Size != 3 || se.Start != 4 {
		t.Fatalf("start 4 of 3: err = %v", err)
	}
	// A record signed by another key.
	foreign := mintLicense(t, other, licenseSpec{sub: "x", tier: "pro", days: 30}, nil)
	bad := &ledger.StoredCheckpoint{KID: kid, Size: 4, Root: rootOf(t, append(lics[:3:3], foreign)...), GrantID: "g"}
	if _, err := l.AppendCheckpoint(ctx, 3, bad, ledger.Record{Raw: foreign}); err == nil || !strings.Contains(err.Error(), "not by "+kid) {
		t.Fatalf("a foreign record: err = %v", err)
	}
	withOrder := recs(lics[3:]...)
	withOrder[0].OrderRef = "PO-1"
	if _, err := l.AppendCheckpoint(ctx, 3, cp(5), withOrder...); err == nil || !strings.Contains(err.Error(), "carries an order reference") {
		t.Fatalf("a mirrored record with an order reference: %v", err)
	}
	if _, err := l.AppendCheckpoint(ctx, 3, cp(5), recs(lics[3:]...)...); err != nil {
		t.Fatal(err)
	}
	// A checkpoint that adds nothing: stored when it matches, refused when not.
	if _, err := l.AppendCheckpoint(ctx, 5, cp(5)); err != nil {
		t.Fatalf("an empty checkpoint of the same tree: %v", err)
	}
	wrong := cp(5)
	wrong.Root[0] ^= 1
	if _, err := l.AppendCheckpoint(ctx, 5, wrong); !errors.As(err, &rm) {
		t.Fatalf("an empty checkpoint of another tree: err = %v", err)
	}
	if _, err := l.AppendCheckpoint(ctx, 4, cp(4)); !errors.As(err, &se) {
		t.Fatalf("an empty checkpoint of an older size: err = %v", err)
	}

	cps, err := l.Checkpoints(ctx, kid)
	if err != nil || len(cps) != 2 || cps[0].Size != 3 || cps[1].Size != 5 || string(cps[1].Note) != string(notes[5]) || cps[1].Source != "r5" || cps[1].Recorded.IsZero() {
		t.Fatalf("Checkpoints = %+v, %v", cps, err)
	}
	last, err := l.LastCheckpoint(ctx, kid)
	if err != nil || last.Size != 5 || last.Root != cp(5).Root {
		t.Fatalf("LastCheckpoint = %+v, %v", last, err)
	}
	if _, err := l.LastCheckpoint(ctx, "0011223344556677"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("LastCheckpoint of an unknown log: %v", err)
	}
	rep, err := l.Verify(ctx)
	if err != nil || !rep.OK() || rep.Entries != 5 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}

	// Verify notices a stored checkpoint that the entries contradict.
	db, rebind := rawDB(t, location)
	if _, err := db.Exec(rebind("UPDATE checkpoints SET root = ? WHERE size = 3"), make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	rep, err = l.Verify(ctx)
	if err != nil || rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "the stored checkpoint of 3 entries does not hold the size and root of its signed note") {
		t.Fatalf("Verify after editing a checkpoint = %+v, %v", rep, err)
	}
}

package ledger_test

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/tlog"
)

// TestRewriteWithoutKey runs the attacks of someone who can write the
// database but does not hold the key (issue 17 item 5), on every
// backend: each is reported by Verify, without the root the attacker
// would paste, and each that leaves the log inconsistent with its newest
// signed checkpoint makes the next append refuse (so the key never signs
// over it).
func TestRewriteWithoutKey(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testRewriteWithoutKey(t, b) })
	}
}

// attackWorld is a ledger of 6 licenses of one key, each appended alone,
// some with an order reference, one renewing another.
type attackWorld struct {
	location string
	l        *ledger.Ledger
	raws     [][]byte
	kept     [][]byte // the signed checkpoint after each append
}

func newAttackWorld(t *testing.T, location string) *attackWorld {
	w := &attackWorld{location: location, l: openLedger(t, location)}
	k := testKey(t, "acme")
	for i := range 6 {
		raw := mintLicense(t, k, licenseSpec{sub: "c" + itoa(i), tier: "pro", days: i + 1}, nil)
		rec := ledger.Record{Raw: raw}
		if i%2 == 0 {
			rec.OrderRef = "PO-" + itoa(i)
		}
		if i == 3 {
			rec.RenewedFrom = idOf(t, w.raws[1])
		}
		w.raws = append(w.raws, raw)
		mustAppend(t, w.l, k, rec)
		cps, err := w.l.SignedCheckpoints(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		w.kept = append(w.kept, cps[len(cps)-1].Note)
	}
	return w
}

func testRewriteWithoutKey(t *testing.T, b backend) {
	ctx := context.Background()
	k, mallory := testKey(t, "acme"), testKey(t, "mallory")
	kid := hexOf(token.KeyID(k.Public().Key))
	forged := func(raws [][]byte) []byte {
		// A license that claims the vendor's key (its kid) with
		// mallory's signature.
		raw := mintLicense(t, mallory, licenseSpec{sub: "c5", tier: "enterprise", days: 3650}, nil)
		m, err := token.ParseMessage(raw)
		if err != nil {
			t.Fatal(err)
		}
		return []byte(strings.Replace(string(raw), string(m.Header.KID), string(token.KeyID(k.Public().Key)), 1))
	}
	type stmt struct {
		q    string
		args []any
	}
	cases := []struct {
		name   string
		tamper func(w *attackWorld) []stmt
		want   string
		// refused is what the next append says; "" when it goes ahead.
		refused string
	}{
		{
			name: "delete the last entry, shrink the log, paste the root",
			tamper: func(w *attackWorld) []stmt {
				r := rootOf(t, w.raws[:5]...)
				return []stmt{{"DELETE FROM entries WHERE kid = ? AND idx = 5", []any{kid}}, {"DELETE FROM hashes WHERE kid = ? AND idx >= 8", []any{kid}},
					{"UPDATE logs SET size = 5, root = ? WHERE kid = ?", []any{r[:], kid}}}
			},
			want:    "the signed checkpoint of 6 entries is beyond the 5 entries of the log: entries were removed",
			refused: "it holds 5 entries, its newest signed checkpoint 6",
		},
		{
			name: "replace the last entry by a forged one, paste the root",
			tamper: func(w *attackWorld) []stmt {
				f := forged(w.raws)
				m := &memTree{}
				for i, r := range append(w.raws[:5:5], f) {
					hs, _ := tlog.StoredHashes(int64(i), r, m)
					m.hashes = append(m.hashes, hs...)
				}
				root := rootOf(t, append(w.raws[:5:5], f)...)
				out := []stmt{{"UPDATE entries SET raw = ? WHERE kid = ? AND idx = 5", []any{f, kid}}, {"DELETE FROM hashes WHERE kid = ? AND idx >= 8", []any{kid}}}
				for x := 8; x < len(m.hashes); x++ {
					out = append(out, stmt{"INSERT INTO hashes (kid, idx, hash) VALUES (?, ?, ?)", []any{kid, x, m.hashes[x][:]}})
				}
				return append(out, stmt{"UPDATE logs SET root = ? WHERE kid = ?", []any{root[:], kid}})
			},
			want:    "the signed checkpoint of 6 entries is not the tree of the first 6 entries",
			refused: "its stored hashes do not give the root of its newest signed checkpoint",
		},
		{
			name: "remove the public key",
			tamper: func(*attackWorld) []stmt {
				return []stmt{{"UPDATE logs SET pub = NULL WHERE kid = ?", []any{kid}}}
			},
			want: "the log has no public key: no signature of it can be checked",
		},
		{
			name: "swap in another public key",
			tamper: func(*attackWorld) []stmt {
				return []stmt{{"UPDATE logs SET pub = ? WHERE kid = ?", []any{[]byte(mallory.Public().Key), kid}}}
			},
			want:    "the log's public key is not the key " + kid,
			refused: "the stored public key of log " + kid + " has the key id",
		},
		{
			name: "clear an order reference",
			tamper: func(*attackWorld) []stmt {
				return []stmt{{"UPDATE entries SET order_ref = NULL WHERE kid = ? AND idx = 2", []any{kid}}}
			},
			want:    "the order references and renewal links of the first 6 entries are not those the signed checkpoint of 6 entries commits to",
			refused: "its order references or renewal links are not those its newest signed checkpoint commits to",
		},
		{
			name: "change an order reference",
			tamper: func(*attackWorld) []stmt {
				return []stmt{{"UPDATE entries SET order_ref = 'PO-99' WHERE kid = ? AND idx = 4", []any{kid}}}
			},
			want:    "the order references and renewal links of the first 6 entries are not those",
			refused: "its order references or renewal links are not those",
		},
		{
			name: "add an order reference",
			tamper: func(*attackWorld) []stmt {
				return []stmt{{"UPDATE entries SET order_ref = 'PO-77' WHERE kid = ? AND idx = 5", []any{kid}}}
			},
			want:    "the order references and renewal links of the first 6 entries are not those",
			refused: "its order references or renewal links are not those",
		},
		{
			name: "unlink a renewal",
			tamper: func(*attackWorld) []stmt {
				return []stmt{{"UPDATE entries SET renewed_from = '' WHERE kid = ? AND idx = 3", []any{kid}}}
			},
			want:    "the order references and renewal links of the first 4 entries are not those the signed checkpoint of 4 entries commits to",
			refused: "its order references or renewal links are not those",
		},
		{
			name: "remove every checkpoint",
			tamper: func(*attackWorld) []stmt {
				return []stmt{{"DELETE FROM checkpoints WHERE kid = ?", []any{kid}}}
			},
			want:    "the log holds 6 entries and no signed checkpoint",
			refused: "it holds 6 entries and no signed checkpoint",
		},
		{
			name: "replace the newest checkpoint by one signed with another key",
			tamper: func(w *attackWorld) []stmt {
				s, _ := checkpoint.NewSigner(checkpoint.Origin(kid), mallory.Signer())
				n, err := checkpoint.Sign(&checkpoint.Checkpoint{Origin: checkpoint.Origin(kid), Size: 6, Root: rootOf(t, w.raws...)}, s)
				if err != nil {
					t.Fatal(err)
				}
				return []stmt{{"UPDATE checkpoints SET note = ? WHERE kid = ? AND size = 6", []any{n, kid}}}
			},
			want:    "the stored checkpoint of 6 entries is not signed by the log's key",
			refused: "its newest stored checkpoint is not signed by its key",
		},
		{
			name: "insert a checkpoint of another log",
			tamper: func(w *attackWorld) []stmt {
				return []stmt{{"INSERT INTO checkpoints (kid, size, root, note, grant_id, source, recorded) VALUES ('00000000000000ff', 1, ?, ?, '', '', 0)",
					[]any{make([]byte, 32), w.kept[0]}}}
			},
			want: "1 checkpoints belong to no log",
		},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			w := newAttackWorld(t, b.open(t))
			db, rebind := rawDB(t, w.location)
			for _, s := range c.tamper(w) {
				if _, err := db.Exec(rebind(s.q), s.args...); err != nil {
					t.Fatalf("%s: %v", s.q, err)
				}
			}
			l := openLedger(t, w.location) // a fresh process: nothing remembered
			r, err := l.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			problems := strings.Join(r.Problems, "\n")
			if r.OK() || !strings.Contains(problems, c.want) {
				t.Fatalf("problems:\n%s\nwant one containing %q", problems, c.want)
			}
			noRoots(t, problems, w.raws)
			_, err = l.Append(ctx, signerOf(t, k), ledger.Record{Raw: mintLicense(t, k, licenseSpec{sub: "next", tier: "pro", days: 9}, nil)})
			switch {
			case c.refused == "" && err != nil:
				t.Errorf("the next append: %v", err)
			case c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused)):
				t.Errorf("the next append: %v, want a refusal containing %q", err, c.refused)
			case err != nil:
				noRoots(t, err.Error(), w.raws)
			}
		})
	}
}

// noRoots fails when text holds the root of a prefix of raws (base64 or
// hex): what an attacker would paste.
func noRoots(t *testing.T, text string, raws [][]byte) {
	t.Helper()
	for n := 1; n <= len(raws); n++ {
		r := rootOf(t, raws[:n]...)
		if strings.Contains(text, r.String()) || strings.Contains(text, hex.EncodeToString(r[:])) {
			t.Errorf("the message prints the root of %d entries: %s", n, text)
		}
	}
}

// TestVerifyAgainstKept: removing the newest appends together with their
// checkpoints leaves a ledger that agrees with itself; a checkpoint kept
// elsewhere before (licet ledger checkpoint) shows it, and so it does a
// rewrite of entries it covers. A kept checkpoint that is not the log's
// is refused.
func TestVerifyAgainstKept(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			w := newAttackWorld(t, b.open(t))
			kid := hexOf(token.KeyID(testKey(t, "acme").Public().Key))
			if r, err := w.l.Verify(ctx, w.kept[5], w.kept[2]); err != nil || !r.OK() || r.Kept != 2 {
				t.Fatalf("before: %+v, %v", r, err)
			}
			db, rebind := rawDB(t, w.location)
			root := rootOf(t, w.raws[:5]...)
			for _, stmt := range []struct {
				q    string
				args []any
			}{
				{"DELETE FROM entries WHERE kid = ? AND idx = 5", []any{kid}},
				{"DELETE FROM hashes WHERE kid = ? AND idx >= 8", []any{kid}},
				{"DELETE FROM checkpoints WHERE kid = ? AND size = 6", []any{kid}},
				{"UPDATE logs SET size = 5, root = ? WHERE kid = ?", []any{root[:], kid}},
			} {
				if _, err := db.Exec(rebind(stmt.q), stmt.args...); err != nil {
					t.Fatal(err)
				}
			}
			if r, err := w.l.Verify(ctx); err != nil || !r.OK() {
				t.Fatalf("the rolled back ledger agrees with itself: %+v, %v", r, err)
			}
			r, err := w.l.Verify(ctx, w.kept[5])
			if err != nil || r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), "the kept checkpoint of 6 entries is beyond the 5 entries of the log: entries were removed") {
				t.Fatalf("against the kept checkpoint of 6: %+v, %v", r, err)
			}
			if r, err := w.l.Verify(ctx, w.kept[4]); err != nil || !r.OK() {
				t.Fatalf("against the kept checkpoint of 5: %+v, %v", r, err)
			}

			// A rewrite of entries under a kept checkpoint.
			if _, err := db.Exec(rebind("UPDATE entries SET order_ref = NULL WHERE kid = ? AND idx = 0"), kid); err != nil {
				t.Fatal(err)
			}
			r, _ = w.l.Verify(ctx, w.kept[0])
			if !strings.Contains(strings.Join(r.Problems, "\n"), "the order references and renewal links of the first 1 entries are not those the kept checkpoint of 1 entries commits to") {
				t.Errorf("a kept checkpoint over an edited order: %q", r.Problems)
			}

			other := newAttackWorld(t, freshLike(t, w.location))
			mk := testKey(t, "mallory")
			ms, _ := checkpoint.NewSigner(checkpoint.Origin(kid), mk.Signer())
			fake, _ := checkpoint.Sign(&checkpoint.Checkpoint{Origin: checkpoint.Origin(kid), Size: 1, Root: rootOf(t, w.raws[0])}, ms)
			r, err = other.l.Verify(ctx, fake)
			if err != nil || r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), "kept checkpoint 1 is not signed by the log's key") {
				t.Errorf("a kept checkpoint signed by another key: %+v, %v", r, err)
			}
			r, err = other.l.Verify(ctx, []byte("licet/log/00000000000000aa\n1\n"+rootOf(t, w.raws[0]).String()+"\n\n— x AAAA\n"))
			if err != nil || !strings.Contains(strings.Join(r.Problems, "\n"), "log 00000000000000aa: a kept checkpoint is of this log, which the ledger does not hold") {
				t.Errorf("a kept checkpoint of an unknown log: %+v, %v", r, err)
			}
			if _, err := other.l.Verify(ctx, []byte("example.com/log\n1\n")); err == nil || !strings.Contains(err.Error(), "not a checkpoint of a licet log") {
				t.Errorf("a kept note of another origin: %v", err)
			}
		})
	}
}

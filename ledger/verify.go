package ledger

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
	"golang.org/x/mod/sumdb/tlog"
)

// VerifyResult is the outcome of [Ledger.Verify].
type VerifyResult struct {
	Logs     []*Log // the heads as stored
	Entries  int64  // entries checked
	Kept     int    // kept checkpoints checked (see [Ledger.Verify])
	Problems []string
}

// OK reports whether no problem was found.
func (r *VerifyResult) OK() bool { return len(r.Problems) == 0 }

// maxProblems bounds the problems reported per log: a wholesale rewrite
// would otherwise print one line per entry.
const maxProblems = 20

// Verify recomputes every log from the raw bytes of its entries and checks
// it against what its key signed. For each log:
//
//   - the log holds its key's public key, and that key has the log's kid;
//   - the positions are 0..size-1 without gaps, each entry's indexed
//     fields are those its raw bytes carry, its header names the log's
//     key, and its signature verifies under the log's public key;
//   - every stored hash equals the one recomputed, and so does the stored
//     tree head;
//   - every stored checkpoint is a note signed by the log's key (origin
//     "licet/log/<kid hex>"), and its tree is the tree of the entries at its size,
//     with the issuer data (order references and renewal links) the note
//     commits to;
//   - the newest signed checkpoint covers every entry: an entry added,
//     or the last one removed, outside licet shows.
//
// kept are signed checkpoints kept outside the ledger (the output of
// 'licet ledger checkpoint', one note after another): each must be a
// checkpoint of a log of the ledger, signed by its key, whose first
// entries the log still holds unchanged. They catch what nothing inside
// the ledger can: the newest appends removed together with their
// checkpoints.
//
// What Verify cannot check: whether and where a token was written (the
// written and file columns change after the append) and when it was
// recorded (the recorded column); see the README's "Keeping records".
//
// It returns an error only when the ledger cannot be read or a kept
// checkpoint is not a checkpoint of a licet log; problems found are in
// the report. Problems never print a recomputed root: a root to paste
// into the database would help nobody but the one who edited it.
func (l *Ledger) Verify(ctx context.Context, kept ...[]byte) (*VerifyResult, error) {
	logs, err := l.Logs(ctx)
	if err != nil {
		return nil, err
	}
	r := &VerifyResult{Logs: logs}
	keptBy := map[string][][]byte{}
	for i, k := range kept {
		kid, err := keptKID(k)
		if err != nil {
			return nil, fmt.Errorf("ledger: kept checkpoint %d: %w", i+1, err)
		}
		keptBy[kid] = append(keptBy[kid], k)
	}
	r.Kept = len(kept)
	for _, g := range logs {
		n, problems, err := l.verifyLog(ctx, g, keptBy[g.KID])
		if err != nil {
			return nil, err
		}
		delete(keptBy, g.KID)
		r.Entries += n
		r.Problems = append(r.Problems, problems...)
	}
	for _, kid := range slices.Sorted(maps.Keys(keptBy)) {
		r.Problems = append(r.Problems, fmt.Sprintf("log %s: a kept checkpoint is of this log, which the ledger does not hold: the log was removed", kid))
	}
	// Rows outside any log (their kid has no head) were inserted by hand.
	for _, table := range []string{"entries", "checkpoints", "hashes"} {
		var stray int64
		if err := l.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table+" WHERE kid NOT IN (SELECT kid FROM logs)").Scan(&stray); err != nil {
			return nil, l.wrap("reading", err)
		}
		if stray > 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("%d %s belong to no log: rows were inserted outside licet", stray, table))
		}
	}
	return r, nil
}

// keptKID returns the key id of the log a kept checkpoint names in its
// origin line.
func keptKID(note []byte) (string, error) {
	origin, _, ok := strings.Cut(string(note), "\n")
	kid, isLog := strings.CutPrefix(origin, "licet/log/")
	if !ok || !isLog || len(kid) != 2*token.KeyIDSize || strings.Trim(kid, "0123456789abcdef") != "" {
		return "", fmt.Errorf("not a checkpoint of a licet log (its first line is %q, not licet/log/ and a key id)", truncate(origin, 60))
	}
	return kid, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// memHashes is an in-memory hash store indexed like tlog's stored hashes.
type memHashes []tlog.Hash

func (m *memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(*m)) {
			return nil, fmt.Errorf("ledger: hash %d not computed yet", x)
		}
		out[i] = (*m)[x]
	}
	return out, nil
}

// signedHead is a checkpoint of a log whose signature verified.
type signedHead struct {
	what string // "the signed checkpoint of 5 entries", for messages
	c    *checkpoint.Checkpoint
	data tlog.Hash // its issuer-data hash
}

// verifyLog checks one log; it returns the number of entries read.
func (l *Ledger) verifyLog(ctx context.Context, g *Log, kept [][]byte) (int64, []string, error) {
	var problems []string
	report := func(format string, args ...any) {
		if len(problems) < maxProblems {
			problems = append(problems, fmt.Sprintf("log %s: ", g.KID)+fmt.Sprintf(format, args...))
		} else if len(problems) == maxProblems {
			problems = append(problems, fmt.Sprintf("log %s: more problems not shown", g.KID))
		}
	}
	logKey := checkPublicKey(g, report)
	pubOK := logKey != nil
	stored, heads, err := l.signedHeads(ctx, g, pubOK, report)
	if err != nil {
		return 0, nil, err
	}
	var keptHeads []*signedHead
	for i, k := range kept {
		if !pubOK {
			report("kept checkpoint %d cannot be checked without the log's public key", i+1)
			continue
		}
		h, err := openHead(k, g)
		if err != nil {
			report("kept checkpoint %d is not signed by the log's key (%v): it is not a checkpoint of this log", i+1, err)
			continue
		}
		h.what = fmt.Sprintf("the kept checkpoint of %d entries", h.c.Size)
		keptHeads = append(keptHeads, h)
	}
	// The issuer-data hash at each size a checkpoint needs.
	dataAt := map[int64]*tlog.Hash{}
	for _, h := range slices.Concat(heads, keptHeads) {
		dataAt[h.c.Size] = new(tlog.Hash)
	}

	rows, err := l.db.QueryContext(ctx, l.q("SELECT "+entryColumns+" FROM entries WHERE kid = ? ORDER BY idx"), g.KID)
	if err != nil {
		return 0, nil, l.wrap("reading", err)
	}
	defer rows.Close()
	var mem memHashes
	var n int64
	var data tlog.Hash
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return 0, nil, l.wrap("reading", err)
		}
		if d := dataAt[n]; d != nil {
			*d = data
		}
		if e.Index != n {
			report("entry %d is missing (the next one is at %d): rows were removed or renumbered", n, e.Index)
			n = e.Index // keep checking the rest against their own positions
		}
		for _, p := range checkEntry(e, logKey) {
			report("entry %d (%s %s): %s", e.Index, e.Kind, e.ID, p)
		}
		if int64(len(mem)) == tlog.StoredHashIndex(0, n) {
			hashes, err := tlog.StoredHashes(n, e.Raw, &mem)
			if err != nil {
				return 0, nil, err
			}
			mem = append(mem, hashes...)
		}
		data = nextIssuerData(data, e.Index, e.OrderRef, e.RenewedFrom)
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, nil, l.wrap("reading", err)
	}
	if d := dataAt[n]; d != nil {
		*d = data
	}
	if n != g.Size {
		report("the head says %d entries, the log holds %d: rows were added or removed outside licet", g.Size, n)
	}
	problems = append(problems, l.compareHashes(ctx, g, mem, report)...)
	if int64(len(mem)) == tlog.StoredHashCount(n) {
		root, err := tlog.TreeHash(n, &mem)
		if err != nil {
			return 0, nil, err
		}
		if root != g.Root {
			report("the stored root is not the root of the %d entries: the history was rewritten", n)
		}
	}
	for _, h := range slices.Concat(heads, keptHeads) {
		if err := checkHead(h, n, &mem, dataAt, report); err != nil {
			return 0, nil, err
		}
	}
	switch newest := newestSize(heads); {
	case !pubOK:
	case n > 0 && len(stored) == 0:
		report("the log holds %d entries and no signed checkpoint: its checkpoints were removed outside licet (or a licet without signed checkpoints wrote it)", n)
	case n > 0 && len(heads) == 0:
	case newest < n:
		report("entries %d to %d are not covered by a signed checkpoint: they were added outside licet", newest, n-1)
	}
	return n, problems, nil
}

// checkPublicKey reports a log whose public key is missing or not its
// key's; it returns the key as the one trusted key that signs the log's
// entries, nil when no signature can be checked.
func checkPublicKey(g *Log, report func(string, ...any)) *verify.KeySet {
	switch {
	case g.PublicKey == nil:
		report("the log has no public key: no signature of it can be checked (the logs table was modified outside licet)")
		return nil
	case len(g.PublicKey) != 32 || hex.EncodeToString(token.KeyID(g.PublicKey)) != g.KID:
		report("the log's public key is not the key %s (its key id is %s): the logs table was modified outside licet", g.KID, hex.EncodeToString(token.KeyID(g.PublicKey)))
		return nil
	}
	ks, err := verify.NewKeySet(verify.Key{PublicKey: g.PublicKey})
	if err != nil {
		report("the log's public key cannot check signatures (%s): the logs table was modified outside licet", strings.TrimPrefix(err.Error(), "verify: "))
		return nil
	}
	return ks
}

// signedHeads reads the stored checkpoints of log g and returns them with
// those whose note is signed by the log's key (and whose size and root
// columns are the note's).
func (l *Ledger) signedHeads(ctx context.Context, g *Log, pubOK bool, report func(string, ...any)) ([]*StoredCheckpoint, []*signedHead, error) {
	stored, err := l.checkpoints(ctx, g.KID, "1 = 1")
	if err != nil || !pubOK {
		return stored, nil, err
	}
	var heads []*signedHead
	for _, cp := range stored {
		h, err := openHead(cp.Note, g)
		if err != nil {
			report("the stored checkpoint of %d entries is not signed by the log's key (%v): the checkpoints table was modified outside licet", cp.Size, err)
			continue
		}
		if h.c.Size != cp.Size || h.c.Root != cp.Root {
			report("the stored checkpoint of %d entries does not hold the size and root of its signed note: the checkpoints table was modified outside licet", cp.Size)
		}
		h.what = fmt.Sprintf("the signed checkpoint of %d entries", h.c.Size)
		if cp.Source != "" {
			h.what += " (from " + cp.Source + ")"
		}
		heads = append(heads, h)
	}
	return stored, heads, nil
}

// openHead opens a signed checkpoint of log g.
func openHead(note []byte, g *Log) (*signedHead, error) {
	c, err := checkpoint.Open(note, checkpoint.Origin(g.KID), g.PublicKey, maxNoteSize)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "checkpoint: "))
	}
	data, err := issuerDataOf(c)
	if err != nil {
		return nil, err
	}
	return &signedHead{c: c, data: data}, nil
}

// checkHead compares a signed checkpoint with the log recomputed from its
// n entries (the hashes recomputed so far, mem) and the
// issuer-data hashes at each checkpoint's size.
func checkHead(h *signedHead, n int64, mem *memHashes, dataAt map[int64]*tlog.Hash, report func(string, ...any)) error {
	if h.c.Size > n {
		report("%s is beyond the %d entries of the log: entries were removed", h.what, n)
		return nil
	}
	if int64(len(*mem)) >= tlog.StoredHashCount(h.c.Size) {
		root, err := tlog.TreeHash(h.c.Size, mem)
		if err != nil {
			return err
		}
		if root != h.c.Root {
			report("%s is not the tree of the first %d entries: they were removed, reordered or rewritten", h.what, h.c.Size)
			return nil
		}
	}
	if d := dataAt[h.c.Size]; d != nil && *d != h.data {
		report("the order references and renewal links of the first %d entries are not those %s commits to: they were edited outside licet", h.c.Size, h.what)
	}
	return nil
}

// newestSize returns the largest size of heads (0 for none).
func newestSize(heads []*signedHead) int64 {
	var m int64
	for _, h := range heads {
		m = max(m, h.c.Size)
	}
	return m
}

// compareHashes compares the stored hashes of a log with the recomputed
// ones, reporting through report.
func (l *Ledger) compareHashes(ctx context.Context, g *Log, mem memHashes, report func(string, ...any)) []string {
	rows, err := l.db.QueryContext(ctx, l.q("SELECT idx, hash FROM hashes WHERE kid = ? ORDER BY idx"), g.KID)
	if err != nil {
		return []string{l.wrap("reading", err).Error()}
	}
	defer rows.Close()
	var next int64
	for rows.Next() {
		var x int64
		var h []byte
		if err := rows.Scan(&x, &h); err != nil {
			return []string{l.wrap("reading", err).Error()}
		}
		switch {
		case x >= int64(len(mem)):
			report("stored hash %d is beyond the %d hashes of the entries: rows were removed from the log", x, len(mem))
		case x != next:
			report("stored hash %d is missing", next)
		case !bytes.Equal(h, mem[x][:]):
			level, i := tlog.SplitStoredHashIndex(x)
			if level == 0 {
				report("entry %d: its raw bytes do not hash to the stored leaf hash: the entry's bytes were edited", i)
			} else {
				report("stored hash %d (level %d) differs from the one recomputed from the entries", x, level)
			}
		}
		next = x + 1
	}
	if err := rows.Err(); err != nil {
		return []string{l.wrap("reading", err).Error()}
	}
	if next < int64(len(mem)) {
		report("%d stored hashes are missing", int64(len(mem))-next)
	}
	return nil
}

// checkEntry compares an entry's indexed fields with its raw bytes and,
// when the log's public key is sound (logKey not nil), checks its
// signature.
func checkEntry(e *Entry, logKey *verify.KeySet) []string {
	d, err := Describe(e.Raw)
	if err != nil {
		return []string{"its raw bytes are not a signed object (" + strings.TrimPrefix(err.Error(), "ledger: ") + "): the row was edited"}
	}
	var p []string
	field := func(name string, stored, derived any) {
		if fmt.Sprint(stored) != fmt.Sprint(derived) {
			p = append(p, fmt.Sprintf("the stored %s %q is not the token's %q: the row was edited", name, fmt.Sprint(stored), fmt.Sprint(derived)))
		}
	}
	field("key id", e.KID, d.KID)
	field("id", e.ID, d.ID)
	field("kind", e.Kind, d.Kind)
	field("issuer", e.Issuer, d.Issuer)
	field("subject", e.Subject, d.Subject)
	field("products", strings.Join(e.Audience, ", "), strings.Join(d.Audience, ", "))
	field("tier", e.Tier, d.Tier)
	field("issued-at", e.IssuedAt.Unix(), d.IssuedAt.Unix())
	field("expiry", unixOrNil(e.Expiry), unixOrNil(d.Expiry))
	field("grant id", e.GrantID, d.GrantID)
	field("partner", e.Partner, d.Partner)
	if logKey != nil {
		if m, err := token.ParseMessage(e.Raw); err == nil {
			if _, err := logKey.Signed(m); err != nil {
				p = append(p, "its signature does not verify under the log's public key: the bytes were edited")
			}
		}
	}
	return slices.Clip(p)
}

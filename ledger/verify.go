package ledger

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/tlog"
)

// Report is the outcome of [Ledger.Verify].
type Report struct {
	Logs     []*Log // the heads as stored
	Entries  int64  // entries checked
	Problems []string
}

// OK reports whether no problem was found.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// maxProblems bounds the problems reported per log: a wholesale rewrite
// would otherwise print one line per entry.
const maxProblems = 20

// Verify recomputes every log from the raw bytes of its entries: the
// positions are 0..size-1 without gaps, each entry's indexed fields are
// those its raw bytes carry, its header names the log's key, its signature
// verifies (when the log holds the public key), every stored hash equals
// the one recomputed, the stored tree head equals the recomputed root, and
// so does every stored checkpoint of a mirrored log at its size. It
// returns an error only when the ledger cannot be read; problems found are
// in the report.
func (l *Ledger) Verify(ctx context.Context) (*Report, error) {
	logs, err := l.Logs(ctx)
	if err != nil {
		return nil, err
	}
	r := &Report{Logs: logs}
	for _, g := range logs {
		n, problems, err := l.verifyLog(ctx, g)
		if err != nil {
			return nil, err
		}
		r.Entries += n
		r.Problems = append(r.Problems, problems...)
	}
	// Entries outside any log (their kid has no head) were inserted by hand.
	var stray int64
	if err := l.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM entries WHERE kid NOT IN (SELECT kid FROM logs)").Scan(&stray); err != nil {
		return nil, l.wrap("reading", err)
	}
	if stray > 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("%d entries belong to no log: rows were inserted outside licet", stray))
	}
	return r, nil
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

// verifyLog checks one log; it returns the number of entries read.
func (l *Ledger) verifyLog(ctx context.Context, g *Log) (int64, []string, error) {
	var problems []string
	report := func(format string, args ...any) {
		if len(problems) < maxProblems {
			problems = append(problems, fmt.Sprintf("log %s: ", g.KID)+fmt.Sprintf(format, args...))
		} else if len(problems) == maxProblems {
			problems = append(problems, fmt.Sprintf("log %s: more problems not shown", g.KID))
		}
	}
	rows, err := l.db.QueryContext(ctx, l.q("SELECT "+entryColumns+" FROM entries WHERE kid = ? ORDER BY idx"), g.KID)
	if err != nil {
		return 0, nil, l.wrap("reading", err)
	}
	defer rows.Close()
	var mem memHashes
	var n int64
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return 0, nil, l.wrap("reading", err)
		}
		if e.Index != n {
			report("entry %d is missing (the next one is at %d): rows were removed or renumbered", n, e.Index)
			n = e.Index // keep checking the rest against their own positions
		}
		for _, p := range checkEntry(e, g) {
			report("entry %d (%s %s): %s", e.Index, e.Kind, e.ID, p)
		}
		if int64(len(mem)) == tlog.StoredHashIndex(0, n) {
			hashes, err := tlog.StoredHashes(n, e.Raw, &mem)
			if err != nil {
				return 0, nil, err
			}
			mem = append(mem, hashes...)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, nil, l.wrap("reading", err)
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
			report("the stored root %s is not the root %s recomputed from the %d entries: the history was rewritten", g.Root, root, n)
		}
	}
	if err := l.checkCheckpoints(ctx, g, n, &mem, report); err != nil {
		return 0, nil, err
	}
	return n, problems, nil
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

// checkEntry compares an entry's indexed fields with its raw bytes.
func checkEntry(e *Entry, g *Log) []string {
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
	field("products", e.Products(), d.Products())
	field("tier", e.Tier, d.Tier)
	field("issued-at", e.IssuedAt.Unix(), d.IssuedAt.Unix())
	field("expiry", unixOrNil(e.Expiry), unixOrNil(d.Expiry))
	field("grant id", e.GrantID, d.GrantID)
	field("partner", e.Partner, d.Partner)
	if g.PublicKey != nil {
		m, err := token.ParseMessage(e.Raw)
		if err == nil && !m.VerifySignature(g.PublicKey) {
			p = append(p, "its signature does not verify under the log's public key: the bytes were edited")
		}
	}
	return slices.Clip(p)
}

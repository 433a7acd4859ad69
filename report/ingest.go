package report

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
	"golang.org/x/mod/sumdb/tlog"
)

// IngestOptions says how the vendor ingests a report.
type IngestOptions struct {
	// Source names the report (its file): stored with the checkpoint and
	// used in messages.
	Source string
	// Grant, when set, is the id of the grant the report must be for.
	Grant string
	// EvidenceDir is where an inconsistent pair of checkpoints is kept
	// (see [CodeInconsistent]); "" is the directory of Source.
	EvidenceDir string
	// Now stamps the ingestion and the evidence.
	Now time.Time
}

// Ingested is what [Ingest] stored.
type Ingested struct {
	Report  *Report
	Grant   *token.Grant
	KID     string
	Start   int64 // the entries ingested before
	Size    int64 // the checkpoint's size: the entries ingested now
	Root    tlog.Hash
	Entries []*ledger.Entry // the entries added
	// Previous is when the previous report of this log was ingested; zero
	// for the first report.
	Previous time.Time
	// Late are the entries added that were issued before Previous (see
	// [Late]): the partner left them out of its previous report, or
	// backdated them. A statement counts them now, when first reported,
	// not in the period of their iat, which may have been invoiced.
	Late []*ledger.Entry
}

// Ingest checks a partner's report (the file's bytes) and stores its
// entries and checkpoint in the vendor's ledger, which then mirrors the
// partner's log. It checks, in this order, and refuses with an [*Error]
// naming the first failure, storing nothing:
//
//  1. the file is a report (CodeMalformed);
//  2. its grant is one the ledger issued (CodeUnknownGrant), the one
//     expected (CodeOtherGrant), and its key is the report's;
//  3. the checkpoint is signed by the grant's key (CodeWrongKey,
//     CodeTampered) under its log's origin;
//  4. it does not contradict the checkpoints ingested before
//     (CodeInconsistent: the pair is written to a file as evidence) and
//     is newer than them (CodeReplayed);
//  5. the entries start where the ledger stops and are as many as the
//     checkpoint covers (CodeDropped, CodeReplayed);
//  6. every entry is a license signed by the grant's key under a grant
//     the ledger issued to that key, within it (CodeTampered,
//     CodeOutsideGrant);
//  7. the stored entries and the new ones make up the signed tree, and the
//     report's consistency proof shows that tree extends the last one
//     ingested: a root that differs under a valid proof means reordered,
//     replaced or dropped entries (CodeReordered), under a failing proof a
//     rewritten log (CodeInconsistent); a failing proof alone, an altered
//     proof (CodeTampered).
//
// A report that passes is stored whole; its late licenses (see [Late])
// are stored too, and listed in [Ingested.Late].
func Ingest(ctx context.Context, led *ledger.Ledger, data []byte, opt IngestOptions) (*Ingested, error) {
	r, err := Parse(data)
	if err != nil {
		return nil, err
	}
	g, _, err := vendorGrant(ctx, led, r.GrantID)
	if err != nil {
		return nil, err
	}
	if opt.Grant != "" && !strings.EqualFold(opt.Grant, r.GrantID) {
		return nil, refuse(CodeOtherGrant, "the report is for grant %s (partner %q), not for grant %s", r.GrantID, g.Subject, strings.ToLower(opt.Grant))
	}
	kid := hexID(token.KeyID(g.Key))
	if r.KID != kid {
		return nil, refuse(CodeWrongKey, "the report names the key %s, but its grant %s names the key %s: a report of another grant", r.KID, r.GrantID, kid)
	}
	cp, err := OpenCheckpoint([]byte(r.Checkpoint), g.Key)
	if err != nil {
		return nil, err
	}
	in := &Ingested{Report: r, Grant: g, KID: kid, Size: cp.Size, Root: cp.Root}
	s := &ingestion{led: led, r: r, data: data, opt: opt, cp: cp, in: in, hr: led.HashReader(ctx, kid)}
	if err := s.position(ctx); err != nil {
		return nil, err
	}
	if err := s.checkEntries(ctx, g.Key); err != nil {
		return nil, err
	}
	if err := s.checkTree(ctx); err != nil {
		return nil, err
	}
	if err := s.store(ctx); err != nil {
		return in, err
	}
	for _, e := range in.Entries {
		if Late(e.IssuedAt, in.Previous) {
			in.Late = append(in.Late, e)
		}
	}
	return in, nil
}

// ingestion is the state of one Ingest.
type ingestion struct {
	led  *ledger.Ledger
	r    *Report
	data []byte
	opt  IngestOptions
	cp   *Checkpoint
	in   *Ingested
	hr   tlog.HashReader
	head tlog.Tree // the mirrored log before
}

// position checks the checkpoint and the report's start against what was
// ingested before.
func (s *ingestion) position(ctx context.Context) error {
	var err error
	if s.head, err = s.led.TreeHead(ctx, s.in.KID); err != nil {
		return err
	}
	s.in.Start = s.head.N
	last, err := s.led.LastCheckpoint(ctx, s.in.KID)
	if err != nil && !errors.Is(err, ledger.ErrNotFound) {
		return err
	}
	if last != nil {
		s.in.Previous = last.Recorded
	}
	m, n := s.head.N, s.cp.Size
	if m > 0 && (last == nil || last.Size != m) {
		return refuse(CodeNotMirrored, "the ledger %s holds %d entries of the log of key %s that did not come from reports: it signs with that key itself, so it cannot mirror a partner's log of it", s.led.Location(), m, s.in.KID)
	}
	if n <= m {
		root, err := tlog.TreeHash(n, s.hr)
		if err != nil {
			return err
		}
		if root != s.cp.Root && n == 0 {
			return refuse(CodeMalformed, "the checkpoint of 0 entries has the root %s, not the empty tree's", s.cp.Root)
		}
		if root != s.cp.Root {
			return s.inconsistent(ctx, fmt.Sprintf("the report's checkpoint of %d entries has the root %s, but the first %d of the entries ingested from earlier checkpoints, all signed by the same key, have the root %s: the partner signed two different histories", n, s.cp.Root, n, root))
		}
		if n < m || (len(s.r.Entries) > 0 && s.r.Start < m) {
			return refuse(CodeReplayed, "the report's checkpoint covers %d entries and %d of this log were ingested already (the last from %s): a replayed or old report; nothing was ingested", n, m, last.Source)
		}
	}
	switch k := int64(len(s.r.Entries)); {
	case s.r.Start > m:
		return refuse(CodeDropped, "the report starts at entry %d, but %d entries of this log were ingested: entries %d to %d are missing; ask the partner for a report --since %d", s.r.Start, m, m, s.r.Start-1, m)
	case s.r.Start < m:
		return refuse(CodeReplayed, "the report starts at entry %d and repeats entries %d to %d, ingested already; ask the partner for a report --since %d", s.r.Start, s.r.Start, m-1, m)
	case k != n-m:
		return refuse(CodeDropped, "the checkpoint covers entries %d to %d (%d), but the report holds %d: entries were dropped or added", m, n-1, n-m, k)
	case (m == 0 || n == m) && len(s.r.Proof) > 0:
		return refuse(CodeMalformed, "the report carries a consistency proof where there is nothing to prove (from %d to %d entries)", m, n)
	}
	return nil
}

// checkTree computes the root of the stored entries and the new ones, and
// checks the consistency proof from the last checkpoint ingested: both
// must hold. A root that differs with a valid proof means the entries were
// altered; with a failing proof, the partner's log was rewritten.
func (s *ingestion) checkTree(ctx context.Context) error {
	m, n := s.head.N, s.cp.Size
	if n == m {
		return nil
	}
	tree := &overlay{base: s.hr, fresh: map[int64]tlog.Hash{}}
	for i, raw := range s.r.Entries {
		hs, err := tlog.StoredHashes(m+int64(i), raw, tree)
		if err != nil {
			return err
		}
		base := tlog.StoredHashIndex(0, m+int64(i))
		for j, h := range hs {
			tree.fresh[base+int64(j)] = h
		}
	}
	root, err := tlog.TreeHash(n, tree)
	if err != nil {
		return err
	}
	proofOK := m == 0 || tlog.CheckTree(s.r.proof(), n, s.cp.Root, m, s.head.Hash) == nil
	switch {
	case root != s.cp.Root && !proofOK:
		return s.inconsistent(ctx, fmt.Sprintf("the report's checkpoint of %d entries (root %s) does not extend the last one ingested, of %d entries (root %s): its consistency proof fails and its entries do not make up its tree; the partner's log was rewritten (an honest log always has a proof)", n, s.cp.Root, m, s.head.Hash))
	case root != s.cp.Root:
		return refuse(CodeReordered, "the entries ingested and the report's %d give the root %s, not the signed %s: entries were reordered, replaced or dropped after the checkpoint was signed; nothing was ingested", len(s.r.Entries), root, s.cp.Root)
	case !proofOK:
		return refuse(CodeTampered, "the report's consistency proof from %d to %d entries does not verify, though its entries make up the signed tree: the proof was altered; nothing was ingested", m, n)
	}
	return nil
}

// overlay reads the stored hashes of a log and, over them, fresh ones.
type overlay struct {
	base  tlog.HashReader
	fresh map[int64]tlog.Hash
}

func (o *overlay) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var stored []int64
	for _, x := range indexes {
		if _, ok := o.fresh[x]; !ok {
			stored = append(stored, x)
		}
	}
	var got []tlog.Hash
	if len(stored) > 0 {
		var err error
		if got, err = o.base.ReadHashes(stored); err != nil {
			return nil, err
		}
	}
	for i, x := range indexes {
		if h, ok := o.fresh[x]; ok {
			out[i] = h
		} else {
			out[i], got = got[0], got[1:]
		}
	}
	return out, nil
}

// checkEntries checks every entry against the grants the ledger issued.
func (s *ingestion) checkEntries(ctx context.Context, pub ed25519.PublicKey) error {
	type known struct {
		raw []byte
		err error
	}
	grants := map[string]known{}
	seen := map[string]int64{}
	key, err := newLogKey(pub)
	if err != nil {
		return err
	}
	var p problems
	for i, raw := range s.r.Entries {
		index := s.r.Start + int64(i)
		sl := checkSigned(raw, index, key, &p)
		if sl == nil {
			continue
		}
		id := hexID(sl.grant.ID)
		if first, ok := seen[id+"/"+hexID(sl.lic.ID)]; ok { // ids are unique per grant
			p.Add(CodeReordered, "%s repeats entry %d: entries were replaced or duplicated after the checkpoint was signed", sl.describe(index), first)
			continue
		}
		seen[id+"/"+hexID(sl.lic.ID)] = index
		k, ok := grants[id]
		if !ok {
			_, k.raw, k.err = vendorGrant(ctx, s.led, id)
			grants[id] = k
		}
		if k.err != nil {
			p.Add(CodeOutsideGrant, "%s is under grant %s, which is not one you issued: %s", sl.describe(index), id, strings.TrimPrefix(k.err.Error(), "report: "))
			continue
		}
		if !bytes.Equal(k.raw, sl.grantRaw) {
			p.Add(CodeOutsideGrant, "%s carries a grant %s whose bytes differ from those in the ledger", sl.describe(index), id)
			continue
		}
		sl.checkWithin(index, &p)
	}
	return p.err("the report's entries are refused, nothing was ingested")
}

// store appends the entries with the checkpoint.
func (s *ingestion) store(ctx context.Context) error {
	recs := make([]ledger.Record, len(s.r.Entries))
	for i, raw := range s.r.Entries {
		recs[i] = ledger.Record{Raw: raw, PublicKey: s.in.Grant.Key, Written: true}
	}
	cp := &ledger.StoredCheckpoint{KID: s.in.KID, Size: s.cp.Size, Root: s.cp.Root, Note: []byte(s.r.Checkpoint),
		GrantID: s.r.GrantID, Source: s.opt.Source, Recorded: s.opt.Now.UTC().Truncate(time.Second)}
	if cp.Source == "" {
		cp.Source = "a report"
	}
	cp.Events = s.events(cp)
	es, err := s.led.AppendCheckpoint(ctx, s.head.N, cp, recs...)
	var rm *ledger.RootMismatchError
	var se *ledger.StartError
	var de *ledger.DuplicateError
	switch {
	case errors.As(err, &rm): // checkTree computed this root: the ledger changed since
		return fmt.Errorf("report: the ledger's log %s changed while ingesting (%v): run this again", s.in.KID, rm)
	case errors.As(err, &se):
		return fmt.Errorf("report: another ingest of this log ran at the same time (it now holds %d entries): run this one again", se.Size)
	case errors.As(err, &de) && de.Existing != nil:
		return refuse(CodeReplayed, "the license %s of grant %s is already in the ledger (entry %d of log %s): a report repeating a license; nothing was ingested", de.Value, de.Existing.GrantID, de.Existing.Index, de.Existing.KID)
	case errors.As(err, &de):
		return refuse(CodeReplayed, "the %s %s is already in the ledger: a report repeating a license; nothing was ingested", de.Field, de.Value)
	case err != nil:
		return err
	}
	s.in.Entries = es
	return nil
}

// vendorGrant returns the grant with id from the vendor's ledger and its
// raw bytes, its signature checked when the ledger holds the vendor's
// public key. It looks in the vendor's own entries only: a partner's
// license may carry the id of a grant.
func vendorGrant(ctx context.Context, led *ledger.Ledger, id string) (*token.Grant, []byte, error) {
	e, err := led.GetUnder(ctx, "", id)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		return nil, nil, refuse(CodeUnknownGrant, "grant %s is not in the ledger %s: the report is for a grant this ledger did not issue (another vendor's, or one issued with another ledger)", id, led.Location())
	case err != nil:
		return nil, nil, err
	case e.Kind != ledger.KindGrant || e.ID != id:
		return nil, nil, refuse(CodeUnknownGrant, "%s in the ledger %s is a %s, not a grant", id, led.Location(), e.Kind)
	}
	m, err := token.ParseMessage(e.Raw)
	if err != nil {
		return nil, nil, fmt.Errorf("report: the ledger's grant %s cannot be read: %v", id, err)
	}
	logs, err := led.Logs(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, g := range logs {
		if g.KID != e.KID || g.PublicKey == nil {
			continue
		}
		ks, err := verify.NewKeySet(verify.Key{PublicKey: g.PublicKey})
		if err == nil {
			_, err = ks.Signed(m)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("report: the ledger's grant %s does not verify under its key %s: the ledger was modified ('licet ledger verify')", id, e.KID)
		}
	}
	g, err := parseGrant(e.Raw)
	return g, e.Raw, err
}

// evidenceDir is where evidence goes.
func (s *ingestion) evidenceDir() string {
	switch {
	case s.opt.EvidenceDir != "":
		return s.opt.EvidenceDir
	case s.opt.Source != "":
		return filepath.Dir(s.opt.Source)
	}
	return "."
}

package usage

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/seats"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
	"golang.org/x/mod/sumdb/tlog"
)

// History is what a vendor has accepted of one site's lease log: the
// site grant, every record in order and the checkpoint of each report.
// [History.Add] accepts a report only as the exact continuation of it.
type History struct {
	// Grant is the site grant, GrantRaw its bytes, GrantID its id in hex.
	Grant    *token.Grant
	GrantRaw []byte
	GrantID  string
	// Records are the raw records accepted, Events the same decoded.
	Records [][]byte
	Events  []*Event
	// Reports are the reports accepted, in order.
	Reports []*Accepted
	// EvidenceDir, when set, is where a pair of contradicting checkpoints
	// is written (see [CodeInconsistent]).
	EvidenceDir string

	hashes  map[int64]tlog.Hash // the stored hashes of Records' tree
	trusted bool                // reading back a store: no lease token verified again
	leases  *verify.Verifier    // verifies lease tokens at clock
	clock   time.Time
	siteKey ed25519.PublicKey
	siteKID string
}

// Accepted is a report that [History.Add] accepted.
type Accepted struct {
	Report *Report
	// Data is the report file as given, Source where it came from.
	Data   []byte
	Source string
	// Checkpoint is the report's signed checkpoint.
	Checkpoint *checkpoint.Checkpoint
	// Start is the number of records accepted before; the report added
	// records Start to Checkpoint.Size.
	Start int64
	// Events are the records it added, decoded.
	Events []*Event
}

// NewHistory returns the empty history of the site grant grantRaw (any
// form), which must be a grant signed by vendor with a "site" claim.
func NewHistory(vendor verify.Key, grantRaw []byte) (*History, error) {
	h, err := newStoredHistory(grantRaw)
	if err != nil {
		return nil, err
	}
	ks, err := verify.NewKeySet(vendor)
	if err != nil {
		return nil, fmt.Errorf("usage: the vendor key: %s", strings.TrimPrefix(err.Error(), "verify: "))
	}
	// The grant is checked at its start: a site reports after it expired.
	h.clock = h.Grant.IssuedAt
	if h.Grant.NotBefore.After(h.clock) {
		h.clock = h.Grant.NotBefore
	}
	h.leases, err = verify.New(ks, verify.AnyProductInsecure(), verify.AnyVersionInsecure(), verify.AnyBindingInsecure(),
		verify.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		return nil, fmt.Errorf("usage: %s", strings.TrimPrefix(err.Error(), "verify: "))
	}
	if _, err := h.leases.VerifyGrant(h.GrantRaw); err != nil {
		return nil, fmt.Errorf("usage: the site grant %s does not verify under the vendor key %x: %s", h.GrantID, token.KeyID(vendor.PublicKey), strings.TrimPrefix(err.Error(), "verify: "))
	}
	return h, nil
}

// newStoredHistory returns the empty history of a site grant, its
// signature not checked: the leases are not verified.
func newStoredHistory(grantRaw []byte) (*History, error) {
	m, _, err := token.Decode(grantRaw)
	if err != nil {
		return nil, fmt.Errorf("usage: the site grant is not a licet object: %s", strings.TrimPrefix(err.Error(), "token: "))
	}
	if m.Header.Typ != token.TypeGrant {
		return nil, fmt.Errorf("usage: the site grant is not a grant but an object of type %q", m.Header.Typ)
	}
	g, err := token.DecodeGrant(m.Payload)
	if err != nil {
		return nil, fmt.Errorf("usage: the site grant cannot be read: %s", strings.TrimPrefix(err.Error(), "token: "))
	}
	if g.Site == nil {
		return nil, fmt.Errorf("usage: grant %x is not a site grant (it has no \"site\" claim): it lets %q mint licenses, not run a lease server", g.ID, g.Subject)
	}
	return &History{Grant: g, GrantRaw: m.Raw, GrantID: hex.EncodeToString(g.ID), hashes: map[int64]tlog.Hash{},
		siteKey: g.Key, siteKID: hex.EncodeToString(token.KeyID(g.Key))}, nil
}

// Size returns the number of records accepted.
func (h *History) Size() int64 { return int64(len(h.Records)) }

// Root returns the root of the records accepted.
func (h *History) Root() (tlog.Hash, error) { return tlog.TreeHash(h.Size(), h) }

// ReadHashes implements tlog.HashReader over the records accepted.
func (h *History) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		v, ok := h.hashes[x]
		if !ok {
			return nil, fmt.Errorf("usage: hash %d is not in the history", x)
		}
		out[i] = v
	}
	return out, nil
}

var _ tlog.HashReader = (*History)(nil)

// Site returns who the history's statement is for.
func (h *History) Site() Site {
	return Site{Vendor: h.Grant.Issuer, Site: h.Grant.Subject, GrantID: h.GrantID, Seats: h.Grant.Site.Seats}
}

// Statement computes the statement of every record accepted.
func (h *History) Statement(opt Options) *Statement { return Build(h.Site(), h.Events, opt) }

// Combined computes one statement of the histories of several lease
// servers of a site, one sub-grant each, from the same vendor (see
// [BuildAll]): its seats are the sum of theirs, its site and grant the
// list of theirs.
func Combined(hs []*History, opt Options) (*Statement, error) {
	if len(hs) == 0 {
		return nil, fmt.Errorf("usage: no site grant to make a statement of")
	}
	site := Site{Vendor: hs[0].Grant.Issuer}
	var sites, grants []string
	var logs [][]*Event
	for _, h := range hs {
		switch {
		case h.Grant.Issuer != site.Vendor:
			return nil, fmt.Errorf("usage: grant %s is of vendor %q, grant %s of %q: one statement is of one vendor's grants", hs[0].GrantID, site.Vendor, h.GrantID, h.Grant.Issuer)
		case slices.Contains(grants, h.GrantID):
			return nil, fmt.Errorf("usage: grant %s is given twice", h.GrantID)
		}
		if !slices.Contains(sites, h.Grant.Subject) {
			sites = append(sites, h.Grant.Subject)
		}
		grants = append(grants, h.GrantID)
		site.Seats += h.Grant.Site.Seats
		logs = append(logs, h.Events)
	}
	site.Site, site.GrantID = strings.Join(sites, ", "), strings.Join(grants, ", ")
	return BuildAll(site, logs, opt), nil
}

// Add checks a usage report (the file's bytes) against the history and,
// when it passes, appends its records. It checks, in this order, and
// refuses with an [*Error] naming the first failure, changing nothing:
//
//  1. the file is a usage report (CodeMalformed) for the history's grant
//     (CodeOtherGrant) and its key (CodeWrongKey);
//  2. its checkpoint is signed by the site grant's key under the site
//     log's origin (CodeWrongKey, CodeTampered);
//  3. the checkpoint does not contradict the history (CodeInconsistent:
//     the pair is written to EvidenceDir), covers no fewer records
//     (CodeRolledBack), and the report starts where the history stops
//     and holds the records the checkpoint adds (CodeDropped,
//     CodeReplayed);
//  4. the history and the records make up the signed tree and the
//     consistency proof holds: otherwise records were edited or replaced
//     (CodeTampered), reordered (CodeReordered), or the log forked
//     (CodeInconsistent);
//  5. every record reads, its seq is its index, and every lease token in
//     it verifies under the site grant at the record's time, for the
//     record's lease, product, machine and expiry (CodeOutsideGrant).
func (h *History) Add(data []byte, source string) (*Accepted, error) {
	r, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if r.GrantID != h.GrantID {
		return nil, refuse(CodeOtherGrant, "the report is for grant %s (site %q), not for the site grant %s", r.GrantID, r.Site, h.GrantID)
	}
	if r.KID != h.siteKID {
		return nil, refuse(CodeWrongKey, "the report names the key %s, but the site grant %s names the key %s", r.KID, h.GrantID, h.siteKID)
	}
	cp, err := h.openCheckpoint([]byte(r.Checkpoint))
	if err != nil {
		return nil, err
	}
	a := &Accepted{Report: r, Data: data, Source: source, Checkpoint: cp, Start: h.Size()}
	if err := h.position(a); err != nil {
		return nil, err
	}
	fresh, err := h.checkTree(a)
	if err != nil {
		return nil, err
	}
	if err := h.checkRecords(a); err != nil {
		return nil, err
	}
	h.append(a, fresh)
	return a, nil
}

// openCheckpoint checks that msg is a checkpoint note of the site log
// signed by the site key, and returns the checkpoint.
func (h *History) openCheckpoint(msg []byte) (*checkpoint.Checkpoint, error) {
	c, err := checkpoint.OpenReport(msg, Origin(h.GrantID), h.siteKey, MaxCheckpointSize, "the site key", "the site grant")
	var r *checkpoint.Refusal
	switch {
	case errors.As(err, &r):
		return nil, refuse(refusalCodes[r.Failure], "%s", r.Message)
	case err != nil:
		return nil, fmt.Errorf("usage: %s", strings.TrimPrefix(err.Error(), "checkpoint: "))
	}
	return c, nil
}

// refusalCodes are the codes of the failures of [checkpoint.OpenReport].
var refusalCodes = map[checkpoint.Failure]Code{
	checkpoint.Malformed: CodeMalformed,
	checkpoint.Tampered:  CodeTampered,
	checkpoint.WrongKey:  CodeWrongKey,
}

// position checks the checkpoint and the report's start against the
// history.
func (h *History) position(a *Accepted) error {
	r, m, n := a.Report, h.Size(), a.Checkpoint.Size
	if n <= m {
		root, err := tlog.TreeHash(n, h)
		if err != nil {
			return err
		}
		switch {
		case root != a.Checkpoint.Root && n == 0:
			return refuse(CodeMalformed, "the checkpoint of 0 records has the root %s, not the empty tree's", a.Checkpoint.Root)
		case root != a.Checkpoint.Root:
			return h.inconsistent(a, fmt.Sprintf("the report's checkpoint of %d records has the root %s, but the first %d records accepted from earlier reports, all signed by the site key, have the root %s: the site signed two different histories", n, a.Checkpoint.Root, n, root))
		}
		// A checkpoint accepted before: an old report. A new one of fewer
		// records: the server signed again after its state went back.
		replayed := n == m && len(r.Records) > 0
		for _, p := range h.Reports {
			replayed = replayed || (p.Report.Checkpoint == r.Checkpoint && n < m)
		}
		switch {
		case replayed:
			return refuse(CodeReplayed, "the report's checkpoint covers %d records and %d were accepted already (the last from %s): a replayed report; nothing was ingested", n, m, h.last())
		case n < m:
			return refuse(CodeRolledBack, "the report's checkpoint covers %d records, but a checkpoint of %d was accepted before (from %s): the site's log was rolled back, or this report is older than that one; nothing was ingested", n, m, h.last())
		}
	}
	if r.Start < m && n > m && r.Size() == n {
		for i := r.Start; i < m; i++ { // the records both hold
			if bytes.Equal(r.Records[i-r.Start], h.Records[i]) {
				continue
			}
			if _, root, err := h.extend(r.Start, r.Records); err != nil || root != a.Checkpoint.Root {
				return refuse(CodeTampered, "the report's record %d differs from the one accepted before, and its records do not make up its signed tree: records were edited after the checkpoint was signed; nothing was ingested", i)
			}
			return h.inconsistent(a, fmt.Sprintf("the report's record %d differs from the one accepted before, and both are in trees the site key signed: the site's log forked", i))
		}
	}
	switch k := int64(len(r.Records)); {
	case r.Start > m:
		return refuse(CodeDropped, "the report starts at record %d, but %d records were accepted: records %d to %d are missing; ask the site for a report --since its last report", r.Start, m, m, r.Start-1)
	case r.Start < m:
		return refuse(CodeReplayed, "the report starts at record %d and repeats records %d to %d, accepted already; ask the site for a report --since its last report", r.Start, r.Start, m-1)
	case k != n-m:
		return refuse(CodeDropped, "the checkpoint covers records %d to %d (%d), but the report holds %d: records were dropped or added", m, n-1, n-m, k)
	case (m == 0 || n == m) && len(r.Proof) > 0:
		return refuse(CodeMalformed, "the report carries a consistency proof where there is nothing to prove (from %d to %d records)", m, n)
	}
	return nil
}

// last names the last report accepted.
func (h *History) last() string {
	if len(h.Reports) == 0 {
		return "none"
	}
	return h.Reports[len(h.Reports)-1].Source
}

// checkTree computes the root of the history and the report's records,
// checks it is the signed root and that the proof from the history's
// tree holds, and returns the hashes the records add.
func (h *History) checkTree(a *Accepted) (map[int64]tlog.Hash, error) {
	m, n := h.Size(), a.Checkpoint.Size
	fresh, root, err := h.extend(m, a.Report.Records)
	if err != nil {
		return nil, err
	}
	if n == m {
		return fresh, nil
	}
	prev, err := h.Root()
	if err != nil {
		return nil, err
	}
	proofOK := m == 0 || tlog.CheckTree(a.Report.proof(), n, a.Checkpoint.Root, m, prev) == nil
	switch {
	case root != a.Checkpoint.Root && !proofOK:
		return nil, h.inconsistent(a, fmt.Sprintf("the report's checkpoint of %d records (root %s) does not extend the last one accepted, of %d records (root %s): its consistency proof fails and its records do not make up its tree; the site's log forked (an honest log always has a proof)", n, a.Checkpoint.Root, m, prev))
	case root != a.Checkpoint.Root && h.sortedRoot(a.Report.Records) == a.Checkpoint.Root:
		return nil, refuse(CodeReordered, "the report's records are those the site signed in another order (sorted by seq they make up the signed root %s): records were reordered after the checkpoint was signed; nothing was ingested", a.Checkpoint.Root)
	case root != a.Checkpoint.Root:
		return nil, refuse(CodeTampered, "the records accepted and the report's %d give the root %s, not the signed %s: records were edited or replaced after the checkpoint was signed; nothing was ingested", len(a.Report.Records), root, a.Checkpoint.Root)
	case !proofOK:
		return nil, refuse(CodeTampered, "the report's consistency proof from %d to %d records does not verify, though its records make up the signed tree: the proof was altered; nothing was ingested", m, n)
	}
	return fresh, nil
}

// extend returns the hashes that records add to the tree of the first m
// records of the history, and the root of the whole.
func (h *History) extend(m int64, records [][]byte) (map[int64]tlog.Hash, tlog.Hash, error) {
	o := &overlay{base: h, fresh: map[int64]tlog.Hash{}}
	for i, raw := range records {
		hs, err := tlog.StoredHashes(m+int64(i), raw, o)
		if err != nil {
			return nil, tlog.Hash{}, err
		}
		base := tlog.StoredHashIndex(0, m+int64(i))
		for j, v := range hs {
			o.fresh[base+int64(j)] = v
		}
	}
	root, err := tlog.TreeHash(m+int64(len(records)), o)
	return o.fresh, root, err
}

// sortedRoot returns the root of the history and records sorted by their
// seq (the zero hash when one does not read).
func (h *History) sortedRoot(records [][]byte) tlog.Hash {
	type seqRecord struct {
		seq int64
		raw []byte
	}
	var rs []seqRecord
	for _, raw := range records {
		e, err := ParseEvent(raw)
		if err != nil {
			return tlog.Hash{}
		}
		rs = append(rs, seqRecord{e.Seq, raw})
	}
	slices.SortStableFunc(rs, func(a, b seqRecord) int { return cmp.Compare(a.seq, b.seq) })
	sorted := make([][]byte, len(rs))
	for i, r := range rs {
		sorted[i] = r.raw
	}
	_, root, err := h.extend(h.Size(), sorted)
	if err != nil {
		return tlog.Hash{}
	}
	return root
}

// overlay reads the history's hashes and, over them, fresh ones.
type overlay struct {
	base  *History
	fresh map[int64]tlog.Hash
}

func (o *overlay) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		v, ok := o.fresh[x]
		if !ok {
			if v, ok = o.base.hashes[x]; !ok {
				return nil, fmt.Errorf("usage: hash %d is not in the history", x)
			}
		}
		out[i] = v
	}
	return out, nil
}

// checkRecords decodes the report's records and checks each, and each
// lease token, against the site grant.
func (h *History) checkRecords(a *Accepted) error {
	var p problems
	for i, raw := range a.Report.Records {
		index := a.Start + int64(i)
		e, err := ParseEvent(raw)
		if err != nil {
			p.Add(CodeMalformed, "record %d: %s", index, strings.TrimPrefix(err.Error(), "usage: "))
			continue
		}
		if e.Seq != index {
			p.Add(CodeMalformed, "record %d says it is record %d (seq): the site's log numbers its records wrongly", index, e.Seq)
			continue
		}
		if e.Token != "" && !h.trusted {
			if err := h.checkLease(e); err != "" {
				p.Add(CodeOutsideGrant, "record %d (%s, lease %s): %s", index, e.Event, e.Lease, err)
				continue
			}
		}
		a.Events = append(a.Events, e)
	}
	return p.err("the report's records are refused, nothing was ingested")
}

// checkLease verifies the lease token of a record at the record's time,
// and that it is the lease the record says. It returns what is wrong,
// or "".
func (h *History) checkLease(e *Event) string {
	h.clock = e.At
	l, err := h.leases.Verify([]byte(e.Token))
	if err != nil {
		return "its lease token does not verify under the site grant at " + e.At.Format(time.RFC3339) + ": " + strings.TrimPrefix(err.Error(), "verify: ")
	}
	c := l.Claims
	var wrong []string
	switch {
	case l.Grant == nil:
		wrong = append(wrong, fmt.Sprintf("it is signed by the vendor key %x itself, not under the site grant", l.KeyID))
	case !bytes.Equal(l.Grant.ID, h.Grant.ID):
		wrong = append(wrong, fmt.Sprintf("it is under grant %x, not the site grant %s", l.Grant.ID, h.GrantID))
	}
	if id := hex.EncodeToString(c.ID); id != e.Lease {
		wrong = append(wrong, fmt.Sprintf("its id is %s, not the record's lease", id))
	}
	if !slices.Contains(c.Audience, e.Product) {
		wrong = append(wrong, fmt.Sprintf("it is for %q, not the record's product %q", c.Audience, e.Product))
	}
	if host := c.Bind["host"]; host != e.Fingerprint {
		wrong = append(wrong, fmt.Sprintf("it is bound to the machine %q, not the record's %q", host, e.Fingerprint))
	}
	if c.Expiry.Unix() != e.Expires.Unix() {
		wrong = append(wrong, fmt.Sprintf("it expires at %s, not at the record's %s", c.Expiry.UTC().Format(time.RFC3339), e.Expires.Format(time.RFC3339)))
	}
	if life := c.Expiry.Sub(c.IssuedAt); e.Event == EventGranted && life > h.Grant.Site.Lease {
		wrong = append(wrong, fmt.Sprintf("it was granted (not borrowed) for %s, longer than the grant's longest lease of %s", life, h.Grant.Site.Lease))
	}
	switch borrow := c.Meta[seats.MetaLease] == "borrow"; {
	case e.Event == EventBorrowed && !borrow:
		wrong = append(wrong, "the record says borrowed, the lease is not marked as a borrow")
	case e.Event == EventGranted && borrow:
		wrong = append(wrong, "the record says granted, the lease is marked as a borrow")
	}
	if s, ok := c.Meta[seats.MetaSiteSeq]; ok && s != strconv.FormatInt(e.Seq, 10) {
		wrong = append(wrong, fmt.Sprintf("it was granted by record %s, not by this one", s))
	}
	return strings.Join(wrong, "; ")
}

// append adds an accepted report to the history.
func (h *History) append(a *Accepted, fresh map[int64]tlog.Hash) {
	for k, v := range fresh {
		h.hashes[k] = v
	}
	h.Records = append(h.Records, a.Report.Records...)
	h.Events = append(h.Events, a.Events...)
	h.Reports = append(h.Reports, a)
}

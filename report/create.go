package report

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/tlog"
)

// CreateOptions is what a partner reports.
type CreateOptions struct {
	// Grant is the raw grant the partner mints under (its COSE bytes).
	Grant []byte
	// Signer is the partner's key, the grant's key: it signs the
	// checkpoint.
	Signer crypto.Signer
	// Since is the size of the last report's checkpoint: the report holds
	// the entries from there on. 0 reports the whole log.
	Since int64
	// SinceRoot, when set, is the root the last report's checkpoint
	// signed: the log must still have it at Since.
	SinceRoot *tlog.Hash
	// Now stamps the report's created member.
	Now time.Time
}

// Create makes the partner's report of the log of its key in led: a
// checkpoint of the whole log signed with opt.Signer, the entries from
// opt.Since on, and the proof that the tree of opt.Since entries is a
// prefix of it. It refuses, before signing, a log that holds anything but
// licenses signed under grants of the same vendor to that key, within
// them: the vendor would refuse the report.
func Create(ctx context.Context, led *ledger.Ledger, opt CreateOptions) (*Report, error) {
	g, err := parseGrant(opt.Grant)
	if err != nil {
		return nil, err
	}
	pub, ok := opt.Signer.Public().(ed25519.PublicKey)
	if !ok || !g.Key.Equal(pub) {
		return nil, fmt.Errorf("report: the signing key is not the key of grant %x (%x): sign with the partner key the grant names", g.ID, token.KeyID(g.Key))
	}
	kid := hexID(token.KeyID(pub))
	head, err := led.TreeHead(ctx, kid)
	if err != nil {
		return nil, err
	}
	hr := led.HashReader(ctx, kid)
	if err := checkSince(opt, head, hr, led.Location()); err != nil {
		return nil, err
	}
	root, err := tlog.TreeHash(head.N, hr)
	if err != nil {
		return nil, err
	}
	if root != head.Hash {
		return nil, fmt.Errorf("report: the stored hashes of log %s do not give its stored root: the ledger %s was modified ('licet ledger verify' says where)", kid, led.Location())
	}
	entries, err := led.Entries(ctx, kid, opt.Since, head.N)
	if err != nil {
		return nil, err
	}
	r := &Report{
		Version: Version, Vendor: g.Issuer, Partner: g.Subject, GrantID: hexID(g.ID), KID: kid,
		Created: opt.Now.UTC().Truncate(time.Second), Start: opt.Since, Proof: []string{},
	}
	key, err := newLogKey(pub)
	if err != nil {
		return nil, err
	}
	var p problems
	for _, e := range entries {
		if err := checkLeaf(e, hr); err != nil {
			return nil, err
		}
		if s := checkSigned(e.Raw, e.Index, key, &p); s != nil {
			if s.grant.Issuer != g.Issuer {
				p.Add(CodeOutsideGrant, "%s is under a grant of %q, not of %q: use one key per vendor", s.describe(e.Index), s.grant.Issuer, g.Issuer)
			}
			s.checkWithin(e.Index, &p)
		}
		r.Entries = append(r.Entries, e.Raw)
	}
	if err := p.err("the log of key " + kid + " holds entries the vendor would refuse, nothing was signed"); err != nil {
		return nil, err
	}
	if opt.Since > 0 && opt.Since < head.N {
		proof, err := tlog.ProveTree(head.N, opt.Since, hr)
		if err != nil {
			return nil, err
		}
		for _, h := range proof {
			r.Proof = append(r.Proof, h.String())
		}
	}
	note, err := SignCheckpoint(&Checkpoint{Origin: checkpoint.Origin(kid), Size: head.N, Root: root}, opt.Signer)
	if err != nil {
		return nil, err
	}
	r.Checkpoint = string(note)
	return r, nil
}

// checkSince checks opt.Since (and opt.SinceRoot) against the log.
func checkSince(opt CreateOptions, head tlog.Tree, hr tlog.HashReader, location string) error {
	if opt.Since < 0 || opt.Since > head.N {
		return fmt.Errorf("report: the last report cannot have covered %d entries: the log of this key in %s holds %d", opt.Since, location, head.N)
	}
	if opt.SinceRoot == nil {
		return nil
	}
	root, err := tlog.TreeHash(opt.Since, hr)
	if err != nil {
		return err
	}
	if root != *opt.SinceRoot {
		return fmt.Errorf("report: the log's first %d entries no longer have the root the last report signed (%s, now %s): the log in %s was rewritten since; the vendor would keep the two checkpoints as evidence", opt.Since, *opt.SinceRoot, root, location)
	}
	return nil
}

// checkLeaf checks that an entry's raw bytes hash to its stored leaf.
func checkLeaf(e *ledger.Entry, hr tlog.HashReader) error {
	hs, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, e.Index)})
	if err != nil {
		return err
	}
	if hs[0] != tlog.RecordHash(e.Raw) {
		return fmt.Errorf("report: entry %d of log %s does not hash to its stored leaf: the ledger was modified ('licet ledger verify' says where)", e.Index, e.KID)
	}
	return nil
}

// parseGrant decodes a raw grant.
func parseGrant(raw []byte) (*token.Grant, error) {
	m, err := token.ParseMessage(raw)
	if err != nil {
		return nil, fmt.Errorf("report: not a grant: %s", strings.TrimPrefix(err.Error(), "token: "))
	}
	if m.Header.Typ != token.TypeGrant {
		return nil, fmt.Errorf("report: not a grant but a %s", kindOf(m.Header.Typ))
	}
	g, err := token.DecodeGrant(m.Payload)
	if err != nil {
		return nil, fmt.Errorf("report: not a valid grant: %s", strings.TrimPrefix(err.Error(), "token: "))
	}
	return g, nil
}

package usage

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/internal/reportfile"
	"github.com/licet/licet/seats"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/tlog"
)

// CreateOptions is what a site reports.
type CreateOptions struct {
	// Grant is the site grant the server runs under (any form). When nil,
	// it is the grant embedded in the log's lease tokens.
	Grant []byte
	// Since is the site's previous report: the new one holds the records
	// from its checkpoint on. Nil reports the whole log.
	Since []byte
	// Now stamps the report's created member.
	Now time.Time
}

// Create makes the usage report of a site log read by [seats.ReadLog]: the
// log's newest checkpoint, signed by the site key, the records it covers
// from the previous report's checkpoint on, and the proof that this
// checkpoint extends that one. It needs no key: the server signed the
// checkpoint. It refuses what the vendor would refuse: a log whose
// checkpoints are not signed by the grant's key, a previous report of
// another grant, a log that no longer holds the previous report's tree
// (rolled back or rewritten since).
func Create(l *seats.Log, opt CreateOptions) (*Report, error) {
	head := l.Head()
	if head == nil {
		return nil, fmt.Errorf("usage: the site log has no signed checkpoint yet: nothing to report")
	}
	grantID, ok := strings.CutPrefix(l.Origin, Origin(""))
	if !ok || !reportfile.IsHex(grantID, 32) {
		return nil, fmt.Errorf("usage: the site log is %q, not the log of a site grant (%s<grant id>)", l.Origin, Origin(""))
	}
	g, err := logGrant(l, grantID, opt.Grant)
	if err != nil {
		return nil, err
	}
	if err := l.Verify(g.Key); err != nil {
		return nil, fmt.Errorf("usage: %s: the log was not signed by the site key of grant %s", strings.TrimPrefix(err.Error(), "seats: "), grantID)
	}
	n := head.Checkpoint.Size
	r := &Report{Version: Version, Vendor: g.Issuer, Site: g.Subject, GrantID: grantID, KID: hex.EncodeToString(token.KeyID(g.Key)),
		Created: opt.Now.UTC().Truncate(time.Second), Checkpoint: string(head.Note), Proof: []string{}, Records: [][]byte{}}
	if opt.Since != nil {
		if r.Start, err = since(l, g, grantID, opt.Since); err != nil {
			return nil, err
		}
	}
	for _, rec := range l.Records[r.Start:n] {
		r.Records = append(r.Records, rec.Raw)
	}
	if r.Start > 0 && r.Start < n {
		proof, err := l.ConsistencyProof(r.Start, n)
		if err != nil {
			return nil, fmt.Errorf("usage: %s", strings.TrimPrefix(err.Error(), "seats: "))
		}
		for _, h := range proof {
			r.Proof = append(r.Proof, h.String())
		}
	}
	return r, nil
}

// since returns where the report after prev starts: prev's checkpoint
// size, once the log is seen to still hold prev's tree.
func since(l *seats.Log, g *token.Grant, grantID string, prevData []byte) (int64, error) {
	prev, err := Parse(prevData)
	if err != nil {
		return 0, fmt.Errorf("usage: the previous report: %s", strings.TrimPrefix(err.Error(), "usage: "))
	}
	if prev.GrantID != grantID {
		return 0, fmt.Errorf("usage: the previous report is for grant %s, this log for grant %s", prev.GrantID, grantID)
	}
	cp, err := checkpoint.Open([]byte(prev.Checkpoint), Origin(grantID), g.Key, MaxCheckpointSize)
	if err != nil {
		return 0, fmt.Errorf("usage: the previous report's checkpoint: %s", strings.TrimPrefix(err.Error(), "checkpoint: "))
	}
	n := l.Head().Checkpoint.Size
	if cp.Size > n {
		return 0, fmt.Errorf("usage: the previous report covered %d records, the log holds %d: the state directory was rolled back (or restored from a backup) since; the vendor would refuse the report", cp.Size, n)
	}
	root, err := tlog.TreeHash(cp.Size, l)
	if err != nil {
		return 0, fmt.Errorf("usage: %v", err)
	}
	if root != cp.Root {
		return 0, fmt.Errorf("usage: the log's first %d records no longer have the root the previous report signed (%s, now %s): the log was rewritten since; the vendor would keep the two checkpoints as evidence", cp.Size, cp.Root, root)
	}
	return cp.Size, nil
}

// logGrant returns the site grant: raw when given, else the grant that
// the log's lease tokens carry. Its id must be grantID.
func logGrant(l *seats.Log, grantID string, raw []byte) (*token.Grant, error) {
	if raw == nil {
		for _, rec := range l.Records {
			if rec.Token == "" {
				continue
			}
			m, _, err := token.Decode([]byte(rec.Token))
			if err == nil && m.Header.Grant != nil {
				raw = m.Header.Grant.Raw
				break
			}
		}
		if raw == nil {
			return nil, fmt.Errorf("usage: the site log holds no lease yet to take the site grant from: give the grant")
		}
	}
	m, _, err := token.Decode(raw)
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
	if id := hex.EncodeToString(g.ID); id != grantID {
		return nil, fmt.Errorf("usage: the grant is %s, but the site log is the log of grant %s", id, grantID)
	}
	if g.Site == nil {
		return nil, fmt.Errorf("usage: grant %s is not a site grant (no \"site\" claim)", grantID)
	}
	return g, nil
}

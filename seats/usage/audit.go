package usage

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/licet/licet/seats"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// The outcomes of [History.Audit].
const (
	// AuditReported: the lease is the token of the record its site_seq
	// names, in the reports accepted.
	AuditReported = "reported"
	// AuditUnreported: its site_seq is beyond the records accepted: a
	// later report must hold it.
	AuditUnreported = "unreported"
	// AuditOffBooks: the site key signed it under the grant, and the log
	// the site reported does not hold it: the record its site_seq names
	// is another, or it names none.
	AuditOffBooks = "off_books"
	// AuditInvalid: not a lease of the site grant signed by the site key.
	AuditInvalid = "invalid"
)

// Audited is what [History.Audit] found of one lease.
type Audited struct {
	Lease   string // the lease id in hex ("" when it cannot be read)
	SiteSeq int64  // the record it names, -1 for none
	Outcome string // one of the Audit constants
	Detail  string // what was found, for people
}

// Audit tells, for a lease seen in the field (any form), whether the
// site's reports hold it: the site key signs every lease it hands out
// into its log, and the lease's site_seq names that record. A lease the
// site key signed that the reported log does not hold was handed out off
// the books.
func (h *History) Audit(lease []byte) *Audited {
	out := &Audited{SiteSeq: -1, Outcome: AuditInvalid}
	m, _, err := token.Decode(lease)
	if err != nil {
		out.Detail = "not a licet object: " + strings.TrimPrefix(err.Error(), "token: ")
		return out
	}
	if m.Header.Typ != token.TypeLicense || m.Header.Grant == nil {
		out.Detail = "not a license under a grant"
		return out
	}
	ks, err := verify.NewKeySet(verify.Key{PublicKey: h.siteKey})
	if err == nil {
		_, err = ks.Signed(m)
	}
	if err != nil {
		out.Detail = "not signed by the site key " + h.siteKID
		return out
	}
	l, err := token.DecodeLicense(m.Payload)
	if err != nil {
		out.Detail = "its claims cannot be read: " + strings.TrimPrefix(err.Error(), "token: ")
		return out
	}
	out.Lease = hex.EncodeToString(l.ID)
	if !bytes.Equal(m.Header.Grant.Raw, h.GrantRaw) {
		out.Detail = "signed by the site key, but not under the site grant " + h.GrantID
		return out
	}
	out.Outcome = AuditOffBooks
	seq, err := strconv.ParseInt(l.Meta[seats.MetaSiteSeq], 10, 64)
	if err != nil || seq < 0 {
		out.Detail = "it names no record of the site log (no site_seq): the server did not hand it out"
		return out
	}
	out.SiteSeq = seq
	if seq >= h.Size() {
		out.Outcome = AuditUnreported
		out.Detail = fmt.Sprintf("it names record %d, beyond the %d records reported: the next report must hold it", seq, h.Size())
		return out
	}
	e := h.Events[seq]
	if e.Token != "" {
		if rm, _, err := token.Decode([]byte(e.Token)); err == nil && bytes.Equal(rm.Raw, m.Raw) {
			out.Outcome = AuditReported
			out.Detail = fmt.Sprintf("record %d: %s at %s", seq, e.Event, rfc3339(e.At))
			return out
		}
	}
	what := e.Event
	if e.Lease != "" {
		what += " of lease " + e.Lease
	}
	out.Detail = fmt.Sprintf("it names record %d, which is %s, not this lease: the site key signed it off the log", seq, what)
	return out
}

package issue

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// ListEntry is one entry of a revocation list (FORMAT section 6): a
// revoked id (a grant, or a license not minted under a grant), a license
// id under the grant it was minted under (gcti), or a key id.
type ListEntry struct {
	// Grant is the grant a license was minted under; nil for a plain id.
	Grant []byte
	ID    []byte
	// KeyID is set for a key entry (Grant and ID are then nil).
	KeyID []byte
	// AnyGrant, in [RevokeRequest.Unrevoke], lets a bare ID name the one
	// entry holding it, plain or under any grant; without it a bare ID
	// names only the plain entry.
	AnyGrant bool
}

// String names the entry in messages.
func (e ListEntry) String() string {
	switch {
	case e.KeyID != nil:
		return "key " + hex.EncodeToString(e.KeyID)
	case e.Grant != nil:
		return fmt.Sprintf("license %x under grant %x", e.ID, e.Grant)
	}
	return "id " + hex.EncodeToString(e.ID)
}

// EntryFor returns the list entry that revokes the license or grant of a
// ledger entry: a license minted under a grant is named with its grant
// (license ids are unique per grant only), anything else by its id.
func EntryFor(e *ledger.Entry) (ListEntry, error) {
	if e.Kind != ledger.KindLicense && e.Kind != ledger.KindGrant {
		return ListEntry{}, fmt.Errorf("issue: %s is a %s, not a license or grant", e.ID, e.Kind)
	}
	id, err := hex.DecodeString(e.ID)
	if err != nil || len(id) != token.IDSize {
		return ListEntry{}, fmt.Errorf("issue: the ledger entry %q has no valid id", e.ID)
	}
	le := ListEntry{ID: id}
	if e.Kind == ledger.KindLicense && e.GrantID != "" {
		if le.Grant, err = hex.DecodeString(e.GrantID); err != nil || len(le.Grant) != token.IDSize {
			return ListEntry{}, fmt.Errorf("issue: the ledger entry %s has no valid grant id", e.ID)
		}
	}
	return le, nil
}

// EntryForToken returns the list entry that revokes the license or grant
// token in data (any form; its signature is not checked).
func EntryForToken(data []byte) (ListEntry, error) {
	u, err := token.ParseUnverified(data)
	switch {
	case err != nil:
		return ListEntry{}, err
	case u.License != nil && u.EmbeddedGrant != nil:
		return ListEntry{Grant: u.EmbeddedGrant.ID, ID: u.License.ID}, nil
	case u.License != nil:
		return ListEntry{ID: u.License.ID}, nil
	case u.Grant != nil:
		return ListEntry{ID: u.Grant.ID}, nil
	}
	return ListEntry{}, errors.New("issue: a revocation list, not a license or grant")
}

// Find returns the ledger entry that ref names: an id, a unique id prefix
// (6 or more digits) or an order reference. It returns the errors of
// [ledger.Ledger.Get] ([ledger.ErrNotFound], a [*ledger.AmbiguousError]).
func Find(ctx context.Context, led *ledger.Ledger, ref string) (*ledger.Entry, error) {
	e, err := led.Get(ctx, ref)
	var ae *ledger.AmbiguousError
	if err == nil || errors.As(err, &ae) {
		return e, err
	}
	o, oerr := led.ByOrder(ctx, ref)
	if oerr == nil {
		return o, nil
	}
	if !errors.Is(oerr, ledger.ErrNotFound) {
		return nil, oerr
	}
	return nil, ledger.ErrNotFound
}

// RevokeRequest is a change to the issuer's revocation list.
type RevokeRequest struct {
	// Revoke lists the entries to add. A plain id that the ledger holds
	// as a license minted under a grant is revoked under that grant
	// (RevokeResult.Scoped): the plain id would not revoke it.
	Revoke []ListEntry
	// Unrevoke lists the entries to take off. Each must be on the list.
	Unrevoke []ListEntry
	// From is a list (any form) to extend when the ledger holds no list
	// of the issuer; otherwise it must be one recorded in the ledger.
	From []byte
	// NextUpdate is the list's exp.
	NextUpdate time.Time
	// Replacing is what Out.File holds now, nil for nothing: a list of
	// the issuer newer than the ledger's newest is never replaced
	// ([*NewerListError]).
	Replacing []byte
	Out       Out
}

// RevokeResult is a signed, recorded and written list.
type RevokeResult struct {
	*Result
	List *token.Revocations // the list signed
	// Base is the list extended (the ledger's newest of the issuer, or
	// RevokeRequest.From); nil for a first list.
	Base *token.Revocations
	// Kept counts the entries of Base kept (all but Dropped).
	Kept int
	// Dropped is what RevokeRequest.Unrevoke took off, as it was on the
	// list.
	Dropped []ListEntry
	// Scoped lists the plain ids asked that the ledger holds as licenses
	// minted under a grant, revoked under that grant instead.
	Scoped []*ledger.Entry

	newest string // the ledger id of the newest list when planned
}

// NewerListError is an output file holding a list of the issuer newer
// than the ledger's newest: it was signed from another ledger (or the
// ledger lost it), and replacing it would un-revoke what only it
// revokes.
type NewerListError struct {
	File   string
	Issuer string
	Seq    uint64 // the file's
	// BaseSeq is the seq of the list extended: the ledger's newest of the
	// issuer (or RevokeRequest.From when the ledger holds none); 0 for
	// none.
	BaseSeq uint64
}

func (e *NewerListError) Error() string {
	return fmt.Sprintf("issue: %s holds revocation list seq %d of %s, newer than the list extended (seq %d)", e.File, e.Seq, e.Issuer, e.BaseSeq)
}

// FromError is a RevokeRequest.From that cannot be extended.
type FromError struct{ Err error }

func (e *FromError) Error() string { return "issue: the list to extend: " + e.Err.Error() }

func (e *FromError) Unwrap() error { return e.Err }

// RotatedSignerError is a list asked of a key that products in the field
// do not all trust yet: a rotation is current, and the previous key
// (Signer) must sign lists ([RevocationSigner]).
type RotatedSignerError struct{ Signer *ListSigner }

func (e *RotatedSignerError) Error() string {
	return fmt.Sprintf("issue: a key rotation is current: revocation lists are signed by the previous key %s, which every product trusts", e.Signer.KID)
}

// Revoke signs the issuer's next revocation list: the newest list of the
// issuer recorded in the ledger (whichever of its keys signed it), seq +
// 1, every entry kept, req's entries added and req.Unrevoke's taken off;
// then records it and writes it. The Issuer's key must be the one that
// [RevocationSigner] names (a [*RotatedSignerError] otherwise). Nothing
// is signed when a check fails.
func (is *Issuer) Revoke(ctx context.Context, req *RevokeRequest) (*RevokeResult, error) {
	now := is.now()
	ls, err := RevocationSigner(ctx, is.Ledger, nil, is.Name, is.PublicKey, now)
	if err != nil {
		return nil, err
	}
	if ls.Rotated {
		return nil, &RotatedSignerError{Signer: ls}
	}
	// Another revoke recording a list between planning and recording
	// would make two lists of one seq, each without the other's change:
	// plan again when the newest list moved meanwhile.
	var res *RevokeResult
	var raw []byte
	for attempt := 0; ; attempt++ {
		if res, err = is.planList(ctx, req, now); err != nil {
			return nil, err
		}
		if err := checkReplacing(req, res.List.Issuer, res.Base); err != nil {
			return nil, err
		}
		signer, err := is.Signer()
		if err != nil {
			return nil, err
		}
		if raw, err = token.SignRevocations(signer, res.List); err != nil {
			return nil, err
		}
		newest, err := NewestList(ctx, is.Ledger, is.Name)
		if err != nil {
			return nil, err
		}
		if newest == nil && res.newest == "" || newest != nil && newest.Entry.ID == res.newest {
			break
		}
		if attempt == 2 {
			return nil, errors.New("issue: other revocation lists of the issuer are being recorded meanwhile; nothing was recorded: try again")
		}
	}
	evs, err := is.revokedEvents(ctx, raw, res)
	if err != nil {
		return nil, err
	}
	if res.Result, err = is.record(ctx, ledger.Record{Raw: raw, File: req.Out.File, PublicKey: is.PublicKey, Events: evs}, req.Out); err != nil {
		return nil, err
	}
	return res, nil
}

// planList builds the list to sign: the base extended, the change
// applied.
func (is *Issuer) planList(ctx context.Context, req *RevokeRequest, now time.Time) (*RevokeResult, error) {
	newest, err := NewestList(ctx, is.Ledger, is.Name)
	if err != nil {
		return nil, err
	}
	r := &token.Revocations{Issuer: is.Name, IssuedAt: now, NextUpdate: req.NextUpdate, Seq: 1}
	res := &RevokeResult{List: r}
	var base []byte
	basePub := is.PublicKey
	if newest != nil {
		base, res.Base, res.newest = newest.Entry.Raw, newest.List, newest.Entry.ID
		if basePub, err = logKey(ctx, is.Ledger, newest.Entry.KID, is.PublicKey); err != nil {
			return nil, err
		}
	}
	if req.From != nil {
		raw, from, err := is.checkFrom(ctx, req.From, newest)
		if err != nil {
			return nil, err
		}
		if newest == nil {
			base, res.Base = raw, from
		}
	}
	if base != nil {
		if err := verify.ExtendRevocations(r, base, basePub); err != nil {
			if newest == nil {
				return nil, &FromError{Err: err}
			}
			return nil, fmt.Errorf("issue: the newest revocation list in the ledger: %w", err)
		}
		res.Kept = countEntries(res.Base)
	}
	if err := is.applyChange(ctx, req, res); err != nil {
		return nil, err
	}
	return res, nil
}

// RecordedList is a revocation list recorded in the ledger.
type RecordedList struct {
	Entry *ledger.Entry
	List  *token.Revocations
}

// NewestList returns the newest revocation list of issuer recorded in led
// (the highest seq; of two with one seq, the later recorded), whichever of
// the issuer's keys signed it; nil when there is none.
func NewestList(ctx context.Context, led *ledger.Ledger, issuer string) (*RecordedList, error) {
	entries, err := led.List(ctx, ledger.Filter{Kind: ledger.KindRevocations})
	if err != nil {
		return nil, err
	}
	var newest *RecordedList
	for _, e := range entries {
		if e.Issuer != issuer {
			continue
		}
		m, err := token.ParseMessage(e.Raw)
		if err != nil {
			return nil, fmt.Errorf("issue: the revocation list %s in the ledger: %w", e.ID, err)
		}
		r, err := token.DecodeRevocations(m.Payload)
		if err != nil {
			return nil, fmt.Errorf("issue: the revocation list %s in the ledger: %w", e.ID, err)
		}
		if newest == nil || r.Seq >= newest.List.Seq {
			newest = &RecordedList{Entry: e, List: r}
		}
	}
	return newest, nil
}

// logKey returns the public key recorded with the log of kid, or def.
func logKey(ctx context.Context, led *ledger.Ledger, kid string, def ed25519.PublicKey) (ed25519.PublicKey, error) {
	logs, err := led.Logs(ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range logs {
		if g.KID == kid && g.PublicKey != nil {
			return g.PublicKey, nil
		}
	}
	return def, nil
}

// listID is the ledger id of a revocation list: a hash of its raw bytes
// (as ledger.Describe computes it).
func listID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:token.IDSize])
}

// checkFrom checks RevokeRequest.From: when the ledger holds no list of
// the issuer, a list of the issuer signed by the Issuer's key; otherwise
// a list recorded in the ledger. It returns the raw list, decoded.
func (is *Issuer) checkFrom(ctx context.Context, data []byte, newest *RecordedList) ([]byte, *token.Revocations, error) {
	m, _, err := token.Decode(data)
	if err != nil {
		return nil, nil, &FromError{Err: err}
	}
	if newest != nil && listID(m.Raw) == newest.Entry.ID {
		return m.Raw, newest.List, nil
	}
	probe := &token.Revocations{Issuer: is.Name}
	if err := verify.ExtendRevocations(probe, data, is.PublicKey); err != nil {
		return nil, nil, &FromError{Err: err}
	}
	from, err := token.DecodeRevocations(m.Payload)
	if err != nil {
		return nil, nil, &FromError{Err: err}
	}
	if newest == nil {
		return m.Raw, from, nil
	}
	if e, err := is.Ledger.Get(ctx, listID(m.Raw)); err == nil && e.Kind == ledger.KindRevocations {
		return m.Raw, from, nil
	}
	if from.Seq > newest.List.Seq {
		return nil, nil, &FromError{Err: fmt.Errorf("it holds revocation list seq %d of %s, newer than the ledger's newest (seq %d): it was not signed from this ledger",
			from.Seq, is.Name, newest.List.Seq)}
	}
	return nil, nil, &FromError{Err: fmt.Errorf("it is not a list recorded in the ledger %s, whose newest list of %s (seq %d) revoke extends",
		is.Ledger.Location(), is.Name, newest.List.Seq)}
}

func countEntries(r *token.Revocations) int {
	n := len(r.IDs) + len(r.KeyIDs)
	for _, g := range r.Granted {
		n += len(g.IDs)
	}
	return n
}

// applyChange adds req.Revoke to res.List (plain ids of licenses the
// ledger holds under a grant revoked under it) and takes req.Unrevoke off.
func (is *Issuer) applyChange(ctx context.Context, req *RevokeRequest, res *RevokeResult) error {
	var problems []string
	for _, u := range req.Unrevoke {
		if revokes(req.Revoke, u) {
			problems = append(problems, fmt.Sprintf("%s is both revoked and unrevoked", u))
		}
	}
	if len(problems) > 0 {
		return &ProblemsError{Problems: problems}
	}
	r := res.List
	for _, e := range req.Revoke {
		if e.KeyID == nil && e.Grant == nil {
			le, err := is.Ledger.Get(ctx, hex.EncodeToString(e.ID))
			if err == nil && le.Kind == ledger.KindLicense && le.GrantID != "" {
				if scoped, err := EntryFor(le); err == nil {
					e = scoped
					res.Scoped = append(res.Scoped, le)
				}
			}
		}
		switch {
		case e.KeyID != nil:
			r.KeyIDs = append(r.KeyIDs, e.KeyID)
		case e.Grant != nil:
			r.Granted = append(r.Granted, token.GrantIDs{Grant: e.Grant, IDs: [][]byte{e.ID}})
		default:
			r.IDs = append(r.IDs, e.ID)
		}
	}
	for _, u := range req.Unrevoke {
		dropped, err := dropEntry(r, u)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		res.Dropped = append(res.Dropped, dropped)
	}
	if len(problems) > 0 {
		return &ProblemsError{Problems: problems}
	}
	res.Kept -= min(res.Kept, len(res.Dropped))
	return nil
}

// revokes reports whether list revokes e.
func revokes(list []ListEntry, e ListEntry) bool {
	return slices.ContainsFunc(list, func(x ListEntry) bool {
		switch {
		case e.KeyID != nil:
			return bytes.Equal(x.KeyID, e.KeyID)
		case x.KeyID != nil || !bytes.Equal(x.ID, e.ID):
			return false
		}
		return e.AnyGrant || bytes.Equal(x.Grant, e.Grant)
	})
}

// dropEntry takes e off r and returns the entry as it was on the list.
func dropEntry(r *token.Revocations, e ListEntry) (ListEntry, error) {
	if e.KeyID != nil {
		kept := slices.DeleteFunc(slices.Clone(r.KeyIDs), func(x []byte) bool { return bytes.Equal(x, e.KeyID) })
		if len(kept) == len(r.KeyIDs) {
			return e, fmt.Errorf("key %x is not on the list", e.KeyID)
		}
		r.KeyIDs = kept
		return ListEntry{KeyID: e.KeyID}, nil
	}
	var found []ListEntry
	if e.Grant == nil && slices.ContainsFunc(r.IDs, func(x []byte) bool { return bytes.Equal(x, e.ID) }) {
		found = append(found, ListEntry{ID: e.ID})
	}
	for _, g := range r.Granted {
		if (e.AnyGrant || bytes.Equal(g.Grant, e.Grant)) && slices.ContainsFunc(g.IDs, func(x []byte) bool { return bytes.Equal(x, e.ID) }) &&
			!slices.ContainsFunc(found, func(f ListEntry) bool { return bytes.Equal(f.Grant, g.Grant) }) {
			found = append(found, ListEntry{Grant: g.Grant, ID: e.ID})
		}
	}
	switch {
	case len(found) == 0:
		return e, fmt.Errorf("%s is not on the list", e)
	case len(found) > 1:
		names := make([]string, len(found))
		for i, f := range found {
			names[i] = hex.EncodeToString(f.ID)
			if f.Grant != nil {
				names[i] = hex.EncodeToString(f.Grant) + ":" + names[i]
			}
		}
		return e, fmt.Errorf("the list holds id %x %d times (%s): give GRANT:ID, or the id alone for the entry without a grant", e.ID, len(found), strings.Join(names, ", "))
	}
	f := found[0]
	if f.Grant == nil {
		r.IDs = slices.DeleteFunc(slices.Clone(r.IDs), func(x []byte) bool { return bytes.Equal(x, f.ID) })
		return f, nil
	}
	var kept []token.GrantIDs
	for _, g := range r.Granted {
		if bytes.Equal(g.Grant, f.Grant) {
			g.IDs = slices.DeleteFunc(slices.Clone(g.IDs), func(x []byte) bool { return bytes.Equal(x, f.ID) })
		}
		if len(g.IDs) > 0 {
			kept = append(kept, g)
		}
	}
	r.Granted = kept
	return f, nil
}

// checkReplacing refuses to replace an output file holding a list of
// issuer newer than base (the list extended, nil for none), whatever
// Out.Replace says. A file that is not such a list is left to the
// Issuer's Write.
func checkReplacing(req *RevokeRequest, issuer string, base *token.Revocations) error {
	if req.Replacing == nil || req.Out.File == "" {
		return nil
	}
	u, err := token.ParseUnverified(req.Replacing)
	if err != nil || u.Revocations == nil || u.Revocations.Issuer != issuer {
		return nil
	}
	var seq uint64
	if base != nil {
		seq = base.Seq
	}
	if u.Revocations.Seq > seq {
		return &NewerListError{File: req.Out.File, Issuer: issuer, Seq: u.Revocations.Seq, BaseSeq: seq}
	}
	return nil
}

package issue

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/token"
)

// Every issuing operation announces what it recorded with events stored
// in the ledger in the same transaction (an outbox; see [outbox.Event]):
// a license license.issued, a renewal license.renewed, a grant
// grant.issued, a revocation list license.revoked (grant.revoked) for
// each id it newly revokes. A key entry of a list announces nothing: it
// revokes every token of the key at once.

// setEvents gives each record without events those of its kind: a
// license's license.issued (license.renewed when it renews one), a
// grant's grant.issued. Revocation lists get theirs from Revoke.
func setEvents(recs []ledger.Record) {
	for i := range recs {
		if recs[i].Events != nil {
			continue
		}
		m, err := token.ParseMessage(recs[i].Raw)
		if err != nil {
			continue // the ledger refuses it
		}
		switch m.Header.Typ {
		case token.TypeLicense:
			typ := outbox.EventLicenseIssued
			if recs[i].RenewedFrom != "" {
				typ = outbox.EventLicenseRenewed
			}
			recs[i].Events = []outbox.Event{{Type: typ}}
		case token.TypeGrant:
			recs[i].Events = []outbox.Event{{Type: outbox.EventGrantIssued}}
		}
	}
}

// revokedEvents returns the events of a revocation list (raw, planned as
// res): license.revoked (or grant.revoked, for a grant the ledger holds)
// for each id on the list that was not on the list it extends.
func (is *Issuer) revokedEvents(ctx context.Context, raw []byte, res *RevokeResult) ([]outbox.Event, error) {
	type key struct{ grant, id string }
	old := map[key]bool{}
	if res.Base != nil {
		for _, id := range res.Base.IDs {
			old[key{"", hex.EncodeToString(id)}] = true
		}
		for _, g := range res.Base.Granted {
			for _, id := range g.IDs {
				old[key{hex.EncodeToString(g.Grant), hex.EncodeToString(id)}] = true
			}
		}
	}
	var added []key
	for _, id := range res.List.IDs {
		added = append(added, key{"", hex.EncodeToString(id)})
	}
	for _, g := range res.List.Granted {
		for _, id := range g.IDs {
			added = append(added, key{hex.EncodeToString(g.Grant), hex.EncodeToString(id)})
		}
	}
	evs := []outbox.Event{}
	for _, k := range added {
		if old[k] {
			continue
		}
		old[k] = true
		d := &outbox.EntryData{ID: k.id, Kind: string(ledger.KindLicense), Issuer: res.List.Issuer, GrantID: k.grant}
		e, err := is.Ledger.GetUnder(ctx, k.grant, k.id)
		switch {
		case err == nil:
			d = e.EventData()
		case !errors.Is(err, ledger.ErrNotFound):
			return nil, err
		}
		d.RevocationList, d.RevocationSeq = listID(raw), res.List.Seq
		typ := outbox.EventLicenseRevoked
		if d.Kind == string(ledger.KindGrant) {
			typ = outbox.EventGrantRevoked
		}
		data, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		evs = append(evs, outbox.Event{Type: typ, Subject: k.id, Data: data})
	}
	return evs, nil
}

package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/licet/licet/ledger/outbox"
)

// Outbox returns the ledger's outbox: the events its appends store (see
// [Record.Events]), the webhook subscriptions and their deliveries, in
// the ledger's database.
func (l *Ledger) Outbox() *outbox.Outbox { return l.outbox }

// newOutbox returns the outbox on l's database, clock and errors.
func (l *Ledger) newOutbox() *outbox.Outbox {
	return outbox.New(outbox.Config{DB: l.db, Postgres: l.postgres, Now: func() time.Time { return l.now() }, Wrap: l.wrap,
		OnSubscription: l.subscriptionAudit})
}

// EventData describes the entry for the data of an event.
func (e *Entry) EventData() *outbox.EntryData {
	d := &outbox.EntryData{ID: e.ID, Kind: string(e.Kind), Issuer: e.Issuer, Subject: e.Subject, Products: e.Audience, Tier: e.Tier,
		GrantID: e.GrantID, Partner: e.Partner, Order: e.OrderRef, RenewedFrom: e.RenewedFrom}
	if !e.IssuedAt.IsZero() {
		t := e.IssuedAt.UTC()
		d.IssuedAt = &t
	}
	if !e.Expiry.IsZero() {
		t := e.Expiry.UTC()
		d.Expiry = &t
	}
	return d
}

// insertRecordEvents stores the events of each record in tx, all in one
// outbox.Insert (multi-row INSERTs: a pool's group stores its events in
// one statement, not one each); an event's Subject "" and Data nil are
// those of the record's entry.
func (l *Ledger) insertRecordEvents(ctx context.Context, tx *sql.Tx, recs []Record, entries []*Entry) error {
	var all []outbox.Event
	for i, r := range recs {
		for j := range r.Events {
			ev := &r.Events[j]
			if ev.Subject == "" {
				ev.Subject = entries[i].ID
			}
			if ev.Data == nil {
				data, err := json.Marshal(entries[i].EventData())
				if err != nil {
					return fmt.Errorf("ledger: encoding an event: %v", err)
				}
				ev.Data = data
			}
		}
		all = append(all, r.Events...)
	}
	if _, err := l.outbox.Insert(ctx, tx, all); err != nil {
		return err
	}
	for _, r := range recs { // the records' events, as stored (ID, Created, Payload)
		all = all[copy(r.Events, all):]
	}
	return nil
}

package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/licet/licet/ledger/outbox"
)

// Outbox returns the ledger's outbox: the events its appends store (see
// [Record.Events]), the webhook subscriptions and their deliveries, in
// the ledger's database.
func (l *Ledger) Outbox() *outbox.Outbox { return l.outbox }

// newOutbox returns the outbox on l's database, clock and errors.
func (l *Ledger) newOutbox() *outbox.Outbox {
	return outbox.New(outbox.Config{DB: l.db, Postgres: l.postgres, Now: func() time.Time { return l.now() }, Wrap: l.wrap})
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

// insertRecordEvents stores the events of each record in tx; an event's
// Subject "" and Data nil are those of the record's entry.
func (l *Ledger) insertRecordEvents(ctx context.Context, tx *sql.Tx, recs []Record, entries []*Entry) error {
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
		if _, err := l.outbox.Insert(ctx, tx, r.Events); err != nil {
			return err
		}
	}
	return nil
}

// ExpiringEvents stores a license.expiring event for every license that
// expires after now and within the longest of windows, neither renewed
// nor revoked: one per license and window, the shortest window its
// expiry falls within, so each (license, window) is announced once however
// often this runs. It returns how many events it stored.
func (l *Ledger) ExpiringEvents(ctx context.Context, now time.Time, windows []time.Duration) (int, error) {
	if len(windows) == 0 {
		return 0, nil
	}
	ws := slices.Sorted(slices.Values(windows))
	if ws[0] <= 0 {
		return 0, errors.New("ledger: an expiry window must be positive")
	}
	list, err := l.List(ctx, Filter{Kind: KindLicense, ExpiringAfter: now, ExpiringBy: now.Add(ws[len(ws)-1]),
		NotRenewed: true, NotRevoked: true})
	if err != nil {
		return 0, err
	}
	var evs []outbox.Event
	for _, e := range list {
		left := e.Expiry.Sub(now)
		i := slices.IndexFunc(ws, func(w time.Duration) bool { return left <= w })
		if i < 0 {
			continue
		}
		d := e.EventData()
		d.WindowDays = int((ws[i] + 24*time.Hour - 1) / (24 * time.Hour))
		data, err := json.Marshal(d)
		if err != nil {
			return 0, fmt.Errorf("ledger: encoding an event: %v", err)
		}
		evs = append(evs, outbox.Event{Type: outbox.EventLicenseExpiring, Subject: e.ID, Data: data,
			Key: fmt.Sprintf("%s/%s/%s/%s", outbox.EventLicenseExpiring, e.GrantID, e.ID, ws[i])})
	}
	if len(evs) == 0 {
		return 0, nil
	}
	return l.outbox.AddEvents(ctx, evs...)
}

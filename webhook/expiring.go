package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
)

// expiringEvents stores a license.expiring event for every license of l
// that expires after now and within the longest of windows, neither
// renewed nor revoked: one per license and window, the shortest window
// its expiry falls within, so each (license, window) is announced once
// however often this runs, and by however many servers (the event's Key
// is unique). It returns how many events it stored.
func expiringEvents(ctx context.Context, l *ledger.Ledger, now time.Time, windows []time.Duration) (int, error) {
	if len(windows) == 0 {
		return 0, nil
	}
	ws := slices.Sorted(slices.Values(windows))
	if ws[0] <= 0 {
		return 0, errors.New("webhook: an expiry window must be positive")
	}
	list, err := l.List(ctx, ledger.Filter{Kind: ledger.KindLicense, ExpiringAfter: now, ExpiringBy: now.Add(ws[len(ws)-1]),
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
			return 0, fmt.Errorf("webhook: encoding an event: %v", err)
		}
		evs = append(evs, outbox.Event{Type: outbox.EventLicenseExpiring, Subject: e.ID, Data: data,
			Key: fmt.Sprintf("%s/%s/%s/%s", outbox.EventLicenseExpiring, e.GrantID, e.ID, ws[i])})
	}
	if len(evs) == 0 {
		return 0, nil
	}
	return l.Outbox().AddEvents(ctx, evs...)
}

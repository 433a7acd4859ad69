package usage

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The events of a site log record (see [Event]).
const (
	EventGranted  = "granted"
	EventRenewed  = "renewed"
	EventReleased = "released"
	EventExpired  = "expired"
	EventBorrowed = "borrowed"
	EventReturned = "returned"
	EventRefused  = "refused"
	EventStarted  = "started"
	EventSafeMode = "safe_mode"
)

// ReasonSeatsFull is the reason of a request refused because every seat
// was taken: the demand beyond the grant's seats that statements count.
const ReasonSeatsFull = "seats_full"

// Event is one record of a site's lease log, decoded: one JSON object
//
//	{"seq": 7, "at": "2026-12-08T09:00:00.123Z", "event": "granted",
//	 "lease": "<32 hex>", "product": "widget", "fingerprint": "<hex>",
//	 "client": "ws-12", "expires": "2026-12-08T10:00:00Z",
//	 "token": "<the lease, text form>", "in_use": 3}
//
// (a refused request has a "reason", such as "seats_full"), as package
// seats writes it
//
// whose exact bytes are a leaf of the site's Merkle log. Members the
// statement does not use are ignored; those it uses are checked.
type Event struct {
	Seq         int64     `json:"seq"`
	At          time.Time `json:"at"`
	Event       string    `json:"event"`
	Lease       string    `json:"lease"`
	Product     string    `json:"product"`
	Fingerprint string    `json:"fingerprint"`
	Client      string    `json:"client"`
	Expires     time.Time `json:"expires"`
	Token       string    `json:"token"`
	Reason      string    `json:"reason"`
	InUse       int       `json:"in_use"`
}

// eventWire is an Event whose required members can be told missing.
type eventWire struct {
	Seq  *int64     `json:"seq"`
	At   *time.Time `json:"at"`
	Kind *string    `json:"event"`
	eventBody
}

// eventBody is Event as a type to embed in eventWire.
type eventBody Event

// ParseEvent decodes the raw bytes of a record: one JSON object with a
// seq, a time and a known event; a lease event (granted, renewed,
// released, expired, borrowed, returned) names its lease, and granted,
// renewed and borrowed carry the expiry and the lease token.
func ParseEvent(raw []byte) (*Event, error) {
	var w eventWire
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("usage: not a record: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if w.Seq == nil || w.At == nil || w.Kind == nil {
		return nil, fmt.Errorf("usage: a record lacks seq, at or event")
	}
	e := Event(w.eventBody)
	e.Seq, e.At, e.Event = *w.Seq, w.At.UTC(), *w.Kind
	e.Expires = e.Expires.UTC()
	if e.Seq < 0 {
		return nil, fmt.Errorf("usage: record seq %d is negative", e.Seq)
	}
	switch e.Event {
	case EventGranted, EventRenewed, EventBorrowed:
		if e.Expires.IsZero() || e.Token == "" {
			return nil, fmt.Errorf("usage: record %d (%s) lacks the lease's expiry or token", e.Seq, e.Event)
		}
		fallthrough
	case EventReleased, EventExpired, EventReturned:
		if e.Lease == "" {
			return nil, fmt.Errorf("usage: record %d (%s) names no lease", e.Seq, e.Event)
		}
	case EventRefused, EventStarted, EventSafeMode:
	default:
		return nil, fmt.Errorf("usage: record %d has the unknown event %q", e.Seq, e.Event)
	}
	return &e, nil
}

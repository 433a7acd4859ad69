package outbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Subscription is a webhook endpoint that receives events: from licet.toml
// (Source "config", its secret a reference resolved by the server) or
// added through the API (Source "api", its secret stored here).
type Subscription struct {
	// ID is "sub_" and hex for one added through the API, or "config:"
	// and the name given in licet.toml.
	ID  string
	URL string
	// Events lists the event types sent ("license.issued"; "license.*"
	// for every license event); empty sends every event.
	Events []string
	// Secret is the signing secret (whsec_ and base64) of an API
	// subscription; "" for a config one.
	Secret string
	// SecretRef is where a config subscription's secret is (env:NAME or
	// file:PATH); "" for an API one.
	SecretRef string
	Source    string // "config" or "api"
	Created   time.Time
}

// Wants reports whether the subscription receives events of type typ.
func (s *Subscription) Wants(typ string) bool {
	if len(s.Events) == 0 {
		return true
	}
	return slices.ContainsFunc(s.Events, func(f string) bool {
		if p, ok := strings.CutSuffix(f, ".*"); ok {
			return strings.HasPrefix(typ, p+".")
		}
		return f == typ || f == "*"
	})
}

// ErrNoSubscription is returned for a subscription id that is not stored.
var ErrNoSubscription = errors.New("outbox: no such webhook subscription")

const subscriptionColumns = "id, url, events, secret, secret_ref, source, created"

// AddSubscription stores a subscription; an empty ID is set to a new
// "sub_" id, an empty Source to "api". Config.OnSubscription, if set,
// runs in the same transaction (the ledger stores who made the change).
func (o *Outbox) AddSubscription(ctx context.Context, s *Subscription) error {
	if s.ID == "" {
		var b [12]byte
		rand.Read(b[:])
		s.ID = "sub_" + hex.EncodeToString(b[:])
	}
	if s.Source == "" {
		s.Source = "api"
	}
	if s.Created.IsZero() {
		s.Created = o.c.Now().UTC().Truncate(time.Second)
	}
	tx, err := o.c.DB.BeginTx(ctx, nil)
	if err != nil {
		return o.wrap("storing a webhook subscription in", err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, o.q("INSERT INTO webhook_subscriptions ("+subscriptionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)"),
		s.ID, s.URL, strings.Join(s.Events, " "), s.Secret, s.SecretRef, s.Source, s.Created.Unix())
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "unique") {
		return fmt.Errorf("outbox: webhook subscription %s exists already", s.ID)
	}
	if err != nil {
		return o.wrap("storing a webhook subscription in", err)
	}
	if err := o.onSubscription(ctx, tx, s.ID); err != nil {
		return err
	}
	return o.wrap("storing a webhook subscription in", tx.Commit())
}

// Subscriptions returns the stored subscriptions, by id.
func (o *Outbox) Subscriptions(ctx context.Context) ([]*Subscription, error) {
	return o.subscriptions(ctx, o.c.DB, "1 = 1")
}

// Subscription returns the subscription with id, or [ErrNoSubscription].
func (o *Outbox) Subscription(ctx context.Context, id string) (*Subscription, error) {
	subs, err := o.subscriptions(ctx, o.c.DB, "id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(subs) == 0 {
		return nil, ErrNoSubscription
	}
	return subs[0], nil
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (o *Outbox) subscriptions(ctx context.Context, q querier, cond string, args ...any) ([]*Subscription, error) {
	rows, err := q.QueryContext(ctx, o.q("SELECT "+subscriptionColumns+" FROM webhook_subscriptions WHERE "+cond+" ORDER BY id"), args...)
	if err != nil {
		return nil, o.wrap("reading webhook subscriptions from", err)
	}
	defer rows.Close()
	var out []*Subscription
	for rows.Next() {
		s := &Subscription{}
		var events string
		var created int64
		if err := rows.Scan(&s.ID, &s.URL, &events, &s.Secret, &s.SecretRef, &s.Source, &created); err != nil {
			return nil, o.wrap("reading webhook subscriptions from", err)
		}
		s.Events, s.Created = strings.Fields(events), time.Unix(created, 0).UTC()
		out = append(out, s)
	}
	return out, o.wrap("reading webhook subscriptions from", rows.Err())
}

// DeleteSubscription removes a subscription and its pending deliveries
// (delivered and parked ones stay, for the record), running
// Config.OnSubscription in the same transaction.
func (o *Outbox) DeleteSubscription(ctx context.Context, id string) error {
	tx, err := o.c.DB.BeginTx(ctx, nil)
	if err != nil {
		return o.wrap("deleting a webhook subscription in", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, o.q("DELETE FROM webhook_subscriptions WHERE id = ?"), id)
	if err != nil {
		return o.wrap("deleting a webhook subscription in", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoSubscription
	}
	if _, err := tx.ExecContext(ctx, o.q("DELETE FROM webhook_deliveries WHERE subscription_id = ? AND state = ?"), id, DeliveryPending); err != nil {
		return o.wrap("deleting a webhook subscription in", err)
	}
	if err := o.onSubscription(ctx, tx, id); err != nil {
		return err
	}
	return o.wrap("deleting a webhook subscription in", tx.Commit())
}

// SyncSubscriptions makes the stored subscriptions of source exactly
// subs (added, changed, or removed with their pending deliveries), in one
// transaction: a server calls it at start with the subscriptions of
// licet.toml.
func (o *Outbox) SyncSubscriptions(ctx context.Context, source string, subs []*Subscription) error {
	tx, err := o.c.DB.BeginTx(ctx, nil)
	if err != nil {
		return o.wrap("storing webhook subscriptions in", err)
	}
	defer tx.Rollback()
	old, err := o.subscriptions(ctx, tx, "source = ?", source)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, s := range subs {
		s.Source = source
		if s.Created.IsZero() {
			s.Created = o.c.Now().UTC().Truncate(time.Second)
		}
		keep[s.ID] = true
		if _, err := tx.ExecContext(ctx, o.q(`INSERT INTO webhook_subscriptions (`+subscriptionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET url = excluded.url, events = excluded.events, secret = excluded.secret,
			secret_ref = excluded.secret_ref, source = excluded.source`),
			s.ID, s.URL, strings.Join(s.Events, " "), s.Secret, s.SecretRef, s.Source, s.Created.Unix()); err != nil {
			return o.wrap("storing webhook subscriptions in", err)
		}
	}
	for _, s := range old {
		if keep[s.ID] {
			continue
		}
		if _, err := tx.ExecContext(ctx, o.q("DELETE FROM webhook_subscriptions WHERE id = ?"), s.ID); err != nil {
			return o.wrap("storing webhook subscriptions in", err)
		}
		if _, err := tx.ExecContext(ctx, o.q("DELETE FROM webhook_deliveries WHERE subscription_id = ? AND state = ?"), s.ID, DeliveryPending); err != nil {
			return o.wrap("storing webhook subscriptions in", err)
		}
	}
	return o.wrap("storing webhook subscriptions in", tx.Commit())
}

// The states of a delivery.
const (
	DeliveryPending   = "pending"   // due at NextAt
	DeliveryDelivered = "delivered" // the endpoint answered 2xx
	DeliveryParked    = "parked"    // failed too often: waits for a retry by hand
)

// Delivery is one event for one subscription.
type Delivery struct {
	Event          *Event
	SubscriptionID string
	Subscription   *Subscription // nil when it was deleted since
	State          string
	Attempts       int
	NextAt         time.Time
	LastStatus     int    // the HTTP status of the last attempt; 0 for none
	LastError      string // why the last attempt failed
	DoneAt         time.Time
	lease          string
}

// FanOut creates the deliveries of up to limit events not fanned out yet,
// one per subscription that wants the event, due now, and marks the
// events fanned out; it returns how many events it handled. An event
// stored while no subscription wants it is never delivered. On
// PostgreSQL several servers fan out at once, each taking other events.
func (o *Outbox) FanOut(ctx context.Context, now time.Time, limit int) (int, error) {
	tx, err := o.c.DB.BeginTx(ctx, nil)
	if err != nil {
		return 0, o.wrap("fanning out events in", err)
	}
	defer tx.Rollback()
	query := fmt.Sprintf("SELECT id, type FROM events WHERE fanned = ? ORDER BY seq LIMIT %d", max(limit, 1))
	if o.c.Postgres {
		query += " FOR UPDATE SKIP LOCKED"
	}
	rows, err := tx.QueryContext(ctx, o.q(query), false)
	if err != nil {
		return 0, o.wrap("fanning out events in", err)
	}
	var ids, types []string
	for rows.Next() {
		var id, typ string
		if err := rows.Scan(&id, &typ); err != nil {
			rows.Close()
			return 0, o.wrap("fanning out events in", err)
		}
		ids, types = append(ids, id), append(types, typ)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, o.wrap("fanning out events in", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	subs, err := o.subscriptions(ctx, tx, "1 = 1")
	if err != nil {
		return 0, err
	}
	for i, id := range ids {
		for _, s := range subs {
			if !s.Wants(types[i]) {
				continue
			}
			if _, err := tx.ExecContext(ctx, o.q(`INSERT INTO webhook_deliveries (event_id, subscription_id, state, attempts, next_at,
				lease, lease_until, last_status, last_error, done_at) VALUES (?, ?, ?, 0, ?, '', 0, 0, '', 0) ON CONFLICT DO NOTHING`),
				id, s.ID, DeliveryPending, now.UnixMilli()); err != nil {
				return 0, o.wrap("fanning out events in", err)
			}
		}
		if _, err := tx.ExecContext(ctx, o.q("UPDATE events SET fanned = ? WHERE id = ?"), true, id); err != nil {
			return 0, o.wrap("fanning out events in", err)
		}
	}
	return len(ids), o.wrap("fanning out events in", tx.Commit())
}

const deliveryColumns = `d.subscription_id, d.state, d.attempts, d.next_at, d.last_status, d.last_error, d.done_at, d.lease,
	e.id, e.type, e.subject, e.payload, e.created, s.id, s.url, s.events, s.secret, s.secret_ref, s.source, s.created`

const deliveryJoin = ` FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
	LEFT JOIN webhook_subscriptions s ON s.id = d.subscription_id`

func scanDelivery(rows *sql.Rows) (*Delivery, error) {
	d := &Delivery{Event: &Event{}}
	var nextAt, doneAt, created int64
	var sid, url, events, secret, ref, source sql.NullString
	var screated sql.NullInt64
	if err := rows.Scan(&d.SubscriptionID, &d.State, &d.Attempts, &nextAt, &d.LastStatus, &d.LastError, &doneAt, &d.lease,
		&d.Event.ID, &d.Event.Type, &d.Event.Subject, &d.Event.Payload, &created,
		&sid, &url, &events, &secret, &ref, &source, &screated); err != nil {
		return nil, err
	}
	d.NextAt, d.Event.Created = time.UnixMilli(nextAt).UTC(), time.UnixMilli(created).UTC()
	if doneAt != 0 {
		d.DoneAt = time.UnixMilli(doneAt).UTC()
	}
	d.Event.Data = dataOf(d.Event.Payload)
	if sid.Valid {
		d.Subscription = &Subscription{ID: sid.String, URL: url.String, Events: strings.Fields(events.String), Secret: secret.String,
			SecretRef: ref.String, Source: source.String, Created: time.Unix(screated.Int64, 0).UTC()}
	}
	return d, nil
}

// ClaimDeliveries leases up to limit pending deliveries due at now to the
// caller until now+lease, soonest due first: no other caller claims them
// meanwhile (several servers on one PostgreSQL each claim other ones),
// and one whose lease runs out unfinished (a crashed server) is due
// again. Finish each with [Outbox.DeliveryDone], [Outbox.DeliveryFailed]
// or [Outbox.ReleaseDeliveries].
func (o *Outbox) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Delivery, error) {
	var b [12]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	tx, err := o.c.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, o.wrap("claiming deliveries in", err)
	}
	defer tx.Rollback()
	sub := fmt.Sprintf("SELECT event_id, subscription_id FROM webhook_deliveries WHERE state = ? AND next_at <= ? AND lease_until <= ? ORDER BY next_at LIMIT %d", max(limit, 1))
	if o.c.Postgres {
		sub += " FOR UPDATE SKIP LOCKED"
	}
	ms := now.UnixMilli()
	if _, err := tx.ExecContext(ctx, o.q("UPDATE webhook_deliveries SET lease = ?, lease_until = ? WHERE (event_id, subscription_id) IN ("+sub+")"),
		token, now.Add(lease).UnixMilli(), DeliveryPending, ms, ms); err != nil {
		return nil, o.wrap("claiming deliveries in", err)
	}
	out, err := o.deliveries(ctx, tx, "d.lease = ? AND d.state = ?", []any{token, DeliveryPending}, 0)
	if err != nil {
		return nil, err
	}
	return out, o.wrap("claiming deliveries in", tx.Commit())
}

func (o *Outbox) deliveries(ctx context.Context, q querier, cond string, args []any, limit int) ([]*Delivery, error) {
	query := "SELECT " + deliveryColumns + deliveryJoin + " WHERE " + cond + " ORDER BY d.next_at, e.seq"
	if limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := q.QueryContext(ctx, o.q(query), args...)
	if err != nil {
		return nil, o.wrap("reading deliveries from", err)
	}
	defer rows.Close()
	var out []*Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, o.wrap("reading deliveries from", err)
		}
		out = append(out, d)
	}
	return out, o.wrap("reading deliveries from", rows.Err())
}

// ErrLeaseLost is returned when finishing a delivery whose lease another
// caller holds now (it ran out): the other caller delivers it again.
var ErrLeaseLost = errors.New("outbox: the delivery's lease ran out and another server claimed it")

// finish updates a claimed delivery, if its lease is still the caller's.
func (o *Outbox) finish(ctx context.Context, d *Delivery, set string, args ...any) error {
	args = append(args, d.Event.ID, d.SubscriptionID, d.lease)
	res, err := o.c.DB.ExecContext(ctx, o.q("UPDATE webhook_deliveries SET "+set+" WHERE event_id = ? AND subscription_id = ? AND lease = ?"), args...)
	if err != nil {
		return o.wrap("updating a delivery in", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// DeliveryDone records that a claimed delivery was delivered at with the
// HTTP status.
func (o *Outbox) DeliveryDone(ctx context.Context, d *Delivery, at time.Time, status int) error {
	d.Attempts++
	d.State, d.LastStatus, d.LastError, d.DoneAt = DeliveryDelivered, status, "", at
	return o.finish(ctx, d, "state = ?, attempts = attempts + 1, last_status = ?, last_error = '', done_at = ?, lease = '', lease_until = 0",
		DeliveryDelivered, status, at.UnixMilli())
}

// DeliveryFailed records a failed attempt of a claimed delivery (status 0
// when no HTTP answer came): due again at next, or parked.
func (o *Outbox) DeliveryFailed(ctx context.Context, d *Delivery, at time.Time, status int, msg string, next time.Time, park bool) error {
	d.Attempts++
	d.State, d.LastStatus, d.LastError, d.NextAt = DeliveryPending, status, msg, next
	doneAt := int64(0)
	if park {
		d.State, d.DoneAt, doneAt = DeliveryParked, at, at.UnixMilli()
	}
	return o.finish(ctx, d, "state = ?, attempts = attempts + 1, next_at = ?, last_status = ?, last_error = ?, done_at = ?, lease = '', lease_until = 0",
		d.State, next.UnixMilli(), status, msg, doneAt)
}

// ReleaseDeliveries gives claimed deliveries back unattempted: they are
// due at once for any caller (a server shutting down).
func (o *Outbox) ReleaseDeliveries(ctx context.Context, ds []*Delivery) error {
	for _, d := range ds {
		if err := o.finish(ctx, d, "lease = '', lease_until = 0"); err != nil && !errors.Is(err, ErrLeaseLost) {
			return err
		}
	}
	return nil
}

// DeliveryFilter selects deliveries for [Outbox.Deliveries].
type DeliveryFilter struct {
	State   string // "" for every state
	EventID string // "" for every event
	Limit   int    // 0: no limit
}

// Deliveries returns the deliveries that match f, soonest due first.
func (o *Outbox) Deliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, error) {
	cond, args := "1 = 1", []any{}
	if f.State != "" {
		cond += " AND d.state = ?"
		args = append(args, f.State)
	}
	if f.EventID != "" {
		cond += " AND d.event_id = ?"
		args = append(args, f.EventID)
	}
	return o.deliveries(ctx, o.c.DB, cond, args, f.Limit)
}

// RetryDeliveries puts parked deliveries back in the queue, due at now
// with their attempts counted from 0: those of the event eventID (every
// parked one when eventID is ""), and of the subscription subID when it
// is not "". It returns how many it re-queued.
func (o *Outbox) RetryDeliveries(ctx context.Context, now time.Time, eventID, subID string) (int, error) {
	cond, args := "state = ?", []any{DeliveryPending, now.UnixMilli(), DeliveryParked}
	if eventID != "" {
		cond += " AND event_id = ?"
		args = append(args, eventID)
	}
	if subID != "" {
		cond += " AND subscription_id = ?"
		args = append(args, subID)
	}
	res, err := o.c.DB.ExecContext(ctx, o.q("UPDATE webhook_deliveries SET state = ?, attempts = 0, next_at = ?, done_at = 0, lease = '', lease_until = 0 WHERE "+cond), args...)
	if err != nil {
		return 0, o.wrap("re-queueing deliveries in", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

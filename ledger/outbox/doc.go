// Package outbox is the ledger's outbox: the events that announce what the
// ledger recorded (license.issued, grant.revoked, report.ingested...), the
// webhook subscriptions that want them and the deliveries of each event to
// each subscription. Package webhook posts them.
//
// # Events
//
// An [Event] of an append is stored in the append's transaction (package
// ledger calls [Outbox.Insert] there, for the events its records and
// checkpoints carry), so an event exists exactly when the entries it
// announces do. [Outbox.AddEvents] stores events that no entry comes with
// (license.expiring).
//
// # Deliveries
//
// [Outbox.FanOut] creates a [Delivery] of each new event for every
// [Subscription] that wants it. [Outbox.ClaimDeliveries] leases due ones
// to a caller (several servers on one PostgreSQL each claim other ones),
// which finishes each with [Outbox.DeliveryDone], [Outbox.DeliveryFailed]
// or [Outbox.ReleaseDeliveries]; a parked delivery waits for
// [Outbox.RetryDeliveries].
//
// # Storage
//
// The tables live in the ledger's database: get the outbox of a ledger
// with ledger.Ledger.Outbox, which shares its connections, clock and
// error redaction.
package outbox

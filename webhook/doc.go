// Package webhook delivers the ledger's events (see [outbox.Event], in
// package ledger/outbox) to the endpoints that subscribe to them, signed
// as the Standard Webhooks specification says
// (https://www.standardwebhooks.com).
//
// # Signing
//
// Each request carries three headers: webhook-id (the event's id, the
// same at every attempt: receivers deduplicate by it), webhook-timestamp
// (Unix seconds of the attempt) and webhook-signature, "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" under the subscription's
// secret ("whsec_" and the base64 key). [Sign] computes it; [Verify] is
// what a receiver runs. Both are tested against the specification's
// published example.
//
// # Delivery
//
// A [Dispatcher], started by the server (Run), works the outbox in the
// ledger: it stores license.expiring events as licenses enter their
// windows (once per license and window, however many servers run), fans
// new events out to the subscriptions that want them, claims due
// deliveries under a lease
// (several servers on one PostgreSQL each claim other ones; a crashed
// server's claims come due again when their lease runs out) and posts
// them. Delivery is at least once: a 2xx answer ends it; anything else is
// tried again after an exponential backoff with jitter, and after
// MaxAttempts failures the delivery is parked until someone retries it
// ([outbox.Outbox.RetryDeliveries], 'licet serve webhooks retry'). On
// shutdown (Run's context cancelled) the requests under way finish and
// the claimed deliveries not started are given back.
//
// # Endpoints
//
// Subscriptions come from licet.toml ([[webhooks]], their secrets
// referenced as env:NAME or file:PATH: see [ConfigSubscriptions]) or
// from the API ([Subscribe], which makes the secret). Only http and https
// URLs are accepted, and requests to loopback, link-local, unspecified
// or multicast addresses are refused when connecting (whatever the name
// resolves to), unless the Dispatcher says AllowLoopbackInsecure (tests).
// Redirects are not followed.
package webhook

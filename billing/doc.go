// Package billing turns a vendor's Stripe events into licenses: an
// [http.Handler] for the Stripe webhook endpoint of 'licet serve'
// (POST /v1/stripe/webhook, [Route]) that verifies each event's
// Stripe-Signature and mints, renews or revokes through the one issuing
// path (package issue), as the [stripe] table of licet.toml says
// ([policy.Stripe]).
//
// # Signatures
//
// Stripe signs each delivery with the endpoint's secret (whsec_...): an
// HMAC-SHA256 of "timestamp.body", sent with the timestamp in the
// Stripe-Signature header. The header is checked with Stripe's own
// library (github.com/stripe/stripe-go/v82/webhook), which follows
// Stripe's scheme as Stripe changes it: the timestamp must be within the
// tolerance (5 minutes unless configured), and any of the v1 signatures
// may match, as Stripe sends two while an endpoint's secret is rolled.
// Several secrets may be configured (one a line of the secret file) for
// the same overlap on this side. A body that no configured secret signed
// is refused with 400 before anything is read from it or recorded.
//
// The event itself is decoded here, not by stripe-go's typed objects:
// only the few fields named below are read, the same in every Stripe API
// version (the newer places are tried first), so an account pinned to
// another API version than stripe-go's works.
//
// # Events
//
//   - checkout.session.completed (and
//     checkout.session.async_payment_succeeded): mints a license from the
//     template of the session's price. Stripe does not put a session's
//     line items in the event: the price is taken from line_items when the
//     payload carries them, else from the session's metadata licet_price.
//     A subscription checkout without either is left to the subscription's
//     first invoice.paid; a one-off payment without either is a 422. A
//     session whose payment is still pending (payment_status unpaid) is
//     ignored: its async_payment_succeeded mints.
//   - invoice.paid: for a subscription that has no license yet, mints
//     one (its first invoice); for a subscription already licensed,
//     renews its newest license to the end of the period paid for (the
//     invoice line's period end; else the template's days from the old
//     expiry), with the terms of the template of the line's price (so a
//     plan change at renewal changes the terms). The first invoice of a
//     subscription that its checkout already licensed does nothing.
//   - customer.subscription.deleted: revokes every license of the
//     subscription in one signed list (on_cancel = "revoke"), or does
//     nothing and lets them run to their expiry (on_cancel = "expire").
//   - Every other event type is answered 200 and ignored.
//
// A license's subject is the customer's email address, or the Stripe
// customer id (subject = "customer").
//
// # Orders: idempotent by event and by subscription
//
// Each license is issued under an order reference derived from Stripe's
// ids ([OrderSubscription], [OrderCheckout], [OrderInvoice]): the first
// license of a subscription under "stripe:subscription:sub_...", each
// renewal under "stripe:invoice:in_...". So the license of a
// subscription is found through the ledger's order lookup, and an event
// processed twice issues nothing the second time: the issuing path
// returns the recorded license for an order already recorded
// (issue.Issuer.License), a renewal's invoice order is looked up first,
// and a revocation is skipped for licenses the newest list already
// revokes.
//
// The ids of processed events are kept in the ledger's database (table
// stripe_events, [Events]); a delivery of an event already processed is
// answered 200 without looking further. The id is recorded after the
// issuing, not in its transaction (the ledger's append is the issuing
// path's own): a crash between the two leaves the event unrecorded, and
// Stripe's next delivery of it goes through the order lookup above,
// which finds what the first one recorded and signs nothing. The order
// references are the guarantee; the event table saves the lookups and
// says which events were handled, with what outcome.
//
// # Errors and retries
//
// Stripe delivers an event again (for up to three days, with backoff)
// until the endpoint answers 2xx. The answers are chosen for that:
//
//   - 400: no or a bad signature, a timestamp outside the tolerance, a
//     body that is not an event. Nothing is recorded.
//   - 500 (code unknown_price): a price that [stripe.prices] does not
//     map, logged as an error. The customer paid; the vendor adds the
//     price to licet.toml and restarts, and Stripe's next delivery mints.
//     With unknown_price = "ignore" (a Stripe account that also sells
//     what licet does not license) it is 200 and logged.
//   - 422 (no_price, no_subject): an event that names no price, or no
//     email address for the subject; delivering it again cannot help, and
//     the failure stays visible in Stripe's dashboard.
//   - 409 (order_conflict): an order already issued with other terms.
//   - 500: the ledger or the key failed; Stripe's next delivery retries.
//
// Answers are JSON: {"event", "outcome", "license", "order"} for 2xx,
// application/problem+json with a stable code otherwise. Logs (slog) name
// the event, its type, the outcome and the license, never a secret or the
// signature header.
package billing

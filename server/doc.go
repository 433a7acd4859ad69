// Package server is the issuance API of 'licet serve': a JSON API under
// /v1 over the one issuing path (package issue) and the ledger, for a
// vendor's CRM or billing system.
//
// # Operations
//
//	POST /v1/licenses               mint (template + overrides + order)
//	GET  /v1/licenses               list (the ledger's filters, cursor pages)
//	GET  /v1/licenses/{id}          state and the token in each form
//	POST /v1/licenses/{id}/renew    renew
//	POST /v1/licenses/{id}/revoke   revoke (the issuer's next list)
//	POST /v1/activations            an activation request in, a bound license out
//	POST /v1/reports                a partner's royalty report in, the verdict out
//	GET  /v1/statements             the royalty statement of a period
//	GET  /v1/revocations            the current signed list (public, ETag)
//	GET  /v1/expiring               licenses expiring within a window
//	POST /v1/grants                 a partner grant
//	GET  /v1/webhooks/subscriptions         the webhook subscriptions (admin)
//	POST /v1/webhooks/subscriptions         subscribe an endpoint (admin; the secret shown once)
//	DELETE /v1/webhooks/subscriptions/{id}  unsubscribe one made through the API (admin)
//	GET  /v1/openapi.json           the OpenAPI document (docs/openapi.json)
//
// Errors are application/problem+json with stable codes (package
// internal/httpserve). An order reference, or else an Idempotency-Key
// header, makes a retried mint, renewal or grant return the license (or
// grant) recorded the first time (issue's idempotent orders): 201 when
// signed, 200 with "existing": true when it came back, and 409
// order_conflict, listing the differences, for other terms.
//
// # Access
//
// Every operation but the revocation list and the document needs an API
// token (Authorization: Bearer licet_...), made by [Store.Create] ('licet
// serve token create'), shown once and stored as its SHA-256 in the
// ledger's database (table serve_tokens). Roles: read; mint (and read);
// revoke (and read); admin (everything); partner:GRANT_ID, which reads
// only the licenses minted under that grant and uploads that grant's
// royalty reports. Each token has its own rate
// limit. Every change is recorded in the audit table serve_audit with the
// token that made it ([Store.AuditLog]), in the ledger transaction of the
// change ([ledger.Audit], carried by the request's context through the
// issuing path): a change without its audit row cannot exist.
package server

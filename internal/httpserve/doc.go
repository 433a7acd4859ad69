// Package httpserve is the HTTP scaffolding shared by licet's servers (the
// issuance server of 'licet serve', later the lease server): the listen
// policy, graceful shutdown, health and readiness endpoints, structured
// request logs, Prometheus metrics, request body caps and errors as
// application/problem+json (RFC 9457) with stable codes.
//
// # Listen policy
//
// [CheckListen] allows a loopback address (127.0.0.0/8, ::1, localhost)
// always; any other address only with TLS (certificate and key files) or
// with Config.InsecureListen, which a command exposes as a flag naming the
// risk (--insecure-listen): API tokens and licenses then cross the network
// in clear text.
//
// # Errors
//
// Every error response is a [Problem]: a JSON object with type, title,
// status, detail and code, where code is a stable, machine-readable name
// (such as "unknown_field" or "rate_limited") that clients match on; the
// type URI is "urn:licet:problem:" + code. [WriteProblem] is the one place
// that writes them.
//
// # Shutdown
//
// [Server.Serve] runs until its context is cancelled (SIGTERM in the
// command), then stops accepting, reports not ready on /readyz, and waits
// for requests in flight to finish (up to Config.DrainTimeout).
package httpserve

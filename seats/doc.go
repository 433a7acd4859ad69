// Package seats is the lease server of floating seats (issue 22): a site
// runs it on its own network with a key of its own and a site grant from
// the vendor ([token.Site]: N seats, the longest lease, borrowing caps),
// and it hands out leases: licenses signed by the site key under the
// grant, each bound to one machine ("bind": {"host": fingerprint}) and
// short-lived, never more than N at once. Products verify a lease offline
// like any license, with the vendor's public key alone (vendor -> site
// grant -> lease).
//
// # Leases
//
// [Server.Acquire] grants a lease of the grant's longest lease (or a
// borrowed seat, up to the longest borrow, while fewer than the grant's
// borrows are out); [Server.Renew] signs a new token for the same lease
// id with a new expiry (repeating it is harmless); [Server.Release] ends
// it (a borrowed seat is returned). A lease's "cti" is its id; its "meta"
// holds "site_seq", the index in the site log of the record that granted
// or renewed it, and "lease": "borrow" on a borrowed seat. Every lease is
// checked against the grant (verify.Violations) before it is signed.
//
// When every seat is taken a request is refused (seats_full, with the
// seconds until the next seat frees by expiry) or, if it asked to, waits
// in a bounded queue, first come first served. Leases that reach their
// expiry unreleased free their seats and are recorded as expired.
//
// # Never more than N
//
// At no instant are more than N leases unexpired and unreleased, borrowed
// ones included, as the server's clock counts them. A lease is on disk (in
// the log, synced) before it is handed out, and a restart replays the log,
// so a crash forgets none. A state the server cannot trust stops new
// leases for one longest lease ([token.Site.MaxLease]), the time every
// lease it might have forgotten takes to expire ("safe mode", refused as
// state_unverified; renewals of the leases it knows go on):
//
//   - the log is missing while the head file exists, or the reverse;
//   - the log is shorter than its signed head, or does not match it;
//   - the head or the log is signed by another key, or a record in the
//     log was changed (the log is moved aside, kept, and a new one
//     begins);
//   - a client renews a lease signed by the site key whose site_seq the
//     log does not hold (past its end, or a record of another lease): the
//     state directory was copied back from earlier.
//
// Safe mode is itself a record of the log, so it outlives a restart. A
// clock behind the log's newest record (beyond [Config.ClockAllowance])
// is refused: the server does not start, and while running it grants and
// renews nothing until the clock is right.
//
// What the server cannot stop: whoever holds the site key can sign leases
// off the books, or run a second server from a second state directory.
// The signed, hash-chained log and the usage reports made from it are the
// answer: a true-up, not a lock.
//
// # The site log
//
// Every event (a lease granted, renewed, released, expired, borrowed or
// returned, a request refused, the server started, safe mode) is a
// [Record], one JSON object a line in the state directory's log file
// ([LogFile]). The records are the leaves of an RFC 6962 Merkle tree
// (golang.org/x/mod/sumdb/tlog, leaf = the record's bytes); after each
// batch of records the server writes a C2SP checkpoint signed by the site
// key (origin "licet/seats/" + the grant id in hex) as a line
// {"checkpoint": "<signed note>"}, syncs the file once, and answers the
// batch's callers ([Committer]: group commit, leases signed on their
// callers' goroutines). The newest checkpoint is also kept in the head
// file ([HeadFile]), replaced atomically, at most every 100 ms; it may lag
// the log, never lead it. [ReadLog] reads a log back, checking every
// record against the checkpoint after it; a crash can leave only a torn
// last line or records without their checkpoint, whose callers were never
// answered: ReadLog leaves them out and says so.
//
// # HTTP API
//
// [Server.Register] adds the API to an internal/httpserve server (listen
// policy, TLS, logs, metrics, health, graceful shutdown):
//
//	POST   /v1/leases             {"product", "fingerprint", "client"?, "borrow"?, "wait"?} -> 201 [Lease]
//	POST   /v1/leases/{id}/renew  {"fingerprint", "token"?} -> 200 [Lease]
//	DELETE /v1/leases/{id}        {"fingerprint"} -> 204 (repeated: 204)
//	GET    /v1/status             -> [Status]
//	GET    /v1/leases             -> {"leases": [[Outstanding]...]}
//
// Bodies are strict JSON (unknown or repeated members refused) of at most
// [MaxBody] bytes; errors are application/problem+json with the codes of
// [Error] (seats_full and borrows_full 429, state_unverified 503, each
// with Retry-After; borrow_not_allowed, wrong_product and wrong_machine
// 403; borrow_too_long 400; lease_gone 410).
//
// The API has no accounts: any machine that reaches the server can take a
// seat (put it on the network the seats are for, behind TLS). A lease id
// is the capability that renews and releases its lease, so it is given
// only to the machine that took the lease; GET /v1/leases names leases by
// [LeaseRef], from which the id cannot be found.
package seats

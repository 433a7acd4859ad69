// Package usage turns a site's lease log (package seats) into usage
// reports a vendor can check, and the checked records into statements of
// floating seat usage: the true-up of a site grant.
//
// # Reports
//
// A site's lease server logs every lease event (granted, renewed,
// released, expired, borrowed, returned, refused, started, safe mode) as
// a record, one JSON object, the leaves of an RFC 6962 Merkle tree whose
// checkpoints the site key signs under the origin licet/seats/<grant id>
// (see package seats). A [Report] is a JSON file: the log's newest signed
// checkpoint, the records added since the site's previous report (from
// index Start to the checkpoint's size), and the consistency proof from
// the tree of Start records. [Create] makes one from a log read by
// [seats.ReadLog]; it needs no key, the server signed the checkpoint, and
// it refuses a log the vendor would refuse (another key, a previous
// report's tree no longer in the log).
//
// # Checking
//
// A [History] is what a vendor accepted of one site's log: [NewHistory]
// takes the vendor's key and the site grant, and [History.Add] accepts a
// report only as the exact continuation of what it holds. Every refusal
// is an [*Error] with a [Code]: a record edited or replaced or the proof
// altered (tampered), dropped (dropped), reordered (reordered), an old
// report again (replayed), a log that went back to fewer records
// (rolled_back), a log that forked between reports (inconsistent: both
// signed checkpoints are written to an [Evidence] file, each verifiable
// with the site's public key alone), and a lease token that does not
// verify under the site grant at its record's time, for the record's
// lease, product, machine and expiry (outside_grant). [Ingest] keeps the
// reports accepted in a store directory, one directory per site grant,
// and [Load] reads them back.
//
// # Statements
//
// [Build] computes, from the records alone, each UTC day's most seats in
// use at one instant (the peak, against the grant's seats), the
// seat-hours, the requests refused because every seat was taken (the
// demand beyond the seats bought), the seats borrowed and the leases
// granted, in total and per product. A lease is in use from the record
// that granted it until the one that released or returned it, or else to
// its last signed expiry: a crashed client's seat stays taken until then,
// as on the server. [Statement] writes itself as tables, CSV, JSON or one
// self-contained HTML page that loads nothing ([ContentSecurityPolicy]).
//
// # What it cannot see
//
// Whoever holds the site key can sign leases off the log: each verifies,
// and no report holds it. The signed reports are what such a lease, found
// in the field, is held against: [History.Audit] finds that the record
// its site_seq names carries another lease (or that it names none).
package usage

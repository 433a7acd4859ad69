// Package seats is the lease server of floating seats (issue 22): a site
// runs it on its own network with a key of its own and a site grant from
// the vendor, and it hands out leases, licenses signed under the grant,
// each bound to one machine and short-lived, never more than the grant's
// seats at once.
//
// # The site log
//
// Every event (a lease granted, renewed, released, expired, borrowed or
// returned, a request refused, the server started) is a [Record], one
// JSON object a line in the state directory's log file ([LogFile]). The
// records are the leaves of an RFC 6962 Merkle tree
// (golang.org/x/mod/sumdb/tlog, leaf = the record's bytes); after each
// batch of records the server writes a C2SP checkpoint signed by the site
// key (origin "licet/seats/" + the grant id in hex) as a line
// {"checkpoint": "<signed note>"}, syncs the file once, and answers the
// batch's callers. The newest checkpoint is also kept in the head file
// ([HeadFile]), replaced atomically. [ReadLog] reads a log back, checking
// every record against the checkpoint after it; a crash can leave only a
// torn last line or records without their checkpoint, whose callers were
// never answered: ReadLog leaves them out and says so.
package seats

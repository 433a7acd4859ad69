// Package ledger is an issuer's system of record: an append-only store of
// every token the issuer signed (licenses, grants, revocation lists), each
// kept as its exact raw bytes with the fields a vendor searches by, and
// bound into a tamper-evident Merkle log.
//
// # Entries
//
// An [Entry] holds the raw COSE_Sign1 bytes of one signed object and the
// fields derived from them (id, kind, iss, sub, aud, tier, iat, exp, grant
// id, partner), plus what only the issuer knows: the order reference it was
// sold under, the license it renews, the file it was written to and whether
// that write finished. Derived fields are never taken from the caller: the
// ledger computes them from the raw bytes, and [Ledger.Verify] computes
// them again.
//
// A revocation list has no id claim; its entry id is the first 16 bytes of
// the SHA-256 of its raw bytes, in hex like every id.
//
// # The log
//
// Entries form one RFC 6962 Merkle log per signing key (kid): entry i of a
// key is leaf i, and the leaf is the exact raw token (see
// [golang.org/x/mod/sumdb/tlog.RecordHash]). The ledger stores every hash
// that tlog.StoredHashes asks for and the tree head (size and root) of each
// log, so [Ledger.Verify] recomputes all of them from the raw bytes alone
// and reports any row that was edited, removed or reordered. [Ledger.TreeHead]
// and [Ledger.HashReader] give what signed checkpoints (origin
// "licet/log/<kid hex>") and inclusion or consistency proofs need.
//
// # Signed checkpoints
//
// Every [Ledger.Append] takes the note signer of the records' key
// ([NewCheckpointSigner]) and stores, in the same transaction, a C2SP
// signed-note checkpoint of that key's log (the form royalty reports
// carry): origin, size, root, and an extension line committing to the
// issuer data of the log's entries (order references and renewal links,
// which the raw tokens do not carry). An append first checks that the
// newest signed checkpoint matches the stored log, so it never signs over
// a log modified outside licet.
//
// # Verifying
//
// [Ledger.Verify] recomputes every log from the raw bytes alone and
// checks it against what its key signed: the log's public key must be the
// key of its kid, every entry's signature must verify, every stored
// checkpoint must be signed by the log's key and be the tree (and issuer
// data) of the entries at its size, and the newest must cover the log.
// Checkpoints kept outside the ledger ([Ledger.SignedHeads], given back
// to [Ledger.Verify]) show what nothing inside it can: the newest appends
// removed together with their checkpoints. What no signature can cover
// (whether and where a token was written, when it was recorded) is
// informational only.
//
// # State
//
// [Ledger.States] derives a license's or grant's state from the ledger:
// written, bound (a machine binding), renewed (by and from), revoked (by
// the newest recorded revocation list of its issuer, or of the issuer of
// the grant it was minted under: its id, its id under that grant, the
// grant, or a key that signed it) and expired. [Entry.Terms] decodes what
// it grants.
//
// # Mirrored logs
//
// A vendor's ledger can also hold a partner's log, received in royalty
// reports (package report): [Ledger.AppendCheckpoint] appends the
// partner's entries only when, after those stored, they make up exactly
// the tree of the partner's signed checkpoint, and stores the checkpoint
// with them ([Ledger.Checkpoints]); [Ledger.Verify] checks every stored
// checkpoint against the entries.
//
// # Events
//
// An append stores the events its records carry ([Record.Events], such as
// license.issued, chosen by package issue; [StoredCheckpoint.Events] for
// report.ingested) in its own transaction, in the outbox kept in the
// ledger's database ([Ledger.Outbox], package ledger/outbox): an event
// exists exactly when the entries it announces do. Package webhook adds
// license.expiring events and delivers them all to the subscriptions the
// outbox stores. Who made a change ([Record.Audit], see [Audit]) is stored
// in the same transaction, in the audit table.
//
// # Storage
//
// [Open] takes a file path, which is an SQLite database (pure Go, no cgo;
// WAL mode and a busy timeout let several processes on one machine append),
// or a postgres:// URL for vendors who issue from several machines. Appends
// to a log are serialized per kid inside a transaction (SQLite: an
// immediate transaction; PostgreSQL: a row lock on the log's head), so
// concurrent issuers neither fork a log nor lose an entry.
//
// # Recording before writing
//
// An issuer records a token before it hands it out: [Ledger.Append] with
// Written false, then the file is written, then [Ledger.MarkWritten]. A crash
// between the two leaves an unwritten entry, never a signed token that the
// ledger does not know.
package ledger

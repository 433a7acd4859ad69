// Package report lets a vendor know exactly what its partners issued under
// its grants, and prove it: partners send signed royalty reports, the
// vendor checks and stores them, and audits licenses seen in the field
// against them. Package royalty prices what the reports hold in royalty
// statements.
//
// # Checkpoints
//
// A partner's ledger keeps one RFC 6962 log per signing key whose leaves
// are the raw bytes of every token the key signed (see package ledger). A
// [Checkpoint] commits to that log: a C2SP tlog-checkpoint
//
//	licet/log/<kid hex>
//	<tree size, decimal>
//	<root hash, base64>
//
// in a C2SP signed note whose only signature is by the key itself, under
// the key name licet/log/<kid hex> (its key hash: the first 4 bytes of
// SHA-256 of the name, a newline, 0x01 and the 32-byte Ed25519 key).
// [SignCheckpoint] makes one with any Ed25519 crypto.Signer; [OpenCheckpoint]
// checks one with golang.org/x/mod/sumdb/note. docs/FORMAT.md section 10
// is the normative layout.
//
// # Reports
//
// A [Report] is a JSON file: the checkpoint, the entries added since the
// partner's previous report (from index Start to the checkpoint's size),
// the consistency proof from the tree of Start entries, and the grant it is
// made under. [Create] makes one from the partner's ledger; it refuses to
// sign a log that the vendor would refuse.
//
// # Ingesting
//
// [Ingest] checks a report against the vendor's ledger, then stores its
// entries in a log there that mirrors the partner's, together with the
// signed checkpoint: only when the entries stored and the new ones make up
// exactly the signed tree. Every refusal is an [*Error] with a [Code]
// (tampered, wrong_key, reordered, dropped, outside_grant, replayed,
// ...), and stores nothing. When the new checkpoint contradicts one
// ingested before, both signed notes are written to an [Evidence] file:
// the partner rewrote its log, and anyone can check the two signatures.
//
// # Audits and late licenses
//
// [Audit] tells, for licenses seen in the field, which ones a partner
// signed under the vendor's grants without reporting them.
//
// A license issued before the partner's previous report was ingested is
// late ([Late]): [Ingest] lists it, and a royalty statement counts it in
// the period of the report that first held it, not of its iat, so that a
// backdated license cannot land in a period already invoiced.
//
// # Ids
//
// License ids are unique per grant, not across the vendor's ledger: a
// partner chooses the ids of the licenses it signs, so one partner's
// license may carry the id of another's. Ingest and audit look a license
// up under its grant, and a report is refused as replayed only when it
// repeats a license of its own grant.
package report

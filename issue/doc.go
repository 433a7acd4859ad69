// Package issue is the one path by which an issuer hands out a signed
// object: check the terms, unlock the key, sign, record the token in the
// ledger (unwritten), write it, mark it written. Every command that signs
// (mint, renew, grant, batch, revoke) and the issuance server go through
// an [Issuer]; package ledger only stores and queries.
//
// # Recording before writing
//
// [Issuer.Record] appends the token to the ledger before its file is
// written, so a crash leaves an unwritten entry (which 'licet ledger show'
// writes out, and a batch rerun completes), never a token the ledger does
// not know. A write that fails after recording is an [*UnwrittenError].
// Who asked ([ledger.Audit], carried by the context: [ledger.WithAudit])
// is recorded with the records, in the same transaction.
//
// # Idempotent orders
//
// An order reference is issued once. [Issuer.License] with an order
// already recorded compares the terms asked with the recorded license
// ([Differences]): the same terms return the recorded license, written
// again where asked (Result.Existing); other terms are a
// [*ConflictError] listing each difference as "field: recorded vs asked".
// Relative terms (365 days from now) are compared as they were asked at
// the recorded license's issue time (LicenseRequest.AskedAt).
// [Issuer.Batch] does the same per job (outcomes Existing, Recovered,
// Conflict) and signs the new jobs on every core.
//
// # Key rotation
//
// After 'licet keys rotate', the previous key has signed a rotation grant
// (a grant from the issuer to itself for the new key, any tier and scope)
// and the ledger holds it. While it is current ([Issuer.Rotation]: from
// its start to its expiry, the date after which no product in the field
// trusts only the previous key), every license the new key signs carries
// it, so those products accept it; revocation lists are signed by the
// previous key ([RevocationSigner]), which every product still trusts
// (new releases keep it, retired: a retired key still signs lists). The
// [Workspace] file beside the keys records which file holds which key.
//
// # Concurrent requests
//
// A server issuing for many clients at once uses a [Pool]
// ([Issuer.NewPool]): each license is checked and signed on its caller's
// goroutine, then a sequencer records everything pooled in one ledger
// transaction with one signed checkpoint and answers each caller from it.
// Orders stay idempotent; a request that fails its checks fails alone,
// before joining. The sequencer waits briefly for the requests still being
// signed when a group starts, so that clients answered together are
// recorded together again; a token handed back in the caller's reply
// (Out.Reply) is recorded written in the same transaction.
package issue

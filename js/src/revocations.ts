// Revocation lists (FORMAT section 6): checked against trusted keys, and
// indexed for the verifier, as Go's verify/revocations.go.

import { splitObjects } from './armor.js';
import { hex } from './cbor.js';
import { type GrantIDs, type RevocationClaims, decodeRevocations } from './claims.js';
import { LicetError, fail } from './errors.js';
import { type KeySet, checkAlg, checkUsable, verifySignature } from './keys.js';
import { type Message, TYPE_REVOCATIONS, decodeMessage } from './sign1.js';
import { type Input, type TimeInput, asCode, ms, quote, toBytes } from './util.js';

/**
 * RevocationEntries are the entries of a revocation list: "cti" ids,
 * "kid" key ids and "gcti" pairs. A RevocationClaims is one.
 */
export interface RevocationEntries {
  ids?: Uint8Array[];
  keyIds?: Uint8Array[];
  granted?: GrantIDs[];
}

function checkEntries(e: RevocationEntries): void {
  const size = (b: unknown, n: number, what: string) => {
    if (!(b instanceof Uint8Array) || b.length !== n) throw new TypeError(`licet: a revoked ${what} is not ${n} bytes`);
  };
  for (const id of e.ids ?? []) size(id, 16, 'id');
  for (const kid of e.keyIds ?? []) size(kid, 8, 'key id');
  for (const g of e.granted ?? []) {
    size(g.grant, 16, 'grant id');
    for (const id of g.ids) size(id, 16, 'id under a grant');
  }
}

/** RevocationList is a revocation list whose signature by a trusted key verified. */
export class RevocationList {
  private readonly ids = new Set<string>();
  private readonly kids = new Set<string>();
  private readonly granted = new Set<string>();
  /** @internal The entries including() added; empty for a list as signed. */
  readonly kept: Required<RevocationEntries>;

  /** @internal */
  constructor(
    /** The decoded list, as signed (without the entries including() added). */
    readonly claims: RevocationClaims,
    /** The id of the key that signed the list. */
    readonly keyId: Uint8Array,
    kept: Required<RevocationEntries> = { ids: [], keyIds: [], granted: [] },
  ) {
    this.kept = kept;
    this.add(claims);
    this.add(kept);
  }

  private add(e: RevocationEntries): void {
    for (const id of e.ids ?? []) this.ids.add(hex(id));
    for (const kid of e.keyIds ?? []) this.kids.add(hex(kid));
    for (const g of e.granted ?? []) for (const id of g.ids) this.granted.add(hex(g.grant) + hex(id));
  }

  /** issuer is the list's iss: it applies only to that issuer's licenses. */
  get issuer(): string {
    return this.claims.issuer;
  }

  /** seq is the list's sequence number: it orders an issuer's lists. */
  get seq(): bigint {
    return this.claims.seq;
  }

  /** stale reports whether the list is past its next update at now. */
  stale(now: TimeInput = Date.now()): boolean {
    return ms(now) > this.claims.nextUpdate * 1000;
  }

  /** revokesId reports whether the list names a grant id, or the id of a license not minted under a grant. */
  revokesId(id: Uint8Array): boolean {
    return id.length === 16 && this.ids.has(hex(id));
  }

  /** revokesKey reports whether the list names a key id. */
  revokesKey(kid: Uint8Array): boolean {
    return kid.length === 8 && this.kids.has(hex(kid));
  }

  /** revokesGranted reports whether the list names license id under the grant whose id is grant (a "gcti" pair). */
  revokesGranted(grant: Uint8Array, id: Uint8Array): boolean {
    return grant.length === 16 && id.length === 16 && this.granted.has(hex(grant) + hex(id));
  }

  /** @internal The key ids the list revokes, in hex. */
  revokedKeyIds(): Iterable<string> {
    return this.kids;
  }

  /**
   * including returns a list that revokes what this one revokes and every
   * entry of earlier too (its ids, keyIds and granted), for callers that
   * keep what they have seen revoked: revocation is monotonic (FORMAT
   * section 6), a later list never un-revokes. The result has this list's
   * claims, issuer and seq. Entries of the wrong size throw a TypeError.
   */
  including(earlier: RevocationEntries): RevocationList {
    checkEntries(earlier);
    return new RevocationList(this.claims, this.keyId, {
      ids: [...this.kept.ids, ...(earlier.ids ?? [])],
      keyIds: [...this.kept.keyIds, ...(earlier.keyIds ?? [])],
      granted: [...this.kept.granted, ...(earlier.granted ?? [])],
    });
  }

  /**
   * dropped returns the entries of earlier that this list does not name
   * (what taking this list alone would un-revoke), or null when it names
   * them all: a caller reports them, and keeps them with including().
   */
  dropped(earlier: RevocationEntries): Required<RevocationEntries> | null {
    const d: Required<RevocationEntries> = {
      ids: (earlier.ids ?? []).filter((id) => !this.revokesId(id)),
      keyIds: (earlier.keyIds ?? []).filter((kid) => !this.revokesKey(kid)),
      granted: [],
    };
    for (const g of earlier.granted ?? []) {
      const ids = g.ids.filter((id) => !this.revokesGranted(g.grant, id));
      if (ids.length > 0) d.granted.push({ grant: g.grant, ids });
    }
    return d.ids.length + d.keyIds.length + d.granted.length === 0 ? null : d;
  }
}

/**
 * parseRevocations checks a revocation list in any form: signed by a
 * trusted, usable key whose issuer (when known) is the list's issuer. It
 * throws a LicetError with the code of the failed step.
 */
export async function parseRevocations(input: Input, keys: KeySet): Promise<RevocationList> {
  let m: Message;
  try {
    m = decodeMessage(toBytes(input)).message;
  } catch (e) {
    asCode(e, 'malformed', 'revocation list');
  }
  const alg = checkAlg(m.header.alg);
  if (alg) throw alg;
  if (m.header.typ !== TYPE_REVOCATIONS) {
    throw fail('wrong_type', `object type is ${quote(m.header.typ)}, want a revocation list`, m.header.typ);
  }
  const key = keys.lookup(m.header.kid);
  const kid = hex(m.header.kid);
  if (!key) {
    throw fail('unknown_key', `revocation list signed by unknown key ${kid}: it must be signed by a trusted vendor key`, kid);
  }
  if (!(await verifySignature(key.pub, m))) throw fail('bad_signature', 'revocation list signature does not verify', kid);
  let r: RevocationClaims;
  try {
    r = decodeRevocations(m.payload);
  } catch (e) {
    asCode(e, 'malformed', 'revocation list claims');
  }
  // A retired key still signs lists: a list only takes trust away, and
  // after a rotation the retired key may be the only one products trust.
  checkUsable({ ...key, notAfter: null }, r.issuedAt, 'revocation list');
  if (key.issuer !== '' && r.issuer !== key.issuer) {
    throw fail('wrong_issuer', `revocation list issuer ${quote(r.issuer)} is not the key's issuer ${quote(key.issuer)}`, r.issuer);
  }
  return new RevocationList(r, m.header.kid.slice());
}

/**
 * parseRevocationLists checks every revocation list in an input that holds
 * one or more (PEM blocks or text tokens one after another, or one raw
 * list), each as parseRevocations does, and refuses two lists of one
 * issuer (malformed). The result goes to the revocations option.
 */
export async function parseRevocationLists(input: Input, keys: KeySet): Promise<RevocationList[]> {
  let objs: Uint8Array[];
  try {
    objs = splitObjects(toBytes(input));
  } catch (e) {
    asCode(e, 'malformed', 'revocation lists');
  }
  const lists: RevocationList[] = [];
  const seen = new Set<string>();
  for (const [i, obj] of objs.entries()) {
    let list: RevocationList;
    try {
      list = await parseRevocations(obj, keys);
    } catch (e) {
      if (objs.length > 1 && e instanceof LicetError) {
        throw fail(e.code, `list ${i + 1} of ${objs.length}: ${e.message.replace(/^licet: [a-z_]+: /, '')}`, e.detail);
      }
      throw e;
    }
    if (seen.has(list.issuer)) {
      throw fail('malformed', `two revocation lists of issuer ${quote(list.issuer)}: keep only the newest (highest seq)`, list.issuer);
    }
    seen.add(list.issuer);
    lists.push(list);
  }
  return lists;
}

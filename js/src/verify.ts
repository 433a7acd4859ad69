// The verifier: FORMAT section 8, in order, with the reading of section 9.

import { splitObjects } from './armor.js';
import { bytesEqual, fromHex, hex } from './cbor.js';
import {
  type GrantClaims, type GrantIDs, type LicenseClaims, type RevocationClaims,
  decodeGrant, decodeLicense, decodeRevocations,
} from './claims.js';
import { PublicKey, isSmallOrder, keyID } from './ed25519.js';
import { type Code, LicetError, Malformed, fail } from './errors.js';
import { coversScope, patternCovers } from './scope.js';
import {
  ALG_ED25519, ALG_EDDSA, type Message, TYPE_GRANT, TYPE_LICENSE, TYPE_REVOCATIONS,
  decodeMessage, sigStructure,
} from './sign1.js';
import { Constraints, Version } from './version.js';

/** The default clock skew tolerated on nbf, iat and exp, in seconds. */
export const DEFAULT_LEEWAY_SECONDS = 300;

/** Input is a token in any form: bytes (raw, text or PEM), or a string (text or PEM). */
export type Input = Uint8Array | ArrayBuffer | string;

/** A time: a Date or milliseconds since the Unix epoch. */
export type TimeInput = Date | number;

/** TrustedKey is a trusted public key, as a trust store holds it. */
export interface TrustedKey {
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  /** The issuer id the key's licenses, grants and lists must carry as iss; absent: not checked. */
  issuer?: string;
  /** The key's validity window, compared with the iat of what it signed (inclusive). */
  notBefore?: TimeInput;
  notAfter?: TimeInput;
  /** A revoked key verifies nothing. */
  revoked?: boolean;
}

interface Key {
  pub: PublicKey;
  kid: Uint8Array;
  issuer: string;
  notBefore: number | null; // ms
  notAfter: number | null; // ms
  revoked: boolean;
}

function ms(t: TimeInput): number {
  const n = t instanceof Date ? t.getTime() : t;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new TypeError('licet: invalid time');
  return n;
}

function toBytes(input: Input): Uint8Array {
  if (typeof input === 'string') return new TextEncoder().encode(input);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (input instanceof Uint8Array) return input;
  throw new TypeError('licet: a token is a Uint8Array, an ArrayBuffer or a string');
}

/**
 * quote prints text from a token for a message: JSON-quoted, with the
 * invisible and bidirectional controls escaped too, so that a signed token
 * cannot reorder or hide what a message says.
 */
function quote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function quoteList(list: string[]): string {
  return list.map(quote).join(', ');
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** KeySet is an immutable set of trusted keys, looked up by key id. */
export class KeySet {
  private constructor(private readonly keys: Map<string, Key>) {}

  /**
   * create returns a set of the given keys. It refuses keys of the wrong
   * length, keys of small order and two keys with the same key id.
   */
  static async create(keys: TrustedKey[]): Promise<KeySet> {
    const m = new Map<string, Key>();
    for (const [i, k] of keys.entries()) {
      if (!(k.publicKey instanceof Uint8Array) || k.publicKey.length !== 32) {
        throw new Error(`licet: key ${i} is not a 32-byte Ed25519 public key`);
      }
      if (isSmallOrder(k.publicKey)) {
        throw new Error(`licet: key ${i} is a point of small order: anyone can sign for it`);
      }
      const raw = k.publicKey.slice();
      const kid = await keyID(raw);
      const id = hex(kid);
      if (m.has(id)) throw new Error(`licet: duplicate key id ${id}`);
      m.set(id, {
        pub: new PublicKey(raw),
        kid,
        issuer: k.issuer ?? '',
        notBefore: k.notBefore === undefined ? null : ms(k.notBefore),
        notAfter: k.notAfter === undefined ? null : ms(k.notAfter),
        revoked: k.revoked === true,
      });
    }
    return new KeySet(m);
  }

  /** size is the number of keys. */
  get size(): number {
    return this.keys.size;
  }

  /** @internal */
  lookup(kid: Uint8Array): Key | undefined {
    return kid.length === 8 ? this.keys.get(hex(kid)) : undefined;
  }
}

/** checkUsable is step 7: the key is not revoked, and iat lies in its window. */
function checkUsable(k: Key, iat: number, what: string): void {
  const kid = hex(k.kid);
  if (k.revoked) throw fail('key_not_valid', `key ${kid} is revoked`, kid);
  if (k.notBefore !== null && iat * 1000 < k.notBefore) {
    throw fail('key_not_valid', `${what} issued at ${iso(iat)}, before key ${kid} became valid (${new Date(k.notBefore).toISOString()})`, kid);
  }
  if (k.notAfter !== null && iat * 1000 > k.notAfter) {
    throw fail('key_not_valid', `${what} issued at ${iso(iat)}, after key ${kid} was retired (${new Date(k.notAfter).toISOString()})`, kid);
  }
}

function checkAlg(alg: number): LicetError | null {
  if (alg === ALG_EDDSA || alg === ALG_ED25519) return null;
  if (alg === 0) return fail('unsupported_alg', 'no integer alg in the protected header; want EdDSA (-8)');
  return fail('unsupported_alg', `algorithm ${alg} is not supported; want EdDSA (-8)`, String(alg));
}

/** asCode turns a decoding error into the code of the step that failed. */
function asCode(e: unknown, code: Code, what: string): never {
  if (e instanceof Malformed) throw fail(code, `${what}: ${e.message}`);
  throw e;
}

async function verifySignature(key: PublicKey, m: Message): Promise<boolean> {
  return key.verify(sigStructure(m), m.signature);
}

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

/** VerifierOptions configure a Verifier; product (or anyProductInsecure) is required. */
export interface VerifierOptions {
  /** The product being licensed: a license verifies only if its aud names it. */
  product?: string;
  /** Skip the product check. For inspection tools, never for products. */
  anyProductInsecure?: boolean;
  /** The running product's version, checked against "versions" constraints. */
  productVersion?: string;
  /** Without productVersion, skip version constraints instead of refusing licenses that carry one. */
  anyVersionInsecure?: boolean;
  /** This machine's binding values: every "bind" entry must equal the value here. */
  binding?: Record<string, string> | Map<string, string>;
  /** Skip bind entries for which binding has no value. */
  anyBindingInsecure?: boolean;
  /** Where the current time comes from (default Date.now). */
  clock?: () => TimeInput;
  /** Tolerated clock skew in seconds (default 300). */
  leewaySeconds?: number;
  /** Revocation lists, at most one per issuer, each from parseRevocations. */
  revocations?: RevocationList[];
  /** A stale revocation list fails verification (code revoked) instead of adding a warning. */
  rejectStaleRevocations?: boolean;
}

/** License is a verified license: its claims and the state it verified in. */
export interface License extends LicenseClaims {
  /** The id of the key that signed it: a trusted key, or its grant's partner key. */
  keyId: Uint8Array;
  /** Past its expiry but within its grace period. */
  inGrace: boolean;
  /** The grant it was issued under; null for a license signed by a trusted key. */
  grant: GrantClaims | null;
  /** The id of the trusted key that signed the grant. */
  grantKeyId: Uint8Array | null;
  /** Conditions that did not fail verification but deserve attention (a stale revocation list). */
  warnings: string[];
}

interface Chain {
  grant: GrantClaims;
  grantKeyId: Uint8Array;
  vendorKey: Key;
}

/**
 * Verifier checks licenses for one product against a set of trusted keys.
 * Build it once; verify is safe to call concurrently.
 */
export class Verifier {
  private readonly product: string;
  private readonly anyProduct: boolean;
  private readonly version: Version | null;
  private readonly versionStr: string;
  private readonly anyVersion: boolean;
  private readonly binding: Map<string, string>;
  private readonly anyBinding: boolean;
  private readonly clock: () => TimeInput;
  private readonly leeway: number; // ms
  private readonly revs = new Map<string, RevocationList>();
  /** Revoked keys trusted without an issuer (hex kid) -> the issuer of a list naming them. */
  private readonly unbound = new Map<string, string>();
  private readonly staleOK: boolean;
  private readonly partners = new Map<string, { pub: PublicKey; kid: Uint8Array }>();

  /** The constructor throws an Error (not a LicetError) for a bad configuration. */
  constructor(
    private readonly keys: KeySet,
    opts: VerifierOptions,
  ) {
    if (!(keys instanceof KeySet) || keys.size === 0) throw new Error('licet: no trusted keys');
    if (opts.product !== undefined && (typeof opts.product !== 'string' || opts.product === '')) {
      throw new Error('licet: empty product id');
    }
    this.product = opts.product ?? '';
    this.anyProduct = opts.anyProductInsecure === true;
    if (this.product === '' && !this.anyProduct) throw new Error('licet: no product: set the product option');
    this.version = null;
    this.versionStr = '';
    if (opts.productVersion !== undefined) {
      try {
        this.version = Version.parse(opts.productVersion);
      } catch (e) {
        throw new Error(`licet: product version ${quote(opts.productVersion)}: ${(e as Error).message}`);
      }
      this.versionStr = opts.productVersion;
    }
    this.anyVersion = opts.anyVersionInsecure === true;
    this.binding = new Map(opts.binding instanceof Map ? opts.binding : Object.entries(opts.binding ?? {}));
    this.anyBinding = opts.anyBindingInsecure === true;
    this.clock = opts.clock ?? Date.now;
    const lw = opts.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS;
    if (typeof lw !== 'number' || !(lw >= 0) || !Number.isFinite(lw)) throw new Error('licet: negative or invalid leeway');
    this.leeway = lw * 1000;
    this.staleOK = opts.rejectStaleRevocations !== true;
    const now = ms(this.clock());
    for (const list of opts.revocations ?? []) {
      if (!(list instanceof RevocationList)) throw new Error('licet: a revocation list must come from parseRevocations');
      if (this.revs.has(list.issuer)) {
        throw new Error(`licet: two revocation lists of issuer ${quote(list.issuer)}: give only the newest (highest seq)`);
      }
      if (list.claims.issuedAt * 1000 > now + this.leeway) {
        throw new Error(`licet: the revocation list of issuer ${quote(list.issuer)} is issued at ${iso(list.claims.issuedAt)}, after the current time ${new Date(now).toISOString()}: refusing it (check this machine's clock, or the list)`);
      }
      this.revs.set(list.issuer, list);
    }
    // A kid entry naming a key trusted without an issuer holds whatever
    // list names it: the key's holder writes any iss (FORMAT section 6).
    for (const iss of [...this.revs.keys()].sort()) {
      for (const kid of this.revs.get(iss)!.revokedKeyIds()) {
        const k = keys.lookup(fromHex(kid));
        if (k && k.issuer === '' && !this.unbound.has(kid)) this.unbound.set(kid, iss);
      }
    }
  }

  /**
   * verify checks a license in any form and returns it when every check of
   * FORMAT section 8 passes and it covers every required scope. Otherwise
   * it throws a LicetError carrying exactly one code.
   */
  async verify(input: Input, requiredScopes: string[] = []): Promise<License> {
    if (!Array.isArray(requiredScopes)) throw new TypeError('licet: required scopes are an array of strings');
    const now = ms(this.clock());
    const lw = this.leeway;

    // 1. Envelope.
    let m: Message;
    try {
      m = decodeMessage(toBytes(input)).message;
    } catch (e) {
      asCode(e, 'malformed', 'not a well-formed licet object');
    }
    // 2. Algorithm. 3. Type.
    const alg = checkAlg(m.header.alg);
    if (alg) throw alg;
    if (m.header.typ !== TYPE_LICENSE) {
      throw fail('wrong_type', `object type is ${quote(m.header.typ)}, want a license (${TYPE_LICENSE})`, m.header.typ);
    }
    const kid = m.header.kid.slice();
    let signer: PublicKey;
    let key: Key | undefined;
    let chain: Chain | null = null;
    if (m.header.grant) {
      // 4 (grant path): the grant's signature by a trusted key makes its partner key trustworthy.
      chain = await this.checkGrant(m, now);
      signer = (await this.partnerKey(chain.grant.key)).pub;
    } else {
      // 4. Key.
      key = this.keys.lookup(kid);
      if (!key) throw fail('unknown_key', `license signed by unknown key ${hex(kid)}`, hex(kid));
      signer = key.pub;
    }
    // 5. Signature.
    if (!(await verifySignature(signer, m))) throw fail('bad_signature', 'signature does not verify', hex(kid));
    // 6. Claims.
    let l: LicenseClaims;
    try {
      l = decodeLicense(m.payload);
    } catch (e) {
      asCode(e, 'malformed', 'license claims');
    }
    if (chain) {
      // G. The license within the grant.
      const v = violations(chain.grant, l);
      if (v.length > 0) throw fail('grant_violation', `license exceeds its grant: ${v.join('; ')}`, v[0]);
      // 7-8 (grant path): a partner key that is itself trusted keeps its status.
      const pk = this.keys.lookup(kid);
      if (pk) {
        checkUsable(pk, l.issuedAt, 'license');
        if (pk.issuer !== '' && l.issuer !== pk.issuer) {
          throw fail('wrong_issuer', `license issuer ${quote(l.issuer)} is not the issuer ${quote(pk.issuer)} of its signing key`, l.issuer);
        }
      }
    } else {
      // 7. Key usable. 8. Issuer.
      checkUsable(key!, l.issuedAt, 'license');
      if (key!.issuer !== '' && l.issuer !== key!.issuer) {
        throw fail('wrong_issuer', `license issuer ${quote(l.issuer)} is not the key's issuer ${quote(key!.issuer)}`, l.issuer);
      }
    }
    // 9. Product.
    if (!this.anyProduct && !l.audience.includes(this.product)) {
      throw fail('wrong_product', `license is for ${quoteList(l.audience)}, not ${quote(this.product)}`, this.product);
    }
    // 10. Not yet valid.
    if (l.notBefore !== null && l.notBefore * 1000 > now + lw) {
      throw fail('not_yet_valid', `license is not valid before ${iso(l.notBefore)}`, iso(l.notBefore));
    }
    if (l.issuedAt * 1000 > now + lw) {
      throw fail('not_yet_valid', `license issued in the future (${iso(l.issuedAt)}); check the clock`, iso(l.issuedAt));
    }
    // 11. Expiry and grace.
    let inGrace = false;
    if (l.expiry !== null) {
      const end = l.expiry * 1000 + lw;
      if (now > end) {
        if (l.grace <= 0 || now > end + l.grace * 1000) {
          throw fail('expired', `license expired at ${iso(l.expiry)}`, iso(l.expiry));
        }
        inGrace = true;
      }
    }
    // 12. Versions.
    this.checkVersion(l.constraint, 'license');
    if (chain) this.checkVersion(chain.grant.constraint, 'grant');
    // 13. Binding.
    for (const [k, want] of l.bind) {
      const have = this.binding.get(k);
      if (have === undefined && this.anyBinding) continue;
      if (have === undefined) {
        throw fail('binding_mismatch', `license is bound to ${quote(k)}=${quote(want)}, and this machine has no ${quote(k)} value`, k);
      }
      if (have !== want) {
        throw fail('binding_mismatch', `license is bound to ${quote(k)}=${quote(want)}, this machine has ${quote(have)}`, k);
      }
    }
    const out: License = {
      ...l,
      keyId: kid,
      inGrace,
      grant: chain ? chain.grant : null,
      grantKeyId: chain ? chain.grantKeyId : null,
      warnings: [],
    };
    // 14. Revocation: the list of the license's issuer, and that of the grant's issuer.
    this.checkRevoked(out, this.revs.get(l.issuer), now);
    if (chain && chain.grant.issuer !== l.issuer) this.checkRevoked(out, this.revs.get(chain.grant.issuer), now);
    this.checkUnbound(out);
    // 15. Scopes.
    for (const s of requiredScopes) {
      if (!coversScope(l.scopes, s)) throw fail('scope_missing', `license does not grant scope ${quote(s)}`, s);
    }
    return out;
  }

  /** partnerKey prepares a grant's partner key once (a bounded cache: 64 keys). */
  private async partnerKey(raw: Uint8Array): Promise<{ pub: PublicKey; kid: Uint8Array }> {
    const id = hex(raw);
    let k = this.partners.get(id);
    if (!k) {
      const copy = raw.slice();
      k = { pub: new PublicKey(copy), kid: await keyID(copy) };
      if (this.partners.size >= 64) this.partners.clear();
      this.partners.set(id, k);
    }
    return k;
  }

  private async checkGrant(m: Message, now: number): Promise<Chain> {
    const gm = m.header.grant!;
    if (gm.header.nestedGrant) {
      throw fail('grant_invalid', 'the embedded grant carries a grant itself; only one level is allowed');
    }
    const alg = checkAlg(gm.header.alg);
    if (alg) throw fail('grant_invalid', `grant: ${alg.message.replace(/^licet: \w+: /, '')}`, alg.detail);
    if (gm.header.typ !== TYPE_GRANT) {
      throw fail('grant_invalid', `the embedded object has type ${quote(gm.header.typ)}, not a grant`, gm.header.typ);
    }
    const gkid = hex(gm.header.kid);
    const key = this.keys.lookup(gm.header.kid);
    if (!key) throw fail('grant_invalid', `grant signed by unknown key ${gkid}`, gkid);
    if (!(await verifySignature(key.pub, gm))) throw fail('grant_invalid', 'grant signature does not verify', gkid);
    let g: GrantClaims;
    try {
      g = decodeGrant(gm.payload);
    } catch (e) {
      asCode(e, 'grant_invalid', 'grant claims');
    }
    checkUsable(key, g.issuedAt, 'grant');
    if (key.issuer !== '' && g.issuer !== key.issuer) {
      throw fail('grant_invalid', `grant issuer ${quote(g.issuer)} is not the key's issuer ${quote(key.issuer)}`, g.issuer);
    }
    const start = g.notBefore ?? g.issuedAt;
    if (start * 1000 > now + this.leeway) throw fail('grant_invalid', `grant is not valid before ${iso(start)}`, iso(start));
    if (now > g.expiry * 1000 + this.leeway) throw fail('grant_invalid', `grant expired at ${iso(g.expiry)}`, iso(g.expiry));
    const partnerKid = (await this.partnerKey(g.key)).kid;
    if (!bytesEqual(m.header.kid, partnerKid)) {
      throw fail('grant_violation', `license signed by key ${hex(m.header.kid)}, not the partner key ${hex(partnerKid)} named by the grant`, hex(m.header.kid));
    }
    return { grant: g, grantKeyId: gm.header.kid.slice(), vendorKey: key };
  }

  private checkVersion(c: Constraints | null, what: string): void {
    if (c === null) return;
    if (this.version === null) {
      if (this.anyVersion) return;
      throw fail('version_not_covered', `${what} covers versions ${quote(c.source)} and no product version was given`);
    }
    if (!c.check(this.version)) {
      throw fail('version_not_covered', `${what} covers versions ${quote(c.source)}, not ${this.versionStr}`, this.versionStr);
    }
  }

  /** checkUnbound is step 14 for keys trusted without an issuer: every list's kid entries reach them. */
  private checkUnbound(out: License): void {
    if (this.unbound.size === 0) return;
    const iss = this.unbound.get(hex(out.keyId));
    if (iss !== undefined) {
      throw fail('revoked', `signing key ${hex(out.keyId)} is revoked (by the revocation list of ${quote(iss)}: the key is trusted without an issuer, so the entry holds whatever issuer the license names)`, hex(out.keyId));
    }
    const giss = out.grantKeyId ? this.unbound.get(hex(out.grantKeyId)) : undefined;
    if (giss !== undefined) {
      throw fail('revoked', `key ${hex(out.grantKeyId!)} that signed the grant is revoked (by the revocation list of ${quote(giss)}: the key is trusted without an issuer, so the entry holds whatever issuer the grant names)`, hex(out.grantKeyId!));
    }
  }

  private checkRevoked(out: License, list: RevocationList | undefined, now: number): void {
    if (!list) return;
    // A plain cti entry names a grant, or a license signed directly by a
    // trusted key; a license minted under a grant is named by a gcti pair.
    if (!out.grant && list.revokesId(out.id)) throw fail('revoked', `license ${hex(out.id)} is revoked`, hex(out.id));
    if (out.grant && list.revokesGranted(out.grant.id, out.id)) {
      throw fail('revoked', `license ${hex(out.id)} minted under grant ${hex(out.grant.id)} is revoked`, hex(out.id));
    }
    if (list.revokesKey(out.keyId)) throw fail('revoked', `signing key ${hex(out.keyId)} is revoked`, hex(out.keyId));
    if (out.grant && list.revokesId(out.grant.id)) {
      throw fail('revoked', `grant ${hex(out.grant.id)} under which the license was issued is revoked`, hex(out.grant.id));
    }
    if (out.grantKeyId && list.revokesKey(out.grantKeyId)) {
      throw fail('revoked', `key ${hex(out.grantKeyId)} that signed the grant is revoked`, hex(out.grantKeyId));
    }
    if (list.stale(now)) {
      const since = iso(list.claims.nextUpdate);
      if (!this.staleOK) {
        throw fail('revoked', `the revocation list of ${quote(list.issuer)} is stale since ${since} (strict revocations): the license itself is not known to be revoked, but no license of this issuer is accepted until a fresh list is loaded`, 'stale');
      }
      out.warnings.push(`revocation list of ${quote(list.issuer)} is stale since ${since}`);
    }
  }
}

/**
 * violations lists every constraint of grant g that license l breaks,
 * empty when l lies within g.
 */
export function violations(g: GrantClaims, l: LicenseClaims): string[] {
  const out: string[] = [];
  if (l.issuer !== g.subject) out.push(`issuer ${quote(l.issuer)} is not the grant's partner ${quote(g.subject)}`);
  for (const a of l.audience) {
    if (!g.audience.includes(a)) out.push(`product ${quote(a)} is not in the grant (${quoteList(g.audience)})`);
  }
  if (!g.tiers.includes('*') && !g.tiers.includes(l.tier)) {
    out.push(`tier ${quote(l.tier)} is not in the grant (${quoteList(g.tiers)})`);
  }
  for (const s of l.scopes) {
    if (!g.scopes.some((p) => patternCovers(p, s))) {
      out.push(`scope ${quote(s)} is not covered by the grant's scopes (${quoteList(g.scopes)})`);
    }
  }
  for (const name of [...g.limits.keys()].sort()) {
    const cap = g.limits.get(name)!;
    const n = l.limits.get(name);
    if (n === undefined) out.push(`limit ${quote(name)} is capped at ${cap} by the grant and missing from the license`);
    else if (n > cap) out.push(`limit ${quote(name)}=${n} is above the grant's cap of ${cap}`);
  }
  for (const r of l.rights) {
    if (!g.rights.includes(r)) out.push(`right ${quote(r)} is not in the grant`);
  }
  if (l.expiry === null) out.push(`perpetual license: a license under a grant must expire by ${iso(g.expiry)}`);
  else if (l.expiry > g.expiry) out.push(`expiry ${iso(l.expiry)} is after the grant's expiry ${iso(g.expiry)}`);
  const start = g.notBefore ?? g.issuedAt;
  if (l.issuedAt < start || l.issuedAt > g.expiry) {
    out.push(`issued at ${iso(l.issuedAt)}, outside the grant's window ${iso(start)} to ${iso(g.expiry)}`);
  }
  if (g.maxLife !== null && l.expiry !== null) {
    const life = l.expiry + l.grace - l.issuedAt;
    if (life > g.maxLife) out.push(`lifetime ${life}s (from issue to expiry plus grace) is longer than the grant's max life of ${g.maxLife}s`);
  }
  if (g.maxGrace !== null && l.grace > g.maxGrace) {
    out.push(`grace period ${l.grace}s is longer than the grant's max grace of ${g.maxGrace}s`);
  }
  return out;
}

/** Unverified is an object decoded WITHOUT checking its signature: for display only. */
export interface Unverified {
  type: string;
  form: string;
  keyId: Uint8Array;
  license?: LicenseClaims;
  grant?: GrantClaims;
  revocations?: RevocationClaims;
  /** The grant a license carries, decoded, not verified. */
  embeddedGrant?: GrantClaims;
}

/**
 * inspect decodes any licet object in any form and its claims WITHOUT
 * verifying its signature. Use it to show what a token claims; use a
 * Verifier to decide whether to believe it. Errors are LicetErrors with
 * code malformed.
 */
export function inspect(input: Input): Unverified {
  try {
    const { message: m, form } = decodeMessage(toBytes(input));
    const u: Unverified = { type: m.header.typ, form, keyId: m.header.kid.slice() };
    switch (m.header.typ) {
      case TYPE_LICENSE:
        u.license = decodeLicense(m.payload);
        if (m.header.grant) {
          try {
            u.embeddedGrant = decodeGrant(m.header.grant.payload);
          } catch (e) {
            asCode(e, 'malformed', 'embedded grant claims');
          }
        }
        break;
      case TYPE_GRANT:
        u.grant = decodeGrant(m.payload);
        break;
      case TYPE_REVOCATIONS:
        u.revocations = decodeRevocations(m.payload);
        break;
      default:
        throw new Malformed(`unknown object type ${quote(m.header.typ)}`);
    }
    return u;
  } catch (e) {
    asCode(e, 'malformed', 'inspect');
  }
}

/** LicetError is re-exported for instanceof checks. */
export { LicetError };

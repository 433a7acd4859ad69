// Claims sets of the three objects (FORMAT sections 3, 4 and 6), decoded
// strictly from a COSE payload.

import { type Item, decode } from './cbor.js';
import { malformed } from './errors.js';
import { isSmallOrder } from './ed25519.js';
import { validScope } from './scope.js';
import { Constraints } from './version.js';

/** The length of a license or grant id (cti). */
export const ID_SIZE = 16;

/** Timestamps accepted in any claim (years 0001 to 9999), in Unix seconds. */
export const MIN_UNIX = -62135596799;
export const MAX_UNIX = 253402300799;
/** The longest duration claim (grace, maxlife, maxgrace), in seconds. */
export const MAX_SECONDS = 9223372036;

/** License is the claims set of a license (FORMAT section 3). */
export interface LicenseClaims {
  issuer: string;
  subject: string;
  audience: string[];
  /** exp in Unix seconds; null for a perpetual license. */
  expiry: number | null;
  /** nbf in Unix seconds; null when absent. */
  notBefore: number | null;
  /** iat in Unix seconds. */
  issuedAt: number;
  id: Uint8Array;
  tier: string;
  scopes: string[];
  /** The "versions" constraint text; null when absent. */
  versions: string | null;
  limits: Map<string, bigint>;
  rights: string[];
  bind: Map<string, string>;
  /** Grace period in seconds (0 when absent). */
  grace: number;
  meta: Map<string, string>;
  crit: string[];
  /**
   * Perpetual fallback (the "fallback" claim): after its expiry and grace the
   * license stays valid for builds released at or before the expiry.
   */
  fallback: boolean;
  /** versions, parsed. */
  constraint: Constraints | null;
}

/** GrantClaims is the claims set of a grant (FORMAT section 4). */
export interface GrantClaims {
  issuer: string;
  /** The partner id: the iss of every license under the grant. */
  subject: string;
  audience: string[];
  expiry: number;
  notBefore: number | null;
  issuedAt: number;
  id: Uint8Array;
  /** The partner's raw 32-byte Ed25519 public key (cnf). */
  key: Uint8Array;
  tiers: string[];
  scopes: string[];
  limits: Map<string, bigint>;
  rights: string[];
  versions: string | null;
  /** Cap on exp + grace - iat of a license, seconds; null for none. */
  maxLife: number | null;
  /** Cap on the grace of a license, seconds; null for none. */
  maxGrace: number | null;
  /**
   * The "site" claim: set on a site grant, whose licenses are leases of one
   * floating seat each; null for any other grant.
   */
  site: SiteClaim | null;
  constraint: Constraints | null;
}

/**
 * SiteClaim is the "site" claim of a site grant (FORMAT section 4): what a
 * site's lease server may hand out. Every license under a site grant is a
 * lease: bound to a machine, with an expiry, no grace, and a life (exp -
 * iat) of at most lease seconds, or borrow seconds when borrowing is
 * allowed. seats and borrows are the lease server's promise, shown by its
 * usage log; an offline verifier cannot count them.
 */
export interface SiteClaim {
  /** Concurrent seats, borrowed ones included; at least 1. */
  seats: bigint;
  /** The longest lease, seconds; at least 1. */
  lease: number;
  /** The longest borrow, seconds; 0 when absent (no borrowing). */
  borrow: number;
  /** Most seats borrowed at once; 0n when absent (no borrowing). */
  borrows: bigint;
}

/** canBorrow reports whether a site grant allows borrowing at all: borrow and borrows both above 0. */
export function canBorrow(s: SiteClaim): boolean {
  return s.borrow > 0 && s.borrows > 0n;
}

/**
 * maxLease returns the longest life (exp - iat, seconds) of a license under
 * the site grant: the longest lease, or the longest borrow when borrowing
 * is allowed and longer.
 */
export function maxLease(s: SiteClaim): number {
  return canBorrow(s) && s.borrow > s.lease ? s.borrow : s.lease;
}

/** RevocationClaims is the claims set of a revocation list (FORMAT section 6). */
export interface RevocationClaims {
  issuer: string;
  /** exp: the next update, Unix seconds. */
  nextUpdate: number;
  issuedAt: number;
  seq: bigint;
  /** cti: revoked grant ids, and ids of licenses not minted under a grant. */
  ids: Uint8Array[];
  keyIds: Uint8Array[];
  /** gcti: licenses minted under a grant, named with their grant's id. */
  granted: GrantIDs[];
}

/** GrantIDs names licenses minted under one grant (a "gcti" pair). */
export interface GrantIDs {
  /** The grant's id (16 bytes). */
  grant: Uint8Array;
  /** License ids minted under it (16 bytes each). */
  ids: Uint8Array[];
}

/** Every claim name of FORMAT sections 3 and 4: what "crit" may list. */
const UNDERSTOOD = new Set([
  'iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'cti', 'cnf', 'tier', 'scopes', 'versions',
  'limits', 'rights', 'bind', 'grace', 'meta', 'crit', 'tiers', 'maxlife', 'maxgrace', 'fallback', 'site',
]);

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * members returns the pairs of a map whose keys are integers or text, keyed
 * "#n" or "$text". Integer keys outside int64 are unknown labels, ignored.
 * Other key types are refused, as the Go decoder refuses them.
 */
function members(it: Item, what: string): Map<string, Item> {
  if (it.t !== 'map') throw malformed(`${what} must be a map`);
  const out = new Map<string, Item>();
  for (const [k, v] of it.v) {
    if (k.t === 'uint' || k.t === 'nint') {
      if (k.v >= INT64_MIN && k.v <= INT64_MAX) out.set('#' + k.v, v);
    } else if (k.t === 'text') {
      out.set('$' + k.v, v);
    } else {
      throw malformed(`${what}: a key of type ${k.t}`);
    }
  }
  return out;
}

function text(it: Item, name: string): string {
  if (it.t !== 'text') throw malformed(`${name} must be a text string`);
  return it.v;
}

function texts(it: Item, name: string): string[] {
  if (it.t !== 'array') throw malformed(`${name} must be an array of text strings`);
  return it.v.map((x) => text(x, `${name} entry`));
}

function audience(it: Item): string[] {
  if (it.t === 'text') return [it.v];
  const a = texts(it, 'aud');
  if (a.length === 0) throw malformed('aud is an empty array');
  return a;
}

function date(it: Item, name: string): number {
  if ((it.t !== 'uint' && it.t !== 'nint') || it.v < INT64_MIN || it.v > INT64_MAX) {
    throw malformed(`${name} must be an integer`);
  }
  if (it.v < BigInt(MIN_UNIX) || it.v > BigInt(MAX_UNIX)) {
    throw malformed(`${name}: timestamp ${it.v} outside years 0001 to 9999`);
  }
  return Number(it.v);
}

function uint(it: Item, name: string): bigint {
  if (it.t !== 'uint') throw malformed(`${name} must be an unsigned integer`);
  return it.v;
}

function seconds(it: Item, name: string): number {
  const n = uint(it, name);
  if (n > BigInt(MAX_SECONDS)) throw malformed(`${name}: duration of ${n} seconds is too long`);
  return Number(n);
}

function bool(it: Item, name: string): boolean {
  if (it.t !== 'bool') throw malformed(`${name} must be true or false`);
  return it.v;
}

function bytes(it: Item, name: string): Uint8Array {
  if (it.t !== 'bytes') throw malformed(`${name} must be a byte string`);
  return it.v;
}

function uintMap(it: Item, name: string): Map<string, bigint> {
  if (it.t !== 'map') throw malformed(`${name} must be a map`);
  const out = new Map<string, bigint>();
  for (const [k, v] of it.v) out.set(text(k, `${name} key`), uint(v, `${name} value`));
  return out;
}

function textMap(it: Item, name: string): Map<string, string> {
  if (it.t !== 'map') throw malformed(`${name} must be a map`);
  const out = new Map<string, string>();
  for (const [k, v] of it.v) out.set(text(k, `${name} key`), text(v, `${name} value`));
  return out;
}

function checkScopes(scopes: string[], what: string): void {
  for (const s of scopes) {
    if (!validScope(s)) {
      throw malformed(`${what}: invalid scope ${JSON.stringify(s)}: scopes are non-empty and contain no spaces`);
    }
  }
}

function constraint(v: string | null, what: string): Constraints | null {
  if (v === null) return null;
  try {
    return Constraints.parse(v);
  } catch (e) {
    throw malformed(`${what}: versions: ${(e as Error).message}`);
  }
}

/** decodeLicense decodes and checks a license claims set strictly. */
export function decodeLicense(payload: Uint8Array): LicenseClaims {
  const m = members(decode(payload), 'license claims');
  const get = (k: string) => m.get(k);
  const iss = get('#1');
  const sub = get('#2');
  const aud = get('#3');
  const iat = get('#6');
  const cti = get('#7');
  const tier = get('$tier');
  const l: LicenseClaims = {
    issuer: iss ? text(iss, 'iss') : '',
    subject: sub ? text(sub, 'sub') : '',
    audience: aud ? audience(aud) : [],
    expiry: m.has('#4') ? date(get('#4')!, 'exp') : null,
    notBefore: m.has('#5') ? date(get('#5')!, 'nbf') : null,
    issuedAt: iat ? date(iat, 'iat') : 0,
    id: cti ? bytes(cti, 'cti') : new Uint8Array(0),
    tier: tier ? text(tier, 'tier') : '',
    scopes: m.has('$scopes') ? texts(get('$scopes')!, 'scopes') : [],
    versions: m.has('$versions') ? text(get('$versions')!, 'versions') : null,
    limits: m.has('$limits') ? uintMap(get('$limits')!, 'limits') : new Map(),
    rights: m.has('$rights') ? texts(get('$rights')!, 'rights') : [],
    bind: m.has('$bind') ? textMap(get('$bind')!, 'bind') : new Map(),
    grace: m.has('$grace') ? seconds(get('$grace')!, 'grace') : 0,
    meta: m.has('$meta') ? textMap(get('$meta')!, 'meta') : new Map(),
    crit: m.has('$crit') ? texts(get('$crit')!, 'crit') : [],
    fallback: m.has('$fallback') ? bool(get('$fallback')!, 'fallback') : false,
    constraint: null,
  };
  if (!iss) throw malformed('license claims: iss missing');
  if (!sub) throw malformed('license claims: sub missing');
  if (!aud) throw malformed('license claims: aud missing');
  if (!iat) throw malformed('license claims: iat missing');
  if (l.id.length !== ID_SIZE) throw malformed(`license claims: cti must be ${ID_SIZE} bytes`);
  if (!tier) throw malformed('license claims: tier missing');
  checkScopes(l.scopes, 'license claims');
  if (m.has('$crit')) {
    if (l.crit.length === 0) throw malformed('license claims: crit is empty');
    for (const n of l.crit) {
      if (!UNDERSTOOD.has(n)) {
        throw malformed(`license claims: crit names claim ${JSON.stringify(n)}, which this verifier does not understand`);
      }
    }
  }
  l.constraint = constraint(l.versions, 'license claims');
  return l;
}

/** decodeGrant decodes and checks a grant claims set strictly. */
export function decodeGrant(payload: Uint8Array): GrantClaims {
  const m = members(decode(payload), 'grant claims');
  const get = (k: string) => m.get(k);
  for (const [k, name] of [['#1', 'iss'], ['#2', 'sub'], ['#3', 'aud'], ['#4', 'exp'], ['#6', 'iat']] as const) {
    if (!m.has(k)) throw malformed(`grant claims: ${name} missing`);
  }
  const g: GrantClaims = {
    issuer: text(get('#1')!, 'iss'),
    subject: text(get('#2')!, 'sub'),
    audience: audience(get('#3')!),
    expiry: date(get('#4')!, 'exp'),
    notBefore: m.has('#5') ? date(get('#5')!, 'nbf') : null,
    issuedAt: date(get('#6')!, 'iat'),
    id: m.has('#7') ? bytes(get('#7')!, 'cti') : new Uint8Array(0),
    key: new Uint8Array(0),
    tiers: m.has('$tiers') ? texts(get('$tiers')!, 'tiers') : [],
    scopes: m.has('$scopes') ? texts(get('$scopes')!, 'scopes') : [],
    limits: m.has('$limits') ? uintMap(get('$limits')!, 'limits') : new Map(),
    rights: m.has('$rights') ? texts(get('$rights')!, 'rights') : [],
    versions: m.has('$versions') ? text(get('$versions')!, 'versions') : null,
    maxLife: m.has('$maxlife') ? seconds(get('$maxlife')!, 'maxlife') : null,
    maxGrace: m.has('$maxgrace') ? seconds(get('$maxgrace')!, 'maxgrace') : null,
    site: m.has('$site') ? site(get('$site')!) : null,
    constraint: null,
  };
  if (g.id.length !== ID_SIZE) throw malformed(`grant claims: cti must be ${ID_SIZE} bytes`);
  const cnf = get('#8');
  if (!cnf) throw malformed('grant claims: cnf key missing');
  const coseKey = members(cnf, 'cnf').get('#1');
  if (!coseKey) throw malformed('grant claims: cnf key missing');
  const ck = members(coseKey, 'cnf key');
  const kty = ck.has('#1') ? int64(ck.get('#1')!, 'kty') : 0n;
  const crv = ck.has('#-1') ? int64(ck.get('#-1')!, 'crv') : 0n;
  const x = ck.has('#-2') ? bytes(ck.get('#-2')!, 'x') : new Uint8Array(0);
  if (kty !== 1n || crv !== 6n || x.length !== 32) {
    throw malformed('grant claims: cnf key is not an Ed25519 OKP key');
  }
  if (isSmallOrder(x)) throw malformed('grant claims: cnf key is a point of small order, which anyone can sign for');
  g.key = x;
  if (!m.has('$tiers') || g.tiers.length === 0) throw malformed('grant claims: tiers missing or empty');
  if (!m.has('$scopes')) throw malformed('grant claims: scopes missing');
  checkScopes(g.scopes, 'grant claims');
  g.constraint = constraint(g.versions, 'grant claims');
  return g;
}

const SITE_MEMBERS = new Set(['seats', 'lease', 'borrow', 'borrows']);

/**
 * site reads the "site" claim strictly, as the Go decoder does: a map of
 * no member but seats, lease, borrow and borrows (a site claim a verifier
 * only half understands must not pass; any other key, integer keys
 * outside int64 included, is refused), the values unsigned integers,
 * seats and lease present and not zero.
 */
function site(it: Item): SiteClaim {
  if (it.t !== 'map') throw malformed('site must be a map');
  const got = new Map<string, Item>();
  let others = false;
  for (const [k, v] of it.v) {
    if (k.t === 'text' && SITE_MEMBERS.has(k.v)) got.set(k.v, v);
    else others = true;
  }
  const s: SiteClaim = {
    seats: got.has('seats') ? uint(got.get('seats')!, 'site seats') : 0n,
    lease: got.has('lease') ? seconds(got.get('lease')!, 'site lease') : 0,
    borrow: got.has('borrow') ? seconds(got.get('borrow')!, 'site borrow') : 0,
    borrows: got.has('borrows') ? uint(got.get('borrows')!, 'site borrows') : 0n,
  };
  if (others) throw malformed('site: members other than seats, lease, borrow and borrows');
  if (s.seats === 0n) throw malformed('site: seats missing or 0');
  if (s.lease === 0) throw malformed('site: lease missing or 0');
  return s;
}

function int64(it: Item, name: string): bigint {
  if ((it.t !== 'uint' && it.t !== 'nint') || it.v < INT64_MIN || it.v > INT64_MAX) {
    throw malformed(`${name} must be an integer`);
  }
  return it.v;
}

/** decodeRevocations decodes and checks a revocation list claims set strictly. */
export function decodeRevocations(payload: Uint8Array): RevocationClaims {
  const m = members(decode(payload), 'revocation list claims');
  const get = (k: string) => m.get(k);
  for (const [k, name] of [['#1', 'iss'], ['#4', 'exp'], ['#6', 'iat'], ['$seq', 'seq'], ['$cti', 'cti']] as const) {
    if (!m.has(k)) throw malformed(`revocation list claims: ${name} missing`);
  }
  const byteList = (it: Item, name: string, size: number): Uint8Array[] => {
    if (it.t !== 'array') throw malformed(`${name} must be an array of byte strings`);
    return it.v.map((x) => {
      const b = bytes(x, `${name} entry`);
      if (b.length !== size) throw malformed(`revocation list claims: a revoked ${name} is ${b.length} bytes, want ${size}`);
      return b;
    });
  };
  return {
    issuer: text(get('#1')!, 'iss'),
    nextUpdate: date(get('#4')!, 'exp'),
    issuedAt: date(get('#6')!, 'iat'),
    seq: uint(get('$seq')!, 'seq'),
    ids: byteList(get('$cti')!, 'cti', ID_SIZE),
    keyIds: m.has('$kid') ? byteList(get('$kid')!, 'kid', 8) : [],
    granted: m.has('$gcti') ? grantIDsList(get('$gcti')!) : [],
  };
}

/** compareBytes orders byte strings bytewise (a shorter prefix first). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * grantIDsList reads the gcti claim strictly: at least one pair, pairs
 * sorted by grant id without a grant twice, each pair [grant id, [+ id]]
 * with its ids sorted and without duplicates, every id 16 bytes.
 */
function grantIDsList(it: Item): GrantIDs[] {
  if (it.t !== 'array') throw malformed('revocation list claims: gcti must be an array of pairs');
  if (it.v.length === 0) throw malformed('revocation list claims: gcti is an empty array: encoders omit it when there is no pair');
  const out: GrantIDs[] = [];
  for (const p of it.v) {
    if (p.t !== 'array' || p.v.length !== 2) throw malformed('revocation list claims: a gcti pair must be [grant id, [+ license id]]');
    const grant = bytes(p.v[0]!, 'gcti grant id');
    if (grant.length !== ID_SIZE) throw malformed(`revocation list claims: a gcti grant id is ${grant.length} bytes, want ${ID_SIZE}`);
    const prev = out[out.length - 1];
    if (prev && compareBytes(prev.grant, grant) >= 0) {
      throw malformed('revocation list claims: gcti pairs are sorted by grant id, each grant once');
    }
    const list = p.v[1]!;
    if (list.t !== 'array') throw malformed('revocation list claims: the ids of a gcti pair must be an array of byte strings');
    if (list.v.length === 0) throw malformed('revocation list claims: a gcti pair names no license id');
    const ids: Uint8Array[] = [];
    for (const x of list.v) {
      const id = bytes(x, 'gcti license id');
      if (id.length !== ID_SIZE) throw malformed(`revocation list claims: a gcti license id is ${id.length} bytes, want ${ID_SIZE}`);
      if (ids.length > 0 && compareBytes(ids[ids.length - 1]!, id) >= 0) {
        throw malformed('revocation list claims: the ids of a gcti pair are sorted, each once');
      }
      ids.push(id);
    }
    out.push({ grant, ids });
  }
  return out;
}

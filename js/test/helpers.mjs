// Test helpers: the vector keys (FORMAT's test vectors README: seed of key
// NAME = SHA-256("licet test vectors: NAME")), a CBOR encoder that can
// also write what issuers never write, and COSE_Sign1 signing.

import { createHash, createPrivateKey, createPublicKey, sign as edSign } from 'node:crypto';

export function seed(name) {
  return createHash('sha256').update(`licet test vectors: ${name}`).digest();
}

/** keyPair returns the vector key NAME: node private key, raw public key, kid. */
export function keyPair(name) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed(name)]);
  const priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const pub = new Uint8Array(createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(12));
  const kid = new Uint8Array(createHash('sha256').update(pub).digest().subarray(0, 8));
  return { priv, pub, kid, hex: Buffer.from(pub).toString('hex') };
}

/** Raw wraps bytes that enc copies as they are. */
export class Raw {
  constructor(bytes) {
    this.bytes = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
  }
}

export function head(major, n, width) {
  n = BigInt(n);
  const m = major << 5;
  const w = width ?? (n < 24n ? 0 : n < 0x100n ? 1 : n < 0x10000n ? 2 : n < 0x100000000n ? 4 : 8);
  if (w === 0) return [m | Number(n)];
  const out = [m | { 1: 24, 2: 25, 4: 26, 8: 27 }[w]];
  for (let i = w - 1; i >= 0; i--) out.push(Number((n >> BigInt(8 * i)) & 0xffn));
  return out;
}

/**
 * enc encodes v: numbers and bigints as integers, strings as text,
 * Uint8Array as bytes, arrays, Map (pairs in order, any key types),
 * plain objects (text keys), true/false, Raw as given.
 */
export function enc(v) {
  if (v instanceof Raw) return [...v.bytes];
  if (v instanceof Uint8Array) return [...head(2, v.length), ...v];
  if (typeof v === 'number' && !Number.isInteger(v)) {
    const b = new Uint8Array(9);
    b[0] = 0xfb;
    new DataView(b.buffer).setFloat64(1, v);
    return [...b];
  }
  if (typeof v === 'number' || typeof v === 'bigint') {
    const n = BigInt(v);
    return n >= 0n ? head(0, n) : head(1, -1n - n);
  }
  if (typeof v === 'string') {
    const b = new TextEncoder().encode(v);
    return [...head(3, b.length), ...b];
  }
  if (typeof v === 'boolean') return [v ? 0xf5 : 0xf4];
  if (Array.isArray(v)) return [...head(4, v.length), ...v.flatMap(enc)];
  if (v instanceof Map) return [...head(5, v.size), ...[...v].flatMap(([k, x]) => [...enc(k), ...enc(x)])];
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    return [...head(5, entries.length), ...entries.flatMap(([k, x]) => [...enc(k), ...enc(x)])];
  }
  throw new Error(`enc: ${typeof v}`);
}

export const bytes = (v) => Uint8Array.from(enc(v));

export const T_LICENSE = 'application/licet-license+cwt';
export const T_GRANT = 'application/licet-grant+cwt';
export const T_REVOCATIONS = 'application/licet-revocations+cwt';

export function protectedHeader(key, typ, grant) {
  const m = new Map([[1, -8], [4, key.kid], [16, typ]]);
  if (grant) m.set(13, new Raw(grant));
  // Deterministic order: 1, 4, 13, 16.
  return bytes(new Map([...m].sort((a, b) => a[0] - b[0])));
}

/** sign1 signs payload under the protected header bytes prot with key. */
export function sign1(key, prot, payload) {
  const tbs = Uint8Array.from([0x84, ...enc('Signature1'), ...enc(prot), 0x40, ...enc(payload)]);
  const sig = new Uint8Array(edSign(null, tbs, key.priv));
  return Uint8Array.from([0xd2, 0x84, ...enc(prot), 0xa0, ...enc(payload), ...enc(sig)]);
}

/** signObject signs a claims payload as an object of type typ. */
export function signObject(key, typ, payload, grant) {
  return sign1(key, protectedHeader(key, typ, grant), payload);
}

export const NOW = Date.parse('2026-06-01T12:00:00Z');
export const IAT = Date.parse('2026-01-01T00:00:00Z') / 1000;
export const EXP = Date.parse('2027-01-01T00:00:00Z') / 1000;
export const CTI = new Uint8Array(16).fill(7);

/** licenseClaims returns a typical license's claims as a Map, to edit. */
export function licenseClaims() {
  return new Map([
    [1, 'acme'], [2, 'customer-1'], [3, 'acme-db'], [4, EXP], [6, IAT], [7, CTI],
    ['tier', 'pro'], ['scopes', ['api:read', 'reports:*']],
  ]);
}

/** grantClaims returns a typical grant for the partner key, as a Map. */
export function grantClaims(partner) {
  return new Map([
    [1, 'acme'], [2, 'reseller'], [3, 'acme-db'], [4, EXP], [6, IAT], [7, new Uint8Array(16).fill(9)],
    [8, new Map([[1, new Map([[1, 1], [-1, 6], [-2, partner.pub]])]])],
    ['tiers', ['pro']], ['scopes', ['api:*', 'reports:*']],
  ]);
}

/** vectorText writes a vector file around a raw token (config as in testdata/vectors). */
export function vectorText(raw, { expect = 'valid', keys, extra = '' } = {}) {
  const lines = [
    `expect: ${expect}`,
    ...(expect === 'malformed' ? ['stage: claims'] : []),
    'now: 2026-06-01T12:00:00Z',
    'product: acme-db',
    'version: 2.1.0',
    ...keys.map((k) => `key: ${k}`),
  ];
  return lines.join('\n') + (extra ? '\n' + extra : '') + '\n\nraw: ' + Buffer.from(raw).toString('hex') + '\n';
}

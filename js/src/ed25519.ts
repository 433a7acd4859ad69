// Ed25519 signature verification (RFC 8032, pure Ed25519): in Node,
// through node:crypto's synchronous verify (the same OpenSSL code as
// Node's WebCrypto, without a promise and a thread-pool job per call:
// issue 20, verify <= 1.3x a raw node:crypto verify); elsewhere through
// WebCrypto, which current browsers provide, with a verify-only fallback
// in plain BigInt arithmetic for browsers whose WebCrypto lacks Ed25519. Both accept exactly what Go's crypto/ed25519
// accepts for the keys a verifier meets: S must be below the group
// order, R must be the canonical encoding of [S]B - [k]A.

import { bytesEqual } from './cbor.js';

/** The encodings of the points of small order (libsodium's list, sign bit cleared). */
const SMALL_ORDER: number[][] = [
  new Array(32).fill(0),
  [1, ...new Array(31).fill(0)],
  [0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
    0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05],
  [0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
    0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a],
  [0xec, ...new Array(30).fill(0xff), 0x7f],
  [0xed, ...new Array(30).fill(0xff), 0x7f],
  [0xee, ...new Array(30).fill(0xff), 0x7f],
];

/**
 * isSmallOrder reports whether pub encodes (canonically or not, either
 * sign) a point of small order: under such a key anyone can sign.
 */
export function isSmallOrder(pub: Uint8Array): boolean {
  if (pub.length !== 32) return false;
  return SMALL_ORDER.some((p) => {
    let diff = 0;
    for (let i = 0; i < 31; i++) diff |= pub[i]! ^ p[i]!;
    diff |= (pub[31]! & 0x7f) ^ p[31]!;
    return diff === 0;
  });
}

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) {
    throw new Error('licet: WebCrypto (crypto.subtle) is not available: use Node 20 or later, or open the page from file:// or https://');
  }
  return s;
}

/** The parts of node:crypto this file uses. */
type NodeCrypto = {
  createPublicKey(k: { key: Uint8Array; format: 'der'; type: 'spki' }): unknown;
  verify(alg: null, data: Uint8Array, key: unknown, sig: Uint8Array): boolean;
  createHash(alg: 'sha256'): { update(b: Uint8Array): { digest(): Uint8Array } };
};

let nodeCryptoModule: NodeCrypto | null | undefined;

/**
 * nodeCrypto returns node:crypto when running in Node (20.16 or later:
 * process.getBuiltinModule, no import that a browser bundle would
 * trip on), null elsewhere or in WebCrypto/fallback test modes.
 */
function nodeCrypto(): NodeCrypto | null {
  if (mode !== 'auto') return null;
  if (nodeCryptoModule === undefined) {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    try {
      nodeCryptoModule = (proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined) ?? null;
    } catch {
      nodeCryptoModule = null;
    }
  }
  return nodeCryptoModule;
}

/** SPKI_ED25519 is the DER prefix of an Ed25519 SubjectPublicKeyInfo. */
const SPKI_ED25519 = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/** sha256 returns SHA-256 of b. */
export async function sha256(b: Uint8Array): Promise<Uint8Array> {
  const nc = nodeCrypto();
  if (nc) return new Uint8Array(nc.createHash('sha256').update(b).digest());
  return new Uint8Array(await subtle().digest('SHA-256', b as BufferSource));
}

/** keyID returns the key id of a raw Ed25519 public key: the first 8 bytes of its SHA-256. */
export async function keyID(pub: Uint8Array): Promise<Uint8Array> {
  return (await sha256(pub)).subarray(0, 8);
}

let webSupport: Promise<boolean> | undefined;

/**
 * mode is which code verifies: 'auto' (node:crypto in Node, else
 * WebCrypto, else the BigInt fallback), or one forced for tests.
 */
let mode: 'auto' | 'webcrypto' | 'fallback' = 'auto';

/**
 * useFallbackForTesting makes every verification use the BigInt code, as
 * in a browser whose WebCrypto lacks Ed25519. For tests.
 */
export function useFallbackForTesting(on: boolean): void {
  mode = on ? 'fallback' : 'auto';
}

/**
 * useWebCryptoForTesting makes every verification use WebCrypto, as in a
 * browser, also in Node. For tests.
 */
export function useWebCryptoForTesting(on: boolean): void {
  mode = on ? 'webcrypto' : 'auto';
}

/** webCryptoEd25519 reports (once) whether WebCrypto knows Ed25519. */
export function webCryptoEd25519(): Promise<boolean> {
  webSupport ??= probeWebCrypto();
  return webSupport;
}

/**
 * PublicKey is an Ed25519 public key prepared for verification: imported
 * into WebCrypto once, or decoded once for the fallback.
 */
export class PublicKey {
  private web?: Promise<CryptoKey | null>;
  private node?: unknown;
  private point?: Point | null;

  constructor(readonly raw: Uint8Array) {}

  /** verify reports whether sig is a valid signature of msg by this key. */
  async verify(msg: Uint8Array, sig: Uint8Array): Promise<boolean> {
    if (this.raw.length !== 32 || sig.length !== 64 || (sig[63]! & 0xe0) !== 0) return false;
    const nc = nodeCrypto();
    if (nc) {
      if (this.node === undefined) {
        try {
          this.node = nc.createPublicKey({ key: Uint8Array.from([...SPKI_ED25519, ...this.raw]), format: 'der', type: 'spki' });
        } catch {
          this.node = null; // not a point: nothing verifies under it
        }
      }
      return this.node !== null && nc.verify(null, msg, this.node, sig);
    }
    if (mode !== 'fallback' && (await webCryptoEd25519())) {
      this.web ??= subtle()
        .importKey('raw', this.raw as BufferSource, { name: 'Ed25519' }, false, ['verify'])
        .catch(() => null); // not a point: nothing verifies under it
      const key = await this.web;
      if (!key) return false;
      return subtle().verify({ name: 'Ed25519' }, key, sig as BufferSource, msg as BufferSource);
    }
    if (this.point === undefined) this.point = decodePoint(this.raw);
    if (this.point === null) return false;
    return fallbackVerify(this.point, this.raw, msg, sig);
  }
}

/** probeWebCrypto imports the base point as a key: it works where Ed25519 is known. */
async function probeWebCrypto(): Promise<boolean> {
  const base = new Uint8Array(32).fill(0x66);
  base[0] = 0x58; // the base point: y = 4/5
  try {
    await subtle().importKey('raw', base as BufferSource, { name: 'Ed25519' }, false, ['verify']);
    return true;
  } catch {
    return false;
  }
}

// --- the BigInt fallback -----------------------------------------------

const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

type Point = { X: bigint; Y: bigint; Z: bigint; T: bigint };

function mod(a: bigint, m = P): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function pow(b: bigint, e: bigint): bigint {
  let r = 1n;
  b = mod(b);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return r;
}

function inv(a: bigint): bigint {
  return pow(a, P - 2n);
}

const BASE: Point = (() => {
  const y = mod(4n * inv(5n));
  const x = recoverX(y, 0)!;
  return { X: x, Y: y, Z: 1n, T: mod(x * y) };
})();
const IDENTITY: Point = { X: 0n, Y: 1n, Z: 1n, T: 0n };

function recoverX(y: bigint, sign: number): bigint | null {
  const y2 = mod(y * y);
  const u = mod(y2 - 1n);
  const v = mod(D * y2 + 1n);
  // x = sqrt(u / v), computed as u v^3 (u v^7)^((p-5)/8)
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  const vx2 = mod(v * x * x);
  if (vx2 !== u) {
    if (vx2 !== mod(-u)) return null;
    x = mod(x * SQRT_M1);
  }
  if (Number(x & 1n) !== sign) x = mod(-x);
  return x;
}

/** decodePoint decodes A as Go's edwards25519 does: y may be non-canonical. */
function decodePoint(b: Uint8Array): Point | null {
  if (b.length !== 32) return null;
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? b[i]! & 0x7f : b[i]!);
  y = mod(y);
  const x = recoverX(y, b[31]! >> 7);
  if (x === null) return null;
  return { X: x, Y: y, Z: 1n, T: mod(x * y) };
}

function add(p: Point, q: Point): Point {
  const a = mod((p.Y - p.X) * (q.Y - q.X));
  const b = mod((p.Y + p.X) * (q.Y + q.X));
  const c = mod(2n * D * p.T * q.T);
  const d = mod(2n * p.Z * q.Z);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return { X: mod(e * f), Y: mod(g * h), Z: mod(f * g), T: mod(e * h) };
}

function mul(s: bigint, p: Point): Point {
  let r = IDENTITY;
  let q = p;
  while (s > 0n) {
    if (s & 1n) r = add(r, q);
    q = add(q, q);
    s >>= 1n;
  }
  return r;
}

function encode(p: Point): Uint8Array {
  const zi = inv(p.Z);
  const x = mod(p.X * zi);
  let y = mod(p.Y * zi);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(y & 0xffn);
    y >>= 8n;
  }
  out[31]! |= Number(x & 1n) << 7;
  return out;
}

function le(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

async function fallbackVerify(a: Point, raw: Uint8Array, msg: Uint8Array, sig: Uint8Array): Promise<boolean> {
  const s = le(sig.subarray(32));
  if (s >= L) return false;
  const h = new Uint8Array(64 + msg.length);
  h.set(sig.subarray(0, 32), 0);
  h.set(raw, 32);
  h.set(msg, 64);
  const k = mod(le(new Uint8Array(await subtle().digest('SHA-512', h))), L);
  const minusA: Point = { X: mod(-a.X), Y: a.Y, Z: a.Z, T: mod(-a.T) };
  const r = add(mul(s, BASE), mul(k, minusA));
  return bytesEqual(encode(r), sig.subarray(0, 32));
}

/**
 * checkPublicKey refuses what Go's keys.CheckPublicKey refuses: a
 * non-canonical encoding, a point not on the curve, a point of small order,
 * a point outside the prime-order subgroup. It returns a reason, or null.
 */
export function checkPublicKey(raw: Uint8Array): string | null {
  if (raw.length !== 32) return `public key is ${raw.length} bytes, want 32`;
  const p = decodePoint(raw);
  if (p === null) return 'public key is not a point on the Ed25519 curve';
  if (!bytesEqual(encode(p), raw)) return 'public key is not canonically encoded';
  const eight = mul(8n, p);
  if (mod(eight.X) === 0n && mod(eight.Y - eight.Z) === 0n) return 'public key is a point of small order';
  const q = mul(L, p);
  if (!(mod(q.X) === 0n && mod(q.Y - q.Z) === 0n)) return 'public key is not in the prime-order subgroup (mixed-order point)';
  return null;
}

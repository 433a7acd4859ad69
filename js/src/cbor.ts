// Strict CBOR decoding (RFC 8949) as FORMAT section 8 requires it: definite
// lengths only, no tags (except where the caller allows them), no null or
// undefined, no duplicate map keys at any level, nesting at most 16 deep,
// arrays of at most 1024 items, maps of at most 256 pairs, valid UTF-8.
// Any valid encoding of a value is accepted (heads need not be shortest):
// verifiers check the bytes they received and never re-encode.

import { malformed } from './errors.js';

/** Decoding limits of FORMAT section 8. */
export const MAX_TOKEN_SIZE = 16 << 10;
export const MAX_NESTING = 16;
export const MAX_ARRAY_ITEMS = 1024;
export const MAX_MAP_PAIRS = 256;

export const MAJOR_UINT = 0;
export const MAJOR_NINT = 1;
export const MAJOR_BYTES = 2;
export const MAJOR_TEXT = 3;
export const MAJOR_ARRAY = 4;
export const MAJOR_MAP = 5;
export const MAJOR_TAG = 6;
export const MAJOR_SIMPLE = 7;

/**
 * Item is a decoded CBOR data item, with its extent [s, e) in the input.
 * Integers are bigints (nint holds the negative value itself).
 */
export type Item =
  | { t: 'uint'; v: bigint; s: number; e: number }
  | { t: 'nint'; v: bigint; s: number; e: number }
  | { t: 'bytes'; v: Uint8Array; s: number; e: number }
  | { t: 'text'; v: string; s: number; e: number }
  | { t: 'array'; v: Item[]; s: number; e: number }
  | { t: 'map'; v: Array<[Item, Item]>; s: number; e: number }
  | { t: 'bool'; v: boolean; s: number; e: number }
  | { t: 'simple'; v: number; s: number; e: number }
  | { t: 'float'; v: number; s: number; e: number }
  | { t: 'tag'; n: bigint; v: Item; s: number; e: number };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** decodeText decodes UTF-8, refusing invalid sequences (and keeping a BOM). */
export function decodeText(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    throw malformed('invalid UTF-8 in a text string');
  }
}

/** Head is one item head: major type, additional information, argument. */
export interface Head {
  major: number;
  ai: number;
  arg: bigint;
}

/**
 * Reader reads CBOR item heads. With shortest set it refuses heads that
 * are not in their shortest form (the envelope's rule, FORMAT section 9).
 */
export class Reader {
  off: number;
  constructor(
    readonly b: Uint8Array,
    off = 0,
    readonly shortest = false,
  ) {
    this.off = off;
  }

  /** head reads one head with a definite argument. */
  head(): Head {
    const b = this.b;
    if (this.off >= b.length) throw malformed('truncated CBOR');
    const ib = b[this.off++]!;
    const major = ib >> 5;
    const ai = ib & 0x1f;
    if (ai < 24) return { major, ai, arg: BigInt(ai) };
    let n: number;
    switch (ai) {
      case 24: n = 1; break;
      case 25: n = 2; break;
      case 26: n = 4; break;
      case 27: n = 8; break;
      case 31: throw malformed('indefinite-length item');
      default: throw malformed(`reserved additional information ${ai}`);
    }
    if (b.length - this.off < n) throw malformed('truncated CBOR');
    let arg = 0n;
    if (n <= 4) {
      let x = 0;
      for (let i = 0; i < n; i++) x = x * 256 + b[this.off + i]!;
      arg = BigInt(x);
    } else {
      const dv = new DataView(b.buffer, b.byteOffset + this.off, 8);
      arg = dv.getBigUint64(0);
    }
    this.off += n;
    if (this.shortest && arg < [24n, 1n << 8n, 1n << 16n, 1n << 32n][ai - 24]!) {
      throw malformed('COSE_Sign1 item head not in shortest form');
    }
    return { major, ai, arg };
  }

  /** length checks that a head's argument fits in what is left. */
  length(arg: bigint, per = 1): number {
    if (arg * BigInt(per) > BigInt(this.b.length - this.off)) throw malformed('truncated CBOR');
    return Number(arg);
  }

  /** bytes reads a definite-length byte string, aliasing the input. */
  bytes(what: string): Uint8Array {
    const h = this.head();
    if (h.major !== MAJOR_BYTES) throw malformed(`${what} must be a byte string`);
    const n = this.length(h.arg);
    const out = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }
}

/** DecodeOptions tune [decode]. */
export interface DecodeOptions {
  /** Allow tags (each nested tag beyond the first counts one level). */
  tags?: boolean;
}

/**
 * decode decodes exactly one strict CBOR item filling b. Every error is a
 * Malformed.
 */
export function decode(b: Uint8Array, opts: DecodeOptions = {}): Item {
  const r = new Reader(b);
  const item = readItem(r, 0, opts.tags === true);
  if (r.off !== b.length) throw malformed(`${b.length - r.off} trailing bytes after the CBOR item`);
  return item;
}

function readItem(r: Reader, depth: number, tags: boolean): Item {
  const s = r.off;
  const h = r.head();
  const b = r.b;
  switch (h.major) {
    case MAJOR_UINT:
      return { t: 'uint', v: h.arg, s, e: r.off };
    case MAJOR_NINT:
      return { t: 'nint', v: -1n - h.arg, s, e: r.off };
    case MAJOR_BYTES: {
      const n = r.length(h.arg);
      const v = b.subarray(r.off, r.off + n);
      r.off += n;
      return { t: 'bytes', v, s, e: r.off };
    }
    case MAJOR_TEXT: {
      const n = r.length(h.arg);
      const v = decodeText(b.subarray(r.off, r.off + n));
      r.off += n;
      return { t: 'text', v, s, e: r.off };
    }
    case MAJOR_ARRAY: {
      if (depth + 1 > MAX_NESTING) throw malformed(`nested deeper than ${MAX_NESTING}`);
      if (h.arg > BigInt(MAX_ARRAY_ITEMS)) throw malformed(`array of more than ${MAX_ARRAY_ITEMS} items`);
      const n = r.length(h.arg);
      const v: Item[] = new Array(n);
      for (let i = 0; i < n; i++) v[i] = readItem(r, depth + 1, tags);
      return { t: 'array', v, s, e: r.off };
    }
    case MAJOR_MAP: {
      if (depth + 1 > MAX_NESTING) throw malformed(`nested deeper than ${MAX_NESTING}`);
      if (h.arg > BigInt(MAX_MAP_PAIRS)) throw malformed(`map of more than ${MAX_MAP_PAIRS} pairs`);
      const n = r.length(h.arg, 2);
      const v: Array<[Item, Item]> = new Array(n);
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) {
        const k = readItem(r, depth + 1, tags);
        const id = keyID(k);
        if (seen.has(id)) throw malformed(`duplicate map key ${describeKey(k)}`);
        seen.add(id);
        v[i] = [k, readItem(r, depth + 1, tags)];
      }
      return { t: 'map', v, s, e: r.off };
    }
    case MAJOR_TAG: {
      if (!tags) throw malformed(`tag ${h.arg} is not allowed here`);
      let d = depth;
      if (r.off < b.length && b[r.off]! >> 5 === MAJOR_TAG) {
        d++; // a nested tag counts one level, as in the Go decoder
        if (d > MAX_NESTING) throw malformed(`nested deeper than ${MAX_NESTING}`);
      }
      const v = readItem(r, d, tags);
      return { t: 'tag', n: h.arg, v, s, e: r.off };
    }
    default: {
      // Major type 7: simple values and floats.
      switch (h.ai) {
        case 20:
        case 21:
          return { t: 'bool', v: h.ai === 21, s, e: r.off };
        case 22:
          throw malformed('null is not allowed');
        case 23:
          throw malformed('undefined is not allowed');
        case 24:
          if (h.arg < 32n) throw malformed(`invalid simple value ${h.arg}`);
          return { t: 'simple', v: Number(h.arg), s, e: r.off };
        case 25:
          return { t: 'float', v: half(Number(h.arg)), s, e: r.off };
        case 26: {
          const dv = new DataView(new ArrayBuffer(4));
          dv.setUint32(0, Number(h.arg));
          return { t: 'float', v: dv.getFloat32(0), s, e: r.off };
        }
        case 27: {
          const dv = new DataView(new ArrayBuffer(8));
          dv.setBigUint64(0, h.arg);
          return { t: 'float', v: dv.getFloat64(0), s, e: r.off };
        }
        default:
          return { t: 'simple', v: h.ai, s, e: r.off };
      }
    }
  }
}

function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * keyID returns a string that is equal for two map keys exactly when the
 * Go verifier takes them for the same key. Arrays, maps and tags cannot
 * be keys (FORMAT section 9, "Map keys").
 */
function keyID(k: Item): string {
  switch (k.t) {
    case 'uint':
      return 'u' + k.v;
    case 'nint':
      return 'n' + k.v;
    case 'bytes':
      return 'b' + hex(k.v);
    case 'text':
      return 't' + k.v;
    case 'bool':
      return k.v ? 'T' : 'F';
    case 'simple':
      return 's' + k.v;
    case 'float':
      // Compared by value (+0 and -0 are one key), and NaN equals NaN:
      // no map may hold two NaN keys (the Go decoder's reading).
      return 'f' + (k.v === 0 ? '0' : String(k.v));
    default:
      throw malformed(`a map key of type ${k.t}`);
  }
}

function describeKey(k: Item): string {
  switch (k.t) {
    case 'text':
      return JSON.stringify(k.v);
    case 'uint':
    case 'nint':
    case 'float':
    case 'bool':
    case 'simple':
      return String(k.v);
    default:
      return `of type ${k.t}`;
  }
}

/** hex returns the lower-case hex digits of b. */
export function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i]! < 16 ? '0' : '') + b[i]!.toString(16);
  return s;
}

/** fromHex decodes lower- or upper-case hex digits; it throws on bad input. */
export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new Error(`not hex: ${s.slice(0, 20)}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** bytesEqual reports whether a and b hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// The three forms of an object (FORMAT section 7): raw COSE_Sign1 bytes,
// compact text PREFIX.base64url, and PEM.

import { MAX_TOKEN_SIZE, MAJOR_TAG } from './cbor.js';
import { malformed } from './errors.js';

/** Form is how an object was written. */
export type Form = 'raw' | 'text' | 'pem';

/** The default prefix of the compact text form. */
export const DEFAULT_PREFIX = 'licet1';

/** PEM block types, by object type. */
export const PEM_LICENSE = 'LICET LICENSE';
export const PEM_GRANT = 'LICET GRANT';
export const PEM_REVOCATIONS = 'LICET REVOCATIONS';

/** Unarmored is the raw COSE_Sign1 bytes of an input and its form. */
export interface Unarmored {
  raw: Uint8Array;
  form: Form;
  /** The PEM block type, for the PEM form. */
  pemType?: string;
  /** For the raw form: ASCII white space may follow the envelope. */
  trailingSpaceOK?: boolean;
}

/** validPrefix reports whether p can brand the compact text form. */
export function validPrefix(p: string): boolean {
  return /^[a-z0-9-]{1,32}$/.test(p);
}

/** isSpace reports whether c is ASCII white space (as Go's bytes.TrimSpace sees it). */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function trimSpace(b: Uint8Array): Uint8Array {
  let i = 0;
  let j = b.length;
  while (i < j && isSpace(b[i]!)) i++;
  while (j > i && isSpace(b[j - 1]!)) j--;
  return b.subarray(i, j);
}

/** isTrailingSpace reports whether b holds ASCII white space only. */
export function isTrailingSpace(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (!isSpace(b[i]!)) return false;
  return true;
}

/** latin1 maps each byte to the code point of the same value. */
function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

/**
 * unarmor returns the raw COSE_Sign1 bytes of input in any of the three
 * forms. Input over 16 KiB is refused before anything else is done. ASCII
 * white space around any form is ignored, and nothing else: for the raw
 * form only ASCII white space may follow the envelope (parseMessage checks
 * it); other Unicode spaces (NBSP, NEL, BOM) are not white space here.
 */
export function unarmor(input: Uint8Array): Unarmored {
  if (input.length > MAX_TOKEN_SIZE) {
    throw malformed(`input of ${input.length} bytes exceeds the ${MAX_TOKEN_SIZE}-byte limit`);
  }
  let i = 0;
  while (i < input.length && isSpace(input[i]!)) i++;
  if (i === input.length) throw malformed('empty input');
  const c = input[i]!;
  if (c < 0x20 || c > 0x7e) {
    // NBSP (c2 a0) and NEL (c2 85) are the Unicode spaces whose first byte
    // looks like a CBOR tag: input that starts with one is text, broken.
    if (c === 0xc2 && (input[i + 1] === 0xa0 || input[i + 1] === 0x85)) {
      throw malformed(`input starts with the non-ASCII space U+00${input[i + 1]!.toString(16).toUpperCase()} (pasted from a document?): remove it`);
    }
    if (c >> 5 !== MAJOR_TAG) throw malformed('binary input is not a COSE_Sign1: it must start with tag 18 (0xd2)');
    return { raw: input.subarray(i), form: 'raw', trailingSpaceOK: true };
  }
  const s = trimSpace(input.subarray(i));
  if (s[0] !== 0x2d) return unarmorText(s); // not '-': not PEM
  const text = latin1(s);
  if (text.startsWith('-----BEGIN ')) return unarmorPEM(text);
  const dot = text.lastIndexOf('.');
  if (dot < 0) throw malformed('not a licet token: no PREFIX. before the base64url text');
  const prefix = text.slice(0, dot);
  if (!validPrefix(prefix)) throw malformed(`invalid token prefix ${JSON.stringify(prefix.slice(0, 40))}`);
  const body = text.slice(dot + 1);
  if (/[\r\n]/.test(body)) throw malformed('line break inside the token text');
  return { raw: base64Decode(body, true), form: 'text' };
}

/**
 * unarmorText is the compact text form read from the bytes s (trimmed,
 * not PEM) without making a string of them first: the same checks and
 * errors as the string path of unarmor, at a fraction of the allocations
 * (issue 20: JS verify at most 1.3x a raw node:crypto verify).
 */
function unarmorText(s: Uint8Array): Unarmored {
  const dot = s.lastIndexOf(0x2e);
  if (dot < 0) throw malformed('not a licet token: no PREFIX. before the base64url text');
  const p = s.subarray(0, dot);
  let prefixOK = p.length >= 1 && p.length <= 32;
  for (let j = 0; prefixOK && j < p.length; j++) {
    const c = p[j]!;
    prefixOK = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
  }
  if (!prefixOK) throw malformed(`invalid token prefix ${JSON.stringify(latin1(p.subarray(0, 40)))}`);
  const body = s.subarray(dot + 1);
  if (body.includes(0x0a) || body.includes(0x0d)) throw malformed('line break inside the token text');
  return { raw: base64DecodeBytes(body), form: 'text' };
}

/** base64DecodeBytes is base64Decode(latin1(b), true), without the string. */
function base64DecodeBytes(b: Uint8Array): Uint8Array {
  const what = 'token text is not unpadded base64url';
  const n = b.length;
  if (n % 4 === 1) throw malformed(what);
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const v = URL_REV[b[i]!]!;
    if (v < 0) throw malformed(what);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) throw malformed(`${what} (stray bits at the end)`);
  return out;
}

/**
 * unarmorPEM reads exactly one PEM block in canonical form (RFC 7468
 * strict, as Go's encoding/pem writes it): the BEGIN line of a licet type,
 * optional "Name: value" headers (sorted, then a blank line), padded
 * canonical base64 in lines of 64, the matching END line, LF or CRLF line
 * ends, nothing before or after.
 */
function unarmorPEM(text: string): Unarmored {
  const norm = text.replaceAll('\r\n', '\n');
  const lines = norm.split('\n');
  const begin = /^-----BEGIN (.*)-----$/.exec(lines[0]!);
  if (!begin) throw malformed('invalid PEM block');
  const type = begin[1]!;
  if (type !== PEM_LICENSE && type !== PEM_GRANT && type !== PEM_REVOCATIONS) {
    throw malformed(`PEM block type ${JSON.stringify(type)} is not a licet object`);
  }
  const headers = new Map<string, string>();
  let i = 1;
  for (; i < lines.length && lines[i]!.includes(':'); i++) {
    const l = lines[i]!;
    const c = l.indexOf(':');
    headers.set(l.slice(0, c).trim(), l.slice(c + 1).trim());
  }
  let b64 = '';
  for (; i < lines.length && !lines[i]!.startsWith('-----'); i++) b64 += lines[i]!.trim();
  const raw = base64Decode(b64, false);
  if (encodePEM(raw, type, headers).trimEnd() !== norm) {
    throw malformed(`the ${type} PEM block is not in canonical form (one block, nothing before it, 64-column canonical base64): re-export it with licet`);
  }
  return { raw, form: 'pem', pemType: type };
}

/**
 * encodePEM writes raw as a PEM block, as Go's encoding/pem does: the
 * Proc-Type header first, the others sorted, base64 in lines of 64.
 */
export function encodePEM(raw: Uint8Array, type: string, headers: Map<string, string> = new Map()): string {
  let out = `-----BEGIN ${type}-----\n`;
  if (headers.size > 0) {
    const keys = [...headers.keys()].filter((k) => k !== 'Proc-Type').sort();
    if (headers.has('Proc-Type')) keys.unshift('Proc-Type');
    for (const k of keys) out += `${k}: ${headers.get(k)}\n`;
    out += '\n';
  }
  const b = base64Encode(raw, false);
  for (let j = 0; j < b.length; j += 64) out += b.slice(j, j + 64) + '\n';
  return out + `-----END ${type}-----\n`;
}

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const STD_REV = reverse(STD);
const URL_REV = reverse(URL);

function reverse(alphabet: string): Int16Array {
  const r = new Int16Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) r[alphabet.charCodeAt(i)] = i;
  return r;
}

/**
 * base64Decode decodes canonical base64: base64url without padding (url),
 * or standard base64 with padding. Stray low bits, wrong padding and any
 * character outside the alphabet are refused.
 */
export function base64Decode(s: string, url: boolean): Uint8Array {
  const what = url ? 'token text is not unpadded base64url' : 'PEM data is not canonical base64';
  let n = s.length;
  if (!url) {
    if (n % 4 !== 0) throw malformed(what);
    if (s.endsWith('==')) n -= 2;
    else if (s.endsWith('=')) n -= 1;
  }
  if (n % 4 === 1) throw malformed(what);
  const rev = url ? URL_REV : STD_REV;
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const v = c < 256 ? rev[c]! : -1;
    if (v < 0) throw malformed(what);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) throw malformed(`${what} (stray bits at the end)`);
  return out;
}

/** base64Encode encodes b as standard base64 with padding, or as unpadded base64url. */
export function base64Encode(b: Uint8Array, url: boolean): string {
  const a = url ? URL : STD;
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const x = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += a[x >> 18]! + a[(x >> 12) & 63]! + a[(x >> 6) & 63]! + a[x & 63]!;
  }
  if (i < b.length) {
    const x = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8);
    s += a[x >> 18]! + a[(x >> 12) & 63]!;
    if (i + 1 < b.length) s += a[(x >> 6) & 63]!;
    if (!url) s += i + 1 < b.length ? '=' : '==';
  }
  return s;
}

/** The most objects splitObjects returns from one input. */
export const MAX_OBJECTS = 64;

/**
 * splitObjects splits an input that holds one or more objects, as Go's
 * token.Split does: PEM blocks one after another, or text tokens separated
 * by ASCII white space, or exactly one raw object.
 */
export function splitObjects(input: Uint8Array): Uint8Array[] {
  if (input.length > MAX_OBJECTS * MAX_TOKEN_SIZE) {
    throw malformed(`input of ${input.length} bytes exceeds the ${MAX_OBJECTS * MAX_TOKEN_SIZE}-byte limit for ${MAX_OBJECTS} objects`);
  }
  let i = 0;
  while (i < input.length && isSpace(input[i]!)) i++;
  if (i === input.length) throw malformed('empty input');
  if (input[i] === 0xd2) return [input];
  let s = trimSpace(input.subarray(i));
  const objs: Uint8Array[] = [];
  const begin = '-----BEGIN ';
  const text = latin1(s);
  if (!text.startsWith(begin)) {
    let start = -1;
    for (let j = 0; j <= s.length; j++) {
      const sp = j === s.length || isSpace(s[j]!);
      if (!sp && start < 0) start = j;
      if (sp && start >= 0) {
        objs.push(s.subarray(start, j));
        start = -1;
      }
    }
  } else {
    while (s.length > 0) {
      const t = latin1(s);
      if (!t.startsWith(begin)) throw malformed(`data after PEM block ${objs.length} is not another PEM block`);
      let n = s.length;
      const e = t.indexOf('-----END ');
      if (e >= 0) {
        const k = t.indexOf('-----', e + 9);
        if (k >= 0) n = k + 5;
      }
      objs.push(s.subarray(0, n));
      s = trimSpace(s.subarray(n));
    }
  }
  if (objs.length > MAX_OBJECTS) throw malformed(`${objs.length} objects in one input, at most ${MAX_OBJECTS}`);
  return objs;
}

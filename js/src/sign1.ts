// The COSE_Sign1 envelope (FORMAT section 2) and its protected header.

import { type Form, type Unarmored, isTrailingSpace, unarmor } from './armor.js';
import {
  type Item, MAJOR_ARRAY, MAJOR_BYTES, MAJOR_MAP, MAJOR_NINT, MAJOR_TAG, MAJOR_TEXT, MAJOR_UINT,
  MAX_NESTING, MAX_TOKEN_SIZE, Reader, decode,
} from './cbor.js';
import { malformed } from './errors.js';

/** Object types: the typ protected header (FORMAT section 1). */
export const TYPE_LICENSE = 'application/licet-license+cwt';
export const TYPE_GRANT = 'application/licet-grant+cwt';
export const TYPE_REVOCATIONS = 'application/licet-revocations+cwt';

/** COSE algorithm identifiers accepted for Ed25519 signatures. */
export const ALG_EDDSA = -8;
export const ALG_ED25519 = -19;

/** The length of a key id: the first bytes of SHA-256 of the public key. */
export const KEY_ID_SIZE = 8;

/** pemTypeFor returns the PEM block type of an object type, '' if unknown. */
export function pemTypeFor(typ: string): string {
  switch (typ) {
    case TYPE_LICENSE: return 'LICET LICENSE';
    case TYPE_GRANT: return 'LICET GRANT';
    case TYPE_REVOCATIONS: return 'LICET REVOCATIONS';
  }
  return '';
}

/** Header is a decoded protected header. */
export interface Header {
  /** The alg label; 0 when absent or not an integer in int64. */
  alg: number;
  /** The 8-byte key id (empty only for an empty protected header). */
  kid: Uint8Array;
  /** The typ label; '' when absent or not a text string. */
  typ: string;
  /** The grant embedded at label 13 (licenses only), parsed, not verified. */
  grant?: Message;
  /** The embedded grant carries a label 13 itself (never valid). */
  nestedGrant: boolean;
}

/** Message is a parsed COSE_Sign1: the exact signed bytes and the header. */
export interface Message {
  raw: Uint8Array;
  protected: Uint8Array;
  header: Header;
  payload: Uint8Array;
  signature: Uint8Array;
}

const LABEL_ALG = 1n;
const LABEL_CRIT = 2n;
const LABEL_KID = 4n;
const LABEL_KCWT = 13n;
const LABEL_TYP = 16n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** decodeMessage unarmors input and parses its envelope, verifying nothing. */
export function decodeMessage(input: Uint8Array): { message: Message; form: Form } {
  const u: Unarmored = unarmor(input);
  const message = parseMessage(u.raw, false, u.trailingSpaceOK === true);
  if (u.form === 'pem') {
    if (pemTypeFor(message.header.typ) !== u.pemType) {
      throw malformed(`a ${u.pemType} PEM block holds an object of type ${JSON.stringify(message.header.typ)}`);
    }
  }
  return { message, form: u.form };
}

/**
 * parseMessage parses raw COSE_Sign1 bytes: tag 18, four items, byte
 * strings, an empty unprotected map, a 64-byte signature, every head in
 * shortest form, nothing trailing (or only ASCII white space, for the raw
 * form), then the protected header.
 */
export function parseMessage(raw: Uint8Array, embedded: boolean, trailingSpaceOK = false): Message {
  if (raw.length > MAX_TOKEN_SIZE) {
    throw malformed(`object of ${raw.length} bytes exceeds the ${MAX_TOKEN_SIZE}-byte limit`);
  }
  const r = new Reader(raw, 0, true);
  let h = r.head();
  if (h.major !== MAJOR_TAG || h.arg !== 18n) throw malformed('not a COSE_Sign1: expected tag 18');
  h = r.head();
  if (h.major !== MAJOR_ARRAY || h.arg !== 4n) throw malformed('COSE_Sign1 must be an array of 4 items');
  const prot = r.bytes('protected header');
  h = r.head();
  if (h.major !== MAJOR_MAP || h.arg !== 0n) throw malformed('unprotected header must be an empty map');
  const payload = r.bytes('payload');
  const signature = r.bytes('signature');
  if (signature.length !== 64) throw malformed(`signature is ${signature.length} bytes, want 64`);
  if (r.off !== raw.length) {
    const rest = raw.subarray(r.off);
    if (embedded) throw malformed(`embedded grant has ${rest.length} trailing bytes`);
    if (!trailingSpaceOK || !isTrailingSpace(rest)) {
      throw malformed(`${rest.length} trailing bytes after COSE_Sign1`);
    }
    raw = raw.subarray(0, r.off);
  }
  const header = parseHeader(prot, embedded);
  return { raw, protected: prot, header, payload, signature };
}

function parseHeader(prot: Uint8Array, embedded: boolean): Header {
  const hdr: Header = { alg: 0, kid: new Uint8Array(0), typ: '', nestedGrant: false };
  if (prot.length === 0) return hdr; // an empty header: no alg, so unsupported_alg
  checkHeaderItems(prot);
  const m = decode(prot, { tags: true });
  if (m.t !== 'map') throw malformed('protected header must be a map');
  let kid: Item | undefined;
  let crit: Item | undefined;
  let kcwt: Item | undefined;
  for (const [k, v] of m.v) {
    if (k.t !== 'uint' && k.t !== 'nint') continue; // text labels: unknown, ignored
    switch (k.v) {
      case LABEL_ALG:
        if ((v.t === 'uint' || v.t === 'nint') && v.v >= INT64_MIN && v.v <= INT64_MAX) {
          hdr.alg = Number(v.v); // large values are inexact, and unsupported anyway
        }
        break;
      case LABEL_CRIT: crit = v; break;
      case LABEL_KID: kid = v; break;
      case LABEL_KCWT: kcwt = v; break;
      case LABEL_TYP: if (v.t === 'text') hdr.typ = v.v; break;
    }
  }
  if (kid === undefined || kid.t !== 'bytes' || kid.v.length !== KEY_ID_SIZE) {
    throw malformed(`kid must be a byte string of ${KEY_ID_SIZE} bytes`);
  }
  hdr.kid = kid.v;
  if (crit !== undefined) {
    if (crit.t !== 'array' || crit.v.length === 0) throw malformed('crit must be a non-empty array of labels');
    for (const l of crit.v) {
      const n = l.t === 'uint' ? (l.v <= 1n << 31n ? l.v : -1n) : l.t === 'nint' && l.v >= INT64_MIN ? l.v : -1n;
      if (n !== LABEL_ALG && n !== LABEL_KID && n !== LABEL_KCWT && n !== LABEL_TYP) {
        throw malformed(`crit names header label ${l.t === 'text' ? JSON.stringify(l.v) : String(l.v)}, which is not understood`);
      }
    }
  }
  if (kcwt !== undefined) {
    if (embedded) {
      hdr.nestedGrant = true;
      return hdr;
    }
    try {
      hdr.grant = parseMessage(prot.subarray(kcwt.s, kcwt.e), true);
    } catch (e) {
      throw malformed(`embedded grant: ${(e as Error).message}`);
    }
  }
  return hdr;
}

/**
 * checkHeaderItems checks the shape of a protected header as the Go
 * verifier does before decoding it: a map whose labels are integers or
 * text, with no tag anywhere except a tag 18 directly on label 13.
 */
function checkHeaderItems(b: Uint8Array): void {
  const r = new Reader(b);
  const h = r.head();
  if (h.major !== MAJOR_MAP) throw malformed('protected header must be a map');
  const n = r.length(h.arg);
  for (let i = 0; i < n; i++) {
    const k = r.head();
    let grant = false;
    switch (k.major) {
      case MAJOR_UINT:
        grant = k.arg === LABEL_KCWT;
        break;
      case MAJOR_NINT:
        break;
      case MAJOR_TEXT:
        r.off += r.length(k.arg);
        break;
      default:
        throw malformed(`protected header label of major type ${k.major}`);
    }
    if (grant) {
      const t = r.head();
      if (t.major !== MAJOR_TAG || t.arg !== 18n) {
        throw malformed('embedded grant (label 13) must be a COSE_Sign1 with tag 18');
      }
    }
    skip(r, 1);
  }
  if (r.off !== b.length) throw malformed(`protected header: ${b.length - r.off} trailing bytes`);
}

/** skip moves past one item that contains no tag. */
function skip(r: Reader, depth: number): void {
  if (depth > MAX_NESTING) throw malformed(`nested deeper than ${MAX_NESTING}`);
  const h = r.head();
  switch (h.major) {
    case MAJOR_BYTES:
    case MAJOR_TEXT:
      r.off += r.length(h.arg);
      break;
    case MAJOR_ARRAY:
    case MAJOR_MAP: {
      const n = r.length(h.arg, h.major === MAJOR_MAP ? 2 : 1) * (h.major === MAJOR_MAP ? 2 : 1);
      for (let i = 0; i < n; i++) skip(r, depth + 1);
      break;
    }
    case MAJOR_TAG:
      throw malformed(`tag ${h.arg} is not allowed here`);
  }
}

/** SIG1_CONTEXT is the text string "Signature1" in CBOR, built once. */
const SIG1_CONTEXT = [0x6a, ...'Signature1'.split('').map((c) => c.charCodeAt(0))];

/** sigStructure returns the Sig_structure of RFC 9052 section 4.4 for m. */

export function sigStructure(m: Message): Uint8Array {
  const ctx = SIG1_CONTEXT;
  const hp = cborHead(MAJOR_BYTES, m.protected.length);
  const hl = cborHead(MAJOR_BYTES, m.payload.length);
  const out = new Uint8Array(1 + ctx.length + hp.length + m.protected.length + 1 + hl.length + m.payload.length);
  let o = 0;
  out[o++] = 0x84;
  out.set(ctx, o); o += ctx.length;
  out.set(hp, o); o += hp.length;
  out.set(m.protected, o); o += m.protected.length;
  out[o++] = 0x40;
  out.set(hl, o); o += hl.length;
  out.set(m.payload, o);
  return out;
}

function cborHead(major: number, n: number): number[] {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 0xff];
  return [m | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

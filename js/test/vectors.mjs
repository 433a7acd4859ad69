// Reads testdata/vectors/*.txt as internal/vectors does (README there):
// unknown headers, repeated single-valued headers and missing required
// headers are errors, so that a typo cannot weaken a vector.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CODES, KeySet, Verifier, parseRevocations } from '../dist/index.js';
import { fromHex } from '../dist/cbor.js';

export const VECTOR_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'testdata', 'vectors');

function parseTime(s) {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s)) throw new Error(`not RFC 3339: ${s}`);
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new Error(`not RFC 3339: ${s}`);
  return t;
}

function parseKey(s) {
  const f = s.split(/\s+/).filter(Boolean);
  if (f.length === 0) throw new Error('empty key line');
  if (!/^[0-9a-f]{64}$/.test(f[0])) throw new Error(`public key ${f[0]} is not 64 hex digits`);
  const k = { publicKey: fromHex(f[0]) };
  for (const attr of f.slice(1)) {
    if (attr === 'revoked') {
      k.revoked = true;
      continue;
    }
    const eq = attr.indexOf('=');
    if (eq < 0) throw new Error(`key attribute ${attr} is not name=value or revoked`);
    const [a, v] = [attr.slice(0, eq), attr.slice(eq + 1)];
    if (a === 'issuer') k.issuer = v;
    else if (a === 'not_before') k.notBefore = parseTime(v);
    else if (a === 'not_after') k.notAfter = parseTime(v);
    else throw new Error(`unknown key attribute ${a}`);
  }
  return k;
}

/** parseVector parses one vector file's content. */
export function parseVector(name, data) {
  const cut = data.indexOf('\n\n');
  if (cut < 0) throw new Error(`${name}: no blank line between header and token`);
  const v = { name, leeway: 300, keys: [], scopes: [], inGrace: false, fallback: false };
  const seen = new Set();
  for (const line of data.slice(0, cut).split('\n')) {
    if (line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon < 0) throw new Error(`${name}: header line ${JSON.stringify(line)} is not "name: value"`);
    const k = line.slice(0, colon).trim();
    const val = line.slice(colon + 1).trim();
    if (k !== 'key' && k !== 'bind' && seen.has(k)) throw new Error(`${name}: header ${k} given twice`);
    seen.add(k);
    switch (k) {
      case 'expect':
        if (val !== 'valid' && !CODES.includes(val)) throw new Error(`${name}: unknown expectation ${val}`);
        v.expect = val;
        break;
      case 'stage':
        if (val !== 'envelope' && val !== 'claims') throw new Error(`${name}: bad stage ${val}`);
        v.stage = val;
        break;
      case 'now': v.now = parseTime(val); break;
      case 'product': v.product = val; break;
      case 'version': v.version = val; break;
      case 'scopes': v.scopes = val.split(/\s+/).filter(Boolean); break;
      case 'bind': {
        const eq = val.indexOf('=');
        if (eq <= 0) throw new Error(`${name}: bind ${val} is not key=value`);
        v.bind ??= new Map();
        if (v.bind.has(val.slice(0, eq))) throw new Error(`${name}: bind key given twice`);
        v.bind.set(val.slice(0, eq), val.slice(eq + 1));
        break;
      }
      case 'key': v.keys.push(parseKey(val)); break;
      case 'revocations': v.revocations = val; break;
      case 'leeway':
        if (!/^\d+$/.test(val)) throw new Error(`${name}: bad leeway ${val}`);
        v.leeway = Number(val);
        break;
      case 'in_grace':
        if (val !== 'true' && val !== 'false') throw new Error(`${name}: bad in_grace ${val}`);
        v.inGrace = val === 'true';
        break;
      case 'build_date': v.buildDate = parseTime(val); break;
      case 'fallback':
        if (val !== 'true' && val !== 'false') throw new Error(`${name}: bad fallback ${val}`);
        v.fallback = val === 'true';
        break;
      default:
        throw new Error(`${name}: unknown header ${k}`);
    }
  }
  for (const req of ['expect', 'now', 'product', 'key']) {
    if (!seen.has(req)) throw new Error(`${name}: missing header ${req}`);
  }
  if ((v.expect === 'malformed') !== (v.stage !== undefined)) throw new Error(`${name}: stage is given exactly for malformed vectors`);
  if (seen.has('in_grace') && v.expect !== 'valid') throw new Error(`${name}: in_grace is for valid vectors only`);
  if (seen.has('fallback') && v.expect !== 'valid') throw new Error(`${name}: fallback is for valid vectors only`);
  const body = data.slice(cut + 2).trim();
  if (body.startsWith('raw:')) {
    v.form = 'raw';
    v.token = fromHex(body.slice(4).trim());
  } else if (body.startsWith('-----BEGIN ')) {
    v.form = 'pem';
    v.token = new TextEncoder().encode(body + '\n');
  } else if (body === '') {
    throw new Error(`${name}: no token after the header`);
  } else {
    if (/[\r\n]/.test(body)) throw new Error(`${name}: compact text token spans several lines`);
    v.form = 'text';
    v.token = new TextEncoder().encode(body);
  }
  return v;
}

/** loadVectors parses every *.txt file of the vector directory, sorted by name. */
export function loadVectors(dir = VECTOR_DIR) {
  const names = readdirSync(dir).filter((n) => n.endsWith('.txt')).sort();
  if (names.length === 0) throw new Error(`no vector files in ${dir}`);
  return names.map((n) => parseVector(n.slice(0, -4), readFileSync(join(dir, n), 'utf8')));
}

/** verifierFor builds the verifier a vector's header describes. */
export async function verifierFor(v) {
  const keys = await KeySet.create(v.keys);
  const opts = {
    product: v.product,
    clock: () => v.now,
    leewaySeconds: v.leeway,
  };
  if (v.version !== undefined) opts.productVersion = v.version;
  else opts.anyVersionInsecure = true;
  if (v.bind) opts.binding = v.bind;
  if (v.buildDate !== undefined) opts.buildDate = v.buildDate;
  if (v.revocations !== undefined) opts.revocations = [await parseRevocations(v.revocations, keys)];
  return new Verifier(keys, opts);
}

/** run verifies a vector's token and returns 'valid' (with inGrace) or the code. */
export async function run(v) {
  const ver = await verifierFor(v);
  try {
    const lic = await ver.verify(v.token, v.scopes);
    return { outcome: 'valid', lic };
  } catch (e) {
    if (e && typeof e.code === 'string' && CODES.includes(e.code)) return { outcome: e.code, err: e };
    throw e;
  }
}

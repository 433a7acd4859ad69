// bench: time per token of the JavaScript verifier against a raw Ed25519
// verification of the same signature with node:crypto (and with WebCrypto,
// which the verifier uses), in the same run. Usage: node scripts/bench.mjs [N]
//
// The token is testdata/vectors/valid-basic.txt (direct) and
// valid-under-grant.txt (a grant: two signatures).

import { createPublicKey, verify as nodeVerify, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fromHex } from '../dist/cbor.js';
import { VECTOR_DIR, parseVector, verifierFor } from '../test/vectors.mjs';

const N = Number(process.argv[2] ?? 20000);
const ROUNDS = 5;

async function time(fn) {
  const per = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) await fn();
    per.push(((performance.now() - t0) * 1000) / N);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(ROUNDS / 2)]; // median, µs per call
}

/** sigInput returns the Sig_structure and signature of the raw COSE_Sign1 m (heads < 24 bytes or one-byte/two-byte lengths). */
function sigParts(raw) {
  let o = 2;
  const bstr = () => {
    const ib = raw[o++];
    let n = ib & 0x1f;
    if (n === 24) n = raw[o++];
    else if (n === 25) { n = (raw[o] << 8) | raw[o + 1]; o += 2; }
    const b = raw.subarray(o, o + n);
    o += n;
    return b;
  };
  const prot = bstr();
  o++; // a0
  const payload = bstr();
  const sig = bstr();
  const head = (n) => (n < 24 ? [0x40 | n] : n < 256 ? [0x58, n] : [0x59, n >> 8, n & 0xff]);
  const tbs = Uint8Array.from([0x84, 0x6a, ...new TextEncoder().encode('Signature1'), ...head(prot.length), ...prot, 0x40, ...head(payload.length), ...payload]);
  return { tbs, sig };
}

const vendorHex = '601e938da18c84b5c0bb4921a88ceb6f43d5bdcc755e48336525df3ed8903808';
const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(vendorHex, 'hex')]);
const nodeKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
const webKey = await webcrypto.subtle.importKey('raw', fromHex(vendorHex), { name: 'Ed25519' }, false, ['verify']);

console.log(`node ${process.version}, ${N} iterations x ${ROUNDS} rounds, median`);
for (const name of ['valid-basic', 'valid-under-grant']) {
  const v = parseVector(name, readFileSync(join(VECTOR_DIR, `${name}.txt`), 'utf8'));
  const ver = await verifierFor(v);
  const raw = (await import('../dist/armor.js')).base64Decode(new TextDecoder().decode(v.token).split('.')[1], true);
  await ver.verify(v.token, v.scopes); // warm up, and fail loudly if not valid
  const jsVerify = await time(() => ver.verify(v.token, v.scopes));
  const { tbs, sig } = sigParts(raw);
  const signatures = name === 'valid-basic' ? 1 : 2;
  let nodeRaw;
  let webRaw;
  if (name === 'valid-basic') {
    if (!nodeVerify(null, tbs, nodeKey, sig)) throw new Error('bench: raw verify failed');
    nodeRaw = await time(() => nodeVerify(null, tbs, nodeKey, sig));
    webRaw = await time(() => webcrypto.subtle.verify({ name: 'Ed25519' }, webKey, sig, tbs));
    console.log(`node:crypto raw Ed25519 verify:   ${nodeRaw.toFixed(1)} µs`);
    console.log(`WebCrypto raw Ed25519 verify:     ${webRaw.toFixed(1)} µs`);
    globalThis.base = { nodeRaw, webRaw };
  }
  const { nodeRaw: nr, webRaw: wr } = globalThis.base;
  console.log(`JS verify ${name} (${signatures} signature${signatures > 1 ? 's' : ''}, ${v.token.length} bytes): ${jsVerify.toFixed(1)} µs` +
    ` = ${(jsVerify / nr).toFixed(2)}x node:crypto raw, ${(jsVerify / wr).toFixed(2)}x WebCrypto raw` +
    (signatures > 1 ? `, ${(jsVerify / (signatures * nr)).toFixed(2)}x per signature` : ''));
}

// Differential test: the JavaScript verifier and the Go verifier (package
// verify, through js/testdata/goverdict) must give the same verdict on
// every vector, every hostile case of cases.mjs, and a deterministic set of
// byte-level mutations of signed claims, protected headers, embedded grants
// and envelopes (the mutated claims and headers are re-signed, so that the
// decoders, not the signature check, judge them). Skipped without Go.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SITE_BIND, claimCases, envelopeCases, formCases, grantCases, headerCases, partner, siteCases, siteLease, vendor } from './cases.mjs';
import { T_GRANT, T_LICENSE, bytes, grantClaims, keyPair, licenseClaims, protectedHeader, sign1, vectorText } from './helpers.mjs';
import { loadVectors, parseVector, run } from './vectors.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Known divergences: name -> why. The Go verifier is the reference; an
 * entry here is a reported difference (JS follows docs/FORMAT.md). The
 * test fails when a listed case agrees again, so the list stays current.
 */
const KNOWN = {
  // Cases where Go and JS disagree on purpose, each with the reason. Empty:
  // the two disagreements found (simple values read as unsigned integers,
  // header values of known labels not walked) were fixed in Go.
};

function goAvailable() {
  return spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0;
}

let seed = 0x2545f491;
function rnd(n) {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}
const INTERESTING = [0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x20, 0x3b, 0x40, 0x5f, 0x60, 0x7f, 0x80, 0x9f,
  0xa0, 0xa1, 0xbf, 0xc0, 0xc1, 0xd2, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xff];

/** mutate returns a byte-level mutant of b. */
function mutate(b) {
  const a = [...b];
  const at = rnd(a.length);
  switch (rnd(7)) {
    case 0: a[at] ^= 1 << rnd(8); break;
    case 1: a[at] = INTERESTING[rnd(INTERESTING.length)]; break;
    case 2: a.splice(at, 0, INTERESTING[rnd(INTERESTING.length)]); break;
    case 3: a.splice(at, 1); break;
    case 4: { const n = 1 + rnd(12); a.splice(at, 0, ...a.slice(at, at + n)); break; }
    case 5: a[0] = (a[0] & 0xe0) | (((a[0] & 0x1f) + (rnd(2) ? 1 : 31)) & 0x1f); break;
    default: a.splice(at, 0, ...[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff].slice(0, 1 + rnd(9))); break;
  }
  return Uint8Array.from(a);
}

function corpus() {
  const keys = [`${vendor.hex} issuer=acme`, `${keyPair('vendor2').hex} issuer=acme`];
  const out = [];
  const add = (name, raw) => out.push({ name, vector: vectorText(raw, { keys }) });
  for (const [group, cases] of [['claims', claimCases()], ['header', headerCases()], ['forms', formCases()],
    ['envelope', envelopeCases()], ['grants', grantCases()]]) {
    for (const [name, tok] of cases) {
      const raw = typeof tok === 'string' ? new TextEncoder().encode(tok) : tok;
      // Non-raw forms go through the vector's raw line too: the bytes are what count.
      add(`${group}: ${name}`, raw);
    }
  }
  // Site grants (FORMAT section 4, "site"): the cases, then re-signed
  // mutants of a site grant's claims, under a lease bound to this machine.
  const bind = `bind: host=${SITE_BIND}`;
  for (const [name, tok] of siteCases()) out.push({ name: `site: ${name}`, vector: vectorText(tok, { keys, extra: bind }) });
  const sclaims = grantClaims(partner);
  sclaims.set('site', { seats: 10, lease: 3600, borrow: 86400, borrows: 2 });
  const sbytes = bytes(sclaims);
  for (let i = 0; i < 300; i++) {
    const grant = sign1(vendor, protectedHeader(vendor, T_GRANT), mutate(sbytes));
    out.push({ name: `site grant mutant ${i}`, vector: vectorText(siteLease(grant, 3600), { keys, extra: bind }) });
  }
  const claims = bytes(licenseClaims());
  for (let i = 0; i < 1500; i++) {
    let p = claims;
    for (let k = 1 + rnd(3); k > 0; k--) p = mutate(p);
    add(`claims mutant ${i}`, sign1(vendor, protectedHeader(vendor, T_LICENSE), p));
  }
  const hdr = protectedHeader(vendor, T_LICENSE);
  for (let i = 0; i < 500; i++) {
    add(`header mutant ${i}`, sign1(vendor, mutate(hdr), claims));
  }
  const gclaims = bytes(grantClaims(partner));
  const pl = licenseClaims();
  pl.set(1, 'reseller');
  for (let i = 0; i < 500; i++) {
    const grant = sign1(vendor, protectedHeader(vendor, T_GRANT), mutate(gclaims));
    add(`grant mutant ${i}`, sign1(partner, protectedHeader(partner, T_LICENSE, grant), bytes(pl)));
  }
  const good = sign1(vendor, hdr, claims);
  for (let i = 0; i < 300; i++) add(`envelope mutant ${i}`, mutate(good));
  return out;
}

test('the JavaScript and Go verifiers agree', { timeout: 240_000 }, async (t) => {
  if (!goAvailable()) {
    t.skip('go is not on PATH: the differential test needs the Go verifier');
    return;
  }
  const cases = corpus();
  for (const v of loadVectors()) {
    // The vectors themselves, with their own headers: rebuilt from the parsed file.
    cases.push({ name: `vector ${v.name}`, file: v.name });
  }
  const { readFileSync } = await import('node:fs');
  const { VECTOR_DIR } = await import('./vectors.mjs');
  for (const c of cases) if (c.file) c.vector = readFileSync(join(VECTOR_DIR, `${c.file}.txt`), 'utf8');
  const input = cases.map((c) => JSON.stringify({ name: c.name, vector: c.vector })).join('\n') + '\n';
  const go = spawnSync('go', ['run', './js/testdata/goverdict'], { cwd: ROOT, input, encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(go.status, 0, `goverdict failed: ${go.stderr}`);
  const goOut = new Map(go.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((o) => [o.name, o]));
  const mismatches = [];
  const outcomes = new Map();
  for (const c of cases) {
    const g = goOut.get(c.name);
    assert.ok(g, `no Go verdict for ${c.name}`);
    assert.notEqual(g.outcome, 'panic', `Go panicked on ${c.name}: ${g.error}`);
    assert.notEqual(g.outcome, 'setup', `${c.name}: ${g.error}`);
    const { outcome, lic, err } = await run(parseVector(c.name, c.vector));
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    const same = outcome === g.outcome && (outcome !== 'valid' || lic.inGrace === g.in_grace);
    if (same === (c.name in KNOWN)) {
      mismatches.push(same
        ? `${c.name}: agrees now, remove it from KNOWN (${KNOWN[c.name]})`
        : `${c.name}: JS ${outcome}${err ? ` (${err.message})` : ''}, Go ${g.outcome} (${g.error ?? ''})`);
    }
  }
  t.diagnostic(`${cases.length} cases; outcomes: ${[...outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  assert.deepEqual(mismatches, []);
});

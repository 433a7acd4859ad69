// Every vector of testdata/vectors, with the verdict and code it expects.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CODES, LicetError, coversScope, inspect } from '../dist/index.js';
import { useFallbackForTesting } from '../dist/ed25519.js';
import { loadVectors, parseVector, run } from './vectors.mjs';

const vectors = loadVectors();

test('every vector gives the expected verdict and code', async (t) => {
  const seen = new Set();
  for (const v of vectors) {
    await t.test(v.name, async () => {
      seen.add(v.expect);
      const { outcome, lic, err } = await run(v);
      if (v.expect === 'valid') {
        assert.equal(outcome, 'valid', `want valid, got ${outcome}: ${err?.message}`);
        assert.equal(lic.inGrace, v.inGrace, 'in-grace flag');
        assert.equal(lic.fallbackUsed, v.fallback, 'fallback flag');
        for (const s of v.scopes) assert.ok(coversScope(lic.scopes, s), `verified license does not allow ${s}`);
        return;
      }
      assert.equal(outcome, v.expect, `want ${v.expect}, got ${outcome}${err ? ': ' + err.message : ''}`);
      assert.ok(err instanceof LicetError, 'a LicetError');
      assert.ok(err.message.length > 0);
    });
  }
  for (const c of CODES) assert.ok(seen.has(c), `no vector expects ${c}`);
  assert.ok(seen.has('valid'), 'no valid vector');
});

test('malformed vectors of the envelope stage fail inspect too, claims-stage ones only once verified', async (t) => {
  for (const v of vectors.filter((x) => x.expect === 'malformed')) {
    await t.test(v.name, () => {
      if (v.stage === 'envelope') {
        assert.throws(() => inspect(v.token), (e) => e instanceof LicetError && e.code === 'malformed');
      } else {
        assert.throws(() => inspect(v.token), (e) => e instanceof LicetError && e.code === 'malformed', 'claims are malformed, unverified or not');
      }
    });
  }
});

test('every vector that does not expect malformed parses unverified (licet types)', async (t) => {
  for (const v of vectors.filter((x) => x.expect !== 'malformed')) {
    await t.test(v.name, () => {
      try {
        inspect(v.token);
      } catch (e) {
        // Objects whose typ is not a licet type have no claims to decode,
        // and a grant_invalid vector may carry malformed grant claims.
        const grantClaims = v.expect === 'grant_invalid' && /embedded grant|grant/.test(e.message);
        assert.ok(/unknown object type/.test(e.message) || grantClaims, `${v.name}: ${e.message}`);
      }
    });
  }
});

test('the vectors give the same verdicts with the BigInt Ed25519 fallback', async (t) => {
  useFallbackForTesting(true);
  try {
    // A sample: the fallback is slow; every signature-related vector and a few others.
    const sample = vectors.filter((v) => /signature|grant|valid-basic|valid-raw|valid-pem|revoked/.test(v.name));
    for (const v of sample) {
      await t.test(v.name, async () => {
        const { outcome } = await run(v);
        assert.equal(outcome, v.expect);
      });
    }
  } finally {
    useFallbackForTesting(false);
  }
});

test('the vector reader refuses typos', () => {
  const ok = 'expect: valid\nnow: 2026-06-01T12:00:00Z\nproduct: p\nkey: ' + '11'.repeat(32) + '\n\nlicet1.AA\n';
  assert.doesNotThrow(() => parseVector('ok', ok));
  assert.throws(() => parseVector('x', ok.replace('product', 'produkt')), /unknown header/);
  assert.throws(() => parseVector('x', ok.replace('now:', 'now: 2026-06-01T12:00:00Z\nnow:')), /given twice/);
  assert.throws(() => parseVector('x', ok.replace('product: p\n', '')), /missing header/);
  assert.throws(() => parseVector('x', ok.replace('expect: valid', 'expect: malformed')), /stage/);
});

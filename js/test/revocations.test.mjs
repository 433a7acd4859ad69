// Revocation entries and their reach (docs/FORMAT.md section 6): kid
// entries of keys trusted without an issuer (issue 18 item 1), grant-scoped
// gcti pairs, the monotonic-revocation helpers (issue 18 item 2), and
// small-order cnf keys (issue 18 item 3, section 9).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { KeySet, LicetError, Verifier, parseRevocations } from '../dist/index.js';
import {
  EXP, IAT, NOW, T_GRANT, T_LICENSE, T_REVOCATIONS, bytes, grantClaims, keyPair, licenseClaims, protectedHeader,
  sign1, signObject,
} from './helpers.mjs';
import { partner, partnerLicense, vendor } from './cases.mjs';

const other = keyPair('vendor2');

async function outcome(v, input) {
  try {
    await v.verify(input);
    return 'valid';
  } catch (e) {
    if (e instanceof LicetError) return e.code;
    throw e;
  }
}

const list = (key, iss, entries = {}) =>
  signObject(key, T_REVOCATIONS, bytes(new Map([[1, iss], [4, EXP], [6, IAT], ['seq', 1], ['cti', entries.cti ?? []],
    ...(entries.kid ? [['kid', entries.kid]] : []), ...(entries.gcti ? [['gcti', entries.gcti]] : [])])));

async function setup(keys, lists) {
  const ks = await KeySet.create(keys);
  const revocations = [];
  for (const [key, iss, entries] of lists) revocations.push(await parseRevocations(list(key, iss, entries), ks));
  return new Verifier(ks, { product: 'acme-db', clock: () => NOW, revocations });
}

const licenseBy = (key, iss, mod = (m) => m) => {
  const m = licenseClaims();
  m.set(1, iss);
  return signObject(key, T_LICENSE, bytes(mod(m)));
};

test('a kid entry for a key trusted without an issuer holds whatever iss the key signed', async (t) => {
  // Both keys as --pub: no issuer. v's list revokes the second key.
  const unbound = [{ publicKey: vendor.pub }, { publicKey: other.pub }];
  const v = await setup(unbound, [[vendor, 'v', { kid: [other.kid] }]]);
  await t.test('license by the key with iss w', async () => assert.equal(await outcome(v, licenseBy(other, 'w')), 'revoked'));
  await t.test('license by the key with iss v', async () => assert.equal(await outcome(v, licenseBy(other, 'v')), 'revoked'));
  await t.test('license by the other key', async () => assert.equal(await outcome(v, licenseBy(vendor, 'w')), 'valid'));
  await t.test('grant signed by the key', async () => {
    const g = grantClaims(partner);
    g.set(1, 'w');
    const err = await v.verify(partnerLicense(signObject(other, T_GRANT, bytes(g)))).catch((e) => e);
    assert.equal(err.code, 'revoked');
    assert.match(err.message, /signed the grant/);
  });
  await t.test('a key bound to an issuer keeps per-issuer scoping', async () => {
    const bound = await setup([{ publicKey: vendor.pub, issuer: 'v' }, { publicKey: other.pub, issuer: 'w' }], [[vendor, 'v', { kid: [other.kid] }]]);
    assert.equal(await outcome(bound, licenseBy(other, 'w')), 'valid');
  });
});

test('gcti pairs revoke a license within its grant; plain cti does not reach a license under a grant', async (t) => {
  const keys = [{ publicKey: vendor.pub, issuer: 'acme' }];
  const id = new Uint8Array(16).fill(3);
  const g1 = new Uint8Array(16).fill(0x11);
  const g2 = new Uint8Array(16).fill(0x22);
  const grant = (gid) => {
    const g = grantClaims(partner);
    g.set(7, gid);
    return signObject(vendor, T_GRANT, bytes(g));
  };
  const withId = (m) => { m.set(7, id); return m; };
  const under1 = partnerLicense(grant(g1), withId);
  const under2 = partnerLicense(grant(g2), withId);
  const direct = signObject(vendor, T_LICENSE, bytes(withId(licenseClaims())));
  for (const [name, entries, want] of [
    ['gcti pair', { gcti: [[g1, [id]]] }, ['revoked', 'valid', 'valid']],
    ['plain cti of the id', { cti: [id] }, ['valid', 'valid', 'revoked']],
    ['plain cti of a grant', { cti: [g2] }, ['valid', 'revoked', 'valid']],
  ]) {
    await t.test(name, async () => {
      const v = await setup(keys, [[vendor, 'acme', entries]]);
      assert.deepEqual([await outcome(v, under1), await outcome(v, under2), await outcome(v, direct)], want);
    });
  }
  const ks = await KeySet.create(keys);
  const a = new Uint8Array(16).fill(1);
  const b = new Uint8Array(16).fill(2);
  for (const [name, gcti] of [
    ['empty claim', []],
    ['unsorted pairs', [[b, [a]], [a, [a]]]],
    ['a grant twice', [[a, [a]], [a, [b]]]],
    ['a pair without ids', [[a, []]]],
    ['unsorted ids', [[a, [b, a]]]],
    ['an id twice', [[a, [a, a]]]],
    ['short grant id', [[a.subarray(0, 15), [a]]]],
    ['long license id', [[a, [new Uint8Array(17)]]]],
    ['pair of three', [[a, [a], b]]],
    ['ids not an array', [[a, a]]],
  ]) {
    await t.test(`malformed gcti: ${name}`, async () => {
      await assert.rejects(parseRevocations(list(vendor, 'acme', { gcti }), ks), (e) => e.code === 'malformed');
    });
  }
  const rl = await parseRevocations(list(vendor, 'acme', { gcti: [[a, [a, b]], [b, [a]]] }), ks);
  assert.ok(rl.revokesGranted(a, b) && rl.revokesGranted(b, a) && !rl.revokesGranted(b, b) && !rl.revokesId(a));
  assert.deepEqual(rl.claims.granted.map((p) => p.ids.length), [2, 1]);
});

test('including and dropped: a later list un-revokes nothing for a caller that keeps what it saw', async () => {
  const keys = await KeySet.create([{ publicKey: vendor.pub, issuer: 'acme' }, { publicKey: other.pub }]);
  const victim = signObject(vendor, T_LICENSE, bytes(licenseClaims()));
  const byOther = licenseBy(other, 'w');
  const first = await parseRevocations(list(vendor, 'acme', { cti: [licenseClaims().get(7)], kid: [other.kid] }), keys);
  // A leaked key's empty list with a huge seq.
  const leakedClaims = new Map([[1, 'acme'], [4, EXP], [6, IAT], ['seq', 2n ** 62n], ['cti', []]]);
  const leaked = await parseRevocations(signObject(vendor, T_REVOCATIONS, bytes(leakedClaims)), keys);
  const mk = (rl) => new Verifier(keys, { product: 'acme-db', clock: () => NOW, revocations: [rl] });
  assert.equal(await outcome(mk(leaked), victim), 'valid', 'the empty list alone un-revokes');
  const dropped = leaked.dropped(first.claims);
  assert.equal(dropped.ids.length, 1);
  assert.equal(dropped.keyIds.length, 1);
  const merged = leaked.including(first.claims);
  assert.equal(await outcome(mk(merged), victim), 'revoked');
  assert.equal(await outcome(mk(merged), byOther), 'revoked', 'a remembered kid entry of a key without issuer');
  assert.equal(merged.seq, 2n ** 62n);
  assert.equal(merged.claims.ids.length, 0, 'claims stay as signed');
  assert.equal(merged.dropped(first.claims), null);
  assert.equal(first.dropped(first.claims), null);
  assert.throws(() => leaked.including({ ids: [new Uint8Array(3)] }), TypeError);
});

test('a grant whose cnf key is of small order is grant_invalid, forged signature and all', async () => {
  // The identity point: [k]A is the identity for every k, so R = B and
  // S = 1 verify under it for any message.
  const identity = new Uint8Array(32);
  identity[0] = 1;
  const g = grantClaims(partner);
  g.set(8, new Map([[1, new Map([[1, 1], [-1, 6], [-2, identity]])]]));
  const grant = signObject(vendor, T_GRANT, bytes(g));
  const kid = new Uint8Array(createHash('sha256').update(identity).digest().subarray(0, 8));
  const m = licenseClaims();
  m.set(1, 'reseller');
  const prot = protectedHeader({ kid }, T_LICENSE, grant);
  const payload = bytes(m);
  const signed = sign1(partner, prot, payload); // right shape; its signature is replaced
  const B = Uint8Array.from([0x58, ...new Array(31).fill(0x66)]);
  const S = new Uint8Array(32);
  S[0] = 1;
  const forged = Uint8Array.from([...signed.subarray(0, signed.length - 64), ...B, ...S]);
  const v = new Verifier(await KeySet.create([{ publicKey: vendor.pub, issuer: 'acme' }]), { product: 'acme-db', clock: () => NOW });
  const err = await v.verify(forged).catch((e) => e);
  assert.equal(err.code, 'grant_invalid');
  assert.match(err.message, /small order/);
});

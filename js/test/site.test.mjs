// Site grants (FORMAT section 4, "site"; issue 22): the JS verifier reads
// the claim and applies the lease rules with the Go verifier's messages.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canBorrow, inspect, maxLease, violations } from '../dist/index.js';
import { days } from '../dist/violations.js';
import { loadVectors, run } from './vectors.mjs';
import { siteGrant } from './cases.mjs';

// The same reasons internal/vectors TestSiteVectorsReasons expects of Go.
const REASONS = {
  'valid-site-lease': '',
  'valid-site-borrow': '',
  'grant-violation-site-lease-too-long': 'lease of 1h 1s is longer than the site grant allows (1h)',
  'grant-violation-site-borrow-too-long': 'lease of 7d 1s is longer than the site grant allows (7d)',
  'grant-violation-site-borrow-not-allowed': 'lease of 2d is longer than the site grant allows (1h)',
  'grant-violation-site-borrow-without-borrows': 'lease of 2d is longer than the site grant allows (1h)',
  'grant-violation-site-unbound': 'a lease under a site grant must be bound to a machine',
  'grant-violation-site-grace': 'a lease under a site grant may not have a grace period',
  'grant-invalid-site-unknown-member': 'site: members other than seats, lease, borrow and borrows',
  'grant-invalid-site-member-case': 'site: members other than seats, lease, borrow and borrows',
  'grant-invalid-site-seats-zero': 'site: seats missing or 0',
  'grant-invalid-site-seats-missing': 'site: seats missing or 0',
  'grant-invalid-site-lease-zero': 'site: lease missing or 0',
  'grant-invalid-site-seats-text': 'site seats must be an unsigned integer',
  'grant-invalid-site-lease-negative': 'site lease must be an unsigned integer',
  'grant-invalid-site-not-a-map': 'site must be a map',
};

test('site vectors are refused for the reason they name', async (t) => {
  const vs = loadVectors().filter((v) => v.name in REASONS);
  assert.equal(vs.length, Object.keys(REASONS).length, 'site vectors missing');
  for (const v of vs) {
    await t.test(v.name, async () => {
      const { outcome, err } = await run(v);
      const want = REASONS[v.name];
      if (want === '') assert.equal(outcome, 'valid', err?.message);
      else assert.ok(err?.message.includes(want), `${err?.message} does not say ${JSON.stringify(want)}`);
    });
  }
});

test('durations in messages read as in Go (verify.days)', () => {
  for (const [s, want] of [[0, '0s'], [1, '1s'], [3600, '1h'], [3601, '1h 1s'], [86400 * 30, '30d'], [36 * 3600, '1d 12h'],
    [86400 + 7200 + 180 + 4, '1d 2h 3m 4s'], [-90, '-1m 30s']]) {
    assert.equal(days(s), want, `days(${s})`);
  }
});

test('canBorrow and maxLease follow token.Site', () => {
  const site = (borrow, borrows) => ({ seats: 5n, lease: 3600, borrow, borrows });
  assert.equal(maxLease(site(0, 0n)), 3600);
  assert.equal(canBorrow(site(0, 0n)), false);
  assert.equal(maxLease(site(86400, 2n)), 86400);
  assert.equal(canBorrow(site(86400, 2n)), true);
  assert.equal(maxLease(site(86400, 0n)), 3600, 'borrow without borrows: no borrowing');
  assert.equal(maxLease(site(0, 2n)), 3600, 'borrows without borrow: no borrowing');
  assert.equal(maxLease(site(60, 2n)), 3600, 'a borrow shorter than a lease does not shorten leases');
});

test('inspect shows the site claim of a grant; a grant without one has site null', () => {
  const u = inspect(siteGrant({ seats: 25, lease: 3600, borrow: 604800, borrows: 3 }));
  assert.deepEqual(u.grant.site, { seats: 25n, lease: 3600, borrow: 604800, borrows: 3n });
  const m = inspect(siteGrant({ seats: 1, lease: 60 }));
  assert.deepEqual(m.grant.site, { seats: 1n, lease: 60, borrow: 0, borrows: 0n });
});

test('violations lists every lease rule a license breaks', () => {
  const g = inspect(siteGrant({ seats: 2, lease: 3600 })).grant;
  const l = {
    issuer: 'reseller', subject: 'c', audience: ['acme-db'], expiry: g.issuedAt + 7200, notBefore: null,
    issuedAt: g.issuedAt, id: new Uint8Array(16), tier: 'pro', scopes: [], versions: null, limits: new Map(),
    rights: [], bind: new Map(), grace: 60, meta: new Map(), crit: [], fallback: false, constraint: null,
  };
  assert.deepEqual(violations(g, l), [
    'a lease under a site grant must be bound to a machine',
    'a lease under a site grant may not have a grace period',
    'lease of 2h is longer than the site grant allows (1h)',
  ]);
  l.bind.set('host', 'x');
  l.grace = 0;
  l.expiry = g.issuedAt + 3600;
  assert.deepEqual(violations(g, l), []);
});

// Issue 20's speed work in the JavaScript verifier keeps every answer:
// the text form read from bytes gives the errors the string path gave,
// and parsed version constraints are shared without changing verdicts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Constraints, Version, inspect } from '../dist/index.js';
import { base64Decode, base64Encode } from '../dist/armor.js';

const enc = (s) => new TextEncoder().encode(s);

test('text form read from bytes: same errors as the string path', async () => {
  const body = base64Encode(new Uint8Array([0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40]), true);
  for (const [input, want] of [
    ['licet1' + body, /no PREFIX\./],
    ['Licet1.' + body, /invalid token prefix "Licet1"/],
    ['a'.repeat(33) + '.' + body, /invalid token prefix/],
    ['.' + body, /invalid token prefix ""/],
    ['licet1.' + body.slice(0, 3) + '\n' + body.slice(3), /line break inside the token text/],
    ['licet1.' + body.slice(0, 3) + '+' + body.slice(4), /not unpadded base64url/],
    ['licet1.' + body + 'A', /not unpadded base64url/],
    ['licet1.AB', /stray bits/],
    ['licet1.' + body.slice(0, 3) + '\u00e9', /not unpadded base64url/],
  ]) {
    await assert.rejects(async () => inspect(enc(input)), want, JSON.stringify(input));
  }
});

test('text form read from bytes decodes as base64Decode does', () => {
  for (let n = 0; n < 40; n++) {
    const b = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
    const t = base64Encode(b, true);
    assert.deepEqual(base64Decode(t, true), b);
  }
});

test('Constraints.parse: remembered, same verdicts, errors not remembered', () => {
  const a = Constraints.parse('>= 2.0, < 4.0');
  assert.equal(Constraints.parse('>= 2.0, < 4.0'), a);
  assert.equal(a.check(Version.parse('3.1.0')), true);
  assert.equal(a.check(Version.parse('4.0.0')), false);
  for (let i = 0; i < 70; i++) Constraints.parse(`>= ${i}.0`); // past the bound: starts again
  assert.equal(Constraints.parse('>= 2.0, < 4.0').check(Version.parse('2.0.0')), true);
  assert.throws(() => Constraints.parse('>= x'));
  assert.throws(() => Constraints.parse('>= x'));
});

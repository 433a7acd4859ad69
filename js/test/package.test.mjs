// The package's face (issue 19): what index.js exports, the scripts of
// package.json, the examples of the README and index.ts, the page's notice.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as licet from '../dist/index.js';

const js = new URL('../', import.meta.url);
const read = (path) => readFileSync(new URL(path, js), 'utf8');

test('test hooks and byte helpers are not public exports', () => {
  for (const name of ['useFallbackForTesting', 'useWebCryptoForTesting', 'hex', 'fromHex', 'base64Encode', 'base64Decode']) {
    assert.equal(name in licet, false, `index.js exports ${name}`);
  }
  for (const name of ['KeySet', 'RevocationList', 'Verifier', 'inspect', 'violations', 'parseRevocations', 'parseRevocationLists', 'parsePublicKeyPEM']) {
    assert.equal(typeof licet[name], 'function', `index.js does not export ${name}`);
  }
});

test('the scripts of package.json name files that exist', () => {
  const { scripts } = JSON.parse(read('package.json'));
  for (const [name, cmd] of Object.entries(scripts)) {
    for (const [, path] of cmd.matchAll(/\bnode (?:--test )?(\S+)/g)) {
      assert.ok(existsSync(new URL(path, js)), `script ${name}: ${path} does not exist`);
    }
  }
});

test('the examples await the async calls', () => {
  const blocks = (text, fence) => [...text.matchAll(new RegExp('```' + fence + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
  const examples = [...blocks(read('README.md'), 'js'), ...blocks(read('src/index.ts'), 'ts').map((b) => b.replace(/^ \* ?/gm, ''))];
  assert.ok(examples.length >= 2, 'no examples found');
  const async = /(?:parsePublicKeyPEM|KeySet\.create|\.verify|parseRevocations|parseRevocationLists)\(/g;
  for (const code of examples) {
    for (const m of code.matchAll(async)) {
      const before = code.slice(0, m.index);
      assert.match(before, /await (?:[\w.]+)?$/, `not awaited: ${code.slice(m.index, m.index + 40)}`);
    }
  }
});

test('web/verify.html says it is generated and how', () => {
  const page = read('../web/verify.html');
  assert.match(page.slice(0, 600), /Generated: do not edit\. .*build-page\.mjs/);
});

// The offline page (web/verify.html) in real headless Chromium: valid and
// rejected licenses pasted, a license file chosen and dropped, a page with
// the vendor key embedded by "licet page", the BigInt fallback where
// WebCrypto lacks Ed25519, and no network request of any kind.
//
// Needs Chromium (CHROMIUM, default /usr/bin/chromium) and, for the
// embedded-key page, Go (to run "licet page").

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { base64Encode } from '../dist/armor.js';
import { fromHex } from '../dist/cbor.js';
import { VECTOR_DIR, parseVector } from '../test/vectors.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PAGE = join(ROOT, 'web', 'verify.html');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const VENDOR = '601e938da18c84b5c0bb4921a88ceb6f43d5bdcc755e48336525df3ed8903808';

const vector = (name) => parseVector(name, readFileSync(join(VECTOR_DIR, `${name}.txt`), 'utf8'));
const tokenText = (name) => readFileSync(join(VECTOR_DIR, `${name}.txt`), 'utf8').split('\n\n').slice(1).join('\n\n').trim();

function pubPEM(hexKey, issuer) {
  const der = Uint8Array.from([...fromHex('302a300506032b6570032100'), ...fromHex(hexKey)]);
  return `# licet public key\n${issuer ? `# issuer: ${issuer}\n` : ''}-----BEGIN PUBLIC KEY-----\n${base64Encode(der, false)}\n-----END PUBLIC KEY-----\n`;
}

let browser;
let tmp;
before(async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  tmp = mkdtempSync(join(tmpdir(), 'licet-page-'));
});
after(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** open loads a page and records problems: console errors, page errors, any request not to file:. */
async function open(path, { init } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => { if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`); });
  if (init) await page.addInitScript(init);
  await page.goto(pathToFileURL(path).href);
  await page.waitForSelector('html[data-ready=true]');
  return { page, problems, close: () => context.close() };
}

async function verdict(page) {
  await page.waitForSelector('#result:not([hidden])');
  await page.waitForFunction(() => document.getElementById('verdict').textContent !== '');
  return page.evaluate(() => ({
    verdict: document.getElementById('verdict').textContent,
    code: document.getElementById('code').textContent,
    message: document.getElementById('message').textContent,
    title: document.getElementById('claims-title').textContent,
    claims: Object.fromEntries([...document.querySelectorAll('#claims tr')].map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent])),
    notes: [...document.querySelectorAll('#notes li')].map((li) => li.textContent),
  }));
}

async function check(page, token, { product = 'acme-db', version = '2.1.0', scopes = '', at = '2026-06-01T12:00:00Z' } = {}) {
  await page.evaluate(() => {
    document.getElementById('verdict').textContent = '';
    document.getElementById('result').hidden = true;
  });
  await page.fill('#token', token);
  await page.fill('#product', product);
  await page.fill('#version', version);
  await page.fill('#scopes', scopes);
  await page.fill('#at', at);
  await page.click('#verify');
  return verdict(page);
}

test('pasted licenses: valid, rejected with their codes, claims shown', async () => {
  const { page, problems, close } = await open(PAGE);
  await page.fill('#pubkey', pubPEM(VENDOR, 'acme'));
  let r = await check(page, tokenText('valid-basic'), { scopes: 'api:read reports:daily' });
  assert.equal(r.verdict, 'VALID');
  assert.equal(r.code, 'valid');
  assert.equal(r.claims.subject, 'customer-4711');
  assert.equal(r.claims.issuer, 'acme');
  assert.match(r.title, /verified/);
  r = await check(page, tokenText('valid-pem'));
  assert.equal(r.verdict, 'VALID');
  r = await check(page, tokenText('valid-in-grace'));
  assert.equal(r.verdict, 'VALID (in grace period)');
  for (const [name, code] of [['expired', 'expired'], ['bad-signature-flipped', 'bad_signature'], ['wrong-product', 'wrong_product'],
    ['version-not-covered', 'version_not_covered'], ['malformed-truncated', 'malformed'], ['wrong-issuer', 'wrong_issuer']]) {
    const v = vector(name);
    r = await check(page, tokenText(name), { product: v.product, version: v.version ?? '' });
    assert.equal(r.verdict, 'REJECTED', name);
    assert.equal(r.code, code, name);
    assert.notEqual(r.message, '', name);
  }
  r = await check(page, tokenText('expired'));
  assert.match(r.title, /UNVERIFIED/);
  assert.equal(r.claims.subject, 'customer-4711');
  r = await check(page, tokenText('scope-missing'), { scopes: 'api:admin' });
  assert.equal(r.code, 'scope_missing');
  r = await check(page, tokenText('malformed-truncated'));
  assert.match(r.title, /cannot be decoded/);
  r = await check(page, tokenText('valid-basic'), { product: '', version: '' });
  assert.equal(r.verdict, 'VALID');
  assert.ok(r.notes.some((n) => /product not checked/.test(n)), r.notes.join('; '));
  // A revocation list pasted with the license.
  await page.fill('#revocations', vector('revoked-license').revocations);
  r = await check(page, tokenText('revoked-license'));
  assert.equal(r.code, 'revoked');
  r = await check(page, tokenText('valid-basic'));
  assert.equal(r.verdict, 'VALID');
  assert.ok(!r.notes.some((n) => /revocation not checked/.test(n)));
  await page.fill('#revocations', 'licet1.AAAA');
  r = await check(page, tokenText('valid-basic'));
  assert.equal(r.verdict, 'Cannot verify');
  assert.match(r.message, /revocation list/);
  await page.fill('#revocations', '');
  r = await check(page, tokenText('valid-basic'), { at: 'yesterday' });
  assert.equal(r.verdict, 'Cannot verify');
  await page.fill('#pubkey', pubPEM(VENDOR, 'someone-else'));
  r = await check(page, tokenText('valid-basic'));
  assert.equal(r.code, 'wrong_issuer');
  await page.fill('#pubkey', 'not a key');
  r = await check(page, tokenText('valid-basic'));
  assert.equal(r.verdict, 'Cannot verify');
  assert.deepEqual(problems, []);
  await close();
});

test('license files: chosen and dropped, raw bytes too', async () => {
  const { page, problems, close } = await open(PAGE);
  await page.fill('#pubkey', pubPEM(VENDOR, 'acme'));
  await page.fill('#product', 'acme-db');
  await page.fill('#version', '2.1.0');
  await page.fill('#at', '2026-06-01T12:00:00Z');
  await page.setInputFiles('#token-file', { name: 'license.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(vector('valid-raw').token) });
  let r = await verdict(page);
  assert.equal(r.verdict, 'VALID');
  assert.match(await page.inputValue('#token'), /raw license from license\.bin/);
  // A drop event carrying a file, as the browser sends it.
  await page.evaluate(() => { document.getElementById('verdict').textContent = ''; });
  await page.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'customer.lic', { type: 'text/plain' }));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, tokenText('expired'));
  r = await verdict(page);
  assert.equal(r.code, 'expired');
  // A large file is refused without being read as a license.
  await page.evaluate(() => { document.getElementById('verdict').textContent = ''; });
  await page.setInputFiles('#token-file', { name: 'movie.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(200 * 1024) });
  r = await verdict(page);
  assert.equal(r.verdict, 'Not a license');
  // Dropping a public key file fills the key field.
  await page.fill('#pubkey', '');
  await page.evaluate((pem) => {
    const dt = new DataTransfer();
    dt.items.add(new File([pem], 'acme.pub'));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, pubPEM(VENDOR, 'acme'));
  await page.waitForFunction(() => document.getElementById('pubkey').value.includes('PUBLIC KEY'));
  assert.deepEqual(problems, []);
  await close();
});

test('a page written by "licet page" checks against the embedded key only', async (t) => {
  const pub = join(tmp, 'acme.pub');
  writeFileSync(pub, pubPEM(VENDOR, 'acme'));
  const out = join(tmp, 'acme-verify.html');
  const go = spawnSync('go', ['run', './cmd/licet', 'page', '--pub', pub, '--product', 'acme-db', '-o', out], { cwd: ROOT, encoding: 'utf8' });
  if (go.error) {
    t.skip(`go not available: ${go.error.message}`);
    return;
  }
  assert.equal(go.status, 0, go.stderr);
  const { page, problems, close } = await open(out);
  assert.equal(await page.isVisible('#pubkey'), false);
  assert.match(await page.textContent('#keyinfo'), /kid 5e?[0-9a-f]{14,16} \(issuer acme\)|issuer acme/);
  assert.equal(await page.inputValue('#product'), 'acme-db');
  let r = await check(page, tokenText('valid-basic'));
  assert.equal(r.verdict, 'VALID');
  r = await check(page, tokenText('unknown-key'));
  assert.equal(r.code, 'unknown_key');
  assert.deepEqual(problems, []);
  await close();
});

test('without Ed25519 in WebCrypto the page verifies with its fallback', async () => {
  const init = () => {
    const subtle = globalThis.crypto.subtle;
    const orig = subtle.importKey.bind(subtle);
    subtle.importKey = (fmt, key, alg, ...rest) => {
      const name = typeof alg === 'string' ? alg : alg && alg.name;
      if (name === 'Ed25519') return Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError'));
      return orig(fmt, key, alg, ...rest);
    };
  };
  const { page, problems, close } = await open(PAGE, { init });
  await page.fill('#pubkey', pubPEM(VENDOR, 'acme'));
  let r = await check(page, tokenText('valid-basic'));
  assert.equal(r.verdict, 'VALID');
  r = await check(page, tokenText('bad-signature-flipped'));
  assert.equal(r.code, 'bad_signature');
  r = await check(page, tokenText('valid-under-grant'));
  assert.equal(r.verdict, 'VALID');
  assert.equal(r.claims['site lease'], undefined);
  r = await check(page, tokenText('valid-site-lease'));
  assert.equal(r.verdict, 'VALID');
  assert.equal(r.claims['site lease'], "a lease of one of the site's 10 floating seats: leases up to 1h, borrows up to 7d (2 at once)");
  r = await check(page, tokenText('grant-violation-site-lease-too-long'));
  assert.equal(r.code, 'grant_violation');
  assert.match(r.message, /lease of 1h 1s is longer than the site grant allows \(1h\)/);
  assert.deepEqual(problems, []);
  await close();
});

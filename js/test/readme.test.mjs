// The JavaScript snippet of the repository README ("Verifying outside Go"),
// run as it is written: as a module of a project that installed
// @licet/verify, in a directory holding the vendor quickstart's acme.pub
// and customer-42.lic (made with the Go command line, as the quickstart
// makes them).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const JS = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(JS, '..');

function haveGo() {
  return spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0;
}

function snippet() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n## Verifying outside Go\n')[1]?.split('\n## ')[0];
  assert.ok(section, 'README has no "Verifying outside Go" section');
  const block = section.split('```js\n')[1]?.split('```')[0];
  assert.ok(block, 'the section has no js block');
  return block;
}

test('the README JavaScript snippet runs as written', { skip: !haveGo() && 'go is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'licet-readme-'));
  try {
    const licet = join(dir, 'licet');
    let r = spawnSync('go', ['build', '-o', licet, './cmd/licet'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const env = { ...process.env, LICET_PASSPHRASE: 'readme snippet', LICET_LEDGER: '', LICET_POLICY: '' };
    for (const args of [
      ['keys', 'new', '--issuer', 'acme'],
      ['mint', '--key', 'acme.key', '--sub', 'customer-42', '--aud', 'acme-db', '--tier', 'pro',
        '--scope', 'api:read', '--scope', 'reports:*', '--versions', '>= 3.0, < 4.0',
        '--limit', 'seats=25', '--days', '365', '--format', 'pem', '-o', 'customer-42.lic'],
    ]) {
      r = spawnSync(licet, args, { cwd: dir, env, encoding: 'utf8' });
      assert.equal(r.status, 0, `licet ${args.join(' ')}: ${r.stderr}`);
    }
    mkdirSync(join(dir, 'node_modules', '@licet'), { recursive: true });
    symlinkSync(JS, join(dir, 'node_modules', '@licet', 'verify'), 'dir');
    writeFileSync(join(dir, 'snippet.mjs'), snippet());
    r = spawnSync(process.execPath, ['snippet.mjs'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'customer-42 pro');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

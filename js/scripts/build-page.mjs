// build-page writes web/verify.html: page/verify.template.html with the
// bundled library (dist/) and page/app.js inlined as one script, and a
// Content-Security-Policy that allows that script only (by its hash) and
// no network at all. Run after "npm run build". With --check it writes
// nothing and fails if web/verify.html is not what it would write.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from './bundle.mjs';

const js = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(js, '..', 'web', 'verify.html');

const version = JSON.parse(readFileSync(join(js, 'package.json'), 'utf8')).version;
const script = `"use strict";\n(() => {\n${bundle(join(js, 'dist'))}\nconst licet = __m_index;\n${readFileSync(join(js, 'page', 'app.js'), 'utf8')}\n})();\n`;
if (script.includes('</script')) throw new Error('build-page: the script contains "</script"');
const hash = createHash('sha256').update(script, 'utf8').digest('base64');
const csp = `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
const html = readFileSync(join(js, 'page', 'verify.template.html'), 'utf8')
  .replace('{{CSP}}', csp)
  .replace('{{VERSION}}', version)
  .replace('{{SCRIPT}}', () => script);

if (process.argv.includes('--check')) {
  let have = '';
  try {
    have = readFileSync(out, 'utf8');
  } catch {}
  if (have !== html) {
    console.error('web/verify.html is not up to date: run "npm run build && npm run page" in js/ and commit it');
    process.exit(1);
  }
  console.log('web/verify.html is up to date');
} else {
  writeFileSync(out, html);
  console.log(`wrote ${out} (${html.length} bytes)`);
}

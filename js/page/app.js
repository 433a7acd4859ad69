// The page: reads the form, verifies with the bundled library (licet),
// shows the verdict, the code and the claims. Untrusted text is only ever
// written with textContent.

const $ = (id) => document.getElementById(id);
const config = JSON.parse($('licet-config').textContent);
const embedded = Array.isArray(config.keys) && config.keys.length > 0;
let droppedToken = null; // bytes of a dropped or chosen license file

if (embedded) {
  $('key-section').hidden = true;
  $('embedded-section').hidden = false;
  $('keyinfo').textContent = config.keys.map((k) => `kid ${k.kid}${k.issuer ? ` (issuer ${k.issuer})` : ''}`).join('\n');
  $('keyinfo').style.whiteSpace = 'pre';
}
if (config.product) $('product').value = config.product;

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function fromHex(s) {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) throw new Error(`not hex: ${s}`);
  return Uint8Array.from(s.match(/../g) ?? [], (p) => parseInt(p, 16));
}

function fmtTime(sec) {
  return sec === null || sec === undefined ? '' : new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
}
function fmtDuration(s) {
  if (!s) return '0s';
  const parts = [];
  for (const [n, u] of [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']]) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)}${u}`);
      s %= n;
    }
  }
  return parts.join(' ');
}
const fmtMap = (m) => [...m].map(([k, v]) => `${k}=${v}`).join('\n');

function claimRows(l, verified) {
  const rows = [
    ['issuer', l.issuer], ['subject', l.subject], ['products', l.audience.join(', ')], ['tier', l.tier],
    ['scopes', l.scopes.join(' ')], ['issued', fmtTime(l.issuedAt)],
  ];
  if (l.notBefore !== null) rows.push(['not before', fmtTime(l.notBefore)]);
  rows.push(['expires', l.expiry === null ? 'never (perpetual)' : fmtTime(l.expiry)]);
  if (l.grace) rows.push(['grace', fmtDuration(l.grace)]);
  if (l.versions !== null) rows.push(['versions', l.versions]);
  if (l.limits.size) rows.push(['limits', fmtMap(l.limits)]);
  if (l.rights.length) rows.push(['rights', l.rights.join(', ')]);
  if (l.bind.size) rows.push(['bound to', fmtMap(l.bind)]);
  if (l.meta.size) rows.push(['meta', fmtMap(l.meta)]);
  rows.push(['license id', hex(l.id)]);
  if (verified) rows.push(['signing key', hex(verified.keyId)]);
  const g = verified ? verified.grant : null;
  if (g) rows.push(['grant', `partner ${g.subject}, grant ${hex(g.id)}, expires ${fmtTime(g.expiry)}, signed by ${hex(verified.grantKeyId)}`]);
  if (g && g.site) {
    const s = g.site;
    const borrow = licet.canBorrow(s) ? `, borrows up to ${fmtDuration(s.borrow)} (${s.borrows} at once)` : ', no borrowing';
    rows.push(['site lease', `a lease of one of the site's ${s.seats} floating seats: leases up to ${fmtDuration(s.lease)}${borrow}`]);
  }
  return rows;
}

function show(kind, verdict, code, message, notes, rows, rowsTitle) {
  const r = $('result');
  r.hidden = false;
  r.className = kind;
  $('verdict').textContent = verdict;
  $('code').textContent = code;
  $('message').textContent = message;
  const ul = $('notes');
  ul.replaceChildren(...notes.map((n) => Object.assign(document.createElement('li'), { textContent: n })));
  $('claims-title').textContent = rowsTitle;
  $('claims-title').className = rowsTitle.includes('UNVERIFIED') ? 'unverified' : '';
  const body = $('claims').tBodies[0];
  body.replaceChildren(...rows.map(([k, v]) => {
    const tr = document.createElement('tr');
    tr.append(Object.assign(document.createElement('th'), { textContent: k }), Object.assign(document.createElement('td'), { textContent: v }));
    return tr;
  }));
}

async function trustedKeys() {
  if (embedded) {
    return licet.KeySet.create(config.keys.map((k) => ({ publicKey: fromHex(k.key), ...(k.issuer ? { issuer: k.issuer } : {}) })));
  }
  const pem = $('pubkey').value;
  if (!pem.trim()) throw new Error('paste the vendor public key (PEM) first');
  const k = await licet.parsePublicKeyPEM(pem);
  return licet.KeySet.create([{ publicKey: k.publicKey, ...(k.issuer ? { issuer: k.issuer } : {}) }]);
}

async function run() {
  const token = droppedToken ?? $('token').value;
  if ((typeof token === 'string' && !token.trim()) || (token instanceof Uint8Array && token.length === 0)) {
    show('error', 'No license', '', 'paste a license or drop a license file', [], [], '');
    return;
  }
  const notes = [];
  let keys;
  let opts;
  try {
    keys = await trustedKeys();
    const product = $('product').value.trim();
    const version = $('version').value.trim();
    const bind = $('bind').value.trim();
    const at = $('at').value.trim();
    let now = Date.now();
    if (at) {
      now = /^\d+$/.test(at) ? Number(at) * 1000 : Date.parse(at);
      if (!Number.isFinite(now)) throw new Error(`"${at}" is not a time: use RFC 3339 (2026-06-01T12:00:00Z)`);
    }
    opts = { clock: () => now };
    if (product) opts.product = product;
    else {
      opts.anyProductInsecure = true;
      notes.push('product not checked: no product given');
    }
    if (version) opts.productVersion = version;
    else {
      opts.anyVersionInsecure = true;
      notes.push('version constraints not checked: no product version given');
    }
    if (bind) {
      opts.binding = {};
      for (const kv of bind.split(/\s+/)) {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new Error(`binding "${kv}" is not key=value`);
        opts.binding[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
    } else {
      opts.anyBindingInsecure = true;
      notes.push('machine binding not checked: no binding given');
    }
    const revs = $('revocations').value.trim();
    if (revs) {
      try {
        opts.revocations = await licet.parseRevocationLists(revs, keys);
      } catch (e) {
        throw new Error(`revocation list: ${e.message}`);
      }
    } else notes.push('revocation not checked: no revocation list given');
    opts.scopes = $('scopes').value.trim().split(/\s+/).filter(Boolean);
  } catch (e) {
    show('error', 'Cannot verify', '', e.message, [], [], '');
    return;
  }
  const scopes = opts.scopes;
  delete opts.scopes;
  let verifier;
  try {
    verifier = new licet.Verifier(keys, opts);
  } catch (e) {
    show('error', 'Cannot verify', '', e.message, [], [], '');
    return;
  }
  try {
    const lic = await verifier.verify(token, scopes);
    const n = [...lic.warnings.map((w) => `warning: ${w}`), ...notes];
    if (lic.inGrace) n.unshift('the license has expired and is in its grace period: renew it');
    show('valid', lic.inGrace ? 'VALID (in grace period)' : 'VALID', 'valid', 'every check passed', n, claimRows(lic, lic), 'Claims (verified)');
  } catch (e) {
    if (!(e instanceof licet.LicetError)) {
      show('error', 'Error', '', String(e && e.message ? e.message : e), [], [], '');
      return;
    }
    let rows = [];
    let title = '';
    try {
      const u = licet.inspect(token);
      if (u.license) {
        rows = claimRows(u.license, null);
        title = 'Claims (UNVERIFIED: the license was rejected; do not trust them)';
      } else title = `This is not a license: it is of type ${u.type}`;
    } catch {
      title = 'The claims cannot be decoded.';
    }
    show('rejected', 'REJECTED', e.code, e.message.replace(/^licet: [a-z_]+: /, ''), notes, rows, title);
  }
}

async function takeFile(file) {
  if (file.size > 64 * 1024) {
    show('error', 'Not a license', '', `${file.name} is ${file.size} bytes: a license or key file is a few kilobytes at most`, [], [], '');
    return;
  }
  const buf = new Uint8Array(await file.arrayBuffer());
  const text = new TextDecoder().decode(buf);
  if (text.includes('-----BEGIN PUBLIC KEY-----')) {
    if (embedded) {
      show('error', 'Key not replaced', '', 'this page checks against the vendor key embedded in it', [], [], '');
      return;
    }
    $('pubkey').value = text;
    return;
  }
  if (buf.length > 0 && buf[0] >= 0xc0 && buf[0] <= 0xdf) {
    droppedToken = buf;
    $('token').value = `[raw license from ${file.name}: ${buf.length} bytes]`;
  } else {
    droppedToken = null;
    $('token').value = text;
  }
  await run();
}

$('token').addEventListener('input', () => {
  droppedToken = null;
});
$('verify').addEventListener('click', () => run());
$('token-file').addEventListener('change', (e) => {
  if (e.target.files.length) takeFile(e.target.files[0]);
});
for (const id of ['product', 'version', 'scopes', 'bind', 'at']) {
  $(id).addEventListener('keydown', (e) => {
    if (e.key === 'Enter') run();
  });
}
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
document.addEventListener('drop', (e) => {
  e.preventDefault();
  document.body.classList.remove('dragging');
  const f = e.dataTransfer && e.dataTransfer.files[0];
  if (f) takeFile(f);
});
document.documentElement.dataset.ready = 'true';

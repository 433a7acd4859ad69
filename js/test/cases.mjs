// Hostile test cases shared by hostile.test.mjs (expected codes, from
// FORMAT sections 8 and 9) and differential.test.mjs (the Go verifier's
// verdict on each). Every case is verified with the vendor key trusted
// (issuer acme), product acme-db at 2.1.0, now 2026-06-01T12:00:00Z.

import { base64Encode } from '../dist/armor.js';
import {
  CTI, EXP, IAT, NOW, Raw, T_GRANT, T_LICENSE, bytes, enc, grantClaims, head, keyPair,
  licenseClaims, protectedHeader, sign1, signObject,
} from './helpers.mjs';

export const vendor = keyPair('vendor');
export const partner = keyPair('partner');
export const stranger = keyPair('stranger');

export const license = (claims) => signObject(vendor, T_LICENSE, bytes(claims));
export const withClaim = (k, v) => {
  const m = licenseClaims();
  m.set(k, v);
  return license(m);
};
/** rawMap builds a map from encoded pairs given as byte arrays. */
export const rawMap = (...pairs) => new Raw([...head(5, pairs.length), ...pairs.flat()]);
const nest = (n, leaf = 0) => (n === 0 ? leaf : [nest(n - 1, leaf)]);

export function licenseWithHeader(hdr) {
  return sign1(vendor, bytes(hdr), bytes(licenseClaims()));
}
const baseHeader = () => new Map([[1, -8], [4, vendor.kid], [16, T_LICENSE]]);
const headerWith = (k, v) => {
  const m = baseHeader();
  m.set(k, v);
  return m;
};

export const valid = license(licenseClaims());
const te = new TextEncoder();
export const text = 'licet1.' + base64Encode(valid, true);
export const pem = (raw, type = 'LICET LICENSE') =>
  `-----BEGIN ${type}-----\n${base64Encode(raw, false).replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${type}-----\n`;

export const grantTok = (claims, key = vendor) => signObject(key, T_GRANT, bytes(claims));
export const partnerLicense = (grant, mod = (m) => m) => {
  const m = licenseClaims();
  m.set(1, 'reseller');
  return sign1(partner, protectedHeader(partner, T_LICENSE, grant), bytes(mod(m)));
};
export const grantWith = (k, v) => {
  const g = grantClaims(partner);
  g.set(k, v);
  return grantTok(g);
};

export function claimCases() {
  const cases = [
    ['a typical license', license(licenseClaims()), 'valid'],
    ['duplicate key in an unknown claim', withClaim('x', rawMap([...enc('a'), 1], [...enc('a'), 2])), 'malformed'],
    ['duplicate key by value (1 and a two-byte 1)', withClaim('x', rawMap([0x01, 0x01], [0x18, 0x01, 0x02])), 'malformed'],
    ['duplicate float keys (half and single 1.0)', withClaim('x', rawMap([0xf9, 0x3c, 0x00, 0x01], [0xfa, 0x3f, 0x80, 0x00, 0x00, 0x02])), 'malformed'],
    ['two NaN keys', withClaim('x', rawMap([0xf9, 0x7e, 0x00, 0x01], [0xf9, 0x7e, 0x00, 0x02])), 'malformed'],
    ['+0 and -0 keys', withClaim('x', rawMap([0xf9, 0x00, 0x00, 0x01], [0xf9, 0x80, 0x00, 0x02])), 'malformed'],
    ['1 and "1" and h\'01\' are three keys', withClaim('x', rawMap([0x01, 0x01], [...enc('1'), 2], [0x41, 0x01, 3])), 'valid'],
    ['an array as a map key', withClaim('x', rawMap([0x80, 0x01])), 'malformed'],
    ['a tag as a map key', withClaim('x', rawMap([0xc1, 0x01, 0x01])), 'malformed'],
    ['a map as a map key', withClaim('x', rawMap([0xa0, 0x01])), 'malformed'],
    ['duplicate claim iss', license(rawMap([...enc(1), ...enc('acme')], [...enc(1), ...enc('acme')], [...enc(2), ...enc('c')], [...enc(3), ...enc('acme-db')], [...enc(6), ...enc(IAT)], [...enc(7), ...enc(CTI)], [...enc('tier'), ...enc('pro')])), 'malformed'],
    ['null in an unknown claim', withClaim('x', new Raw([0xf6])), 'malformed'],
    ['undefined in an unknown claim', withClaim('x', [new Raw([0xf7])]), 'malformed'],
    ['a tag in an unknown claim', withClaim('x', new Raw([0xc1, 0x01])), 'malformed'],
    ['tag 18 in an unknown claim', withClaim('x', new Raw([0xd2, 0x80])), 'malformed'],
    ['an indefinite array in an unknown claim', withClaim('x', new Raw([0x9f, 0x01, 0xff])), 'malformed'],
    ['an indefinite text in an unknown claim', withClaim('x', new Raw([0x7f, 0x61, 0x61, 0xff])), 'malformed'],
    ['a reserved head (ai 28)', withClaim('x', new Raw([0x1c])), 'malformed'],
    ['a two-byte simple value below 32', withClaim('x', new Raw([0xf8, 0x10])), 'malformed'],
    ['simple values, floats and booleans in an unknown claim', withClaim('x', [new Raw([0xf0]), new Raw([0xf8, 0xff]), 1.5, true, new Raw([0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0])]), 'valid'],
    ['nesting 16 deep (the claims map is level 1)', withClaim('x', nest(15)), 'valid'],
    ['nesting 17 deep', withClaim('x', nest(16)), 'malformed'],
    ['an array of 1024 items', withClaim('x', new Array(1024).fill(0)), 'valid'],
    ['an array of 1025 items', withClaim('x', new Array(1025).fill(0)), 'malformed'],
    ['a map of 256 pairs', withClaim('x', new Map(Array.from({ length: 256 }, (_, i) => [i, 0]))), 'valid'],
    ['a map of 257 pairs', withClaim('x', new Map(Array.from({ length: 257 }, (_, i) => [i, 0]))), 'malformed'],
    ['invalid UTF-8 in an unknown claim', withClaim('x', new Raw([0x62, 0xc3, 0x28])), 'malformed'],
    ['a UTF-8 surrogate in an unknown claim', withClaim('x', new Raw([0x63, 0xed, 0xa0, 0x80])), 'malformed'],
    ['a BOM inside text is just text', withClaim('x', '\ufeffhello'), 'valid'],
    ['an integer claim key 2^64-1 is an unknown label', license(new Map([...licenseClaims(), [new Raw([0x1b, 255, 255, 255, 255, 255, 255, 255, 255]), 1]])), 'valid'],
    ['an integer claim key -2^64 is an unknown label', license(new Map([...licenseClaims(), [new Raw([0x3b, 255, 255, 255, 255, 255, 255, 255, 255]), 1]])), 'valid'],
    ['a byte-string claim key', license(new Map([...licenseClaims(), [new Uint8Array([1]), 1]])), 'malformed'],
    ['trailing bytes after the claims', license(new Raw([...enc(licenseClaims()), 0x00])), 'malformed'],
    ['claims not a map', license(['acme']), 'malformed'],
    ['exp as a float', withClaim(4, new Raw([0xfa, 0x4e, 0xd6, 0x93, 0xa4])), 'malformed'],
    ['exp at the last second of year 9999', withClaim(4, 253402300799), 'valid'],
    ['exp one second later', withClaim(4, 253402300800), 'malformed'],
    ['iat at 0001-01-01T00:00:01Z', withClaim(6, -62135596799), 'valid'],
    ['iat at 0001-01-01T00:00:00Z', withClaim(6, -62135596800), 'malformed'],
    ['grace at its maximum', withClaim('grace', 9223372036), 'valid'],
    ['grace one second longer', withClaim('grace', 9223372037), 'malformed'],
    ['grace negative', withClaim('grace', -1), 'malformed'],
    ['a limit that is negative', withClaim('limits', { seats: -1 }), 'malformed'],
    ['a limit of 2^64-1', withClaim('limits', { seats: (1n << 64n) - 1n }), 'valid'],
    ['a limit as a simple value', withClaim('limits', { seats: new Raw([0xe5]) }), 'malformed'],
    ['grace as a simple value', withClaim('grace', new Raw([0xf8, 0x40])), 'malformed'],
    ['grace as false', withClaim('grace', false), 'malformed'],
    ['bind values must be text', withClaim('bind', { host: 1 }), 'malformed'],
    ['meta with a byte-string key', withClaim('meta', new Map([[new Uint8Array([1]), 'x']])), 'malformed'],
    ['aud an empty array', withClaim(3, []), 'malformed'],
    ['cti of 15 bytes', withClaim(7, new Uint8Array(15)), 'malformed'],
    ['cti as text', withClaim(7, '0123456789abcdef'), 'malformed'],
    ['crit naming maxgrace (understood)', withClaim('crit', ['maxgrace']), 'valid'],
    ['crit empty', withClaim('crit', []), 'malformed'],
    ['crit naming an unknown claim', withClaim('crit', ['frobnicate']), 'malformed'],
    ['versions empty', withClaim('versions', ''), 'malformed'],
    ['versions garbage', withClaim('versions', '>= banana'), 'malformed'],
    ['versions covering 2.1.0', withClaim('versions', '>= 2.0, < 3.0'), 'valid'],
    ['versions not covering 2.1.0', withClaim('versions', '~> 2.2'), 'version_not_covered'],
    ['a scope with a NBSP', withClaim('scopes', ['api:\u00a0read']), 'malformed'],
    ['a scope with an ideographic space', withClaim('scopes', ['api:\u3000read']), 'malformed'],
    ['an empty scope', withClaim('scopes', ['']), 'malformed'],
  ];
  return cases;
}

export function headerCases() {
  const cases = [
    ['the usual header', baseHeader(), 'valid'],
    ['alg -19 (Ed25519)', headerWith(1, -19), 'valid'],
    ['alg as text', headerWith(1, 'EdDSA'), 'unsupported_alg'],
    ['alg -7 (ES256)', headerWith(1, -7), 'unsupported_alg'],
    ['alg beyond int64', headerWith(1, new Raw([0x3b, 255, 255, 255, 255, 255, 255, 255, 255])), 'unsupported_alg'],
    ['no alg', new Map([[4, vendor.kid], [16, T_LICENSE]]), 'unsupported_alg'],
    ['typ as an integer content format', headerWith(16, 61), 'wrong_type'],
    ['typ of a grant', headerWith(16, T_GRANT), 'wrong_type'],
    ['kid of 7 bytes', headerWith(4, vendor.kid.subarray(0, 7)), 'malformed'],
    ['kid as text', headerWith(4, 'abcdefgh'), 'malformed'],
    ['a text label', headerWith('note', 'hello'), 'valid'],
    ['a label 2^64-1', new Map([...baseHeader(), [new Raw([0x1b, 255, 255, 255, 255, 255, 255, 255, 255]), 1]]), 'valid'],
    ['a label -2^64', new Map([...baseHeader(), [new Raw([0x3b, 255, 255, 255, 255, 255, 255, 255, 255]), 1]]), 'valid'],
    ['a byte-string label', new Map([...baseHeader(), [new Uint8Array([1]), 1]]), 'malformed'],
    ['a float label', new Map([...baseHeader(), [1.5, 1]]), 'malformed'],
    ['label 1 twice (one two-byte)', new Raw([...head(5, 4), 0x01, 0x27, 0x18, 0x01, 0x27, ...enc(4), ...enc(vendor.kid), ...enc(16), ...enc(T_LICENSE)]), 'malformed'],
    ['alg as a map with a duplicate key', headerWith(1, rawMap([0x01, 0x01], [0x01, 0x02])), 'malformed'],
    ['typ as an array holding a map with a duplicate key', headerWith(16, [rawMap([0x01, 0x01], [0x01, 0x02])]), 'malformed'],
    ['invalid UTF-8 in a text alg', headerWith(1, new Raw([0x62, 0xc3, 0x28])), 'malformed'],
    ['a duplicate inside an unknown label', headerWith(99, rawMap([0x01, 0x01], [0x01, 0x02])), 'malformed'],
    ['a tag in an unknown label', headerWith(99, new Raw([0xc1, 0x01])), 'malformed'],
    ['tag 18 on an unknown label', headerWith(99, new Raw([0xd2, 0x80])), 'malformed'],
    ['crit naming alg and kid', headerWith(2, [1, 4]), 'valid'],
    ['crit naming label 3', headerWith(2, [3]), 'malformed'],
    ['crit naming a text label', headerWith(2, ['alg']), 'malformed'],
    ['crit empty', headerWith(2, []), 'malformed'],
    ['label 13 without tag 18', headerWith(13, new Raw([0x84, 0x40, 0xa0, 0x40, 0x40])), 'malformed'],
  ];
  return cases.map(([name, hdr, want]) => [name, licenseWithHeader(hdr), want]);
}

export function formCases() {
  const cat = (...parts) => Uint8Array.from(parts.flatMap((p) => [...(typeof p === 'string' ? te.encode(p) : p)]));
  const cases = [
    ['raw', valid, 'valid'],
    ['raw with a trailing newline', cat(valid, '\n'), 'valid'],
    ['raw with leading and trailing ASCII white space', cat(' \t\r\n\v\f', valid, ' \r\n'), 'valid'],
    ['raw then a zero byte', cat(valid, [0]), 'malformed'],
    ['raw then a newline and text', cat(valid, '\nx'), 'malformed'],
    ['raw then a NBSP', cat(valid, '\u00a0'), 'malformed'],
    ['text', text, 'valid'],
    ['text with surrounding white space', ` \n${text}\r\n\t`, 'valid'],
    ['text after a NBSP', `\u00a0${text}`, 'malformed'],
    ['text after a NEL', `\u0085${text}`, 'malformed'],
    ['text after a BOM', `\ufeff${text}`, 'malformed'],
    ['text after an em space', `\u2003${text}`, 'malformed'],
    ['text before a NBSP', `${text}\u00a0`, 'malformed'],
    ['text with a line break inside', text.slice(0, 40) + '\n' + text.slice(40), 'malformed'],
    ['text with padding', text + '='.repeat((4 - (text.length - 7) % 4) % 4 || 4), 'malformed'],
    ['text with standard-alphabet characters', text.replace(/-/g, '+').replace(/_/g, '/') + (/[-_]/.test(text) ? '' : '+'), 'malformed'],
    ['text with a branded prefix', 'acme-2.' + text.slice(7), 'valid'],
    ['text with an upper-case prefix', 'ACME.' + text.slice(7), 'malformed'],
    ['text with a 33-character prefix', 'a'.repeat(33) + '.' + text.slice(7), 'malformed'],
    ['PEM', pem(valid), 'valid'],
    ['PEM with CRLF line ends', pem(valid).replace(/\n/g, '\r\n'), 'valid'],
    ['PEM with headers', pem(valid).replace('-----\n', '-----\nLicensee: c\nTier: pro\n\n'), 'valid'],
    ['PEM with unsorted headers', pem(valid).replace('-----\n', '-----\nTier: pro\nLicensee: c\n\n'), 'malformed'],
    ['PEM with headers and no blank line', pem(valid).replace('-----\n', '-----\nTier: pro\n'), 'malformed'],
    ['PEM of the grant type', pem(valid, 'LICET GRANT'), 'malformed'],
    ['PEM of a foreign type', pem(valid, 'CERTIFICATE'), 'malformed'],
    ['PEM wrapped at 76 columns', `-----BEGIN LICET LICENSE-----\n${base64Encode(valid, false).replace(/(.{76})/g, '$1\n').replace(/\n$/, '')}\n-----END LICET LICENSE-----\n`, 'malformed'],
    ['PEM with text before it', 'license:\n' + pem(valid), 'malformed'],
    ['PEM with text after it', pem(valid) + 'thanks\n', 'malformed'],
    ['two PEM blocks', pem(valid) + pem(valid), 'malformed'],
    ['a broken PEM block before the real one', '-----BEGIN LICET LICENSE-----\n' + pem(valid), 'malformed'],
    ['PEM with a mismatched END line', pem(valid).replace('END LICET LICENSE', 'END LICET GRANT'), 'malformed'],
    ['16 KiB of white space around a token', ' '.repeat(16384 - text.length) + text, 'valid'],
    ['one byte more', ' '.repeat(16385 - text.length) + text, 'malformed'],
    ['empty', '', 'malformed'],
    ['only white space', ' \n\t', 'malformed'],
  ];
  return cases;
}

export function envelopeCases() {
  const prot = protectedHeader(vendor, T_LICENSE);
  const payload = bytes(licenseClaims());
  const good = signObject(vendor, T_LICENSE, payload);
  const sig = good.subarray(good.length - 64);
  const env = (...parts) => Uint8Array.from(parts.flat());
  const cases = [
    ['as signed', good, 'valid'],
    ['tag 18 in two bytes', env([0xd8, 18, 0x84], enc(prot), [0xa0], enc(payload), enc(sig)), 'malformed'],
    ['array head in two bytes', env([0xd2, 0x98, 4], enc(prot), [0xa0], enc(payload), enc(sig)), 'malformed'],
    ['protected length in two bytes', env([0xd2, 0x84], head(2, prot.length, 1), prot, [0xa0], enc(payload), enc(sig)), 'malformed'],
    ['payload length in four bytes', env([0xd2, 0x84], enc(prot), [0xa0], head(2, payload.length, 4), payload, enc(sig)), 'malformed'],
    ['unprotected map head in two bytes', env([0xd2, 0x84], enc(prot), [0xb8, 0], enc(payload), enc(sig)), 'malformed'],
    ['a non-empty unprotected map', env([0xd2, 0x84], enc(prot), enc(new Map([[4, vendor.kid]])), enc(payload), enc(sig)), 'malformed'],
    ['tag 61 instead of 18', env([0xd8, 61, 0x84], enc(prot), [0xa0], enc(payload), enc(sig)), 'malformed'],
    ['no tag', env([0x84], enc(prot), [0xa0], enc(payload), enc(sig)), 'malformed'],
    ['an indefinite array', env([0xd2, 0x9f], enc(prot), [0xa0], enc(payload), enc(sig), [0xff]), 'malformed'],
    ['a 63-byte signature', env([0xd2, 0x84], enc(prot), [0xa0], enc(payload), enc(sig.subarray(1))), 'malformed'],
    ['truncated by one byte', good.subarray(0, good.length - 1), 'malformed'],
  ];
  return cases;
}

export function grantCases() {
  const plain = grantTok(grantClaims(partner));
  const trusted = (extra) => [{ publicKey: vendor.pub, issuer: 'acme' }, { publicKey: partner.pub, ...extra }];
  const cases = [
    ['a license under a grant', partnerLicense(plain), 'valid'],
    ['maxlife 0 is a ceiling of zero', partnerLicense(grantWith('maxlife', 0)), 'grant_violation'],
    ['maxlife exactly the life', partnerLicense(grantWith('maxlife', EXP - IAT)), 'valid'],
    ['maxlife counts the grace', partnerLicense(grantWith('maxlife', EXP - IAT), (m) => m.set('grace', 1)), 'grant_violation'],
    ['maxgrace 0 with no grace', partnerLicense(grantWith('maxgrace', 0)), 'valid'],
    ['maxgrace 0 with a grace of 1 s', partnerLicense(grantWith('maxgrace', 0), (m) => m.set('grace', 1)), 'grant_violation'],
    ['maxgrace negative', partnerLicense(grantWith('maxgrace', -1)), 'grant_invalid'],
    ['a perpetual license under a grant', partnerLicense(plain, (m) => (m.delete(4), m)), 'grant_violation'],
    ['crit in a grant is an unknown claim', partnerLicense(grantWith('crit', ['frobnicate'])), 'valid'],
    ['a duplicate inside an unknown cnf member', partnerLicense(grantWith(8, new Map([[1, new Map([[1, 1], [-1, 6], [-2, partner.pub]])], [5, rawMap([0x01, 0x01], [0x01, 0x02])]]))), 'grant_invalid'],
    ['a duplicate inside an unknown COSE_Key member', partnerLicense(grantWith(8, new Map([[1, new Map([[1, 1], [-1, 6], [-2, partner.pub], [-99, rawMap([0x01, 0x01], [0x01, 0x02])]])]]))), 'grant_invalid'],
    ['a cnf key of small order', partnerLicense(grantWith(8, new Map([[1, new Map([[1, 1], [-1, 6], [-2, new Uint8Array(32)]])]]))), 'grant_invalid'],
    ['a cnf key with kty 2', partnerLicense(grantWith(8, new Map([[1, new Map([[1, 2], [-1, 6], [-2, partner.pub]])]]))), 'grant_invalid'],
    ['a grant signed by the stranger', partnerLicense(grantTok(grantClaims(partner), stranger)), 'grant_invalid'],
    ['a grant inside a grant', partnerLicense(sign1(vendor, protectedHeader(vendor, T_GRANT, plain), bytes(grantClaims(partner)))), 'grant_invalid'],
    ['a broken embedded envelope', partnerLicense(Uint8Array.from([0xd2, 0x83, 0x40, 0xa0, 0x40])), 'malformed'],
    ['a license by the stranger under the grant', sign1(stranger, protectedHeader(stranger, T_LICENSE, plain), bytes(licenseClaims())), 'grant_violation'],
  ];
  return cases;
}


/** SITE_BIND is the binding of the machine the site cases run on. */
export const SITE_BIND = 'fp-site';
const LEASE_IAT = NOW / 1000 - 600;

/** siteGrant returns a site grant (FORMAT section 4, "site") with the site claim given. */
export const siteGrant = (site) => grantWith('site', site);

/** siteLease returns a lease under grant: bound to SITE_BIND, life seconds long, edited by mod. */
export const siteLease = (grant, life, mod = (m) => m) => partnerLicense(grant, (m) => {
  m.set(6, LEASE_IAT);
  m.set(4, LEASE_IAT + life);
  m.set('bind', { host: SITE_BIND });
  return mod(m);
});

/**
 * siteCases are leases under site grants: the strict site claim and the
 * lease rules (bound, an expiry, no grace, a life of at most the longest
 * lease, or borrow when borrowing is allowed). Verified with the binding
 * host=SITE_BIND.
 */
export function siteCases() {
  const plain = siteGrant({ seats: 10, lease: 3600 });
  const borrowing = siteGrant({ seats: 10, lease: 3600, borrow: 86400, borrows: 2 });
  const lease = (site, life, mod) => siteLease(siteGrant(site), life, mod);
  return [
    ['a lease of the longest lease', siteLease(plain, 3600), 'valid'],
    ['a lease a second too long', siteLease(plain, 3601), 'grant_violation'],
    ['a borrow of the longest borrow', siteLease(borrowing, 86400), 'valid'],
    ['a borrow a second too long', siteLease(borrowing, 86401), 'grant_violation'],
    ['a borrow without borrows', lease({ seats: 10, lease: 3600, borrow: 86400 }, 86400), 'grant_violation'],
    ['a borrow with borrows 0', lease({ seats: 10, lease: 3600, borrow: 86400, borrows: 0 }, 86400), 'grant_violation'],
    ['a lease under borrows without borrow', lease({ seats: 10, lease: 3600, borrows: 2 }, 3600), 'valid'],
    ['an unbound lease', siteLease(plain, 3600, (m) => (m.delete('bind'), m)), 'grant_violation'],
    ['a lease bound to an empty map', siteLease(plain, 3600, (m) => (m.set('bind', {}), m)), 'grant_violation'],
    ['a lease with a second of grace', siteLease(plain, 3600, (m) => (m.set('grace', 1), m)), 'grant_violation'],
    ['a lease with grace 0', siteLease(plain, 3600, (m) => (m.set('grace', 0), m)), 'valid'],
    ['a perpetual lease', siteLease(plain, 3600, (m) => (m.delete(4), m)), 'grant_violation'],
    ['a lease with perpetual fallback', siteLease(plain, 3600, (m) => (m.set('fallback', true), m)), 'grant_violation'],
    ['a lease with crit site', siteLease(plain, 3600, (m) => (m.set('crit', ['site']), m)), 'valid'],
    ['site with one seat and no optional member', siteLease(siteGrant({ seats: 1, lease: 900 }), 900), 'valid'],
    ['site with an unknown member', lease({ seats: 10, lease: 3600, queue: 1 }, 3600), 'grant_invalid'],
    ['site with an integer member', lease(new Map([['seats', 10], ['lease', 3600], [1, 1]]), 3600), 'grant_invalid'],
    ['site with a member 2^64-1', lease(new Map([['seats', 10], ['lease', 3600], [(1n << 64n) - 1n, 1]]), 3600), 'grant_invalid'],
    ['site with a byte-string member', lease(new Map([['seats', 10], ['lease', 3600], [new Uint8Array([1]), 1]]), 3600), 'grant_invalid'],
    ['site with Seats beside seats', lease({ seats: 10, lease: 3600, Seats: 10 }, 3600), 'grant_invalid'],
    ['site with seats twice', lease(rawMap([...enc('seats'), 1], [...enc('seats'), 2], [...enc('lease'), ...enc(3600)]), 3600), 'grant_invalid'],
    ['site with seats 0', lease({ seats: 0, lease: 3600 }, 3600), 'grant_invalid'],
    ['site without seats', lease({ lease: 3600 }, 3600), 'grant_invalid'],
    ['site with lease 0', lease({ seats: 10, lease: 0 }, 3600), 'grant_invalid'],
    ['site without lease', lease({ seats: 10 }, 3600), 'grant_invalid'],
    ['site with seats as text', lease({ seats: '10', lease: 3600 }, 3600), 'grant_invalid'],
    ['site with a negative lease', lease({ seats: 10, lease: -3600 }, 3600), 'grant_invalid'],
    ['site with a lease too long for a duration', lease({ seats: 10, lease: 1n << 62n }, 3600), 'grant_invalid'],
    ['site with borrows as simple(5)', lease({ seats: 10, lease: 3600, borrows: new Raw([0xe5]) }, 3600), 'grant_invalid'],
    ['site with borrow true', lease({ seats: 10, lease: 3600, borrow: true }, 3600), 'grant_invalid'],
    ['site with lease as a float', lease({ seats: 10, lease: 3600.5 }, 3600), 'grant_invalid'],
    ['site is an array', lease([10, 3600], 3600), 'grant_invalid'],
    ['site is an empty map', lease({}, 3600), 'grant_invalid'],
    ['site is null', lease(new Raw([0xf6]), 3600), 'grant_invalid'],
    ['site under a tag', lease(new Raw([0xc1, ...enc({ seats: 10, lease: 3600 })]), 3600), 'grant_invalid'],
  ];
}

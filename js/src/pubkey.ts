// Public key files: what `licet keys new` writes (ID.pub) and what
// `openssl pkey -pubout` writes: "# name: value" comment lines, then one
// PKIX "PUBLIC KEY" PEM block holding an Ed25519 key.

import { base64Decode } from './armor.js';
import { bytesEqual, hex } from './cbor.js';
import { checkPublicKey, keyID } from './ed25519.js';

/** PublicKeyFile is a parsed public key file. */
export interface PublicKeyFile {
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  /** The issuer named by a "# issuer: ID" comment line, if any. */
  issuer?: string;
  /** The key id, in hex. */
  kid: string;
}

/** The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410). */
const SPKI_PREFIX = new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/**
 * parsePublicKeyPEM parses a public key file as the Go CLI does: blank and
 * "#" lines before one PUBLIC KEY block, nothing but blank lines after it;
 * "# issuer:" and "# kid:" comments must agree with the key. It throws an
 * Error that says what is wrong.
 */
export async function parsePublicKeyPEM(text: string): Promise<PublicKeyFile> {
  if (text.length > 64 << 10) throw new Error('licet: key file is larger than 64 KiB');
  const lines = text.split('\n').map((l) => l.replace(/[ \t\r]+$/, ''));
  const comments = new Map<string, string[]>();
  let i = 0;
  for (; i < lines.length && !lines[i]!.startsWith('-----BEGIN '); i++) {
    const l = lines[i]!.trim();
    if (l === '') continue;
    if (!l.startsWith('#')) {
      throw new Error(`licet: line ${i + 1}: unexpected text before the PEM block (only blank lines and # comments may precede it)`);
    }
    const c = l.indexOf(':');
    if (c > 0) {
      const name = l.slice(1, c).trim().toLowerCase();
      comments.set(name, [...(comments.get(name) ?? []), l.slice(c + 1).trim()]);
    }
  }
  if (i === lines.length) throw new Error('licet: not a public key file: no PEM block (-----BEGIN PUBLIC KEY-----) found');
  const type = /^-----BEGIN (.+)-----$/.exec(lines[i]!)?.[1];
  if (type !== 'PUBLIC KEY') {
    if (type?.includes('PRIVATE KEY')) {
      throw new Error('licet: this is a private key file: give the public key file (ID.pub), and keep the private key with the vendor');
    }
    throw new Error(`licet: the PEM block is ${JSON.stringify(type ?? lines[i])}, not a public key ("PUBLIC KEY")`);
  }
  let b64 = '';
  for (i++; ; i++) {
    if (i >= lines.length) throw new Error('licet: truncated key file: no -----END PUBLIC KEY----- line');
    const l = lines[i]!.trim();
    if (l === '-----END PUBLIC KEY-----') break;
    if (l.startsWith('-----') || l.includes(':')) throw new Error(`licet: line ${i + 1}: unexpected line in the PEM block`);
    b64 += l;
  }
  for (i++; i < lines.length; i++) {
    if (lines[i]!.trim() !== '') throw new Error(`licet: line ${i + 1}: unexpected text after the PEM block`);
  }
  let der: Uint8Array;
  try {
    der = base64Decode(b64, false);
  } catch {
    throw new Error("licet: the PEM block's base64 data is corrupt or truncated");
  }
  if (der.length !== 44 || !bytesEqual(der.subarray(0, 12), SPKI_PREFIX)) {
    throw new Error('licet: the public key is not an Ed25519 key (want a PKIX Ed25519 PUBLIC KEY)');
  }
  const publicKey = der.slice(12);
  const bad = checkPublicKey(publicKey);
  if (bad) throw new Error(`licet: ${bad}`);
  const kid = hex(await keyID(publicKey));
  const out: PublicKeyFile = { publicKey, kid };
  for (const [name, values] of comments) {
    if ((name === 'issuer' || name === 'kid') && values.length > 1) throw new Error(`licet: two "${name}" comment lines`);
  }
  const issuer = comments.get('issuer')?.[0];
  if (issuer !== undefined) {
    if (!/^[A-Za-z0-9._:@-]{1,64}$/.test(issuer)) {
      throw new Error(`licet: the issuer comment ${JSON.stringify(issuer)} is not a valid issuer id (1 to 64 characters of A-Z a-z 0-9 . _ : @ -)`);
    }
    out.issuer = issuer;
  }
  const kidComment = comments.get('kid')?.[0];
  if (kidComment !== undefined && kidComment.toLowerCase() !== kid) {
    throw new Error(`licet: the kid comment ${JSON.stringify(kidComment)} does not match the key's kid ${kid}`);
  }
  return out;
}

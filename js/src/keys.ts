// Trusted keys: the KeySet, and the checks of a key that every object
// goes through (algorithm, key window, signature), as Go's verify/keys.go.

import { hex } from './cbor.js';
import { PublicKey, isSmallOrder, keyID } from './ed25519.js';
import { LicetError, fail } from './errors.js';
import { ALG_ED25519, ALG_EDDSA, type Message, sigStructure } from './sign1.js';
import { type TimeInput, iso, ms } from './util.js';

/** TrustedKey is a trusted public key, as a trust store holds it. */
export interface TrustedKey {
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  /** The issuer id the key's licenses, grants and lists must carry as iss; absent: not checked. */
  issuer?: string;
  /** The key's validity window, compared with the iat of what it signed (inclusive). */
  notBefore?: TimeInput;
  notAfter?: TimeInput;
  /** A revoked key verifies nothing. */
  revoked?: boolean;
}

/** @internal A trusted key, prepared. */
export interface Key {
  pub: PublicKey;
  kid: Uint8Array;
  issuer: string;
  notBefore: number | null; // ms
  notAfter: number | null; // ms
  revoked: boolean;
}

/** KeySet is an immutable set of trusted keys, looked up by key id. */
export class KeySet {
  private constructor(private readonly keys: Map<string, Key>) {}

  /**
   * create returns a set of the given keys. It refuses keys of the wrong
   * length, keys of small order and two keys with the same key id.
   */
  static async create(keys: TrustedKey[]): Promise<KeySet> {
    const m = new Map<string, Key>();
    for (const [i, k] of keys.entries()) {
      if (!(k.publicKey instanceof Uint8Array) || k.publicKey.length !== 32) {
        throw new Error(`licet: key ${i} is not a 32-byte Ed25519 public key`);
      }
      if (isSmallOrder(k.publicKey)) {
        throw new Error(`licet: key ${i} is a point of small order: anyone can sign for it`);
      }
      const raw = k.publicKey.slice();
      const kid = await keyID(raw);
      const id = hex(kid);
      if (m.has(id)) throw new Error(`licet: duplicate key id ${id}`);
      m.set(id, {
        pub: new PublicKey(raw),
        kid,
        issuer: k.issuer ?? '',
        notBefore: k.notBefore === undefined ? null : ms(k.notBefore),
        notAfter: k.notAfter === undefined ? null : ms(k.notAfter),
        revoked: k.revoked === true,
      });
    }
    return new KeySet(m);
  }

  /** size is the number of keys. */
  get size(): number {
    return this.keys.size;
  }

  /** @internal */
  lookup(kid: Uint8Array): Key | undefined {
    return kid.length === 8 ? this.keys.get(hex(kid)) : undefined;
  }
}

/** checkUsable is step 7: the key is not revoked, and iat lies in its window. */
export function checkUsable(k: Key, iat: number, what: string): void {
  const kid = hex(k.kid);
  if (k.revoked) throw fail('key_not_valid', `key ${kid} is revoked`, kid);
  if (k.notBefore !== null && iat * 1000 < k.notBefore) {
    throw fail('key_not_valid', `${what} issued at ${iso(iat)}, before key ${kid} became valid (${new Date(k.notBefore).toISOString()})`, kid);
  }
  if (k.notAfter !== null && iat * 1000 > k.notAfter) {
    throw fail('key_not_valid', `${what} issued at ${iso(iat)}, after key ${kid} was retired (${new Date(k.notAfter).toISOString()})`, kid);
  }
}

/** checkAlg is step 2: the one algorithm family. */
export function checkAlg(alg: number): LicetError | null {
  if (alg === ALG_EDDSA || alg === ALG_ED25519) return null;
  if (alg === 0) return fail('unsupported_alg', 'no integer alg in the protected header; want EdDSA (-8)');
  return fail('unsupported_alg', `algorithm ${alg} is not supported; want EdDSA (-8)`, String(alg));
}

/** verifySignature is step 5: m's signature by key over its Sig_structure. */
export async function verifySignature(key: PublicKey, m: Message): Promise<boolean> {
  return key.verify(sigStructure(m), m.signature);
}

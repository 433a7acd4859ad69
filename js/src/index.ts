/**
 * @licet/verify verifies licet license tokens offline, with the same
 * verdicts and error codes as the Go package verify: Ed25519-signed
 * COSE_Sign1 envelopes carrying CWT claims (docs/FORMAT.md).
 *
 * ```ts
 * import { KeySet, Verifier, parsePublicKeyPEM } from '@licet/verify';
 *
 * const { publicKey, issuer } = parsePublicKeyPEM(pemText);
 * const keys = await KeySet.create([{ publicKey, issuer }]);
 * const v = new Verifier(keys, { product: 'acme-db', productVersion: '2.1.0' });
 * try {
 *   const lic = await v.verify(token, ['api:read']);
 *   console.log(lic.subject, lic.tier, lic.inGrace);
 * } catch (e) {
 *   if (e instanceof LicetError) console.log(e.code, e.message);
 * }
 * ```
 */
export { CODES, type Code, LicetError, isLicetError } from './errors.js';
export {
  DEFAULT_LEEWAY_SECONDS, KeySet, type Input, type License, type RevocationEntries, RevocationList, type TimeInput,
  type TrustedKey, type Unverified, Verifier, type VerifierOptions, inspect, parseRevocationLists, parseRevocations, violations,
} from './verify.js';
export type { GrantClaims, GrantIDs, LicenseClaims, RevocationClaims } from './claims.js';
export { parsePublicKeyPEM, type PublicKeyFile } from './pubkey.js';
export { coversScope, isPattern, patternCovers, validScope } from './scope.js';
export { Constraints, Version } from './version.js';
export { keyID, useFallbackForTesting, useWebCryptoForTesting, webCryptoEd25519 } from './ed25519.js';
export { base64Decode, base64Encode, splitObjects, validPrefix, DEFAULT_PREFIX } from './armor.js';
export { hex, fromHex } from './cbor.js';

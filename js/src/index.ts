/**
 * @licet/verify verifies licet license tokens offline, with the same
 * verdicts and error codes as the Go package verify: Ed25519-signed
 * COSE_Sign1 envelopes carrying CWT claims (docs/FORMAT.md).
 *
 * ```ts
 * import { KeySet, LicetError, Verifier, parsePublicKeyPEM } from '@licet/verify';
 *
 * const { publicKey, issuer } = await parsePublicKeyPEM(pemText);
 * const keys = await KeySet.create([{ publicKey, issuer }]);
 * const v = new Verifier(keys, { product: 'acme-db', productVersion: '2.1.0' });
 * try {
 *   const lic = await v.verify(token, ['api:read']);
 *   console.log(lic.subject, lic.tier, lic.inGrace);
 * } catch (e) {
 *   if (e instanceof LicetError) console.log(e.code, e.message);
 * }
 * ```
 *
 * The files follow the Go package: keys.ts (KeySet), revocations.ts
 * (RevocationList), verifier.ts (Verifier), violations.ts (a grant's
 * limits), inspect.ts (decoding without verifying).
 */
export { CODES, type Code, LicetError, isLicetError } from './errors.js';
export { KeySet, type TrustedKey } from './keys.js';
export { type RevocationEntries, RevocationList, parseRevocationLists, parseRevocations } from './revocations.js';
export { DEFAULT_LEEWAY_SECONDS, type License, Verifier, type VerifierOptions } from './verifier.js';
export { violations } from './violations.js';
export { type Unverified, inspect } from './inspect.js';
export type { Input, TimeInput } from './util.js';
export type { GrantClaims, GrantIDs, LicenseClaims, RevocationClaims, SiteClaim } from './claims.js';
export { canBorrow, maxLease } from './claims.js';
export { parsePublicKeyPEM, type PublicKeyFile } from './pubkey.js';
export { coversScope, isPattern, patternCovers, validScope } from './scope.js';
export { Constraints, Version } from './version.js';
export { keyID, webCryptoEd25519 } from './ed25519.js';
export { splitObjects, validPrefix, DEFAULT_PREFIX } from './armor.js';

// The library's prepared-key class, for tests that compare the WebCrypto
// and fallback paths directly.
export { PublicKey as PublicKeyForTesting } from '../dist/ed25519.js';

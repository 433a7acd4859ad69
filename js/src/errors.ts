/**
 * The stable error codes of FORMAT section 8, in the order the checks run.
 * They are the same strings as the Go package verify's codes.
 */
export const CODES = [
  'malformed',
  'unsupported_alg',
  'wrong_type',
  'unknown_key',
  'bad_signature',
  'key_not_valid',
  'wrong_issuer',
  'wrong_product',
  'not_yet_valid',
  'expired',
  'version_not_covered',
  'binding_mismatch',
  'revoked',
  'scope_missing',
  'grant_invalid',
  'grant_violation',
] as const;

/** Code is one of the codes of FORMAT section 8. */
export type Code = (typeof CODES)[number];

/**
 * LicetError is what every verification failure throws: exactly one code,
 * a message for people and, where there is one, the value that failed
 * (a scope, a version, a key id).
 */
export class LicetError extends Error {
  /** The code of FORMAT section 8. */
  readonly code: Code;
  /** The value that failed, if any: a scope, a version, a key id. */
  readonly detail: string;

  constructor(code: Code, message: string, detail = '') {
    super(`licet: ${code}: ${message}`);
    this.name = 'LicetError';
    this.code = code;
    this.detail = detail;
  }
}

/** isLicetError reports whether e is a LicetError, optionally of one code. */
export function isLicetError(e: unknown, code?: Code): e is LicetError {
  return e instanceof LicetError && (code === undefined || e.code === code);
}

/** Malformed is thrown by the decoding layers; verifiers map it to a code. */
export class Malformed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Malformed';
  }
}

export function malformed(message: string): Malformed {
  return new Malformed(message);
}

export function fail(code: Code, message: string, detail = ''): LicetError {
  return new LicetError(code, message, detail);
}

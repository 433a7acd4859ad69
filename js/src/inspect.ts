// Decoding without verifying, for display.

import { type GrantClaims, type LicenseClaims, type RevocationClaims, decodeGrant, decodeLicense, decodeRevocations } from './claims.js';
import { Malformed } from './errors.js';
import { TYPE_GRANT, TYPE_LICENSE, TYPE_REVOCATIONS, decodeMessage } from './sign1.js';
import { type Input, asCode, quote, toBytes } from './util.js';

/** Unverified is an object decoded WITHOUT checking its signature: for display only. */
export interface Unverified {
  type: string;
  form: string;
  keyId: Uint8Array;
  license?: LicenseClaims;
  grant?: GrantClaims;
  revocations?: RevocationClaims;
  /** The grant a license carries, decoded, not verified. */
  embeddedGrant?: GrantClaims;
}

/**
 * inspect decodes any licet object in any form and its claims WITHOUT
 * verifying its signature. Use it to show what a token claims; use a
 * Verifier to decide whether to believe it. Errors are LicetErrors with
 * code malformed.
 */
export function inspect(input: Input): Unverified {
  try {
    const { message: m, form } = decodeMessage(toBytes(input));
    const u: Unverified = { type: m.header.typ, form, keyId: m.header.kid.slice() };
    switch (m.header.typ) {
      case TYPE_LICENSE:
        u.license = decodeLicense(m.payload);
        if (m.header.grant) {
          try {
            u.embeddedGrant = decodeGrant(m.header.grant.payload);
          } catch (e) {
            asCode(e, 'malformed', 'embedded grant claims');
          }
        }
        break;
      case TYPE_GRANT:
        u.grant = decodeGrant(m.payload);
        break;
      case TYPE_REVOCATIONS:
        u.revocations = decodeRevocations(m.payload);
        break;
      default:
        throw new Malformed(`unknown object type ${quote(m.header.typ)}`);
    }
    return u;
  } catch (e) {
    asCode(e, 'malformed', 'inspect');
  }
}

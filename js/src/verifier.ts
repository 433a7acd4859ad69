// The verifier: FORMAT section 8, in order, with the reading of section 9.

import { bytesEqual, fromHex, hex } from './cbor.js';
import { type GrantClaims, type LicenseClaims, decodeGrant, decodeLicense } from './claims.js';
import { PublicKey, keyID } from './ed25519.js';
import { fail } from './errors.js';
import { type Key, KeySet, checkAlg, checkUsable, verifySignature } from './keys.js';
import { RevocationList } from './revocations.js';
import { coversScope } from './scope.js';
import { type Message, TYPE_GRANT, TYPE_LICENSE, decodeMessage } from './sign1.js';
import { type Input, type TimeInput, asCode, iso, isoMs, ms, quote, quoteList, toBytes } from './util.js';
import { Constraints, Version } from './version.js';
import { violations } from './violations.js';

/** The default clock skew tolerated on nbf, iat and exp, in seconds. */
export const DEFAULT_LEEWAY_SECONDS = 300;

/** VerifierOptions configure a Verifier; product (or anyProductInsecure) is required. */
export interface VerifierOptions {
  /** The product being licensed: a license verifies only if its aud names it. */
  product?: string;
  /** Skip the product check. For inspection tools, never for products. */
  anyProductInsecure?: boolean;
  /** The running product's version, checked against "versions" constraints. */
  productVersion?: string;
  /** Without productVersion, skip version constraints instead of refusing licenses that carry one. */
  anyVersionInsecure?: boolean;
  /** This machine's binding values: every "bind" entry must equal the value here. */
  binding?: Record<string, string> | Map<string, string>;
  /** Skip bind entries for which binding has no value. */
  anyBindingInsecure?: boolean;
  /** Where the current time comes from (default Date.now). */
  clock?: () => TimeInput;
  /** Tolerated clock skew in seconds (default 300). */
  leewaySeconds?: number;
  /** Revocation lists, at most one per issuer, each from parseRevocations. */
  revocations?: RevocationList[];
  /** A stale revocation list fails verification (code revoked) instead of adding a warning. */
  rejectStaleRevocations?: boolean;
  /**
   * The release date of the running build, fixed when the build is made (never
   * the clock). A license with perpetual fallback ("fallback") that is past its
   * expiry and grace still verifies when the build was released at or before
   * its expiry (no leeway), flagged fallback with a warning.
   */
  buildDate?: TimeInput;
}

/** License is a verified license: its claims and the state it verified in. */
export interface License extends LicenseClaims {
  /** The id of the key that signed it: a trusted key, or its grant's partner key. */
  keyId: Uint8Array;
  /** Past its expiry but within its grace period. */
  inGrace: boolean;
  /**
   * Past its expiry and grace, valid only by its perpetual fallback: this build
   * (buildDate) was released at or before the expiry. Later updates are not covered.
   */
  fallbackUsed: boolean;
  /** The grant it was issued under; null for a license signed by a trusted key. */
  grant: GrantClaims | null;
  /** The id of the trusted key that signed the grant. */
  grantKeyId: Uint8Array | null;
  /** Conditions that did not fail verification but deserve attention (a stale revocation list). */
  warnings: string[];
}

interface Chain {
  grant: GrantClaims;
  grantKeyId: Uint8Array;
  vendorKey: Key;
}

/**
 * Verifier checks licenses for one product against a set of trusted keys.
 * Build it once; verify is safe to call concurrently.
 */
export class Verifier {
  private readonly product: string;
  private readonly anyProduct: boolean;
  private readonly version: Version | null;
  private readonly versionStr: string;
  private readonly anyVersion: boolean;
  private readonly binding: Map<string, string>;
  private readonly anyBinding: boolean;
  private readonly clock: () => TimeInput;
  private readonly leeway: number; // ms
  private readonly revs = new Map<string, RevocationList>();
  /** Revoked keys trusted without an issuer (hex kid) -> the issuer of a list naming them. */
  private readonly unbound = new Map<string, string>();
  private readonly staleOK: boolean;
  private readonly buildDate: number | null; // ms
  private readonly partners = new Map<string, { pub: PublicKey; kid: Uint8Array }>();

  /** The constructor throws an Error (not a LicetError) for a bad configuration. */
  constructor(
    private readonly keys: KeySet,
    opts: VerifierOptions,
  ) {
    if (!(keys instanceof KeySet) || keys.size === 0) throw new Error('licet: no trusted keys');
    if (opts.product !== undefined && (typeof opts.product !== 'string' || opts.product === '')) {
      throw new Error('licet: empty product id');
    }
    this.product = opts.product ?? '';
    this.anyProduct = opts.anyProductInsecure === true;
    if (this.product === '' && !this.anyProduct) throw new Error('licet: no product: set the product option');
    this.version = null;
    this.versionStr = '';
    if (opts.productVersion !== undefined) {
      try {
        this.version = Version.parse(opts.productVersion);
      } catch (e) {
        throw new Error(`licet: product version ${quote(opts.productVersion)}: ${(e as Error).message}`);
      }
      this.versionStr = opts.productVersion;
    }
    this.anyVersion = opts.anyVersionInsecure === true;
    this.binding = new Map(opts.binding instanceof Map ? opts.binding : Object.entries(opts.binding ?? {}));
    this.anyBinding = opts.anyBindingInsecure === true;
    this.clock = opts.clock ?? Date.now;
    const lw = opts.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS;
    if (typeof lw !== 'number' || !(lw >= 0) || !Number.isFinite(lw)) throw new Error('licet: negative or invalid leeway');
    this.leeway = lw * 1000;
    this.staleOK = opts.rejectStaleRevocations !== true;
    this.buildDate = opts.buildDate === undefined ? null : ms(opts.buildDate);
    const now = ms(this.clock());
    for (const list of opts.revocations ?? []) {
      if (!(list instanceof RevocationList)) throw new Error('licet: a revocation list must come from parseRevocations');
      if (this.revs.has(list.issuer)) {
        throw new Error(`licet: two revocation lists of issuer ${quote(list.issuer)}: give only the newest (highest seq)`);
      }
      if (list.claims.issuedAt * 1000 > now + this.leeway) {
        throw new Error(`licet: the revocation list of issuer ${quote(list.issuer)} is issued at ${iso(list.claims.issuedAt)}, after the current time ${new Date(now).toISOString()}: refusing it (check this machine's clock, or the list)`);
      }
      this.revs.set(list.issuer, list);
    }
    // A kid entry naming a key trusted without an issuer holds whatever
    // list names it: the key's holder writes any iss (FORMAT section 6).
    for (const iss of [...this.revs.keys()].sort()) {
      for (const kid of this.revs.get(iss)!.revokedKeyIds()) {
        const k = keys.lookup(fromHex(kid));
        if (k && k.issuer === '' && !this.unbound.has(kid)) this.unbound.set(kid, iss);
      }
    }
  }

  /**
   * verify checks a license in any form and returns it when every check of
   * FORMAT section 8 passes and it covers every required scope. Otherwise
   * it throws a LicetError carrying exactly one code.
   */
  async verify(input: Input, requiredScopes: string[] = []): Promise<License> {
    if (!Array.isArray(requiredScopes)) throw new TypeError('licet: required scopes are an array of strings');
    const now = ms(this.clock());
    const lw = this.leeway;

    // 1. Envelope.
    let m: Message;
    try {
      m = decodeMessage(toBytes(input)).message;
    } catch (e) {
      asCode(e, 'malformed', 'not a well-formed licet object');
    }
    // 2. Algorithm. 3. Type.
    const alg = checkAlg(m.header.alg);
    if (alg) throw alg;
    if (m.header.typ !== TYPE_LICENSE) {
      throw fail('wrong_type', `object type is ${quote(m.header.typ)}, want a license (${TYPE_LICENSE})`, m.header.typ);
    }
    const kid = m.header.kid.slice();
    let signer: PublicKey;
    let key: Key | undefined;
    let chain: Chain | null = null;
    if (m.header.grant) {
      // 4 (grant path): the grant's signature by a trusted key makes its partner key trustworthy.
      chain = await this.checkGrant(m, now);
      signer = (await this.partnerKey(chain.grant.key)).pub;
    } else {
      // 4. Key.
      key = this.keys.lookup(kid);
      if (!key) throw fail('unknown_key', `license signed by unknown key ${hex(kid)}`, hex(kid));
      signer = key.pub;
    }
    // 5. Signature.
    if (!(await verifySignature(signer, m))) throw fail('bad_signature', 'signature does not verify', hex(kid));
    // 6. Claims.
    let l: LicenseClaims;
    try {
      l = decodeLicense(m.payload);
    } catch (e) {
      asCode(e, 'malformed', 'license claims');
    }
    if (chain) {
      // G. The license within the grant.
      const v = violations(chain.grant, l);
      if (v.length > 0) throw fail('grant_violation', `license exceeds its grant: ${v.join('; ')}`, v[0]);
      // 7-8 (grant path): a partner key that is itself trusted keeps its status.
      const pk = this.keys.lookup(kid);
      if (pk) {
        checkUsable(pk, l.issuedAt, 'license');
        if (pk.issuer !== '' && l.issuer !== pk.issuer) {
          throw fail('wrong_issuer', `license issuer ${quote(l.issuer)} is not the issuer ${quote(pk.issuer)} of its signing key`, l.issuer);
        }
      }
    } else {
      // 7. Key usable. 8. Issuer.
      checkUsable(key!, l.issuedAt, 'license');
      if (key!.issuer !== '' && l.issuer !== key!.issuer) {
        throw fail('wrong_issuer', `license issuer ${quote(l.issuer)} is not the key's issuer ${quote(key!.issuer)}`, l.issuer);
      }
    }
    // 9. Product.
    if (!this.anyProduct && !l.audience.includes(this.product)) {
      throw fail('wrong_product', `license is for ${quoteList(l.audience)}, not ${quote(this.product)}`, this.product);
    }
    // 10. Not yet valid.
    if (l.notBefore !== null && l.notBefore * 1000 > now + lw) {
      throw fail('not_yet_valid', `license is not valid before ${iso(l.notBefore)}`, iso(l.notBefore));
    }
    if (l.issuedAt * 1000 > now + lw) {
      throw fail('not_yet_valid', `license issued in the future (${iso(l.issuedAt)}); check the clock`, iso(l.issuedAt));
    }
    // 11. Expiry, grace and perpetual fallback.
    let inGrace = false;
    let fallbackUsed = false;
    const warnings: string[] = [];
    if (l.expiry !== null) {
      const end = l.expiry * 1000 + lw;
      if (now > end) {
        if (l.grace > 0 && now <= end + l.grace * 1000) {
          inGrace = true;
        } else if (!l.fallback) {
          throw fail('expired', `license expired at ${iso(l.expiry)}`, iso(l.expiry));
        } else if (this.buildDate === null) {
          throw fail('expired', `license expired at ${iso(l.expiry)}; its perpetual fallback covers builds released by then, and no build date was given`, iso(l.expiry));
        } else if (this.buildDate > l.expiry * 1000) {
          throw fail('expired', `license expired at ${iso(l.expiry)}; its perpetual fallback covers builds released by then, and this build was released ${isoMs(this.buildDate)}`, iso(l.expiry));
        } else {
          fallbackUsed = true;
          warnings.push(`license expired at ${iso(l.expiry)}: valid for this build (released ${isoMs(this.buildDate)}) by perpetual fallback; updates released after the expiry are not covered`);
        }
      }
    }
    // 12. Versions.
    this.checkVersion(l.constraint, 'license');
    if (chain) this.checkVersion(chain.grant.constraint, 'grant');
    // 13. Binding.
    for (const [k, want] of l.bind) {
      const have = this.binding.get(k);
      if (have === undefined && this.anyBinding) continue;
      if (have === undefined) {
        throw fail('binding_mismatch', `license is bound to ${quote(k)}=${quote(want)}, and this machine has no ${quote(k)} value`, k);
      }
      if (have !== want) {
        throw fail('binding_mismatch', `license is bound to ${quote(k)}=${quote(want)}, this machine has ${quote(have)}`, k);
      }
    }
    const out: License = {
      ...l,
      keyId: kid,
      inGrace,
      fallbackUsed,
      grant: chain ? chain.grant : null,
      grantKeyId: chain ? chain.grantKeyId : null,
      warnings,
    };
    // 14. Revocation: the list of the license's issuer, and that of the grant's issuer.
    this.checkRevoked(out, this.revs.get(l.issuer), now);
    if (chain && chain.grant.issuer !== l.issuer) this.checkRevoked(out, this.revs.get(chain.grant.issuer), now);
    this.checkUnbound(out);
    // 15. Scopes.
    for (const s of requiredScopes) {
      if (!coversScope(l.scopes, s)) throw fail('scope_missing', `license does not grant scope ${quote(s)}`, s);
    }
    return out;
  }

  /** partnerKey prepares a grant's partner key once (a bounded cache: 64 keys). */
  private async partnerKey(raw: Uint8Array): Promise<{ pub: PublicKey; kid: Uint8Array }> {
    const id = hex(raw);
    let k = this.partners.get(id);
    if (!k) {
      const copy = raw.slice();
      k = { pub: new PublicKey(copy), kid: await keyID(copy) };
      if (this.partners.size >= 64) this.partners.clear();
      this.partners.set(id, k);
    }
    return k;
  }

  private async checkGrant(m: Message, now: number): Promise<Chain> {
    const gm = m.header.grant!;
    if (gm.header.nestedGrant) {
      throw fail('grant_invalid', 'the embedded grant carries a grant itself; only one level is allowed');
    }
    const alg = checkAlg(gm.header.alg);
    if (alg) throw fail('grant_invalid', `grant: ${alg.message.replace(/^licet: \w+: /, '')}`, alg.detail);
    if (gm.header.typ !== TYPE_GRANT) {
      throw fail('grant_invalid', `the embedded object has type ${quote(gm.header.typ)}, not a grant`, gm.header.typ);
    }
    const gkid = hex(gm.header.kid);
    const key = this.keys.lookup(gm.header.kid);
    if (!key) throw fail('grant_invalid', `grant signed by unknown key ${gkid}`, gkid);
    if (!(await verifySignature(key.pub, gm))) throw fail('grant_invalid', 'grant signature does not verify', gkid);
    let g: GrantClaims;
    try {
      g = decodeGrant(gm.payload);
    } catch (e) {
      asCode(e, 'grant_invalid', 'grant claims');
    }
    checkUsable(key, g.issuedAt, 'grant');
    if (key.issuer !== '' && g.issuer !== key.issuer) {
      throw fail('grant_invalid', `grant issuer ${quote(g.issuer)} is not the key's issuer ${quote(key.issuer)}`, g.issuer);
    }
    const start = g.notBefore ?? g.issuedAt;
    if (start * 1000 > now + this.leeway) throw fail('grant_invalid', `grant is not valid before ${iso(start)}`, iso(start));
    if (now > g.expiry * 1000 + this.leeway) throw fail('grant_invalid', `grant expired at ${iso(g.expiry)}`, iso(g.expiry));
    const partnerKid = (await this.partnerKey(g.key)).kid;
    if (!bytesEqual(m.header.kid, partnerKid)) {
      throw fail('grant_violation', `license signed by key ${hex(m.header.kid)}, not the partner key ${hex(partnerKid)} named by the grant`, hex(m.header.kid));
    }
    return { grant: g, grantKeyId: gm.header.kid.slice(), vendorKey: key };
  }

  private checkVersion(c: Constraints | null, what: string): void {
    if (c === null) return;
    if (this.version === null) {
      if (this.anyVersion) return;
      throw fail('version_not_covered', `${what} covers versions ${quote(c.source)} and no product version was given`);
    }
    if (!c.check(this.version)) {
      throw fail('version_not_covered', `${what} covers versions ${quote(c.source)}, not ${this.versionStr}`, this.versionStr);
    }
  }

  /** checkUnbound is step 14 for keys trusted without an issuer: every list's kid entries reach them. */
  private checkUnbound(out: License): void {
    if (this.unbound.size === 0) return;
    const iss = this.unbound.get(hex(out.keyId));
    if (iss !== undefined) {
      throw fail('revoked', `signing key ${hex(out.keyId)} is revoked (by the revocation list of ${quote(iss)}: the key is trusted without an issuer, so the entry holds whatever issuer the license names)`, hex(out.keyId));
    }
    const giss = out.grantKeyId ? this.unbound.get(hex(out.grantKeyId)) : undefined;
    if (giss !== undefined) {
      throw fail('revoked', `key ${hex(out.grantKeyId!)} that signed the grant is revoked (by the revocation list of ${quote(giss)}: the key is trusted without an issuer, so the entry holds whatever issuer the grant names)`, hex(out.grantKeyId!));
    }
  }

  private checkRevoked(out: License, list: RevocationList | undefined, now: number): void {
    if (!list) return;
    // A plain cti entry names a grant, or a license signed directly by a
    // trusted key; a license minted under a grant is named by a gcti pair.
    if (!out.grant && list.revokesId(out.id)) throw fail('revoked', `license ${hex(out.id)} is revoked`, hex(out.id));
    if (out.grant && list.revokesGranted(out.grant.id, out.id)) {
      throw fail('revoked', `license ${hex(out.id)} minted under grant ${hex(out.grant.id)} is revoked`, hex(out.id));
    }
    if (list.revokesKey(out.keyId)) throw fail('revoked', `signing key ${hex(out.keyId)} is revoked`, hex(out.keyId));
    if (out.grant && list.revokesId(out.grant.id)) {
      throw fail('revoked', `grant ${hex(out.grant.id)} under which the license was issued is revoked`, hex(out.grant.id));
    }
    if (out.grantKeyId && list.revokesKey(out.grantKeyId)) {
      throw fail('revoked', `key ${hex(out.grantKeyId)} that signed the grant is revoked`, hex(out.grantKeyId));
    }
    if (list.stale(now)) {
      const since = iso(list.claims.nextUpdate);
      if (!this.staleOK) {
        throw fail('revoked', `the revocation list of ${quote(list.issuer)} is stale since ${since} (strict revocations): the license itself is not known to be revoked, but no license of this issuer is accepted until a fresh list is loaded`, 'stale');
      }
      out.warnings.push(`revocation list of ${quote(list.issuer)} is stale since ${since}`);
    }
  }
}

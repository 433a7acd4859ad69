// The limits of a grant on the licenses minted under it (FORMAT section 4).

import { type GrantClaims, type LicenseClaims, maxLease } from './claims.js';
import { patternCovers } from './scope.js';
import { iso, quote, quoteList } from './util.js';

/**
 * violations lists every constraint of grant g that license l breaks,
 * empty when l lies within g.
 */
export function violations(g: GrantClaims, l: LicenseClaims): string[] {
  const out: string[] = [];
  if (l.issuer !== g.subject) out.push(`issuer ${quote(l.issuer)} is not the grant's partner ${quote(g.subject)}`);
  for (const a of l.audience) {
    if (!g.audience.includes(a)) out.push(`product ${quote(a)} is not in the grant (${quoteList(g.audience)})`);
  }
  if (!g.tiers.includes('*') && !g.tiers.includes(l.tier)) {
    out.push(`tier ${quote(l.tier)} is not in the grant (${quoteList(g.tiers)})`);
  }
  for (const s of l.scopes) {
    if (!g.scopes.some((p) => patternCovers(p, s))) {
      out.push(`scope ${quote(s)} is not covered by the grant's scopes (${quoteList(g.scopes)})`);
    }
  }
  for (const name of [...g.limits.keys()].sort()) {
    const cap = g.limits.get(name)!;
    const n = l.limits.get(name);
    if (n === undefined) out.push(`limit ${quote(name)} is capped at ${cap} by the grant and missing from the license`);
    else if (n > cap) out.push(`limit ${quote(name)}=${n} is above the grant's cap of ${cap}`);
  }
  for (const r of l.rights) {
    if (!g.rights.includes(r)) out.push(`right ${quote(r)} is not in the grant`);
  }
  if (l.expiry === null) out.push(`perpetual license: a license under a grant must expire by ${iso(g.expiry)}`);
  else if (l.expiry > g.expiry) out.push(`expiry ${iso(l.expiry)} is after the grant's expiry ${iso(g.expiry)}`);
  const start = g.notBefore ?? g.issuedAt;
  if (l.issuedAt < start || l.issuedAt > g.expiry) {
    out.push(`issued at ${iso(l.issuedAt)}, outside the grant's window ${iso(start)} to ${iso(g.expiry)}`);
  }
  if (g.maxLife !== null && l.expiry !== null) {
    const life = l.expiry + l.grace - l.issuedAt;
    if (life > g.maxLife) out.push(`lifetime ${life}s (from issue to expiry plus grace) is longer than the grant's max life of ${g.maxLife}s`);
  }
  if (g.maxGrace !== null && l.grace > g.maxGrace) {
    out.push(`grace period ${l.grace}s is longer than the grant's max grace of ${g.maxGrace}s`);
  }
  // A site grant's licenses are leases of one floating seat each.
  if (g.site !== null) {
    if (l.bind.size === 0) out.push('a lease under a site grant must be bound to a machine');
    if (l.grace > 0) out.push('a lease under a site grant may not have a grace period');
    if (l.expiry !== null) {
      const life = l.expiry - l.issuedAt;
      const max = maxLease(g.site);
      if (life > max) out.push(`lease of ${days(life)} is longer than the site grant allows (${days(max)})`);
    }
  }
  // No grant claim allows perpetual fallback: it would outlive the grant's expiry.
  if (l.fallback) out.push("perpetual fallback: a license under a grant may not carry it (it would outlive the grant's expiry)");
  return out;
}

/**
 * days formats whole seconds for people as the Go verifier does: "30d",
 * "36h", "1d 2h 3m 4s".
 */
export function days(seconds: number): string {
  if (seconds < 0) return '-' + days(-seconds);
  if (seconds === 0) return '0s';
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, name] of [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']] as const) {
    const n = Math.floor(rest / unit);
    if (n > 0) {
      parts.push(`${n}${name}`);
      rest -= n * unit;
    }
  }
  return parts.join(' ');
}

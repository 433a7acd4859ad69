// Version constraints in hashicorp/go-version syntax (v1.9.0), as the Go
// verifier reads them: the same regular expressions, the same comparison
// of segments and pre-releases, the same operators.

// Go's regexp \s is [\t\n\f\r ]; JavaScript's is wider, so it is spelled out.
const VERSION_RAW =
  'v?([0-9]+(\\.[0-9]+)*?)' +
  '(-([0-9]+[0-9A-Za-z\\-~]*(\\.[0-9A-Za-z\\-~]+)*)|(-?([A-Za-z\\-~]+[0-9A-Za-z\\-~]*(\\.[0-9A-Za-z\\-~]+)*)))?' +
  '(\\+([0-9A-Za-z\\-~]+(\\.[0-9A-Za-z\\-~]+)*))?' +
  '?';
const SPACE = '[\\t\\n\\f\\r ]';
const versionRE = new RegExp('^' + VERSION_RAW + '$');
const constraintRE = new RegExp(`^${SPACE}*(<=|>=|!=|~>|<|>|=|)${SPACE}*(${VERSION_RAW})${SPACE}*$`);

const INT64_MAX = (1n << 63n) - 1n;

/** Version is a parsed product version. */
export class Version {
  constructor(
    readonly segments: bigint[],
    readonly si: number,
    readonly pre: string,
    readonly metadata: string,
    readonly original: string,
  ) {}

  /** parse parses a version as go-version's NewVersion does; it throws on bad input. */
  static parse(v: string): Version {
    const m = versionRE.exec(v);
    if (!m) throw new Error(`malformed version: ${v}`);
    const strs = m[1]!.split('.');
    const segments = strs.map((s) => {
      const n = BigInt(s);
      if (n > INT64_MAX) throw new Error(`error parsing version: value out of range: ${s}`);
      return n;
    });
    while (segments.length < 3) segments.push(0n);
    const pre = m[7] || m[4] || '';
    return new Version(segments, strs.length, pre, m[10] ?? '', v);
  }

  toString(): string {
    let s = this.segments.join('.');
    if (this.pre) s += '-' + this.pre;
    if (this.metadata) s += '+' + this.metadata;
    return s;
  }

  equalSegments(o: Version): boolean {
    const a = this.segments;
    const b = o.segments;
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }

  compare(o: Version): number {
    if (this.toString() === o.toString()) return 0;
    if (this.equalSegments(o)) {
      const a = this.pre;
      const b = o.pre;
      if (a === '' && b === '') return 0;
      if (a === '') return 1;
      if (b === '') return -1;
      return comparePrereleases(a, b);
    }
    const a = this.segments;
    const b = o.segments;
    const hs = Math.max(a.length, b.length);
    for (let i = 0; i < hs; i++) {
      if (i > a.length - 1) return b.slice(i).every((x) => x === 0n) ? 0 : -1;
      if (i > b.length - 1) return a.slice(i).every((x) => x === 0n) ? 0 : 1;
      if (a[i]! === b[i]!) continue;
      return a[i]! < b[i]! ? -1 : 1;
    }
    return 0;
  }
}

/**
 * goParseInt is strconv.ParseInt(s, 10, 64): the value and whether it
 * parsed. Like Go, an out-of-range number yields the nearest bound and no
 * success; a syntax error yields 0.
 */
function goParseInt(s: string): { n: bigint; ok: boolean } {
  if (!/^[+-]?[0-9]+$/.test(s)) return { n: 0n, ok: false };
  const n = BigInt(s);
  if (n > INT64_MAX) return { n: INT64_MAX, ok: false };
  if (n < -INT64_MAX - 1n) return { n: -INT64_MAX - 1n, ok: false };
  return { n, ok: true };
}

function comparePart(a: string, b: string): number {
  if (a === b) return 0;
  const x = goParseInt(a);
  const y = goParseInt(b);
  if (a === '') return y.ok ? -1 : 1;
  if (b === '') return x.ok ? 1 : -1;
  if (x.ok && !y.ok) return -1;
  if (!x.ok && y.ok) return 1;
  if (!x.ok && !y.ok && a > b) return 1;
  if (x.n > y.n) return 1;
  return -1;
}

function comparePrereleases(a: string, b: string): number {
  if (a === b) return 0;
  const pa = a.split('.');
  const pb = b.split('.');
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const c = comparePart(pa[i] ?? '', pb[i] ?? '');
    if (c !== 0) return c;
  }
  return 0;
}

function prereleaseCheck(v: Version, c: Version): boolean {
  const vPre = v.pre !== '';
  const cPre = c.pre !== '';
  if (cPre && vPre) return v.equalSegments(c);
  if (!cPre && vPre) return false;
  return true;
}

type Op = '=' | '!=' | '>' | '<' | '>=' | '<=' | '~>';

function check(op: Op, v: Version, c: Version): boolean {
  switch (op) {
    case '=': return v.compare(c) === 0;
    case '!=': return v.compare(c) !== 0;
    case '>': return prereleaseCheck(v, c) && v.compare(c) === 1;
    case '<': return prereleaseCheck(v, c) && v.compare(c) === -1;
    case '>=': return prereleaseCheck(v, c) && v.compare(c) >= 0;
    case '<=': return prereleaseCheck(v, c) && v.compare(c) <= 0;
    case '~>': {
      if (!prereleaseCheck(v, c) || (c.pre !== '' && v.pre === '')) return false;
      if (v.compare(c) < 0) return false;
      const cs = c.segments.length;
      if (cs > v.segments.length) return false;
      for (let i = 0; i < c.si - 1; i++) if (v.segments[i] !== c.segments[i]) return false;
      return !(c.segments[cs - 1]! > v.segments[cs - 1]!);
    }
  }
}

/** Constraints is a parsed "versions" claim: every constraint must hold. */
export class Constraints {
  private constructor(
    private readonly list: Array<{ op: Op; v: Version }>,
    readonly source: string,
  ) {}

  /**
   * parse parses a comma-separated constraint list; it throws on bad
   * input. Parsed lists are remembered (64 at most, then it starts again
   * empty), as Go's token package does: the same few come back on every
   * verification. A Constraints is immutable.
   */
  static parse(s: string): Constraints {
    let c = parsedConstraints.get(s);
    if (c === undefined) {
      c = Constraints.parseUncached(s);
      if (parsedConstraints.size >= 64) parsedConstraints.clear();
      parsedConstraints.set(s, c);
    }
    return c;
  }

  private static parseUncached(s: string): Constraints {
    const list = s.split(',').map((single) => {
      const m = constraintRE.exec(single);
      if (!m) throw new Error(`malformed constraint: ${single}`);
      return { op: (m[1] || '=') as Op, v: Version.parse(m[2]!) };
    });
    return new Constraints(list, s);
  }

  /** check reports whether v satisfies every constraint. */
  check(v: Version): boolean {
    return this.list.every((c) => check(c.op, v, c.v));
  }
}

/** parsedConstraints remembers Constraints.parse's results by source text. */
const parsedConstraints = new Map<string, Constraints>();

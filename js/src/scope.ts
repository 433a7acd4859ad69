// Scopes and scope patterns (FORMAT section 5, section 9 "Scopes").

/** Unicode white space beyond ASCII, as Go's unicode.IsSpace sees it. */
function isUnicodeSpace(c: number): boolean {
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** validScope reports whether s is a well-formed scope or pattern: not empty, no white space. */
export function validScope(s: string): boolean {
  if (s === '') return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d) || isUnicodeSpace(c)) return false;
  }
  return true;
}

/** isPattern reports whether s is a scope pattern: "*" or ending in ":*". */
export function isPattern(s: string): boolean {
  return s === '*' || s.endsWith(':*');
}

function covers(granted: string, required: string): boolean {
  if (granted === '*') return true;
  if (granted.endsWith(':*')) {
    const p = granted.slice(0, -1);
    return required.length > p.length && required.startsWith(p);
  }
  return granted === required;
}

/**
 * coversScope reports whether any granted scope or pattern covers the
 * required scope. A required scope that is a pattern, or not a valid
 * scope, is covered by nothing.
 */
export function coversScope(granted: string[], required: string): boolean {
  if (!validScope(required) || isPattern(required)) return false;
  return granted.some((g) => covers(g, required));
}

/**
 * patternCovers reports whether the grant pattern outer covers everything
 * that the license scope or pattern inner can cover.
 */
export function patternCovers(outer: string, inner: string): boolean {
  if (outer === '*') return true;
  if (inner === '*') return false;
  if (isPattern(inner)) {
    if (!isPattern(outer)) return false;
    return inner.slice(0, -1).startsWith(outer.slice(0, -1));
  }
  return coversScope([outer], inner);
}

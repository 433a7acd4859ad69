package token

import (
	"fmt"
	"hash/maphash"
	"strings"
)

// ValidScope reports whether s is a well-formed scope or scope pattern: not
// empty and without white space (FORMAT section 5).
func ValidScope(s string) bool {
	if s == "" {
		return false
	}
	var seen byte // the union of the classes of s's bytes
	for i := 0; i < len(s); i++ {
		seen |= scopeByteClass[s[i]]
	}
	switch {
	case seen&classSpace != 0:
		return false
	case seen&classHigh != 0:
		return !strings.ContainsFunc(s, isUnicodeSpace)
	}
	return true
}

// Classes of a scope's bytes: ASCII white space, and bytes of multi-byte
// UTF-8 sequences (which may encode Unicode white space).
const (
	classSpace = 1 << iota
	classHigh
)

var scopeByteClass = func() (t [256]byte) {
	for _, c := range " \t\n\r\v\f" {
		t[c] = classSpace
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = classHigh
	}
	return t
}()

func isUnicodeSpace(r rune) bool {
	return r == 0x85 || r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a) ||
		r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000
}

// IsPattern reports whether s is a scope pattern: "*" or ending in ":*".
func IsPattern(s string) bool {
	return s == "*" || strings.HasSuffix(s, ":*")
}

// coversScope reports whether the granted scope or pattern covers the
// required scope: "*" covers everything, "area:*" covers every scope that
// starts with "area:", anything else covers itself only. A required scope
// is never a pattern: a required scope that is one is covered by nothing.
// [License.Allows] is the exported form, over a license's scopes.
func coversScope(granted, required string) bool {
	if !ValidScope(required) || IsPattern(required) {
		return false
	}
	return covers(granted, required)
}

// covers is coversScope for a required scope already known to be valid.
func covers(granted, required string) bool {
	if granted == "*" {
		return true
	}
	if n := len(granted); n >= 2 && granted[n-1] == '*' && granted[n-2] == ':' {
		return len(required) > n-1 && required[:n-1] == granted[:n-1]
	}
	return granted == required
}

// coversAny reports whether any of the granted scopes covers required:
// what [License.Allows] answers without its index.
func coversAny(granted []string, required string) bool {
	if !ValidScope(required) || IsPattern(required) {
		return false
	}
	for _, g := range granted {
		if covers(g, required) {
			return true
		}
	}
	return false
}

// PatternCovers reports whether the grant pattern outer covers everything
// that the license scope or pattern inner can cover. It is how a grant's
// scope patterns bound the scopes of a license issued under it.
func PatternCovers(outer, inner string) bool {
	if outer == "*" {
		return true
	}
	if inner == "*" {
		return false
	}
	if IsPattern(inner) {
		if !IsPattern(outer) {
			return false
		}
		// "api:*" covers "api:read:*" and "api:*".
		return strings.HasPrefix(inner[:len(inner)-1], outer[:len(outer)-1])
	}
	return coversScope(outer, inner)
}

func checkScopes(scopes []string, patternsAllowed bool) error {
	for _, s := range scopes {
		if !ValidScope(s) {
			return fmt.Errorf("invalid scope %q: scopes are non-empty and contain no spaces", s)
		}
		if !patternsAllowed && IsPattern(s) {
			return fmt.Errorf("scope %q is a pattern", s)
		}
	}
	return nil
}

// scopeIndexMin is the number of scopes from which a decoded license
// carries a [scopeIndex]; below it a linear scan is as fast.
const scopeIndexMin = 9

// scopeSeed seeds the index's hash: one per process, never changed.
var scopeSeed = maphash.MakeSeed()

// scopeIndex answers "do these scopes cover required?" with a number of
// hash probes that depends on required only (one, plus one per ':' in
// it), not on the number of scopes: an open-addressing table of the exact
// scopes, and of the patterns "area:*" under their prefix "area:". It is
// built once, when a license is decoded, and never changed: concurrent
// reads are safe.
type scopeIndex struct {
	scopes []string // what the index was built from
	star   bool     // "*" is among them
	slots  []uint16 // 1 + index into scopes; 0 is empty. len is a power of 2
}

// newScopeIndex returns the index of scopes, or nil when there are too
// few to need one.
func newScopeIndex(scopes []string) *scopeIndex {
	if len(scopes) < scopeIndexMin || len(scopes) >= 1<<16-1 {
		return nil
	}
	size := 1
	for size < 2*len(scopes) {
		size <<= 1
	}
	ix := &scopeIndex{scopes: scopes, slots: make([]uint16, size)}
	mask := uint64(size - 1)
	for i, s := range scopes {
		if s == "*" {
			ix.star = true
			continue
		}
		key := s
		if IsPattern(s) {
			key = s[:len(s)-1] // "area:*" under "area:"
		}
		for h := maphash.String(scopeSeed, key) & mask; ; h = (h + 1) & mask {
			if ix.slots[h] == 0 {
				ix.slots[h] = uint16(i + 1)
				break
			}
		}
	}
	return ix
}

// valid reports whether ix was built from scopes (the same slice, not a
// replacement assigned since).
func (ix *scopeIndex) valid(scopes []string) bool {
	return ix != nil && len(ix.scopes) == len(scopes) && &ix.scopes[0] == &scopes[0]
}

// covers is [Covers] for the scopes ix was built from, required being a
// valid scope that is not a pattern.
func (ix *scopeIndex) covers(required string) bool {
	if ix.star || ix.has(required, false) {
		return true
	}
	// "area:*" covers every scope longer than "area:" that starts with
	// it: look up each prefix ending in ':' that leaves something after.
	for i := 0; i < len(required)-1; i++ {
		if required[i] == ':' && ix.has(required[:i+1], true) {
			return true
		}
	}
	return false
}

// has reports whether the index holds key: an exact scope equal to it, or
// when pattern is set a pattern key + "*".
func (ix *scopeIndex) has(key string, pattern bool) bool {
	mask := uint64(len(ix.slots) - 1)
	for h := maphash.String(scopeSeed, key) & mask; ix.slots[h] != 0; h = (h + 1) & mask {
		s := ix.scopes[ix.slots[h]-1]
		if !pattern && s == key {
			return true
		}
		if pattern && len(s) == len(key)+1 && s[len(key)] == '*' && s[:len(key)] == key {
			return true
		}
	}
	return false
}

// allows is [License.Allows]: through the index when the license has one
// for its current Scopes, by a linear scan otherwise.
func allows(ix *scopeIndex, scopes []string, required string) bool {
	if !ix.valid(scopes) {
		return coversAny(scopes, required)
	}
	if !ValidScope(required) || IsPattern(required) {
		return false
	}
	return ix.covers(required)
}

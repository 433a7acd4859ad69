package verify

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// WithResultCache makes the verifier remember up to n licenses that
// verified, by their exact bytes (n >= 1; when full, the cache starts again
// empty). The same bytes again skip decoding and the signature; only the
// checks that read the clock (grant window, nbf, iat, expiry, grace, stale
// lists) and the scopes run again, in order, so the answer is a full
// verification's. A cached License shares its claims with every caller of
// the same bytes: treat them as read-only.
func WithResultCache(n int) Option {
	return func(v *Verifier) error {
		if n < 1 {
			return errors.New("verify: result cache of fewer than 1 entry")
		}
		v.results = &resultCache{max: n, m: make(map[string]*License, min(n, 64))}
		return nil
	}
}

// CacheStats reports the verifications the result cache answered (hits)
// and did not (misses); both 0 without [WithResultCache].
func (v *Verifier) CacheStats() (hits, misses uint64) {
	if v.results == nil {
		return 0, 0
	}
	return v.results.hits.Load(), v.results.misses.Load()
}

// resultCache maps the exact bytes of licenses that verified to what they
// verified to, without the parts that depend on the clock (InGrace,
// Fallback and Warnings are empty).
type resultCache struct {
	mu           sync.RWMutex
	max          int
	m            map[string]*License
	hits, misses atomic.Uint64
}

// get returns the remembered license for in, nil if none (or no cache).
func (c *resultCache) get(in []byte) *License {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	l := c.m[string(in)]
	c.mu.RUnlock()
	if l == nil {
		c.misses.Add(1)
		return nil
	}
	c.hits.Add(1)
	return l
}

// put remembers that in verified to out, as of every check that does not
// read the clock.
func (c *resultCache) put(in []byte, out *License) {
	if c == nil {
		return
	}
	e := *out
	e.InGrace, e.Fallback, e.Warnings = false, false, nil
	e.KeyID = e.kid[:]
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[string(in)] = &e
	c.mu.Unlock()
}

// recheck finishes the verification of a license remembered by the cache:
// the checks of [Verifier.Verify] that read the clock, and the scopes.
// TestResultCacheMatchesVerify runs both on a sweep of clocks.
func (v *Verifier) recheck(cached *License, now time.Time, requiredScopes []string) (*License, error) {
	out := new(License)
	*out = *cached
	out.KeyID = out.kid[:]
	l := out.Claims
	// 4 (grant path): the grant's window.
	if g := out.Grant; g != nil {
		if err := v.grantWindow(g, now); err != nil {
			return nil, embedded(err)
		}
	}
	// 10 and 11. Not yet valid; expiry, grace and perpetual fallback.
	if err := v.checkTime(out, now); err != nil {
		return nil, err
	}
	// 14. Revocation lists, for their staleness (the license passed them).
	if err := v.checkRevoked(out, v.revs[l.Issuer], now); err != nil {
		return nil, err
	}
	if g := out.Grant; g != nil && g.Issuer != l.Issuer {
		if err := v.checkRevoked(out, v.revs[g.Issuer], now); err != nil {
			return nil, err
		}
	}
	// 15. Scopes.
	for _, s := range requiredScopes {
		if !l.Allows(s) {
			return nil, fail(CodeScopeMissing, s, "license does not grant scope %q", s)
		}
	}
	return out, nil
}

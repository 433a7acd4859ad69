package token

import (
	"crypto/sha256"
	"sync"

	"github.com/hashicorp/go-version"
)

// Package token keeps no configuration and no state that changes what a
// call returns. Its package-level variables are read-only once the
// package is initialized (decoder modes, tables, the scope index's hash
// seed), except three that only save work, each safe for concurrent use
// and bounded:
//
//   - constraints: parsed version constraints, by their text (below).
//   - checked: the software keys whose first signature verified
//     (selfcheck.go).
//   - licenseWirePool (claims.go): a sync.Pool of decoding scratch
//     structs, zeroed before they go back.
//
// Every answer is the one the package would give with the caches empty:
// a cached constraint is the parse of its text, which never changes, and
// a forgotten key has its next signature verified again. The caches are
// hammered from many goroutines under the race detector in
// TestCachesRace and TestBoundedCacheRace.

// boundedCache is a map of at most max entries, safe for concurrent use.
// When full it starts again empty: the caches here hold a few entries in
// use (a product's constraints, an issuer's keys) and simply refill.
type boundedCache[K comparable, V any] struct {
	max int
	mu  sync.RWMutex
	m   map[K]V
}

// get returns the value stored for k, if any.
func (c *boundedCache[K, V]) get(k K) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

// put stores v for k, emptying the cache first when it is full.
func (c *boundedCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max || c.m == nil {
		c.m = make(map[K]V, c.max)
	}
	c.m[k] = v
	c.mu.Unlock()
}

// len returns the number of entries.
func (c *boundedCache[K, V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// versionCacheSize bounds the version constraints cache.
const versionCacheSize = 64

// versionCache caches parsed version constraints. Parsing a constraint
// costs far more than checking one, and a product (or an issuer) sees few
// distinct constraints.
type versionCache struct {
	c boundedCache[string, version.Constraints]
}

// constraints holds the constraints that decoding and License.Validate
// parsed: the same few come back on every verification and every mint.
var constraints = versionCache{c: boundedCache[string, version.Constraints]{max: versionCacheSize}}

// Parse parses a version constraint in hashicorp/go-version syntax.
func (vc *versionCache) Parse(s string) (version.Constraints, error) {
	if v, ok := vc.c.get(s); ok {
		return v, nil
	}
	v, err := version.NewConstraint(s)
	if err != nil {
		return nil, err
	}
	vc.c.put(s, v)
	return v, nil
}

// maxChecked bounds the remembered software keys (see selfCheck).
const maxChecked = 256

// checked remembers the software keys whose first signature verified, by
// SHA-256 of the whole private key (the key itself is not kept).
var checked = boundedCache[[sha256.Size]byte, struct{}]{max: maxChecked}

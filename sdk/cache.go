package sdk

import "github.com/licet/licet/verify"

// resultCacheSize is how many verified licenses a handle's verifier
// remembers by their exact bytes.
//
// A handle verifies the license in effect again on every poll of
// [License.Watch] and every [License.Reload], so that the clock, the
// revocation lists and the files are looked at anew. While the license's
// bytes and the verifier (keys, lists, settings) are unchanged, that is
// answered from memory: no decoding, no signature verification, only the
// checks that read the clock (expiry, grace, not before, the grant's
// window, stale lists) and the scopes, in well under a microsecond
// (verify.BenchmarkVerifyCachedVsEd25519). A new revocation list makes a
// new verifier, whose cache starts empty: the license is then verified in
// full. A few entries cover the places Load looks at (file, environment,
// user configuration) and a license being replaced.
const resultCacheSize = 4

// resultCache is the verifier option of [resultCacheSize].
func resultCache() verify.Option { return verify.WithResultCache(resultCacheSize) }

// verifierCacheStats reports the hits and misses of the result cache of
// the verifier in effect (tests).
func (l *License) verifierCacheStats() (hits, misses uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ver == nil {
		return 0, 0
	}
	return l.ver.CacheStats()
}

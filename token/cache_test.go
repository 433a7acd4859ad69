package token

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"sync"
	"testing"

	"github.com/hashicorp/go-version"
)

// TestBoundedCache: a cache holds at most max entries, starts again empty
// when a new key comes to a full cache, and keeps its size when a key it
// holds is stored again.
func TestBoundedCache(t *testing.T) {
	c := boundedCache[int, string]{max: 3}
	if _, ok := c.get(1); ok || c.len() != 0 {
		t.Fatal("an empty cache holds something")
	}
	for k := 1; k <= 3; k++ {
		c.put(k, fmt.Sprint(k))
	}
	c.put(2, "two")
	if v, ok := c.get(2); !ok || v != "two" || c.len() != 3 {
		t.Fatalf("get(2) = %q, %v; len %d", v, ok, c.len())
	}
	c.put(4, "4")
	if _, ok := c.get(1); ok || c.len() != 1 {
		t.Fatalf("a full cache was not emptied: len %d", c.len())
	}
	if v, ok := c.get(4); !ok || v != "4" {
		t.Fatalf("get(4) = %q, %v", v, ok)
	}
}

// TestBoundedCacheRace hammers one cache from goroutines (run it with
// -race): every hit is the value stored for its key, and the cache never
// holds more than its bound.
func TestBoundedCacheRace(t *testing.T) {
	c := boundedCache[int, int]{max: 8}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := (g*7 + i) % 20
				if v, ok := c.get(k); ok && v != k*k {
					t.Errorf("get(%d) = %d", k, v)
					return
				}
				c.put(k, k*k)
				if n := c.len(); n > 8 {
					t.Errorf("the cache holds %d entries, bound 8", n)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestCachesRace hammers the package's caches through its API from
// goroutines (run it with -race): software keys, one of them refused on
// every signature, sign licenses with more distinct version constraints
// than the cache holds, and every license decodes to its own constraint.
func TestCachesRace(t *testing.T) {
	var good []ed25519.PrivateKey
	for i := range 4 {
		good = append(good, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x40 + byte(i)}, 32)))
	}
	bad := mismatchedKey()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				n := (g*40 + i) % (2 * versionCacheSize)
				l := mintTestLicense()
				l.Versions = fmt.Sprintf(">= 1.%d", n)
				if _, err := SignLicense(bad, l, nil); err == nil {
					t.Error("a key whose halves disagree signed")
					return
				}
				raw, err := SignLicense(good[(g+i)%len(good)], l, nil)
				if err != nil {
					t.Error(err)
					return
				}
				m, err := ParseMessage(raw)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := DecodeLicense(m.Payload)
				if err != nil {
					t.Error(err)
					return
				}
				in, out := version.Must(version.NewVersion(fmt.Sprintf("1.%d", n))), version.Must(version.NewVersion(fmt.Sprintf("0.%d", n)))
				if got.Versions != l.Versions || !got.Constraint.Check(in) || got.Constraint.Check(out) {
					t.Errorf("license with %q decoded to constraint %q", l.Versions, got.Constraint)
					return
				}
				if n := constraints.c.len(); n > versionCacheSize {
					t.Errorf("%d constraints cached, bound %d", n, versionCacheSize)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, k := range good {
		if !isChecked(k) {
			t.Error("a key whose signatures verified is not remembered")
		}
	}
	if isChecked(bad) || checked.len() > maxChecked {
		t.Errorf("the refused key is remembered, or %d keys are (bound %d)", checked.len(), maxChecked)
	}
}

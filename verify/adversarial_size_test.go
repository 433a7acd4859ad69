package verify_test

// Size and allocation bounds of the adversarial suite: oversized input is
// refused before it is decoded, a full-size token costs a small multiple of
// its size, and CBOR heads that claim huge lengths never make the decoder
// allocate those lengths.

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// advAllocs measures f: heap bytes and allocations per call, averaged over
// runs calls after a warm-up call (pools and caches filled). Bytes come
// from runtime.MemStats (TotalAlloc), allocations from testing.AllocsPerRun.
func advAllocs(f func(), runs int) (bytesPerCall float64, allocsPerCall float64) {
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		f()
	}
	runtime.ReadMemStats(&after)
	bytesPerCall = float64(after.TotalAlloc-before.TotalAlloc) / float64(runs)
	allocsPerCall = testing.AllocsPerRun(runs, f)
	return bytesPerCall, allocsPerCall
}

// advScopesLicense returns a license for widget whose scopes fill it to
// just under limit bytes in raw form (at most MaxArrayItems scopes), and
// the number of scopes.
func advScopesLicense(t *testing.T, signer string, limit int) ([]byte, int) {
	t.Helper()
	var best []byte
	n := 0
	for lo, hi := 1, token.MaxArrayItems; lo <= hi; {
		mid := (lo + hi) / 2
		raw := mint(t, key(signer), license(func(l *token.License) { l.Scopes = advScopeList(mid, 14) }), nil)
		if len(raw) <= limit {
			best, n, lo = raw, mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	if best == nil {
		t.Fatalf("no license with a single scope fits in %d bytes", limit)
	}
	return best, n
}

// advScopeList returns n distinct valid scopes of width characters.
func advScopeList(n, width int) []string {
	out := make([]string, n)
	for i := range out {
		s := fmt.Sprintf("s:%d", i)
		out[i] = s + strings.Repeat("x", max(0, width-len(s)))
	}
	return out
}

// Bounds for inputs refused before their claims are decoded: what the
// error itself costs, whatever the size of the input (measured: about 200
// bytes in 5 allocations for oversized input, 800 bytes in 7 for an
// unknown key or a bad signature).
const (
	advFixedBytes  = 2048
	advFixedAllocs = 16
)

// TestAdversarialSize: each input gets its code, and verifying it
// allocates no more than its bound, per call.
func TestAdversarialSize(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation measurements")
	}
	ks := keyset(t)
	v := verifier(t, ks)
	const mib = 1 << 20

	good := mint(t, vendor, license(), nil)
	goodText, err := token.EncodeText(good, "")
	if err != nil {
		t.Fatalf("EncodeText of the test license: %v", err)
	}

	// A full-size raw license packed with 14-character scopes, from the
	// vendor (trusted) and from the rogue key (untrusted).
	full, n := advScopesLicense(t, "vendor", token.MaxTokenSize)
	if len(full) <= 15<<10 {
		t.Fatalf("the packed license has %d bytes; it should be close to 16 KiB", len(full))
	}
	t.Logf("packed license: %d scopes, %d bytes", n, len(full))
	fullRogue, _ := advScopesLicense(t, "rogue partner", token.MaxTokenSize)
	fullBadSig := append([]byte{}, full...)
	fullBadSig[len(fullBadSig)-1] ^= 1
	// The largest license whose text form still fits the size limit.
	textSized, _ := advScopesLicense(t, "vendor", token.MaxTokenSize*3/4-16)
	fullText, err := token.EncodeText(textSized, "")
	if err != nil {
		t.Fatalf("EncodeText of the text-sized license: %v", err)
	}
	if len(fullText) > token.MaxTokenSize {
		t.Fatalf("the text-sized license's text form has %d bytes, over the limit of %d", len(fullText), token.MaxTokenSize)
	}
	// Over the array limit: 1025 short scopes.
	tooMany := advLicense(advClaims("scopes", advManyScopes(token.MaxArrayItems+1)))

	// Hostile CBOR of about 16 KiB whose heads claim huge lengths.
	filler := bytes.Repeat([]byte{0x00}, 16<<10-256)
	hugeHeaderArray := advWithHeader(advMap(append(advHdrPairs(), 99, cbor.RawMessage(advCat(advHead(4, 1<<32), filler)))...))
	hugeHeaderTagged := advWithHeader(advMap(append(advHdrPairs(), 98, advRaw("c1 00"), 99, cbor.RawMessage(advCat(advHead(4, 1<<62), filler)))...))
	hugeHeaderMaps := advWithHeader(advCat(advHead(5, 1<<40), bytes.Repeat([]byte{0x18, 0x63, 0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 1400)))
	hugePayload := advCat([]byte{0xd2, 0x84}, advEnc(advHdr()), []byte{0xa0}, advHead(2, 1<<63), filler)
	hugeClaimsMap := advLicense(advCat(advHead(5, 1<<63), bytes.Repeat(advEnc("k"), 2), bytes.Repeat([]byte{0x00}, 16<<10-512)))
	hugeScopes := advLicense(advClaims("scopes", cbor.RawMessage(advCat(advHead(4, 1<<32), bytes.Repeat(advEnc("a:b"), 3000)))))
	hugeStrings := advLicense(advClaims("x-ext", cbor.RawMessage(advCat(advHead(4, 1000), bytes.Repeat([]byte{0x7a, 0xff, 0xff, 0xff, 0xf0}, 3000)))))
	deepHeader := advWithHeader(advMap(append(advHdrPairs(), 99, cbor.RawMessage(append(bytes.Repeat([]byte{0x81}, 16<<10-256), 0x00)))...))
	deepClaims := advLicense(advClaims("x-ext", cbor.RawMessage(append(bytes.Repeat([]byte{0xa1, 0x00}, 8<<10-256), 0x00))))
	grantHdr := advMap(1, -8, 4, token.KeyID(pub(vendor)), 16, token.TypeGrant, 99, cbor.RawMessage(advCat(advHead(2, 1<<63), filler)))
	hugeGrantHeader := advSigned(partner, advMap(1, -8, 4, token.KeyID(pub(partner)), 13,
		cbor.RawMessage(assemble(grantHdr, advGrantClaims(), make([]byte, 64))), 16, token.TypeLicense), advMust(partnerLicense().MarshalClaims()))

	for _, tc := range []struct {
		name   string
		in     []byte
		scopes []string
		want   verify.Code
		// maxBytes is the bound on heap bytes per call; maxAllocs on
		// allocations per call.
		maxBytes  float64
		maxAllocs float64
	}{
		// Refused on size alone, before anything is decoded: the cost
		// does not depend on the input.
		{name: "1 MiB of text", in: bytes.Repeat([]byte("A"), mib), want: verify.CodeMalformed, maxBytes: advFixedBytes, maxAllocs: advFixedAllocs},
		{name: "1 MiB raw after tag 18", in: advCat([]byte{0xd2, 0x84, 0x5a, 0x00, 0x10, 0x00, 0x00}, make([]byte, mib)), want: verify.CodeMalformed, maxBytes: advFixedBytes, maxAllocs: advFixedAllocs},
		{name: "valid token in 1 MiB of white space", in: []byte(strings.Repeat(" ", mib/2) + goodText + strings.Repeat("\n", mib/2)), want: verify.CodeMalformed, maxBytes: advFixedBytes, maxAllocs: advFixedAllocs},
		{name: "1 MiB PEM", in: token.EncodePEM(make([]byte, 3*mib/4), token.PEMLicense, nil), want: verify.CodeMalformed, maxBytes: advFixedBytes, maxAllocs: advFixedAllocs},
		{name: "one byte over the limit", in: bytes.Repeat([]byte("A"), token.MaxTokenSize+1), want: verify.CodeMalformed, maxBytes: advFixedBytes, maxAllocs: advFixedAllocs},

		// Full-size licenses: claims are decoded only after the
		// signature verified, so the untrusted and forged ones are cheap.
		{name: "16 KiB of scopes, untrusted key", in: fullRogue, want: verify.CodeUnknownKey, maxBytes: advFixedBytes, maxAllocs: advFixedAllocs},
		{name: "16 KiB of scopes, bad signature", in: fullBadSig, want: verify.CodeBadSignature, maxBytes: advFixedBytes, maxAllocs: advFixedAllocs},
		{name: "16 KiB of scopes, scope missing", in: full, scopes: []string{"api:admin"}, want: verify.CodeScopeMissing, maxBytes: 4 * float64(len(full))},
		{name: "16 KiB text of scopes, scope missing", in: []byte(fullText), scopes: []string{"api:admin"}, want: verify.CodeScopeMissing, maxBytes: 4 * float64(len(fullText))},
		{name: "1025 scopes", in: tooMany, want: verify.CodeMalformed, maxBytes: 4 * float64(len(tooMany))},

		// Heads claiming huge lengths, before and after the signature.
		{name: "header array claims 2^32 items", in: hugeHeaderArray, want: verify.CodeMalformed, maxBytes: 4 * float64(len(hugeHeaderArray))},
		{name: "tagged header array claims 2^62 items", in: hugeHeaderTagged, want: verify.CodeMalformed, maxBytes: 4 * float64(len(hugeHeaderTagged))},
		{name: "header map claims 2^40 pairs of 2^63-byte strings", in: hugeHeaderMaps, want: verify.CodeMalformed, maxBytes: 4 * float64(len(hugeHeaderMaps))},
		{name: "grant header bstr claims 2^63 bytes", in: hugeGrantHeader, want: verify.CodeMalformed, maxBytes: 4 * float64(len(hugeGrantHeader))},
		{name: "payload bstr claims 2^63 bytes", in: hugePayload, want: verify.CodeMalformed, maxBytes: advFixedBytes, maxAllocs: advFixedAllocs},
		{name: "signed claims map claims 2^63 pairs", in: hugeClaimsMap, want: verify.CodeMalformed, maxBytes: 4 * float64(len(hugeClaimsMap))},
		{name: "signed scopes claim 2^32 items", in: hugeScopes, want: verify.CodeMalformed, maxBytes: 4 * float64(len(hugeScopes))},
		{name: "signed claim of 3000 text heads claiming 4 GiB", in: hugeStrings, want: verify.CodeMalformed, maxBytes: 4 * float64(len(hugeStrings))},
		{name: "header nested 16 K levels", in: deepHeader, want: verify.CodeMalformed, maxBytes: 4 * float64(len(deepHeader))},
		{name: "signed claims nested 8 K maps", in: deepClaims, want: verify.CodeMalformed, maxBytes: 4 * float64(len(deepClaims))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.in, tc.scopes...)
			if got := verify.CodeOf(err); got != tc.want {
				t.Fatalf("code %q, want %s; error: %v", got, tc.want, err)
			}
			if raceEnabled {
				return // allocation bounds: without -race only
			}
			bytesPer, allocsPer := advAllocs(func() { _, _ = v.Verify(tc.in, tc.scopes...) }, 50)
			t.Logf("input %6d bytes: %8.0f bytes and %5.1f allocations per call (%.2fx input)",
				len(tc.in), bytesPer, allocsPer, bytesPer/float64(len(tc.in)))
			if bytesPer > tc.maxBytes {
				t.Fatalf("heap bytes per call: %.0f, over the bound of %.0f", bytesPer, tc.maxBytes)
			}
			if tc.maxAllocs > 0 && allocsPer > tc.maxAllocs {
				t.Fatalf("allocations per call: %.1f, over the bound of %.0f", allocsPer, tc.maxAllocs)
			}
			// The unverified parser and the revocation list parser stay
			// within the same bound on hostile input.
			for name, f := range map[string]func(){
				"ParseUnverified":  func() { _, _ = token.ParseUnverified(tc.in) },
				"ParseRevocations": func() { _, _ = verify.ParseRevocation(tc.in, ks) },
			} {
				b, _ := advAllocs(f, 20)
				bound := max(tc.maxBytes, 4*float64(len(tc.in)))
				if len(tc.in) > token.MaxTokenSize {
					bound = tc.maxBytes
				}
				if b > bound {
					t.Fatalf("%s: heap bytes per call: %.0f, over the bound of %.0f", name, b, bound)
				}
			}
		})
	}
}

// TestAdversarialSizeTime: a 1 MiB input is refused without being read:
// refusing it takes a fraction of the time that one pass over its bytes
// takes, both measured in the same test (the best of interleaved rounds,
// so that a noisy machine slows both alike).
func TestAdversarialSizeTime(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("timing")
	}
	v := verifier(t, keyset(t))
	huge := bytes.Repeat([]byte(" "), 1<<20)
	huge[len(huge)-1] = 'A'
	const calls = 50
	refuse := func() {
		for i := 0; i < calls; i++ {
			_, _ = v.Verify(huge)
		}
	}
	sink := 0
	read := func() {
		for i := 0; i < calls; i++ {
			sink += len(bytes.TrimSpace(huge)) // one pass over the input
		}
	}
	bestRefuse, bestRead := time.Duration(1<<63-1), time.Duration(1<<63-1)
	for round := 0; round < 5; round++ {
		start := time.Now()
		refuse()
		bestRefuse = min(bestRefuse, time.Since(start))
		start = time.Now()
		read()
		bestRead = min(bestRead, time.Since(start))
	}
	if sink == 0 {
		t.Fatal("the reading pass read nothing")
	}
	t.Logf("%d calls: refusing 1 MiB %v, one pass over 1 MiB %v", calls, bestRefuse, bestRead)
	if bestRefuse >= bestRead/4 {
		t.Fatalf("a 1 MiB input must be refused without being read: refusing took %v, a quarter of one pass %v", bestRefuse, bestRead/4)
	}
}

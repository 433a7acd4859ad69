package token_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/licet/licet/token"
)

// decodedWithScopes returns a license with the given scopes, as decoded
// from its claims (so with the scope index a verified license has).
func decodedWithScopes(tb testing.TB, scopes []string) *token.License {
	tb.Helper()
	payload := claimsWithScopes(tb, scopes)
	l, err := token.DecodeLicense(payload)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

func claimsWithScopes(tb testing.TB, scopes []string) []byte {
	tb.Helper()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	l := &token.License{
		Issuer: "acme", Subject: "s", Audience: []string{"widget"}, IssuedAt: now,
		ID: bytes.Repeat([]byte{1}, token.IDSize), Tier: "pro", Scopes: scopes,
	}
	payload, err := l.MarshalClaims()
	if err != nil {
		tb.Fatal(err)
	}
	return payload
}

// manyScopes returns n distinct scopes, a few of them patterns.
func manyScopes(n int) []string {
	s := make([]string, n)
	for i := range s {
		switch {
		case i%50 == 7:
			s[i] = fmt.Sprintf("area%d:*", i)
		default:
			s[i] = fmt.Sprintf("area%d:feature%d", i%40, i)
		}
	}
	return s
}

// TestAllowsIndexMatchesCovers: on decoded licenses of 0 to 600 scopes
// (exact scopes, "area:*" patterns at several depths, "*", scopes ending
// in ':' and prefixes of each other), Allows gives token.Covers's answer
// for every required scope tried: each granted scope, its prefixes and
// extensions, patterns, white space and empty strings.
func TestAllowsIndexMatchesCovers(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 13))
	words := []string{"a", "b", "api", "read", "x", "", ":"}
	word := func() string { return words[rng.IntN(len(words))] }
	scope := func() string {
		s := word() + word()
		for rng.IntN(3) == 0 {
			s += ":" + word()
		}
		if s == "" {
			s = "z"
		}
		switch rng.IntN(8) {
		case 0:
			return s + ":*"
		case 1:
			return s + ":"
		}
		return s
	}
	checked := 0
	for _, n := range []int{0, 1, 8, 9, 10, 17, 64, 600} {
		for round := 0; round < 20; round++ {
			seen := map[string]bool{}
			var granted []string
			for len(granted) < n {
				s := scope()
				if !seen[s] {
					seen[s] = true
					granted = append(granted, s)
				}
			}
			if n > 0 && round == 19 {
				granted[rng.IntN(n)] = "*"
			}
			l := decodedWithScopes(t, granted)
			var queries []string
			for _, g := range granted {
				queries = append(queries, g, g+"x", g+":y", g[:len(g)-1], g[:len(g)/2])
			}
			for i := 0; i < 200; i++ {
				queries = append(queries, scope(), scope()+":deep:er")
			}
			queries = append(queries, "", " ", "a b", "*", "api:*", "api:", ":", "::", "a\u00a0b")
			for _, q := range queries {
				if got, want := l.Allows(q), token.Covers(granted, q); got != want {
					t.Fatalf("%d scopes %q: Allows(%q) = %v, Covers says %v", n, granted, q, got, want)
				}
				checked++
			}
		}
	}
	t.Logf("%d queries checked", checked)
}

// TestAllowsAfterScopesReplaced: a license whose Scopes is replaced after
// decoding answers for the new scopes, not from the index of the old.
func TestAllowsAfterScopesReplaced(t *testing.T) {
	l := decodedWithScopes(t, manyScopes(100))
	if !l.Allows("area1:feature1") {
		t.Fatal("decoded scope not allowed")
	}
	l.Scopes = []string{"other:*"}
	if l.Allows("area1:feature1") || !l.Allows("other:x") {
		t.Fatal("Allows answers from the scopes the license was decoded with")
	}
	l.Scopes = append(manyScopes(99), "new")
	if !l.Allows("new") {
		t.Fatal("a replaced slice of the same length is not seen")
	}
	built := token.License{Scopes: manyScopes(100)}
	if !built.Allows("area1:feature1") || built.Allows("area1:nope") {
		t.Fatal("a license built in code (no index) answers wrongly")
	}
}

// TestAllowsNoAllocation: Allows on 512 scopes allocates nothing, hit or
// miss, exact or through a pattern.
func TestAllowsNoAllocation(t *testing.T) {
	l := decodedWithScopes(t, manyScopes(512))
	for _, q := range []string{"area1:feature1", "area7:anything", "area3:missing", "nocolon", "a:b:c:d"} {
		if n := testing.AllocsPerRun(100, func() { l.Allows(q) }); n != 0 {
			t.Errorf("Allows(%q) allocates %v times", q, n)
		}
	}
}

// TestDecodeScopesAllocations: decoding 512 scopes allocates no more than
// decoding 16 (one string for all of an array's elements, not one each).
func TestDecodeScopesAllocations(t *testing.T) {
	allocs := func(n int) float64 {
		payload := claimsWithScopes(t, manyScopes(n))
		return testing.AllocsPerRun(50, func() {
			if _, err := token.DecodeLicense(payload); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(16), allocs(512)
	if large > small {
		t.Errorf("decoding 512 scopes: %v allocations, 16 scopes: %v; want no more", large, small)
	}
}

// BenchmarkAllows512VsLinear alternates Allows on a decoded license of 512
// scopes (through its index) and token.Covers over the same scopes (a
// linear scan) for a scope that is not granted, the worst case, and
// reports their ratio ("x-linear").
func BenchmarkAllows512VsLinear(b *testing.B) {
	scopes := manyScopes(512)
	l := decodedWithScopes(b, scopes)
	var idx, lin time.Duration
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		for j := 0; j < 100; j++ {
			if l.Allows("reports:monthly") {
				b.Fatal("allowed")
			}
		}
		t1 := time.Now()
		for j := 0; j < 100; j++ {
			if token.Covers(scopes, "reports:monthly") {
				b.Fatal("allowed")
			}
		}
		t2 := time.Now()
		idx += t1.Sub(t0)
		lin += t2.Sub(t1)
	}
	b.ReportMetric(float64(idx)/float64(lin), "x-linear")
	b.ReportMetric(float64(idx)/float64(b.N*100), "ns/allows")
}

// BenchmarkAllowsScaling reports Allows on 1000 scopes as a ratio to
// Allows on 16 ("x-16-scopes"), alternated: near 1 when the cost does
// not grow with the number of scopes.
func BenchmarkAllowsScaling(b *testing.B) {
	small, large := decodedWithScopes(b, manyScopes(16)), decodedWithScopes(b, manyScopes(1000))
	qs := []string{"area1:feature1", "area7:x", "reports:monthly", "a:b:c"}
	var ts, tl time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		for j := 0; j < 100; j++ {
			large.Allows(qs[j%len(qs)])
		}
		t1 := time.Now()
		for j := 0; j < 100; j++ {
			small.Allows(qs[j%len(qs)])
		}
		t2 := time.Now()
		tl += t1.Sub(t0)
		ts += t2.Sub(t1)
	}
	b.ReportMetric(float64(tl)/float64(ts), "x-16-scopes")
}

// TestDecodeTextArraysUTF8: text arrays are decoded with one string for
// all elements and an ASCII fast path; non-ASCII elements are still
// checked one by one: valid ones (also after a length byte above 0x7f)
// decode, invalid UTF-8 anywhere is malformed.
func TestDecodeTextArraysUTF8(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes: head 0x78 0xc8
	for _, tc := range []struct {
		name   string
		scopes []string
		ok     bool
	}{
		{"ascii", manyScopes(20), true},
		{"non-ascii", append(manyScopes(20), "café:menü", long, "日本:*"), true},
		{"invalid last", append(manyScopes(20), "caf\xe9"), false},
		{"invalid first", append([]string{"\xff"}, manyScopes(20)...), false},
		{"truncated sequence", []string{"a", "\xe6\x97", "b"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload := claimsWithScopes(t, tc.scopes)
			l, err := token.DecodeLicense(payload)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if tc.ok && !slices.Equal(l.Scopes, tc.scopes) {
				t.Fatalf("scopes %q, want %q", l.Scopes, tc.scopes)
			}
		})
	}
}

// FuzzAllows: for any set of granted scopes (newline-separated, at least
// nine so that the decoded license carries an index) and any required
// scope, Allows on the decoded license gives token.Covers's answer.
func FuzzAllows(f *testing.F) {
	f.Add("api:read\napi:*\nreports:*\na:b:c:*\n*x\nx:\n:\n::*\nz", "api:write")
	f.Add("a\nb\nc\nd\ne\nf\ng\nh\ni:*", "i:j")
	f.Fuzz(func(t *testing.T, granted, required string) {
		scopes := strings.Split(granted, "\n")
		if len(scopes) < 9 || len(scopes) > 200 {
			return
		}
		for _, s := range scopes {
			if !token.ValidScope(s) || !utf8.ValidString(s) {
				return
			}
		}
		l := decodedWithScopes(t, scopes)
		if got, want := l.Allows(required), token.Covers(scopes, required); got != want {
			t.Fatalf("scopes %q: Allows(%q) = %v, Covers says %v", scopes, required, got, want)
		}
	})
}

package token

import (
	"bytes"
	"slices"
	"time"
)

// appendLicenseClaims appends the claims of l in core deterministic CBOR
// (RFC 8949 section 4.2.1), exactly the bytes the CBOR library's encoder
// makes of licenseOut (TestAppendLicenseClaims compares them on random
// licenses), without reflection: minting encodes a license every time.
//
// Core deterministic order sorts map keys by their encoded bytes: the
// integer labels 1 to 7 first, then the text names by length, then
// bytewise: bind, crit, meta, tier, grace, limits, rights, scopes,
// fallback, versions. Optional claims that are empty are left out (omitempty); an
// empty iss, sub or tier is an empty text string, a nil cti or aud is
// null, as the library encodes them.
func appendLicenseClaims(b []byte, l *License) []byte {
	exp, nbf := !l.Expiry.IsZero(), !l.NotBefore.IsZero()
	grace := uint64(l.Grace / time.Second)
	n := 6 + count(exp, nbf, len(l.Bind) > 0, len(l.Crit) > 0, len(l.Meta) > 0, grace != 0,
		len(l.Limits) > 0, len(l.Rights) > 0, len(l.Scopes) > 0, l.Fallback, l.Versions != "") // 6: iss sub aud iat cti tier
	b = appendHead(b, majorMap, uint64(n))
	b = appendText(append(b, 1), l.Issuer)
	b = appendText(append(b, 2), l.Subject)
	b = append(b, 3)
	switch {
	case len(l.Audience) == 1:
		b = appendText(b, l.Audience[0])
	case l.Audience == nil:
		b = append(b, cborNull)
	default:
		b = appendTexts(b, l.Audience)
	}
	if exp {
		b = appendInt(append(b, 4), l.Expiry.Unix())
	}
	if nbf {
		b = appendInt(append(b, 5), l.NotBefore.Unix())
	}
	b = appendInt(append(b, 6), l.IssuedAt.Unix())
	b = append(b, 7)
	if l.ID == nil {
		b = append(b, cborNull)
	} else {
		b = appendHead(b, majorBytes, uint64(len(l.ID)))
		b = append(b, l.ID...)
	}
	if len(l.Bind) > 0 {
		b = appendStringMap(appendText(b, "bind"), l.Bind)
	}
	if len(l.Crit) > 0 {
		b = appendTexts(appendText(b, "crit"), l.Crit)
	}
	if len(l.Meta) > 0 {
		b = appendStringMap(appendText(b, "meta"), l.Meta)
	}
	b = appendText(appendText(b, "tier"), l.Tier)
	if grace != 0 {
		b = appendHead(appendText(b, "grace"), majorUint, grace)
	}
	if len(l.Limits) > 0 {
		b = appendText(b, "limits")
		b = appendHead(b, majorMap, uint64(len(l.Limits)))
		for _, k := range sortedCBORKeys(l.Limits) {
			b = appendHead(appendText(b, k), majorUint, l.Limits[k])
		}
	}
	if len(l.Rights) > 0 {
		b = appendTexts(appendText(b, "rights"), l.Rights)
	}
	if len(l.Scopes) > 0 {
		b = appendTexts(appendText(b, "scopes"), l.Scopes)
	}
	if l.Fallback {
		b = append(appendText(b, "fallback"), cborTrue)
	}
	if l.Versions != "" {
		b = appendText(appendText(b, "versions"), l.Versions)
	}
	return b
}

// cborNull and cborTrue are the simple values null and true.
const (
	cborNull = 0xf6
	cborTrue = 0xf5
)

func appendText(b []byte, s string) []byte {
	b = appendHead(b, majorText, uint64(len(s)))
	return append(b, s...)
}

func appendTexts(b []byte, ss []string) []byte {
	b = appendHead(b, majorArray, uint64(len(ss)))
	for _, s := range ss {
		b = appendText(b, s)
	}
	return b
}

func appendInt(b []byte, v int64) []byte {
	if v < 0 {
		return appendHead(b, majorNint, uint64(-1-v))
	}
	return appendHead(b, majorUint, uint64(v))
}

func appendStringMap(b []byte, m map[string]string) []byte {
	b = appendHead(b, majorMap, uint64(len(m)))
	for _, k := range sortedCBORKeys(m) {
		b = appendText(appendText(b, k), m[k])
	}
	return b
}

// sortedCBORKeys returns the keys of m in core deterministic order: by
// their encoding, that is by length first, then bytewise.
func sortedCBORKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if len(a) != len(b) {
			// Text heads grow with the length, in shortest form: a
			// longer string never sorts before a shorter one.
			return len(a) - len(b)
		}
		return bytes.Compare([]byte(a), []byte(b))
	})
	return keys
}

// plainTexts reports whether every text that License.Validate hands to
// unprintable (issuer, subject, products, tier, rights, binding keys and
// values, limit names) is printable ASCII, in which case unprintable has
// nothing to report: its characters are ASCII controls and non-ASCII
// ones. It spares a mint the map that unprintable reads.
func (l *License) plainTexts() bool {
	if !printableASCII(l.Issuer) || !printableASCII(l.Subject) || !printableASCII(l.Tier) {
		return false
	}
	for _, list := range [][]string{l.Audience, l.Rights} {
		for _, s := range list {
			if !printableASCII(s) {
				return false
			}
		}
	}
	for k, v := range l.Bind {
		if !printableASCII(k) || !printableASCII(v) {
			return false
		}
	}
	for k := range l.Limits {
		if !printableASCII(k) {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

package token

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// reflectClaims is the CBOR library's encoding of l's claims: what
// MarshalClaims wrote before appendLicenseClaims, and its reference.
func reflectClaims(t *testing.T, l *License) []byte {
	t.Helper()
	b, err := reflectClaimsBytes(l)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func reflectClaimsBytes(l *License) ([]byte, error) {
	out := licenseOut{
		Iss: l.Issuer, Sub: l.Subject, Aud: audienceValue(l.Audience),
		Exp: unixPtr(l.Expiry), Nbf: unixPtr(l.NotBefore), Iat: l.IssuedAt.Unix(),
		Cti: l.ID, Tier: l.Tier, Scopes: l.Scopes, Versions: l.Versions,
		Limits: l.Limits, Rights: l.Rights, Bind: l.Bind,
		Grace: uint64(l.Grace / time.Second), Meta: l.Meta, Crit: l.Crit, Fallback: l.Fallback,
	}
	return encMode.Marshal(out)
}

// TestAppendLicenseClaims: the hand-written claims encoder gives the CBOR
// library's core deterministic bytes for random licenses: every optional
// claim present or absent, nil and empty lists and maps, map keys of
// lengths around the head sizes (23, 24, 255, 256 bytes) and of equal
// length, negative and far times, long texts, non-ASCII text, grace of
// zero, whole and fractional seconds.
func TestAppendLicenseClaims(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 4))
	str := func() string {
		lens := []int{0, 1, 3, 4, 23, 24, 25, 255, 256, 300}
		n := lens[rng.IntN(len(lens))]
		var sb strings.Builder
		for i := 0; i < n; i++ {
			sb.WriteByte(byte('a' + rng.IntN(3)))
		}
		if rng.IntN(5) == 0 {
			sb.WriteString("é日")
		}
		return sb.String()
	}
	strs := func() []string {
		switch rng.IntN(4) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, rng.IntN(30)+1)
		for i := range out {
			out[i] = str()
		}
		return out
	}
	smap := func() map[string]string {
		if rng.IntN(3) == 0 {
			return nil
		}
		m := map[string]string{}
		for i := rng.IntN(20); i > 0; i-- {
			m[str()] = str()
		}
		return m
	}
	when := func() time.Time {
		switch rng.IntN(5) {
		case 0:
			return time.Time{}
		case 1:
			return time.Unix(-rng.Int64N(1<<40), 0)
		case 2:
			return time.Unix(rng.Int64N(253402300799), int64(rng.IntN(1e9)))
		}
		return time.Unix(rng.Int64N(1<<33), 0)
	}
	for i := 0; i < 3000; i++ {
		l := &License{
			Issuer: str(), Subject: str(), Audience: strs(), Expiry: when(), NotBefore: when(), IssuedAt: when(),
			Tier: str(), Scopes: strs(), Rights: strs(), Crit: strs(), Bind: smap(), Meta: smap(),
			Grace:    time.Duration(rng.Int64N(1<<50)) * []time.Duration{0, 1, time.Second}[rng.IntN(3)],
			Fallback: rng.IntN(2) == 0,
		}
		if rng.IntN(2) == 0 {
			l.Versions = str()
		}
		switch rng.IntN(3) {
		case 0:
			l.ID = bytes.Repeat([]byte{byte(i)}, IDSize)
		case 1:
			l.ID = []byte{}
		}
		if rng.IntN(2) == 0 {
			l.Limits = map[string]uint64{}
			for j := rng.IntN(20); j > 0; j-- {
				l.Limits[str()] = rng.Uint64() >> rng.IntN(64)
			}
		}
		want := reflectClaims(t, l)
		got := appendLicenseClaims(nil, l)
		if !bytes.Equal(got, want) {
			t.Fatalf("license %d: %+v\n got %x\nwant %x", i, l, got, want)
		}
		if m, err := l.MarshalClaims(); err != nil || !bytes.Equal(m, want) {
			t.Fatalf("license %d: MarshalClaims differs (%v)", i, err)
		}
	}
}

// FuzzAppendLicenseClaims: for every claims set that decodes, the
// hand-written encoder and the CBOR library agree on its encoding.
func FuzzAppendLicenseClaims(f *testing.F) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	seed := &License{Issuer: "acme", Subject: "s", Audience: []string{"a", "b"}, IssuedAt: now, Expiry: now.Add(time.Hour),
		ID: bytes.Repeat([]byte{1}, IDSize), Tier: "pro", Scopes: []string{"x:*"}, Limits: map[string]uint64{"seats": 3, "n": 1},
		Bind: map[string]string{"host": "h"}, Meta: map[string]string{"k": "v", "kk": ""}, Grace: time.Hour, Versions: ">= 1", Fallback: true}
	b, err := reflectClaimsBytes(seed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, payload []byte) {
		l, err := DecodeLicense(payload)
		if err != nil {
			return
		}
		if got, want := appendLicenseClaims(nil, l), reflectClaims(t, l); !bytes.Equal(got, want) {
			t.Fatalf("claims %x:\n got %x\nwant %x", payload, got, want)
		}
	})
}

// TestPlainTextsSkipsNothing: when plainTexts lets Validate skip the
// unprintable check, that check would have found nothing; and Validate
// still names a control or format character in each of the fields it
// covers.
func TestPlainTextsSkipsNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 12))
	pieces := []string{"a", "Z", " ", "~", "-", "\x00", "\x1f", "\x7f", "\t", "\n", "é", "\u202e", "\u200d", "\u2028", "\u2029", "\u0085", "日"}
	str := func() string {
		var sb strings.Builder
		for i := rng.IntN(4); i > 0; i-- {
			sb.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return sb.String()
	}
	for i := 0; i < 5000; i++ {
		l := &License{Issuer: str(), Subject: str(), Tier: str(), Audience: []string{str(), str()}, Rights: []string{str()},
			Bind: map[string]string{str(): str()}, Limits: map[string]uint64{str(): 1}}
		texts := map[string][]string{"issuer": {l.Issuer}, "subject": {l.Subject}, "product": l.Audience, "tier": {l.Tier}, "right": l.Rights}
		for k, v := range l.Bind {
			texts["binding"] = append(texts["binding"], k, v)
		}
		for k := range l.Limits {
			texts["limit name"] = append(texts["limit name"], k)
		}
		if l.plainTexts() && len(unprintable(texts)) > 0 {
			t.Fatalf("plainTexts skips problems %q", unprintable(texts))
		}
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, mod := range []func(*License){
		func(l *License) { l.Issuer = "ac\x07me" },
		func(l *License) { l.Subject = "cust\u202eomer" },
		func(l *License) { l.Tier = "pro\n" },
		func(l *License) { l.Audience = []string{"ok", "wid\x7fget"} },
		func(l *License) { l.Rights = []string{"em\u200dbed"} },
		func(l *License) { l.Bind = map[string]string{"host": "h\u2028"} },
		func(l *License) { l.Limits = map[string]uint64{"se\x00ats": 1} },
	} {
		l := &License{Issuer: "acme", Subject: "s", Audience: []string{"widget"}, IssuedAt: now,
			ID: bytes.Repeat([]byte{1}, IDSize), Tier: "pro"}
		if err := l.Validate(); err != nil {
			t.Fatal(err)
		}
		mod(l)
		if err := l.Validate(); err == nil || !strings.Contains(err.Error(), "control or format character") {
			t.Errorf("%+v: Validate says %v", l, err)
		}
	}
}

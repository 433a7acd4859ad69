package verify_test

// The adversarial suite: hostile inputs, grouped by what they attack, each
// asserting the exact code of FORMAT section 8 (read with the
// implementation notes of docs/FORMAT.md section 9). Inputs that attack the
// claims are signed by the trusted vendor key, so that they get past the
// signature check and reach the strict claims decoding of step 6.
//
// Every table is listed in advTables; TestAdversarialCount keeps the suite
// from silently shrinking and TestAdversarialNoPanic runs every input
// through every parser that takes untrusted bytes.

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// advCase is one hostile (or boundary) input and the outcome it must get.
type advCase struct {
	name string
	in   []byte
	// want is the code Verify must return; "" means the input verifies.
	want verify.Code
	// at is the verifier's clock; zero means now.
	at time.Time
	// opts are appended to the default test verifier's options.
	opts []verify.Option
	// ks is the trusted key set; nil means the vendor key alone.
	ks *verify.KeySet
	// inGrace is the expected grace flag of a license that verifies.
	inGrace bool
	// scopes are the scopes the caller requires.
	scopes []string
}

// advTable is a named group of cases.
type advTable struct {
	name  string
	cases func(t *testing.T) []advCase
}

// advTables lists every table of the suite.
var advTables = []advTable{
	{"cbor", advCBORCases},
	{"forms", advFormCases},
	{"envelope", advEnvelopeCases},
	{"claims", advClaimsCases},
	{"grant", advGrantCases},
	{"time", advTimeCases},
	{"semantic", advSemanticCases},
}

func TestAdversarialCBOR(t *testing.T)     { runAdv(t, advCBORCases(t)) }
func TestAdversarialForms(t *testing.T)    { runAdv(t, advFormCases(t)) }
func TestAdversarialEnvelope(t *testing.T) { runAdv(t, advEnvelopeCases(t)) }
func TestAdversarialClaims(t *testing.T)   { runAdv(t, advClaimsCases(t)) }
func TestAdversarialGrant(t *testing.T)    { runAdv(t, advGrantCases(t)) }
func TestAdversarialTime(t *testing.T)     { runAdv(t, advTimeCases(t)) }
func TestAdversarialSemantic(t *testing.T) { runAdv(t, advSemanticCases(t)) }

// runAdv verifies every case and checks its outcome: the exact code
// (CodeOf, errors.Is with the sentinel and with every other code, errors.As),
// or a verified license with the expected grace flag.
func runAdv(t *testing.T, cases []advCase) {
	t.Helper()
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			l, err := advVerifier(t, tc).Verify(tc.in, tc.scopes...)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Verify: %v\ninput %s", err, advHexOf(tc.in))
				}
				if l == nil {
					t.Fatal("Verify returned no license and no error")
				}
				if l.InGrace != tc.inGrace {
					t.Fatalf("in grace %v, want %v", l.InGrace, tc.inGrace)
				}
				return
			}
			if err == nil {
				t.Fatalf("the input verifies; want %s\ninput %s", tc.want, advHexOf(tc.in))
			}
			if l != nil {
				t.Fatal("a rejected input must not return a license")
			}
			if got := verify.CodeOf(err); got != tc.want {
				t.Fatalf("code %q, want %s\ninput %s\nerror: %v", got, tc.want, advHexOf(tc.in), err)
			}
			if !errors.Is(err, sentinels[tc.want]) {
				t.Fatalf("errors.Is(%v, the sentinel of %s) = false", err, tc.want)
			}
			requireCode(t, err, tc.want)
		})
	}
}

func advVerifier(t *testing.T, tc advCase) *verify.Verifier {
	t.Helper()
	ks := tc.ks
	if ks == nil {
		ks = keyset(t)
	}
	at := tc.at
	if at.IsZero() {
		at = now
	}
	opts := append([]verify.Option{verify.WithClock(func() time.Time { return at })}, tc.opts...)
	return verifier(t, ks, opts...)
}

// advHexOf returns the input in hex for failure messages (long inputs are
// cut: the report needs them only to reproduce).
func advHexOf(in []byte) string {
	if len(in) > 600 {
		return hex.EncodeToString(in[:600]) + "..."
	}
	return hex.EncodeToString(in)
}

// --- building hostile CBOR by hand ---

// advDrop, as a value, removes a claim.
type advDropT struct{}

var advDrop = advDropT{}

// advEnc encodes v with the issuers' deterministic encoding; a
// cbor.RawMessage is used as it is.
func advEnc(v any) []byte {
	if r, ok := v.(cbor.RawMessage); ok {
		return r
	}
	b, err := token.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// advHead encodes a CBOR head with a definite argument (shortest form).
func advHead(major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return []byte{m | byte(n)}
	case n <= 0xff:
		return []byte{m | 24, byte(n)}
	case n <= 0xffff:
		return []byte{m | 25, byte(n >> 8), byte(n)}
	case n <= 0xffffffff:
		return []byte{m | 26, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return []byte{m | 27, byte(n >> 56), byte(n >> 48), byte(n >> 40), byte(n >> 32),
		byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

// advMap encodes a definite-length map from alternating keys and values,
// in the order given, duplicates included.
func advMap(kv ...any) []byte {
	b := advHead(5, uint64(len(kv)/2))
	for _, x := range kv {
		b = append(b, advEnc(x)...)
	}
	return b
}

// advIndefMap is advMap with an indefinite-length head.
func advIndefMap(kv ...any) []byte {
	b := []byte{0xbf}
	for _, x := range kv {
		b = append(b, advEnc(x)...)
	}
	return append(b, 0xff)
}

// advCat concatenates byte slices into a new one.
func advCat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// advHex decodes hex, ignoring spaces.
func advHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// advRaw is advHex as a raw CBOR item, for use as a map value.
func advRaw(s string) cbor.RawMessage { return cbor.RawMessage(advHex(s)) }

// advSet returns pairs with each key of kv set to its value: replaced in
// place, appended when absent, removed when the value is advDrop.
func advSet(pairs []any, kv ...any) []any {
	out := append([]any(nil), pairs...)
	for i := 0; i+1 < len(kv); i += 2 {
		k, v := kv[i], kv[i+1]
		found := false
		for j := 0; j+1 < len(out); j += 2 {
			if out[j] == k {
				found = true
				if v == advDrop {
					out = append(out[:j], out[j+2:]...)
				} else {
					out[j+1] = v
				}
				break
			}
		}
		if !found && v != advDrop {
			out = append(out, k, v)
		}
	}
	return out
}

// advLicensePairs is the claims set of license() without the optional
// claims: what the hand-built payloads start from.
func advLicensePairs() []any {
	return []any{
		1, "acme", 2, "customer-1", 3, "widget",
		4, now.Add(30 * 24 * time.Hour).Unix(), 6, now.Add(-24 * time.Hour).Unix(),
		7, bytes.Repeat([]byte{1}, 16), "tier", "pro",
	}
}

// advClaims is the base license claims with kv applied (see advSet).
func advClaims(kv ...any) []byte { return advMap(advSet(advLicensePairs(), kv...)...) }

// advGrantPairs is the claims set of a grant from the vendor to the
// partner that covers partnerLicense().
func advGrantPairs() []any {
	return []any{
		1, "acme", 2, "reseller", 3, "widget",
		4, now.Add(365 * 24 * time.Hour).Unix(), 6, now.Add(-48 * time.Hour).Unix(),
		7, bytes.Repeat([]byte{9}, 16),
		8, cbor.RawMessage(advCOSEKeyCnf(1, 1, -1, 6, -2, []byte(pub(partner)))),
		"tiers", []string{"basic", "pro"}, "scopes", []string{"api:*", "reports:*"},
		"limits", map[string]uint64{"seats": 50}, "rights", []string{"embed"},
	}
}

// advCOSEKeyCnf is a cnf claim {1: COSE_Key} with the COSE_Key's pairs as
// given.
func advCOSEKeyCnf(kv ...any) []byte { return advMap(1, cbor.RawMessage(advMap(kv...))) }

// advGrantClaims is the base grant claims with kv applied.
func advGrantClaims(kv ...any) []byte { return advMap(advSet(advGrantPairs(), kv...)...) }

func advMust(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// advLicense signs a hand-built license payload with the vendor key, under
// the standard protected header.
func advLicense(payload []byte) []byte {
	return advMust(token.Sign(vendor, token.TypeLicense, payload))
}

// advUnderGrant is partnerLicense() signed by the partner under a grant
// whose claims are grantPayload, signed by the vendor.
func advUnderGrant(grantPayload []byte) []byte {
	g := advMust(token.Sign(vendor, token.TypeGrant, grantPayload))
	return advMust(token.SignLicense(partner, partnerLicense(), g))
}

// advSigned builds a COSE_Sign1 over arbitrary protected header bytes and
// payload bytes, with a valid signature by signer.
func advSigned(signer ed25519.PrivateKey, protected, payload []byte) []byte {
	m := &token.Message{Protected: protected, Payload: payload}
	return assemble(protected, payload, ed25519.Sign(signer, m.AppendToBeSigned(nil)))
}

// advGoodPayload is the payload of license(), which verifies.
func advGoodPayload() []byte { return advMust(license().MarshalClaims()) }

// advWithHeader signs license()'s claims by the vendor under the given
// protected header bytes.
func advWithHeader(protected []byte) []byte {
	return advSigned(vendor, protected, advGoodPayload())
}

// advHdr is the standard protected header of the vendor (alg, kid, typ)
// with kv applied, as pairs.
func advHdrPairs(kv ...any) []any {
	return advSet([]any{1, -8, 4, token.KeyID(pub(vendor)), 16, token.TypeLicense}, kv...)
}

// advHdr encodes advHdrPairs.
func advHdr(kv ...any) []byte { return advMap(advHdrPairs(kv...)...) }

// advEnvelope assembles a COSE_Sign1 from raw items: protected and payload
// and signature are wrapped in byte strings, unprotected is used as is.
func advEnvelope(protected, unprotected, payload, sig []byte) []byte {
	return advCat([]byte{0xd2, 0x84}, advEnc(protected), unprotected, advEnc(payload), advEnc(sig))
}

// advNested is a value nested depth arrays deep around 0.
func advNested(depth int) cbor.RawMessage {
	return cbor.RawMessage(append(bytes.Repeat([]byte{0x81}, depth), 0x00))
}

// advText encodes a text string head and the bytes as they are (no UTF-8
// check), for invalid UTF-8.
func advText(b []byte) cbor.RawMessage {
	return cbor.RawMessage(advCat(advHead(3, uint64(len(b))), b))
}

// --- the tables ---

// advCBORCases attack the CBOR layer: duplicate keys, indefinite lengths,
// huge declared lengths, nesting, tags, UTF-8, trailing bytes, floats and
// out-of-range integers, at every level.
func advCBORCases(t *testing.T) []advCase {
	vkid := token.KeyID(pub(vendor))
	kidItem := advCat([]byte{0x48}, vkid)
	typItem := advEnc(token.TypeLicense)
	good := mint(t, vendor, license(), nil)
	goodMsg, err := token.ParseMessage(good)
	if err != nil {
		t.Fatalf("ParseMessage of a minted license: %v", err)
	}
	payload := goodMsg.Payload
	sig := goodMsg.Signature
	protected := goodMsg.Protected

	// A grant whose protected header repeats alg, embedded in a partner
	// license.
	dupGrantHdr := advCat(advHex("a4 01 27 01 27"), kidItem, []byte{0x10}, advEnc(token.TypeGrant))
	dupGrant := advSigned(vendor, dupGrantHdr, advGrantClaims())
	partnerHdr := func(grant []byte) []byte {
		return advMap(1, -8, 4, token.KeyID(pub(partner)), 13, cbor.RawMessage(grant), 16, token.TypeLicense)
	}
	partnerPayload := advMust(partnerLicense().MarshalClaims())

	exp := now.Add(30 * 24 * time.Hour).Unix()
	scopes := advEnc([]string{"api:read"})
	return []advCase{
		// Duplicate map keys, every level.
		{name: "dup/protected alg -8 then -7", in: advWithHeader(advCat(advHex("a4 01 27 01 26 04"), kidItem, []byte{0x10}, typItem)), want: verify.CodeMalformed},
		{name: "dup/protected typ license then grant", in: advWithHeader(advMap(append(advHdrPairs(), 16, token.TypeGrant)...)), want: verify.CodeMalformed},
		{name: "dup/protected kid vendor then other", in: advWithHeader(advMap(append(advHdrPairs(), 4, token.KeyID(pub(other)))...)), want: verify.CodeMalformed},
		{name: "dup/protected unknown label", in: advWithHeader(advMap(append(advHdrPairs(), 99, 1, 99, 2)...)), want: verify.CodeMalformed},
		{name: "dup/protected same label in longer encoding", in: advWithHeader(advCat(advHex("a4 01 27 18 01 27 04"), kidItem, []byte{0x10}, typItem)), want: verify.CodeMalformed},
		{name: "dup/claims tier pro then enterprise", in: advLicense(advMap(append(advLicensePairs(), "tier", "enterprise")...)), want: verify.CodeMalformed},
		{name: "dup/claims exp extended", in: advLicense(advMap(append(advLicensePairs(), 4, exp+365*24*3600)...)), want: verify.CodeMalformed},
		{name: "dup/claims iss same value", in: advLicense(advMap(append(advLicensePairs(), 1, "acme")...)), want: verify.CodeMalformed},
		{name: "dup/claims same key in longer encoding", in: advLicense(advMap(append(advLicensePairs(), advRaw("18 04"), exp+1)...)), want: verify.CodeMalformed},
		{name: "dup/claims unknown claim", in: advLicense(advMap(append(advLicensePairs(), "x-ext", 1, "x-ext", 2)...)), want: verify.CodeMalformed},
		{name: "dup/limits seats", in: advLicense(advClaims("limits", advRaw("a2 65 7365617473 01 65 7365617473 18 64"))), want: verify.CodeMalformed},
		{name: "dup/bind host", in: advLicense(advClaims("bind", cbor.RawMessage(advMap("host", "h1", "host", "h2")))), want: verify.CodeMalformed},
		{name: "dup/meta order", in: advLicense(advClaims("meta", cbor.RawMessage(advMap("order", "1", "order", "2")))), want: verify.CodeMalformed},
		{name: "dup/grant claims sub", in: advUnderGrant(advMap(append(advGrantPairs(), 2, "reseller")...)), want: verify.CodeGrantInvalid},
		{name: "dup/grant claims tiers widened", in: advUnderGrant(advMap(append(advGrantPairs(), "tiers", []string{"*"})...)), want: verify.CodeGrantInvalid},
		{name: "dup/grant limits seats", in: advUnderGrant(advGrantClaims("limits", cbor.RawMessage(advMap("seats", 50, "seats", 5000)))), want: verify.CodeGrantInvalid},
		{name: "dup/cnf key x", in: advUnderGrant(advGrantClaims(8, cbor.RawMessage(advCOSEKeyCnf(1, 1, -1, 6, -2, []byte(pub(partner)), -2, []byte(pub(rogue)))))), want: verify.CodeGrantInvalid},
		{name: "dup/cnf label 1", in: advUnderGrant(advGrantClaims(8, cbor.RawMessage(advMap(
			1, cbor.RawMessage(advMap(1, 1, -1, 6, -2, []byte(pub(partner)))),
			1, cbor.RawMessage(advMap(1, 1, -1, 6, -2, []byte(pub(rogue)))))))), want: verify.CodeGrantInvalid},
		{name: "dup/embedded grant protected header", in: advSigned(partner, partnerHdr(dupGrant), partnerPayload), want: verify.CodeMalformed},

		// Indefinite lengths, each place.
		{name: "indef/envelope array", in: advCat([]byte{0xd2, 0x9f}, good[2:], []byte{0xff}), want: verify.CodeMalformed},
		{name: "indef/protected bstr chunks", in: advCat([]byte{0xd2, 0x84, 0x5f}, advEnc(protected), []byte{0xff, 0xa0}, advEnc(payload), advEnc(sig)), want: verify.CodeMalformed},
		{name: "indef/protected map", in: advWithHeader(advIndefMap(advHdrPairs()...)), want: verify.CodeMalformed},
		{name: "indef/payload bstr chunks", in: advCat([]byte{0xd2, 0x84}, advEnc(protected), []byte{0xa0, 0x5f}, advEnc(payload), []byte{0xff}, advEnc(sig)), want: verify.CodeMalformed},
		{name: "indef/signature bstr chunks", in: advCat([]byte{0xd2, 0x84}, advEnc(protected), []byte{0xa0}, advEnc(payload), []byte{0x5f}, advEnc(sig[:32]), advEnc(sig[32:]), []byte{0xff}), want: verify.CodeMalformed},
		{name: "indef/unprotected map", in: advCat([]byte{0xd2, 0x84}, advEnc(protected), []byte{0xbf, 0xff}, advEnc(payload), advEnc(sig)), want: verify.CodeMalformed},
		{name: "indef/claims map", in: advLicense(advIndefMap(advLicensePairs()...)), want: verify.CodeMalformed},
		{name: "indef/text tier", in: advLicense(advClaims("tier", advRaw("7f 62 7072 61 6f ff"))), want: verify.CodeMalformed},
		{name: "indef/bstr cti", in: advLicense(advClaims(7, cbor.RawMessage(advCat([]byte{0x5f}, advEnc(bytes.Repeat([]byte{1}, 8)), advEnc(bytes.Repeat([]byte{1}, 8)), []byte{0xff})))), want: verify.CodeMalformed},
		{name: "indef/array scopes", in: advLicense(advClaims("scopes", advRaw("9f 68 6170693a72656164 ff"))), want: verify.CodeMalformed},
		{name: "indef/map limits", in: advLicense(advClaims("limits", advRaw("bf 65 7365617473 0a ff"))), want: verify.CodeMalformed},
		{name: "indef/array aud", in: advLicense(advClaims(3, advRaw("9f 66 776964676574 ff"))), want: verify.CodeMalformed},
		{name: "indef/grant claims map", in: advUnderGrant(advIndefMap(advGrantPairs()...)), want: verify.CodeGrantInvalid},

		// Declared lengths far beyond the input.
		{name: "huge/protected bstr 2^32-1", in: advCat([]byte{0xd2, 0x84, 0x5a, 0xff, 0xff, 0xff, 0xff}, protected), want: verify.CodeMalformed},
		{name: "huge/protected bstr 2^63", in: advCat([]byte{0xd2, 0x84}, advHead(2, 1<<63), protected), want: verify.CodeMalformed},
		{name: "huge/payload bstr 2^64-1", in: advCat([]byte{0xd2, 0x84}, advEnc(protected), []byte{0xa0}, advHead(2, math.MaxUint64), payload), want: verify.CodeMalformed},
		{name: "huge/signature bstr 2^32", in: advCat([]byte{0xd2, 0x84}, advEnc(protected), []byte{0xa0}, advEnc(payload), advHead(2, 1<<32), sig), want: verify.CodeMalformed},
		{name: "huge/envelope array 2^63 items", in: advCat([]byte{0xd2}, advHead(4, 1<<63), good[2:]), want: verify.CodeMalformed},
		{name: "huge/unprotected map 2^32 pairs", in: advCat([]byte{0xd2, 0x84}, advEnc(protected), advHead(5, 1<<32), advEnc(payload), advEnc(sig)), want: verify.CodeMalformed},
		{name: "huge/protected map 2^32 pairs", in: advWithHeader(advCat(advHead(5, 1<<32), advEnc(advHdrPairs()[0]))), want: verify.CodeMalformed},
		{name: "huge/header label array 2^63 items", in: advWithHeader(advMap(append(advHdrPairs(), 99, cbor.RawMessage(advCat(advHead(4, 1<<63), []byte{0})))...)), want: verify.CodeMalformed},
		{name: "huge/claims map 2^63 pairs", in: advLicense(advCat(advHead(5, 1<<63), advEnc(1), advEnc("acme"))), want: verify.CodeMalformed},
		{name: "huge/tier text 2^32", in: advLicense(advClaims("tier", cbor.RawMessage(advCat(advHead(3, 1<<32), []byte("pro"))))), want: verify.CodeMalformed},
		{name: "huge/scopes array 2^63", in: advLicense(advClaims("scopes", cbor.RawMessage(advCat(advHead(4, 1<<63), advEnc("api:read"))))), want: verify.CodeMalformed},
		{name: "huge/cti bstr 2^32", in: advLicense(advClaims(7, cbor.RawMessage(advCat(advHead(2, 1<<32), bytes.Repeat([]byte{1}, 16))))), want: verify.CodeMalformed},
		{name: "huge/scopes 1025 items", in: advLicense(advClaims("scopes", advManyScopes(token.MaxArrayItems+1))), want: verify.CodeMalformed},
		{name: "huge/scopes 1024 items accepted", in: advLicense(advClaims("scopes", advManyScopes(token.MaxArrayItems))), want: ""},
		{name: "huge/meta 257 pairs", in: advLicense(advClaims("meta", advManyPairs(token.MaxMapPairs+1))), want: verify.CodeMalformed},
		{name: "huge/meta 256 pairs accepted", in: advLicense(advClaims("meta", advManyPairs(token.MaxMapPairs))), want: ""},

		// Nesting. The claims map is level 1, so a claim value may nest
		// 15 more levels.
		{name: "nest/claim at the limit accepted", in: advLicense(advClaims("x-deep", advNested(token.MaxNesting-1))), want: ""},
		{name: "nest/claim one past the limit", in: advLicense(advClaims("x-deep", advNested(token.MaxNesting))), want: verify.CodeMalformed},
		{name: "nest/claim far past the limit", in: advLicense(advClaims("x-deep", advNested(4000))), want: verify.CodeMalformed},
		{name: "nest/maps past the limit", in: advLicense(advClaims("x-deep", cbor.RawMessage(advCat(bytes.Repeat([]byte{0xa1, 0x00}, 20), []byte{0x00})))), want: verify.CodeMalformed},
		{name: "nest/header label past the limit", in: advWithHeader(advMap(append(advHdrPairs(), 99, advNested(100))...)), want: verify.CodeMalformed},

		// Tags other than the envelope's 18 and an embedded grant's 18.
		{name: "tag/epoch tag on iat", in: advLicense(advClaims(6, cbor.RawMessage(advCat([]byte{0xc1}, advEnc(now.Add(-time.Hour).Unix()))))), want: verify.CodeMalformed},
		{name: "tag/bignum exp", in: advLicense(advClaims(4, advRaw("c2 48 0100000000000000"))), want: verify.CodeMalformed},
		{name: "tag/18 around a claim", in: advLicense(advClaims("x-ext", cbor.RawMessage(good))), want: verify.CodeMalformed},
		{name: "tag/uri on scope", in: advLicense(advClaims("scopes", advRaw("81 d8 20 68 6170693a72656164"))), want: verify.CodeMalformed},
		{name: "tag/on alg value", in: advWithHeader(advMap(advHdrPairs(1, advRaw("d8 64 27"))...)), want: verify.CodeMalformed},
		{name: "tag/on typ value", in: advWithHeader(advMap(advHdrPairs(16, cbor.RawMessage(advCat([]byte{0xd8, 0x20}, typItem)))...)), want: verify.CodeMalformed},
		{name: "tag/on kid value", in: advWithHeader(advMap(advHdrPairs(4, cbor.RawMessage(advCat([]byte{0xd8, 0x40}, kidItem)))...)), want: verify.CodeMalformed},
		{name: "tag/18 at an unknown header label", in: advWithHeader(advMap(append(advHdrPairs(), 99, cbor.RawMessage(signGrant(t, vendor, grantFor())))...)), want: verify.CodeMalformed},
		{name: "tag/self-described 55799 before envelope", in: advCat([]byte{0xd9, 0xd9, 0xf7}, good), want: verify.CodeMalformed},
		{name: "tag/1 on protected map", in: advWithHeader(advCat([]byte{0xc1}, advHdr())), want: verify.CodeMalformed},
		{name: "tag/on header label key", in: advWithHeader(advMap(append(advHdrPairs(), advRaw("c1 18 63"), 1)...)), want: verify.CodeMalformed},
		{name: "tag/self-described 55799 on claims", in: advLicense(advCat([]byte{0xd9, 0xd9, 0xf7}, advClaims())), want: verify.CodeMalformed},
		{name: "tag/18 twice", in: advCat([]byte{0xd2}, good), want: verify.CodeMalformed},
		{name: "tag/CWT 61 around COSE_Sign1", in: advCat([]byte{0xd8, 0x3d}, good), want: verify.CodeMalformed},
		{name: "tag/18 on payload", in: advCat([]byte{0xd2, 0x84}, advEnc(protected), []byte{0xa0, 0xd2}, advEnc(payload), advEnc(sig)), want: verify.CodeMalformed},
		{name: "tag/17 on embedded grant", in: advSigned(partner, partnerHdr(advCat([]byte{0xd1}, signGrant(t, vendor, grantFor())[1:])), partnerPayload), want: verify.CodeMalformed},
		{name: "tag/embedded grant untagged", in: advSigned(partner, partnerHdr(signGrant(t, vendor, grantFor())[1:]), partnerPayload), want: verify.CodeMalformed},
		// Issue 9 item 17: a broken embedded envelope is malformed, not grant_invalid.
		{name: "embedded grant envelope/3 items", in: advSigned(partner, partnerHdr(advCat([]byte{0xd2, 0x83}, signGrant(t, vendor, grantFor())[2:])), partnerPayload), want: verify.CodeMalformed},
		{name: "embedded grant envelope/trailing byte", in: advSigned(partner, partnerHdr(advCat(signGrant(t, vendor, grantFor()), []byte{0x00})), partnerPayload), want: verify.CodeMalformed},
		{name: "embedded grant envelope/truncated signature", in: advSigned(partner, partnerHdr(func() []byte { g := signGrant(t, vendor, grantFor()); return g[:len(g)-1] }()), partnerPayload), want: verify.CodeMalformed},
		{name: "tag/in embedded grant claims", in: advUnderGrant(advGrantClaims(4, cbor.RawMessage(advCat([]byte{0xc1}, advEnc(now.Add(365*24*time.Hour).Unix()))))), want: verify.CodeGrantInvalid},

		// Invalid UTF-8.
		{name: "utf8/sub", in: advLicense(advClaims(2, advText([]byte{0xff, 0xfe}))), want: verify.CodeMalformed},
		{name: "utf8/surrogate in scope", in: advLicense(advClaims("scopes", cbor.RawMessage(advCat([]byte{0x81}, advText([]byte{'a', ':', 0xed, 0xa0, 0x80}))))), want: verify.CodeMalformed},
		{name: "utf8/overlong in aud", in: advLicense(advClaims(3, advText([]byte{0xc1, 0xb7}))), want: verify.CodeMalformed},
		{name: "utf8/header typ", in: advWithHeader(advMap(advHdrPairs(16, advText([]byte("application/licet-license+cwt\xff")))...)), want: verify.CodeMalformed},
		{name: "utf8/unknown claim name", in: advLicense(advMap(append(advLicensePairs(), advText([]byte{'x', 0xff}), 1)...)), want: verify.CodeMalformed},
		{name: "utf8/limits key", in: advLicense(advClaims("limits", cbor.RawMessage(advMap(advText([]byte{0xfe}), 1)))), want: verify.CodeMalformed},
		{name: "utf8/bind value", in: advLicense(advClaims("bind", cbor.RawMessage(advMap("host", advText([]byte{'h', 0x80}))))), want: verify.CodeMalformed},
		{name: "utf8/header text label", in: advWithHeader(advMap(append(advHdrPairs(), advText([]byte{0xff}), 1)...)), want: verify.CodeMalformed},

		// Trailing bytes.
		{name: "trailing/after envelope", in: advCat(good, []byte{0x00}), want: verify.CodeMalformed},
		{name: "trailing/second envelope", in: advCat(good, good), want: verify.CodeMalformed},
		{name: "trailing/inside protected", in: advWithHeader(advCat(advHdr(), []byte{0x00})), want: verify.CodeMalformed},
		{name: "trailing/inside payload", in: advLicense(advCat(advClaims(), []byte{0xa0})), want: verify.CodeMalformed},
		{name: "trailing/inside grant payload", in: advUnderGrant(advCat(advGrantClaims(), []byte{0x00})), want: verify.CodeGrantInvalid},

		// Floats where integers belong.
		{name: "float/exp integral float64", in: advLicense(advClaims(4, float64(exp))), want: verify.CodeMalformed},
		{name: "float/iat float16 zero", in: advLicense(advClaims(6, advRaw("f9 0000"))), want: verify.CodeMalformed},
		{name: "float/nbf float32", in: advLicense(advClaims(5, float32(1e9))), want: verify.CodeMalformed},
		{name: "float/limits value", in: advLicense(advClaims("limits", map[string]float64{"seats": 10})), want: verify.CodeMalformed},
		{name: "float/grace", in: advLicense(advClaims("grace", 86400.0)), want: verify.CodeMalformed},
		{name: "float/alg -8.0", in: advWithHeader(advMap(advHdrPairs(1, -8.0)...)), want: verify.CodeUnsupportedAlg},
		{name: "float/exp infinity", in: advLicense(advClaims(4, math.Inf(1))), want: verify.CodeMalformed},
		{name: "float/exp NaN", in: advLicense(advClaims(4, advRaw("f9 7e00"))), want: verify.CodeMalformed},

		// Integers out of range.
		{name: "int/iat before year 1", in: advLicense(advClaims(6, int64(-62135596800))), want: verify.CodeMalformed},
		{name: "int/iat first second of year 1", in: advLicense(advClaims(6, int64(-62135596799))), want: ""},
		{name: "int/exp after year 9999", in: advLicense(advClaims(4, int64(253402300800))), want: verify.CodeMalformed},
		{name: "int/exp last second of year 9999", in: advLicense(advClaims(4, int64(253402300799))), want: ""},
		{name: "int/exp 2^64-1", in: advLicense(advClaims(4, uint64(math.MaxUint64))), want: verify.CodeMalformed},
		{name: "int/nbf -2^64", in: advLicense(advClaims(5, advRaw("3b ffffffffffffffff"))), want: verify.CodeMalformed},
		{name: "int/exp -2^63", in: advLicense(advClaims(4, int64(math.MinInt64))), want: verify.CodeMalformed},
		{name: "int/grace 2^64-1", in: advLicense(advClaims("grace", uint64(math.MaxUint64))), want: verify.CodeMalformed},
		{name: "int/grace one past max", in: advLicense(advClaims("grace", uint64(math.MaxInt64/int64(time.Second))+1)), want: verify.CodeMalformed},
		{name: "int/limits seats -1", in: advLicense(advClaims("limits", map[string]int64{"seats": -1})), want: verify.CodeMalformed},

		// Simple values.
		{name: "simple/null exp", in: advLicense(advClaims(4, advRaw("f6"))), want: verify.CodeMalformed},
		{name: "simple/undefined nbf", in: advLicense(advClaims(5, advRaw("f7"))), want: verify.CodeMalformed},
		{name: "simple/true tier", in: advLicense(advClaims("tier", true)), want: verify.CodeMalformed},
		{name: "simple/null in scopes", in: advLicense(advClaims("scopes", advRaw("82 68 6170693a72656164 f6"))), want: verify.CodeMalformed},
		{name: "simple/null header typ", in: advWithHeader(advMap(advHdrPairs(16, advRaw("f6"))...)), want: verify.CodeMalformed},
		{name: "simple/reserved two-byte simple", in: advLicense(advClaims("x-ext", advRaw("f8 10"))), want: verify.CodeMalformed},
		{name: "simple/break outside indefinite", in: advLicense(advClaims("x-ext", advRaw("ff"))), want: verify.CodeMalformed},
		{name: "simple/reserved additional info 28", in: advLicense(advClaims("x-ext", advRaw("1c"))), want: verify.CodeMalformed},
		{name: "simple/scopes bytes not text", in: advLicense(advClaims("scopes", [][]byte{[]byte("api:read")})), want: verify.CodeMalformed},
		{name: "simple/scopes as map", in: advLicense(advClaims("scopes", cbor.RawMessage(advCat([]byte{0xa1}, scopes, scopes)))), want: verify.CodeMalformed},
	}
}

// advManyScopes is an array of n distinct valid scopes.
func advManyScopes(n int) cbor.RawMessage {
	b := advHead(4, uint64(n))
	for i := 0; i < n; i++ {
		b = append(b, advEnc("s:"+hex.EncodeToString([]byte{byte(i >> 8), byte(i)}))...)
	}
	return b
}

// advManyPairs is a text-to-text map of n distinct pairs.
func advManyPairs(n int) cbor.RawMessage {
	b := advHead(5, uint64(n))
	for i := 0; i < n; i++ {
		b = append(b, advEnc("k"+hex.EncodeToString([]byte{byte(i >> 8), byte(i)}))...)
		b = append(b, advEnc("v")...)
	}
	return b
}

// advFormCases attack the three text forms: empty input, white space and
// line breaks, prefixes, base64 variants, PEM variants.
func advFormCases(t *testing.T) []advCase {
	raw := mint(t, vendor, license(), nil)
	text, err := token.EncodeText(raw, "")
	if err != nil {
		t.Fatalf("EncodeText of a minted license: %v", err)
	}
	body := strings.TrimPrefix(text, "licet1.")
	pemForm := string(token.EncodePEM(raw, token.PEMLicense, nil))
	pemLines := strings.Split(strings.TrimSuffix(pemForm, "\n"), "\n")
	if len(pemLines) <= 3 {
		t.Fatalf("the license's PEM form has %d lines, want more than 3", len(pemLines))
	}
	if pemStray(pemLines) == "" {
		t.Fatal("the license's PEM body must end in padding for the stray-bits case")
	}
	if pemStray(pemLines) == pemForm {
		t.Fatal("pemStray left the PEM form unchanged")
	}

	// A base64url body whose last character carries non-zero low bits
	// that decoding would drop: not canonical.
	if len(raw)%3 == 0 {
		t.Fatalf("the license must not be a multiple of 3 bytes for the stray-bits case; it has %d", len(raw))
	}
	last := body[len(body)-1]
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	stray := body[:len(body)-1] + string(alphabet[strings.IndexByte(alphabet, last)|1])

	return []advCase{
		{name: "empty/nil", in: nil, want: verify.CodeMalformed},
		{name: "empty/zero bytes", in: []byte{}, want: verify.CodeMalformed},
		{name: "empty/white space only", in: []byte(" \t\r\n \n"), want: verify.CodeMalformed},
		{name: "empty/prefix only", in: []byte("licet1."), want: verify.CodeMalformed},
		{name: "empty/pem without body", in: []byte("-----BEGIN LICET LICENSE-----\n-----END LICET LICENSE-----\n"), want: verify.CodeMalformed},
		{name: "empty/tag byte only", in: []byte{0xd2}, want: verify.CodeMalformed},
		{name: "empty/tag and array head only", in: []byte{0xd2, 0x84}, want: verify.CodeMalformed},
		{name: "empty/NUL byte", in: []byte{0x00}, want: verify.CodeMalformed},

		{name: "text/leading and trailing spaces", in: []byte("  " + text + "  "), want: ""},
		{name: "text/leading tab trailing LF", in: []byte("\t" + text + "\n"), want: ""},
		{name: "text/trailing CRLF", in: []byte(text + "\r\n"), want: ""},
		{name: "text/surrounded by blank lines", in: []byte("\n\n" + text + "\n\n"), want: ""},
		{name: "text/branded prefix", in: []byte("acme-2." + body), want: ""},
		{name: "text/32-char prefix", in: []byte(strings.Repeat("p", 32) + "." + body), want: ""},
		{name: "text/inner LF", in: []byte(text[:30] + "\n" + text[30:]), want: verify.CodeMalformed},
		{name: "text/inner CRLF", in: []byte(text[:30] + "\r\n" + text[30:]), want: verify.CodeMalformed},
		{name: "text/inner CR", in: []byte(text[:30] + "\r" + text[30:]), want: verify.CodeMalformed},
		{name: "text/wrapped at 64 columns", in: []byte(text[:64] + "\n" + text[64:128] + "\n" + text[128:]), want: verify.CodeMalformed},
		{name: "text/inner space", in: []byte(text[:30] + " " + text[30:]), want: verify.CodeMalformed},
		{name: "text/inner tab", in: []byte(text[:30] + "\t" + text[30:]), want: verify.CodeMalformed},
		{name: "text/line break after prefix", in: []byte("licet1.\n" + body), want: verify.CodeMalformed},
		{name: "text/byte order mark", in: []byte("\ufeff" + text), want: verify.CodeMalformed},
		{name: "text/trailing NUL", in: []byte(text + "\x00"), want: verify.CodeMalformed},
		{name: "text/padded", in: []byte(text + strings.Repeat("=", (4-len(body)%4)%4)), want: verify.CodeMalformed},
		{name: "text/standard alphabet", in: []byte("licet1." + strings.NewReplacer("-", "+", "_", "/").Replace(body) + "+"), want: verify.CodeMalformed},
		{name: "text/stray low bits", in: []byte("licet1." + stray), want: verify.CodeMalformed},
		{name: "text/prefix with dot", in: []byte("licet.1." + body), want: verify.CodeMalformed},
		{name: "text/prefix upper case", in: []byte("Licet1." + body), want: verify.CodeMalformed},
		{name: "text/prefix 33 chars", in: []byte(strings.Repeat("p", 33) + "." + body), want: verify.CodeMalformed},
		{name: "text/prefix underscore", in: []byte("li_cet." + body), want: verify.CodeMalformed},
		{name: "text/body truncated by one char", in: []byte(text[:len(text)-1]), want: verify.CodeMalformed},
		{name: "text/white space past size limit", in: []byte(strings.Repeat(" ", token.MaxTokenSize) + text), want: verify.CodeMalformed},

		// Issue 9 item 15: ASCII white space around every form is ignored,
		// nothing else; Unicode spaces are not white space here.
		{name: "raw/trailing newline", in: advCat(raw, []byte("\n")), want: ""},
		{name: "raw/leading space", in: advCat([]byte(" "), raw), want: ""},
		{name: "raw/surrounding CRLF and tabs", in: advCat([]byte("\r\n\t"), raw, []byte("\r\n\t ")), want: ""},
		{name: "raw/trailing NUL", in: advCat(raw, []byte{0}), want: verify.CodeMalformed},
		{name: "raw/trailing newline then a byte", in: advCat(raw, []byte("\nx")), want: verify.CodeMalformed},
		{name: "raw/trailing NBSP", in: advCat(raw, []byte("\u00a0")), want: verify.CodeMalformed},
		{name: "text/leading NBSP", in: []byte("\u00a0" + text), want: verify.CodeMalformed},
		{name: "text/leading NEL", in: []byte("\u0085" + text), want: verify.CodeMalformed},
		{name: "text/trailing NBSP", in: []byte(text + "\u00a0"), want: verify.CodeMalformed},
		{name: "pem/leading NBSP", in: []byte("\u00a0" + pemForm), want: verify.CodeMalformed},
		{name: "pem/broken block before the real one", in: []byte("-----BEGIN LICET LICENSE-----\n!!!!\n-----END LICET LICENSE-----\n" + pemForm), want: verify.CodeMalformed},
		{name: "pem/grant block type on a license", in: token.EncodePEM(raw, token.PEMGrant, nil), want: verify.CodeMalformed},
		{name: "pem/revocations block type on a license", in: token.EncodePEM(raw, token.PEMRevocations, nil), want: verify.CodeMalformed},
		{name: "pem/stray low bits", in: []byte(pemStray(pemLines)), want: verify.CodeMalformed},
		{name: "pem/76-column lines", in: []byte(pemRewrap(pemLines, 76)), want: verify.CodeMalformed},
		{name: "pem/text before the block", in: []byte("Here is your license:\n" + pemForm), want: verify.CodeMalformed},

		{name: "pem/CRLF", in: []byte(strings.ReplaceAll(pemForm, "\n", "\r\n")), want: ""},
		{name: "pem/surrounding white space", in: []byte("\n \t\n" + pemForm + "\n\n  "), want: ""},
		{name: "pem/informational headers", in: token.EncodePEM(raw, token.PEMLicense, map[string]string{"Issuer": "evil", "Expires": "never"}), want: ""},
		{name: "pem/END type differs", in: []byte(strings.Replace(pemForm, "END LICET LICENSE", "END LICET GRANT", 1)), want: verify.CodeMalformed},
		{name: "pem/not a licet block", in: []byte(strings.ReplaceAll(pemForm, "LICET LICENSE", "PUBLIC KEY")), want: verify.CodeMalformed},
		{name: "pem/second block after", in: []byte(pemForm + pemForm), want: verify.CodeMalformed},
		{name: "pem/text after", in: []byte(pemForm + "licet1." + body), want: verify.CodeMalformed},
		{name: "pem/missing END", in: []byte(strings.Join(pemLines[:len(pemLines)-1], "\n") + "\n"), want: verify.CodeMalformed},
		{name: "pem/bad base64", in: []byte(strings.Replace(pemForm, pemLines[1][:4], "!!!!", 1)), want: verify.CodeMalformed},
		{name: "pem/body line dropped", in: []byte(strings.Join(append([]string{pemLines[0]}, pemLines[2:]...), "\n") + "\n"), want: verify.CodeMalformed},
		{name: "pem/text token inside", in: []byte("-----BEGIN LICET LICENSE-----\n" + text + "\n-----END LICET LICENSE-----\n"), want: verify.CodeMalformed},
	}
}

// pemStray changes the last base64 character of a PEM body so that the
// padding bits are not zero: the same bytes, a non-canonical encoding.
func pemStray(lines []string) string {
	out := append([]string(nil), lines...)
	for i := len(out) - 1; i > 0; i-- {
		l := strings.TrimRight(out[i], "=")
		if strings.HasPrefix(out[i], "-----") || l == "" {
			continue
		}
		if len(l) == len(out[i]) {
			return "" // no padding, no stray bits possible: the case is skipped by being empty
		}
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		c := strings.IndexByte(alphabet, l[len(l)-1])
		out[i] = l[:len(l)-1] + string(alphabet[c|1]) + out[i][len(l):]
		break
	}
	return strings.Join(out, "\n") + "\n"
}

// pemRewrap re-wraps a PEM body at width columns.
func pemRewrap(lines []string, width int) string {
	body := strings.Join(lines[1:len(lines)-1], "")
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for len(body) > width {
		b.WriteString(body[:width] + "\n")
		body = body[width:]
	}
	b.WriteString(body + "\n" + lines[len(lines)-1] + "\n")
	return b.String()
}

// advEnvelopeCases attack the COSE_Sign1 envelope and the protected
// header: structure, unprotected smuggling, algorithm, type, key id, crit,
// and signatures that do not match their key.
func advEnvelopeCases(t *testing.T) []advCase {
	good := mint(t, vendor, license(), nil)
	gm, err := token.ParseMessage(good)
	if err != nil {
		t.Fatalf("ParseMessage: %v", err)
	}
	protected, payload, sig := gm.Protected, gm.Payload, gm.Signature
	vkid := token.KeyID(pub(vendor))
	okid := token.KeyID(pub(other))
	both := keyset(t, verify.Key{PublicKey: pub(vendor), Issuer: "acme"}, verify.Key{PublicKey: pub(other), Issuer: "acme"})
	grant := signGrant(t, vendor, grantFor())
	otherPayload := advMust(license(func(l *token.License) { l.Tier = "enterprise" }).MarshalClaims())
	zeroSig := make([]byte, 64)

	return []advCase{
		// Structure.
		{name: "structure/untagged", in: good[1:], want: verify.CodeMalformed},
		{name: "structure/tag 17 COSE_Mac0", in: advCat([]byte{0xd1}, good[1:]), want: verify.CodeMalformed},
		{name: "structure/tag 98 COSE_Sign", in: advCat([]byte{0xd8, 0x62}, good[1:]), want: verify.CodeMalformed},
		{name: "structure/tag 18 in two-byte form", in: advCat([]byte{0xd8, 0x12}, good[1:]), want: verify.CodeMalformed},
		{name: "structure/3-element array", in: advCat([]byte{0xd2, 0x83}, advEnc(protected), []byte{0xa0}, advEnc(payload)), want: verify.CodeMalformed},
		{name: "structure/5-element array", in: advCat([]byte{0xd2, 0x85}, good[2:], advEnc([]byte{})), want: verify.CodeMalformed},
		{name: "structure/map instead of array", in: advCat([]byte{0xd2, 0xa2}, advEnc(protected), []byte{0xa0}, advEnc(payload), advEnc(sig)), want: verify.CodeMalformed},
		{name: "structure/truncated signature", in: good[:len(good)-1], want: verify.CodeMalformed},
		{name: "structure/protected as text", in: advCat([]byte{0xd2, 0x84}, advText(protected), []byte{0xa0}, advEnc(payload), advEnc(sig)), want: verify.CodeMalformed},
		{name: "structure/protected as map, not bstr", in: advCat([]byte{0xd2, 0x84}, protected, []byte{0xa0}, advEnc(payload), advEnc(sig)), want: verify.CodeMalformed},
		{name: "structure/empty protected", in: advSigned(vendor, []byte{}, payload), want: verify.CodeUnsupportedAlg},
		{name: "structure/protected not a map", in: advWithHeader(advEnc([]any{1, -8})), want: verify.CodeMalformed},

		// Unprotected header smuggling: it is not signed.
		{name: "unprotected/kid", in: advEnvelope(protected, advMap(4, vkid), payload, sig), want: verify.CodeMalformed},
		{name: "unprotected/typ", in: advEnvelope(protected, advMap(16, token.TypeLicense), payload, sig), want: verify.CodeMalformed},
		{name: "unprotected/alg", in: advEnvelope(protected, advMap(1, -8), payload, sig), want: verify.CodeMalformed},
		{name: "unprotected/grant at 13", in: advEnvelope(protected, advMap(13, cbor.RawMessage(grant)), payload, sig), want: verify.CodeMalformed},
		{name: "unprotected/counter signature 11", in: advEnvelope(protected, advMap(11, zeroSig), payload, sig), want: verify.CodeMalformed},
		{name: "unprotected/array", in: advEnvelope(protected, []byte{0x80}, payload, sig), want: verify.CodeMalformed},
		{name: "unprotected/empty bstr", in: advEnvelope(protected, []byte{0x40}, payload, sig), want: verify.CodeMalformed},
		{name: "unprotected/null", in: advEnvelope(protected, []byte{0xf6}, payload, sig), want: verify.CodeMalformed},

		// Payload and signature.
		{name: "payload/nil (detached)", in: advCat([]byte{0xd2, 0x84}, advEnc(protected), []byte{0xa0, 0xf6}, advEnc(sig)), want: verify.CodeMalformed},
		{name: "payload/text", in: advCat([]byte{0xd2, 0x84}, advEnc(protected), []byte{0xa0}, advText(payload), advEnc(sig)), want: verify.CodeMalformed},
		{name: "payload/claims map not wrapped", in: advCat([]byte{0xd2, 0x84}, advEnc(protected), []byte{0xa0}, payload, advEnc(sig)), want: verify.CodeMalformed},
		{name: "payload/empty, signed", in: advLicense(nil), want: verify.CodeMalformed},
		{name: "signature/63 bytes", in: advEnvelope(protected, []byte{0xa0}, payload, sig[:63]), want: verify.CodeMalformed},
		{name: "signature/65 bytes", in: advEnvelope(protected, []byte{0xa0}, payload, append(append([]byte{}, sig...), 0)), want: verify.CodeMalformed},
		{name: "signature/empty", in: advEnvelope(protected, []byte{0xa0}, payload, []byte{}), want: verify.CodeMalformed},
		{name: "signature/text", in: advCat([]byte{0xd2, 0x84}, advEnc(protected), []byte{0xa0}, advEnc(payload), advText(sig)), want: verify.CodeMalformed},
		{name: "signature/null", in: advCat([]byte{0xd2, 0x84}, advEnc(protected), []byte{0xa0}, advEnc(payload), []byte{0xf6}), want: verify.CodeMalformed},
		{name: "signature/all zero", in: advEnvelope(protected, []byte{0xa0}, payload, zeroSig), want: verify.CodeBadSignature},
		{name: "signature/S plus group order", in: advEnvelope(protected, []byte{0xa0}, payload, advMalleable(sig)), want: verify.CodeBadSignature},
		{name: "signature/of another payload", in: advEnvelope(protected, []byte{0xa0}, otherPayload, sig), want: verify.CodeBadSignature},
		{name: "signature/protected of another header", in: advEnvelope(advHdr(99, "x"), []byte{0xa0}, payload, sig), want: verify.CodeBadSignature},

		// crit.
		{name: "crit/unknown label", in: advWithHeader(advHdr(2, []any{99})), want: verify.CodeMalformed},
		{name: "crit/unknown text label", in: advWithHeader(advMap(append(advHdrPairs(2, []any{"x-ext"}), "x-ext", 1)...)), want: verify.CodeMalformed},
		{name: "crit/known and unknown", in: advWithHeader(advMap(append(advHdrPairs(2, []any{1, 99}), 99, 0)...)), want: verify.CodeMalformed},
		{name: "crit/names crit", in: advWithHeader(advHdr(2, []any{2})), want: verify.CodeMalformed},
		{name: "crit/not an array", in: advWithHeader(advHdr(2, 1)), want: verify.CodeMalformed},
		{name: "crit/empty array", in: advWithHeader(advHdr(2, []any{})), want: verify.CodeMalformed},
		{name: "crit/label as bytes", in: advWithHeader(advHdr(2, []any{[]byte{1}})), want: verify.CodeMalformed},
		{name: "crit/known labels accepted", in: advWithHeader(advHdr(2, []any{1, 4, 16})), want: ""},

		// Algorithms.
		{name: "alg/ES256 -7", in: advWithHeader(advHdr(1, -7)), want: verify.CodeUnsupportedAlg},
		{name: "alg/ES384 -35", in: advWithHeader(advHdr(1, -35)), want: verify.CodeUnsupportedAlg},
		{name: "alg/ES512 -36", in: advWithHeader(advHdr(1, -36)), want: verify.CodeUnsupportedAlg},
		{name: "alg/PS256 -37", in: advWithHeader(advHdr(1, -37)), want: verify.CodeUnsupportedAlg},
		{name: "alg/reserved 0", in: advWithHeader(advHdr(1, 0)), want: verify.CodeUnsupportedAlg},
		{name: "alg/HMAC 5", in: advWithHeader(advHdr(1, 5)), want: verify.CodeUnsupportedAlg},
		{name: "alg/huge positive", in: advWithHeader(advHdr(1, uint64(math.MaxUint64))), want: verify.CodeUnsupportedAlg},
		{name: "alg/huge negative", in: advWithHeader(advHdr(1, advRaw("3b ffffffffffffffff"))), want: verify.CodeUnsupportedAlg},
		{name: "alg/-8 plus 2^32", in: advWithHeader(advHdr(1, int64(-8)-(1<<32))), want: verify.CodeUnsupportedAlg},
		{name: "alg/text EdDSA", in: advWithHeader(advHdr(1, "EdDSA")), want: verify.CodeUnsupportedAlg},
		{name: "alg/bytes", in: advWithHeader(advHdr(1, []byte{0x27})), want: verify.CodeUnsupportedAlg},
		{name: "alg/array of -8", in: advWithHeader(advHdr(1, []any{-8})), want: verify.CodeUnsupportedAlg},
		{name: "alg/missing", in: advWithHeader(advHdr(1, advDrop)), want: verify.CodeUnsupportedAlg},
		{name: "alg/Ed25519 -19 accepted", in: advWithHeader(advHdr(1, -19)), want: ""},
		{name: "alg/unsupported before unknown key", in: advSigned(rogue, advMap(1, -7, 4, token.KeyID(pub(rogue)), 16, token.TypeLicense), payload), want: verify.CodeUnsupportedAlg},

		// Type.
		{name: "typ/missing", in: advWithHeader(advHdr(16, advDrop)), want: verify.CodeWrongType},
		{name: "typ/content format integer", in: advWithHeader(advHdr(16, 61)), want: verify.CodeWrongType},
		{name: "typ/grant", in: advWithHeader(advHdr(16, token.TypeGrant)), want: verify.CodeWrongType},
		{name: "typ/revocations", in: advWithHeader(advHdr(16, token.TypeRevocations)), want: verify.CodeWrongType},
		{name: "typ/upper case", in: advWithHeader(advHdr(16, strings.ToUpper(token.TypeLicense))), want: verify.CodeWrongType},
		{name: "typ/trailing space", in: advWithHeader(advHdr(16, token.TypeLicense+" ")), want: verify.CodeWrongType},
		{name: "typ/trailing NUL", in: advWithHeader(advHdr(16, token.TypeLicense+"\x00")), want: verify.CodeWrongType},
		{name: "typ/bytes", in: advWithHeader(advHdr(16, []byte(token.TypeLicense))), want: verify.CodeWrongType},
		{name: "typ/wrong type before unknown key", in: advSigned(rogue, advMap(1, -8, 4, token.KeyID(pub(rogue)), 16, token.TypeGrant), payload), want: verify.CodeWrongType},
		{name: "typ/revocation list as license", in: signRevocations(t, vendor, &token.Revocations{Issuer: "acme", IssuedAt: now, NextUpdate: now.Add(time.Hour)}), want: verify.CodeWrongType},

		// Key id.
		{name: "kid/missing", in: advWithHeader(advHdr(4, advDrop)), want: verify.CodeMalformed},
		{name: "kid/7 bytes", in: advWithHeader(advHdr(4, vkid[:7])), want: verify.CodeMalformed},
		{name: "kid/9 bytes", in: advWithHeader(advHdr(4, append(append([]byte{}, vkid...), 0))), want: verify.CodeMalformed},
		{name: "kid/full 32-byte key", in: advWithHeader(advHdr(4, []byte(pub(vendor)))), want: verify.CodeMalformed},
		{name: "kid/text", in: advWithHeader(advHdr(4, hex.EncodeToString(vkid))), want: verify.CodeMalformed},
		{name: "kid/integer", in: advWithHeader(advHdr(4, 1)), want: verify.CodeMalformed},
		{name: "kid/of another trusted key", in: advWithHeader(advHdr(4, okid)), ks: both, want: verify.CodeBadSignature},
		{name: "kid/untrusted signer claims trusted kid", in: advSigned(rogue, advHdr(), payload), want: verify.CodeBadSignature},
		{name: "kid/untrusted key", in: mint(t, rogue, license(), nil), want: verify.CodeUnknownKey},
		{name: "kid/zero", in: advSigned(rogue, advHdr(4, make([]byte, 8)), payload), want: verify.CodeUnknownKey},
		{name: "kid/partner key is not a vendor key", in: mint(t, partner, partnerLicense(), nil), want: verify.CodeUnknownKey},
	}
}

// advMalleable returns sig with the group order L added to S: a second
// encoding of the same signature that RFC 8032 verifiers must refuse.
func advMalleable(sig []byte) []byte {
	// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
	l := advHex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	out := append([]byte{}, sig...)
	var carry uint16
	for i := 0; i < 32; i++ {
		s := uint16(out[32+i]) + uint16(l[i]) + carry
		out[32+i], carry = byte(s), s>>8
	}
	return out
}

// advClaimsCases attack the license claims, signed by the trusted key so
// that they reach step 6: required claims missing or mistyped, optional
// claims mistyped, crit, versions.
func advClaimsCases(t *testing.T) []advCase {
	return []advCase{
		{name: "baseline/hand-built claims verify", in: advLicense(advClaims()), want: ""},

		{name: "missing/iss", in: advLicense(advClaims(1, advDrop)), want: verify.CodeMalformed},
		{name: "missing/sub", in: advLicense(advClaims(2, advDrop)), want: verify.CodeMalformed},
		{name: "missing/aud", in: advLicense(advClaims(3, advDrop)), want: verify.CodeMalformed},
		{name: "missing/iat", in: advLicense(advClaims(6, advDrop)), want: verify.CodeMalformed},
		{name: "missing/cti", in: advLicense(advClaims(7, advDrop)), want: verify.CodeMalformed},
		{name: "missing/tier", in: advLicense(advClaims("tier", advDrop)), want: verify.CodeMalformed},
		{name: "missing/all claims", in: advLicense(advMap()), want: verify.CodeMalformed},
		{name: "missing/iss as text key", in: advLicense(advClaims(1, advDrop, "iss", "acme")), want: verify.CodeMalformed},
		{name: "missing/tier in another case", in: advLicense(advClaims("tier", advDrop, "Tier", "pro")), want: verify.CodeMalformed},

		{name: "type/iss integer", in: advLicense(advClaims(1, 7)), want: verify.CodeMalformed},
		{name: "type/iss bytes", in: advLicense(advClaims(1, []byte("acme"))), want: verify.CodeMalformed},
		{name: "type/sub array", in: advLicense(advClaims(2, []string{"customer-1"})), want: verify.CodeMalformed},
		{name: "type/aud integer", in: advLicense(advClaims(3, 1)), want: verify.CodeMalformed},
		{name: "type/aud map", in: advLicense(advClaims(3, map[string]string{"widget": "widget"})), want: verify.CodeMalformed},
		{name: "type/aud empty array", in: advLicense(advClaims(3, []string{})), want: verify.CodeMalformed},
		{name: "type/aud array with integer", in: advLicense(advClaims(3, []any{"widget", 1})), want: verify.CodeMalformed},
		{name: "type/iat text", in: advLicense(advClaims(6, "2026-05-31T12:00:00Z")), want: verify.CodeMalformed},
		{name: "type/iat bytes", in: advLicense(advClaims(6, []byte{1})), want: verify.CodeMalformed},
		{name: "type/cti 15 bytes", in: advLicense(advClaims(7, bytes.Repeat([]byte{1}, 15))), want: verify.CodeMalformed},
		{name: "type/cti 17 bytes", in: advLicense(advClaims(7, bytes.Repeat([]byte{1}, 17))), want: verify.CodeMalformed},
		{name: "type/cti text", in: advLicense(advClaims(7, strings.Repeat("1", 16))), want: verify.CodeMalformed},
		{name: "type/cti empty", in: advLicense(advClaims(7, []byte{})), want: verify.CodeMalformed},
		{name: "type/tier integer", in: advLicense(advClaims("tier", 3)), want: verify.CodeMalformed},
		{name: "type/tier array", in: advLicense(advClaims("tier", []string{"pro"})), want: verify.CodeMalformed},

		{name: "optional/exp text", in: advLicense(advClaims(4, "never")), want: verify.CodeMalformed},
		{name: "optional/nbf bytes", in: advLicense(advClaims(5, []byte{0})), want: verify.CodeMalformed},
		{name: "optional/scopes text", in: advLicense(advClaims("scopes", "api:read")), want: verify.CodeMalformed},
		{name: "optional/scopes integers", in: advLicense(advClaims("scopes", []int{1})), want: verify.CodeMalformed},
		{name: "optional/scope empty", in: advLicense(advClaims("scopes", []string{"api:read", ""})), want: verify.CodeMalformed},
		{name: "optional/scope with space", in: advLicense(advClaims("scopes", []string{"api:read admin:*"})), want: verify.CodeMalformed},
		{name: "optional/scope with newline", in: advLicense(advClaims("scopes", []string{"api:read\nadmin"})), want: verify.CodeMalformed},
		{name: "optional/scope with no-break space", in: advLicense(advClaims("scopes", []string{"api:read\u00a0x"})), want: verify.CodeMalformed},
		{name: "optional/versions integer", in: advLicense(advClaims("versions", 3)), want: verify.CodeMalformed},
		{name: "optional/limits array", in: advLicense(advClaims("limits", []uint64{10})), want: verify.CodeMalformed},
		{name: "optional/limits text value", in: advLicense(advClaims("limits", map[string]string{"seats": "10"})), want: verify.CodeMalformed},
		{name: "optional/limits integer key", in: advLicense(advClaims("limits", map[int]uint64{1: 10})), want: verify.CodeMalformed},
		{name: "optional/limits value as bignum", in: advLicense(advClaims("limits", advRaw("a1 65 7365617473 c2 49 010000000000000000"))), want: verify.CodeMalformed},
		{name: "optional/rights text", in: advLicense(advClaims("rights", "embed")), want: verify.CodeMalformed},
		{name: "optional/rights integers", in: advLicense(advClaims("rights", []int{1})), want: verify.CodeMalformed},
		{name: "optional/bind integer value", in: advLicense(advClaims("bind", map[string]int{"host": 1})), want: verify.CodeMalformed},
		{name: "optional/bind array", in: advLicense(advClaims("bind", []string{"host", "h1"})), want: verify.CodeMalformed},
		{name: "optional/bind null value", in: advLicense(advClaims("bind", advRaw("a1 64 686f7374 f6"))), want: verify.CodeMalformed},
		{name: "optional/grace negative", in: advLicense(advClaims("grace", -1)), want: verify.CodeMalformed},
		{name: "optional/grace text", in: advLicense(advClaims("grace", "7d")), want: verify.CodeMalformed},
		{name: "optional/meta integer value", in: advLicense(advClaims("meta", map[string]int{"order": 1})), want: verify.CodeMalformed},
		{name: "optional/meta array", in: advLicense(advClaims("meta", []string{"order"})), want: verify.CodeMalformed},
		{name: "optional/crit text", in: advLicense(advClaims("crit", "bind")), want: verify.CodeMalformed},
		{name: "optional/crit empty", in: advLicense(advClaims("crit", []string{})), want: verify.CodeMalformed},
		{name: "optional/crit integers", in: advLicense(advClaims("crit", []int{4})), want: verify.CodeMalformed},

		{name: "crit/unknown claim listed", in: advLicense(advClaims("region", "eu", "crit", []string{"region"})), want: verify.CodeMalformed},
		{name: "crit/unknown claim listed but absent", in: advLicense(advClaims("crit", []string{"region"})), want: verify.CodeMalformed},
		{name: "crit/known and unknown", in: advLicense(advClaims("crit", []string{"bind", "x-region"})), want: verify.CodeMalformed},
		{name: "crit/claim name in another case", in: advLicense(advClaims("crit", []string{"Bind"})), want: verify.CodeMalformed},
		{name: "crit/known claims accepted", in: advLicense(advClaims("crit", []string{"exp", "tier"})), want: ""},
		{name: "crit/unknown claim unlisted is ignored", in: advLicense(advClaims("region", "eu")), want: ""},

		{name: "versions/not a constraint", in: advLicense(advClaims("versions", ">= banana")), want: verify.CodeMalformed},
		{name: "versions/empty", in: advLicense(advClaims("versions", "")), want: verify.CodeMalformed},
		{name: "versions/dangling operator", in: advLicense(advClaims("versions", "~>")), want: verify.CodeMalformed},
		{name: "versions/or operator", in: advLicense(advClaims("versions", ">= 1.0 || < 2.0")), want: verify.CodeMalformed},
		{name: "versions/unclosed", in: advLicense(advClaims("versions", ">= 2.0,")), want: verify.CodeMalformed},
		{name: "versions/very long", in: advLicense(advClaims("versions", strings.Repeat("9", 4000))), want: verify.CodeMalformed},

		{name: "payload/array", in: advLicense(advEnc([]string{"acme"})), want: verify.CodeMalformed},
		{name: "payload/integer", in: advLicense([]byte{0x01}), want: verify.CodeMalformed},
		{name: "payload/byte string of claims", in: advLicense(advEnc(advClaims())), want: verify.CodeMalformed},
		{name: "payload/claims as COSE_Sign1", in: advLicense(mint(t, vendor, license(), nil)), want: verify.CodeMalformed},
	}
}

// advGrantCases attack the grant chain: hostile grant claims signed by
// the vendor (each required claim missing or mistyped, a hostile cnf key),
// grants signed by the wrong key, and envelope attacks on the embedded
// grant.
func advGrantCases(t *testing.T) []advCase {
	pkid := token.KeyID(pub(partner))
	partnerPayload := advMust(partnerLicense().MarshalClaims())
	grantWithHeader := func(protected []byte) []byte {
		return advSigned(vendor, protected, advGrantClaims())
	}
	underRaw := func(grant []byte) []byte {
		return advSigned(partner, advMap(1, -8, 4, pkid, 13, cbor.RawMessage(grant), 16, token.TypeLicense), partnerPayload)
	}
	gHdr := func(kv ...any) []byte {
		return advMap(advSet([]any{1, -8, 4, token.KeyID(pub(vendor)), 16, token.TypeGrant}, kv...)...)
	}
	grant := advMust(token.Sign(vendor, token.TypeGrant, advGrantClaims()))
	gm, err := token.ParseMessage(grant)
	if err != nil {
		t.Fatalf("ParseMessage: %v", err)
	}

	return []advCase{
		{name: "baseline/hand-built grant verifies", in: advUnderGrant(advGrantClaims()), want: ""},

		{name: "claims/iss missing", in: advUnderGrant(advGrantClaims(1, advDrop)), want: verify.CodeGrantInvalid},
		{name: "claims/sub missing", in: advUnderGrant(advGrantClaims(2, advDrop)), want: verify.CodeGrantInvalid},
		{name: "claims/aud missing", in: advUnderGrant(advGrantClaims(3, advDrop)), want: verify.CodeGrantInvalid},
		{name: "claims/exp missing", in: advUnderGrant(advGrantClaims(4, advDrop)), want: verify.CodeGrantInvalid},
		{name: "claims/iat missing", in: advUnderGrant(advGrantClaims(6, advDrop)), want: verify.CodeGrantInvalid},
		{name: "claims/cti missing", in: advUnderGrant(advGrantClaims(7, advDrop)), want: verify.CodeGrantInvalid},
		{name: "claims/cnf missing", in: advUnderGrant(advGrantClaims(8, advDrop)), want: verify.CodeGrantInvalid},
		{name: "claims/tiers missing", in: advUnderGrant(advGrantClaims("tiers", advDrop)), want: verify.CodeGrantInvalid},
		{name: "claims/tiers empty", in: advUnderGrant(advGrantClaims("tiers", []string{})), want: verify.CodeGrantInvalid},
		{name: "claims/scopes missing", in: advUnderGrant(advGrantClaims("scopes", advDrop)), want: verify.CodeGrantInvalid},
		{name: "claims/scopes with space", in: advUnderGrant(advGrantClaims("scopes", []string{"api:* reports:*"})), want: verify.CodeGrantInvalid},
		{name: "claims/maxlife negative", in: advUnderGrant(advGrantClaims("maxlife", -1)), want: verify.CodeGrantInvalid},
		{name: "claims/versions unparsable", in: advUnderGrant(advGrantClaims("versions", "three")), want: verify.CodeGrantInvalid},
		{name: "claims/limits negative cap", in: advUnderGrant(advGrantClaims("limits", map[string]int{"seats": -1})), want: verify.CodeGrantInvalid},
		{name: "claims/exp after year 9999", in: advUnderGrant(advGrantClaims(4, int64(253402300800))), want: verify.CodeGrantInvalid},

		{name: "cnf/not a map", in: advUnderGrant(advGrantClaims(8, []byte(pub(partner)))), want: verify.CodeGrantInvalid},
		{name: "cnf/key at label 3 (kid form)", in: advUnderGrant(advGrantClaims(8, cbor.RawMessage(advMap(3, pkid)))), want: verify.CodeGrantInvalid},
		{name: "cnf/kty EC2", in: advUnderGrant(advGrantClaims(8, cbor.RawMessage(advCOSEKeyCnf(1, 2, -1, 6, -2, []byte(pub(partner)))))), want: verify.CodeGrantInvalid},
		{name: "cnf/crv X25519", in: advUnderGrant(advGrantClaims(8, cbor.RawMessage(advCOSEKeyCnf(1, 1, -1, 4, -2, []byte(pub(partner)))))), want: verify.CodeGrantInvalid},
		{name: "cnf/x 31 bytes", in: advUnderGrant(advGrantClaims(8, cbor.RawMessage(advCOSEKeyCnf(1, 1, -1, 6, -2, []byte(pub(partner))[:31])))), want: verify.CodeGrantInvalid},
		{name: "cnf/x missing", in: advUnderGrant(advGrantClaims(8, cbor.RawMessage(advCOSEKeyCnf(1, 1, -1, 6)))), want: verify.CodeGrantInvalid},
		{name: "cnf/x as text", in: advUnderGrant(advGrantClaims(8, cbor.RawMessage(advCOSEKeyCnf(1, 1, -1, 6, -2, hex.EncodeToString(pub(partner)))))), want: verify.CodeGrantInvalid},
		{name: "cnf/kty as text", in: advUnderGrant(advGrantClaims(8, cbor.RawMessage(advCOSEKeyCnf(1, "OKP", -1, 6, -2, []byte(pub(partner)))))), want: verify.CodeGrantInvalid},

		{name: "envelope/alg ES256", in: underRaw(grantWithHeader(gHdr(1, -7))), want: verify.CodeGrantInvalid},
		{name: "envelope/alg missing", in: underRaw(grantWithHeader(gHdr(1, advDrop))), want: verify.CodeGrantInvalid},
		{name: "envelope/typ missing", in: underRaw(grantWithHeader(gHdr(16, advDrop))), want: verify.CodeGrantInvalid},
		{name: "envelope/typ revocations", in: underRaw(grantWithHeader(gHdr(16, token.TypeRevocations))), want: verify.CodeGrantInvalid},
		{name: "envelope/kid missing", in: underRaw(grantWithHeader(gHdr(4, advDrop))), want: verify.CodeMalformed},
		{name: "envelope/crit unknown", in: underRaw(grantWithHeader(gHdr(2, []any{99}))), want: verify.CodeMalformed},
		{name: "envelope/unprotected kid", in: underRaw(advEnvelope(gm.Protected, advMap(4, pkid), gm.Payload, gm.Signature)), want: verify.CodeMalformed},
		{name: "envelope/63-byte signature", in: underRaw(advEnvelope(gm.Protected, []byte{0xa0}, gm.Payload, gm.Signature[:63])), want: verify.CodeMalformed},
		{name: "envelope/signature flipped", in: underRaw(advEnvelope(gm.Protected, []byte{0xa0}, gm.Payload, forge(gm.Signature))), want: verify.CodeGrantInvalid},
		{name: "envelope/grant as byte string", in: underRaw(advEnc(grant)), want: verify.CodeMalformed},
		{name: "envelope/grant self-signed by partner", in: underRaw(advSigned(partner, gHdr(4, pkid), advGrantClaims())), want: verify.CodeGrantInvalid},
		{name: "envelope/grant kid of vendor signed by partner", in: underRaw(advSigned(partner, gHdr(), advGrantClaims())), want: verify.CodeGrantInvalid},
		{name: "envelope/license signed by vendor carries grant", in: advMust(token.SignLicense(vendor, partnerLicense(), grant)), want: verify.CodeGrantViolation},
		{name: "envelope/grant payload swapped", in: underRaw(advEnvelope(gm.Protected, []byte{0xa0}, advGrantClaims("tiers", []string{"*"}), gm.Signature)), want: verify.CodeGrantInvalid},
	}
}

// advTimeCases extend TestTimeBoundaries: leeway zero and large, iat in
// the future, nbf against exp, grace at both ends, dates past 2038 and
// before 1970, the year 9999, perpetual licenses, and the grant window.
func advTimeCases(t *testing.T) []advCase {
	leeway := verify.DefaultLeeway
	zero := []verify.Option{verify.WithLeeway(0)}
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatalf("time.Parse: %v", err)
		}
		return tm
	}
	lic := func(mod func(l *token.License)) []byte { return mint(t, vendor, license(mod), nil) }
	exp := now
	week := 7 * 24 * time.Hour
	plain := lic(func(l *token.License) { l.Expiry = exp })
	graced := lic(func(l *token.License) { l.Expiry = exp; l.Grace = week })
	future := lic(func(l *token.License) { l.IssuedAt = now })
	nbfLater := lic(func(l *token.License) { l.NotBefore = now.Add(time.Hour) })
	nbfAfterExp := advLicense(advClaims(5, now.Add(time.Hour).Unix(), 4, now.Add(-time.Hour).Unix()))
	past2038 := lic(func(l *token.License) {
		l.IssuedAt = at("2038-01-01T00:00:00Z")
		l.Expiry = at("2038-01-19T03:14:08Z") // one second past 2^31-1
	})
	pre1970 := lic(func(l *token.License) {
		l.IssuedAt = at("1950-01-01T00:00:00Z")
		l.Expiry = at("1965-01-01T00:00:00Z")
	})
	perpetual := lic(func(l *token.License) { l.Expiry = time.Time{} })
	perpetualGrace := lic(func(l *token.License) { l.Expiry = time.Time{}; l.Grace = week })
	perpetualNbf := lic(func(l *token.License) { l.Expiry = time.Time{}; l.NotBefore = now.Add(24 * time.Hour) })
	maxGrace := advLicense(advClaims(4, int64(0), 6, int64(-3600), "grace", uint64(math.MaxInt64/int64(time.Second))))
	end9999 := advLicense(advClaims(4, int64(253402300799)))
	iatAfterExp := advLicense(advClaims(6, now.Add(-time.Hour).Unix(), 4, now.Add(-2*time.Hour).Unix()))

	gExp := now.Add(time.Hour)
	grantExp := signGrant(t, vendor, grantFor(func(g *token.Grant) { g.Expiry = gExp; g.MaxLife = nil }))
	underExp := mint(t, partner, partnerLicense(func(l *token.License) { l.IssuedAt = now.Add(-time.Hour); l.Expiry = gExp }), grantExp)
	grantNbf := signGrant(t, vendor, grantFor(func(g *token.Grant) { g.NotBefore = now; g.IssuedAt = now.Add(-time.Hour) }))
	underNbf := mint(t, partner, partnerLicense(func(l *token.License) { l.IssuedAt = now }), grantNbf)
	issuedAtGrantEnd := mint(t, partner, partnerLicense(func(l *token.License) { l.IssuedAt = gExp; l.Expiry = gExp }), grantExp)
	issuedAfterGrantEnd := advSigned(partner,
		advMap(1, -8, 4, token.KeyID(pub(partner)), 13, cbor.RawMessage(grantExp), 16, token.TypeLicense),
		advMust(partnerLicense(func(l *token.License) { l.IssuedAt = gExp.Add(time.Second); l.Expiry = gExp }).MarshalClaims()))

	return []advCase{
		{name: "exp/zero leeway exactly at exp", in: plain, at: exp, opts: zero},
		{name: "exp/zero leeway one second past", in: plain, at: exp.Add(time.Second), opts: zero, want: verify.CodeExpired},
		{name: "exp/one day leeway", in: plain, at: exp.Add(24 * time.Hour), opts: []verify.Option{verify.WithLeeway(24 * time.Hour)}},
		{name: "exp/huge leeway does not overflow", in: plain, at: exp.Add(100 * 365 * 24 * time.Hour), opts: []verify.Option{verify.WithLeeway(math.MaxInt64)}},
		{name: "exp/before iat, signed", in: iatAfterExp, want: verify.CodeExpired},
		{name: "iat/at now plus leeway", in: future, at: now.Add(-leeway)},
		{name: "iat/one second past leeway", in: future, at: now.Add(-leeway - time.Second), want: verify.CodeNotYetValid},
		{name: "iat/zero leeway one second early", in: future, at: now.Add(-time.Second), opts: zero, want: verify.CodeNotYetValid},
		{name: "nbf/zero leeway exactly at nbf", in: nbfLater, at: now.Add(time.Hour), opts: zero},
		{name: "nbf/zero leeway one second early", in: nbfLater, at: now.Add(time.Hour - time.Second), opts: zero, want: verify.CodeNotYetValid},
		{name: "nbf/after exp: not yet valid comes first", in: nbfAfterExp, want: verify.CodeNotYetValid},
		{name: "grace/zero leeway first second", in: graced, at: exp.Add(time.Second), opts: zero, inGrace: true},
		{name: "grace/zero leeway last second", in: graced, at: exp.Add(week), opts: zero, inGrace: true},
		{name: "grace/zero leeway one second after", in: graced, at: exp.Add(week + time.Second), opts: zero, want: verify.CodeExpired},
		{name: "grace/inside leeway is not grace", in: graced, at: exp.Add(leeway)},
		{name: "grace/max grace from 1970", in: maxGrace, at: now, inGrace: true},
		{name: "y2038/one second before exp", in: past2038, at: at("2038-01-19T03:14:07Z")},
		{name: "y2038/past exp and leeway", in: past2038, at: at("2038-01-19T03:19:09Z"), want: verify.CodeExpired},
		{name: "pre1970/inside window", in: pre1970, at: at("1960-06-01T00:00:00Z")},
		{name: "pre1970/expired before 1970", in: pre1970, want: verify.CodeExpired},
		{name: "pre1970/clock before iat", in: pre1970, at: at("1949-12-31T23:00:00Z"), want: verify.CodeNotYetValid},
		{name: "y9999/last second", in: end9999, at: at("9999-12-31T23:59:59Z")},
		{name: "clock/1970 epoch", in: plain, at: time.Unix(0, 0).UTC(), want: verify.CodeNotYetValid},
		{name: "perpetual/in year 9999", in: perpetual, at: at("9999-12-31T23:59:59Z")},
		{name: "perpetual/grace does not apply", in: perpetualGrace, at: at("3000-01-01T00:00:00Z")},
		{name: "perpetual/nbf still applies", in: perpetualNbf, want: verify.CodeNotYetValid},
		{name: "perpetual/iat still applies", in: perpetual, at: now.Add(-24*time.Hour - leeway - time.Second), want: verify.CodeNotYetValid},
		{name: "grant/exp plus leeway", in: underExp, at: gExp.Add(leeway)},
		{name: "grant/one second past exp plus leeway", in: underExp, at: gExp.Add(leeway + time.Second), want: verify.CodeGrantInvalid},
		{name: "grant/nbf minus leeway", in: underNbf, at: now.Add(-leeway)},
		{name: "grant/one second before nbf minus leeway", in: underNbf, at: now.Add(-leeway - time.Second), want: verify.CodeGrantInvalid},
		{name: "grant/license issued at grant exp", in: issuedAtGrantEnd, at: gExp},
		{name: "grant/license issued after grant exp", in: issuedAfterGrantEnd, at: gExp, want: verify.CodeGrantViolation},
	}
}

// advSemanticCases are well-formed, validly signed licenses whose claims
// come close to what the caller asks for without matching it: look-alike
// products, issuers, binding keys and values, and scopes. Matching is
// exact: byte for byte, case-sensitive, no trimming.
func advSemanticCases(t *testing.T) []advCase {
	lic := func(mod func(l *token.License)) []byte { return mint(t, vendor, license(mod), nil) }
	bound := func(bind map[string]string) []byte {
		return lic(func(l *token.License) { l.Bind = bind })
	}
	scoped := func(scopes ...string) []byte {
		return lic(func(l *token.License) { l.Scopes = scopes })
	}
	return []advCase{
		{name: "product/other case", in: lic(func(l *token.License) { l.Audience = []string{"Widget"} }), want: verify.CodeWrongProduct},
		{name: "product/trailing space", in: lic(func(l *token.License) { l.Audience = []string{"widget "} }), want: verify.CodeWrongProduct},
		{name: "product/trailing NUL", in: advLicense(advClaims(3, "widget\x00")), want: verify.CodeWrongProduct},
		{name: "product/prefix", in: lic(func(l *token.License) { l.Audience = []string{"widget-pro"} }), want: verify.CodeWrongProduct},
		{name: "product/wildcard is not special", in: lic(func(l *token.License) { l.Audience = []string{"*"} }), want: verify.CodeWrongProduct},
		{name: "product/empty among others", in: advLicense(advClaims(3, []string{"", "gadget"})), want: verify.CodeWrongProduct},
		{name: "product/cyrillic look-alike", in: lic(func(l *token.License) { l.Audience = []string{"widg\u0435t"} }), want: verify.CodeWrongProduct},
		{name: "issuer/other case", in: lic(func(l *token.License) { l.Issuer = "ACME" }), want: verify.CodeWrongIssuer},
		{name: "issuer/trailing space", in: lic(func(l *token.License) { l.Issuer = "acme " }), want: verify.CodeWrongIssuer},
		{name: "issuer/empty", in: advLicense(advClaims(1, "")), want: verify.CodeWrongIssuer},
		{name: "bind/key in other case", in: bound(map[string]string{"Host": "h1"}), want: verify.CodeBindingMismatch},
		{name: "bind/value in other case", in: bound(map[string]string{"host": "H1"}), want: verify.CodeBindingMismatch},
		{name: "bind/value with trailing space", in: bound(map[string]string{"host": "h1 "}), want: verify.CodeBindingMismatch},
		{name: "bind/empty value", in: bound(map[string]string{"host": ""}), want: verify.CodeBindingMismatch},
		{name: "bind/empty key", in: bound(map[string]string{"": ""}), want: verify.CodeBindingMismatch},
		{name: "bind/one of two entries wrong", in: bound(map[string]string{"host": "h1", "cluster": "c9"}), want: verify.CodeBindingMismatch},
		{name: "bind/empty map binds nothing", in: advLicense(advClaims("bind", map[string]string{})), want: ""},
		{name: "scope/pattern without colon", in: scoped("api*"), scopes: []string{"api:read"}, want: verify.CodeScopeMissing},
		{name: "scope/pattern does not cover its bare prefix", in: scoped("api:*"), scopes: []string{"api"}, want: verify.CodeScopeMissing},
		{name: "scope/pattern does not cover a longer area", in: scoped("api:*"), scopes: []string{"apiv2:read"}, want: verify.CodeScopeMissing},
		{name: "scope/required pattern never covered", in: scoped("*"), scopes: []string{"api:*"}, want: verify.CodeScopeMissing},
		{name: "scope/other case", in: scoped("api:read"), scopes: []string{"API:read"}, want: verify.CodeScopeMissing},
		{name: "scope/required empty", in: scoped("*"), scopes: []string{""}, want: verify.CodeScopeMissing},
		{name: "scope/star covers a deep scope", in: scoped("*"), scopes: []string{"api:admin:users"}, want: ""},
		{name: "version/prerelease of a covered version", in: lic(func(l *token.License) { l.Versions = ">= 3.1.0" }), opts: []verify.Option{verify.WithProductVersion("3.1.0-rc1")}, want: verify.CodeVersionNotCovered},
		{name: "version/constraint on another product version", in: lic(func(l *token.License) { l.Versions = "< 3.1.0" }), want: verify.CodeVersionNotCovered},
	}
}

// TestAdversarialRevokedReencoded: a revoked license stays revoked in every
// encoding that verifies: the three forms and branded prefixes. Envelope
// heads in longer forms would be further encodings of the same signed
// object (the signature covers the contents of the byte strings, not the
// envelope's encoding), so they are refused as malformed.
func TestAdversarialRevokedReencoded(t *testing.T) {
	ks := keyset(t)
	lic := license()
	raw := mint(t, vendor, lic, nil)
	m, err := token.ParseMessage(raw)
	if err != nil {
		t.Fatalf("ParseMessage: %v", err)
	}
	long := func(major byte, b []byte) []byte { // a byte string head in its 8-byte form
		n := uint64(len(b))
		return advCat([]byte{major<<5 | 27, 0, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, b)
	}
	longHeads := advCat([]byte{0xd8, 0x12, 0x98, 0x04}, long(2, m.Protected), []byte{0xb8, 0x00}, long(2, m.Payload), long(2, m.Signature))
	text, err := token.EncodeText(raw, "")
	if err != nil {
		t.Fatalf("EncodeText: %v", err)
	}
	branded, err := token.EncodeText(raw, "acme-licenses")
	if err != nil {
		t.Fatalf("EncodeText: %v", err)
	}
	list, err := verify.ParseRevocation(signRevocations(t, vendor, &token.Revocations{
		Issuer: "acme", IssuedAt: now.Add(-time.Hour), NextUpdate: now.Add(24 * time.Hour), Seq: 1, IDs: [][]byte{lic.ID},
	}), ks)
	if err != nil {
		t.Fatalf("ParseRevocation: %v", err)
	}
	plain := verifier(t, ks)
	revoking := verifier(t, ks, verify.WithRevocations(list))
	for name, in := range map[string][]byte{
		"raw":          raw,
		"text":         []byte(text),
		"branded text": []byte(branded),
		"pem":          token.EncodePEM(raw, token.PEMLicense, nil),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := plain.Verify(in)
			if err != nil {
				t.Fatalf("the re-encoded license must verify without the list: %v", err)
			}
			_, err = revoking.Verify(in)
			requireCode(t, err, verify.CodeRevoked)
		})
	}
	for name, in := range map[string][]byte{
		"long heads":       longHeads,
		"long heads, text": []byte(advCompact(longHeads)),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := plain.Verify(in)
			requireCode(t, err, verify.CodeMalformed)
		})
	}
}

// advCompact is the compact text form of raw with the default prefix.
func advCompact(raw []byte) string {
	s, err := token.EncodeText(raw, "")
	if err != nil {
		panic(err)
	}
	return s
}

// TestAdversarialCount keeps the suite from silently shrinking: at least
// 80 hostile inputs across the tables, every table non-empty, and most
// cases rejections.
func TestAdversarialCount(t *testing.T) {
	total, rejected := 0, 0
	codes := map[verify.Code]int{}
	for _, tb := range advTables {
		cases := tb.cases(t)
		if len(cases) == 0 {
			t.Fatalf("table %s has no cases", tb.name)
		}
		total += len(cases)
		for _, c := range cases {
			if c.want != "" {
				rejected++
				codes[c.want]++
			}
		}
		t.Logf("%-8s %3d cases", tb.name, len(cases))
	}
	revs := advRevCases(t)
	total += len(revs)
	for _, c := range revs {
		if c.want != "" {
			rejected++
			codes[c.want]++
		}
	}
	t.Logf("%-8s %3d cases", "revocations", len(revs))
	t.Logf("total %d cases, %d rejections, by code: %v", total, rejected, codes)
	if rejected < 80 {
		t.Fatalf("%d hostile inputs, want at least 80", rejected)
	}
	for _, c := range []verify.Code{
		verify.CodeMalformed, verify.CodeUnsupportedAlg, verify.CodeWrongType, verify.CodeUnknownKey,
		verify.CodeBadSignature, verify.CodeNotYetValid, verify.CodeExpired,
		verify.CodeGrantInvalid, verify.CodeGrantViolation, verify.CodeWrongIssuer,
	} {
		if codes[c] == 0 {
			t.Fatalf("no case expects %s", c)
		}
	}
}

// TestAdversarialNoPanic runs every input of every table through every
// entry point that takes untrusted bytes, under a recover check, and checks
// that the unverified parser never accepts what the verifier calls
// malformed (inspection must not show such an object as well formed).
func TestAdversarialNoPanic(t *testing.T) {
	ks := keyset(t)
	v := verifier(t, ks)
	for _, tb := range advTables {
		for _, tc := range tb.cases(t) {
			t.Run(tb.name+"/"+tc.name, func(t *testing.T) {
				advNoPanic(t, v, ks, tc.in)
				if tc.want == verify.CodeMalformed {
					_, err := token.ParseUnverified(tc.in)
					if !errors.Is(err, token.ErrMalformed) {
						t.Fatalf("ParseUnverified accepts what Verify calls malformed (error %v): %s", err, advHexOf(tc.in))
					}
				}
			})
		}
	}
}

// advNoPanic calls every parser on in and fails the test on a panic.
func advNoPanic(t *testing.T, v *verify.Verifier, ks *verify.KeySet, in []byte) {
	t.Helper()
	for name, f := range map[string]func(){
		"Verify":           func() { _, _ = v.Verify(in, "api:read") },
		"ParseUnverified":  func() { _, _ = token.ParseUnverified(in) },
		"ParseRevocations": func() { _, _ = verify.ParseRevocation(in, ks) },
		"Decode":           func() { _, _, _ = token.Decode(in) },
		"ParseMessage":     func() { _, _ = token.ParseMessage(in) },
		"DecodeLicense":    func() { _, _ = token.DecodeLicense(in) },
		"DecodeGrant":      func() { _, _ = token.DecodeGrant(in) },
		"DecodeRevs":       func() { _, _ = token.DecodeRevocations(in) },
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s panicked: %v\ninput %s", name, r, advHexOf(in))
				}
			}()
			f()
		}()
	}
}

// TestAdversarialPrefixes: every strict prefix of a valid object, in each
// form, is malformed (never a panic, never another code), for a plain
// license and one that embeds a grant.
func TestAdversarialPrefixes(t *testing.T) {
	ks := keyset(t)
	v := verifier(t, ks)
	plain := mint(t, vendor, license(), nil)
	chained := mint(t, partner, partnerLicense(), signGrant(t, vendor, grantFor()))
	for name, raw := range map[string][]byte{"plain": plain, "chained": chained} {
		text, err := token.EncodeText(raw, "")
		if err != nil {
			t.Fatalf("EncodeText: %v", err)
		}
		forms := map[string][]byte{
			"raw":  raw,
			"text": []byte(text),
			"pem":  token.EncodePEM(raw, token.PEMLicense, nil),
		}
		for form, in := range forms {
			_, err := v.Verify(in)
			if err != nil {
				t.Fatalf("%s %s: Verify of the whole input: %v", name, form, err)
			}
			for n := 0; n < len(in); n++ {
				cut := in[:n]
				// A PEM cut right after its END line's last dash is
				// complete except for the final newline, which is optional.
				if form == "pem" && n == len(in)-1 {
					continue
				}
				advNoPanic(t, v, ks, cut)
				_, err := v.Verify(cut)
				if got := verify.CodeOf(err); got != verify.CodeMalformed {
					t.Fatalf("%s %s cut at %d: code %q, want malformed; error: %v", name, form, n, got, err)
				}
			}
		}
	}
}

// TestAdversarialBitFlips: flipping any single bit of a valid license
// (raw form) makes verification fail with some code, never a panic and
// never success.
func TestAdversarialBitFlips(t *testing.T) {
	ks := keyset(t)
	v := verifier(t, ks)
	for name, raw := range map[string][]byte{
		"plain":   mint(t, vendor, license(), nil),
		"chained": mint(t, partner, partnerLicense(), signGrant(t, vendor, grantFor())),
	} {
		buf := make([]byte, len(raw))
		for i := 0; i < len(raw)*8; i++ {
			copy(buf, raw)
			buf[i/8] ^= 1 << (i % 8)
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("%s: Verify panicked with bit %d flipped: %v", name, i, r)
					}
				}()
				_, err = v.Verify(buf)
			}()
			if err == nil {
				t.Fatalf("%s: bit %d flipped still verifies", name, i)
			}
			if !slices.Contains(verify.Codes(), verify.CodeOf(err)) {
				t.Fatalf("%s bit %d: an error without a known code: %v", name, i, err)
			}
		}
	}
}

// advRevCase is a hostile revocation list and the code ParseRevocations
// must return.
type advRevCase struct {
	name string
	in   []byte
	want verify.Code
}

// advRevPairs is the claims of a valid revocation list.
func advRevPairs() []any {
	return []any{
		1, "acme", 4, now.Add(7 * 24 * time.Hour).Unix(), 6, now.Add(-time.Hour).Unix(),
		"seq", 7, "cti", [][]byte{bytes.Repeat([]byte{1}, 16)},
	}
}

func advRevCases(t *testing.T) []advRevCase {
	rev := func(kv ...any) []byte {
		return advMust(token.Sign(vendor, token.TypeRevocations, advMap(advSet(advRevPairs(), kv...)...)))
	}
	return []advRevCase{
		{"baseline/hand-built list parses", rev(), ""},
		{"missing/seq", rev("seq", advDrop), verify.CodeMalformed},
		{"missing/cti", rev("cti", advDrop), verify.CodeMalformed},
		{"missing/exp", rev(4, advDrop), verify.CodeMalformed},
		{"missing/iat", rev(6, advDrop), verify.CodeMalformed},
		{"missing/iss", rev(1, advDrop), verify.CodeMalformed},
		{"type/seq negative", rev("seq", -1), verify.CodeMalformed},
		{"type/seq float", rev("seq", 7.0), verify.CodeMalformed},
		{"type/cti entry 15 bytes", rev("cti", [][]byte{bytes.Repeat([]byte{1}, 15)}), verify.CodeMalformed},
		{"type/cti entry text", rev("cti", []string{strings.Repeat("1", 16)}), verify.CodeMalformed},
		{"type/cti not an array", rev("cti", bytes.Repeat([]byte{1}, 16)), verify.CodeMalformed},
		{"type/kid entry 7 bytes", rev("kid", [][]byte{make([]byte, 7)}), verify.CodeMalformed},
		{"dup/seq", advMust(token.Sign(vendor, token.TypeRevocations, advMap(append(advRevPairs(), "seq", 1_000_000)...))), verify.CodeMalformed},
		{"indef/cti array", rev("cti", advRaw("9f 50 01010101010101010101010101010101 ff")), verify.CodeMalformed},
		{"huge/cti array head 2^63", rev("cti", cbor.RawMessage(advCat(advHead(4, 1<<63), advEnc(bytes.Repeat([]byte{1}, 16))))), verify.CodeMalformed},
		{"typ/license as list", mint(t, vendor, license(), nil), verify.CodeWrongType},
		{"key/untrusted signer", advMust(token.Sign(rogue, token.TypeRevocations, advMap(advRevPairs()...))), verify.CodeUnknownKey},
		{"key/partner signer", advMust(token.Sign(partner, token.TypeRevocations, advMap(advRevPairs()...))), verify.CodeUnknownKey},
		{"alg/ES256", advSigned(vendor, advMap(1, -7, 4, token.KeyID(pub(vendor)), 16, token.TypeRevocations), advMap(advRevPairs()...)), verify.CodeUnsupportedAlg},
		{"iss/another vendor", rev(1, "evil"), verify.CodeWrongIssuer},
	}
}

// TestAdversarialRevocations attacks ParseRevocations with hostile lists.
func TestAdversarialRevocations(t *testing.T) {
	ks := keyset(t)
	v := verifier(t, ks)
	for _, tc := range advRevCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			advNoPanic(t, v, ks, tc.in)
			rl, err := verify.ParseRevocation(tc.in, ks)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("ParseRevocation: %v", err)
				}
				if rl.Claims().Seq != 7 {
					t.Fatalf("seq %d, want 7", rl.Claims().Seq)
				}
				return
			}
			if rl != nil {
				t.Fatalf("a rejected list was returned with error %v", err)
			}
			if got := verify.CodeOf(err); got != tc.want {
				t.Fatalf("code %q, want %s\ninput %s\nerror: %v", got, tc.want, advHexOf(tc.in), err)
			}
			if !errors.Is(err, sentinels[tc.want]) {
				t.Fatalf("errors.Is(%v, the sentinel of %s) = false", err, tc.want)
			}
		})
	}
}

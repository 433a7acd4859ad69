package verify_test

import (
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// Cases that found bugs in token and verify (small-order keys, tags the
// CBOR library strips from the protected header, required scopes with
// white space), kept as regression tests.
func advPendingCases(t *testing.T) []advCase {
	vkid := token.KeyID(pub(vendor))
	_ = vkid
	return []advCase{
		{name: "tag/self-described 55799 on protected map", in: advWithHeader(advCat([]byte{0xd9, 0xd9, 0xf7}, advHdr())), want: verify.CodeMalformed},
		{name: "tag/100 on protected map", in: advWithHeader(advCat([]byte{0xd8, 0x64}, advHdr())), want: verify.CodeMalformed},
		{name: "tag/18 on protected map", in: advWithHeader(advCat([]byte{0xd2}, advHdr())), want: verify.CodeMalformed},
		{name: "tag/55799 on unknown label value", in: advWithHeader(advMap(append(advHdrPairs(), 99, advRaw("d9d9f7 01"))...)), want: verify.CodeMalformed},
		{name: "tag/55799 on embedded grant protected map", in: func() []byte {
			g := advSigned(vendor, advCat([]byte{0xd9, 0xd9, 0xf7}, advMap(1, -8, 4, vkid, 16, token.TypeGrant)), advGrantClaims())
			return advSigned(partner, advMap(1, -8, 4, token.KeyID(pub(partner)), 13, cbor.RawMessage(g), 16, token.TypeLicense), advMust(partnerLicense().MarshalClaims()))
		}(), want: verify.CodeMalformed},
		{name: "tag/55799 on kid", in: advWithHeader(advMap(advHdrPairs(4, cbor.RawMessage(advCat([]byte{0xd9, 0xd9, 0xf7, 0x48}, vkid)))...)), want: verify.CodeMalformed},
		{name: "tag/55799 on alg", in: advWithHeader(advMap(advHdrPairs(1, advRaw("d9d9f7 27"))...)), want: verify.CodeMalformed},
		{name: "tag/55799 on typ", in: advWithHeader(advMap(advHdrPairs(16, cbor.RawMessage(advCat([]byte{0xd9, 0xd9, 0xf7}, advEnc(token.TypeLicense))))...)), want: verify.CodeMalformed},
		{name: "tag/55799 before embedded grant", in: advSigned(partner, advMap(1, -8, 4, token.KeyID(pub(partner)), 13, cbor.RawMessage(advCat([]byte{0xd9, 0xd9, 0xf7}, signGrant(t, vendor, grantFor()))), 16, token.TypeLicense), advMust(partnerLicense().MarshalClaims())), want: verify.CodeMalformed},
		{name: "scope/required with space under star", in: mint(t, vendor, license(func(l *token.License) { l.Scopes = []string{"*"} }), nil), scopes: []string{"api:read extra"}, want: verify.CodeScopeMissing},
		{name: "scope/required with newline under pattern", in: mint(t, vendor, license(func(l *token.License) { l.Scopes = []string{"api:*"} }), nil), scopes: []string{"api:read\nadmin:all"}, want: verify.CodeScopeMissing},
		{name: "cnf/small-order partner key forges licenses", in: advForgedUnderIdentity(), want: verify.CodeGrantInvalid},
	}
}

// advIdentity is the encoding of the identity point, a small-order
// "public key" without a private key.
var advIdentity = append([]byte{1}, make([]byte, 31)...)

// advForgedUnderIdentity is a license under a vendor-signed grant whose cnf
// key is the identity point, "signed" without any private key: R = identity,
// S = 0 verifies for every message under that key.
func advForgedUnderIdentity() []byte {
	g := advMust(token.Sign(vendor, token.TypeGrant, advGrantClaims(8, cbor.RawMessage(advCOSEKeyCnf(1, 1, -1, 6, -2, advIdentity)))))
	hdr := advMap(1, -8, 4, token.KeyID(advIdentity), 13, cbor.RawMessage(g), 16, token.TypeLicense)
	forgedSig := append(append([]byte{}, advIdentity...), make([]byte, 32)...)
	return assemble(hdr, advMust(partnerLicense(func(l *token.License) { l.Tier = "pro" }).MarshalClaims()), forgedSig)
}

// TestAdversarialPendingKeySetSmallOrder: a trusted key set must refuse a
// small-order key, under which anyone can "sign" anything.
func TestAdversarialKeySetSmallOrder(t *testing.T) {
	ks, err := verify.NewKeySet(verify.Key{PublicKey: advIdentity, Issuer: "acme"})
	if err == nil {
		hdr := advMap(1, -8, 4, token.KeyID(advIdentity), 16, token.TypeLicense)
		forged := assemble(hdr, advGoodPayload(), append(append([]byte{}, advIdentity...), make([]byte, 32)...))
		_, verr := verifier(t, ks).Verify(forged)
		t.Fatalf("NewKeySet accepted the identity point as a trusted key; a license forged without any private key then gives: %v", verr)
	}
}

func TestAdversarialRegressions(t *testing.T) { runAdv(t, advPendingCases(t)) }

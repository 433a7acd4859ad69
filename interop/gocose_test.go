package interop_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// TestGoCOSEVerifiesLicetLicenses: licenses minted by token.SignLicense, in
// each of the three forms of FORMAT section 7, are after unarmoring
// COSE_Sign1 messages that go-cose decodes and verifies with its own EdDSA
// verifier; go-cose reads alg, kid and typ from the protected header, sees
// an empty unprotected header, and the payload decodes as the claims.
func TestGoCOSEVerifiesLicetLicenses(t *testing.T) {
	priv := testKey("vendor")
	pub := pubOf(priv)
	other := pubOf(testKey("other"))
	coseV, err := cose.NewVerifier(cose.AlgorithmEdDSA, pub)
	if err != nil {
		t.Fatal(err)
	}
	otherV, err := cose.NewVerifier(cose.AlgorithmEdDSA, other)
	if err != nil {
		t.Fatal(err)
	}

	for _, lc := range []struct {
		name string
		lic  func() *token.License
	}{
		{"full", fullLicense},
		{"minimal", minimalLicense},
	} {
		l := lc.lic()
		raw, err := token.SignLicense(priv, l, nil)
		if err != nil {
			t.Fatal(err)
		}
		text, err := token.EncodeText(raw, "")
		if err != nil {
			t.Fatal(err)
		}
		branded, err := token.EncodeText(raw, "acme-widget")
		if err != nil {
			t.Fatal(err)
		}
		pemForm := token.EncodePEM(raw, token.PEMLicense, map[string]string{"Subject": l.Subject})

		forms := []struct {
			name string
			in   []byte
			form token.Form
		}{
			{"raw", raw, token.FormRaw},
			{"text", []byte(text), token.FormText},
			{"text branded", []byte("  " + branded + "\n"), token.FormText},
			{"pem", pemForm, token.FormPEM},
		}
		for _, f := range forms {
			t.Run(lc.name+"/"+f.name, func(t *testing.T) {
				unarmored, form, err := token.Unarmor(f.in)
				if err != nil {
					t.Fatalf("Unarmor: %v", err)
				}
				if form != f.form {
					t.Fatalf("Unarmor found form %v, want %v", form, f.form)
				}
				if !bytes.Equal(unarmored, raw) {
					t.Fatal("Unarmor did not return the minted bytes")
				}

				var msg cose.Sign1Message
				if err := msg.UnmarshalCBOR(unarmored); err != nil {
					t.Fatalf("go-cose UnmarshalCBOR: %v", err)
				}
				if err := msg.Verify(nil, coseV); err != nil {
					t.Fatalf("go-cose Verify with the signing key: %v", err)
				}
				if err := msg.Verify(nil, otherV); err == nil {
					t.Fatal("go-cose Verify accepted another key")
				}

				alg, err := msg.Headers.Protected.Algorithm()
				if err != nil || alg != cose.AlgorithmEdDSA {
					t.Errorf("go-cose alg = %v, %v; want EdDSA (-8)", alg, err)
				}
				if kid, _ := msg.Headers.Protected[cose.HeaderLabelKeyID].([]byte); !bytes.Equal(kid, token.KeyID(pub)) {
					t.Errorf("go-cose kid = %x, want %x", kid, token.KeyID(pub))
				}
				if typ := msg.Headers.Protected[cose.HeaderLabelType]; typ != token.TypeLicense {
					t.Errorf("go-cose typ (label 16) = %#v, want %q", typ, token.TypeLicense)
				}
				if len(msg.Headers.Protected) != 3 {
					t.Errorf("go-cose protected header has %d labels, want 3: %v", len(msg.Headers.Protected), msg.Headers.Protected)
				}
				if len(msg.Headers.Unprotected) != 0 {
					t.Errorf("go-cose unprotected header = %v, want empty", msg.Headers.Unprotected)
				}
				checkPayloadIsClaims(t, msg.Payload, l)

				// go-cose re-encodes what it decoded to the same bytes.
				again, err := msg.MarshalCBOR()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(again, raw) {
					t.Errorf("go-cose re-encoding differs:\n got %x\nwant %x", again, raw)
				}
			})
		}
	}

	t.Run("tampered payload", func(t *testing.T) {
		raw, err := token.SignLicense(priv, minimalLicense(), nil)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(raw, []byte("customer-1"))
		if i < 0 {
			t.Fatal("subject not found in token")
		}
		raw[i+len("customer-")] = '2'
		if _, err := goCOSEVerify(raw, coseV); err == nil {
			t.Fatal("go-cose verified a license whose sub was changed")
		}
	})
}

// checkPayloadIsClaims decodes payload twice: with licet's strict decoder,
// where it must give back l, and as a plain CWT claims map (go-cose's
// cose.CWTClaims), where the registered claims must sit at their RFC 8392
// keys.
func checkPayloadIsClaims(t *testing.T, payload []byte, l *token.License) {
	t.Helper()
	got, err := token.DecodeLicense(payload)
	if err != nil {
		t.Fatalf("payload does not decode as license claims: %v", err)
	}
	want, err := l.MarshalClaims()
	if err != nil {
		t.Fatal(err)
	}
	back, err := got.MarshalClaims()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, want) || !bytes.Equal(payload, want) {
		t.Errorf("claims differ after decoding:\n got %x\nwant %x", back, want)
	}

	var cwt cose.CWTClaims
	if err := cbor.Unmarshal(payload, &cwt); err != nil {
		t.Fatalf("payload is not a CBOR map: %v", err)
	}
	if cwt[uint64(cose.CWTClaimIssuer)] != l.Issuer {
		t.Errorf("CWT iss (1) = %#v, want %q", cwt[uint64(cose.CWTClaimIssuer)], l.Issuer)
	}
	if cwt[uint64(cose.CWTClaimSubject)] != l.Subject {
		t.Errorf("CWT sub (2) = %#v, want %q", cwt[uint64(cose.CWTClaimSubject)], l.Subject)
	}
	if iat, ok := cwt[uint64(cose.CWTClaimIssuedAt)].(uint64); !ok || int64(iat) != l.IssuedAt.Unix() {
		t.Errorf("CWT iat (6) = %#v, want %d", cwt[uint64(cose.CWTClaimIssuedAt)], l.IssuedAt.Unix())
	}
	if cti, _ := cwt[uint64(cose.CWTClaimCWTID)].([]byte); !bytes.Equal(cti, l.ID) {
		t.Errorf("CWT cti (7) = %x, want %x", cti, l.ID)
	}
	if !l.Expiry.IsZero() {
		if exp, ok := cwt[uint64(cose.CWTClaimExpirationTime)].(uint64); !ok || int64(exp) != l.Expiry.Unix() {
			t.Errorf("CWT exp (4) = %#v, want %d", cwt[uint64(cose.CWTClaimExpirationTime)], l.Expiry.Unix())
		}
	} else if _, ok := cwt[uint64(cose.CWTClaimExpirationTime)]; ok {
		t.Error("CWT exp (4) present in a perpetual license")
	}
	var aud []string
	switch a := cwt[uint64(cose.CWTClaimAudience)].(type) {
	case string:
		aud = []string{a}
	case []any:
		for _, x := range a {
			s, _ := x.(string)
			aud = append(aud, s)
		}
	}
	if strings.Join(aud, ",") != strings.Join(l.Audience, ",") {
		t.Errorf("CWT aud (3) = %#v, want %q", cwt[uint64(cose.CWTClaimAudience)], l.Audience)
	}
	if cwt["tier"] != l.Tier {
		t.Errorf("claim tier = %#v, want %q", cwt["tier"], l.Tier)
	}
}

// TestGoCOSEVerifiesGrantChain: a license a partner minted under a grant
// carries the grant in protected header label 13 (kcwt). go-cose decodes
// that header, verifies the license with the partner key, and the grant
// found at label 13 is itself a COSE_Sign1 that go-cose verifies with the
// vendor key. A partner license that go-cose signs, with the grant at
// label 13, is byte for byte licet's and verify accepts it.
func TestGoCOSEVerifiesGrantChain(t *testing.T) {
	vendor, partner := testKey("vendor"), testKey("partner")
	g := &token.Grant{
		Issuer:   "acme",
		Subject:  "partner-1",
		Audience: []string{"widget"},
		IssuedAt: now.Add(-48 * time.Hour),
		Expiry:   now.Add(2 * 365 * 24 * time.Hour),
		ID:       bytes.Repeat([]byte{0x22}, token.IDSize),
		Key:      pubOf(partner),
		Tiers:    []string{"*"},
		Scopes:   []string{"api:*"},
	}
	grant, err := token.SignGrant(vendor, g)
	if err != nil {
		t.Fatal(err)
	}
	l := minimalLicense()
	l.Issuer = "partner-1"
	l.Scopes = []string{"api:read"}
	l.Expiry = now.Add(30 * 24 * time.Hour)
	raw, err := token.SignLicense(partner, l, grant)
	if err != nil {
		t.Fatal(err)
	}
	// licet itself accepts the chain with only the vendor key trusted.
	if _, err := newVerifier(t, pubOf(vendor)).Verify(raw); err != nil {
		t.Fatalf("licet rejects its own grant chain: %v", err)
	}

	partnerV, _ := cose.NewVerifier(cose.AlgorithmEdDSA, pubOf(partner))
	vendorV, _ := cose.NewVerifier(cose.AlgorithmEdDSA, pubOf(vendor))
	msg, err := goCOSEVerify(raw, partnerV)
	if err != nil {
		t.Fatalf("go-cose on a license with an embedded grant: %v", err)
	}
	if _, ok := msg.Headers.Protected[int64(13)]; !ok {
		t.Fatalf("go-cose sees no label 13: %v", msg.Headers.Protected)
	}
	checkPayloadIsClaims(t, msg.Payload, l)

	// Take label 13 out of the exact protected bytes and hand it to go-cose.
	var protected []byte
	if err := cbor.Unmarshal(msg.Headers.RawProtected, &protected); err != nil {
		t.Fatal(err)
	}
	var hdr map[int64]cbor.RawMessage
	if err := cbor.Unmarshal(protected, &hdr); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hdr[13], grant) {
		t.Fatal("label 13 is not the grant as signed")
	}
	gm, err := goCOSEVerify(hdr[13], vendorV)
	if err != nil {
		t.Fatalf("go-cose on the embedded grant: %v", err)
	}
	if typ := gm.Headers.Protected[cose.HeaderLabelType]; typ != token.TypeGrant {
		t.Errorf("embedded grant typ = %#v, want %q", typ, token.TypeGrant)
	}
	if _, err := goCOSEVerify(hdr[13], partnerV); err == nil {
		t.Error("go-cose verified the grant with the partner key")
	}

	// The other way: go-cose signs a partner license with the grant at
	// label 13. It is what token.SignLicense mints, and verify accepts it
	// with only the vendor key trusted.
	payload, err := l.MarshalClaims()
	if err != nil {
		t.Fatal(err)
	}
	prot := licetHeader(cose.AlgorithmEdDSA, pubOf(partner), token.TypeLicense)
	prot[int64(13)] = cbor.RawMessage(grant)
	edDSA, _ := cose.NewSigner(cose.AlgorithmEdDSA, partner)
	byCOSE := goCOSESign(t, edDSA, prot, nil, payload)
	if !bytes.Equal(byCOSE, raw) {
		t.Fatalf("go-cose partner license differs from token.SignLicense:\n go-cose %x\n   licet %x", byCOSE, raw)
	}
	got, err := newVerifier(t, pubOf(vendor)).Verify(byCOSE)
	if err != nil {
		t.Fatalf("verify rejects a go-cose partner license: %v", err)
	}
	if got.Grant == nil || got.Claims.Issuer != "partner-1" {
		t.Fatalf("verified without its grant: %+v", got)
	}
}

// TestVerifyAcceptsGoCOSE: a COSE_Sign1 that go-cose signs with licet's
// headers over (*token.License).MarshalClaims is accepted by verify, and is
// byte for byte what token.SignLicense mints (Ed25519 is deterministic and
// both sides use core deterministic encoding).
func TestVerifyAcceptsGoCOSE(t *testing.T) {
	priv := testKey("vendor")
	pub := pubOf(priv)
	v := newVerifier(t, pub, pubOf(testKey("other")))
	builtin, err := cose.NewSigner(cose.AlgorithmEdDSA, priv)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		lic    func() *token.License
		signer cose.Signer
		alg    cose.Algorithm
	}{
		{"EdDSA -8 full", fullLicense, builtin, cose.AlgorithmEdDSA},
		{"EdDSA -8 minimal", minimalLicense, builtin, cose.AlgorithmEdDSA},
		{"Ed25519 -19 full", fullLicense, edSigner{-19, priv}, -19},
		{"Ed25519 -19 minimal", minimalLicense, edSigner{-19, priv}, -19},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.lic()
			payload, err := l.MarshalClaims()
			if err != nil {
				t.Fatal(err)
			}
			raw := goCOSESign(t, tc.signer, licetHeader(tc.alg, pub, token.TypeLicense), nil, payload)
			if raw[0] != 0xd2 {
				t.Fatalf("go-cose output starts with %#x, want tag 18 (0xd2)", raw[0])
			}

			// The same message written out by hand, signed with
			// crypto/ed25519: go-cose's protected header and Sig_structure
			// are the ones FORMAT section 2 describes.
			protected, err := token.Marshal(map[int]any{1: int(tc.alg), 4: token.KeyID(pub), 16: token.TypeLicense})
			if err != nil {
				t.Fatal(err)
			}
			hand := handEnvelope(protected, payload, ed25519.Sign(priv, handSigStructure(protected, payload)))
			if !bytes.Equal(raw, hand) {
				t.Fatalf("go-cose and hand-built envelopes differ:\n go-cose %x\n    hand %x", raw, hand)
			}
			if tc.alg == cose.AlgorithmEdDSA {
				minted, err := token.SignLicense(priv, l, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(raw, minted) {
					t.Fatalf("go-cose and token.SignLicense differ:\n go-cose %x\n   licet %x", raw, minted)
				}
			}

			text, err := token.EncodeText(raw, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range [][]byte{raw, []byte(text), token.EncodePEM(raw, token.PEMLicense, nil)} {
				got, err := v.Verify(in)
				if err != nil {
					t.Fatalf("verify rejects the go-cose message: %v", err)
				}
				if got.Claims.Subject != l.Subject || got.Claims.Tier != l.Tier || !bytes.Equal(got.KeyID, token.KeyID(pub)) {
					t.Fatalf("verified claims differ: sub %q tier %q kid %x", got.Claims.Subject, got.Claims.Tier, got.KeyID)
				}
			}
			// And the verification is real: one flipped signature bit fails.
			bad := bytes.Clone(raw)
			bad[len(bad)-1] ^= 1
			if code := verify.CodeOf(verifyErr(v, bad)); code != verify.CodeBadSignature {
				t.Fatalf("flipped signature bit: code %q, want %q", code, verify.CodeBadSignature)
			}
		})
	}
}

// TestGoCOSEHasNoBuiltinEd25519Alg pins what README.md says: go-cose
// v1.3.0 knows EdDSA (-8) but not Ed25519 (-19, RFC 9864), so the -19
// messages above are made with an external cose.Signer around
// crypto/ed25519 (go-cose still builds the header, Sig_structure and
// envelope), and checked against a hand-built copy.
func TestGoCOSEHasNoBuiltinEd25519Alg(t *testing.T) {
	priv := testKey("vendor")
	if _, err := cose.NewSigner(cose.Algorithm(-19), priv); err == nil {
		t.Error("go-cose now has a built-in -19 signer: use it and update README.md")
	}
	if _, err := cose.NewVerifier(cose.Algorithm(-19), pubOf(priv)); err == nil {
		t.Error("go-cose now has a built-in -19 verifier: use it and update README.md")
	}
	// Its EdDSA verifier refuses an alg -19 message (algorithm mismatch),
	// while a -19 verifier around crypto/ed25519 accepts it.
	payload, _ := minimalLicense().MarshalClaims()
	raw := goCOSESign(t, edSigner{-19, priv}, licetHeader(-19, pubOf(priv), token.TypeLicense), nil, payload)
	builtin, _ := cose.NewVerifier(cose.AlgorithmEdDSA, pubOf(priv))
	if _, err := goCOSEVerify(raw, builtin); err == nil {
		t.Error("go-cose's EdDSA verifier accepted an alg -19 message")
	}
	if _, err := goCOSEVerify(raw, edVerifier{-19, pubOf(priv)}); err != nil {
		t.Errorf("go-cose with an external -19 verifier: %v", err)
	}
}

func verifyErr(v *verify.Verifier, in []byte) error {
	_, err := v.Verify(in)
	return err
}

// TestVerifyRejectsGoCOSE: go-cose messages that break one rule of FORMAT
// each get the code section 8 gives that rule. Each message is first shown
// to be a valid COSE_Sign1 that go-cose itself verifies, so the rejection is
// licet's policy, not a broken input.
func TestVerifyRejectsGoCOSE(t *testing.T) {
	priv, otherPriv := testKey("vendor"), testKey("other")
	pub, otherPub := pubOf(priv), pubOf(otherPriv)
	untrusted := testKey("untrusted")
	v := newVerifier(t, pub, otherPub)
	payload, err := fullLicense().MarshalClaims()
	if err != nil {
		t.Fatal(err)
	}
	edDSA, _ := cose.NewSigner(cose.AlgorithmEdDSA, priv)
	edDSAV, _ := cose.NewVerifier(cose.AlgorithmEdDSA, pub)

	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	es256, _ := cose.NewSigner(cose.AlgorithmES256, p256)
	es256V, _ := cose.NewVerifier(cose.AlgorithmES256, &p256.PublicKey)
	es384, _ := cose.NewSigner(cose.AlgorithmES384, p384)
	es384V, _ := cose.NewVerifier(cose.AlgorithmES384, &p384.PublicKey)
	ps256, _ := cose.NewSigner(cose.AlgorithmPS256, rsa2048)
	ps256V, _ := cose.NewVerifier(cose.AlgorithmPS256, &rsa2048.PublicKey)

	hdr := func(alg cose.Algorithm, edit func(cose.ProtectedHeader)) cose.ProtectedHeader {
		h := licetHeader(alg, pub, token.TypeLicense)
		if edit != nil {
			edit(h)
		}
		return h
	}
	sign := func(s cose.Signer, h cose.ProtectedHeader, u cose.UnprotectedHeader) []byte {
		return goCOSESign(t, s, h, u, payload)
	}
	untagged := func() []byte {
		m := goCOSEMessage(t, edDSA, hdr(cose.AlgorithmEdDSA, nil), nil, payload)
		raw, err := (*cose.UntaggedSign1Message)(m).MarshalCBOR()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}

	// signRaw has go-cose sign under protected header bytes written by
	// hand, as an issuer that does not use deterministic encoding would.
	signRaw := func(protected []byte) []byte {
		msg := &cose.Sign1Message{
			Headers: cose.Headers{RawProtected: appendBstr(nil, protected), RawUnprotected: []byte{0xa0}},
			Payload: payload,
		}
		if err := msg.Headers.UnmarshalFromRaw(); err != nil {
			t.Fatalf("go-cose refuses the hand-written header: %v", err)
		}
		if err := msg.Sign(rand.Reader, nil, edDSA); err != nil {
			t.Fatal(err)
		}
		raw, err := msg.MarshalCBOR()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	typ := append(appendHead(nil, 3, uint64(len(token.TypeLicense))), token.TypeLicense...)
	kid := appendBstr(nil, token.KeyID(pub))
	reordered := append(append(append([]byte{0xa3, 0x10}, typ...), 0x04), kid...)
	reordered = append(reordered, 0x01, 0x27)                                     // {16: typ, 4: kid, 1: -8}
	longAlg := append(append([]byte{0xa3, 0x01, 0x38, 0x07, 0x04}, kid...), 0x10) // alg -8 as 0x38 0x07
	longAlg = append(longAlg, typ...)

	tests := []struct {
		name string
		raw  []byte
		cv   cose.Verifier // go-cose verifies raw with it
		want verify.Code   // "" means accepted
		why  string        // in the error text
	}{
		// Algorithms.
		{"ES256 with a P-256 key", sign(es256, hdr(cose.AlgorithmES256, nil), nil), es256V, verify.CodeUnsupportedAlg, "algorithm -7"},
		{"ES256 header over an Ed25519 signature", sign(edSigner{cose.AlgorithmES256, priv}, hdr(cose.AlgorithmES256, nil), nil), edVerifier{cose.AlgorithmES256, pub}, verify.CodeUnsupportedAlg, "algorithm -7"},
		{"PS256 header over an Ed25519 signature", sign(edSigner{cose.AlgorithmPS256, priv}, hdr(cose.AlgorithmPS256, nil), nil), edVerifier{cose.AlgorithmPS256, pub}, verify.CodeUnsupportedAlg, "algorithm -37"},
		{"reserved alg 0 over an Ed25519 signature", sign(edSigner{cose.AlgorithmReserved, priv}, hdr(cose.AlgorithmReserved, nil), nil), edVerifier{cose.AlgorithmReserved, pub}, verify.CodeUnsupportedAlg, "no integer alg"},
		// FORMAT section 2 fixes the signature at 64 bytes and step 1
		// checks the envelope before step 2 looks at alg.
		{"ES384 with a P-384 key (96-byte signature)", sign(es384, hdr(cose.AlgorithmES384, nil), nil), es384V, verify.CodeMalformed, "signature is 96 bytes"},
		{"PS256 with an RSA-2048 key (256-byte signature)", sign(ps256, hdr(cose.AlgorithmPS256, nil), nil), ps256V, verify.CodeMalformed, "signature is 256 bytes"},

		// Types.
		{"no typ", sign(edDSA, hdr(cose.AlgorithmEdDSA, func(h cose.ProtectedHeader) { delete(h, cose.HeaderLabelType) }), nil), edDSAV, verify.CodeWrongType, "object type is \"\""},
		{"typ application/cwt", sign(edDSA, hdr(cose.AlgorithmEdDSA, func(h cose.ProtectedHeader) { h[cose.HeaderLabelType] = "application/cwt" }), nil), edDSAV, verify.CodeWrongType, "object type is \"application/cwt\""},
		{"typ 61 (CoAP content format of application/cwt)", sign(edDSA, hdr(cose.AlgorithmEdDSA, func(h cose.ProtectedHeader) { h[cose.HeaderLabelType] = uint64(61) }), nil), edDSAV, verify.CodeWrongType, "object type is \"\""},
		{"typ of a grant", sign(edDSA, hdr(cose.AlgorithmEdDSA, func(h cose.ProtectedHeader) { h[cose.HeaderLabelType] = token.TypeGrant }), nil), edDSAV, verify.CodeWrongType, "licet-grant+cwt"},
		{"typ of a revocation list", sign(edDSA, hdr(cose.AlgorithmEdDSA, func(h cose.ProtectedHeader) { h[cose.HeaderLabelType] = token.TypeRevocations }), nil), edDSAV, verify.CodeWrongType, "licet-revocations+cwt"},

		// Keys.
		{"kid of another trusted key", sign(edDSA, hdr(cose.AlgorithmEdDSA, func(h cose.ProtectedHeader) { h[cose.HeaderLabelKeyID] = token.KeyID(otherPub) }), nil), edDSAV, verify.CodeBadSignature, "signature does not verify"},
		{"kid of an untrusted key", sign(edDSA, hdr(cose.AlgorithmEdDSA, func(h cose.ProtectedHeader) { h[cose.HeaderLabelKeyID] = token.KeyID(pubOf(untrusted)) }), nil), edDSAV, verify.CodeUnknownKey, "unknown key"},

		// Unprotected header.
		{"kid only in the unprotected header", sign(edDSA, hdr(cose.AlgorithmEdDSA, func(h cose.ProtectedHeader) { delete(h, cose.HeaderLabelKeyID) }), cose.UnprotectedHeader{cose.HeaderLabelKeyID: token.KeyID(pub)}), edDSAV, verify.CodeMalformed, "unprotected header must be an empty map"},
		{"kid in both headers", sign(edDSA, hdr(cose.AlgorithmEdDSA, nil), cose.UnprotectedHeader{cose.HeaderLabelKeyID: token.KeyID(pub)}), edDSAV, verify.CodeMalformed, "unprotected header must be an empty map"},
		{"content type in the unprotected header", sign(edDSA, hdr(cose.AlgorithmEdDSA, nil), cose.UnprotectedHeader{cose.HeaderLabelContentType: "application/cwt"}), edDSAV, verify.CodeMalformed, "unprotected header must be an empty map"},
		{"typ in the unprotected header", sign(edDSA, hdr(cose.AlgorithmEdDSA, func(h cose.ProtectedHeader) { delete(h, cose.HeaderLabelType) }), cose.UnprotectedHeader{cose.HeaderLabelType: token.TypeLicense}), edDSAV, verify.CodeMalformed, "unprotected header must be an empty map"},

		// Envelope.
		{"untagged COSE_Sign1", untagged(), edDSAV, verify.CodeMalformed, ""},

		// Protected header extensions FORMAT section 2 allows.
		{"extra protected label (content type)", sign(edDSA, hdr(cose.AlgorithmEdDSA, func(h cose.ProtectedHeader) { h[cose.HeaderLabelContentType] = "application/cwt" }), nil), edDSAV, "", ""},
		{"crit listing typ", sign(edDSA, hdr(cose.AlgorithmEdDSA, func(h cose.ProtectedHeader) { h[cose.HeaderLabelCritical] = []any{cose.HeaderLabelType} }), nil), edDSAV, "", ""},
		// The signature covers the exact header bytes, so another
		// issuer's encoding choices verify.
		{"protected header in another key order", signRaw(reordered), edDSAV, "", ""},
		{"alg in a longer integer form", signRaw(longAlg), edDSAV, "", ""},
		{"crit listing content type", sign(edDSA, hdr(cose.AlgorithmEdDSA, func(h cose.ProtectedHeader) {
			h[cose.HeaderLabelContentType] = "application/cwt"
			h[cose.HeaderLabelCritical] = []any{cose.HeaderLabelContentType}
		}), nil), edDSAV, verify.CodeMalformed, "crit names header label 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := goCOSEVerify(tc.raw, tc.cv); err != nil {
				t.Fatalf("go-cose does not verify the message: %v", err)
			}
			got, err := v.Verify(tc.raw)
			if code := verify.CodeOf(err); code != tc.want {
				t.Fatalf("verify code = %q (%v), want %q", code, err, tc.want)
			}
			if tc.want != "" && !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("verify error %q does not say %q", err, tc.why)
			}
			if tc.want == "" && got.Claims.Subject != "customer-4711" {
				t.Fatalf("accepted license has sub %q", got.Claims.Subject)
			}
			if tc.want != "" && got != nil {
				t.Fatal("verify returned a license with an error")
			}
		})
	}
}

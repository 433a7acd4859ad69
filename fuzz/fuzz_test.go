package fuzz

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-version"

	"github.com/licet/licet/internal/vectors"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// addTokenSeeds adds every vector's token as given, and its raw bytes.
func addTokenSeeds(f *testing.F) {
	for _, v := range allVectors(f) {
		f.Add(v.Token)
		if raw := rawOf(v); raw != nil && v.Form != vectors.FormRaw {
			f.Add(raw)
		}
	}
}

// FuzzParse feeds any input to the parsers of the three forms. They never
// panic, fail only with token.ErrMalformed, agree with each other, and an
// object that parses re-armors to the same raw bytes.
// pemTypes are the PEM block types of the object types.
var pemTypes = map[string]string{token.TypeLicense: token.PEMLicense, token.TypeGrant: token.PEMGrant, token.TypeRevocations: token.PEMRevocations}

func FuzzParse(f *testing.F) {
	addTokenSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		raw, form, uerr := token.Unarmor(in)
		m, dform, derr := token.Decode(in)
		u, perr := token.ParseUnverified(in)
		for _, err := range []error{uerr, derr, perr} {
			if err != nil && !errors.Is(err, token.ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
		}
		if uerr != nil {
			if derr == nil || perr == nil {
				t.Fatalf("Unarmor failed (%v) but Decode or ParseUnverified did not", uerr)
			}
			return
		}
		// Decode fails exactly when the bytes do not parse, or when a PEM
		// block's type is not the one for the object inside.
		if pm, err := token.ParseMessage(raw); err != nil && derr == nil {
			t.Fatalf("ParseMessage of the unarmored bytes: %v; Decode accepted them", err)
		} else if err == nil && derr != nil && (form != token.FormPEM || !strings.Contains(derr.Error(), "PEM block holds")) {
			t.Fatalf("ParseMessage of the unarmored bytes accepted them (typ %q); Decode: %v", pm.Header.Typ, derr)
		}
		if derr != nil {
			if perr == nil {
				t.Fatalf("Decode failed (%v) but ParseUnverified did not", derr)
			}
			return
		}
		if dform != form || !bytes.Equal(m.Raw, raw) {
			t.Fatalf("Decode and Unarmor disagree on form (%v, %v) or bytes", dform, form)
		}
		if perr == nil && (u.Form != form || !bytes.Equal(u.Message.Raw, raw)) {
			t.Fatalf("ParseUnverified and Decode disagree")
		}
		// Re-armor in the two text forms: the same object comes back.
		text, err := token.EncodeText(raw, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(text) <= token.MaxTokenSize {
			m2, form2, err := token.Decode([]byte(text))
			if err != nil || form2 != token.FormText || !bytes.Equal(m2.Raw, raw) {
				t.Fatalf("compact text of a parsed object: %v", err)
			}
		}
		if pemType := pemTypes[m.Header.Typ]; pemType != "" {
			p := token.EncodePEM(raw, pemType, nil)
			if len(p) <= token.MaxTokenSize {
				m2, form2, err := token.Decode(p)
				if err != nil || form2 != token.FormPEM || !bytes.Equal(m2.Raw, raw) {
					t.Fatalf("PEM form of a parsed object: %v", err)
				}
			}
		}
	})
}

// FuzzVerify verifies any input with a fixed verifier (fixed keys, clock,
// product, version, binding and revocation list). With signed false the
// input is the token; with signed true it is a license claims set, which
// the trusted vendor key signs first, so that the checks after the
// signature are fuzzed too. Verification never panics; it returns a
// license, or a *verify.Error with one of the codes; verifying again with
// a required scope gives the same code (or scope_missing only); a verified
// license parses unverified to the same claims; and a license signed here
// verifies only if an independent reading of FORMAT section 8 agrees.
func FuzzVerify(f *testing.F) {
	for _, v := range allVectors(f) {
		f.Add(v.Token, false)
		raw := rawOf(v)
		if raw != nil && v.Form != vectors.FormRaw {
			f.Add(raw, false)
		}
		if m, err := token.ParseMessage(raw); err == nil && m.Header.Typ == token.TypeLicense {
			f.Add(m.Payload, true)
		}
	}
	ver := fixedVerifier(f)
	vendor := vectors.PrivateKey(vectors.KeyVendor)
	f.Fuzz(func(t *testing.T, in []byte, signed bool) {
		if signed {
			raw, err := token.Sign(vendor, token.TypeLicense, in)
			if err != nil {
				if len(in) > token.MaxTokenSize-512 {
					return // issuers refuse objects verifiers would not accept
				}
				t.Fatal(err)
			}
			in = raw
		}
		lic, err := ver.Verify(in)
		checkVerifyResult(t, lic, err)
		lic2, err2 := ver.Verify(in, "api:read")
		checkVerifyResult(t, lic2, err2)
		if err == nil && err2 != nil && verify.CodeOf(err2) != verify.CodeScopeMissing {
			t.Fatalf("verifies without scopes, fails with %v when a scope is required", err2)
		}
		if err != nil && verify.CodeOf(err2) != verify.CodeOf(err) {
			t.Fatalf("the same input gave %v, then %v", err, err2)
		}
		if signed {
			m, perr := token.ParseMessage(in)
			if perr != nil {
				if err == nil {
					t.Fatalf("verified an envelope that does not parse: %v", perr)
				}
				return // too large
			}
			checkOracle(t, m.Payload, lic, err)
		}
		if err != nil {
			return
		}
		u, perr := token.ParseUnverified(in)
		if perr != nil {
			t.Fatalf("verified, but ParseUnverified fails: %v", perr)
		}
		if u.License == nil || !deepEqual(normLicense(*u.License), normLicense(*lic.Claims)) {
			t.Fatalf("verified claims differ from the unverified ones")
		}
		if !lic.Claims.Allows("api:read") && err2 == nil {
			t.Fatal("verified with required scope api:read that the license does not allow")
		}
	})
}

// checkOracle decides, from the claims alone and the fixed verifier's
// settings, what verifying a license signed by the trusted vendor key must
// give, and compares with what Verify gave (lic, err).
func checkOracle(t *testing.T, payload []byte, lic *verify.License, err error) {
	t.Helper()
	l, derr := token.DecodeLicense(payload)
	want, inGrace := oracle(l, derr)
	if got := verify.CodeOf(err); got != want {
		t.Fatalf("Verify gave %q (%v), the claims call for %q", got, err, want)
	}
	if err == nil && lic.InGrace != inGrace {
		t.Fatalf("in grace %v, the claims call for %v", lic.InGrace, inGrace)
	}
}

// oracle is FORMAT section 8, steps 6 to 14, for a license signed by the
// fixed verifier's vendor key (issuer acme): product acme-db, version
// 2.1.0, now, leeway 5 minutes, binding host=fp-7f3a, revoked id
// ID("revoked-license"). It returns the expected code ("" for valid) and
// in-grace flag.
func oracle(l *token.License, derr error) (verify.Code, bool) {
	const leeway = 5 * time.Minute
	switch {
	case derr != nil:
		return verify.CodeMalformed, false
	case l.Issuer != "acme":
		return verify.CodeWrongIssuer, false
	case !slices.Contains(l.Audience, "acme-db"):
		return verify.CodeWrongProduct, false
	case !l.NotBefore.IsZero() && l.NotBefore.After(now.Add(leeway)), l.IssuedAt.After(now.Add(leeway)):
		return verify.CodeNotYetValid, false
	}
	inGrace := false
	if !l.Expiry.IsZero() && now.After(l.Expiry.Add(leeway)) {
		if now.After(l.Expiry.Add(leeway).Add(l.Grace)) {
			return verify.CodeExpired, false
		}
		inGrace = true
	}
	if l.Versions != "" {
		c, err := version.NewConstraint(l.Versions)
		if err != nil {
			return verify.CodeMalformed, false
		}
		if !c.Check(version.Must(version.NewVersion("2.1.0"))) {
			return verify.CodeVersionNotCovered, false
		}
	}
	for k, val := range l.Bind {
		if k != "host" || val != "fp-7f3a" {
			return verify.CodeBindingMismatch, false
		}
	}
	if bytes.Equal(l.ID, vectors.ID("revoked-license")) {
		return verify.CodeRevoked, false
	}
	return "", inGrace
}

// FuzzCanonical checks that canonical encodings are stable. As claims:
// whatever DecodeLicense (DecodeGrant, DecodeRevocations) accepts
// re-encodes with MarshalClaims to claims that decode equal, and those
// canonical bytes re-encode to themselves. As an envelope: whatever
// ParseMessage accepts is exactly the envelope rebuilt from its parts.
func FuzzCanonical(f *testing.F) {
	for _, v := range allVectors(f) {
		raw := rawOf(v)
		if raw == nil {
			continue
		}
		f.Add(raw)
		if m, err := token.ParseMessage(raw); err == nil {
			f.Add(m.Payload)
			if m.Header.Grant != nil {
				f.Add(m.Header.Grant.Payload)
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if l, err := token.DecodeLicense(in); err == nil {
			b1, err := l.MarshalClaims()
			if err != nil {
				t.Fatalf("MarshalClaims of decoded claims: %v", err)
			}
			l2, err := token.DecodeLicense(b1)
			if err != nil {
				t.Fatalf("re-encoded license claims do not decode: %v\n%x", err, b1)
			}
			if !deepEqual(normLicense(*l), normLicense(*l2)) {
				t.Fatalf("license claims changed in a round trip:\n%+v\n%+v", *l, *l2)
			}
			b2, err := l2.MarshalClaims()
			if err != nil || !bytes.Equal(b1, b2) {
				t.Fatalf("canonical license claims re-encode differently (%v):\n%x\n%x", err, b1, b2)
			}
		}
		if g, err := token.DecodeGrant(in); err == nil {
			b1, err := g.MarshalClaims()
			if err != nil {
				t.Fatalf("MarshalClaims of decoded grant: %v", err)
			}
			g2, err := token.DecodeGrant(b1)
			if err != nil {
				t.Fatalf("re-encoded grant claims do not decode: %v\n%x", err, b1)
			}
			if !deepEqual(normGrant(*g), normGrant(*g2)) {
				t.Fatalf("grant claims changed in a round trip:\n%+v\n%+v", *g, *g2)
			}
			b2, err := g2.MarshalClaims()
			if err != nil || !bytes.Equal(b1, b2) {
				t.Fatalf("canonical grant claims re-encode differently (%v)", err)
			}
		}
		if r, err := token.DecodeRevocations(in); err == nil {
			b1, err := r.MarshalClaims()
			if err != nil {
				t.Fatalf("MarshalClaims of decoded revocation list: %v", err)
			}
			r2, err := token.DecodeRevocations(b1)
			if err != nil {
				t.Fatalf("re-encoded revocation list does not decode: %v", err)
			}
			if !deepEqual(normRevocations(*r), normRevocations(*r2)) {
				t.Fatalf("revocation list changed in a round trip:\n%+v\n%+v", *r, *r2)
			}
			b2, err := r2.MarshalClaims()
			if err != nil || !bytes.Equal(b1, b2) {
				t.Fatalf("canonical revocation list re-encodes differently (%v)", err)
			}
		}
		if m, err := token.ParseMessage(in); err == nil {
			rebuilt := envelope(m.Protected, m.Payload, m.Signature)
			if !bytes.Equal(rebuilt, in) {
				t.Fatalf("envelope rebuilt from its parts differs from the input:\n%x\n%x", in, rebuilt)
			}
		}
	})
}

// mutationTarget is a valid vector with its verifier and raw bytes.
type mutationTarget struct {
	v   *vectors.Vector
	ver *verify.Verifier
	raw []byte
}

func mutationTargets(f *testing.F) []mutationTarget {
	var out []mutationTarget
	for _, v := range allVectors(f) {
		if v.Expect != vectors.ExpectValid {
			continue
		}
		raw := rawOf(v)
		ver := vectorVerifier(f, v)
		if _, err := ver.Verify(raw, v.Scopes...); err != nil {
			f.Fatalf("%s: valid vector does not verify: %v", v.Name, err)
		}
		out = append(out, mutationTarget{v: v, ver: ver, raw: raw})
	}
	if len(out) == 0 {
		f.Fatal("no valid vectors")
	}
	return out
}

// FuzzMutate changes a valid token (one of the valid vectors, chosen by
// which) in one byte (position pos, new value val) or, when cut is not 0,
// truncates it, in raw or compact text form. A token that differs from the
// original never verifies; in text form the only changes that may verify
// are to the unsigned prefix, and then the raw bytes are the original's.
func FuzzMutate(f *testing.F) {
	targets := mutationTargets(f)
	for i := range targets {
		f.Add(uint8(i), uint16(0), byte(0), uint16(0), false)
		f.Add(uint8(i), uint16(len(targets[i].raw)-1), byte(0xff), uint16(0), false)
		f.Add(uint8(i), uint16(3), byte(0x00), uint16(0), true)
		f.Add(uint8(i), uint16(0), byte(0), uint16(len(targets[i].raw)-1), false)
	}
	f.Fuzz(func(t *testing.T, which uint8, pos uint16, val byte, cut uint16, text bool) {
		tg := targets[int(which)%len(targets)]
		orig := tg.raw
		if text {
			s, err := token.EncodeText(tg.raw, "")
			if err != nil {
				t.Fatal(err)
			}
			orig = []byte(s)
		}
		mut := append([]byte(nil), orig...)
		if cut != 0 {
			mut = mut[:int(cut)%len(mut)]
		} else {
			mut[int(pos)%len(mut)] = val
		}
		if bytes.Equal(mut, orig) {
			return
		}
		lic, err := tg.ver.Verify(mut, tg.v.Scopes...)
		checkVerifyResult(t, lic, err)
		if err != nil {
			return
		}
		if text {
			raw, _, uerr := token.Unarmor(mut)
			if uerr == nil && bytes.Equal(raw, tg.raw) {
				return // only the prefix (or surrounding space) changed
			}
		}
		t.Fatalf("%s: mutated token verifies (cut %d, pos %d, val %#x):\n%q", tg.v.Name, cut, pos, val, mut)
	})
}

// FuzzGrant decodes fuzzed grant claims, and verifies a license carrying
// them: the grant payload is signed by the trusted vendor key, the license
// payload by the partner key, with the grant at label 13. Nothing panics;
// every failure is a *verify.Error; and a license verifies only if both
// payloads decode and the license lies within the grant.
func FuzzGrant(f *testing.F) {
	var grants, licenses [][]byte
	for _, v := range allVectors(f) {
		raw := rawOf(v)
		m, err := token.ParseMessage(raw)
		if raw == nil || err != nil || m.Header.Grant == nil {
			continue
		}
		grants = append(grants, m.Header.Grant.Payload)
		licenses = append(licenses, m.Payload)
	}
	if len(grants) == 0 {
		f.Fatal("no vector carries a grant")
	}
	for i := range grants {
		f.Add(grants[i], licenses[i])
		f.Add(grants[0], licenses[i])
		f.Add(grants[i], licenses[0])
	}
	ver := fixedVerifier(f)
	vendor := vectors.PrivateKey(vectors.KeyVendor)
	partner := vectors.PrivateKey(vectors.KeyPartner)
	f.Fuzz(func(t *testing.T, grantPayload, licensePayload []byte) {
		g, gerr := token.DecodeGrant(grantPayload)
		if gerr != nil && !errors.Is(gerr, token.ErrMalformed) {
			t.Fatalf("DecodeGrant error does not wrap ErrMalformed: %v", gerr)
		}
		if gerr == nil {
			if _, err := g.MarshalClaims(); err != nil {
				t.Fatalf("MarshalClaims of a decoded grant: %v", err)
			}
		}
		grantRaw, err := token.Sign(vendor, token.TypeGrant, grantPayload)
		if err != nil {
			if len(grantPayload) > token.MaxTokenSize-512 {
				return // issuers refuse objects verifiers would not accept
			}
			t.Fatal(err)
		}
		if _, err := token.ParseMessage(grantRaw); err != nil {
			return // too large to embed
		}
		in, err := signedLicense(partner, licensePayload, grantRaw)
		if err != nil {
			t.Fatal(err)
		}
		lic, err := ver.Verify(in)
		checkVerifyResult(t, lic, err)
		if err != nil {
			return
		}
		if gerr != nil {
			t.Fatalf("verified under grant claims that do not decode: %v", gerr)
		}
		l, lerr := token.DecodeLicense(licensePayload)
		if lerr != nil {
			t.Fatalf("verified with license claims that do not decode: %v", lerr)
		}
		if lic.Grant == nil {
			t.Fatal("verified license under a grant has no Grant")
		}
		if v := verify.Violations(g, l); len(v) != 0 {
			t.Fatalf("verified although the license breaks the grant: %v", v)
		}
		if l.Issuer != g.Subject {
			t.Fatalf("verified with iss %q under a grant for %q", l.Issuer, g.Subject)
		}
	})
}

package fuzz

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/licet/licet/internal/vectors"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// now is the fixed clock of the fixed verifier: the vectors' "now".
var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

var (
	loadOnce sync.Once
	loaded   []*vectors.Vector
	loadErr  error
)

// allVectors loads testdata/vectors once per process.
func allVectors(tb testing.TB) []*vectors.Vector {
	tb.Helper()
	loadOnce.Do(func() { loaded, loadErr = vectors.LoadAll() })
	if loadErr != nil {
		tb.Fatal(loadErr)
	}
	return loaded
}

// rawOf returns the COSE_Sign1 bytes of a vector's token, nil if it cannot
// be unarmored.
func rawOf(v *vectors.Vector) []byte {
	raw, _, err := token.Unarmor(v.Token)
	if err != nil {
		return nil
	}
	return raw
}

// vectorVerifier builds the verifier a vector's header describes.
func vectorVerifier(tb testing.TB, v *vectors.Vector) *verify.Verifier {
	tb.Helper()
	ver, err := v.Verifier()
	if err != nil {
		tb.Fatal(err)
	}
	return ver
}

var (
	fixedOnce sync.Once
	fixed     *verify.Verifier
	fixedErr  error
)

// fixedVerifier is the verifier of FuzzVerify and FuzzGrant: it trusts the
// vectors' vendor keys (issuer acme), verifies acme-db 2.1.0 at the
// vectors' now on a machine bound as host=fp-7f3a, with a revocation list
// that names one license id and the stranger's key.
func fixedVerifier(tb testing.TB) *verify.Verifier {
	tb.Helper()
	fixedOnce.Do(func() {
		ks, err := verify.NewKeySet(
			verify.Key{PublicKey: vectors.PublicKey(vectors.KeyVendor), Issuer: "acme"},
			verify.Key{PublicKey: vectors.PublicKey(vectors.KeyVendor2), Issuer: "acme", NotAfter: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		)
		if err != nil {
			fixedErr = err
			return
		}
		revs, err := token.SignRevocations(vectors.PrivateKey(vectors.KeyVendor), &token.Revocations{
			Issuer: "acme", IssuedAt: now.Add(-24 * time.Hour), NextUpdate: now.Add(24 * time.Hour), Seq: 1,
			IDs: [][]byte{vectors.ID("revoked-license")}, KeyIDs: [][]byte{token.KeyID(vectors.PublicKey(vectors.KeyStranger))},
		})
		if err != nil {
			fixedErr = err
			return
		}
		lists, err := verify.ParseRevocations(revs, ks)
		if err != nil {
			fixedErr = err
			return
		}
		fixed, fixedErr = verify.New(ks,
			verify.WithProduct("acme-db"),
			verify.WithProductVersion("2.1.0"),
			verify.WithClock(func() time.Time { return now }),
			verify.WithBinding(map[string]string{"host": "fp-7f3a"}),
			verify.WithRevocations(lists...),
		)
	})
	if fixedErr != nil {
		tb.Fatal(fixedErr)
	}
	return fixed
}

// checkVerifyResult fails t unless (lic, err) is one of the two outcomes
// Verify promises: a license and no error, or no license and a
// *verify.Error carrying one of the codes.
func checkVerifyResult(t *testing.T, lic *verify.License, err error) {
	t.Helper()
	if err == nil {
		if lic == nil {
			t.Fatal("Verify returned neither a license nor an error")
		}
		return
	}
	if lic != nil {
		t.Fatalf("Verify returned a license along with %v", err)
	}
	var ve *verify.Error
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *verify.Error", err, err)
	}
	known := false
	for _, c := range verify.Codes() {
		if ve.Code == c {
			known = true
		}
	}
	if !known || verify.CodeOf(err) != ve.Code {
		t.Fatalf("error %v carries unknown code %q", err, ve.Code)
	}
	if !errors.Is(err, &verify.Error{Code: ve.Code}) {
		t.Fatalf("errors.Is does not match the error's own code %s", ve.Code)
	}
}

// envelope rebuilds a COSE_Sign1 from its parts, the way issuers write it:
// shortest heads, empty unprotected map.
func envelope(protected, payload, sig []byte) []byte {
	b := []byte{0xd2, 0x84}
	b = appendBstr(b, protected)
	b = append(b, 0xa0)
	b = appendBstr(b, payload)
	return appendBstr(b, sig)
}

func appendBstr(b, s []byte) []byte {
	n := uint64(len(s))
	switch {
	case n < 24:
		b = append(b, 0x40|byte(n))
	case n <= 0xff:
		b = append(b, 0x58, byte(n))
	case n <= 0xffff:
		b = append(b, 0x59, byte(n>>8), byte(n))
	default:
		b = append(b, 0x5a, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, s...)
}

// signedLicense builds a license COSE_Sign1 over any payload, signed by
// priv, with grant (raw COSE_Sign1 bytes) at header label 13 when not nil.
func signedLicense(priv ed25519.PrivateKey, payload, grant []byte) ([]byte, error) {
	hdr := map[int]any{1: token.AlgEdDSA, 4: token.KeyID(priv.Public().(ed25519.PublicKey)), 16: token.TypeLicense}
	if grant != nil {
		hdr[13] = cbor.RawMessage(grant)
	}
	protected, err := token.Marshal(hdr)
	if err != nil {
		return nil, err
	}
	m := &token.Message{Protected: protected, Payload: payload}
	return envelope(protected, payload, ed25519.Sign(priv, m.AppendToBeSigned(nil))), nil
}

// normLicense returns l comparable with reflect.DeepEqual: the parsed
// constraint dropped (Versions keeps its text), empty lists and maps as
// nil.
func normLicense(l token.License) token.License {
	l.Constraint = nil
	if len(l.Audience) == 0 {
		l.Audience = nil
	}
	if len(l.Scopes) == 0 {
		l.Scopes = nil
	}
	if len(l.Rights) == 0 {
		l.Rights = nil
	}
	if len(l.Crit) == 0 {
		l.Crit = nil
	}
	if len(l.Limits) == 0 {
		l.Limits = nil
	}
	if len(l.Bind) == 0 {
		l.Bind = nil
	}
	if len(l.Meta) == 0 {
		l.Meta = nil
	}
	if len(l.ID) == 0 {
		l.ID = nil
	}
	return l
}

// normGrant is normLicense for grants.
func normGrant(g token.Grant) token.Grant {
	g.Constraint = nil
	if len(g.Audience) == 0 {
		g.Audience = nil
	}
	if len(g.Tiers) == 0 {
		g.Tiers = nil
	}
	if len(g.Scopes) == 0 {
		g.Scopes = nil
	}
	if len(g.Rights) == 0 {
		g.Rights = nil
	}
	if len(g.Limits) == 0 {
		g.Limits = nil
	}
	return g
}

// normRevocations sorts the id lists (issuers encode them sorted) and
// makes empty lists nil.
func normRevocations(r token.Revocations) token.Revocations {
	sorted := func(in [][]byte) [][]byte {
		if len(in) == 0 {
			return nil
		}
		out := append([][]byte(nil), in...)
		sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i], out[j]) < 0 })
		return out
	}
	r.IDs, r.KeyIDs = sorted(r.IDs), sorted(r.KeyIDs)
	return r
}

func deepEqual(a, b any) bool { return reflect.DeepEqual(a, b) }

package verify_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"filippo.io/edwards25519"

	"github.com/licet/licet/internal/vectors"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// sameAsStd fails t unless verify's prepared-key Ed25519 verification,
// without and with its table of multiples, and crypto/ed25519 give the
// same answer for (pub, msg, sig). It returns that answer.
func sameAsStd(t testing.TB, what string, pub, msg, sig []byte) bool {
	t.Helper()
	want := ed25519.Verify(pub, msg, sig)
	plain, table := verify.Ed25519Verify(pub, msg, sig)
	if plain != want || table != want {
		t.Fatalf("%s: prepared key says %v (first use) and %v (with its table), crypto/ed25519 says %v\npub %x\nmsg %x\nsig %x",
			what, plain, table, want, pub, msg, sig)
	}
	return want
}

// TestEdKeyWycheproof runs every Wycheproof Ed25519 case (malleable and
// non-canonical S, non-canonical and small-order R, truncated and
// extended signatures, edge-case messages) through the prepared-key path
// and crypto/ed25519: same answer for all 151, and the answer Wycheproof
// expects for the valid and invalid ones.
func TestEdKeyWycheproof(t *testing.T) {
	cases := loadWycheproof(t)
	accepted := 0
	for _, c := range cases {
		if len(c.pk) != ed25519.PublicKeySize {
			continue
		}
		got := sameAsStd(t, c.Comment, c.pk, c.msg, c.sig)
		if (c.Result == "valid" && !got) || (c.Result == "invalid" && got) {
			t.Errorf("tcId %d (%s): verifies %v, Wycheproof says %s", c.TcID, c.Comment, got, c.Result)
		}
		if got {
			accepted++
		}
	}
	if accepted < wycheproofValid {
		t.Errorf("accepted %d cases, want at least the %d valid ones", accepted, wycheproofValid)
	}
}

// TestEdKeyVectors: every signature in testdata/vectors (licenses, their
// embedded grants, revocation lists), under every trusted key of its
// vector and the partner key of its grant, gets the same answer from both
// paths, untouched and with each of a few bits flipped in the signature
// and in the signed bytes.
func TestEdKeyVectors(t *testing.T) {
	checked, valid := 0, 0
	vectors.ForEach(t, func(t *testing.T, v *vectors.Vector) {
		m, _, err := token.Decode(v.Token)
		if err != nil {
			return // malformed before any signature
		}
		msgs := []*token.Message{m}
		var pubs [][]byte
		for _, k := range v.Keys {
			pubs = append(pubs, k.Public)
		}
		if g := m.Header.Grant; g != nil {
			msgs = append(msgs, g)
			if gr, err := token.DecodeGrant(g.Payload); err == nil {
				pubs = append(pubs, gr.Key)
			}
		}
		for _, msg := range msgs {
			tbs := msg.AppendToBeSigned(nil)
			for _, pub := range pubs {
				if len(pub) != ed25519.PublicKeySize {
					continue
				}
				checked++
				if sameAsStd(t, v.Name, pub, tbs, msg.Signature) {
					valid++
				}
				for _, bit := range []int{0, 7, 255, 256, 300, 511} {
					sig := bytes.Clone(msg.Signature)
					sig[bit/8] ^= 1 << (bit % 8)
					sameAsStd(t, v.Name+" flipped signature bit", pub, tbs, sig)
				}
				bad := bytes.Clone(tbs)
				bad[len(bad)-1] ^= 1
				sameAsStd(t, v.Name+" flipped message bit", pub, bad, msg.Signature)
			}
		}
	})
	t.Logf("%d signature checks, %d valid", checked, valid)
	if valid == 0 {
		t.Fatal("no vector signature verified: the test checks nothing")
	}
}

// TestEdKeyDifferential compares the two paths on random keys and
// messages, valid signatures and their mutations: a bit flipped in R, S,
// the key or the message; S replaced by S + l (malleability), by l, by
// 0, by all ones; R replaced by the identity, the base point, a
// non-canonical y, random bytes; the key replaced by small-order points
// and non-points; wrong signature lengths.
func TestEdKeyDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 2026))
	l := []byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10} // the group order, little endian
	odd := [][]byte{
		bytes.Repeat([]byte{0}, 32), bytes.Repeat([]byte{0xff}, 32),
		append([]byte{1}, make([]byte, 31)...),                                // identity
		append([]byte{0xec}, append(bytes.Repeat([]byte{0xff}, 30), 0x7f)...), // y = p - 1
		append([]byte{0xed}, append(bytes.Repeat([]byte{0xff}, 30), 0x7f)...), // y = p, non-canonical 0
		append([]byte{0xee}, append(bytes.Repeat([]byte{0xff}, 30), 0x7f)...), // y = p + 1, non-canonical 1
		l,
	}
	var accepted, total int
	check := func(what string, pub, msg, sig []byte) {
		total++
		if sameAsStd(t, what, pub, msg, sig) {
			accepted++
		}
	}
	for i := 0; i < 300; i++ {
		var seed [32]byte
		binary.LittleEndian.PutUint64(seed[:], rng.Uint64())
		binary.LittleEndian.PutUint64(seed[8:], rng.Uint64())
		priv := ed25519.NewKeyFromSeed(seed[:])
		pub := priv.Public().(ed25519.PublicKey)
		msg := make([]byte, rng.IntN(600))
		for j := range msg {
			msg[j] = byte(rng.Uint32())
		}
		sig := ed25519.Sign(priv, msg)
		check("valid", pub, msg, sig)

		mut := bytes.Clone(sig)
		mut[rng.IntN(64)] ^= 1 << rng.IntN(8)
		check("flipped signature bit", pub, msg, mut)
		pk := bytes.Clone(pub)
		pk[rng.IntN(32)] ^= 1 << rng.IntN(8)
		check("flipped key bit", pk, msg, sig)
		if len(msg) > 0 {
			m2 := bytes.Clone(msg)
			m2[rng.IntN(len(m2))] ^= 1 << rng.IntN(8)
			check("flipped message bit", pub, m2, sig)
		}
		check("S + l", pub, msg, append(bytes.Clone(sig[:32]), addLE(sig[32:], l)...))
		for _, o := range odd {
			check("odd S", pub, msg, append(bytes.Clone(sig[:32]), o...))
			check("odd R", pub, msg, append(bytes.Clone(o), sig[32:]...))
			check("odd key", o, msg, sig)
		}
		r := make([]byte, 64)
		for j := range r {
			r[j] = byte(rng.Uint32())
		}
		check("random signature", pub, msg, r)
		check("random key", r[:32], msg, sig)
		check("short signature", pub, msg, sig[:63])
		check("long signature", pub, msg, append(bytes.Clone(sig), 0))
	}
	// A wrong key length: crypto/ed25519 panics, the prepared key verifies
	// nothing.
	if plain, table := verify.Ed25519Verify(make([]byte, 31), nil, make([]byte, 64)); plain || table {
		t.Error("a 31-byte key verifies")
	}
	t.Logf("%d cases, %d accepted by both", total, accepted)
	if accepted < 300 {
		t.Fatalf("only %d accepted: the valid signatures must be", accepted)
	}
}

// addLE returns a + b for 32-byte little-endian numbers, modulo 2^256.
func addLE(a, b []byte) []byte {
	out := make([]byte, 32)
	carry := 0
	for i := 0; i < 32; i++ {
		s := int(a[i]) + int(b[i]) + carry
		out[i], carry = byte(s), s>>8
	}
	return out
}

// FuzzEdKey: for any key, message and signature, the prepared-key path
// and crypto/ed25519 agree. Seeds include a valid signature, so that
// mutations near it are explored.
func FuzzEdKey(f *testing.F) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{5}, 32))
	pub := priv.Public().(ed25519.PublicKey)
	msg := []byte("licet")
	f.Add([]byte(pub), msg, ed25519.Sign(priv, msg))
	f.Add(make([]byte, 32), []byte{}, make([]byte, 64))
	f.Add(bytes.Repeat([]byte{0xff}, 32), msg, bytes.Repeat([]byte{0xff}, 64))
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		if len(pub) != ed25519.PublicKeySize {
			if plain, table := verify.Ed25519Verify(pub, msg, sig); plain || table {
				t.Fatalf("a %d-byte key verifies", len(pub))
			}
			return
		}
		sameAsStd(t, "fuzz", pub, msg, sig)
	})
}

// TestEdKeyTableWhenHot: a trusted key's first HotAfter verifications go
// without the table of multiples (the second in particular: issue 20),
// the next one builds it, and all verify.
func TestEdKeyTableWhenHot(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{6}, 32))
	pub := priv.Public().(ed25519.PublicKey)
	l := typicalLicenseAt(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	tok, err := token.SignLicense(priv, l, nil)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := verify.NewKeySet(verify.Key{PublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(ks, verify.AnyProductInsecure(), verify.AnyVersionInsecure(),
		verify.WithClock(func() time.Time { return l.IssuedAt }))
	if err != nil {
		t.Fatal(err)
	}
	kid := token.KeyID(pub)
	if verify.HotAfter < 2 {
		t.Fatalf("HotAfter %d: the second verification builds the table", verify.HotAfter)
	}
	for i := range verify.HotAfter + 2 {
		wantTable := i+1 > verify.HotAfter
		if _, err := v.Verify(tok); err != nil {
			t.Fatalf("verification %d: %v", i+1, err)
		}
		if uses, built := ks.Ed25519KeyUses(kid); uses != int64(i+1) || built != wantTable {
			t.Fatalf("after verification %d: %d uses, table built %v; want %d, %v", i+1, uses, built, i+1, wantTable)
		}
	}
	bad := bytes.Clone(tok)
	bad[len(bad)-1] ^= 1
	if _, err := v.Verify(bad); verify.CodeOf(err) != verify.CodeBadSignature {
		t.Fatalf("flipped signature with the table: %v", err)
	}
}

func typicalLicenseAt(now time.Time) *token.License {
	return &token.License{
		Issuer: "acme", Subject: "customer-1", Audience: []string{"widget"},
		IssuedAt: now.Add(-time.Hour), Expiry: now.Add(time.Hour),
		ID: bytes.Repeat([]byte{1}, token.IDSize), Tier: "pro", Scopes: []string{"api:read"},
	}
}

// TestEdKeyTorsionKeys: keys with a small-order component (A + T, T of
// order 2, 4 or 8) and signatures made by A. Cofactorless verification
// accepts exactly when [k]T is the identity, which depends on k mod 8:
// both paths must agree with crypto/ed25519 case by case, so the
// fixed-base tables must be exact in the whole group, not only in the
// prime-order subgroup.
func TestEdKeyTorsionKeys(t *testing.T) {
	var torsion []*edwards25519.Point
	for _, h := range []string{
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // (0, -1): order 2
		"0000000000000000000000000000000000000000000000000000000000000080", // (sqrt(-1), 0)-ish: order 4
		"0000000000000000000000000000000000000000000000000000000000000000", // order 4
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
	} {
		b, _ := hex.DecodeString(h)
		p, err := new(edwards25519.Point).SetBytes(b)
		if err != nil {
			continue
		}
		if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1 {
			t.Fatalf("%s is not of small order", h)
		}
		torsion = append(torsion, p)
	}
	if len(torsion) < 3 {
		t.Fatalf("only %d small-order points decoded", len(torsion))
	}
	rng := rand.New(rand.NewPCG(8, 8))
	random64 := func() []byte {
		b := make([]byte, 64)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	accepted, rejected := 0, 0
	for i := 0; i < 200; i++ {
		// A secret scalar a, A = [a]B, and a signature (R, S) made for
		// the key A' = A + T: S = r + H(R || A' || M)·a, so that
		// [S]B - [k]A' = R - [k]T.
		h := sha512.Sum512(random64()[:32])
		a, err := new(edwards25519.Scalar).SetBytesWithClamping(h[:32])
		if err != nil {
			t.Fatal(err)
		}
		A := new(edwards25519.Point).ScalarBaseMult(a)
		msg := []byte(fmt.Sprintf("message %d", i))
		for _, tp := range torsion {
			pub := new(edwards25519.Point).Add(A, tp).Bytes()
			r, _ := new(edwards25519.Scalar).SetUniformBytes(random64())
			R := new(edwards25519.Point).ScalarBaseMult(r).Bytes()
			kh := sha512.New()
			kh.Write(R)
			kh.Write(pub)
			kh.Write(msg)
			k, _ := new(edwards25519.Scalar).SetUniformBytes(kh.Sum(nil))
			S := new(edwards25519.Scalar).MultiplyAdd(k, a, r)
			sig := append(R, S.Bytes()...)
			if sameAsStd(t, "torsion key", pub, msg, sig) {
				accepted++
			} else {
				rejected++
			}
		}
	}
	t.Logf("torsion keys: %d accepted, %d rejected by both", accepted, rejected)
	if accepted == 0 || rejected == 0 {
		t.Fatal("the cases do not exercise both answers")
	}
}

// TestPartnerKeysPrepared: licenses under grants of 20 partner keys (more
// than the verifier keeps prepared), each verified three times in two
// rounds, all verify; a changed signature under a key already prepared
// does not.
func TestPartnerKeysPrepared(t *testing.T) {
	v := verifier(t, keyset(t))
	var toks [][]byte
	for i := 0; i < 20; i++ {
		p := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(100 + i)}, 32))
		g := signGrant(t, vendor, grantFor(func(g *token.Grant) { g.Key = p.Public().(ed25519.PublicKey) }))
		toks = append(toks, mint(t, p, partnerLicense(), g))
	}
	for round := 0; round < 2; round++ {
		for i, tok := range toks {
			for j := 0; j < 3; j++ {
				if _, err := v.Verify(tok, "api:read"); err != nil {
					t.Fatalf("round %d, partner %d, verification %d: %v", round, i, j+1, err)
				}
			}
		}
	}
	bad := bytes.Clone(toks[19])
	bad[len(bad)-2] ^= 1
	if _, err := v.Verify(bad); verify.CodeOf(err) != verify.CodeBadSignature {
		t.Fatalf("changed signature under a prepared partner key: %v", err)
	}
}

package token_test

import (
	"testing"

	"filippo.io/edwards25519"

	"github.com/licet/licet/token"
)

// TestSmallOrderList checks the hard-coded list against an independent
// implementation: every torsion point, in both signs, is caught, and
// ordinary keys are not.
func TestSmallOrderList(t *testing.T) {
	// A point of order 8 generates the torsion subgroup.
	gen, err := new(edwards25519.Point).SetBytes([]byte{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05})
	if err != nil {
		t.Fatalf("decoding the order-8 point: %v", err)
	}
	if new(edwards25519.Point).MultByCofactor(gen).Equal(edwards25519.NewIdentityPoint()) != 1 {
		t.Fatal("the order-8 point times the cofactor is not the identity")
	}
	p := edwards25519.NewIdentityPoint()
	seen := map[string]bool{}
	for i := 0; i < 8; i++ {
		enc := p.Bytes()
		seen[string(enc)] = true
		if !token.IsSmallOrder(enc) {
			t.Fatalf("torsion point %d %x is not small order", i, enc)
		}
		flipped := append([]byte(nil), enc...)
		flipped[31] ^= 0x80
		if !token.IsSmallOrder(flipped) {
			t.Fatalf("torsion point %d with sign flipped is not small order", i)
		}
		p.Add(p, gen)
	}
	if len(seen) != 8 {
		t.Fatalf("%d distinct torsion points, want 8", len(seen))
	}
	if !token.IsSmallOrder(append([]byte{0xed}, append(bytesOf(0xff, 30), 0x7f)...)) {
		t.Fatal("the non-canonical encoding ed ff..ff 7f (p-1) is not small order")
	}
	if token.IsSmallOrder(nil) {
		t.Fatal("IsSmallOrder(nil) = true, want false")
	}
	if token.IsSmallOrder(testKey("vendor")[32:]) {
		t.Fatal("an ordinary public key is small order")
	}
	if token.IsSmallOrder(edwards25519.NewGeneratorPoint().Bytes()) {
		t.Fatal("the base point is small order")
	}
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

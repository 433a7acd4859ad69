package token_test

import (
	"testing"

	"filippo.io/edwards25519"
	"github.com/stretchr/testify/require"

	"github.com/licet/licet/token"
)

// TestSmallOrderList checks the hard-coded list against an independent
// implementation: every torsion point, in both signs, is caught, and
// ordinary keys are not.
func TestSmallOrderList(t *testing.T) {
	// A point of order 8 generates the torsion subgroup.
	gen, err := new(edwards25519.Point).SetBytes([]byte{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05})
	require.NoError(t, err)
	require.Equal(t, 1, new(edwards25519.Point).MultByCofactor(gen).Equal(edwards25519.NewIdentityPoint()))
	p := edwards25519.NewIdentityPoint()
	seen := map[string]bool{}
	for i := 0; i < 8; i++ {
		enc := p.Bytes()
		seen[string(enc)] = true
		require.True(t, token.IsSmallOrder(enc), "torsion point %d %x", i, enc)
		flipped := append([]byte(nil), enc...)
		flipped[31] ^= 0x80
		require.True(t, token.IsSmallOrder(flipped), "torsion point %d with sign flipped", i)
		p.Add(p, gen)
	}
	require.Len(t, seen, 8)
	require.True(t, token.IsSmallOrder(append([]byte{0xed}, append(bytesOf(0xff, 30), 0x7f)...)))
	require.False(t, token.IsSmallOrder(nil))
	require.False(t, token.IsSmallOrder(testKey("vendor")[32:]))
	require.False(t, token.IsSmallOrder(edwards25519.NewGeneratorPoint().Bytes()))
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

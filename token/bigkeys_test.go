package token_test

import (
	"bytes"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/licet/licet/token"
)

// withExtra appends one raw key/value pair to a CBOR map of fewer than 23
// pairs, so keys no Go integer type holds can be written.
func withExtra(t *testing.T, m []byte, key, value []byte) []byte {
	t.Helper()
	require.True(t, m[0] >= 0xa0 && m[0] < 0xb7, "small map expected")
	out := append([]byte{m[0] + 1}, m[1:]...)
	out = append(out, key...)
	return append(out, value...)
}

var (
	maxUint64Key = []byte{0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff} // 2^64-1
	minNint64Key = []byte{0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff} // -2^64
	int64EdgeKey = []byte{0x3b, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00} // -2^63-1
	bigUintKey   = []byte{0x1b, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00} // 2^63
)

// TestIntegerLabelsOutsideInt64 (issue 9, item 5): unknown claim keys of
// any integer value are ignored (FORMAT section 3), also those that do
// not fit in an int64.
func TestIntegerLabelsOutsideInt64(t *testing.T) {
	base := claims(t, baseClaims())
	for name, key := range map[string][]byte{"2^64-1": maxUint64Key, "-2^64": minNint64Key, "-2^63-1": int64EdgeKey, "2^63": bigUintKey} {
		t.Run("license "+name, func(t *testing.T) {
			_, err := token.DecodeLicense(withExtra(t, base, key, []byte{0x01}))
			require.NoError(t, err)
		})
	}
	g := &token.Grant{
		Issuer: "acme", Subject: "reseller", Audience: []string{"widget"},
		IssuedAt: t0, Expiry: t0.Add(time.Hour), ID: bytes.Repeat([]byte{9}, 16),
		Key: testKey("partner").Public().(ed25519.PublicKey), Tiers: []string{"*"}, Scopes: []string{"*"},
	}
	gb, err := g.MarshalClaims()
	require.NoError(t, err)
	for name, key := range map[string][]byte{"2^64-1": maxUint64Key, "-2^64": minNint64Key} {
		t.Run("grant "+name, func(t *testing.T) {
			_, err := token.DecodeGrant(withExtra(t, gb, key, []byte{0x01}))
			require.NoError(t, err)
		})
	}
}

func TestHeaderLabelsOutsideInt64(t *testing.T) {
	kid := bytes.Repeat([]byte{1}, 8)
	good, err := token.Marshal(map[any]any{1: -8, 4: kid, 16: token.TypeLicense})
	require.NoError(t, err)
	for name, key := range map[string][]byte{"2^64-1": maxUint64Key, "-2^64": minNint64Key} {
		t.Run(name, func(t *testing.T) {
			m, err := token.ParseMessage(envelope(withExtra(t, good, key, []byte{0x01}), []byte{0xa0}, []byte{0xa0}, make([]byte, 64)))
			require.NoError(t, err)
			require.Equal(t, kid, m.Header.KID)
			require.Equal(t, token.TypeLicense, m.Header.Typ)
			require.EqualValues(t, -8, m.Header.Alg)
			// The same wide label twice is still a duplicate.
			twice := withExtra(t, withExtra(t, good, key, []byte{0x01}), key, []byte{0x02})
			_, err = token.ParseMessage(envelope(twice, []byte{0xa0}, []byte{0xa0}, make([]byte, 64)))
			require.ErrorIs(t, err, token.ErrMalformed)
			require.ErrorContains(t, err, "duplicate")
		})
	}
}

// TestNestedDuplicatesEverywhere (issue 9, item 4): duplicate map keys
// are malformed at every level of every object, also inside unknown
// members of the grant's cnf map and of its COSE_Key, and when the two
// keys are encoded differently.
func TestNestedDuplicatesEverywhere(t *testing.T) {
	x := testKey("partner").Public().(ed25519.PublicKey)
	grant := func(cnf []byte) []byte {
		g := &token.Grant{
			Issuer: "acme", Subject: "reseller", Audience: []string{"widget"},
			IssuedAt: t0, Expiry: t0.Add(time.Hour), ID: bytes.Repeat([]byte{9}, 16),
			Key: x, Tiers: []string{"*"}, Scopes: []string{"*"},
		}
		gb, err := g.MarshalClaims()
		require.NoError(t, err)
		// Replace the encoded cnf value (after key 8) with the given bytes.
		good, err := token.Marshal(map[any]any{1: map[any]any{1: 1, -1: 6, -2: []byte(x)}})
		require.NoError(t, err)
		i := bytes.Index(gb, append([]byte{0x08}, good...))
		require.Positive(t, i)
		out := append([]byte{}, gb[:i+1]...)
		out = append(out, cnf...)
		return append(out, gb[i+1+len(good):]...)
	}
	coseKey := func(extra ...byte) []byte {
		k, err := token.Marshal(map[any]any{1: 1, -1: 6, -2: []byte(x)})
		require.NoError(t, err)
		if len(extra) > 0 {
			k = append([]byte{k[0] + 1}, append(k[1:], extra...)...)
		}
		return k
	}
	dupMap := []byte{0xa2, 0x01, 0x01, 0x18, 0x01, 0x02} // {1: 1, 1: 2}, the second 1 in two bytes
	okMap := []byte{0xa2, 0x01, 0x01, 0x02, 0x02}
	for _, tc := range []struct {
		name string
		cnf  []byte
		ok   bool
	}{
		{"plain", append([]byte{0xa1, 0x01}, coseKey()...), true},
		{"unknown cnf member, clean", append(append([]byte{0xa2, 0x01}, coseKey()...), append([]byte{0x18, 0x63}, okMap...)...), true},
		{"unknown cnf member with duplicate keys", append(append([]byte{0xa2, 0x01}, coseKey()...), append([]byte{0x18, 0x63}, dupMap...)...), false},
		{"unknown COSE_Key parameter with duplicate keys", append([]byte{0xa1, 0x01}, coseKey(append([]byte{0x20 | 0x10}, dupMap...)...)...), false},
		{"unknown COSE_Key parameter, clean", append([]byte{0xa1, 0x01}, coseKey(append([]byte{0x20 | 0x10}, okMap...)...)...), true},
		{"duplicate label in cnf", append(append([]byte{0xa2, 0x01}, coseKey()...), append([]byte{0x01}, coseKey()...)...), false},
		{"wide label in cnf", append(append([]byte{0xa2, 0x01}, coseKey()...), append(append([]byte{}, maxUint64Key...), 0x01)...), true},
		{"null inside unknown cnf member", append(append([]byte{0xa2, 0x01}, coseKey()...), 0x18, 0x63, 0x81, 0xf6), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := token.DecodeGrant(grant(tc.cnf))
			if tc.ok {
				require.NoError(t, err)
				require.Equal(t, x, g.Key)
				return
			}
			require.ErrorIs(t, err, token.ErrMalformed)
		})
	}
}

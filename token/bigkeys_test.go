package token_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/token"
)

// withExtra appends one raw key/value pair to a CBOR map of fewer than 23
// pairs, so keys no Go integer type holds can be written.
func withExtra(t *testing.T, m []byte, key, value []byte) []byte {
	t.Helper()
	if m[0] < 0xa0 || m[0] >= 0xb7 {
		t.Fatalf("withExtra: head %#x is not a map of fewer than 23 pairs", m[0])
	}
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
			if err != nil {
				t.Fatalf("DecodeLicense with a wide unknown key: %v", err)
			}
		})
	}
	g := &token.Grant{
		Issuer: "acme", Subject: "reseller", Audience: []string{"widget"},
		IssuedAt: t0, Expiry: t0.Add(time.Hour), ID: bytes.Repeat([]byte{9}, 16),
		Key: testKey("partner").Public().(ed25519.PublicKey), Tiers: []string{"*"}, Scopes: []string{"*"},
	}
	gb, err := g.MarshalClaims()
	if err != nil {
		t.Fatalf("MarshalClaims: %v", err)
	}
	for name, key := range map[string][]byte{"2^64-1": maxUint64Key, "-2^64": minNint64Key} {
		t.Run("grant "+name, func(t *testing.T) {
			_, err := token.DecodeGrant(withExtra(t, gb, key, []byte{0x01}))
			if err != nil {
				t.Fatalf("DecodeGrant with a wide unknown key: %v", err)
			}
		})
	}
}

func TestHeaderLabelsOutsideInt64(t *testing.T) {
	kid := bytes.Repeat([]byte{1}, 8)
	good, err := token.Marshal(map[any]any{1: -8, 4: kid, 16: token.TypeLicense})
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	for name, key := range map[string][]byte{"2^64-1": maxUint64Key, "-2^64": minNint64Key} {
		t.Run(name, func(t *testing.T) {
			m, err := token.ParseMessage(envelope(withExtra(t, good, key, []byte{0x01}), []byte{0xa0}, []byte{0xa0}, make([]byte, 64)))
			if err != nil {
				t.Fatalf("ParseMessage: %v", err)
			}
			if !bytes.Equal(m.Header.KID, kid) {
				t.Fatalf("kid %x, want %x", m.Header.KID, kid)
			}
			if m.Header.Typ != token.TypeLicense {
				t.Fatalf("typ %q, want %q", m.Header.Typ, token.TypeLicense)
			}
			if m.Header.Alg != -8 {
				t.Fatalf("alg %d, want -8", m.Header.Alg)
			}
			// The same wide label twice is still a duplicate.
			twice := withExtra(t, withExtra(t, good, key, []byte{0x01}), key, []byte{0x02})
			_, err = token.ParseMessage(envelope(twice, []byte{0xa0}, []byte{0xa0}, make([]byte, 64)))
			if !errors.Is(err, token.ErrMalformed) {
				t.Fatalf("ParseMessage of a wide label twice: %v, want token.ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), "duplicate") {
				t.Fatalf("ParseMessage of a wide label twice: %v, want a duplicate error", err)
			}
		})
	}
}

// TestNestedDuplicatesEverywhere (issue 9, item 4): duplicate map keys
// are malformed at every level of every object, also inside unknown
// members of the grant's cnf map and of its COSE_Key, and when the two
// keys are encoded differently.
func TestNestedDuplicatesEverywhere(t *testing.T) {
	x := testKey("partner").Public().(ed25519.PublicKey)
	grant := func(t *testing.T, cnf []byte) []byte {
		t.Helper()
		g := &token.Grant{
			Issuer: "acme", Subject: "reseller", Audience: []string{"widget"},
			IssuedAt: t0, Expiry: t0.Add(time.Hour), ID: bytes.Repeat([]byte{9}, 16),
			Key: x, Tiers: []string{"*"}, Scopes: []string{"*"},
		}
		gb, err := g.MarshalClaims()
		if err != nil {
			t.Fatalf("grant MarshalClaims: %v", err)
		}
		// Replace the encoded cnf value (after key 8) with the given bytes.
		good, err := token.Marshal(map[any]any{1: map[any]any{1: 1, -1: 6, -2: []byte(x)}})
		if err != nil {
			t.Fatalf("Marshal of the cnf map: %v", err)
		}
		i := bytes.Index(gb, append([]byte{0x08}, good...))
		if i <= 0 {
			t.Fatalf("the encoded cnf (key 8) is not in the grant claims %x", gb)
		}
		out := append([]byte{}, gb[:i+1]...)
		out = append(out, cnf...)
		return append(out, gb[i+1+len(good):]...)
	}
	coseKey := func(extra ...byte) []byte {
		k, err := token.Marshal(map[any]any{1: 1, -1: 6, -2: []byte(x)})
		if err != nil {
			t.Fatalf("Marshal of the COSE_Key: %v", err)
		}
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
			g, err := token.DecodeGrant(grant(t, tc.cnf))
			if tc.ok {
				if err != nil {
					t.Fatalf("DecodeGrant: %v", err)
				}
				if !bytes.Equal(g.Key, x) {
					t.Fatalf("cnf key %x, want %x", g.Key, x)
				}
				return
			}
			if !errors.Is(err, token.ErrMalformed) {
				t.Fatalf("DecodeGrant: %v, want token.ErrMalformed", err)
			}
		})
	}
}

package token_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/token"
)

func gid(b byte) []byte { return bytes.Repeat([]byte{b}, token.IDSize) }

// TestGrantedRoundTrip: SignRevocations merges the pairs of one grant,
// sorts pairs and ids, drops duplicates (in r too), and the decoder reads
// back exactly that.
func TestGrantedRoundTrip(t *testing.T) {
	r := &token.Revocations{
		Issuer: "acme", IssuedAt: t0, NextUpdate: t0.Add(time.Hour), Seq: 2,
		IDs: [][]byte{gid(1)},
		Granted: []token.GrantIDs{
			{Grant: gid(9), IDs: [][]byte{gid(3), gid(2)}},
			{Grant: gid(5), IDs: [][]byte{gid(1)}},
			{Grant: gid(9), IDs: [][]byte{gid(2), gid(4)}},
		},
	}
	raw, err := token.SignRevocations(testKey("vendor"), r)
	if err != nil {
		t.Fatalf("SignRevocations: %v", err)
	}
	want := []token.GrantIDs{
		{Grant: gid(5), IDs: [][]byte{gid(1)}},
		{Grant: gid(9), IDs: [][]byte{gid(2), gid(3), gid(4)}},
	}
	if !reflect.DeepEqual(r.Granted, want) {
		t.Fatalf("r.Granted after signing %x, want %x (merged, sorted, deduplicated)", r.Granted, want)
	}
	u, err := token.ParseUnverified(raw)
	if err != nil {
		t.Fatalf("ParseUnverified: %v", err)
	}
	if !reflect.DeepEqual(u.Revocations.Granted, want) {
		t.Fatalf("decoded gcti %x, want %x", u.Revocations.Granted, want)
	}
	if !reflect.DeepEqual(u.Revocations.IDs, [][]byte{gid(1)}) {
		t.Fatalf("decoded cti %x, want only %x: a pair's ids are not plain ids", u.Revocations.IDs, gid(1))
	}

	// The encoding is the same whatever the order the caller gave.
	again := &token.Revocations{Issuer: "acme", IssuedAt: t0, NextUpdate: t0.Add(time.Hour), Seq: 2,
		IDs: [][]byte{gid(1)}, Granted: []token.GrantIDs{want[1], want[0]}}
	a, err := again.MarshalClaims()
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.MarshalClaims()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("two orders of one list encode differently:\n%x\n%x", a, b)
	}

	// No pair: the claim is omitted, not an empty array.
	plain := &token.Revocations{Issuer: "acme", IssuedAt: t0, NextUpdate: t0.Add(time.Hour), Seq: 1}
	pb, err := plain.MarshalClaims()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(pb, []byte("gcti")) {
		t.Fatalf("a list without pairs encodes a gcti claim: %x", pb)
	}
	d, err := token.DecodeRevocations(pb)
	if err != nil {
		t.Fatalf("DecodeRevocations: %v", err)
	}
	if d.Granted != nil {
		t.Fatalf("Granted %x, want nil", d.Granted)
	}
}

// TestGrantedSignRefuses: SignRevocations refuses pairs that no strict
// decoder would accept.
func TestGrantedSignRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		pair token.GrantIDs
		want string
	}{
		"no license id":      {token.GrantIDs{Grant: gid(1)}, "without any license id"},
		"short grant id":     {token.GrantIDs{Grant: []byte{1, 2}, IDs: [][]byte{gid(2)}}, "grant id of 2 bytes"},
		"long license id":    {token.GrantIDs{Grant: gid(1), IDs: [][]byte{make([]byte, 17)}}, "license id of 17 bytes"},
		"empty license id":   {token.GrantIDs{Grant: gid(1), IDs: [][]byte{{}}}, "license id of 0 bytes"},
		"empty grant id too": {token.GrantIDs{Grant: nil, IDs: [][]byte{gid(2)}}, "grant id of 0 bytes"},
	} {
		t.Run(name, func(t *testing.T) {
			r := &token.Revocations{Issuer: "acme", IssuedAt: t0, NextUpdate: t0.Add(time.Hour), Granted: []token.GrantIDs{tc.pair}}
			_, err := token.SignRevocations(testKey("vendor"), r)
			var ve *token.ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SignRevocations: %v, want a *token.ValidationError containing %q", err, tc.want)
			}
		})
	}
}

// TestGrantedStrictDecoder: a gcti claim that an issuer would not have
// written is malformed.
func TestGrantedStrictDecoder(t *testing.T) {
	list := func(gcti any) []byte {
		return mustMarshal(t, map[any]any{1: "acme", 4: t0.Add(time.Hour).Unix(), 6: t0.Unix(), "seq": 1,
			"cti": [][]byte{}, "gcti": gcti})
	}
	pair := func(g []byte, ids ...[]byte) []any { return []any{g, append([][]byte{}, ids...)} }
	if _, err := token.DecodeRevocations(list([]any{pair(gid(1), gid(2), gid(3)), pair(gid(4), gid(1))})); err != nil {
		t.Fatalf("DecodeRevocations of a well-formed gcti: %v", err)
	}
	for name, gcti := range map[string]any{
		"empty claim":             []any{},
		"unsorted pairs":          []any{pair(gid(4), gid(1)), pair(gid(1), gid(2))},
		"duplicate grant":         []any{pair(gid(1), gid(2)), pair(gid(1), gid(3))},
		"empty id list":           []any{pair(gid(1))},
		"unsorted ids":            []any{pair(gid(1), gid(3), gid(2))},
		"duplicate id":            []any{pair(gid(1), gid(2), gid(2))},
		"short grant id":          []any{pair(gid(1)[:15], gid(2))},
		"long license id":         []any{pair(gid(1), append(gid(2), 0))},
		"pair of three":           []any{[]any{gid(1), [][]byte{gid(2)}, gid(3)}},
		"pair of one":             []any{[]any{gid(1)}},
		"grant id as text":        []any{[]any{strings.Repeat("a", 16), [][]byte{gid(2)}}},
		"ids not an array":        []any{[]any{gid(1), gid(2)}},
		"not an array":            map[string]int{"a": 1},
		"pair as a map":           []any{map[any]any{0: gid(1), 1: [][]byte{gid(2)}}},
		"license id as an int":    []any{[]any{gid(1), []any{7}}},
		"null in place of a pair": []any{nil},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := token.DecodeRevocations(list(gcti))
			if !errors.Is(err, token.ErrMalformed) {
				t.Fatalf("DecodeRevocations: %v, want token.ErrMalformed", err)
			}
			t.Log(err)
		})
	}
}

package verify_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/licet/licet/internal/vectors"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// mangleVector returns a valid vector by name with its verifier, checking
// that it verifies untouched.
func mangleVector(t *testing.T, name string) (*vectors.Vector, *verify.Verifier, []byte) {
	t.Helper()
	vs, err := vectors.LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Name != name {
			continue
		}
		ver := vectorVerifier(t, v)
		raw, _, err := token.Unarmor(v.Token)
		if err != nil {
			t.Fatal(err)
		}
		raw = append([]byte(nil), raw...)
		if _, err := ver.Verify(raw, v.Scopes...); err != nil {
			t.Fatalf("%s does not verify untouched: %v", name, err)
		}
		return v, ver, raw
	}
	t.Fatalf("no vector %s", name)
	return nil, nil, nil
}

// mustFail verifies in and fails t unless verification fails with a
// *verify.Error. A panic is reported with what was being verified.
func mustFail(t *testing.T, ver *verify.Verifier, in []byte, scopes []string, what string) (ok bool) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: panic: %v", what, r)
			ok = false
		}
	}()
	lic, err := ver.Verify(in, scopes...)
	if err == nil || lic != nil {
		t.Errorf("%s: verifies", what)
		return false
	}
	if verify.CodeOf(err) == "" {
		t.Errorf("%s: error without a code: %v", what, err)
		return false
	}
	return true
}

// TestMangleRaw changes every byte of valid raw tokens to other values (all
// 255 for the plain license, about 5 s; a few with -short), and truncates
// them at every length: nothing verifies, nothing panics.
func TestMangleRaw(t *testing.T) {
	for _, tc := range []struct {
		name   string
		vector string
		all    bool // all 255 replacement values, else a few
	}{
		{"plain license, every value", "valid-raw", true},
		{"license under a grant", "valid-under-grant", false},
		{"alg -19", "valid-alg-ed25519", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, ver, raw := mangleVector(t, tc.vector)
			all := tc.all && !testing.Short()
			buf := make([]byte, len(raw))
			failures := 0
			for i := range raw {
				for _, nb := range replacements(raw[i], all) {
					copy(buf, raw)
					buf[i] = nb
					if !mustFail(t, ver, buf, v.Scopes, fmt.Sprintf("byte %d %#02x->%#02x", i, raw[i], nb)) {
						failures++
					}
				}
				if failures > 10 {
					t.Fatal("too many failures")
				}
			}
			for n := 0; n < len(raw); n++ {
				mustFail(t, ver, raw[:n], v.Scopes, fmt.Sprintf("truncated to %d bytes", n))
			}
		})
	}
}

// replacements returns the values byte b is changed to: all 255 others, or
// b^0x01, b^0x80, 0x00 and 0xff (those that differ from b).
func replacements(b byte, all bool) []byte {
	var out []byte
	if all {
		for x := 0; x < 256; x++ {
			if byte(x) != b {
				out = append(out, byte(x))
			}
		}
		return out
	}
	for _, x := range []byte{b ^ 0x01, b ^ 0x80, 0x00, 0xff} {
		if x != b && bytes.IndexByte(out, x) < 0 {
			out = append(out, x)
		}
	}
	return out
}

// TestMangleText changes every character of a valid compact text token and
// truncates it at every length. Nothing verifies, except a change inside
// the prefix that leaves a valid prefix: the prefix is not signed and
// carries no meaning (FORMAT section 7), and the raw bytes are then the
// original's.
func TestMangleText(t *testing.T) {
	for _, name := range []string{"valid-basic", "valid-branded-prefix", "valid-under-grant"} {
		t.Run(name, func(t *testing.T) {
			v, ver, raw := mangleVector(t, name)
			text := bytes.TrimSpace(v.Token)
			dot := bytes.LastIndexByte(text, '.')
			buf := make([]byte, len(text))
			for i := range text {
				for _, nb := range append(replacements(text[i], false), 'A', '-', '_', '.', ' ', '=') {
					if nb == text[i] {
						continue
					}
					copy(buf, text)
					buf[i] = nb
					what := fmt.Sprintf("char %d %q->%q", i, text[i], nb)
					lic, err := ver.Verify(buf, v.Scopes...)
					if err == nil {
						got, _, uerr := token.Unarmor(buf)
						if i < dot && uerr == nil && bytes.Equal(got, raw) && lic != nil {
							continue // a different, valid prefix
						}
						t.Errorf("%s: verifies", what)
						continue
					}
					if verify.CodeOf(err) == "" {
						t.Errorf("%s: error without a code: %v", what, err)
					}
				}
			}
			for n := 0; n < len(text); n++ {
				mustFail(t, ver, text[:n], v.Scopes, fmt.Sprintf("truncated to %d characters", n))
			}
		})
	}
}

// TestMangleEnvelopeHeads re-encodes the envelope heads of a valid token in
// a longer form than needed (tag 18 as 0xd8 0x12, a byte string length on
// more bytes). The signature covers only the contents, so each such token
// would be a second encoding of the same signed object: every one is
// malformed (docs/FORMAT.md, envelope encoding).
func TestMangleEnvelopeHeads(t *testing.T) {
	v, ver, raw := mangleVector(t, "valid-raw")
	m, err := token.ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	long := func(n int) []byte { return []byte{0x59, byte(n >> 8), byte(n)} }
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"tag on two bytes", append([]byte{0xd8, 0x12}, raw[1:]...)},
		{"array head on two bytes", append([]byte{0xd2, 0x98, 0x04}, raw[2:]...)},
		{"protected length on three bytes", bytes.Join([][]byte{{0xd2, 0x84}, long(len(m.Protected)), m.Protected, {0xa0}, appendShort(m.Payload), appendShort(m.Signature)}, nil)},
		{"signature length on three bytes", bytes.Join([][]byte{{0xd2, 0x84}, appendShort(m.Protected), {0xa0}, appendShort(m.Payload), long(64), m.Signature}, nil)},
		{"unprotected map head on two bytes", bytes.Join([][]byte{{0xd2, 0x84}, appendShort(m.Protected), {0xb8, 0x00}, appendShort(m.Payload), appendShort(m.Signature)}, nil)},
	} {
		if bytes.Equal(tc.in, raw) {
			t.Fatalf("%s: test bug: input is the original", tc.name)
		}
		lic, err := ver.Verify(tc.in, v.Scopes...)
		if err == nil || lic != nil || verify.CodeOf(err) != verify.CodeMalformed {
			t.Errorf("%s: %v, want malformed", tc.name, err)
		}
	}
}

// appendShort encodes b as a byte string with the shortest head.
func appendShort(b []byte) []byte {
	n := len(b)
	switch {
	case n < 24:
		return append([]byte{0x40 | byte(n)}, b...)
	case n <= 0xff:
		return append([]byte{0x58, byte(n)}, b...)
	}
	return append([]byte{0x59, byte(n >> 8), byte(n)}, b...)
}

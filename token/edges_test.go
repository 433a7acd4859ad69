package token_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/token"
)

// TestPatternDoesNotCoverItsPrefix (issue 9 item 17, FORMAT section 9
// "Scope edge"): api:* covers scopes longer than "api:", not "api:".
func TestPatternDoesNotCoverItsPrefix(t *testing.T) {
	if !token.ValidScope("api:") {
		t.Fatal(`"api:" is not a valid scope`)
	}
	if token.CoversScope("api:*", "api:") {
		t.Fatal(`CoversScope: "api:*" covers "api:"`)
	}
	if token.Covers([]string{"api:*"}, "api:") {
		t.Fatal(`Covers: ["api:*"] covers "api:"`)
	}
	if !token.CoversScope("api:*", "api:r") {
		t.Fatal(`CoversScope: "api:*" does not cover "api:r"`)
	}
	if !token.CoversScope("*", "api:") {
		t.Fatal(`CoversScope: "*" does not cover "api:"`)
	}
	if !token.CoversScope("api:", "api:") {
		t.Fatal(`CoversScope: "api:" does not cover itself`)
	}
	l := &token.License{Scopes: []string{"api:*"}}
	if l.Allows("api:") {
		t.Fatal(`a license with scope "api:*" allows "api:"`)
	}
	if !l.Allows("api:read") {
		t.Fatal(`a license with scope "api:*" does not allow "api:read"`)
	}
}

// TestValidationErrorIsTyped: callers read the problems from the error,
// not from its text.
func TestValidationErrorIsTyped(t *testing.T) {
	_, err := token.SignLicense(testKey("vendor"), &token.License{Grace: -1}, nil)
	var ve *token.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("SignLicense of an invalid license: %v, want a *token.ValidationError", err)
	}
	if ve.Object != "license" {
		t.Fatalf("Object %q, want %q", ve.Object, "license")
	}
	if len(ve.Problems) <= 2 {
		t.Fatalf("problems %q, want more than 2", ve.Problems)
	}
	if !slices.Contains(ve.Problems, "no product (aud)") {
		t.Fatalf("problems %q, want one %q", ve.Problems, "no product (aud)")
	}
	if want := "token: invalid license: " + strings.Join(ve.Problems, "; "); err.Error() != want {
		t.Fatalf("error text %q, want %q", err.Error(), want)
	}
	_, err = token.SignGrant(testKey("vendor"), &token.Grant{})
	if !errors.As(err, &ve) {
		t.Fatalf("SignGrant of an empty grant: %v, want a *token.ValidationError", err)
	}
	if ve.Object != "grant" {
		t.Fatalf("Object %q, want %q", ve.Object, "grant")
	}
}

func TestSplit(t *testing.T) {
	raw := envelope(mustMarshal(t, map[any]any{1: -8, 4: bytes.Repeat([]byte{1}, 8), 16: token.TypeRevocations}), []byte{0xa0}, []byte{0xa0}, make([]byte, 64))
	text, err := token.EncodeText(raw, "")
	if err != nil {
		t.Fatalf("EncodeText: %v", err)
	}
	pemForm := string(token.EncodePEM(raw, token.PEMRevocations, nil))

	for name, tc := range map[string]struct {
		in   string
		want int
	}{
		"one raw":           {string(raw), 1},
		"raw with newline":  {string(raw) + "\n", 1},
		"one text":          {text + "\n", 1},
		"two texts":         {text + "\n\n" + text + "\n", 2},
		"two PEM blocks":    {pemForm + "\n" + pemForm, 2},
		"three PEM, spaced": {" \n" + pemForm + pemForm + "\r\n" + pemForm + "\n", 3},
	} {
		t.Run(name, func(t *testing.T) {
			objs, err := token.Split([]byte(tc.in))
			if err != nil {
				t.Fatalf("Split: %v", err)
			}
			if len(objs) != tc.want {
				t.Fatalf("Split returned %d objects, want %d", len(objs), tc.want)
			}
			for _, o := range objs {
				_, _, err := token.Decode(o)
				if err != nil {
					t.Fatalf("Decode of an object from Split: %v", err)
				}
			}
		})
	}
	for name, in := range map[string]string{
		"empty":               " \n\t",
		"text after PEM":      pemForm + text,
		"too many":            strings.Repeat(text+"\n", token.MaxObjects+1),
		"over the size limit": strings.Repeat(" ", token.MaxObjects*token.MaxTokenSize+1),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := token.Split([]byte(in))
			if !errors.Is(err, token.ErrMalformed) {
				t.Fatalf("Split: %v, want token.ErrMalformed", err)
			}
		})
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := token.Marshal(v)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return b
}

// TestValidateRefusesControlText: an issuer cannot sign text that would
// fool a terminal (escape sequences, bidi overrides).
func TestValidateRefusesControlText(t *testing.T) {
	for name, edit := range map[string]func(*token.License){
		"sub with ESC":        func(l *token.License) { l.Subject = "acme\x1b[2Kvalid" },
		"sub with CR":         func(l *token.License) { l.Subject = "a\rb" },
		"aud with RLO":        func(l *token.License) { l.Audience = []string{"db\u202e"} },
		"tier with NEL":       func(l *token.License) { l.Tier = "pro\u0085" },
		"binding value LS":    func(l *token.License) { l.Bind = map[string]string{"host": "a\u2028b"} },
		"right with ZWJ":      func(l *token.License) { l.Rights = []string{"em\u200dbed"} },
		"limit name with NUL": func(l *token.License) { l.Limits = map[string]uint64{"se\x00ats": 1} },
	} {
		t.Run(name, func(t *testing.T) {
			l := sampleLicense()
			edit(l)
			var ve *token.ValidationError
			if err := l.Validate(); !errors.As(err, &ve) {
				t.Fatalf("Validate: %v, want a *token.ValidationError", err)
			}
			if !strings.Contains(strings.Join(ve.Problems, "\n"), "control or format character") {
				t.Fatalf("problems %q, want one about a control or format character", ve.Problems)
			}
		})
	}
	l := sampleLicense()
	l.Subject = "Zoë Ünïcode 名前"
	if err := l.Validate(); err != nil {
		t.Fatalf("Validate of a subject in printable Unicode: %v", err)
	}
}

// TestUnsignedClaimsRefuseSimpleValues: a CBOR simple value is not an
// unsigned integer (found by the JS verifier's differential test).
func TestUnsignedClaimsRefuseSimpleValues(t *testing.T) {
	base := claims(t, baseClaims())
	text := func(s string) []byte { return append([]byte{0x60 | byte(len(s))}, s...) }
	for name, kv := range map[string][2][]byte{
		"limit simple(5)":    {text("limits"), append(append([]byte{0xa1}, text("seats")...), 0xe5)},
		"limit simple(100)":  {text("limits"), append(append([]byte{0xa1}, text("seats")...), 0xf8, 0x64)},
		"limit negative":     {text("limits"), append(append([]byte{0xa1}, text("seats")...), 0x20)},
		"limit float":        {text("limits"), append(append([]byte{0xa1}, text("seats")...), 0xf9, 0x3c, 0x00)},
		"limit key twice":    {text("limits"), append(append(append(append([]byte{0xa2}, text("seats")...), 0x01), text("seats")...), 0x02)},
		"limit key not text": {text("limits"), []byte{0xa1, 0x01, 0x01}},
		"grace simple(64)":   {text("grace"), []byte{0xf8, 0x40}},
		"grace true":         {text("grace"), []byte{0xf5}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := token.DecodeLicense(withExtra(t, base, kv[0], kv[1]))
			if !errors.Is(err, token.ErrMalformed) {
				t.Fatalf("DecodeLicense: %v, want token.ErrMalformed", err)
			}
		})
	}
	l, err := token.DecodeLicense(withExtra(t, base, text("limits"), append(append([]byte{0xa1}, text("seats")...), 0x18, 0x64)))
	if err != nil {
		t.Fatalf("DecodeLicense of limit 100 in two bytes: %v", err)
	}
	if got := l.Limits["seats"]; got != 100 {
		t.Fatalf("seats limit %d, want 100", got)
	}

	r := &token.Revocations{Issuer: "acme", IssuedAt: t0, NextUpdate: t0.Add(time.Hour), Seq: 5}
	rb, err := r.MarshalClaims()
	if err != nil {
		t.Fatalf("MarshalClaims: %v", err)
	}
	i := bytes.Index(rb, append(text("seq"), 0x05))
	if i <= 0 {
		t.Fatalf("the seq claim is not in the encoded list %x", rb)
	}
	bad := append(append(append([]byte{}, rb[:i]...), append(text("seq"), 0xe5)...), rb[i+5:]...)
	_, err = token.DecodeRevocations(bad)
	if !errors.Is(err, token.ErrMalformed) {
		t.Fatalf("DecodeRevocations: %v, want token.ErrMalformed", err)
	}
}

// TestHeaderValuesStrict: the values of known header labels obey the
// strict rules too, whatever their type (found by the JS differential
// test): malformed, not unsupported_alg or wrong_type.
func TestHeaderValuesStrict(t *testing.T) {
	kid := bytes.Repeat([]byte{1}, 8)
	for name, hdr := range map[string][]byte{
		"alg as a map with a duplicate key": mustHex("a3" + "01a2010101 02" + "0448" + "0101010101010101" + "10" + "6474797065"),
		"alg as invalid UTF-8 text":         append(append(mustHex("a3"+"0162ff00"+"0448"), kid...), mustHex("106474797065")...),
		"typ as an array with a dup map":    append(append(mustHex("a3"+"0127"+"0448"), kid...), mustHex("1081a201010102")...),
		"alg null":                          append(append(mustHex("a3"+"01f6"+"0448"), kid...), mustHex("106474797065")...),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := token.ParseMessage(envelope(hdr, []byte{0xa0}, []byte{0xa0}, make([]byte, 64)))
			if !errors.Is(err, token.ErrMalformed) {
				t.Fatalf("ParseMessage: %v, want token.ErrMalformed", err)
			}
			t.Log(err)
		})
	}
}

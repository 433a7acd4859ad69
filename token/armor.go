package token

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Form is one of the three forms of FORMAT section 7.
type Form int

// The forms of an object.
const (
	FormRaw  Form = iota + 1 // COSE_Sign1 bytes
	FormText                 // PREFIX.base64url
	FormPEM                  // -----BEGIN LICET LICENSE-----
)

func (f Form) String() string {
	switch f {
	case FormRaw:
		return "raw"
	case FormText:
		return "text"
	case FormPEM:
		return "pem"
	}
	return fmt.Sprintf("Form(%d)", int(f))
}

// defaultPrefix is the prefix of the compact text form.
const defaultPrefix = "licet1"

// PEM block types.
const (
	PEMLicense     = "LICET LICENSE"
	PEMGrant       = "LICET GRANT"
	PEMRevocations = "LICET REVOCATIONS"
)

// pemType returns the PEM block type for an object type, "" if unknown.
func pemType(typ string) string {
	switch typ {
	case TypeLicense:
		return PEMLicense
	case TypeGrant:
		return PEMGrant
	case TypeRevocations:
		return PEMRevocations
	}
	return ""
}

// ValidPrefix reports whether p can brand the compact text form: 1 to 32
// characters of [a-z0-9-].
func ValidPrefix(p string) bool {
	if len(p) == 0 || len(p) > 32 {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

var b64url = base64.RawURLEncoding.Strict()

// EncodeText returns the compact text form PREFIX.base64url(raw). An empty
// prefix means "licet1".
func EncodeText(raw []byte, prefix string) (string, error) {
	if prefix == "" {
		prefix = defaultPrefix
	}
	if !ValidPrefix(prefix) {
		return "", fmt.Errorf("token: invalid prefix %q: use 1 to 32 characters of a-z, 0-9 and -", prefix)
	}
	// One buffer for prefix, dot and base64url, then the string: a mint in
	// the text form costs no more than a raw ed25519.Sign (issue 20).
	buf := make([]byte, len(prefix)+1+b64url.EncodedLen(len(raw)))
	copy(buf, prefix)
	buf[len(prefix)] = '.'
	b64url.Encode(buf[len(prefix)+1:], raw)
	return string(buf), nil
}

// EncodePEM returns the PEM form of raw under blockType (one of [PEMLicense],
// [PEMGrant], [PEMRevocations]), with optional informational headers.
func EncodePEM(raw []byte, blockType string, headers map[string]string) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: blockType, Headers: headers, Bytes: raw})
}

// Unarmor returns the raw COSE_Sign1 bytes of in, which may be in any of the
// three forms, and the form it found. ASCII white space (space, tab, CR,
// LF) around any form is ignored; nothing else may precede or follow the
// object, and other white space (NBSP, NEL, ...) is not white space here.
// A PEM form must be exactly one canonical block (RFC 7468 strict: 64
// columns of padded canonical base64, headers as licet writes them), of a
// licet block type. Input over [MaxTokenSize] is refused before anything
// else is done. Errors wrap [ErrMalformed].
func Unarmor(in []byte) ([]byte, Form, error) {
	raw, form, _, err := unarmor(in)
	return raw, form, err
}

// unarmor is [Unarmor], also returning the PEM block type.
func unarmor(in []byte) ([]byte, Form, string, error) {
	if len(in) > MaxTokenSize {
		return nil, 0, "", malformedf("input of %d bytes exceeds the %d-byte limit", len(in), MaxTokenSize)
	}
	// Trim the left only: a raw object may end in bytes that look like
	// white space.
	s := in
	for len(s) > 0 && isASCIISpace(s[0]) {
		s = s[1:]
	}
	if len(s) == 0 {
		return nil, 0, "", malformedf("empty input")
	}
	if c := s[0]; c < 0x20 || c > 0x7e {
		if r, size := utf8.DecodeRune(s); size > 1 && unicode.IsSpace(r) {
			return nil, 0, "", malformedf("input starts with the non-ASCII space U+%04X (pasted from a document?): remove it", r)
		}
		if c>>5 != majorTag {
			return nil, 0, "", malformedf("binary input is not a COSE_Sign1: it must start with tag 18 (0xd2)")
		}
		// Raw: the item's own length says where it ends; only ASCII
		// white space may follow.
		r := reader{b: s}
		if err := r.walk(0, true, false); err == nil && len(trimASCIISpace(s[r.off:])) == 0 {
			return s[:r.off], FormRaw, "", nil
		}
		return s, FormRaw, "", nil // ParseMessage judges it
	}
	s = trimASCIISpace(s)
	if bytes.HasPrefix(s, []byte("-----BEGIN ")) {
		return unarmorPEM(s)
	}
	// The prefix ends at the first dot (a prefix has none); the rest is
	// read once, by the base64 decoder.
	dot := bytes.IndexByte(s, '.')
	if dot < 0 {
		return nil, 0, "", malformedf("not a licet token: no PREFIX. before the base64url text")
	}
	if !ValidPrefix(string(s[:dot])) {
		return nil, 0, "", malformedf("invalid token prefix %q", truncate(s[:dot], 40))
	}
	text := s[dot+1:]
	raw := make([]byte, b64url.DecodedLen(len(text)))
	n, err := b64url.Decode(raw, text)
	// The decoder skips CR and LF. Unpadded base64 of k characters is
	// k*6/8 bytes, k mod 4 never 1: a text that decoded to fewer bytes, or
	// whose length is 1 mod 4, had line breaks in it (TestTextLineBreaks).
	if n != len(raw) || len(text)%4 == 1 {
		if err == nil || bytes.ContainsAny(text, "\r\n") {
			return nil, 0, "", malformedf("line break inside the token text")
		}
	}
	if err != nil {
		return nil, 0, "", wrapMalformed("token text is not unpadded base64url", err)
	}
	return raw, FormText, "", nil
}

// unarmorPEM reads exactly one canonical PEM block: the block re-encoded
// must give back the input (CRLF line ends aside), so that a broken block
// before the real one, text around it, non-canonical base64 or other line
// widths are refused, as the text form refuses its variants.
func unarmorPEM(s []byte) ([]byte, Form, string, error) {
	block, rest := pem.Decode(s)
	if block == nil {
		return nil, 0, "", malformedf("invalid PEM block")
	}
	if len(trimASCIISpace(rest)) != 0 {
		return nil, 0, "", malformedf("data after the PEM block")
	}
	switch block.Type {
	case PEMLicense, PEMGrant, PEMRevocations:
	default:
		return nil, 0, "", malformedf("PEM block type %q is not a licet object", block.Type)
	}
	canon := pem.EncodeToMemory(block)
	if canon == nil || !bytes.Equal(trimASCIISpace(canon), bytes.ReplaceAll(s, []byte("\r\n"), []byte("\n"))) {
		return nil, 0, "", malformedf("the %s PEM block is not in canonical form (one block, nothing before it, 64-column canonical base64): re-export it with licet", block.Type)
	}
	return block.Bytes, FormPEM, block.Type, nil
}

// trimASCIISpace trims ASCII white space only: space, tab, CR, LF, and
// the rarer VT and FF.
func trimASCIISpace(b []byte) []byte {
	for len(b) > 0 && isASCIISpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isASCIISpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// Decode unarmors in and parses the COSE_Sign1 envelope, without verifying
// anything. It is the first step of every verification.
func Decode(in []byte) (*Message, Form, error) {
	raw, form, block, err := unarmor(in)
	if err != nil {
		return nil, 0, err
	}
	m, err := ParseMessage(raw)
	if err != nil {
		return nil, 0, err
	}
	if form == FormPEM && pemType(m.Header.Typ) != block {
		return nil, 0, malformedf("a %s PEM block holds an object of type %q", block, m.Header.Typ)
	}
	return m, form, nil
}

// Split returns the objects of a file that holds one or more of them: one
// raw object, or armored objects one after another (PEM blocks, or compact
// text tokens separated by white space). Each part is left for [Unarmor]
// or [Decode] to judge; Split only cuts. Input over MaxObjects *
// [MaxTokenSize] bytes is refused.
func Split(in []byte) ([][]byte, error) {
	if len(in) > MaxObjects*MaxTokenSize {
		return nil, malformedf("input of %d bytes exceeds the %d-byte limit for %d objects", len(in), MaxObjects*MaxTokenSize, MaxObjects)
	}
	s := in
	for len(s) > 0 && isASCIISpace(s[0]) {
		s = s[1:]
	}
	if len(s) == 0 {
		return nil, malformedf("empty input")
	}
	if s[0] == 0xd2 { // raw CBOR: exactly one object
		return [][]byte{in}, nil
	}
	s = trimASCIISpace(s)
	const begin, end = "-----BEGIN ", "-----END "
	var objs [][]byte
	if !bytes.HasPrefix(s, []byte(begin)) {
		objs = bytes.FieldsFunc(s, func(r rune) bool { return r < 0x80 && isASCIISpace(byte(r)) })
	} else {
		for len(s) > 0 {
			if !bytes.HasPrefix(s, []byte(begin)) {
				return nil, malformedf("data after PEM block %d is not another PEM block", len(objs))
			}
			n := len(s)
			if i := bytes.Index(s, []byte(end)); i >= 0 {
				if j := bytes.Index(s[i+len(end):], []byte("-----")); j >= 0 {
					n = i + len(end) + j + len("-----")
				}
			}
			objs = append(objs, s[:n])
			s = trimASCIISpace(s[n:])
		}
	}
	if len(objs) > MaxObjects {
		return nil, malformedf("%d objects in one input, at most %d", len(objs), MaxObjects)
	}
	return objs, nil
}

// MaxObjects is the most objects [Split] returns from one input.
const MaxObjects = 64

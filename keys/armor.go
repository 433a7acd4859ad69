package keys

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// MaxKeyFileSize is the largest key file accepted, in bytes.
const MaxKeyFileSize = 64 << 10

// PEM block types of licet key files.
const (
	blockPublic    = "PUBLIC KEY"                  // PKIX, as openssl writes it
	blockEncrypted = "LICET ENCRYPTED PRIVATE KEY" // seed under a passphrase
	blockPlain     = "LICET PRIVATE KEY"           // seed in clear: sandbox and CI
)

// armor is a key file: "#" comment lines, then one PEM block with optional
// headers.
type armor struct {
	comments []field // "# name: value" lines before the block, names lower-cased
	typ      string
	headers  []field // in file order
	body     []byte
}

type field struct{ name, value string }

// parseArmor splits a key file into comments, block type, headers and body.
// It accepts LF and CRLF line ends and trailing white space on lines.
// Text other than blank and "#" lines around the block is refused, and so is
// a second block.
func parseArmor(data []byte) (*armor, error) {
	if len(data) > MaxKeyFileSize {
		return nil, fmt.Errorf("keys: key file is %d bytes, more than the limit of %d", len(data), MaxKeyFileSize)
	}
	if !bytes.Contains(data, []byte("-----BEGIN ")) {
		return nil, errors.New("keys: not a key file: no PEM block (-----BEGIN ...-----) found")
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	a := &armor{}
	i := 0
	for ; i < len(lines) && !strings.HasPrefix(lines[i], "-----BEGIN "); i++ {
		l := strings.TrimSpace(lines[i])
		switch {
		case l == "":
		case strings.HasPrefix(l, "#"):
			name, value, ok := strings.Cut(l[1:], ":")
			if ok {
				a.comments = append(a.comments, field{strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)})
			}
		default:
			return nil, fmt.Errorf("keys: line %d: unexpected text before the PEM block (only blank lines and # comments may precede it)", i+1)
		}
	}
	if i == len(lines) {
		return nil, errors.New("keys: not a key file: no PEM block (-----BEGIN ...-----) found")
	}
	begin := lines[i]
	typ, ok := strings.CutSuffix(strings.TrimPrefix(begin, "-----BEGIN "), "-----")
	if !ok || typ == "" || strings.Contains(typ, "-----") {
		return nil, fmt.Errorf("keys: line %d: malformed PEM BEGIN line", i+1)
	}
	a.typ = typ
	end := "-----END " + typ + "-----"
	i++

	// Headers: "Name: value" lines, then a blank line. Base64 never holds
	// a colon, so the first line tells whether there are headers.
	if i < len(lines) && strings.Contains(lines[i], ":") {
		for ; i < len(lines) && lines[i] != ""; i++ {
			l := lines[i]
			if strings.HasPrefix(l, "-----") {
				return nil, fmt.Errorf("keys: line %d: truncated key file: the PEM headers are not followed by a blank line and data", i+1)
			}
			name, value, ok := strings.Cut(l, ":")
			if !ok {
				return nil, fmt.Errorf("keys: line %d: the PEM headers are not followed by a blank line", i+1)
			}
			if name == "" || strings.TrimSpace(name) != name {
				return nil, fmt.Errorf("keys: line %d: malformed PEM header (want \"Name: value\")", i+1)
			}
			a.headers = append(a.headers, field{name, strings.TrimSpace(value)})
		}
		if i == len(lines) {
			return nil, fmt.Errorf("keys: truncated key file: no %s line", end)
		}
		i++ // the blank line
	}

	var b64 strings.Builder
	for ; ; i++ {
		if i == len(lines) {
			return nil, fmt.Errorf("keys: truncated key file: no %s line", end)
		}
		l := strings.TrimSpace(lines[i])
		if l == end {
			break
		}
		if strings.HasPrefix(l, "-----") {
			return nil, fmt.Errorf("keys: line %d: want %s, got %q", i+1, end, l)
		}
		if strings.Contains(l, ":") {
			return nil, fmt.Errorf("keys: line %d: PEM header after the data, or headers not followed by a blank line", i+1)
		}
		b64.WriteString(l)
	}
	for j := i + 1; j < len(lines); j++ {
		switch l := strings.TrimSpace(lines[j]); {
		case l == "":
		case strings.HasPrefix(l, "-----BEGIN "):
			return nil, fmt.Errorf("keys: line %d: more than one PEM block in the file; a key file holds one key", j+1)
		default:
			return nil, fmt.Errorf("keys: line %d: unexpected text after the PEM block", j+1)
		}
	}
	if b64.Len() == 0 {
		return nil, errors.New("keys: the PEM block holds no data")
	}
	body, err := base64.StdEncoding.Strict().DecodeString(b64.String())
	if err != nil {
		return nil, errors.New("keys: the PEM block's base64 data is corrupt or truncated")
	}
	a.body = body
	return a, nil
}

// comment returns the value of the "# name: value" comment line, refusing
// duplicates.
func (a *armor) comment(name string) (string, bool, error) {
	var value string
	found := false
	for _, c := range a.comments {
		if c.name == name {
			if found {
				return "", false, fmt.Errorf("keys: two %q comment lines", name)
			}
			value, found = c.value, true
		}
	}
	return value, found, nil
}

// checkComments checks that "# issuer:" and "# kid:" comment lines, when
// present, agree with the key. A file's comments are informational; a
// disagreeing one means the file was edited or assembled by mistake.
func (a *armor) checkComments(p *PublicKey) error {
	issuer, ok, err := a.comment("issuer")
	if err != nil {
		return err
	}
	if ok && issuer != p.Issuer {
		return fmt.Errorf("keys: the issuer comment %q does not match the key file's issuer %q", issuer, p.Issuer)
	}
	kid, ok, err := a.comment("kid")
	if err != nil {
		return err
	}
	if want := fmt.Sprintf("%x", p.KeyID()); ok && !strings.EqualFold(kid, want) {
		return fmt.Errorf("keys: the kid comment %q does not match the key's kid %s", kid, want)
	}
	return nil
}

// headerMap checks that the block has exactly the named headers, in this
// order, and returns their values.
func (a *armor) headerMap(names ...string) (map[string]string, error) {
	m := make(map[string]string, len(a.headers))
	for _, h := range a.headers {
		known := false
		for _, n := range names {
			known = known || n == h.name
		}
		if !known {
			return nil, fmt.Errorf("keys: unknown PEM header %q in %s", h.name, a.typ)
		}
		if _, dup := m[h.name]; dup {
			return nil, fmt.Errorf("keys: duplicate PEM header %q", h.name)
		}
		m[h.name] = h.value
	}
	for i, n := range names {
		if _, ok := m[n]; !ok {
			return nil, fmt.Errorf("keys: missing PEM header %q in %s", n, a.typ)
		}
		if a.headers[i].name != n {
			return nil, fmt.Errorf("keys: PEM headers out of order: want %s", strings.Join(names, ", "))
		}
	}
	return m, nil
}

// encodeArmor writes a PEM block with headers in the given order (pem.Encode
// would sort them) and 64-character base64 lines.
func encodeArmor(typ string, headers []field, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString("-----BEGIN " + typ + "-----\n")
	for _, h := range headers {
		b.WriteString(h.name + ": " + h.value + "\n")
	}
	if len(headers) > 0 {
		b.WriteString("\n")
	}
	s := base64.StdEncoding.EncodeToString(body)
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	b.WriteString(s + "\n")
	b.WriteString("-----END " + typ + "-----\n")
	return b.Bytes()
}

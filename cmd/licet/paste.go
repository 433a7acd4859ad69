package main

import (
	"bytes"
	"encoding/pem"

	"github.com/licet/licet/token"
)

// normalizePasted undoes what mail, chat and terminals do to a token
// pasted as text, so that every command that reads a token (verify,
// inspect, mint --grant, revoke --from and --cti-from, verify
// --revocations) takes it. It is the one place where licet is lenient:
// the token package stays strict, and what comes out of here is judged
// by it as before. In order:
//
//   - a mail quote: when every non-blank line starts with ">", the ">"
//     marks (nested ones too, "> > ") and the space after them are
//     removed;
//   - the text form (licet1.xxx): white space and line breaks inside a
//     token are removed; a word holding a "." starts the next token, so
//     a file of several tokens stays several;
//   - the PEM form: lines are trimmed, and each block that Go's PEM
//     reader can read (spaces in the base64, other line widths) is
//     written again in its canonical form.
//
// Raw (binary) input is returned unchanged.
func normalizePasted(data []byte) []byte {
	s := bytes.TrimLeft(data, " \t\r\n\v\f")
	if len(s) == 0 || s[0] < 0x20 || s[0] > 0x7e {
		return data
	}
	lines := bytes.Split(bytes.ReplaceAll(s, []byte("\r\n"), []byte("\n")), []byte("\n"))
	unquote(lines)
	for i, l := range lines {
		lines[i] = bytes.Trim(l, asciiSpace)
	}
	// Trimmed as a whole too: unquoting can leave blank first lines, and
	// a second pass must change nothing (FuzzNormalizePasted).
	text := bytes.Trim(bytes.Join(lines, []byte("\n")), asciiSpace)
	if !bytes.Contains(text, []byte("-----BEGIN ")) {
		return joinTextTokens(text)
	}
	return canonicalPEM(text)
}

// asciiSpace is the white space trimmed here: ASCII only, as in the token
// package, so that a pasted NBSP or NEL reaches it and is named there.
const asciiSpace = " \t\n\v\f\r"

// unquote removes mail quote marks when every non-blank line has them.
func unquote(lines [][]byte) {
	quoted := false
	for _, l := range lines {
		l = bytes.TrimLeft(l, asciiSpace)
		if len(l) == 0 {
			continue
		}
		if l[0] != '>' {
			return
		}
		quoted = true
	}
	if !quoted {
		return
	}
	for i, l := range lines {
		l = bytes.TrimLeft(l, asciiSpace)
		for len(l) > 0 && l[0] == '>' {
			l = bytes.TrimLeft(l[1:], asciiSpace)
		}
		lines[i] = l
	}
}

// joinTextTokens removes the white space inside compact text tokens: the
// base64url text holds no ".", so a word with one starts a token and a
// word without one continues the token before it. Text that does not
// start with a token prefix (licet1.) is returned as it is.
func joinTextTokens(text []byte) []byte {
	words := bytes.Fields(text)
	if len(words) == 0 {
		return text
	}
	if prefix, _, ok := bytes.Cut(words[0], []byte(".")); !ok || !token.ValidPrefix(string(prefix)) {
		return text
	}
	var out []byte
	for i, w := range words {
		if i > 0 && bytes.IndexByte(w, '.') >= 0 {
			out = append(out, '\n')
		}
		out = append(out, w...)
	}
	return append(out, '\n')
}

// canonicalPEM writes each readable PEM block of text again in canonical
// form (pem.EncodeToMemory, what licet writes); anything else, a block
// Go cannot read or text around the blocks, is kept for the token
// package to refuse.
func canonicalPEM(text []byte) []byte {
	const begin, end = "-----BEGIN ", "-----END "
	var out []byte
	for len(text) > 0 {
		i := bytes.Index(text, []byte(begin))
		if i < 0 {
			break
		}
		j := bytes.Index(text[i:], []byte(end))
		if j < 0 {
			break
		}
		k := bytes.IndexByte(text[i+j:], '\n')
		if k < 0 {
			k = len(text) - i - j
		}
		region := text[i : i+j+k]
		block, rest := pem.Decode(region)
		out = append(out, text[:i]...)
		if block != nil && len(bytes.TrimSpace(rest)) == 0 {
			out = append(out, pem.EncodeToMemory(block)...)
		} else {
			out = append(out, region...)
			out = append(out, '\n')
		}
		text = bytes.TrimLeft(text[i+j+k:], "\n")
	}
	return append(out, text...)
}

// readTokenFile reads a file of one token (or of several) and undoes
// pasting ([normalizePasted]); see [readPasted] for limit.
func readTokenFile(path, what string, limit int64) ([]byte, error) {
	data, err := readFileUpTo(path, what, 2*limit)
	if err != nil {
		return nil, err
	}
	return pastedUpTo(data, limit), nil
}

// pastedUpTo normalises data read up to twice limit (room for the quote
// marks and line breaks that normalising removes) and keeps at most limit
// bytes of the result: one byte more than the token package takes, which
// it then refuses, naming its limit.
func pastedUpTo(data []byte, limit int64) []byte {
	data = normalizePasted(data)
	if int64(len(data)) > limit {
		data = data[:limit]
	}
	return data
}

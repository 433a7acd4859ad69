package main

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// safeText returns untrusted text (a claim of a token, a member of an
// activation request) fit for a terminal: unchanged when every character
// is printable (strconv.IsPrint: letters, marks, numbers, punctuation,
// symbols and the ASCII space) and it does not start with a double quote;
// otherwise Go-quoted, with control characters (CR, ESC, ...), format
// characters (bidirectional overrides such as U+202E, zero-width ones),
// line and paragraph separators, other spaces and invalid UTF-8 escaped
// as \r, \x1b, \u202e, .... A value shown with a leading quote is always
// a quoted one, so that text cannot pose as an escape, and no value can
// move the cursor, clear a line or reorder what follows it: nothing can
// overwrite the UNVERIFIED banner. JSON output needs none of this:
// encoding/json escapes control characters, and readers of JSON parse it.
func safeText(s string) string {
	if strings.HasPrefix(s, `"`) || !utf8.ValidString(s) || strings.IndexFunc(s, notPrintable) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

func notPrintable(r rune) bool { return !strconv.IsPrint(r) }

// safeList returns the elements of a list claim, each through safeText,
// joined by ", ".
func safeList(l []string) string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = safeText(s)
	}
	return strings.Join(out, ", ")
}

package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/token"
)

func TestNormalizePasted(t *testing.T) {
	k := keys.Sandbox()
	lic := &token.License{Issuer: k.Issuer, Subject: "c", Audience: []string{"p"}, Tier: "t", ID: make([]byte, token.IDSize), IssuedAt: time.Unix(1700000000, 0)}
	raw, err := token.SignLicense(k.Signer(), lic, nil)
	if err != nil {
		t.Fatal(err)
	}
	text, err := token.EncodeText(raw, "licet1")
	if err != nil {
		t.Fatal(err)
	}
	pemForm := string(token.EncodePEM(raw, token.PEMLicense, map[string]string{"Subject": "c"}))
	quote := func(s, mark string) string {
		lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		for i := range lines {
			lines[i] = mark + lines[i]
		}
		return strings.Join(lines, "\n") + "\n"
	}
	wrap := func(s string, n int, sep string) string {
		var parts []string
		for len(s) > n {
			parts, s = append(parts, s[:n]), s[n:]
		}
		return strings.Join(append(parts, s), sep)
	}
	// The PEM body at 40 columns with a space in each line.
	lines := strings.Split(pemForm, "\n")
	var body strings.Builder
	for _, l := range lines {
		if !strings.HasPrefix(l, "-----") && !strings.Contains(l, ": ") && l != "" {
			body.WriteString(l)
		}
	}
	rewrapped := "-----BEGIN LICET LICENSE-----\nSubject: c\n\n" + wrap(wrap(body.String(), 40, "\n"), 7, " ") + "\n-----END LICET LICENSE-----\n"

	tests := []struct {
		name, in string
		want     string // "" means: a token that decodes to raw
	}{
		{"text as is", text, ""},
		{"text with a final newline", text + "\n", ""},
		{"text broken at 72 columns", wrap(text, 72, "\n"), ""},
		{"text with CRLF breaks", wrap(text, 60, "\r\n") + "\r\n", ""},
		{"text with spaces", wrap(text, 13, " "), ""},
		{"text mail-quoted", quote(wrap(text, 70, "\n"), "> "), ""},
		{"text quoted twice", quote(quote(wrap(text, 70, "\n"), "> "), "> "), ""},
		{"text quoted without space", quote(wrap(text, 70, "\n"), ">"), ""},
		{"text quoted, blank quoted lines", "\n>\n" + quote(wrap(text, 70, "\n"), "> ") + ">\n", ""},
		{"pem as is", pemForm, ""},
		{"pem mail-quoted", quote(pemForm, "> "), ""},
		{"pem indented", quote(pemForm, "    "), ""},
		{"pem rewrapped with spaces", rewrapped, ""},
		{"pem rewrapped and quoted", quote(rewrapped, "> "), ""},
		// Left for the token package to refuse.
		{"some lines quoted", "> " + text[:50] + "\n" + text[50:], "> " + text[:50] + "\n" + text[50:]},
		{"words before a token kept", "your license:\n" + text, "your license:\n" + text},
		{"two text tokens stay two", text + "\n" + wrap(text, 50, "\n"), text + "\n" + text + "\n"},
		{"text before a pem block kept", "hello\n" + pemForm, "hello\n" + pemForm},
		{"broken pem kept", "-----BEGIN LICET LICENSE-----\n!!\n-----END LICET LICENSE-----", "-----BEGIN LICET LICENSE-----\n!!\n-----END LICET LICENSE-----\n"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := normalizePasted([]byte(tt.in))
			if tt.name == "empty" {
				if len(got) != 0 {
					t.Errorf("got %q", got)
				}
				return
			}
			if tt.want != "" {
				if string(got) != tt.want {
					t.Errorf("got %q\nwant %q", got, tt.want)
				}
				return
			}
			back, _, err := token.Unarmor(got)
			if err != nil || !bytes.Equal(back, raw) {
				t.Errorf("normalised %q: %v", got, err)
			}
		})
	}
	// Raw bytes are not touched.
	if got := normalizePasted(raw); !bytes.Equal(got, raw) {
		t.Error("raw form changed")
	}
	// Several PEM blocks, each quoted and rewrapped: each comes back.
	both := quote(rewrapped, "> ") + "\n" + quote(pemForm, "> ")
	parts, err := token.Split(normalizePasted([]byte(both)))
	if err != nil || len(parts) != 2 {
		t.Fatalf("split: %d parts, %v", len(parts), err)
	}
	for _, p := range parts {
		if back, _, err := token.Unarmor(p); err != nil || !bytes.Equal(back, raw) {
			t.Errorf("block %q: %v", p, err)
		}
	}
}

// FuzzNormalizePasted: normalising never panics, leaves raw input alone,
// and is idempotent.
func FuzzNormalizePasted(f *testing.F) {
	f.Add([]byte("> licet1.AAAA\n> BBBB\n"))
	f.Add([]byte("-----BEGIN LICET LICENSE-----\nAAAA\n-----END LICET LICENSE-----\n"))
	f.Add([]byte("> -----BEGIN X-----\n> -----END X-----"))
	f.Add([]byte{0xd2, 0x84})
	f.Fuzz(func(t *testing.T, in []byte) {
		once := normalizePasted(in)
		if twice := normalizePasted(once); !bytes.Equal(once, twice) {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, once, twice)
		}
	})
}

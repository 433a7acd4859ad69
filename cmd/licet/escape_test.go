package main

import "testing"

func TestSafeText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "customer-42", "customer-42"},
		{"space and punctuation", "ACME Corp., Inc. (EU)", "ACME Corp., Inc. (EU)"},
		{"unicode letters", "Müller & Søn 株式会社", "Müller & Søn 株式会社"},
		{"empty", "", ""},
		{"carriage return", "a\rb", `"a\rb"`},
		{"newline", "a\nUNVERIFIED: no", `"a\nUNVERIFIED: no"`},
		{"escape sequence", "\x1b[2K\x1b[1Avalid", `"\x1b[2K\x1b[1Avalid"`},
		{"bidi override", "abc\u202edef", `"abc\u202edef"`},
		{"bidi isolate", "\u2066x\u2069", `"\u2066x\u2069"`},
		{"zero width space", "a\u200bb", `"a\u200bb"`},
		{"line separator", "a\u2028b", `"a\u2028b"`},
		{"paragraph separator", "a\u2029b", `"a\u2029b"`},
		{"no-break space", "a\u00a0b", `"a\u00a0b"`},
		{"tab", "a\tb", `"a\tb"`},
		{"C1 control", "a\u009bb", `"a\u009bb"`},
		{"DEL", "a\x7fb", `"a\x7fb"`},
		{"invalid UTF-8", "a\xffb", `"a\xffb"`},
		{"leading quote is quoted", `"x"`, `"\"x\""`},
		{"backslash alone is text", `C:\licenses`, `C:\licenses`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := safeText(tt.in); got != tt.want {
				t.Errorf("safeText(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
	if got := safeList([]string{"a", "b\rc"}); got != `a, "b\rc"` {
		t.Errorf("safeList = %s", got)
	}
}

package checkpoint_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/licet/licet/internal/checkpoint"
)

func TestParse(t *testing.T) {
	root := base64.StdEncoding.EncodeToString(make([]byte, 32))
	good := "licet/log/0011223344556677\n42\n" + root + "\n"
	c, err := checkpoint.Parse([]byte(good + "ext one\n"))
	if err != nil || c.Size != 42 || c.Origin != "licet/log/0011223344556677" || len(c.Extensions) != 1 || string(c.Text()) != good+"ext one\n" {
		t.Fatalf("Parse = %+v, %v", c, err)
	}
	for _, bad := range []string{
		"",
		"licet/log/x\n1\n" + root,             // no final newline
		"licet/log/x\n1\n",                    // no root
		"\n1\n" + root + "\n",                 // empty origin
		" licet/log/x\n1\n" + root + "\n",     // spaces
		"licet/log/x\n01\n" + root + "\n",     // leading zero
		"licet/log/x\n-1\n" + root + "\n",     // negative
		"licet/log/x\n+1\n" + root + "\n",     // sign
		"licet/log/x\n1 \n" + root + "\n",     // trailing space
		"licet/log/x\n1\n" + root[:40] + "\n", // short root
		"licet/log/x\n1\n" + strings.TrimRight(root, "=") + "\n",
		"licet/log/x\n1\n" + root + "\n\n", // empty extension line
		"licet/log/x\n99999999999999999999\n" + root + "\n",
	} {
		if c, err := checkpoint.Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", bad, c)
		}
	}
}

// FuzzParse: whatever parses prints back to the same text.
func FuzzParse(f *testing.F) {
	root := base64.StdEncoding.EncodeToString(make([]byte, 32))
	f.Add([]byte("licet/log/0011223344556677\n42\n" + root + "\n"))
	f.Add([]byte("o\n0\n" + root + "\nx\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := checkpoint.Parse(in)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Text(), in) {
			t.Fatalf("Parse(%q).Text() = %q", in, c.Text())
		}
	})
}

func TestSplit(t *testing.T) {
	a := "licet/log/00000000000000aa\n1\nAAAA\n\n— licet/log/00000000000000aa abc=\n"
	b := "licet/log/00000000000000bb\n2\nBBBB\nlicet-issuer-data x\n\n— licet/log/00000000000000bb def=\n— other ghi=\n"
	for _, in := range []string{a + b, a + "\n" + b, "\n" + a + "\n\n" + b} {
		got, err := checkpoint.Split([]byte(in))
		if err != nil || len(got) != 2 || string(got[0]) != a || string(got[1]) != b {
			t.Errorf("Split(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "\n", a[:len(a)-1], "licet/log/00000000000000aa\n1\nAAAA\n"} {
		if got, err := checkpoint.Split([]byte(bad)); err == nil {
			t.Errorf("Split(%q) = %q, want an error", bad, got)
		}
	}
}

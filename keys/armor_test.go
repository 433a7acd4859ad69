package keys

import (
	"bytes"
	"strings"
	"testing"
)

// TestArmorLongBody: bodies longer than one line are wrapped at 64
// characters and read back.
func TestArmorLongBody(t *testing.T) {
	body := bytes.Repeat([]byte{0xa5, 0x01, 0xfe}, 50) // 150 bytes, 200 base64 characters
	headers := []field{{"B", "2"}, {"A", "1"}}
	out := encodeArmor("TEST BLOCK", headers, body)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	// BEGIN, two headers, a blank line, four lines of data, END.
	if len(lines) != 9 || lines[0] != "-----BEGIN TEST BLOCK-----" || lines[8] != "-----END TEST BLOCK-----" {
		t.Fatalf("encodeArmor =\n%s", out)
	}
	for i, n := range []int{64, 64, 64, 8} {
		if got := len(lines[4+i]); got != n {
			t.Errorf("data line %d is %d characters, want %d", i+1, got, n)
		}
	}
	if lines[1] != "B: 2" || lines[2] != "A: 1" || lines[3] != "" {
		t.Errorf("headers not in the given order:\n%s", out)
	}
	a, err := parseArmor(out)
	if err != nil {
		t.Fatal(err)
	}
	if a.typ != "TEST BLOCK" || !bytes.Equal(a.body, body) || len(a.headers) != 2 || a.headers[0] != headers[0] || a.headers[1] != headers[1] {
		t.Errorf("parseArmor = %+v", a)
	}
}

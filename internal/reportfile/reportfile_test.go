package reportfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	var v struct {
		A int `json:"a"`
	}
	for in, want := range map[string]string{
		`{"a":1}`:        "",
		`{"a":1} {}`:     "data after the JSON object",
		`{"b":1}`:        `unknown field "b"`,
		`{"a":"x"}`:      "cannot unmarshal string",
		`{"a":1}` + "\n": "",
	} {
		err := Decode([]byte(in), &v)
		if (err == nil) != (want == "") || err != nil && !strings.Contains(err.Error(), want) || err != nil && strings.HasPrefix(err.Error(), "json:") {
			t.Errorf("Decode(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestChecks(t *testing.T) {
	var c Checks
	c.Members("x", "0123456789abcdef", -1, "", []string{"!"}, "record", [][]byte{{1}, nil, nil})
	want := `grant "x" is not a grant id (32 hex digits); start -1 is negative; checkpoint is missing; proof hash 0 "!" is not a hash; record 0 is empty`
	if c.String() != want {
		t.Errorf("got  %s\nwant %s", c, want)
	}
}

func TestProblems(t *testing.T) {
	var p Problems[string]
	if _, _, ok := p.Message("x"); ok {
		t.Fatal("no problem, yet a message")
	}
	p.Add("a", "one")
	if code, msg, _ := p.Message("refused"); code != "a" || msg != "refused: one" {
		t.Errorf("got %q %q", code, msg)
	}
	for i := 0; i < 11; i++ {
		p.Add("b", "p%d", i)
	}
	code, msg, _ := p.Message("refused")
	if code != "a" || !strings.HasPrefix(msg, "refused: 12 problems:\n  - one\n  - p0") || !strings.HasSuffix(msg, "\n  - p8\n  - and 2 more") {
		t.Errorf("got %q %q", code, msg)
	}
}

func TestWriteEvidence(t *testing.T) {
	dir := t.TempDir()
	for i, want := range []string{"ev.json", "ev-2.json"} {
		path, err := WriteEvidence(dir, "ev", map[string]int{"n": i})
		if err != nil || path != filepath.Join(dir, want) {
			t.Fatalf("WriteEvidence = %q, %v; want %s", path, err, want)
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", path, fi.Mode(), err)
		}
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/licet/licet/bench"
)

func TestRunTable(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-n", "2"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, name := range []string{"licet-raw", "licet-text", "go-cose", "golang-jwt", "go-jose", "paseto-v4", "x-ed25519"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("table lacks %s:\n%s", name, out.String())
		}
	}
}

func TestRunJSON(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-n", "1", "-json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rs []bench.Result
	if err := json.Unmarshal(out.Bytes(), &rs); err != nil {
		t.Fatal(err)
	}
	if len(rs) != 6 || rs[0].Name != "licet-raw" || rs[0].VerifyRatio <= 0 {
		t.Errorf("results: %+v", rs)
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{{"-n", "0"}, {"extra"}, {"-bogus"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-h"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "examples") {
		t.Errorf("-h: exit %d, %s", code, errb.String())
	}
}

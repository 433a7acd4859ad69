package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestRunTable(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-n", "2"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, name := range []string{"licet-raw", "licet-text", "go-cose", "golang-jwt", "go-jose", "paseto-v4-local", "x-ed25519", "cold", "mint (text form)", "not a library"} {
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
	var r report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	rs := r.Schemes
	if len(rs) != 6 || rs[0].Name != "licet-raw" || rs[0].VerifyRatio <= 0 || rs[0].VerifySpread[1] < rs[0].VerifySpread[0] {
		t.Errorf("results: %+v", rs)
	}
	if len(r.Targets) != 5 || r.Targets[0].Max != 1.05 || r.Targets[0].Ratio <= 0 {
		t.Errorf("targets: %+v", r.Targets)
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

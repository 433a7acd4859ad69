package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true command")
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-n", "3", "-w", "1", "-a", truePath, "-b", truePath}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "median of 3 per-iteration ratios") {
		t.Errorf("output:\n%s", out.String())
	}
	if falsePath, err := exec.LookPath("false"); err == nil {
		if code := run([]string{"-n", "1", "-w", "0", "-a", falsePath, "-b", truePath}, &out, &errb); code != 1 {
			t.Errorf("failing command: exit %d, want 1", code)
		}
	}
	for _, args := range [][]string{{"-a", truePath}, {"-n", "0", "-a", truePath, "-b", truePath}, {"x"}} {
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// batchExitAfterEnv stops a batch of the test binary (status 3) as soon as
// this many licenses are recorded, before their files are written, as a
// crash would (batch.txtar). The shipped binary does not read it.
const batchExitAfterEnv = "LICET_TEST_BATCH_EXIT_AFTER"

func init() {
	batchRecordedHook = func(a *app, recorded int) {
		n, err := strconv.Atoi(os.Getenv(batchExitAfterEnv))
		if err != nil || n <= 0 || recorded < n {
			return
		}
		fmt.Fprintf(a.stderr, "licet: %s=%d: exiting after %d recorded licenses (test hook)\n", batchExitAfterEnv, n, recorded)
		os.Exit(3)
	}
}

// TestCrashHookOnlyInTests checks that no file of the shipped binary's
// issuing path reads a test hook from the environment: the crash hook is
// set by this file, which only the test binary holds.
func TestCrashHookOnlyInTests(t *testing.T) {
	for _, dir := range []string{".", "../../issue"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(data), "LICET_TEST_") || strings.Contains(string(data), "batchRecordedHook =") {
				t.Errorf("%s reads or sets a test hook", f)
			}
		}
	}
}

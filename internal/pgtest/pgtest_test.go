package pgtest

import (
	"fmt"
	"strings"
	"testing"
)

// skipRecorder is a testing.TB whose Skip records its message and stops
// the function that called it.
type skipRecorder struct {
	testing.TB
	skipped string
}

type stopped struct{}

func (r *skipRecorder) Helper() {}
func (r *skipRecorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	panic(stopped{})
}

// TestSkipSaysHow: without LICET_TEST_POSTGRES (and outside CI) a
// PostgreSQL test skips with a message that says how to run it.
func TestSkipSaysHow(t *testing.T) {
	t.Setenv("LICET_TEST_POSTGRES", "")
	t.Setenv("CI", "")
	r := &skipRecorder{TB: t}
	func() {
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(stopped); !ok {
					panic(v)
				}
			}
		}()
		Location(r, "x")
		t.Fatal("Location returned without a server")
	}()
	if !strings.Contains(r.skipped, ". .ci/services") || !strings.Contains(r.skipped, "LICET_TEST_POSTGRES") {
		t.Errorf("skip message %q does not say how to run the test (. .ci/services)", r.skipped)
	}
}

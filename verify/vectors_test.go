package verify_test

import (
	"errors"
	"testing"

	"github.com/licet/licet/internal/vectors"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// sentinels maps each code to its sentinel error.
var sentinels = map[verify.Code]error{
	verify.CodeMalformed:         verify.CodeMalformed,
	verify.CodeUnsupportedAlg:    verify.CodeUnsupportedAlg,
	verify.CodeWrongType:         verify.CodeWrongType,
	verify.CodeUnknownKey:        verify.CodeUnknownKey,
	verify.CodeBadSignature:      verify.CodeBadSignature,
	verify.CodeKeyNotValid:       verify.CodeKeyNotValid,
	verify.CodeWrongIssuer:       verify.CodeWrongIssuer,
	verify.CodeWrongProduct:      verify.CodeWrongProduct,
	verify.CodeNotYetValid:       verify.CodeNotYetValid,
	verify.CodeExpired:           verify.CodeExpired,
	verify.CodeVersionNotCovered: verify.CodeVersionNotCovered,
	verify.CodeBindingMismatch:   verify.CodeBindingMismatch,
	verify.CodeRevoked:           verify.CodeRevoked,
	verify.CodeScopeMissing:      verify.CodeScopeMissing,
	verify.CodeGrantInvalid:      verify.CodeGrantInvalid,
	verify.CodeGrantViolation:    verify.CodeGrantViolation,
}

// vectorVerifier builds the verifier a vector's header describes.
func vectorVerifier(t *testing.T, v *vectors.Vector) *verify.Verifier {
	t.Helper()
	ver, err := v.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	return ver
}

// TestVectors verifies every vector of testdata/vectors and checks the
// outcome its header expects: the code (with errors.Is and errors.As), or
// a verified license with the expected in-grace and fallback flags.
func TestVectors(t *testing.T) {
	seen := map[string]bool{}
	vectors.ForEach(t, func(t *testing.T, v *vectors.Vector) {
		seen[v.Expect] = true
		lic, err := vectorVerifier(t, v).Verify(v.Token, v.Scopes...)
		if bug := vectors.KnownBugs[v.Name]; bug != "" {
			if (v.Expect == vectors.ExpectValid) == (err == nil) && (err == nil || string(verify.CodeOf(err)) == v.Expect) {
				t.Fatalf("passes now: remove it from vectors.KnownBugs (%s)", bug)
			}
			t.Skip(bug)
		}
		if v.Expect == vectors.ExpectValid {
			if err != nil {
				t.Fatalf("want valid, got %v", err)
			}
			if lic == nil {
				t.Fatal("nil license without an error")
			}
			if lic.InGrace != v.InGrace {
				t.Errorf("in grace = %v, want %v", lic.InGrace, v.InGrace)
			}
			if lic.Fallback != v.Fallback {
				t.Errorf("fallback = %v, want %v", lic.Fallback, v.Fallback)
			}
			for _, s := range v.Scopes {
				if !lic.Claims.Allows(s) {
					t.Errorf("verified license does not allow required scope %q", s)
				}
			}
			return
		}
		if err == nil {
			t.Fatalf("want %s, got a verified license", v.Expect)
		}
		if lic != nil {
			t.Errorf("license returned along with error %v", err)
		}
		want := verify.Code(v.Expect)
		if got := verify.CodeOf(err); got != want {
			t.Fatalf("code %q, want %q: %v", got, want, err)
		}
		if !errors.Is(err, sentinels[want]) {
			t.Errorf("errors.Is(err, sentinel of %s) is false: %v", want, err)
		}
		var ve *verify.Error
		if !errors.As(err, &ve) || ve.Message == "" {
			t.Errorf("error is not a *verify.Error with a message: %#v", err)
		}
		for c, s := range sentinels {
			if c != want && errors.Is(err, s) {
				t.Errorf("error also matches the sentinel of %s", c)
			}
		}
		if want == verify.CodeMalformed && !errors.Is(err, token.ErrMalformed) {
			t.Errorf("malformed error does not wrap token.ErrMalformed: %v", err)
		}
	})
	for _, c := range verify.Codes() {
		if !seen[string(c)] {
			t.Errorf("no vector expects %s", c)
		}
	}
	if !seen[vectors.ExpectValid] {
		t.Error("no valid vector")
	}
}

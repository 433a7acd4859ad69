package token_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/licet/licet/internal/vectors"
	"github.com/licet/licet/token"
)

var vectorForms = map[string]token.Form{
	vectors.FormText: token.FormText,
	vectors.FormPEM:  token.FormPEM,
	vectors.FormRaw:  token.FormRaw,
}

func knownType(typ string) bool {
	return typ == token.TypeLicense || typ == token.TypeGrant || typ == token.TypeRevocations
}

// TestVectors runs every vector through the parsing half of the toolkit:
// every vector that is not malformed parses with ParseUnverified in the form
// its file states (an object whose typ is not a licet type at all is
// refused as malformed: there is nothing to decode its claims as); a malformed vector fails at the stage its file states
// (the envelope: Decode fails; the claims: Decode succeeds and
// ParseUnverified fails), always with token.ErrMalformed.
func TestVectors(t *testing.T) {
	vectors.ForEach(t, func(t *testing.T, v *vectors.Vector) {
		m, form, derr := token.Decode(v.Token)
		u, perr := token.ParseUnverified(v.Token)
		if bug := vectors.KnownBugs[v.Name]; bug != "" && v.Expect == vectors.ExpectMalformed {
			if v.Stage == vectors.StageEnvelope && derr != nil || v.Stage == vectors.StageClaims && derr == nil && perr != nil {
				t.Fatalf("passes now: remove it from vectors.KnownBugs (%s)", bug)
			}
			t.Skip(bug)
		}
		switch {
		case v.Expect == vectors.ExpectMalformed && v.Stage == vectors.StageEnvelope:
			if derr == nil {
				t.Fatalf("Decode accepted an envelope-level malformed vector (typ %q)", m.Header.Typ)
			}
			if !errors.Is(derr, token.ErrMalformed) {
				t.Errorf("Decode error does not wrap ErrMalformed: %v", derr)
			}
			if perr == nil || !errors.Is(perr, token.ErrMalformed) {
				t.Errorf("ParseUnverified: %v, want an ErrMalformed error", perr)
			}
			return
		case derr != nil:
			t.Fatalf("Decode: %v", derr)
		}
		if form != vectorForms[v.Form] {
			t.Errorf("form %v, want %s", form, v.Form)
		}
		if v.Expect == vectors.ExpectMalformed {
			if perr == nil {
				t.Fatal("ParseUnverified accepted a claims-level malformed vector")
			}
			if !errors.Is(perr, token.ErrMalformed) {
				t.Errorf("ParseUnverified error does not wrap ErrMalformed: %v", perr)
			}
			return
		}
		if !knownType(m.Header.Typ) {
			// Not a licet object at all: nothing to decode its claims as.
			if perr == nil || !errors.Is(perr, token.ErrMalformed) {
				t.Errorf("ParseUnverified of type %q: %v, want an ErrMalformed error", m.Header.Typ, perr)
			}
			return
		}
		if perr != nil && v.Expect == "grant_invalid" && strings.Contains(perr.Error(), "grant claims") {
			// The embedded grant's claims are malformed: a verifier says
			// grant_invalid, a parser that decodes them refuses them.
			if !errors.Is(perr, token.ErrMalformed) {
				t.Errorf("ParseUnverified error does not wrap ErrMalformed: %v", perr)
			}
			return
		}
		if perr != nil {
			t.Fatalf("ParseUnverified: %v", perr)
		}
		if u.Form != form || u.Message.Header.Typ != m.Header.Typ {
			t.Errorf("ParseUnverified and Decode disagree: %v/%q, %v/%q", u.Form, u.Message.Header.Typ, form, m.Header.Typ)
		}
		switch m.Header.Typ {
		case token.TypeLicense:
			if u.License == nil {
				t.Fatal("license type without decoded license claims")
			}
			if (m.Header.Grant != nil) != (u.EmbeddedGrant != nil) {
				t.Errorf("embedded grant in the header: %v, decoded: %v", m.Header.Grant != nil, u.EmbeddedGrant != nil)
			}
		case token.TypeGrant:
			if u.Grant == nil {
				t.Fatal("grant type without decoded grant claims")
			}
		case token.TypeRevocations:
			if u.Revocations == nil {
				t.Fatal("revocations type without decoded list")
			}
		}
	})
}

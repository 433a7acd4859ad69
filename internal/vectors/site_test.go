package vectors_test

import (
	"strings"
	"testing"

	"github.com/licet/licet/internal/vectors"
)

// TestSiteVectorsReasons checks that each vector of site grants (issue 22)
// is refused for the reason its comment gives, not for another one the
// generator let in by mistake: the site rule names itself in the message.
func TestSiteVectorsReasons(t *testing.T) {
	want := map[string]string{
		"valid-site-lease":                            "",
		"valid-site-borrow":                           "",
		"grant-violation-site-lease-too-long":         "lease of 1h 1s is longer than the site grant allows (1h)",
		"grant-violation-site-borrow-too-long":        "lease of 7d 1s is longer than the site grant allows (7d)",
		"grant-violation-site-borrow-not-allowed":     "lease of 2d is longer than the site grant allows (1h)",
		"grant-violation-site-borrow-without-borrows": "lease of 2d is longer than the site grant allows (1h)",
		"grant-violation-site-unbound":                "must be bound to a machine",
		"grant-violation-site-grace":                  "may not have a grace period",
		"grant-invalid-site-unknown-member":           "site: members other than",
		"grant-invalid-site-member-case":              "site: members other than",
		"grant-invalid-site-seats-zero":               "site: seats missing or 0",
		"grant-invalid-site-seats-missing":            "site: seats missing or 0",
		"grant-invalid-site-lease-zero":               "site: lease missing or 0",
		"grant-invalid-site-seats-text":               "grant claims",
		"grant-invalid-site-lease-negative":           "grant claims",
		"grant-invalid-site-not-a-map":                "grant claims",
	}
	vs, err := vectors.LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, v := range vs {
		msg, ok := want[v.Name]
		if !ok {
			continue
		}
		seen++
		ver, err := v.Verifier()
		if err != nil {
			t.Fatal(err)
		}
		_, err = ver.Verify(v.Token, v.Scopes...)
		switch {
		case msg == "" && err != nil:
			t.Errorf("%s: %v", v.Name, err)
		case msg != "" && (err == nil || !strings.Contains(err.Error(), msg)):
			t.Errorf("%s: error %v, want one containing %q", v.Name, err, msg)
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d site vectors found", seen, len(want))
	}
}

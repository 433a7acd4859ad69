package machine_test

import (
	"strings"
	"testing"

	"github.com/licet/licet/machine"
)

// FuzzParseActivationRequest: whatever arrives from a customer site, the
// parser returns a valid request or an error, never a panic, and what it
// accepts survives a round trip.
func FuzzParseActivationRequest(f *testing.F) {
	fp := strings.Repeat("0f", 32)
	f.Add([]byte(`{"version":1,"product":"p","fingerprint":"` + fp + `","source":"env","created":"2026-06-01T10:00:00Z"}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"version":1e400}`))
	f.Add([]byte(`{"product":"\ud800"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := machine.ParseActivationRequest(data)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("accepted an invalid request: %v", err)
		}
		out, err := r.MarshalIndent()
		if err != nil {
			t.Fatal(err)
		}
		back, err := machine.ParseActivationRequest(out)
		if err != nil || !back.Created.Equal(r.Created) || back.Fingerprint != r.Fingerprint || back.Product != r.Product {
			t.Fatalf("round trip: %v", err)
		}
	})
}
